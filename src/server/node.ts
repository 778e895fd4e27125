// Node-only: the server's real reanalyzer for verifyEvidence. Each keyframe JPEG is decoded (jpeg-js), the face
// pipeline runs on it as a still (FaceTracker: BlazeFace -> FaceMesh -> Iris), and the face's identity signature is
// the FaceRecognitionNet descriptor of the landmark-aligned chip (src/match). Kept out of ./index.ts so the server
// entry stays free of Node built-ins.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecodedKeyframe, KeyframeReanalysis } from './verify.js';
import type { OrtModule } from '../face/models.js';
import { FaceTracker } from '../face/tracker.js';
import { FaceRecognizer } from '../match/recognizer.js';
import { LivecheckError } from '../errors.js';

export interface NodeReanalyzerOptions {
  /** Folder with blazeface.onnx, facemesh.onnx, iris.onnx and facerec.onnx. Default: the package's models/. */
  modelDir?: string;
  ort?: OrtModule;
  numThreads?: number;
}

export interface NodeReanalyzer {
  reanalyze(keyframe: DecodedKeyframe): Promise<KeyframeReanalysis | null>;
  close(): Promise<void>;
}

function packageModelDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'models', 'facerec.onnx'))) return join(dir, 'models');
    dir = dirname(dir);
  }
  return resolve('models');
}

export async function createNodeReanalyzer(options: NodeReanalyzerOptions = {}): Promise<NodeReanalyzer> {
  const dir = options.modelDir ?? packageModelDir();
  const ort = options.ort ?? ((await import('onnxruntime-web')) as OrtModule);
  const { default: jpeg } = await import('jpeg-js');
  const so = options.numThreads === undefined ? {} : { numThreads: options.numThreads };
  const tracker = await FaceTracker.create({ ort, ...so, models: { detector: join(dir, 'blazeface.onnx'), mesh: join(dir, 'facemesh.onnx'), iris: join(dir, 'iris.onnx') } });
  let recognizer: FaceRecognizer;
  try {
    recognizer = await FaceRecognizer.create({ ort, ...so, model: join(dir, 'facerec.onnx') });
  } catch (e) {
    await tracker.close();
    throw e;
  }
  return {
    async reanalyze(kf) {
      let image: { width: number; height: number; data: Uint8Array };
      try {
        image = jpeg.decode(kf.jpeg, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      } catch (cause) {
        throw new LivecheckError('decode-failed', `keyframe ${kf.index} is not a decodable JPEG`, { index: kf.index }, { cause });
      }
      const [face] = (await tracker.detectImage(image, { maxFaces: 1 })).faces;
      if (!face) return null;
      return { landmarks: face.landmarks, signature: await recognizer.describe(image, face.landmarks) };
    },
    async close() {
      await tracker.close();
      await recognizer.close();
    },
  };
}

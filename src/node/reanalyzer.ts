// Node-only: the server's real reanalyzer for verifyEvidence. Each keyframe JPEG is decoded (jpeg-js), the face
// pipeline runs on it as a still (FaceTracker: BlazeFace -> FaceMesh -> Iris), and the face's identity signature is
// the FaceRecognitionNet descriptor of the landmark-aligned chip (src/match). Kept out of ./index.ts so the server
// entry stays free of Node built-ins.
import { join } from 'node:path';
import type { DecodedIdentityChip, DecodedKeyframe, KeyframeReanalysis } from '../verify/evidence.js';
import { chipTensor } from '../match/chip.js';
import { MATCH_SIZE } from '../match/align.js';
import type { OrtModule } from '../face/models.js';
import { FaceTracker } from '../face/tracker.js';
import { FaceRecognizer } from '../match/recognizer.js';
import { CALIBRATED_FACE_MATCH, matchDescriptors } from '../decision/face-match.js';
import type { FaceMatchConfig } from '../decision/config.js';
import type { FaceMatchResult } from '../decision/consensus.js';
import type { RgbaImage } from '../image.js';
import { fromBase64 } from '../evidence/encoding.js';
import { evidenceShapeProblems, parseEvidence } from '../evidence/bundle.js';
import type { EvidenceBundle, KeyframeRecord } from '../evidence/bundle.js';
import { LivecheckError } from '../errors.js';
import { packageModelDir } from './model-dir.js';
import { findLandmarkKernelWasm } from './kernels.js';

export interface NodeReanalyzerOptions {
  /** Folder with blazeface.onnx, facemesh.onnx, iris.onnx and facerec.onnx. Default: the package's models/. */
  modelDir?: string;
  ort?: OrtModule;
  numThreads?: number;
  /** Where FaceMesh and Iris run: `livecheck` (default: our own kernels, as the browser worker does, when this
   *  install has nn.simd.wasm) or `onnxruntime`. */
  landmarkRuntime?: 'livecheck' | 'onnxruntime';
}

export interface NodeReanalyzer {
  reanalyze(keyframe: DecodedKeyframe): Promise<KeyframeReanalysis | null>;
  /** verifyEvidence's `describeIdentity`: the FaceRecognitionNet descriptor of an identity chip (already aligned). */
  describeIdentity(chip: DecodedIdentityChip): Promise<Float32Array>;
  /** The most confident face of an image and its descriptor (null: no face). */
  describeImage(image: RgbaImage): Promise<{ descriptor: Float32Array; score: number } | null>;
  /**
   * ID photo match: the bundle's best keyframe (most confident face) against the document photo, decided by
   * decideFaceMatch with the calibrated threshold (CALIBRATED_FACE_MATCH) unless `config` is given. Run it after
   * verifyEvidence has accepted the bundle: this reads the keyframes without re-checking the chain.
   */
  matchDocument(bundle: unknown, documentPhoto: RgbaImage, config?: FaceMatchConfig): Promise<FaceMatchResult & { keyframe: number | null }>;
  close(): Promise<void>;
}

export async function createNodeReanalyzer(options: NodeReanalyzerOptions = {}): Promise<NodeReanalyzer> {
  const dir = options.modelDir ?? packageModelDir(import.meta.url, 'facerec.onnx');
  const ort = options.ort ?? ((await import('onnxruntime-web')) as OrtModule);
  const { default: jpeg } = await import('jpeg-js');
  const so = options.numThreads === undefined ? {} : { numThreads: options.numThreads };
  const landmarkKernels = options.landmarkRuntime === 'onnxruntime' ? null : await findLandmarkKernelWasm();
  const tracker = await FaceTracker.create({ ort, ...so, landmarkKernels, models: { detector: join(dir, 'blazeface.onnx'), mesh: join(dir, 'facemesh.onnx'), iris: join(dir, 'iris.onnx') } });
  let recognizer: FaceRecognizer;
  try {
    recognizer = await FaceRecognizer.create({ ort, ...so, model: join(dir, 'facerec.onnx') });
  } catch (e) {
    await tracker.close();
    throw e;
  }
  const decode = (bytes: Uint8Array, index: number, what = 'keyframe') => {
    try {
      return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    } catch (cause) {
      throw new LivecheckError('decode-failed', `${what} ${index} is not a decodable JPEG`, { index }, { cause });
    }
  };
  const describeImage = async (image: RgbaImage) => {
    const [face] = (await tracker.detectImage(image, { maxFaces: 1 })).faces;
    return face ? { descriptor: await recognizer.describe(image, face.landmarks), score: face.score } : null;
  };
  const tensor = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3);
  return {
    async describeIdentity(chip) {
      const image = decode(chip.jpeg, chip.index, 'identity chip');
      if (image.width !== MATCH_SIZE || image.height !== MATCH_SIZE)
        throw new LivecheckError('invalid-frame-size', `identity chip ${chip.index} is ${image.width}x${image.height}, not ${MATCH_SIZE}x${MATCH_SIZE}`, { index: chip.index });
      return recognizer.descriptorOfChip(chipTensor(image.data, tensor));
    },
    async reanalyze(kf) {
      const image = decode(kf.jpeg, kf.index);
      const [face] = (await tracker.detectImage(image, { maxFaces: 1 })).faces;
      if (!face) return null;
      return { landmarks: face.landmarks, signature: await recognizer.describe(image, face.landmarks) };
    },
    describeImage,
    async matchDocument(input, documentPhoto, config = CALIBRATED_FACE_MATCH) {
      const { bundle } = parseEvidence(input);
      const problems = evidenceShapeProblems(bundle);
      if (problems.length > 0) throw new LivecheckError('evidence-invalid', `not an evidence bundle: ${problems[0]}`, { problems });
      const keyframes = (bundle as EvidenceBundle).records.filter((r): r is KeyframeRecord => r.type === 'keyframe');
      let best = null as { descriptor: Float32Array; score: number; index: number } | null;
      for (let i = 0; i < keyframes.length; i++) {
        const bytes = fromBase64(keyframes[i].data);
        if (!bytes) continue;
        const d = await describeImage(decode(bytes, i));
        if (d && (!best || d.score > best.score)) best = { ...d, index: i };
      }
      const doc = await describeImage(documentPhoto);
      if (!best || !doc)
        return {
          verdict: 'review',
          distance: null,
          keyframe: best?.index ?? null,
          reasons: [{ code: 'not-compared', message: !best ? 'no face in any keyframe' : 'no face in the document photo' }],
        } as FaceMatchResult & { keyframe: number | null };
      return { ...matchDescriptors(best.descriptor, doc.descriptor, null, config), keyframe: best.index };
    },
    async close() {
      await tracker.close();
      await recognizer.close();
    },
  };
}

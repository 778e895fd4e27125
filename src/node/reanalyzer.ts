// Node-only: the server's real re-analysis for verifyEvidence. The capture video is decoded with ffmpeg (bounded in
// bytes, pixels, frames and time) and every frame goes through the same engine and attempt pipeline the browser
// worker runs (quality kernels, FaceTracker: BlazeFace -> FaceMesh -> Iris, the challenge session with the plan
// from the nonce, the three signals, the identity check with FaceRecognitionNet); the camera-injection cues are
// measured on the decoded frames and each keyframe crop is compared with its decoded frame. Kept out of ./index.ts so
// the server entry stays free of Node built-ins.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureToReanalyse, VideoReanalysis } from '../verify/evidence.js';
import { chipTensor } from '../match/chip.js';
import { MATCH_SIZE } from '../match/align.js';
import type { OrtModule } from '../face/models.js';
import { loadNodeOrt } from './ort.js';
import { FaceTracker } from '../face/tracker.js';
import { EVIDENCE_POINTS } from '../face/landmarks.js';
import { FaceRecognizer } from '../match/recognizer.js';
import { CALIBRATED_FACE_MATCH, matchDescriptors } from '../decision/face-match.js';
import { InjectionMeter } from '../decision/injection.js';
import type { FaceMatchConfig } from '../decision/config.js';
import type { FaceMatchResult } from '../decision/consensus.js';
import type { RgbaImage } from '../image.js';
import type { Box } from '../types.js';
import { fromBase64 } from '../evidence/encoding.js';
import { evidenceShapeProblems, parseEvidence } from '../evidence/bundle.js';
import type { EvidenceBundle, EvidencePoint, KeyframeRecord } from '../evidence/bundle.js';
import { LivecheckError } from '../errors.js';
import { packageModelDir } from './model-dir.js';
import { findLandmarkKernelWasm } from './kernels.js';
import { createNodeEngine } from './engine.js';
import type { LivenessEngine } from '../engine/engine.js';
import { lazy } from '../util/lazy.js';

export interface NodeReanalyzerOptions {
  /** Folder with blazeface.onnx, facemesh.onnx, iris.onnx and facerec.onnx. Default: the package's models/. */
  modelDir?: string;
  /** The onnxruntime the models run on. Default: onnxruntime-node when it is installed (native kernels, one thread
   *  each), else onnxruntime-web. */
  ort?: OrtModule;
  numThreads?: number;
  /** Where FaceMesh and Iris run: `livecheck` (default: our own wasm kernels, as the browser worker does, when this
   *  install has nn.simd.wasm; faster than onnxruntime-node for these two) or `onnxruntime`. */
  landmarkRuntime?: 'livecheck' | 'onnxruntime';
  /** Longest a video decode may take, ms. Default 60 000. */
  decodeTimeoutMs?: number;
}

export interface NodeReanalyzer {
  /** verifyEvidence's `reanalyzeVideo`: decodes the capture video and runs the engine on it. */
  reanalyzeVideo(capture: CaptureToReanalyse): Promise<VideoReanalysis>;
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
  const ort = options.ort ?? (await loadNodeOrt('native'));
  const landmarkRuntime = options.landmarkRuntime ?? 'livecheck';
  const { default: jpeg } = await import('jpeg-js');
  const so = options.numThreads === undefined ? {} : { numThreads: options.numThreads };
  const models = { detector: join(dir, 'blazeface.onnx'), mesh: join(dir, 'facemesh.onnx'), iris: join(dir, 'iris.onnx') };
  // a missing model is a set-up error now, not a failed check on the first capture
  // (the engine's back detector too: its once-a-second scan for a second face)
  for (const file of [...Object.values(models), join(dir, 'blazeface-back.onnx')]) {
    await access(file).catch((cause) => {
      throw new LivecheckError('model-missing', `model file ${file} could not be read: ${(cause as Error).message}`, { file }, { cause });
    });
  }
  const recognizer = await FaceRecognizer.create({ ort, ...so, model: join(dir, 'facerec.onnx') });
  // Images (keyframes, ID photos) need a tracker that tries every orientation; the videos run on the engine's. Loaded
  // on the first image, so a server that never matches documents holds one copy of the landmark models.
  const imageTracker = lazy(async () => FaceTracker.create({ ort, ...so, landmarkKernels: landmarkRuntime === 'onnxruntime' ? null : await findLandmarkKernelWasm(), models }));
  const decode = (bytes: Uint8Array, index: number, what = 'keyframe') => {
    try {
      return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    } catch (cause) {
      throw new LivecheckError('decode-failed', `${what} ${index} is not a decodable JPEG`, { index }, { cause });
    }
  };
  const describeImage = async (image: RgbaImage) => {
    const [face] = (await (await imageTracker()).detectImage(image, { maxFaces: 1 })).faces;
    return face ? { descriptor: await recognizer.describe(image, face.landmarks), score: face.score } : null;
  };
  const tensor = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3);
  // one engine for every capture (its models and kernels loaded once, a new attempt per capture), one capture at a time
  const engine = lazy(() => createNodeEngine({ modelDir: dir, landmarkRuntime, ort }));
  let queue: Promise<unknown> = Promise.resolve();
  return {
    reanalyzeVideo(capture) {
      const run = queue.then(() => reanalyzeVideo(capture, { engine, timeoutMs: options.decodeTimeoutMs ?? 60_000, recognizer, tensor, decode }));
      queue = run.catch(() => undefined);
      return run;
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
      await queue;
      await (await engine.loaded())?.close();
      await (await imageTracker.loaded())?.close();
      await recognizer.close();
    },
  };
}

interface VideoRun {
  engine: () => Promise<LivenessEngine>;
  timeoutMs: number;
  recognizer: FaceRecognizer;
  tensor: Float32Array<ArrayBuffer>;
  decode: (bytes: Uint8Array, index: number) => { width: number; height: number; data: Uint8Array };
}

async function reanalyzeVideo(capture: CaptureToReanalyse, run: VideoRun): Promise<VideoReanalysis> {
  const { decodeVideo } = await import('./media.js');
  const { times, width, height } = capture;
  const identity = capture.config.identity || null;
  const engine = await run.engine();
  await engine.restart({
    ...capture.config,
    plan: capture.plan,
    ...(identity && { identity, describe: (rgba: Uint8ClampedArray) => run.recognizer.descriptorOfChip(chipTensor(rgba, run.tensor)) }),
  });
  const dir = await mkdtemp(join(tmpdir(), 'livecheck-verify-'));
  const file = join(dir, capture.mime === 'video/webm' ? 'capture.webm' : 'capture.mkv');
  const injection = new InjectionMeter();
  const faces: VideoReanalysis['faces'] = [];
  const decodedTimes: number[] = [];
  const keyframes: VideoReanalysis['keyframes'] = [];
  const byFrame = new Map<number, CaptureToReanalyse['keyframes']>();
  for (const k of capture.keyframes) byFrame.set(k.frameIndex, [...(byFrame.get(k.frameIndex) ?? []), k]);
  let first = NaN;
  let analysed = 0;
  try {
    await writeFile(file, capture.data);
    const limits = { maxFileBytes: capture.data.length, maxPixels: width * height, maxFrames: times.length, timeoutMs: run.timeoutMs };
    for await (const f of decodeVideo(file, { timing: 'source', reuse: true, limits })) {
      const i = decodedTimes.length;
      if (i >= times.length) throw new LivecheckError('decode-failed', `the video holds more than its ${times.length} frames`, { reason: 'too-many-frames' });
      if (f.width !== width || f.height !== height) throw new LivecheckError('decode-failed', `decoded frame ${i} is ${f.width}x${f.height}, not ${width}x${height}`, { reason: 'frame-size' });
      if (i === 0) first = f.timestampMs;
      decodedTimes.push(f.timestampMs - first);
      injection.push(f, f.timestampMs);
      for (const k of byFrame.get(i) ?? []) keyframes.push({ index: k.index, psnr: cropPsnr(f, k.box, run.decode(k.jpeg, k.index)) });
      if (engine.attempt.ended) {
        faces.push(null);
        continue;
      }
      // the frame's own time: the challenge's timing is the capture's, which the packets carry
      const r = await engine.analyzeFrame(f, times[i], times.length);
      analysed++;
      faces.push(r.face ? { box: { ...r.face.box }, points: pointsOf(r.face.landmarks) } : null);
    }
    const outcome = await engine.attempt.finish();
    return { frames: decodedTimes.length, analysed, decodedTimes, decision: outcome.decision, claim: engine.attempt.claim(outcome), faces, injection: injection.result(), keyframes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function pointsOf(landmarks: ReadonlyArray<readonly number[]>): EvidencePoint[] {
  return EVIDENCE_POINTS.map((k) => [Math.round(landmarks[k][0] * 10) / 10, Math.round(landmarks[k][1] * 10) / 10]);
}

/** PSNR (dB, RGB) of a keyframe JPEG against the same box of a decoded frame, sampled at the JPEG's size. */
function cropPsnr(frame: RgbaImage, box: Box, jpeg: { width: number; height: number; data: Uint8Array }): number {
  const sx = box.width / jpeg.width;
  const sy = box.height / jpeg.height;
  let sum = 0;
  for (let y = 0; y < jpeg.height; y++) {
    const fy = Math.min(frame.height - 1, Math.floor(box.y + (y + 0.5) * sy));
    for (let x = 0; x < jpeg.width; x++) {
      const fx = Math.min(frame.width - 1, Math.floor(box.x + (x + 0.5) * sx));
      const a = (fy * frame.width + fx) * 4;
      const b = (y * jpeg.width + x) * 4;
      for (let c = 0; c < 3; c++) {
        const d = frame.data[a + c] - jpeg.data[b + c];
        sum += d * d;
      }
    }
  }
  const mse = sum / (jpeg.width * jpeg.height * 3);
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

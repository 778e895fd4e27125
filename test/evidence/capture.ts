// Test fixture: a real capture of the franck clip recorded into an evidence bundle, and a real server-side
// reanalyzer. Faces come from our face pipeline (src/face FaceTracker: BlazeFace -> FaceMesh -> Iris, 478 landmarks;
// tracking on the client's video, a fresh still-image run on the server's keyframe), identity signatures from
// @vladmandic/face-api's FaceRecognitionNet on the tfjs CPU backend, keyframes are JPEG crops made by jpeg-js.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import * as faceapi from '@vladmandic/face-api/dist/face-api.esm-nobundle.js';
import jpeg from 'jpeg-js';
import { createSession } from '../../src/face/models.js';
import { FaceDetector } from '../../src/face/detector.js';
import { FaceTracker } from '../../src/face/index.js';
import { decodeVideo } from '../../src/node/media.js';
import { EvidenceRecorder } from '../../src/evidence/index.js';
import { Attempt, type AttemptOutcome } from '../../src/attempt/attempt.js';
import { attemptConfigHash } from '../../src/attempt/config.js';
import type { FaceWithContours } from '../../src/geometry/face-geometry.js';
import type { DocumentBinding, EvidenceBundle, RgbaImage } from '../../src/evidence/index.js';
import { planFromNonce } from '../../src/challenge/index.js';
import type { ChallengeAction, PlanOptions } from '../../src/challenge/index.js';
import { createNodeEngine } from '../../src/node/engine.js';
import type { ReplayOptions } from '../../src/attempt/replay.js';
import { sha256 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import type { DecodedKeyframe, KeyframeReanalysis } from '../../src/server/index.js';
import type { FrameAnalysis, QualityMetrics } from '../../src/types.js';
import { data, repoRoot, requireData } from '../helpers/data.js';

export const MIN = 60_000;
export const UPLOADED_AT = Date.UTC(2026, 10, 23, 9, 0, 0);

let detector: Promise<FaceDetector> | null = null;
export function faceDetector(): Promise<FaceDetector> {
  requireData(data.blazefaceFront128);
  detector ??= createSession(ort, data.blazefaceFront128, { numThreads: 1 }).then((s) => new FaceDetector(ort, s));
  return detector;
}

const models = {
  detector: join(repoRoot, 'models', 'blazeface.onnx'),
  mesh: join(repoRoot, 'models', 'facemesh.onnx'),
  iris: join(repoRoot, 'models', 'iris.onnx'),
};
/** A FaceTracker over the built models; fails (never skips) when they are missing. */
export async function faceTracker(): Promise<FaceTracker> {
  const missing = Object.values(models).filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`models missing: ${missing.join(', ')}. Run \`npm run build:models\` (after \`npm run setup:data\`).`);
  return FaceTracker.create({ ort, models, numThreads: 1 });
}
let serverTracker: Promise<FaceTracker> | null = null;

let recognition: Promise<{ computeFaceDescriptor(t: unknown): Promise<Float32Array> }> | null = null;
function recognitionNet() {
  recognition ??= (async () => {
    await tf.setBackend('cpu');
    const dir = join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'model');
    const manifest = JSON.parse(readFileSync(join(dir, 'face_recognition_model-weights_manifest.json'), 'utf8')) as Array<{ weights: tf.io.WeightsManifestEntry[] }>;
    const bin = readFileSync(join(dir, 'face_recognition_model.bin'));
    const weights = tf.io.decodeWeights(
      new Uint8Array(bin).buffer,
      manifest.flatMap((g) => g.weights),
    );
    const net = (faceapi as unknown as { nets: { faceRecognitionNet: { loadFromWeightMap(w: tf.NamedTensorMap): void; computeFaceDescriptor(t: unknown): Promise<Float32Array> } } }).nets
      .faceRecognitionNet;
    net.loadFromWeightMap(weights);
    return net;
  })();
  return recognition;
}

/** 128-d face-api descriptor of the square region around a detected face. */
async function descriptor(img: RgbaImage, cx: number, cy: number, side: number): Promise<Float32Array> {
  const net = await recognitionNet();
  const x = Math.max(0, Math.round(cx - side / 2));
  const y = Math.max(0, Math.round(cy - side / 2));
  const w = Math.min(img.width - x, Math.round(side));
  const h = Math.min(img.height - y, Math.round(side));
  const input = tf.tidy(() => {
    const rgba = tf.tensor3d(img.data as Uint8Array, [img.height, img.width, 4], 'int32');
    const rgb = rgba.slice([y, x, 0], [h, w, 3]).toFloat() as tf.Tensor3D;
    return tf.image.resizeBilinear(rgb, [150, 150]).expandDims(0);
  });
  try {
    return await net.computeFaceDescriptor(input);
  } finally {
    input.dispose();
  }
}

export const encodeJpeg = (image: RgbaImage): Uint8Array => {
  const out = jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) }, 85);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
};

export function decodeJpeg(bytes: Uint8Array): RgbaImage {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { width: img.width, height: img.height, data: img.data };
}

/**
 * The server's reanalysis: decode the keyframe, detect the face, map its keypoints, compute its descriptor.
 * Memoised on the JPEG digest (same bytes, same answer), so tamper tests can call it thousands of times.
 */
const reanalysisCache = new Map<string, KeyframeReanalysis | null>();
export async function reanalyzeKeyframe(kf: DecodedKeyframe): Promise<KeyframeReanalysis | null> {
  const key = toHex(await sha256(kf.jpeg));
  if (reanalysisCache.has(key)) return reanalysisCache.get(key) ?? null;
  const image = decodeJpeg(kf.jpeg);
  serverTracker ??= faceTracker();
  const [face] = (await (await serverTracker).detectImage(image, { maxFaces: 1 })).faces;
  let result: KeyframeReanalysis | null = null;
  if (face) {
    const { x, y, width, height } = face.box;
    result = { landmarks: face.landmarks, signature: await descriptor(image, x + width / 2, y + height / 2, Math.max(width, height)) };
  }
  reanalysisCache.set(key, result);
  return result;
}

/** The plan options the server issues challenges with in these tests (src/challenge derives the steps from the nonce). */
export const PLAN: PlanOptions = { actions: 'random', count: 2 };

export async function documentFor(name: string, uploadedAt = UPLOADED_AT): Promise<DocumentBinding> {
  const meta = { type: 'passport', country: 'NL', name, uploadedAt };
  return { metadataHash: toHex(await sha256(new TextEncoder().encode(JSON.stringify(meta)))), uploadedAt };
}

function quality(frame: RgbaImage): QualityMetrics {
  // A few real whole-frame numbers; the rest is what the kernels will fill in (NaN = not computed).
  const hist = new Float64Array(256);
  let sum = 0;
  for (let i = 0; i < frame.data.length; i += 4) {
    const y = (77 * frame.data[i] + 150 * frame.data[i + 1] + 29 * frame.data[i + 2]) >> 8;
    hist[y]++;
    sum += y;
  }
  const n = frame.data.length / 4;
  let entropy = 0;
  for (const c of hist) if (c > 0) entropy -= (c / n) * Math.log2(c / n);
  return {
    entropy,
    faceEntropy: NaN,
    faceLuma: NaN,
    frameLuma: sum / n,
    faceLumaStd: NaN,
    darkClipped: hist[0] / n,
    brightClipped: hist[255] / n,
    faceToSurround: NaN,
    leftRightBalance: NaN,
    meanRgb: [NaN, NaN, NaN],
    focus: NaN,
    focusNormalized: NaN,
    motion: null,
  };
}

export interface CaptureOptions {
  nonce: string;
  document: DocumentBinding;
  /** Client wall clock at the capture start (epoch ms). Default: 3 min after the document upload. */
  startAt?: number;
  frames?: number;
  fps?: number;
  startMs?: number;
}

/** Franck frames as the client would record them. Decoded frames are cached per (startMs, fps, count). */
const frameCache = new Map<string, Array<{ frame: RgbaImage; analysis: FrameAnalysis }>>();
async function analysedFrames(startMs: number, fps: number, count: number) {
  const key = `${startMs}/${fps}/${count}`;
  const cached = frameCache.get(key);
  if (cached) return cached;
  requireData(data.franckMp4);
  const tracker = await faceTracker();
  const out: Array<{ frame: RgbaImage; analysis: FrameAnalysis }> = [];
  try {
    for await (const f of decodeVideo(data.franckMp4, { fps, startMs, maxFrames: count })) {
      const { faces } = await tracker.detect(f, f.timestampMs);
      const analysis: FrameAnalysis = {
        timestampMs: f.timestampMs,
        width: f.width,
        height: f.height,
        quality: quality(f),
        faces: faces.map(({ box, score, landmarks, rotation, tracked, eyeContours }) => ({ box, score, landmarks, rotation, tracked, eyeContours })),
      };
      out.push({ frame: { width: f.width, height: f.height, data: f.data }, analysis });
    }
  } finally {
    await tracker.close();
  }
  frameCache.set(key, out);
  return out;
}

/**
 * Record a capture of franck: frames, a keyframe per plan step (at evenly spaced moments), and the client's claim:
 * the attempt pipeline (interpretation, challenge, signals) run live on the unquantised frames, as a client
 * computes them.
 */
export async function recordCapture(o: CaptureOptions): Promise<EvidenceBundle> {
  const fps = o.fps ?? 6;
  const count = o.frames ?? 8;
  const frames = await analysedFrames(o.startMs ?? 2000, fps, count);
  const challenge = await planFromNonce(o.nonce, PLAN);
  const plan = challenge.steps;
  const attempt = await Attempt.start({ plan: challenge });
  let clock = o.startAt ?? o.document.uploadedAt + 3 * MIN;
  const recorder = await EvidenceRecorder.start({ nonce: o.nonce, plan, document: o.document, clock: () => clock, encodeJpeg, configHash: await attemptConfigHash({}) });
  const momentAt = new Map(plan.map((s, i) => [Math.floor(((i + 1) * count) / (plan.length + 1)), s.action]));
  for (let i = 0; i < frames.length; i++) {
    clock += 1000 / fps;
    const { analysis } = frames[i];
    const face = (analysis.faces[0] ?? null) as FaceWithContours | null;
    await attempt.push({ analysis, face, regions: null, passive: null });
    await recorder.appendFrame(analysis, frames[i].frame.data);
    const moment = momentAt.get(i);
    if (moment) await recorder.addKeyframe(moment, frames[i].frame);
  }
  return recorder.finish(attempt.claim(await attempt.finish()));
}

export interface EngineCapture {
  bundle: EvidenceBundle;
  /** The challenge events the engine emitted live (type step:action), progress left out. */
  events: string[];
  /** The client's signals and verdict, as it decided them live. */
  decided: AttemptOutcome;
}

/**
 * The real client path (as `livecheck analyze --evidence` runs it): the whole engine (face tracker, quality kernels,
 * region cues, geometry, guidance, challenge) over a real clip, each frame recorded with its passive features, and
 * the claim from what the engine emitted. `engine`: the engine options the client runs with (the server must replay
 * with the same); `width`/`height` rescale the decoded frames.
 */
export async function recordEngineCapture(o: {
  file: string;
  nonce: string;
  script: ChallengeAction[];
  document: DocumentBinding;
  startMs: number;
  frames: number;
  width?: number;
  height?: number;
  startAt?: number;
  engine?: ReplayOptions;
}): Promise<EngineCapture> {
  const plan = await planFromNonce(o.nonce, { script: o.script });
  const startedAt = o.startAt ?? o.document.uploadedAt + 3 * MIN;
  let lastT = 0;
  const engine = await createNodeEngine({ ...o.engine, plan, evidence: { nonce: o.nonce, document: o.document, encodeJpeg: jpegAt(85), clock: () => startedAt + lastT } });
  const events: string[] = [];
  try {
    for await (const f of decodeVideo(o.file, { startMs: o.startMs, maxFrames: o.frames, width: o.width, height: o.height })) {
      lastT = f.timestampMs;
      const r = await engine.analyzeFrame(f, f.timestampMs, o.frames);
      for (const e of r.challenge) if (e.type !== 'progress') events.push(e.type === 'attempt-ended' ? `${e.type} ${e.outcome}` : `${e.type} ${e.step}:${e.action}`);
    }
    const decided = await engine.attempt.finish();
    return { bundle: (await engine.attempt.evidence())!, events, decided };
  } finally {
    await engine.close();
  }
}

/** JPEG at a given quality (jpeg-js, 0-100): the identity chips are encoded at IDENTITY_JPEG_QUALITY. */
export const jpegAt =
  (quality: number) =>
  (image: RgbaImage): Uint8Array => {
    const out = jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) }, quality);
    return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  };

export interface IdentityEngineCapture extends EngineCapture {
  /** The client's descriptor of each identity chip, in record order (what the claim was judged on). */
  clientDescriptors: Float32Array[];
  /** Time the client spent describing the chips at the end (FaceRecognitionNet in Node, 1 thread), ms. */
  describeMs: number;
}

/**
 * The client path with the identity check on, as the browser worker runs it (the attempt with `identity` and
 * evidence): the whole engine over a real clip, every frame recorded, the sampling
 * rule's faces cut as chips, described with FaceRecognitionNet (models/facerec.onnx) when the session is judged,
 * and recorded as JPEG (quality 92, as the worker's IDENTITY_JPEG_QUALITY).
 */
export async function recordIdentityCapture(o: {
  file: string;
  nonce: string;
  script: ChallengeAction[];
  document: DocumentBinding;
  startMs?: number;
  frames?: number;
  startAt?: number;
  engine?: ReplayOptions;
}): Promise<IdentityEngineCapture> {
  const { FaceRecognizer } = await import('../../src/match/recognizer.js');
  const { chipTensor } = await import('../../src/match/chip.js');
  const plan = await planFromNonce(o.nonce, { script: o.script });
  const recognizer = await FaceRecognizer.create({ ort, model: join(repoRoot, 'models', 'facerec.onnx'), numThreads: 1 });
  const clientDescriptors: Float32Array[] = [];
  const tensor = new Float32Array(150 * 150 * 3);
  const clock = o.startAt ?? o.document.uploadedAt + 3 * MIN;
  let t0 = 0;
  const engine = await createNodeEngine({
    identity: {},
    ...o.engine,
    plan,
    describe: async (rgba) => {
      const d = await recognizer.descriptorOfChip(chipTensor(rgba, tensor));
      clientDescriptors.push(d);
      return d;
    },
    evidence: { nonce: o.nonce, document: o.document, encodeJpeg, chipJpeg: jpegAt(92), clock: () => clock + t0 },
  });
  const events: string[] = [];
  try {
    for await (const f of decodeVideo(o.file, { startMs: o.startMs, maxFrames: o.frames })) {
      t0 = f.timestampMs;
      const r = await engine.analyzeFrame(f, f.timestampMs);
      for (const e of r.challenge) if (e.type !== 'progress') events.push(e.type === 'attempt-ended' ? `${e.type} ${e.outcome}` : `${e.type} ${e.step}:${e.action}`);
    }
    const decided = await engine.attempt.finish();
    const bundle = (await engine.attempt.evidence())!;
    return { bundle, events, decided, clientDescriptors, describeMs: engine.attempt.identity!.describeMs };
  } finally {
    await engine.close();
    await recognizer.close();
  }
}

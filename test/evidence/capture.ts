// Test fixture: real captures of real clips recorded into evidence bundles as the clients record them (frame
// records, keyframe JPEG crops by jpeg-js, the capture video encoded by the Node host: ffmpeg VP8, muxed with
// mediabunny), and the real server-side reanalyzer (createNodeReanalyzer: ffmpeg decode, the whole engine).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
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
import type { AttemptConfig } from '../../src/attempt/config.js';
import { sha256 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import type { CaptureVideo } from '../../src/evidence/video.js';
import { NodeCaptureVideoEncoder } from '../../src/node/capture-video.js';
import { createNodeReanalyzer, type NodeReanalyzer } from '../../src/node/reanalyzer.js';
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
export const encodeJpeg = (image: RgbaImage): Uint8Array => {
  const out = jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) }, 85);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
};

export function decodeJpeg(bytes: Uint8Array): RgbaImage {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { width: img.width, height: img.height, data: img.data };
}

let reanalyzer: Promise<NodeReanalyzer> | null = null;
/** The server's reanalyzer over the built models (one per test file). */
export function serverReanalyzer(): Promise<NodeReanalyzer> {
  reanalyzer ??= createNodeReanalyzer({ modelDir: join(repoRoot, 'models') });
  return reanalyzer;
}

/** The capture video of these frames at these times, as the Node host encodes it. */
export async function encodeCapture(frames: ReadonlyArray<{ frame: RgbaImage; t: number }>): Promise<CaptureVideo> {
  const encoder = await NodeCaptureVideoEncoder.open(frames[0].frame.width, frames[0].frame.height);
  for (const { frame, t } of frames) encoder.encode(frame, t);
  return encoder.finish();
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
    await recorder.appendFrame(analysis);
    const moment = momentAt.get(i);
    if (moment) await recorder.addKeyframe(moment, frames[i].frame);
  }
  const video = await encodeCapture(frames.map((f) => ({ frame: f.frame, t: f.analysis.timestampMs })));
  return recorder.finish(attempt.claim(await attempt.finish()), video);
}

/** The franck frames recordCapture records (decoded, with the client's analysis), for forgeries built on them. */
export function captureFrames(o: { fps?: number; frames?: number; startMs?: number } = {}) {
  return analysedFrames(o.startMs ?? 2000, o.fps ?? 6, o.frames ?? 8);
}

/** JPEG at a given quality (jpeg-js, 0-100). */
export const jpegAt =
  (quality: number) =>
  (image: RgbaImage): Uint8Array => {
    const out = jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) }, quality);
    return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  };

// The module worker: builds the LivenessEngine from self-hosted assets and analyses transferred frames, so no pixel
// work runs on the main thread. Bundled to dist/worker.js with onnxruntime-web's wasm build inside.
import { expose, transfer } from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { LivenessEngine } from '../engine/engine.js';
import { LivecheckError } from '../errors.js';
import { loadModelBytes, type OrtModule } from '../face/models.js';
import type { PassiveImageFeatures } from '../kernels/passive.js';
import { simdSupported } from '../kernels/wasm.js';
import { AttemptRecorder, EvidenceAttempt } from './decision.js';
import { sha256, toHex } from '../evidence/encoding.js';
import { CRASH_TEST_MESSAGE, toWireError, type CrashTestMessage, type FrameOutput, type RgbaBuffer, type WorkerApi, type WorkerInfo, type WorkerSetup } from './protocol.js';

let engine: LivenessEngine | null = null;
let recorder: AttemptRecorder | null = null;
/** The evidence bundle being recorded (WorkerSetup.evidence): it then decides the attempt. */
let evidence: EvidenceAttempt | null = null;
let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
let passiveOut: PassiveImageFeatures | undefined; // reused across frames

async function fetchBytes(url: string, code: 'wasm-unavailable' | 'model-missing'): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (cause) {
    throw new LivecheckError(code, `cannot fetch ${url}: ${(cause as Error).message}`, { url });
  }
  if (!res.ok) throw new LivecheckError(code, `cannot fetch ${url}: HTTP ${res.status}`, { url, status: res.status });
  return new Uint8Array(await res.arrayBuffer());
}

// RGBA of a VideoFrame by copyTo straight into the kernels' own input buffer: no per-frame allocation and no second
// copy into wasm memory. Browsers whose copyTo cannot convert to RGBA (or an ImageBitmap) take the canvas path, whose
// getImageData allocates a new buffer every frame.
let copyToRgba = typeof VideoFrame !== 'undefined';

function frameSize(frame: ImageBitmap | VideoFrame): { width: number; height: number } {
  if ('visibleRect' in frame && frame.visibleRect) return { width: frame.visibleRect.width, height: frame.visibleRect.height };
  if ('displayWidth' in frame) return { width: frame.displayWidth, height: frame.displayHeight };
  return { width: frame.width, height: frame.height };
}

async function pixelsOf(frame: ImageBitmap | VideoFrame, kernels: LivenessEngine['kernels']): Promise<{ width: number; height: number; data: Uint8Array | Uint8ClampedArray; path: 'copyTo' | 'canvas' }> {
  const { width, height } = frameSize(frame);
  try {
    if (copyToRgba && 'copyTo' in frame) {
      const view = kernels.inputBuffer(width, height);
      let layout: PlaneLayout[] | null = null;
      try {
        layout = await frame.copyTo(view, { format: 'RGBA', colorSpace: 'srgb' });
      } catch (e) {
        // a closed frame, not a missing feature: this frame is skipped, the next one takes the same path
        if ((e as DOMException).name === 'InvalidStateError') throw new LivecheckError('invalid-argument', 'the frame was closed before the worker read it');
      }
      // a browser that ignores `format` copies its native planes (e.g. I420): one packed RGBA plane or the canvas
      if (layout && layout.length === 1 && layout[0].offset === 0 && layout[0].stride === width * 4) return { width, height, data: view, path: 'copyTo' };
      copyToRgba = false; // no RGBA conversion in this browser: canvas from now on
    }
    if (!canvas || canvas.width !== width || canvas.height !== height) {
      canvas = new OffscreenCanvas(width, height);
      // willReadFrequently keeps the canvas on the CPU: readback without a GPU round trip
      ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | null;
      if (!ctx) throw new LivecheckError('invalid-argument', 'OffscreenCanvas 2d context unavailable in this worker');
    }
    ctx!.drawImage(frame, 0, 0);
    return { width, height, data: ctx!.getImageData(0, 0, width, height).data, path: 'canvas' };
  } finally {
    frame.close();
  }
}

// Profiling (worker.js?profile): times the engine's stages by wrapping the tracker, the kernels' pass and ORT's
// session.run on this worker's own instances. Off by default; never on in a bundler's renamed worker.
const profiling = typeof location !== 'undefined' && new URLSearchParams(location.search).has('profile');
const ortTimes: Record<string, number> = {};
let faceMs = 0;
let kernelMs = 0;

function instrument(e: LivenessEngine): void {
  const tracker = e.tracker as { detect: (...a: unknown[]) => Promise<unknown> };
  const detect = tracker.detect.bind(tracker);
  tracker.detect = async (...a: unknown[]) => {
    const t = performance.now();
    try {
      return await detect(...a);
    } finally {
      faceMs += performance.now() - t;
    }
  };
  const kernels = e.kernels as { qualityPass: (...a: unknown[]) => unknown };
  const pass = kernels.qualityPass.bind(kernels);
  kernels.qualityPass = (...a: unknown[]) => {
    const t = performance.now();
    try {
      return pass(...a);
    } finally {
      kernelMs += performance.now() - t;
    }
  };
  const proto = (ort.InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<unknown> } }).prototype;
  const run = proto.run;
  proto.run = async function (this: unknown, ...a: unknown[]) {
    const feeds = a[0] as Record<string, { dims?: readonly number[] }>;
    const first = Object.values(feeds)[0];
    const key = first?.dims ? first.dims.join('x') : '?';
    const t = performance.now();
    try {
      return await run.apply(this, a);
    } finally {
      ortTimes[key] = (ortTimes[key] ?? 0) + performance.now() - t;
    }
  };
}

/**
 * onnxruntime threads when the caller leaves it open: 2 when crossOriginIsolated (threads need it), else 1. Measured
 * on 2 cores: at load ~1, 2 threads were faster (worker 32.6 vs 38.7 ms); on the same machine at load 10+, 1 thread
 * analysed far more frames (20-24 vs 12-14 fps, bench:e2e --threads 1 / 2). A page that knows its device is busy
 * passes numThreads: 1.
 */
function defaultThreads(isolated: boolean): number {
  return isolated ? 2 : 1;
}

// Errors cross as plain { code, message } objects: Comlink keeps only an Error's message and name.
function guard<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (e) {
      throw toWireError(e);
    }
  };
}

let analyzing = false;

async function analyzeOne(engine: LivenessEngine, recorder: AttemptRecorder, frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> {
  const t0 = performance.now();
  let pixels: { width: number; height: number; data: Uint8Array | Uint8ClampedArray };
  let path: 'copyTo' | 'canvas' | 'buffer' = 'buffer';
  let buffer: ArrayBuffer | null = null;
  if ('buffer' in frame && frame.buffer instanceof ArrayBuffer) {
    buffer = frame.buffer;
    pixels = { width: frame.width, height: frame.height, data: new Uint8Array(buffer) };
  } else {
    const p = await pixelsOf(frame as ImageBitmap | VideoFrame, engine.kernels);
    pixels = p;
    path = p.path;
  }
  // evidence: the digest starts now (WebCrypto copies the bytes at the call) and runs beside the engine
  const digest = evidence ? sha256(pixels.data instanceof Uint8Array ? pixels.data : new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength)) : null;
  const t1 = performance.now();
  faceMs = kernelMs = 0;
  for (const k in ortTimes) delete ortTimes[k];
  const r = await engine.analyzeFrame(pixels, timestampMs);
  const t2 = performance.now();
  const face = r.face;
  // the passive artefact scores of this frame's face (as `livecheck analyze` measures them), for the decision
  const passive = face ? (passiveOut = engine.kernels.passiveFeatures(face.box, passiveOut)) : null;
  const tp = performance.now();
  // awaited before the next frame: the keyframe crop reads these pixels
  const claimed = evidence && digest ? await evidence.push(pixels, r, passive, { sha256: toHex(await digest) }) : null;
  const pushed = recorder.push(timestampMs, face ? face.landmarks : null, r.geometry, r.analysis.quality, r.challenge, passive);
  const decision = evidence ? claimed : pushed; // with evidence: the verdict the bundle claims and the server replays
  const t3 = performance.now();
  let points: Float32Array | null = null;
  if (face) {
    // a fresh array each frame: it is transferred to the main thread, which keeps it in the frame event
    points = new Float32Array(face.landmarks.length * 2);
    for (let i = 0; i < face.landmarks.length; i++) {
      points[2 * i] = face.landmarks[i][0];
      points[2 * i + 1] = face.landmarks[i][1];
    }
  }
  const out: FrameOutput = {
    timestampMs,
    width: pixels.width,
    height: pixels.height,
    workerMs: 0,
    face: face ? { box: { ...face.box }, score: face.score } : null,
    points,
    quality: r.analysis.quality,
    geometry: r.geometry,
    guidance: r.guidance,
    challenge: [...r.challenge],
    actions: [...r.actions],
    decision,
    buffer,
  };
  const t4 = performance.now();
  out.workerMs = t4 - t0;
  if (profiling) {
    out.profile = { pixels: t1 - t0, path, face: faceMs, ort: { ...ortTimes }, kernels: kernelMs, interpret: t2 - t1 - faceMs - kernelMs, passive: tp - t2, decision: t3 - tp, pack: t4 - t3 };
  }
  const transferables: Transferable[] = [];
  if (points) transferables.push(points.buffer);
  if (buffer) transferables.push(buffer);
  return transfer(out, transferables);
}

const api: WorkerApi = {
  init: guard(async (setup: WorkerSetup): Promise<WorkerInfo> => {
    if (engine) throw new LivecheckError('invalid-argument', 'worker already initialised');
    const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const threads = setup.numThreads > 0 ? setup.numThreads : defaultThreads(isolated);
    // models first: a wrong asset folder then reports the missing model rather than a wasm failure
    const [detector, mesh, iris] = await Promise.all([
      loadModelBytes(new URL('blazeface.onnx', setup.modelUrl), 'blazeface.onnx'),
      loadModelBytes(new URL('facemesh.onnx', setup.modelUrl), 'facemesh.onnx'),
      setup.iris ? loadModelBytes(new URL('iris.onnx', setup.modelUrl), 'iris.onnx') : Promise.resolve(undefined),
    ]);
    const simd = simdSupported();
    const kernelWasm = await fetchBytes(new URL(simd ? 'kernels.simd.wasm' : 'kernels.scalar.wasm', setup.assetUrl).href, 'wasm-unavailable');
    ort.env.wasm.wasmPaths = { wasm: new URL('ort-wasm-simd-threaded.wasm', setup.assetUrl).href, mjs: new URL('ort-wasm-simd-threaded.mjs', setup.assetUrl).href };
    ort.env.logLevel = 'error';
    engine = await LivenessEngine.create({
      plan: setup.plan ?? undefined,
      challenge: setup.challenge,
      guidance: setup.guidance,
      mirrored: setup.mirrored,
      kernels: { wasm: simd ? { simd: kernelWasm } : { scalar: kernelWasm }, simd },
      face: { ort: ort as unknown as OrtModule, models: { detector, mesh, iris }, numThreads: threads, orientations: 'upright' },
    });
    recorder = new AttemptRecorder(setup.plan);
    evidence = setup.evidence ? await EvidenceAttempt.start(setup.evidence, setup.plan, { guidance: setup.guidance, challenge: setup.challenge, mirrored: setup.mirrored }) : null;
    if (profiling) instrument(engine);
    return { simd: engine.kernels.simd, threads, crossOriginIsolated: isolated };
  }),

  analyze: guard(async (frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> => {
    if (!engine || !recorder) {
      if (!('buffer' in frame)) (frame as ImageBitmap | VideoFrame).close();
      throw new LivecheckError('closed', 'the worker has no engine (init failed or closed)');
    }
    // the pixels land in the kernels' input buffer: a second frame must not overwrite it while one is analysed
    if (analyzing) {
      if (!('buffer' in frame)) (frame as ImageBitmap | VideoFrame).close();
      throw new LivecheckError('invalid-argument', 'analyze called while the previous frame is still being analysed');
    }
    analyzing = true;
    try {
      return await analyzeOne(engine, recorder, frame, timestampMs);
    } finally {
      analyzing = false;
    }
  }),

  finish: guard(async () => {
    if (!recorder) return null;
    if (evidence) return evidence.attemptEnded ? null : evidence.close();
    return recorder.attemptEnded ? null : recorder.decide();
  }),

  evidence: guard(async () => (await evidence?.evidence()) ?? null),

  close: guard(async () => {
    const e = engine;
    engine = null;
    recorder = null;
    evidence = null;
    await e?.close();
  }),
};

// onnxruntime-web spawns its pthread workers from this same script: only the top worker speaks Comlink.
if (!(self as unknown as { name?: string }).name?.startsWith('em-pthread')) {
  expose(api);
  // the browser tests' crash hook (protocol.ts): dies outside any Comlink call, as a real fault would
  self.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as CrashTestMessage | null;
    if (!m || m.type !== CRASH_TEST_MESSAGE) return;
    if (m.mode === 'close') self.close();
    else setTimeout(() => { throw new Error('livecheck worker crash (test hook)'); });
  });
}

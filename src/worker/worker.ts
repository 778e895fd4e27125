// The module worker: builds the LivenessEngine from self-hosted assets and analyses transferred frames, so no pixel
// work runs on the main thread. Bundled to dist/worker.js with onnxruntime-web's wasm build inside.
import { expose, transfer } from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { LivenessEngine } from '../engine/engine.js';
import { LivecheckError } from '../errors.js';
import { loadModelBytes, type OrtModule } from '../face/models.js';
import type { PassiveImageFeatures } from '../kernels/passive.js';
import { simdSupported } from '../kernels/wasm.js';
import { AttemptRecorder } from './decision.js';
import { CRASH_TEST_MESSAGE, toWireError, type CrashTestMessage, type FrameOutput, type RgbaBuffer, type WorkerApi, type WorkerInfo, type WorkerSetup } from './protocol.js';

let engine: LivenessEngine | null = null;
let recorder: AttemptRecorder | null = null;
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

/** RGBA pixels of a bitmap or video frame, through one reused OffscreenCanvas. */
function pixelsOf(frame: ImageBitmap | VideoFrame): { width: number; height: number; data: Uint8ClampedArray } {
  const width = 'displayWidth' in frame ? frame.displayWidth : frame.width;
  const height = 'displayHeight' in frame ? frame.displayHeight : frame.height;
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    // willReadFrequently keeps the canvas on the CPU: readback without a GPU round trip
    ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new LivecheckError('invalid-argument', 'OffscreenCanvas 2d context unavailable in this worker');
  }
  ctx!.drawImage(frame, 0, 0);
  frame.close();
  return { width, height, data: ctx!.getImageData(0, 0, width, height).data };
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

const api: WorkerApi = {
  init: guard(async (setup: WorkerSetup): Promise<WorkerInfo> => {
    if (engine) throw new LivecheckError('invalid-argument', 'worker already initialised');
    const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const threads = setup.numThreads > 0 ? setup.numThreads : isolated ? 2 : 1;
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
    return { simd: engine.kernels.simd, threads, crossOriginIsolated: isolated };
  }),

  analyze: guard(async (frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> => {
    if (!engine || !recorder) throw new LivecheckError('closed', 'the worker has no engine (init failed or closed)');
    const t0 = performance.now();
    let pixels: { width: number; height: number; data: Uint8Array | Uint8ClampedArray };
    let buffer: ArrayBuffer | null = null;
    if ('buffer' in frame && frame.buffer instanceof ArrayBuffer) {
      buffer = frame.buffer;
      pixels = { width: frame.width, height: frame.height, data: new Uint8Array(buffer) };
    } else pixels = pixelsOf(frame as ImageBitmap | VideoFrame);
    const r = await engine.analyzeFrame(pixels, timestampMs);
    const face = r.face;
    let points: Float32Array | null = null;
    if (face) {
      points = new Float32Array(face.landmarks.length * 2);
      for (let i = 0; i < face.landmarks.length; i++) {
        points[2 * i] = face.landmarks[i][0];
        points[2 * i + 1] = face.landmarks[i][1];
      }
    }
    // the passive artefact scores of this frame's face (as `livecheck analyze` measures them), for the decision
    const passive = face ? (passiveOut = engine.kernels.passiveFeatures(face.box, passiveOut)) : null;
    const decision = recorder.push(timestampMs, face ? face.landmarks : null, r.geometry, r.analysis.quality, r.challenge, passive);
    const out: FrameOutput = {
      timestampMs,
      width: pixels.width,
      height: pixels.height,
      workerMs: performance.now() - t0,
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
    const transferables: Transferable[] = [];
    if (points) transferables.push(points.buffer);
    if (buffer) transferables.push(buffer);
    return transfer(out, transferables);
  }),

  finish: guard(async () => {
    if (!recorder) return null;
    return recorder.attemptEnded ? null : recorder.decide();
  }),

  close: guard(async () => {
    const e = engine;
    engine = null;
    recorder = null;
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

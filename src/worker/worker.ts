// The module worker: builds the LivenessEngine from self-hosted assets and analyses transferred frames, so no pixel
// work runs on the main thread. Bundled to dist/worker.js with onnxruntime-web's wasm build inside.
import { expose, transfer, wrap, type Remote } from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { LivenessEngine, type EngineFrameResult, type MeshStage } from '../engine/engine.js';
import { LivecheckError } from '../errors.js';
import { EYE_PAIR_OUTPUT } from '../face/landmarker.js';
import { loadModelBytes, type OrtModule } from '../face/models.js';
import type { EyeBatch } from '../face/tracker.js';
import type { PassiveImageFeatures } from '../kernels/passive.js';
import { simdSupported } from '../kernels/wasm.js';
import { AttemptRecorder, EvidenceAttempt } from './decision.js';
import { FaceRecognizer } from '../match/recognizer.js';
import { chipRegion, chipTensor } from '../match/chip.js';
import { MATCH_SIZE } from '../match/align.js';
import { IdentityCapture, resolveIdentityOptions, type ChipDescriber } from '../evidence/identity.js';
import { sha256 } from '../evidence/encoding.js';
import { toHex } from '../util/hex.js';
import { IRIS_WORKER_NAME, type IrisBuffers, type IrisWorkerApi } from './iris-protocol.js';
import { CRASH_TEST_MESSAGE, fromWireError, toWireError, type CrashTestMessage, type FrameOutput, type RgbaBuffer, type WireError, type WorkerApi, type WorkerInfo, type WorkerSetup } from './protocol.js';
import { allInOrder } from '../util/settle.js';

let engine: LivenessEngine | null = null;
let recorder: AttemptRecorder | null = null;
/** The evidence bundle being recorded (WorkerSetup.evidence): it then decides the attempt. */
let evidence: EvidenceAttempt | null = null;
let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
let passiveOut: PassiveImageFeatures | undefined; // reused across frames
/** FaceRecognitionNet for the identity check (facerec.onnx, loaded only with the check on). */
let recognizer: FaceRecognizer | null = null;

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

/** A frame's RGBA pixels: a transferred buffer as it is, a VideoFrame / ImageBitmap through pixelsOf. */
async function framePixels(frame: ImageBitmap | VideoFrame | RgbaBuffer, kernels: LivenessEngine['kernels']): Promise<{ width: number; height: number; data: Uint8Array | Uint8ClampedArray; path: FrameTiming['path']; buffer: ArrayBuffer | null }> {
  if ('buffer' in frame && frame.buffer instanceof ArrayBuffer) {
    return { width: frame.width, height: frame.height, data: new Uint8Array(frame.buffer), path: 'buffer', buffer: frame.buffer };
  }
  const p = await pixelsOf(frame as ImageBitmap | VideoFrame, kernels);
  return { width: p.width, height: p.height, data: p.data, path: p.path, buffer: null };
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
 * onnxruntime threads when the caller leaves it open: 1, or 2 on a crossOriginIsolated page (threads need it) with
 * more than 2 cores. With Iris in its own worker the two workers already fill 2 cores: bench:e2e --ab 3 on 2 shared
 * cores (load 4-11) analysed 22.8-26.2 fps with 1 thread + iris worker against 17.2-27.1 with 2 threads + iris worker,
 * 20.9-27.9 / 13.9-17.7 with in-worker Iris at 1 / 2 threads.
 */
function defaultThreads(isolated: boolean): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency ?? 2 : 2;
  return isolated && cores > 2 ? 2 : 1;
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
  const pixels = await framePixels(frame, engine.kernels);
  const { path, buffer } = pixels;
  // evidence: the digest of the pixels as they arrive (WebCrypto copies them at the call; Chromium hashes them there
  // too, ~1.6 ms for 640x480 RGBA: test/browser/evidence.test.ts), before the engine's next frame can overwrite them
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
  // identity without evidence: the chip is cut here, from this frame's pixels (the evidence session cuts its own)
  const identity = !evidence && !recorder.attemptEnded ? recorder.identity : null;
  const chip = identity ? identity.frame(pixels, timestampMs, face ? face.landmarks : null, face && r.geometry ? r.geometry.pose : null) : null;
  const timing: FrameTiming = { t0, pixels: t1 - t0, path, interpret: t2 - t1 - faceMs - kernelMs, passive: tp - t2, iris: 'local' as const, irisWait: 0, identity: chip ? performance.now() - tp : 0 };
  // awaited before the next frame: the keyframe crop reads these pixels
  const claimed = evidence && digest ? await evidence.push(pixels, r, passive, { sha256: toHex(await digest) }) : null;
  const out = pack(recorder, r, passive, buffer, pixels.width, pixels.height, timing);
  if (evidence) out.decision = claimed; // the verdict the bundle claims and the server replays
  await withIdentityApplied(recorder, out, timing);
  const transferables: Transferable[] = [];
  if (out.points) transferables.push(out.points.buffer);
  if (buffer) transferables.push(buffer);
  return transfer(out, transferables);
}

interface FrameTiming {
  t0: number;
  pixels: number;
  path: 'copyTo' | 'canvas' | 'buffer';
  interpret: number;
  passive: number;
  iris: 'worker' | 'local';
  irisWait: number;
  /** Identity work on this frame so far (chip or face pixels), ms. */
  identity: number;
}

/**
 * On the frame that ends the attempt (no evidence): the chips are described and a changed identity makes the
 * decision `fail`. With evidence the decision already has it (the evidence session judged it before sealing), and
 * the time it took is reported here too.
 */
async function withIdentityApplied(recorder: AttemptRecorder, out: FrameOutput, timing: FrameTiming): Promise<void> {
  const t = performance.now();
  if (out.decision && !evidence && recorder.identity) out.decision = await recorder.applyIdentity(out.decision);
  const describe = !out.decision ? 0 : evidence ? evidence.identityMs : recorder.identity ? performance.now() - t : 0;
  out.identityMs = timing.identity + describe;
  out.workerMs += performance.now() - t;
}

/** The decision and the output object of an analysed frame (both paths). */
function pack(recorder: AttemptRecorder, r: EngineFrameResult, passive: PassiveImageFeatures | null, buffer: ArrayBuffer | null, width: number, height: number, timing: FrameTiming): FrameOutput {
  const tp = performance.now();
  const timestampMs = r.analysis.timestampMs;
  const face = r.face;
  // with evidence on, the evidence attempt decides (the same AttemptLog code the server replays): no second log
  const decision = evidence ? null : recorder.push(timestampMs, face ? face.landmarks : null, r.geometry, r.analysis.quality, r.challenge, passive);
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
    width,
    height,
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
    identityMs: timing.identity,
  };
  const t4 = performance.now();
  out.workerMs = t4 - timing.t0;
  if (irisWorkerError) {
    out.irisWorkerError = irisWorkerError;
    irisWorkerError = undefined;
  }
  if (profiling) {
    out.profile = { pixels: timing.pixels, path: timing.path, face: faceMs, ort: { ...ortTimes }, kernels: kernelMs, interpret: timing.interpret, passive: timing.passive, decision: t3 - tp, pack: t4 - t3, iris: timing.iris, irisWait: timing.irisWait };
  }
  return out;
}

// ---- The pipeline: Iris in a second worker. The next crop needs only the mesh, so frame N's Iris runs there while
// this worker takes frame N+1's pixels, kernels and FaceMesh; frames complete (iris points, interpreter, decision)
// in the order they came. Two frames in flight at most, each with its own recycled slot.

/** A silent iris worker (closed, hung) is dead after this long; a run takes ~15 ms. */
const IRIS_TIMEOUT_MS = 3000;
const SLOTS = 2;

interface Slot {
  stage: MeshStage;
  eyes: EyeBatch;
  /** The copy of the eye crops that crosses to the iris worker (the originals stay for a local rerun). */
  wire: IrisBuffers | null;
  passive: PassiveImageFeatures | undefined;
  busy: boolean;
  /**
   * Identity without evidence: the face's pixels saved in the mesh stage (the next frame's stage overwrites the
   * frame before this one completes), for the chip cut at completion once the pose is known. Grown, never shrunk.
   */
  face: { data: Uint8Array; width: number; height: number; x: number; y: number } | null;
  faceSaved: boolean;
}

/** Copies `region` of an RGBA frame into the slot's face buffer (reused while large enough). */
function saveFace(slot: Slot, frame: { width: number; data: Uint8Array | Uint8ClampedArray }, region: { x: number; y: number; width: number; height: number }): void {
  const bytes = region.width * region.height * 4;
  if (!slot.face || slot.face.data.length < bytes) slot.face = { data: new Uint8Array(bytes), width: 0, height: 0, x: 0, y: 0 };
  const f = slot.face;
  f.width = region.width; f.height = region.height; f.x = region.x; f.y = region.y;
  const row = region.width * 4;
  for (let y = 0; y < region.height; y++) {
    const src = ((region.y + y) * frame.width + region.x) * 4;
    f.data.set(frame.data.subarray(src, src + row), y * row);
  }
  slot.faceSaved = true;
}

interface IrisWorker {
  worker: Worker;
  remote: Remote<IrisWorkerApi>;
  /** Rejecters of the calls under way, for the worker's error event. */
  waiting: Set<(e: LivecheckError) => void>;
}

let irisWorker: IrisWorker | null = null;
let irisWorkerError: WireError | undefined; // reported on the next frame's output
let slots: Slot[] = [];
/** Tail of the mesh stages (one at a time: the pixels and the tracker), and of the completions (frame order). */
let stageTail: Promise<void> = Promise.resolve();
let completeTail: Promise<void> = Promise.resolve();

function acquireStage(): Promise<() => void> {
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const prev = stageTail;
  stageTail = prev.then(() => mine);
  return prev.then(() => release);
}

function withTimeout<T>(p: Promise<T>, ms: number, w: IrisWorker, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (e: LivecheckError) => {
      clearTimeout(timer);
      w.waiting.delete(fail);
      reject(e);
    };
    const timer = setTimeout(() => fail(new LivecheckError('worker-timeout', `the iris worker did not answer ${what} within ${ms} ms`)), ms);
    w.waiting.add(fail);
    p.then((v) => {
      clearTimeout(timer);
      w.waiting.delete(fail);
      resolve(v);
    }, (e: unknown) => fail(fromWireError(e)));
  });
}

/** Starts the iris worker from the asset folder; null (this worker runs Iris) when it cannot. */
async function startIrisWorker(assetUrl: string, model: Uint8Array, kernels: Uint8Array | null): Promise<IrisWorker | null> {
  if (typeof Worker === 'undefined') return null;
  let w: IrisWorker | null = null;
  try {
    const worker = new Worker(new URL('iris-worker.js', assetUrl), { type: 'module', name: IRIS_WORKER_NAME });
    w = { worker, remote: wrap<IrisWorkerApi>(worker), waiting: new Set() };
    const me = w;
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      for (const fail of [...me.waiting]) fail(new LivecheckError('worker-crashed', `the iris worker crashed: ${e.message || 'error event'}`));
    });
    // the kernels are a copy: this worker's own landmark sessions were made from those bytes
    const k = kernels ? kernels.slice() : null;
    await withTimeout(w.remote.init(transfer({ assetUrl, model, numThreads: 1, kernels: k }, k ? [model.buffer, k.buffer] : [model.buffer])), 20_000, w, 'init');
    return w;
  } catch {
    w?.worker.terminate();
    return null;
  }
}

function stopIrisWorker(e: LivecheckError | null): void {
  const w = irisWorker;
  if (!w) return;
  irisWorker = null;
  if (e) irisWorkerError = toWireError(e);
  w.worker.terminate();
  // calls still waiting on it fall back too, without waiting out their timeout
  const gone = e ?? new LivecheckError('closed', 'the iris worker was stopped');
  for (const fail of [...w.waiting]) fail(gone);
}

/** The slot's Iris in the iris worker; on any failure the worker is dropped and this worker runs it. */
async function irisInWorker(engine: LivenessEngine, slot: Slot): Promise<'worker' | 'local'> {
  const w = irisWorker;
  const faces = slot.eyes.faces;
  if (faces === 0) return 'worker'; // nothing to run
  if (w) {
    const n = slot.eyes.input.length / slot.eyes.toImage.length; // one face's eye pair
    try {
      if (!slot.wire) slot.wire = { input: new Float32Array(slot.eyes.input.length), output: new Float32Array(slot.eyes.output.length), faces: 0 };
      const wire = slot.wire;
      wire.input.set(slot.eyes.input.subarray(0, faces * n));
      wire.faces = faces;
      slot.wire = null; // transferred: back with the answer
      const back = await withTimeout(w.remote.run(transfer(wire, [wire.input.buffer, wire.output.buffer])), IRIS_TIMEOUT_MS, w, 'a frame');
      slot.eyes.output.set(back.output.subarray(0, faces * EYE_PAIR_OUTPUT));
      slot.wire = back;
      return 'worker';
    } catch (e) {
      stopIrisWorker(e instanceof LivecheckError ? e : fromWireError(e));
    }
  }
  // this worker's own Iris, between mesh stages (one ORT run at a time here)
  const release = await acquireStage();
  try {
    await engine.tracker.runIris(slot.eyes);
  } finally {
    release();
  }
  return 'local';
}

async function analyzePipelined(engine: LivenessEngine, recorder: AttemptRecorder, slot: Slot, frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> {
  const prevDone = completeTail;
  let finished!: () => void;
  completeTail = new Promise<void>((r) => (finished = r));
  try {
    let buffer: ArrayBuffer | null = null;
    let timing: FrameTiming;
    let passive: PassiveImageFeatures | null = null;
    let width: number, height: number;
    const release = await acquireStage();
    try {
      const t0 = performance.now();
      const pixels = await framePixels(frame, engine.kernels);
      const path = pixels.path;
      buffer = pixels.buffer;
      width = pixels.width;
      height = pixels.height;
      const t1 = performance.now();
      faceMs = kernelMs = 0;
      for (const k in ortTimes) delete ortTimes[k];
      await engine.analyzeMesh(pixels, timestampMs, slot.eyes, slot.stage);
      const t2 = performance.now();
      const face = slot.stage.faces?.faces[0] ?? null;
      passive = face ? (slot.passive = engine.kernels.passiveFeatures(face.box, slot.passive)) : null;
      const tp = performance.now();
      // the frame ahead of this one in the pipeline may still advance the identity schedule: hence `SLOTS - 1`
      slot.faceSaved = false;
      if (face && recorder.identity && !recorder.attemptEnded && recorder.identity.candidate(true, SLOTS - 1)) {
        const region = chipRegion(face.landmarks, pixels.width, pixels.height);
        if (region) saveFace(slot, pixels, region);
      }
      timing = { t0, pixels: t1 - t0, path, interpret: t2 - t1 - faceMs - kernelMs, passive: tp - t2, iris: 'worker', irisWait: 0, identity: slot.faceSaved ? performance.now() - tp : 0 };
    } finally {
      release();
    }
    const ti = performance.now();
    timing.iris = await irisInWorker(engine, slot);
    await prevDone; // frame order
    timing.irisWait = performance.now() - ti;
    const r = engine.completeFrame(slot.stage, slot.eyes);
    if (recorder.identity && !recorder.attemptEnded) {
      const ti0 = performance.now();
      const f = slot.faceSaved ? slot.face : null;
      const face = r.face;
      const chip = recorder.identity.frame(f ? { width: f.width, height: f.height, data: f.data.subarray(0, f.width * f.height * 4) } : null, timestampMs, face ? face.landmarks : null,
        face && r.geometry ? r.geometry.pose : null, f ? f.x : 0, f ? f.y : 0);
      if (chip) timing.identity += performance.now() - ti0;
    }
    const out = pack(recorder, r, passive, buffer, width, height, timing);
    await withIdentityApplied(recorder, out, timing);
    const transferables: Transferable[] = [];
    if (out.points) transferables.push(out.points.buffer);
    if (buffer) transferables.push(buffer);
    return transfer(out, transferables);
  } finally {
    finished();
  }
}

const api: WorkerApi = {
  init: guard(async (setup: WorkerSetup): Promise<WorkerInfo> => {
    if (engine) throw new LivecheckError('invalid-argument', 'worker already initialised');
    const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const threads = setup.numThreads > 0 ? setup.numThreads : defaultThreads(isolated);
    // models first: a wrong asset folder then reports the missing model rather than a wasm failure
    const identitySettings = setup.identity ? resolveIdentityOptions(setup.identity) : null;
    const [detector, mesh, iris, facerec] = await allInOrder<[Uint8Array, Uint8Array, Uint8Array | undefined, Uint8Array | undefined]>([
      loadModelBytes(new URL('blazeface.onnx', setup.modelUrl), 'blazeface.onnx'),
      loadModelBytes(new URL('facemesh.onnx', setup.modelUrl), 'facemesh.onnx'),
      setup.iris ? loadModelBytes(new URL('iris.onnx', setup.modelUrl), 'iris.onnx') : Promise.resolve(undefined),
      // 11 MB: fetched only with the identity check on
      identitySettings ? loadModelBytes(new URL('facerec.onnx', setup.modelUrl), 'facerec.onnx') : Promise.resolve(undefined),
    ]);
    // the iris worker's own copy (transferred to it): ORT may keep a view of the bytes this worker hands it
    // (not with evidence: a keyframe is cropped from its frame's pixels, which the pipeline overwrites with the next)
    const irisCopy = iris && setup.irisWorker !== false && !setup.evidence && typeof Worker !== 'undefined' ? iris.slice() : null;
    const simd = simdSupported();
    const kernelWasm = await fetchBytes(new URL(simd ? 'kernels.simd.wasm' : 'kernels.scalar.wasm', setup.assetUrl).href, 'wasm-unavailable');
    // FaceMesh and Iris on our own kernels (SIMD only); an asset folder without them keeps onnxruntime, as before
    const landmarkKernels = simd && setup.landmarkRuntime !== 'onnxruntime'
      ? await fetchBytes(new URL('nn.simd.wasm', setup.assetUrl).href, 'wasm-unavailable').catch(() => null)
      : null;
    ort.env.wasm.wasmPaths = { wasm: new URL('ort-wasm-simd-threaded.wasm', setup.assetUrl).href, mjs: new URL('ort-wasm-simd-threaded.mjs', setup.assetUrl).href };
    ort.env.logLevel = 'error';
    engine = await LivenessEngine.create({
      plan: setup.plan ?? undefined,
      challenge: setup.challenge,
      guidance: setup.guidance,
      mirrored: setup.mirrored,
      kernels: { wasm: simd ? { simd: kernelWasm } : { scalar: kernelWasm }, simd },
      face: { ort: ort as unknown as OrtModule, models: { detector, mesh, iris }, numThreads: threads, orientations: 'upright', landmarkKernels },
    });
    let describe: ChipDescriber | null = null;
    if (facerec) {
      const rec = (recognizer = await FaceRecognizer.create({ ort: ort as unknown as OrtModule, model: facerec, numThreads: threads }));
      const tensor = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3);
      // one ORT run at a time in this worker: a description waits for the mesh stage of a frame in flight
      describe = async (rgba) => {
        const release = await acquireStage();
        try {
          return await rec.descriptorOfChip(chipTensor(rgba, tensor));
        } finally {
          release();
        }
      };
    }
    recorder = new AttemptRecorder(setup.plan, 240, identitySettings && describe && !setup.evidence ? new IdentityCapture(identitySettings, describe) : null);
    evidence = setup.evidence ? await EvidenceAttempt.start(setup.evidence, setup.plan, { guidance: setup.guidance, challenge: setup.challenge, mirrored: setup.mirrored, ...(identitySettings && { identity: setup.identity! }) }, undefined, describe) : null;
    if (profiling) instrument(engine);
    if (irisCopy) {
      irisWorker = await startIrisWorker(setup.assetUrl, irisCopy, engine.tracker.landmarkRuntime === 'livecheck' ? landmarkKernels : null);
      const e = engine;
      if (irisWorker) slots = Array.from({ length: SLOTS }, () => ({ stage: e.createMeshStage(), eyes: e.tracker.createEyeBatch()!, wire: null, passive: undefined, busy: false, face: null, faceSaved: false }));
    }
    return { simd: engine.kernels.simd, threads, crossOriginIsolated: isolated, landmarkRuntime: engine.tracker.landmarkRuntime };
  }),

  analyze: guard(async (frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> => {
    if (!engine || !recorder) {
      if (!('buffer' in frame)) (frame as ImageBitmap | VideoFrame).close();
      throw new LivecheckError('closed', 'the worker has no engine (init failed or closed)');
    }
    // pipelined (the iris worker started): up to SLOTS frames in flight, mesh stages one at a time, in order
    if (slots.length > 0) {
      const slot = slots.find((s) => !s.busy);
      if (!slot) {
        if (!('buffer' in frame)) (frame as ImageBitmap | VideoFrame).close();
        throw new LivecheckError('invalid-argument', `analyze called with ${SLOTS} frames already in flight`);
      }
      slot.busy = true;
      try {
        return await analyzePipelined(engine, recorder, slot, frame, timestampMs);
      } finally {
        slot.busy = false;
      }
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
    await completeTail; // frames still in the pipeline count
    if (!recorder) return null;
    if (evidence) return evidence.attemptEnded ? null : await evidence.close();
    return recorder.attemptEnded ? null : await recorder.applyIdentity(recorder.decide());
  }),

  evidence: guard(async () => {
    await completeTail;
    return (await evidence?.evidence()) ?? null;
  }),

  depth: guard(async () => (slots.length > 0 && irisWorker ? SLOTS : 1)),

  close: guard(async () => {
    // frames still in the pipeline finish first (the page may close right after stop(), with frames in flight)
    await Promise.race([completeTail, new Promise((r) => setTimeout(r, IRIS_TIMEOUT_MS + 1000))]);
    stopIrisWorker(null);
    slots = [];
    const e = engine;
    engine = null;
    recorder = null;
    evidence = null;
    const rec = recognizer;
    recognizer = null;
    try {
      await e?.close();
    } finally {
      await rec?.close();
    }
  }),
};

// onnxruntime-web spawns its pthread workers from this same script: only the top worker speaks Comlink.
if (!(self as unknown as { name?: string }).name?.startsWith('em-pthread')) {
  expose(api);
  // the browser tests' crash hook (protocol.ts): dies outside any Comlink call, as a real fault would
  self.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as CrashTestMessage | null;
    if (!m || m.type !== CRASH_TEST_MESSAGE) return;
    if (m.target === 'iris') {
      irisWorker?.worker.postMessage({ type: CRASH_TEST_MESSAGE, mode: m.mode });
      return;
    }
    if (m.mode === 'close') self.close();
    else setTimeout(() => { throw new Error('livecheck worker crash (test hook)'); });
  });
}

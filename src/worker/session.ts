// The worker's session: one engine and one attempt per check, built from self-hosted assets, fed transferred frames.
// Frames run either one at a time (the engine's analyzeFrame) or pipelined with Iris in a second worker (the mesh
// stage here, Iris there, completed in frame order). Everything the attempt decides comes from src/attempt, the code
// `livecheck analyze` and the server run.
import { transfer } from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { LivenessEngine, type EngineFrameResult } from '../engine/engine.js';
import { LivecheckError } from '../errors.js';
import { resolveIdentityOptions, type ChipDescriber } from '../evidence/identity.js';
import type { EvidenceBundle } from '../evidence/bundle.js';
import type { LivenessDecision } from '../decision/consensus.js';
import { loadModelBytes, type OrtModule } from '../face/models.js';
import { simdSupported } from '../quality/wasm.js';
import { MATCH_SIZE } from '../match/align.js';
import { chipRegion, chipTensor } from '../match/chip.js';
import { FaceRecognizer } from '../match/recognizer.js';
import { allInOrder } from '../util/settle.js';
import { IrisPipeline, SLOTS, StageLock, saveFace, saveFrame, type Slot } from './iris-pipeline.js';
import { offscreenJpegEncoder } from './jpeg.js';
import { CaptureVideoEncoder } from './capture-video.js';
import type { CaptureVideo, CaptureVideoOptions } from '../evidence/video.js';
import { FrameIntake, discardFrame, type PixelPath } from './pixels.js';
import type { FrameOutput, RgbaBuffer, WorkerInfo, WorkerSetup } from '../protocol/worker.js';

/** Where one frame's worker time went (the output's workerMs and identityMs; a profiling entry reads the rest). */
export interface FrameTiming {
  t0: number;
  pixels: number;
  path: PixelPath;
  /** The engine without the face tracker and the kernels' pass (a profiling entry measures those). */
  engine: number;
  iris: 'worker' | 'local';
  irisWait: number;
  identity: number;
}

/** Hooks of a test or bench entry (profiling); the packaged worker sets none. */
export interface SessionHooks {
  /** The iris worker's script (default: iris-worker.js in the asset folder). */
  irisWorkerUrl?: URL;
  /** Called before each frame's engine work. */
  beforeFrame?(): void;
  /** Called with each frame's output before it is sent. */
  afterFrame?(out: FrameOutput, timing: FrameTiming): void;
}

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

/**
 * onnxruntime threads when the caller leaves it open: 1, or 2 on a crossOriginIsolated page (threads need it) with
 * more than 2 cores. With Iris in its own worker two workers already fill two cores.
 */
function defaultThreads(isolated: boolean): number {
  const cores = typeof navigator !== 'undefined' ? (navigator.hardwareConcurrency ?? 2) : 2;
  return isolated && cores > 2 ? 2 : 1;
}

export class WorkerSession {
  readonly engine: LivenessEngine;
  readonly info: WorkerInfo;
  private readonly intake = new FrameIntake();
  private readonly lock: StageLock;
  private readonly irisPipeline: IrisPipeline | null;
  private readonly recognizer: FaceRecognizer | null;
  private readonly hooks: SessionHooks;
  private analyzing = false;
  /** Tail of the completions: frames complete in the order they came. */
  private completeTail: Promise<void> = Promise.resolve();

  /** The capture video's settings (null: no video); the encoder opens at the first frame, when its size is known. */
  private readonly videoOptions: CaptureVideoOptions | null;
  private videoEncoder: Promise<CaptureVideoEncoder | null> | null = null;
  private videoResult: Promise<CaptureVideo | { missing: string }> | null = null;

  private constructor(
    engine: LivenessEngine,
    info: WorkerInfo,
    lock: StageLock,
    iris: IrisPipeline | null,
    recognizer: FaceRecognizer | null,
    hooks: SessionHooks,
    private readonly recording: boolean,
    video: CaptureVideoOptions | null,
  ) {
    this.videoOptions = video;
    this.engine = engine;
    this.info = info;
    this.lock = lock;
    this.irisPipeline = iris;
    this.recognizer = recognizer;
    this.hooks = hooks;
  }

  static async create(setup: WorkerSetup, hooks: SessionHooks = {}): Promise<WorkerSession> {
    const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const threads = setup.numThreads > 0 ? setup.numThreads : defaultThreads(isolated);
    // models first: a wrong asset folder then reports the missing model rather than a wasm failure
    const identity = setup.identity ? resolveIdentityOptions(setup.identity) : null;
    const [detector, detectorBack, mesh, iris, facerec] = await allInOrder<[Uint8Array, Uint8Array, Uint8Array, Uint8Array | undefined, Uint8Array | undefined]>([
      loadModelBytes(new URL('blazeface.onnx', setup.modelUrl), 'blazeface.onnx'),
      // the periodic scan for someone else in view (small faces)
      loadModelBytes(new URL('blazeface-back.onnx', setup.modelUrl), 'blazeface-back.onnx'),
      loadModelBytes(new URL('facemesh.onnx', setup.modelUrl), 'facemesh.onnx'),
      setup.iris ? loadModelBytes(new URL('iris.onnx', setup.modelUrl), 'iris.onnx') : Promise.resolve(undefined),
      // fetched only with the identity check on
      identity ? loadModelBytes(new URL('facerec.onnx', setup.modelUrl), 'facerec.onnx') : Promise.resolve(undefined),
    ]);
    // the iris worker's own copy (transferred to it): ORT may keep a view of the bytes this worker hands it
    const irisCopy = iris && setup.irisWorker !== false && typeof Worker !== 'undefined' ? iris.slice() : null;
    const simd = simdSupported();
    const kernelWasm = await fetchBytes(new URL(simd ? 'kernels.simd.wasm' : 'kernels.scalar.wasm', setup.assetUrl).href, 'wasm-unavailable');
    // FaceMesh and Iris on our own kernels (SIMD only); an asset folder without them keeps onnxruntime
    const landmarkKernels = simd && setup.landmarkRuntime !== 'onnxruntime' ? await fetchBytes(new URL('nn.simd.wasm', setup.assetUrl).href, 'wasm-unavailable').catch(() => null) : null;
    ort.env.wasm.wasmPaths = { wasm: new URL('ort-wasm-simd-threaded.wasm', setup.assetUrl).href, mjs: new URL('ort-wasm-simd-threaded.mjs', setup.assetUrl).href };
    ort.env.logLevel = 'error';
    const lock = new StageLock();
    let recognizer: FaceRecognizer | null = null;
    let describe: ChipDescriber | null = null;
    if (facerec) {
      const rec = (recognizer = await FaceRecognizer.create({ ort: ort as unknown as OrtModule, model: facerec, numThreads: threads }));
      const tensor = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3);
      // one ORT run at a time in this worker: a description waits for the mesh stage of a frame in flight
      describe = async (rgba) => {
        const release = await lock.acquire();
        try {
          return await rec.descriptorOfChip(chipTensor(rgba, tensor));
        } finally {
          release();
        }
      };
    }
    let engine: LivenessEngine;
    // the attempt asks for the video when it is sealed: by then the session below exists
    let session: WorkerSession | null = null;
    const video = async (): Promise<CaptureVideo | { missing: string }> => (session ? session.video() : { missing: 'the capture ended before it started' });
    try {
      const ev = setup.evidence;
      engine = await LivenessEngine.create({
        plan: setup.plan,
        challenge: setup.challenge,
        guidance: setup.guidance,
        actions: setup.actions,
        decision: setup.decision,
        mirrored: setup.mirrored,
        ...(identity && describe && { identity: setup.identity!, describe }),
        // without a plan the attempt never ends: a long preview keeps a bounded window
        window: 240,
        evidence: ev ? { nonce: ev.nonce, document: ev.document, encodeJpeg: offscreenJpegEncoder(ev.jpegQuality), video: () => video() } : null,
        kernels: { wasm: simd ? { simd: kernelWasm } : { scalar: kernelWasm }, simd },
        face: { ort: ort as unknown as OrtModule, models: { detector, detectorBack, mesh, iris }, numThreads: threads, orientations: 'upright', landmarkKernels },
      });
    } catch (e) {
      await recognizer?.close();
      throw e;
    }
    const pipeline = irisCopy
      ? await IrisPipeline.start(
          hooks.irisWorkerUrl ?? new URL('iris-worker.js', setup.assetUrl),
          setup.assetUrl,
          irisCopy,
          engine.tracker.landmarkRuntime === 'livecheck' ? landmarkKernels : null,
          engine,
        )
      : null;
    const info: WorkerInfo = { simd: engine.kernels.simd, threads, crossOriginIsolated: isolated, landmarkRuntime: engine.tracker.landmarkRuntime, irisWorker: pipeline !== null };
    session = new WorkerSession(engine, info, lock, pipeline, recognizer, hooks, !!setup.evidence, setup.evidence?.video ?? null);
    return session;
  }

  /** The iris pipeline, when Iris runs in its own worker. */
  get iris(): IrisPipeline | null {
    return this.irisPipeline;
  }

  /** Frames the page may have in flight at once. */
  get depth(): number {
    return this.irisPipeline ? SLOTS : 1;
  }

  async analyze(frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> {
    if (this.irisPipeline) {
      const slot = this.irisPipeline.slots.find((s) => !s.busy);
      if (!slot) {
        discardFrame(frame);
        throw new LivecheckError('invalid-argument', `analyze called with ${SLOTS} frames already in flight`);
      }
      slot.busy = true;
      try {
        return await this.pipelined(this.irisPipeline, slot, frame, timestampMs);
      } finally {
        slot.busy = false;
      }
    }
    // the pixels land in the kernels' input buffer: a second frame must not overwrite it while one is analysed
    if (this.analyzing) {
      discardFrame(frame);
      throw new LivecheckError('invalid-argument', 'analyze called while the previous frame is still being analysed');
    }
    this.analyzing = true;
    try {
      return await this.one(frame, timestampMs);
    } finally {
      this.analyzing = false;
    }
  }

  private async one(frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> {
    const e = this.engine;
    const t0 = performance.now();
    const pixels = await this.intake.read(frame, (w, h) => e.kernels.inputBuffer(w, h));
    await this.encodeFrame(pixels, timestampMs);
    const t1 = performance.now();
    const identity0 = e.attempt.identityMs;
    this.hooks.beforeFrame?.();
    const r = await e.analyzeFrame(pixels, timestampMs);
    const timing: FrameTiming = { t0, pixels: t1 - t0, path: pixels.path, engine: performance.now() - t1, iris: 'local', irisWait: 0, identity: e.attempt.identityMs - identity0 };
    return this.output(r, pixels.buffer, pixels.width, pixels.height, timing);
  }

  private async pipelined(iris: IrisPipeline, slot: Slot, frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput> {
    const e = this.engine;
    const prevDone = this.completeTail;
    let finished!: () => void;
    this.completeTail = new Promise<void>((r) => (finished = r));
    try {
      let timing: FrameTiming;
      let buffer: ArrayBuffer | null, width: number, height: number;
      const release = await this.lock.acquire();
      try {
        const t0 = performance.now();
        const pixels = await this.intake.read(frame, (w, h) => e.kernels.inputBuffer(w, h));
        ({ buffer, width, height } = pixels);
        const t1 = performance.now();
        this.hooks.beforeFrame?.();
        await e.analyzeMesh(pixels, timestampMs, slot.eyes, slot.stage);
        const t2 = performance.now();
        // the frame ahead of this one in the pipeline may still advance the identity schedule: hence `SLOTS - 1`
        const face = slot.stage.faces?.faces[0] ?? null;
        slot.faceSaved = false;
        // recording evidence: the whole frame waits in the slot for the video and the keyframes (copied again only
        // by the encoder); else only the face, when an identity chip may be due
        if (this.recording) saveFrame(slot, pixels);
        else if (face && e.attempt.identityCandidate(SLOTS - 1)) {
          const region = chipRegion(face.landmarks, pixels.width, pixels.height);
          if (region) saveFace(slot, pixels, region);
        }
        timing = { t0, pixels: t1 - t0, path: pixels.path, engine: t2 - t1, iris: 'worker', irisWait: 0, identity: slot.faceSaved ? performance.now() - t2 : 0 };
      } finally {
        release();
      }
      const ti = performance.now();
      timing.iris = await iris.run(e, slot, this.lock);
      await prevDone; // frame order
      timing.irisWait = performance.now() - ti;
      const f = slot.faceSaved ? slot.face : null;
      const whole = this.recording ? slot.frame : null;
      // in frame order: the frames the attempt takes, up to the one that ends it, and no later one
      if (whole) await this.encodeFrame(whole, timestampMs);
      const identity0 = e.attempt.identityMs;
      const tc = performance.now();
      const r = await e.completeFrame(slot.stage, slot.eyes, f ? { image: { width: f.width, height: f.height, data: f.data.subarray(0, f.width * f.height * 4) }, x: f.x, y: f.y } : null, whole);
      timing.engine += performance.now() - tc;
      timing.identity += e.attempt.identityMs - identity0;
      return this.output(r, buffer, width, height, timing);
    } finally {
      finished();
    }
  }

  /** Encodes a frame the attempt is about to take into the capture video (with evidence video on). */
  private async encodeFrame(pixels: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }, timestampMs: number): Promise<void> {
    // the attempt's frames only: the video ends with the frame that ends the attempt
    if (!this.videoOptions || this.engine.attempt.ended) return;
    // an encoder that cannot start is no encoder: the capture goes on without video
    this.videoEncoder ??= CaptureVideoEncoder.open(pixels.width, pixels.height, this.videoOptions).catch(() => null);
    (await this.videoEncoder)?.encode(pixels, timestampMs);
  }

  /** The frame's output for the page: copied out of the engine's reused result, the points and buffer transferred. */
  private output(r: EngineFrameResult, buffer: ArrayBuffer | null, width: number, height: number, timing: FrameTiming): FrameOutput {
    const face = r.face;
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
      timestampMs: r.analysis.timestampMs,
      width,
      height,
      workerMs: performance.now() - timing.t0,
      face: face ? { box: { ...face.box }, score: face.score } : null,
      points,
      quality: r.analysis.quality,
      geometry: r.geometry,
      guidance: r.guidance,
      challenge: [...r.challenge],
      actions: [...r.actions],
      decision: r.decision,
      buffer,
      identityMs: timing.identity,
    };
    const irisError = this.irisPipeline?.takeError();
    if (irisError) out.irisWorkerError = irisError;
    this.hooks.afterFrame?.(out, timing);
    const transferables: Transferable[] = [];
    if (points) transferables.push(points.buffer);
    if (buffer) transferables.push(buffer);
    return transfer(out, transferables);
  }

  /** Ends the stream: the decision from what was seen, unless the challenge already ended the attempt on a frame. */
  async finish(): Promise<LivenessDecision | null> {
    await this.completeTail; // frames still in the pipeline count
    if (this.engine.attempt.ended) return null;
    return (await this.engine.attempt.finish()).decision;
  }

  /** The sealed evidence bundle (null without evidence, or before the attempt is decided). */
  async evidence(): Promise<EvidenceBundle | null> {
    await this.completeTail;
    return (await this.engine.attempt.evidence()) ?? null;
  }

  /**
   * The capture video of the attempt's frames, or why there is none. Called by the attempt as it is sealed (on the
   * frame that ends it, after that frame was encoded), so it does not wait for frames in flight.
   */
  private video(): Promise<CaptureVideo | { missing: string }> {
    if (!this.videoOptions) return Promise.resolve({ missing: 'video turned off (evidence.video: false)' });
    if (!this.videoEncoder) return Promise.resolve({ missing: 'no frame was encoded' });
    this.videoResult ??= this.videoEncoder.then(
      (v): Promise<CaptureVideo | { missing: string }> => (v ? v.finish() : Promise.resolve({ missing: 'this browser has no VideoEncoder for VP8, VP9 or H.264' })),
    );
    return this.videoResult;
  }

  async close(): Promise<void> {
    // frames still in the pipeline finish first (the page may close right after stop(), with frames in flight); they
    // may still encode their pixels, so the encoder closes after them
    await Promise.race([this.completeTail, new Promise((r) => setTimeout(r, 4000))]);
    void this.videoEncoder?.then((v) => v?.close());
    this.irisPipeline?.stop(null);
    try {
      await this.engine.close();
    } finally {
      await this.recognizer?.close();
    }
  }
}

// Iris in a second worker: the next crop needs only the mesh, so frame N's Iris runs there while this worker takes
// frame N+1's pixels, kernels and FaceMesh; frames complete (iris points, attempt) in the order they came. Two frames
// in flight at most, each with its own recycled slot. If the iris worker fails (crash, close, silence) it is dropped
// and this worker runs Iris itself: a typed error on the next frame's output, no hang, no lost frame.
import { transfer, wrap, type Remote } from 'comlink';
import type { LivenessEngine, MeshStage } from '../engine/engine.js';
import { LivecheckError } from '../errors.js';
import { EYE_PAIR_OUTPUT } from '../face/landmarker.js';
import type { EyeBatch } from '../face/tracker.js';
import { IRIS_WORKER_NAME, type IrisBuffers, type IrisWorkerApi } from '../protocol/iris.js';
import { fromWireError, toWireError, type WireError } from '../protocol/worker.js';

/** A silent iris worker (closed, hung) is dead after this long; a run takes a few ms. */
export const IRIS_TIMEOUT_MS = 3000;
/** Frames in flight at once while pipelined. */
export const SLOTS = 2;

export interface Slot {
  stage: MeshStage;
  eyes: EyeBatch;
  /** The copy of the eye crops that crosses to the iris worker (the originals stay for a local rerun). */
  wire: IrisBuffers | null;
  busy: boolean;
  /**
   * The face's pixels saved at the mesh stage for an identity chip (the next frame's stage overwrites the frame
   * before this one completes), cut at completion once the pose is known. Grown, never shrunk.
   */
  face: { data: Uint8Array; width: number; height: number; x: number; y: number } | null;
  faceSaved: boolean;
  /**
   * With evidence, the whole frame saved at the mesh stage: it is encoded into the capture video and keyframes are
   * cut from it at completion, in frame order, once it is known whether the attempt took the frame. Exactly the
   * frame's size: reallocated only when the frame size changes, so it is handed on as it is.
   */
  frame: { data: Uint8Array; width: number; height: number } | null;
}

interface IrisWorker {
  worker: Worker;
  remote: Remote<IrisWorkerApi>;
  /** Rejecters of the calls under way, for the worker's error event. */
  waiting: Set<(e: LivecheckError) => void>;
}

/** One ORT run at a time in this worker: mesh stages, a local Iris and identity descriptions queue here. */
export class StageLock {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => mine);
    return prev.then(() => release);
  }
}

export class IrisPipeline {
  readonly slots: Slot[];
  private irisWorker: IrisWorker | null;
  /** Why the iris worker failed, reported once on the next frame's output. */
  private failure: WireError | undefined;

  private constructor(worker: IrisWorker, engine: LivenessEngine) {
    this.irisWorker = worker;
    this.slots = Array.from({ length: SLOTS }, () => ({ stage: engine.createMeshStage(), eyes: engine.tracker.createEyeBatch()!, wire: null, busy: false, face: null, faceSaved: false, frame: null }));
  }

  /** Starts the iris worker (`url`); null when it cannot (this worker then runs Iris unpipelined). */
  static async start(url: URL, assetUrl: string, model: Uint8Array, kernels: Uint8Array | null, engine: LivenessEngine): Promise<IrisPipeline | null> {
    if (typeof Worker === 'undefined' || !engine.tracker.createEyeBatch()) return null;
    let w: IrisWorker | null = null;
    let pipeline: IrisPipeline | null = null;
    try {
      const worker = new Worker(url, { type: 'module', name: IRIS_WORKER_NAME });
      w = { worker, remote: wrap<IrisWorkerApi>(worker), waiting: new Set() };
      const me = w;
      worker.addEventListener('error', (e) => {
        e.preventDefault();
        const crashed = new LivecheckError('worker-crashed', `the iris worker crashed: ${e.message || 'error event'}`);
        for (const fail of [...me.waiting]) fail(crashed);
        // between frames too: a worker that threw is not trusted with the next frame (reported on it, Iris runs here)
        pipeline?.stop(crashed);
      });
      // the kernels are a copy: this worker's own landmark sessions were made from those bytes
      const k = kernels ? kernels.slice() : null;
      await withTimeout(w.remote.init(transfer({ assetUrl, model, numThreads: 1, kernels: k }, k ? [model.buffer, k.buffer] : [model.buffer])), 20_000, w, 'init');
      pipeline = new IrisPipeline(w, engine);
      return pipeline;
    } catch {
      w?.worker.terminate();
      return null;
    }
  }

  /** The iris worker, for a test or bench entry that talks to it directly. */
  get worker(): Worker | null {
    return this.irisWorker?.worker ?? null;
  }

  /** The iris worker's failure since the last call, if any (then cleared). */
  takeError(): WireError | undefined {
    const e = this.failure;
    this.failure = undefined;
    return e;
  }

  /** The slot's Iris in the iris worker; on any failure the worker is dropped and `lock`'s holder runs it here. */
  async run(engine: LivenessEngine, slot: Slot, lock: StageLock): Promise<'worker' | 'local'> {
    const w = this.irisWorker;
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
        this.stop(e instanceof LivecheckError ? e : fromWireError(e));
      }
    }
    // this worker's own Iris, between mesh stages
    const release = await lock.acquire();
    try {
      await engine.tracker.runIris(slot.eyes);
    } finally {
      release();
    }
    return 'local';
  }

  /** Stops the iris worker; `e`: why (reported on the next frame), null for a normal stop. */
  stop(e: LivecheckError | null): void {
    const w = this.irisWorker;
    if (!w) return;
    this.irisWorker = null;
    if (e) this.failure = toWireError(e);
    w.worker.terminate();
    // calls still waiting on it fall back too, without waiting out their timeout
    const gone = e ?? new LivecheckError('closed', 'the iris worker was stopped');
    for (const fail of [...w.waiting]) fail(gone);
  }
}

/** Copies `region` of an RGBA frame into the slot's face buffer (reused while large enough). */
export function saveFace(slot: Slot, frame: { width: number; data: Uint8Array | Uint8ClampedArray }, region: { x: number; y: number; width: number; height: number }): void {
  const bytes = region.width * region.height * 4;
  if (!slot.face || slot.face.data.length < bytes) slot.face = { data: new Uint8Array(bytes), width: 0, height: 0, x: 0, y: 0 };
  const f = slot.face;
  f.width = region.width;
  f.height = region.height;
  f.x = region.x;
  f.y = region.y;
  const row = region.width * 4;
  for (let y = 0; y < region.height; y++) {
    const src = ((region.y + y) * frame.width + region.x) * 4;
    f.data.set(frame.data.subarray(src, src + row), y * row);
  }
  slot.faceSaved = true;
}

/** Copies the whole frame into the slot (see Slot.frame). */
export function saveFrame(slot: Slot, frame: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): void {
  const { width, height } = frame;
  if (slot.frame?.width !== width || slot.frame.height !== height) slot.frame = { data: new Uint8Array(width * height * 4), width, height };
  slot.frame.data.set(frame.data.subarray(0, slot.frame.data.length));
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
    p.then(
      (v) => {
        clearTimeout(timer);
        w.waiting.delete(fail);
        resolve(v);
      },
      (e: unknown) => fail(fromWireError(e)),
    );
  });
}

// What crosses the worker boundary: plain, structured-cloneable data only. Shared by the worker entry and the
// main-thread API so both sides agree on one shape.
import type { ChallengeConfigInput } from '../challenge/config.js';
import type { ChallengePlan } from '../challenge/plan.js';
import type { ChallengeEvent } from '../challenge/session.js';
import type { DetectedAction } from '../challenge/action-detector.js';
import type { LivenessDecision } from '../decision/consensus.js';
import { LivecheckError, type LivecheckErrorCode } from '../errors.js';
import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { GuidanceState, GuidanceTrackerOptions } from '../guidance/tracker.js';
import type { Box, QualityMetrics } from '../types.js';
import type { DocumentBinding, EvidenceBundle } from '../evidence/bundle.js';
import type { CaptureVideoOptions } from '../evidence/video.js';
import type { IdentityOptions } from '../evidence/identity.js';
import type { ActionDetectorConfig } from '../challenge/action-detector.js';
import type { DecisionConfigInput } from '../decision/config.js';
import { transferHandlers } from 'comlink';

/** What the worker needs to record the evidence bundle (WorkerSetup.evidence). */
export interface WorkerEvidenceSetup {
  /** The server's nonce: the one the challenge plan was derived from. */
  nonce: string;
  document: DocumentBinding;
  /** JPEG quality of the keyframes, 0..1. Default 0.85. */
  jpegQuality?: number;
  /** Encode the analysed frames as video into the bundle (null or absent: a bundle without video). */
  video?: CaptureVideoOptions | null;
}

/** Everything the worker needs to build the engine. URLs are absolute (resolved on the main thread). */
export interface WorkerSetup {
  /** Folder with kernels.simd.wasm, kernels.scalar.wasm and ort-wasm-simd-threaded.wasm. */
  assetUrl: string;
  /** Folder with blazeface.onnx, blazeface-back.onnx, facemesh.onnx and iris.onnx. */
  modelUrl: string;
  /** ORT threads; 0 = 2 when crossOriginIsolated, else 1. */
  numThreads: number;
  /** Load the iris model (eye contours for blinks). */
  iris: boolean;
  /** Run Iris in a second worker (iris-worker.js in the asset folder), pipelined with the next frame's mesh. Default
   *  true; the worker falls back to its own Iris when that worker cannot start or dies. */
  irisWorker?: boolean;
  /** Where FaceMesh and Iris run: `livecheck` (default: nn.simd.wasm from the asset folder, where wasm SIMD is
   *  supported) or `onnxruntime`. */
  landmarkRuntime?: 'livecheck' | 'onnxruntime';
  plan: ChallengePlan | null;
  challenge?: ChallengeConfigInput;
  guidance?: GuidanceTrackerOptions;
  actions?: Partial<ActionDetectorConfig>;
  decision?: DecisionConfigInput;
  mirrored: boolean;
  /** Record the evidence bundle (needs `plan`); the attempt is then decided by the code the server replays. */
  evidence?: WorkerEvidenceSetup;
  /** The identity check's settings (facerec.onnx from `modelUrl`, loaded only then); null or absent: off. */
  identity?: IdentityOptions | null;
}

export interface WorkerInfo {
  simd: boolean;
  threads: number;
  crossOriginIsolated: boolean;
  /** Where FaceMesh runs: livecheck's kernels, or onnxruntime (asked for, no wasm SIMD, or nn.simd.wasm missing). */
  landmarkRuntime: 'livecheck' | 'onnxruntime';
  /** Whether Iris runs in its own worker, pipelined with the next frame's FaceMesh (as started; see `irisWorker`). */
  irisWorker: boolean;
}

/** An RGBA frame as a buffer: transferred to the worker and transferred back in `FrameOutput.buffer` for reuse. */
export interface RgbaBuffer {
  width: number;
  height: number;
  buffer: ArrayBuffer;
}

/** One analysed frame as the main thread sees it. */
export interface FrameOutput {
  timestampMs: number;
  width: number;
  height: number;
  /** Time the worker spent on this frame (pixels out of the bitmap + engine), ms. */
  workerMs: number;
  face: { box: Box; score: number } | null;
  /** Landmarks of the main face as x, y pairs in frame pixels (468 mesh + 10 iris when present). */
  points: Float32Array | null;
  quality: QualityMetrics;
  geometry: FaceGeometry | null;
  guidance: GuidanceState;
  challenge: ChallengeEvent[];
  actions: DetectedAction[];
  /** The decision, on the frame where the challenge attempt ended. */
  decision: LivenessDecision | null;
  /**
   * Worker time this frame spent on the identity check, ms (included in workerMs): cutting a face chip (or saving
   * the face's pixels when pipelined) on the frames read, and on the frame that ends the attempt describing the
   * chips (FaceRecognitionNet). 0 on other frames and with the check off.
   */
  identityMs: number;
  /** The caller's buffer, handed back when the frame came as an RgbaBuffer. */
  buffer: ArrayBuffer | null;
  /** Where the worker's time went on this frame; only when the worker runs with `?profile` in its URL. */
  profile?: WorkerProfile;
  /** On the first frame after the iris worker failed (crashed, closed or silent): why. The worker then runs Iris
   *  itself; this frame and the ones after it are complete. */
  irisWorkerError?: WireError;
}

/** One frame's worker time by stage, ms: filled only by the profiling worker of the benchmarks and tests. */
export interface WorkerProfile {
  /** Frame to RGBA: VideoFrame.copyTo into the kernels' input buffer, or the canvas fallback. */
  pixels: number;
  /** How the pixels came: 'copyTo' (VideoFrame, no allocation), 'canvas' (getImageData) or 'buffer' (caller's RGBA). */
  path: 'copyTo' | 'canvas' | 'buffer';
  /** Face tracker, all of it (detector when it runs, FaceMesh, Iris, crops). */
  face: number;
  /** onnxruntime session.run time by model input shape (e.g. '1x192x192x3'), summed over this frame's runs. */
  ort: Record<string, number>;
  /** The quality kernels' pass. */
  kernels: number;
  /** The rest of the engine: region cues, passive scores, the attempt (interpretation, challenge, signals). */
  interpret: number;
  /** Where this frame's Iris ran: 'worker' (the iris worker, pipelined), 'local' (this worker). */
  iris: 'worker' | 'local';
  /** Pipelined frames: ms from the end of the mesh stage until the iris points were back (0 when local). */
  irisWait: number;
}

/** A LivecheckError as it crosses postMessage (an Error's own fields do not survive Comlink). */
export interface WireError {
  livecheck: true;
  code: LivecheckErrorCode;
  message: string;
  detail?: Record<string, unknown>;
}

export function toWireError(e: unknown, fallback: LivecheckErrorCode = 'worker-crashed'): WireError {
  if (e instanceof LivecheckError) return { livecheck: true, code: e.code, message: e.message, detail: e.detail ? { ...e.detail } : undefined };
  return { livecheck: true, code: fallback, message: e instanceof Error ? e.message : String(e) };
}

export function fromWireError(e: unknown, fallback: LivecheckErrorCode = 'worker-crashed'): LivecheckError {
  if (e instanceof LivecheckError) return e;
  if (e && typeof e === 'object' && (e as WireError).livecheck === true) {
    const w = e as WireError;
    return new LivecheckError(w.code, w.message, w.detail);
  }
  return new LivecheckError(fallback, e instanceof Error ? e.message : String(e), undefined, { cause: e });
}

/** The worker's Comlink surface. */
export interface WorkerApi {
  init(setup: WorkerSetup): Promise<WorkerInfo>;
  analyze(frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameOutput>;
  /** Ends the stream: the decision with what was seen (when no attempt ended on a frame). */
  finish(): Promise<LivenessDecision | null>;
  /** The evidence bundle, once the attempt ended or `finish` closed it (null: no evidence asked, or not yet). */
  evidence(): Promise<EvidenceBundle | null>;
  close(): Promise<void>;
  /** Frames the page may have in flight at once: 2 while Iris runs in the iris worker (pipelined), else 1. */
  depth(): Promise<number>;
}

/**
 * LivecheckErrors cross the worker boundary as themselves (code, message, detail): Comlink's `throw` handler keeps
 * only an Error's message and name, so both ends install this one. Anything else thrown arrives as `worker-crashed`.
 * Idempotent.
 */
export function installErrorTransfer(): void {
  const base = transferHandlers.get('throw');
  if (!base || (base as { livecheck?: true }).livecheck) return;
  const handler = {
    livecheck: true as const,
    canHandle: base.canHandle,
    serialize({ value }: { value: unknown }): [unknown, Transferable[]] {
      return [toWireError(value), []];
    },
    deserialize(wire: unknown): never {
      throw fromWireError(wire);
    },
  };
  transferHandlers.set('throw', handler as unknown as typeof base);
}

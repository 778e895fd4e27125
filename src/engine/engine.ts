// LivenessEngine: one frame in, everything the check needs out. Face first (tracker), then the quality kernels on
// this frame's face box and the region cues on this frame's landmarks, then the pure interpreter (geometry, guidance,
// challenge, actions). Environment-agnostic: the kernel wasm, the ORT module and the model bytes come in as inputs,
// so the same engine runs in Node (createNodeEngine) and in a browser worker.

import { LivecheckError } from '../errors.js';
import { FaceTracker, type EyeBatch, type FaceResult, type FaceTrackerOptions, type TrackedFace } from '../face/tracker.js';
import type { FaceWithContours } from '../geometry/face-geometry.js';
import { createKernels, type Kernels, type KernelsOptions } from '../kernels/index.js';
import { checkFrame, type PixelData } from '../kernels/regions.js';
import type { Box, FrameAnalysis, QualityMetrics } from '../types.js';
import { FrameInterpreter, checkTimestamp, type FrameInterpretation, type FrameInterpreterOptions } from './interpreter.js';
import { FaceRegionMeter, type FaceRegionMeterOptions } from './regions.js';
import type { SessionCues } from '../challenge/session.js';
import type { FaceRegionStats } from '../geometry/face-geometry.js';

export interface EngineFrame {
  width: number;
  height: number;
  /** RGBA, width * height * 4 bytes. */
  data: PixelData;
}

export interface LivenessEngineOptions extends FrameInterpreterOptions {
  /** The kernel module(s) and quality options, as for createKernels. */
  kernels: KernelsOptions;
  /** The face tracker: ORT module, model bytes (or paths / URLs) and tracking options. */
  face: FaceTrackerOptions;
  /** Measure the eye / mouth / cheek pixel cues for the occlusion checks (false: none). Default true. */
  regionCues?: boolean | FaceRegionMeterOptions;
}

/** Everything about one frame. The object and its parts are reused: valid until the next analyzeFrame call. */
export interface EngineFrameResult extends FrameInterpretation {
  analysis: FrameAnalysis;
  /** The main face with the iris model's eye contours (null without a face). */
  face: TrackedFace | null;
  /** Pixel cues of the main face's regions (null without a face or with regionCues off). */
  regions: FaceRegionStats | null;
  /** Whether the face detector ran on this frame (rather than tracking alone). */
  detectorRan: boolean;
}

/**
 * The pixel half of one frame on the split path (the browser worker's pipeline): everything that reads the frame,
 * made by `analyzeMesh`, finished by `completeFrame` once the frame's iris has run. Recycled by the caller (one per
 * frame in flight, from createMeshStage).
 */
export interface MeshStage {
  timestampMs: number;
  width: number;
  height: number;
  faces: FaceResult | null;
  quality: QualityMetrics | undefined;
  /** The region cues, copied: the meter's own object belongs to the next frame by the time this one completes. */
  regions: FaceRegionStats | null;
  readonly box: Box;
}

export class LivenessEngine {
  readonly kernels: Kernels;
  readonly tracker: FaceTracker;
  readonly interpreter: FrameInterpreter;
  private readonly regionMeter: FaceRegionMeter | null;
  private readonly box: Box = { x: 0, y: 0, width: 0, height: 0 };
  private readonly result: EngineFrameResult;
  private closed = false;
  private busy = false;
  /** Newest timestamp analyzeMesh accepted: with frames in flight the interpreter has not seen it yet. */
  private stagedMs = -Infinity;

  private constructor(kernels: Kernels, tracker: FaceTracker, options: LivenessEngineOptions) {
    this.kernels = kernels;
    this.tracker = tracker;
    this.interpreter = new FrameInterpreter(options);
    this.regionMeter = options.regionCues === false ? null : new FaceRegionMeter(options.regionCues === true ? {} : options.regionCues);
    // quality starts unset: the first quality pass creates the object, later passes refill it
    const analysis: FrameAnalysis = { timestampMs: NaN, width: 0, height: 0, quality: undefined as unknown as QualityMetrics, faces: [] };
    this.result = { analysis, face: null, regions: null, detectorRan: false, geometry: null, guidance: undefined as never, challenge: [], actions: [] };
  }

  static async create(options: LivenessEngineOptions): Promise<LivenessEngine> {
    const kernels = await createKernels(options.kernels);
    const tracker = await FaceTracker.create(options.face);
    return new LivenessEngine(kernels, tracker, options);
  }

  /** The challenge session when a plan was given. */
  get session() {
    return this.interpreter.session;
  }

  /**
   * Analyses one RGBA frame taken at `timestampMs` (monotonic, increasing). Bad input throws a LivecheckError
   * (`invalid-frame-size`, `empty-buffer`, `detached-buffer`, `invalid-argument` for a non-finite or repeated
   * timestamp) before any state changes, so the next good frame carries on; `closed` after close().
   */
  async analyzeFrame(frame: EngineFrame, timestampMs: number): Promise<EngineFrameResult> {
    if (this.closed) throw new LivecheckError('closed', 'LivenessEngine used after close()');
    if (frame === null || typeof frame !== 'object') throw new LivecheckError('invalid-argument', 'a frame needs width, height and RGBA data');
    checkFrame(frame.data, frame.width, frame.height, 4);
    checkTimestamp(timestampMs, this.interpreter.lastTimestampMs);
    // the tracker is async: a second frame while one is in flight would interleave tracking state
    if (this.busy) throw new LivecheckError('invalid-argument', 'analyzeFrame called while the previous frame is still being analysed');
    this.busy = true;
    try {
      // Face first: the kernels then measure this frame's face box (no one-frame lag on a moving head) and the
      // region cues need this frame's landmarks anyway.
      const faces = await this.tracker.detect(frame, timestampMs);
      const main = faces.faces[0] ?? null;
      const box = main ? clampBox(main.box, frame.width, frame.height, this.box) : null;
      const q = this.kernels.qualityPass(frame.data, frame.width, frame.height, box, this.result.analysis.quality);
      const regions = main && box && this.regionMeter ? this.regionMeter.measure(this.kernels, main.landmarks, frame.width, frame.height) : null;
      return this.interpret(timestampMs, frame.width, frame.height, q, faces, regions);
    } finally {
      this.busy = false;
    }
  }

  createMeshStage(): MeshStage {
    return { timestampMs: NaN, width: 0, height: 0, faces: null, quality: undefined, regions: null, box: { x: 0, y: 0, width: 0, height: 0 } };
  }

  /**
   * The split path, first half: `analyzeFrame`'s tracking (mesh only: the eye crops go into `eyes`), quality pass and
   * region cues, into `stage`. The frame's pixels are free afterwards; run the iris model on `eyes` (here with
   * `tracker.runIris`, or in another worker) and then `completeFrame(stage, eyes)`. The next frame may go through
   * analyzeMesh before this one completes; frames must complete in the order they were staged. Same checks (and
   * errors) as analyzeFrame; analyzeFrame itself is unchanged.
   */
  async analyzeMesh(frame: EngineFrame, timestampMs: number, eyes: EyeBatch | null, stage: MeshStage): Promise<MeshStage> {
    if (this.closed) throw new LivecheckError('closed', 'LivenessEngine used after close()');
    if (frame === null || typeof frame !== 'object') throw new LivecheckError('invalid-argument', 'a frame needs width, height and RGBA data');
    checkFrame(frame.data, frame.width, frame.height, 4);
    checkTimestamp(timestampMs, Math.max(this.interpreter.lastTimestampMs, this.stagedMs));
    if (this.busy) throw new LivecheckError('invalid-argument', 'analyzeMesh called while the previous frame is still being analysed');
    this.busy = true;
    try {
      const faces = await this.tracker.detectMesh(frame, timestampMs, eyes);
      this.stagedMs = timestampMs;
      const main = faces.faces[0] ?? null;
      const box = main ? clampBox(main.box, frame.width, frame.height, stage.box) : null;
      stage.quality = this.kernels.qualityPass(frame.data, frame.width, frame.height, box, stage.quality);
      stage.timestampMs = timestampMs;
      stage.width = frame.width;
      stage.height = frame.height;
      stage.faces = faces;
      stage.regions = main && box && this.regionMeter ? structuredClone(this.regionMeter.measure(this.kernels, main.landmarks, frame.width, frame.height)) : null;
      return stage;
    } finally {
      this.busy = false;
    }
  }

  /** The split path, second half: the frame's iris points (from `eyes`, already run) and the interpreter. */
  completeFrame(stage: MeshStage, eyes: EyeBatch | null): EngineFrameResult {
    if (this.closed) throw new LivecheckError('closed', 'LivenessEngine used after close()');
    const faces = stage.faces;
    if (!faces || !stage.quality) throw new LivecheckError('invalid-argument', 'completeFrame needs a stage filled by analyzeMesh');
    if (eyes) this.tracker.completeIris(faces, eyes);
    stage.faces = null; // a stage completes once
    return this.interpret(stage.timestampMs, stage.width, stage.height, stage.quality, faces, stage.regions);
  }

  /** Both paths' last step: the reused result filled with the frame's measurements, then the interpreter. */
  private interpret(timestampMs: number, width: number, height: number, quality: QualityMetrics, faces: NonNullable<MeshStage['faces']>, regions: FaceRegionStats | null): EngineFrameResult {
    const main = faces.faces[0] ?? null;
    const r = this.result;
    const a = r.analysis;
    a.timestampMs = timestampMs;
    a.width = width;
    a.height = height;
    a.quality = quality;
    a.faces = faces.faces;
    r.face = main;
    r.detectorRan = faces.detectorRan;
    r.regions = regions;
    const i = this.interpreter.interpret(a, main as FaceWithContours | null, regions ?? undefined);
    r.geometry = i.geometry;
    r.guidance = i.guidance;
    r.challenge = i.challenge;
    r.actions = i.actions;
    return r;
  }

  /** Ends the stream: free-running actions still under way that already qualify. */
  finish() {
    return this.interpreter.finish();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tracker.close();
  }
}

/** The box's whole pixels inside the frame, or null when fewer than 8 x 8 remain (the kernels then use the frame). */
function clampBox(b: Box, w: number, h: number, out: Box): Box | null {
  if (!Number.isFinite(b.x) || !Number.isFinite(b.y) || !Number.isFinite(b.width) || !Number.isFinite(b.height)) return null;
  const x0 = Math.max(0, Math.floor(b.x)), y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(w, Math.ceil(b.x + b.width)), y1 = Math.min(h, Math.ceil(b.y + b.height));
  if (x1 - x0 < 8 || y1 - y0 < 8) return null;
  out.x = x0;
  out.y = y0;
  out.width = x1 - x0;
  out.height = y1 - y0;
  return out;
}

export type { SessionCues };

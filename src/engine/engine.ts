// LivenessEngine: one frame in, everything the check needs out. Face first (tracker), then the quality kernels on
// this frame's face box, the region cues on this frame's landmarks and the passive artefact scores of the face, then
// the attempt (interpretation, challenge, signals, evidence). Environment-agnostic: the kernel wasm, the ORT module
// and the model bytes come in as inputs, so the same engine runs in Node (createNodeEngine) and in a browser worker.

import { LivecheckError } from '../errors.js';
import { FaceTracker, type EyeBatch, type FaceResult, type FaceTrackerOptions, type TrackedFace } from '../face/tracker.js';
import type { FaceWithContours } from '../geometry/face-geometry.js';
import { createKernels, type Kernels, type KernelsOptions } from '../quality/index.js';
import { checkImage, type RgbaImage } from '../image.js';
import type { Box, FrameAnalysis, QualityMetrics } from '../types.js';
import type { PassiveImageFeatures } from '../quality/passive.js';
import { Attempt, type AttemptOptions, type AttemptPixels, type AttemptStep } from '../attempt/attempt.js';
import { checkTimestamp } from '../attempt/interpreter.js';
import { FaceRegionMeter, type FaceRegionMeterOptions } from './region-meter.js';
import type { FaceRegionStats } from '../geometry/face-geometry.js';

/** The attempt the engine runs: its plan (none: guidance and free-running actions only), settings and hooks. */
export type EngineAttemptOptions = Omit<AttemptOptions, 'plan'> & { plan?: AttemptOptions['plan'] };

export interface LivenessEngineOptions extends EngineAttemptOptions {
  /** The kernel module(s) and quality options, as for createKernels. */
  kernels: KernelsOptions;
  /** The face tracker: ORT module, model bytes (or paths / URLs) and tracking options. */
  face: FaceTrackerOptions;
  /** Measure the eye / mouth / cheek pixel cues for the occlusion checks (false: none). Default true. */
  regionCues?: boolean | FaceRegionMeterOptions;
}

/** Everything about one frame. The object and its parts are reused: valid until the next analyzeFrame call. */
export interface EngineFrameResult extends AttemptStep {
  analysis: FrameAnalysis;
  /** The main face with the iris model's eye contours (null without a face). */
  face: TrackedFace | null;
  /** Pixel cues of the main face's regions (null without a face or with regionCues off). */
  regions: FaceRegionStats | null;
  /** The passive artefact scores of the main face (null without a face). */
  passive: PassiveImageFeatures | null;
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
  /** The passive scores of the main face (this stage's own object), or null. */
  passive: PassiveImageFeatures | null;
  passiveOut: PassiveImageFeatures | undefined;
  readonly box: Box;
}

export class LivenessEngine {
  readonly kernels: Kernels;
  readonly tracker: FaceTracker;
  /** The attempt this engine's frames go to (a new one after `restart`). */
  get attempt(): Attempt {
    return this.current;
  }
  private current: Attempt;
  private readonly regionMeter: FaceRegionMeter | null;
  private readonly box: Box = { x: 0, y: 0, width: 0, height: 0 };
  private readonly result: EngineFrameResult;
  private passiveOut: PassiveImageFeatures | undefined;
  private closed = false;
  private busy = false;
  /** Newest timestamp analyzeMesh accepted: with frames in flight the interpreter has not seen it yet. */
  private stagedMs = -Infinity;

  private constructor(kernels: Kernels, tracker: FaceTracker, attempt: Attempt, options: LivenessEngineOptions) {
    this.kernels = kernels;
    this.tracker = tracker;
    this.current = attempt;
    this.regionMeter = options.regionCues === false ? null : new FaceRegionMeter(options.regionCues === true ? {} : options.regionCues);
    // quality starts unset: the first quality pass creates the object, later passes refill it
    const analysis: FrameAnalysis = { timestampMs: NaN, width: 0, height: 0, quality: undefined as unknown as QualityMetrics, faces: [] };
    this.result = { analysis, face: null, regions: null, passive: null, detectorRan: false, geometry: null, guidance: undefined as never, challenge: [], actions: [], decision: null };
  }

  static async create(options: LivenessEngineOptions): Promise<LivenessEngine> {
    const { kernels: kernelOptions, face, regionCues: _r, ...attemptOptions } = options;
    const attempt = await Attempt.start({ ...attemptOptions, plan: attemptOptions.plan ?? null });
    const kernels = await createKernels(kernelOptions);
    const tracker = await FaceTracker.create(face);
    return new LivenessEngine(kernels, tracker, attempt, options);
  }

  /** The frame interpreter (geometry, guidance, challenge session, action detector) of the attempt. */
  get interpreter() {
    return this.attempt.interpreter;
  }

  /** The challenge session when a plan was given. */
  get session() {
    return this.attempt.interpreter.session;
  }

  /**
   * Analyses one RGBA frame taken at `timestampMs` (monotonic, increasing). Bad input throws a LivecheckError
   * (`invalid-frame-size`, `empty-buffer`, `detached-buffer`, `invalid-argument` for a non-finite or repeated
   * timestamp) before any state changes, so the next good frame carries on; `closed` after close().
   */
  async analyzeFrame(frame: RgbaImage, timestampMs: number, total?: number): Promise<EngineFrameResult> {
    if (this.closed) throw new LivecheckError('closed', 'LivenessEngine used after close()');
    checkImage(frame);
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
      const passive = main ? (this.passiveOut = this.kernels.passiveFeatures(main.box, this.passiveOut)) : null;
      return await this.interpret(timestampMs, frame.width, frame.height, q, faces, regions, passive, { image: frame, total });
    } finally {
      this.busy = false;
    }
  }

  createMeshStage(): MeshStage {
    return { timestampMs: NaN, width: 0, height: 0, faces: null, quality: undefined, regions: null, passive: null, passiveOut: undefined, box: { x: 0, y: 0, width: 0, height: 0 } };
  }

  /**
   * The split path, first half: `analyzeFrame`'s tracking (mesh only: the eye crops go into `eyes`), quality pass and
   * region cues, into `stage`. The frame's pixels are free afterwards; run the iris model on `eyes` (here with
   * `tracker.runIris`, or in another worker) and then `completeFrame(stage, eyes)`. The next frame may go through
   * analyzeMesh before this one completes; frames must complete in the order they were staged. Same checks (and
   * errors) as analyzeFrame; analyzeFrame itself is unchanged.
   */
  async analyzeMesh(frame: RgbaImage, timestampMs: number, eyes: EyeBatch | null, stage: MeshStage): Promise<MeshStage> {
    if (this.closed) throw new LivecheckError('closed', 'LivenessEngine used after close()');
    checkImage(frame);
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
      stage.passive = main ? (stage.passiveOut = this.kernels.passiveFeatures(main.box, stage.passiveOut)) : null;
      return stage;
    } finally {
      this.busy = false;
    }
  }

  /**
   * The split path, second half: the frame's iris points (from `eyes`, already run), then the attempt. `face`: the
   * face's pixels saved at the mesh stage for an identity chip (see Attempt.identityCandidate), or null. `image`: the
   * whole frame saved at the mesh stage (a host recording evidence: keyframes are cut from it), or null.
   */
  completeFrame(stage: MeshStage, eyes: EyeBatch | null, face: AttemptPixels['face'] = null, image: RgbaImage | null = null): Promise<EngineFrameResult> {
    if (this.closed) throw new LivecheckError('closed', 'LivenessEngine used after close()');
    const faces = stage.faces;
    if (!faces || !stage.quality) throw new LivecheckError('invalid-argument', 'completeFrame needs a stage filled by analyzeMesh');
    if (eyes) this.tracker.completeIris(faces, eyes);
    stage.faces = null; // a stage completes once
    return this.interpret(stage.timestampMs, stage.width, stage.height, stage.quality, faces, stage.regions, stage.passive, { image, face });
  }

  /** Both paths' last step: the reused result filled with the frame's measurements, then the attempt. */
  private async interpret(
    timestampMs: number,
    width: number,
    height: number,
    quality: QualityMetrics,
    faces: NonNullable<MeshStage['faces']>,
    regions: FaceRegionStats | null,
    passive: PassiveImageFeatures | null,
    pixels: AttemptPixels,
  ): Promise<EngineFrameResult> {
    const main = faces.faces[0] ?? null;
    const r = this.result;
    const a = r.analysis;
    a.timestampMs = timestampMs;
    a.width = width;
    a.height = height;
    a.quality = quality;
    a.faces = faces.faces;
    a.others = faces.others;
    r.face = main;
    r.detectorRan = faces.detectorRan;
    r.regions = regions;
    r.passive = passive;
    const i = await this.attempt.push({ analysis: a, face: main as FaceWithContours | null, regions, passive }, pixels);
    r.geometry = i.geometry;
    r.guidance = i.guidance;
    r.challenge = i.challenge;
    r.actions = i.actions;
    r.decision = i.decision;
    return r;
  }

  /**
   * A new attempt on the same models and kernels (a server re-analysing one capture after another): the tracked
   * faces, the motion and passive history and the previous attempt are forgotten, so the next frame is analysed as
   * the first frame of a fresh engine would be.
   */
  async restart(options: EngineAttemptOptions): Promise<void> {
    if (this.closed) throw new LivecheckError('closed', 'LivenessEngine used after close()');
    if (this.busy) throw new LivecheckError('invalid-argument', 'restart called while a frame is being analysed');
    this.current = await Attempt.start({ ...options, plan: options.plan ?? null });
    this.tracker.reset();
    this.kernels.reset();
    this.stagedMs = -Infinity;
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
  const x0 = Math.max(0, Math.floor(b.x)),
    y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(w, Math.ceil(b.x + b.width)),
    y1 = Math.min(h, Math.ceil(b.y + b.height));
  if (x1 - x0 < 8 || y1 - y0 < 8) return null;
  out.x = x0;
  out.y = y0;
  out.width = x1 - x0;
  out.height = y1 - y0;
  return out;
}

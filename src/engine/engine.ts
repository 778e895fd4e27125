// LivenessEngine: one frame in, everything the check needs out. Face first (tracker), then the quality kernels on
// this frame's face box and the region cues on this frame's landmarks, then the pure interpreter (geometry, guidance,
// challenge, actions). Environment-agnostic: the kernel wasm, the ORT module and the model bytes come in as inputs,
// so the same engine runs in Node (createNodeEngine) and in a browser worker.

import { LivecheckError } from '../errors.js';
import { FaceTracker, type FaceTrackerOptions, type TrackedFace } from '../face/tracker.js';
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

export class LivenessEngine {
  readonly kernels: Kernels;
  readonly tracker: FaceTracker;
  readonly interpreter: FrameInterpreter;
  private readonly regionMeter: FaceRegionMeter | null;
  private readonly box: Box = { x: 0, y: 0, width: 0, height: 0 };
  private readonly result: EngineFrameResult;
  private closed = false;
  private busy = false;

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
      const r = this.result;
      const a = r.analysis;
      a.timestampMs = timestampMs;
      a.width = frame.width;
      a.height = frame.height;
      a.quality = q;
      a.faces = faces.faces;
      r.face = main;
      r.detectorRan = faces.detectorRan;
      r.regions = main && box && this.regionMeter ? this.regionMeter.measure(this.kernels, main.landmarks, frame.width, frame.height) : null;
      const i = this.interpreter.interpret(a, main as FaceWithContours | null, r.regions ?? undefined);
      r.geometry = i.geometry;
      r.guidance = i.guidance;
      r.challenge = i.challenge;
      r.actions = i.actions;
      return r;
    } finally {
      this.busy = false;
    }
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

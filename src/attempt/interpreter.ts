// The pure half of the engine: from one frame's analysis (quality + faces) and its main face to geometry, guidance,
// challenge events and free-running action events. No wasm, worker or DOM: the engine feeds it from the kernels and
// the face tracker, tests feed it recorded or synthetic frames.

import { ActionDetector, type ActionDetectorConfig, type DetectedAction } from '../challenge/action-detector.js';
import type { ChallengeConfigInput } from '../challenge/config.js';
import type { ChallengePlan } from '../challenge/plan.js';
import { ChallengeSession, type ChallengeEvent, type SessionCues } from '../challenge/session.js';
import { LivecheckError } from '../errors.js';
import { FaceGeometryEstimator, createFaceGeometry, type FaceGeometry, type FaceRegionStats, type FaceWithContours } from '../geometry/face-geometry.js';
import { GuidanceTracker, type GuidanceState, type GuidanceTrackerOptions } from '../guidance/tracker.js';
import type { FrameAnalysis } from '../types.js';

export interface FrameInterpreterOptions {
  /** A challenge to run (from planFromNonce); without it only guidance and free-running actions are reported. */
  plan?: ChallengePlan;
  challenge?: ChallengeConfigInput;
  guidance?: GuidanceTrackerOptions;
  actions?: Partial<ActionDetectorConfig>;
  /**
   * The frames are mirrored (selfie preview): flips which image direction is the person's left, for the challenge
   * and the action detector alike. Overrides `challenge.mirrored` / `actions.mirrored`. Default false.
   */
  mirrored?: boolean;
}

/** What one frame means. Objects are reused: valid until the next `interpret` call (copy what you keep). */
export interface FrameInterpretation {
  /** Geometry of the main face (null without a face or with a degenerate mesh). */
  geometry: FaceGeometry | null;
  guidance: GuidanceState;
  /** Events of the challenge session on this frame (empty without a plan). */
  challenge: readonly ChallengeEvent[];
  /** Free-running actions that ended on this frame. */
  actions: readonly DetectedAction[];
}

const NO_EVENTS: readonly ChallengeEvent[] = Object.freeze([]);

/** Throws `invalid-argument` unless `t` is finite and after `previous`. */
export function checkTimestamp(t: number, previous: number): void {
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    throw new LivecheckError('invalid-argument', `frame timestamp must be a finite number of ms, got ${String(t)}`, { timestampMs: t });
  }
  if (t <= previous) {
    throw new LivecheckError('invalid-argument', `frame timestamps must increase: ${t} ms after ${previous} ms`, { timestampMs: t, previous });
  }
}

export class FrameInterpreter {
  readonly session: ChallengeSession | null;
  readonly guidance: GuidanceTracker;
  readonly actions: ActionDetector;
  private readonly estimator = new FaceGeometryEstimator();
  private readonly geometry = createFaceGeometry();
  private lastT = -Infinity;
  private readonly result: FrameInterpretation;

  constructor(options: FrameInterpreterOptions = {}) {
    const mirrored = options.mirrored;
    this.guidance = new GuidanceTracker(options.guidance);
    this.actions = new ActionDetector(mirrored === undefined ? options.actions : { ...options.actions, mirrored });
    this.session = options.plan ? new ChallengeSession(options.plan, mirrored === undefined ? options.challenge : { ...options.challenge, mirrored }) : null;
    this.result = { geometry: null, guidance: undefined as unknown as GuidanceState, challenge: NO_EVENTS, actions: [] };
  }

  /** Timestamp of the last interpreted frame (-Infinity before the first). */
  get lastTimestampMs(): number {
    return this.lastT;
  }

  /**
   * Interprets one frame. `face` is the main face (normally `frame.faces[0]`, with the iris model's eye contours when
   * present), `regions` the pixel statistics of its eye / mouth / cheek boxes when measured.
   */
  interpret(frame: FrameAnalysis, face: FaceWithContours | null, regions?: FaceRegionStats, cues?: SessionCues): FrameInterpretation {
    checkTimestamp(frame.timestampMs, this.lastT);
    this.lastT = frame.timestampMs;
    const r = this.result;
    r.geometry = face ? this.estimator.measure(face, frame.width, frame.height, regions, this.geometry) : null;
    r.guidance = this.guidance.update(frame, r.geometry);
    r.challenge = this.session ? this.session.push(frame, r.geometry, r.guidance, cues) : NO_EVENTS;
    r.actions = this.actions.push(frame.timestampMs, r.geometry, r.guidance.usable);
    return r;
  }

  /** Ends the stream: actions still under way that already qualify (e.g. a clip ending on a turned head). */
  finish(): readonly DetectedAction[] {
    return this.actions.flush();
  }
}

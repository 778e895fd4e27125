// The inputs of the three signals, accumulated frame by frame from an attempt's interpreted frames, and the decision
// over them: active from the challenge session's results, motion from every frame's landmarks, the geometry's eye and
// mouth apertures and the kernels' global motion, passive from the artefact scores of the frames with a face. Pure:
// the Attempt feeds it; tests feed it plain data.
import type { ChallengeAction } from '../challenge/actions.js';
import type { ChallengePlan } from '../challenge/plan.js';
import type { ActionFailureReason, ActionResult, ChallengeEvent } from '../challenge/session.js';
import { activeSignal, challengeOutcomeFromSession } from '../decision/active.js';
import type { DecisionConfig } from '../decision/config.js';
import { decideLiveness, type LivenessDecision } from '../decision/consensus.js';
import { motionSignal, type MotionFrame } from '../decision/motion.js';
import { passiveSignal, type PassiveFrameFeatures, type PassiveSignalResult } from '../decision/passive.js';
import { reason, type SignalResult } from '../decision/signal.js';
import type { AttemptClaim, AttemptEvent } from '../evidence/bundle.js';
import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { Point3, QualityMetrics } from '../types.js';

export interface AttemptSignals {
  active: SignalResult | null;
  /** With its measurements: the fused score is what passive.liveMin is compared with. */
  passive: PassiveSignalResult;
  motion: SignalResult;
}

/** One frame as the signals read it (copied at push: the engine's objects are reused). */
export interface SignalFrame {
  timestampMs: number;
  /** The primary face's landmarks, or null without a face. */
  landmarks: readonly Point3[] | null;
  /** The kernels' background motion of this frame. */
  motion: QualityMetrics['motion'];
  /** The geometry of the primary face (only its eye openness and mouth opening are kept), or null. */
  geometry: Pick<FaceGeometry, 'leftEye' | 'rightEye' | 'mouthOpening'> | null;
}

/**
 * What the motion signal reads from one frame: a copy of the landmarks (the engine reuses its own), the camera's
 * global motion, and the geometry's eye openness and mouth opening (the iris-model lid contour sees blinks that the
 * mesh lids barely show: motion's non-rigid test).
 */
export function motionFrame(frame: SignalFrame): MotionFrame {
  const m = frame.motion;
  const g = frame.landmarks ? frame.geometry : null;
  return {
    timestampMs: frame.timestampMs,
    landmarks: frame.landmarks ? frame.landmarks.map((q) => [q[0], q[1], q[2]] as Point3) : null,
    global: m && Number.isFinite(m.globalDx) && Number.isFinite(m.globalDy) ? { dx: m.globalDx, dy: m.globalDy } : null,
    ...(g ? { eyeOpenness: (g.rightEye.openness + g.leftEye.openness) / 2, mouthOpening: g.mouthOpening } : {}),
  };
}

export class SignalLog {
  private readonly motionFrames: MotionFrame[] = [];
  private readonly passiveFrames: PassiveFrameFeatures[] = [];
  private readonly done: ActionResult[] = [];
  private failure: { step: number; action: ChallengeAction; reason: ActionFailureReason } | null = null;
  private readonly claimed: AttemptEvent[] = [];
  private end: AttemptClaim['challenge']['ended'] = null;

  /** `plan`: the challenge that runs (null: none; the active signal is then missing and nothing can pass). */
  constructor(readonly plan: ChallengePlan | null) {}

  /** One frame: its face and motion, its passive features (null: not measured), its challenge events. */
  push(frame: SignalFrame, passive: PassiveFrameFeatures | null, challenge: readonly ChallengeEvent[]): void {
    this.motionFrames.push(motionFrame(frame));
    if (passive) this.passiveFrames.push({ ...passive, timestampMs: frame.timestampMs });
    for (const e of challenge) {
      if (e.type === 'prompt') this.claimed.push({ type: 'prompt', step: e.step, action: e.action, t: e.timestampMs, reason: null });
      else if (e.type === 'action-done') {
        const { timestampMs: _t, type: _type, ...result } = e;
        this.done.push(result);
        this.claimed.push({ type: 'action-done', step: e.step, action: e.action, t: e.timestampMs, reason: null });
      } else if (e.type === 'action-failed') {
        if (!this.failure) this.failure = { step: e.step, action: e.action, reason: e.reason };
        this.claimed.push({ type: 'action-failed', step: e.step, action: e.action, t: e.timestampMs, reason: e.reason });
      } else if (e.type === 'attempt-ended' && !this.end) {
        this.end = { outcome: e.outcome, reason: e.reason, t: e.timestampMs };
      }
    }
  }

  get frames(): number {
    return this.motionFrames.length;
  }

  /** How the challenge ended the attempt, or null. */
  get ended(): AttemptClaim['challenge']['ended'] {
    return this.end;
  }

  /** The claimed challenge events so far (copies). */
  get events(): AttemptEvent[] {
    return this.claimed.map((e) => ({ ...e }));
  }

  /**
   * Forgets all but the last `n` frames (their passive features too); the challenge state stays. For a stream with
   * no plan, which never ends.
   */
  keepLast(n: number): void {
    const drop = this.motionFrames.length - n;
    if (drop <= 0) return;
    this.motionFrames.splice(0, drop);
    const from = this.motionFrames.length > 0 ? this.motionFrames[0].timestampMs : Infinity;
    const firstKept = this.passiveFrames.findIndex((f) => (f.timestampMs ?? from) >= from);
    this.passiveFrames.splice(0, firstKept < 0 ? this.passiveFrames.length : firstKept);
  }

  /**
   * The three signals and their consensus over what was pushed, with these thresholds; a challenge that rejected
   * the attempt adds its reason.
   */
  decide(config: DecisionConfig): { signals: AttemptSignals; decision: LivenessDecision } {
    const passive = passiveSignal(this.passiveFrames, config.passive);
    const motion = motionSignal({ frames: this.motionFrames }, config.motion);
    const active = this.plan ? activeSignal(challengeOutcomeFromSession(this.plan, this.done, this.failure), config.active) : null;
    const decision = decideLiveness({ active, passive, motion }, config.consensus);
    const ended = this.end;
    if (ended?.outcome === 'rejected') decision.reasons.push(reason('challenge-rejected', `the challenge attempt was rejected: ${ended.reason}`));
    return { signals: { active, passive, motion }, decision };
  }
}

// What an attempt decided, computed from per-frame data by one piece of code for both sides: the client feeds it the
// engine's live output while it records the evidence (and writes `claim()` into the bundle's result record); the
// server feeds it the frames re-derived from the bundle's records (src/evidence/replay.ts) and compares. The signals
// are built here for every caller (`livecheck analyze` with or without evidence, the browser worker, the server's
// replay): active from the challenge session's results, motion from every frame's landmarks, the geometry's eye and
// mouth apertures and the kernels' global motion, passive from the per-frame passive features of frames with a face.
import type { ChallengePlan } from '../challenge/plan.js';
import { isChallengeAction, type ChallengeAction } from '../challenge/actions.js';
import type { ActionFailureReason, ActionResult, ChallengeEvent } from '../challenge/session.js';
import { activeSignal, challengeOutcomeFromSession } from '../decision/active.js';
import { decideLiveness, type LivenessDecision, type LivenessVerdict } from '../decision/consensus.js';
import { motionSignal, type MotionFrame } from '../decision/motion.js';
import { passiveSignal, type PassiveFrameFeatures } from '../decision/passive.js';
import type { SignalResult, SignalVerdict } from '../decision/signal.js';
import { LivecheckError } from '../errors.js';
import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { Point3, QualityMetrics } from '../types.js';
import type { IdentityClaim } from './identity.js';

/** A claimed challenge event (progress events are not kept: they follow from the others). */
export interface AttemptEvent {
  type: 'prompt' | 'action-done' | 'action-failed';
  step: number;
  action: string;
  t: number;
  reason: string | null;
}

/** What the client claims about an attempt: the bundle's result record holds it (quantised). */
export interface AttemptClaim {
  challenge: {
    events: AttemptEvent[];
    ended: { outcome: 'completed' | 'failed' | 'rejected'; reason: string | null; t: number } | null;
  };
  signals: { active: { verdict: SignalVerdict; score: number } | null; passive: { verdict: SignalVerdict; score: number } | null; motion: { verdict: SignalVerdict; score: number } | null };
  /** The verdict (with the identity check on: after it). */
  verdict: LivenessVerdict;
  /** The identity continuity claimed (src/evidence/identity.ts identityClaim); absent or null: identity check off. */
  identity?: IdentityClaim | null;
}

export interface AttemptDecision {
  signals: { active: SignalResult | null; passive: SignalResult; motion: SignalResult };
  decision: LivenessDecision;
}

/** One frame as the attempt log needs it (copied: the engine's objects may be reused). */
export interface AttemptFrame {
  timestampMs: number;
  /** The primary face's landmarks, or null without a face. */
  landmarks: readonly Point3[] | null;
  /** The kernels' background motion of this frame (QualityMetrics.motion). */
  motion: QualityMetrics['motion'];
  /**
   * The geometry of the primary face on this frame (FrameInterpreter's, from the landmarks and the iris model's eye
   * contours), or null. Read at push: only its eye openness and mouth opening are kept.
   */
  geometry: AttemptGeometry | null;
}

/** What the motion signal reads from the geometry. */
export type AttemptGeometry = Pick<FaceGeometry, 'leftEye' | 'rightEye' | 'mouthOpening'>;

/**
 * A challenge plan from stored steps (an evidence genesis, or the steps analyze was given). Throws `evidence-invalid`
 * for a step that is not a known action with a non-negative hold.
 */
export function planFromSteps(steps: ReadonlyArray<{ readonly action: string; readonly holdMs?: unknown }>): ChallengePlan {
  return {
    nonceDigest: '',
    mode: 'script',
    steps: steps.map((s, i) => {
      const holdMs = s.holdMs ?? 0;
      if (!isChallengeAction(s.action) || typeof holdMs !== 'number' || !Number.isFinite(holdMs) || holdMs < 0) {
        throw new LivecheckError('evidence-invalid', `plan step ${i} is not a challenge action with a hold time`, { step: i });
      }
      return { action: s.action as ChallengeAction, holdMs };
    }),
  };
}

export class AttemptLog {
  private readonly motionFrames: MotionFrame[] = [];
  private readonly passiveFrames: PassiveFrameFeatures[] = [];
  private readonly done: ActionResult[] = [];
  private failure: { step: number; action: ChallengeAction; reason: ActionFailureReason } | null = null;
  private readonly events: AttemptEvent[] = [];
  private ended: AttemptClaim['challenge']['ended'] = null;

  /** `plan`: the challenge that ran (null: none; the active signal is then missing and nothing can pass). */
  constructor(readonly plan: ChallengePlan | null) {}

  /** One analysed frame: its face and motion, its passive features (null: not measured), its challenge events. */
  push(frame: AttemptFrame, passive: PassiveFrameFeatures | null, challenge: readonly ChallengeEvent[]): void {
    const m = frame.motion;
    const g = frame.landmarks ? frame.geometry : null;
    this.motionFrames.push({
      timestampMs: frame.timestampMs,
      landmarks: frame.landmarks ? frame.landmarks.map((q) => [q[0], q[1], q[2]] as Point3) : null,
      global: m && Number.isFinite(m.globalDx) && Number.isFinite(m.globalDy) ? { dx: m.globalDx, dy: m.globalDy } : null,
      // the iris-model lid contour sees blinks that the mesh lids barely show (motion's non-rigid test)
      ...(g ? { eyeOpenness: (g.rightEye.openness + g.leftEye.openness) / 2, mouthOpening: g.mouthOpening } : {}),
    });
    if (passive) this.passiveFrames.push({ ...passive, timestampMs: frame.timestampMs });
    for (const e of challenge) {
      if (e.type === 'prompt') this.events.push({ type: 'prompt', step: e.step, action: e.action, t: e.timestampMs, reason: null });
      else if (e.type === 'action-done') {
        const { timestampMs: _t, type: _type, ...result } = e;
        this.done.push(result);
        this.events.push({ type: 'action-done', step: e.step, action: e.action, t: e.timestampMs, reason: null });
      } else if (e.type === 'action-failed') {
        if (!this.failure) this.failure = { step: e.step, action: e.action, reason: e.reason };
        this.events.push({ type: 'action-failed', step: e.step, action: e.action, t: e.timestampMs, reason: e.reason });
      } else if (e.type === 'attempt-ended' && !this.ended) {
        this.ended = { outcome: e.outcome, reason: e.reason, t: e.timestampMs };
      }
    }
  }

  get frames(): number {
    return this.motionFrames.length;
  }

  /**
   * Forgets all but the last `n` frames (their passive features too); the challenge state stays. For a stream with no
   * plan, which never ends: an attempt with a plan is bounded by the challenge's timeouts and is never trimmed.
   */
  keepLast(n: number): void {
    const drop = this.motionFrames.length - n;
    if (drop <= 0) return;
    this.motionFrames.splice(0, drop);
    const from = this.motionFrames.length > 0 ? this.motionFrames[0].timestampMs : Infinity;
    const firstKept = this.passiveFrames.findIndex((f) => (f.timestampMs ?? from) >= from); // set by push
    this.passiveFrames.splice(0, firstKept < 0 ? this.passiveFrames.length : firstKept);
  }

  /** The three signals and their consensus over what was pushed so far. */
  decide(): AttemptDecision {
    const passive = passiveSignal(this.passiveFrames);
    const motion = motionSignal({ frames: this.motionFrames });
    const active = this.plan ? activeSignal(challengeOutcomeFromSession(this.plan, this.done, this.failure)) : null;
    return { signals: { active, passive, motion }, decision: decideLiveness({ active, passive, motion }) };
  }

  /** The claim for the evidence bundle's result record. */
  claim(decided: AttemptDecision = this.decide()): AttemptClaim {
    const s = (r: SignalResult | null) => (r ? { verdict: r.verdict, score: r.score } : null);
    return {
      challenge: { events: this.events.map((e) => ({ ...e })), ended: this.ended ? { ...this.ended } : null },
      signals: { active: s(decided.signals.active), passive: s(decided.signals.passive), motion: s(decided.signals.motion) },
      verdict: decided.decision.verdict,
    };
  }
}

// The end of an attempt, in the worker: the three signals from the per-frame stream (active from the challenge
// session, passive from the kernels' artefact scores on the face, motion from the tracked landmarks) into
// decideLiveness, the same way `livecheck analyze` builds them in Node, so both reach the same verdict on the same
// frames. The antispoof / liveness models are not run per frame here (nor in analyze): passive fuses the kernels only.
import type { ChallengeAction } from '../challenge/actions.js';
import type { ChallengePlan } from '../challenge/plan.js';
import type { ActionFailureReason, ActionResult, ChallengeEvent } from '../challenge/session.js';
import { activeSignal, challengeOutcomeFromSession } from '../decision/active.js';
import { decideLiveness, type LivenessDecision } from '../decision/consensus.js';
import { motionSignal, type MotionFrame } from '../decision/motion.js';
import { passiveSignal, type PassiveFrameFeatures } from '../decision/passive.js';
import type { PassiveImageFeatures } from '../kernels/passive.js';
import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { Point3, QualityMetrics } from '../types.js';

const MESH = 468;

/** Keeps the last `capacity` frames of landmarks and passive scores in buffers allocated once; builds the decision
 *  on demand. */
export class AttemptRecorder {
  private readonly frames: MotionFrame[];
  private readonly points: Point3[][];
  // per slot: the passive artefact scores of that frame's face, or hasPassive 0 (no face: nothing measured)
  private readonly passive: PassiveFrameFeatures[];
  private readonly hasPassive: Uint8Array;
  private next = 0;
  private count = 0;
  private failure: { step: number; action: ChallengeAction; reason: ActionFailureReason } | null = null;
  private results: ActionResult[] = [];
  private ended = false;

  constructor(private readonly plan: ChallengePlan | null, readonly capacity = 240) {
    this.points = Array.from({ length: capacity }, () => Array.from({ length: MESH }, (): Point3 => [0, 0, 0]));
    this.frames = Array.from({ length: capacity }, (_, i) => ({ timestampMs: 0, landmarks: this.points[i], global: { dx: 0, dy: 0 } }));
    this.passive = Array.from({ length: capacity }, () => ({ timestampMs: 0, moire: null, flicker: null, deviceBorder: null, specular: null }));
    this.hasPassive = new Uint8Array(capacity);
  }

  /**
   * Records one frame; returns the decision when this frame's events end the attempt. `passive`: the kernels'
   * passiveFeatures on this frame's face box (null without a face), copied here.
   */
  push(
    timestampMs: number, landmarks: readonly Point3[] | null, geometry: FaceGeometry | null, quality: QualityMetrics,
    events: readonly ChallengeEvent[], passive: PassiveImageFeatures | null = null,
  ): LivenessDecision | null {
    const f = this.frames[this.next];
    const p = this.passive[this.next];
    p.timestampMs = timestampMs;
    if (passive) {
      p.moire = passive.moire;
      p.flicker = passive.flicker;
      p.deviceBorder = passive.deviceBorder;
      p.specular = passive.specular;
    }
    this.hasPassive[this.next] = passive ? 1 : 0;
    f.timestampMs = timestampMs;
    if (landmarks && landmarks.length >= MESH) {
      const dst = this.points[this.next];
      for (let i = 0; i < MESH; i++) {
        const s = landmarks[i], d = dst[i];
        d[0] = s[0]; d[1] = s[1]; d[2] = s[2];
      }
      f.landmarks = dst;
    } else f.landmarks = null;
    if (geometry) {
      f.yawDeg = geometry.pose.yawDeg;
      f.pitchDeg = geometry.pose.pitchDeg;
      // the iris-model lid contour sees blinks that the mesh lids barely show (motion's non-rigid test)
      f.eyeOpenness = (geometry.rightEye.openness + geometry.leftEye.openness) / 2;
      f.mouthOpening = geometry.mouthOpening;
    } else {
      f.yawDeg = undefined;
      f.pitchDeg = undefined;
      f.eyeOpenness = undefined;
      f.mouthOpening = undefined;
    }
    const m = quality.motion;
    if (m && Number.isFinite(m.globalDx) && Number.isFinite(m.globalDy)) {
      f.global = f.global ?? { dx: 0, dy: 0 };
      f.global.dx = m.globalDx;
      f.global.dy = m.globalDy;
    } else f.global = null;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.capacity, this.count + 1);

    let decision: LivenessDecision | null = null;
    for (const e of events) {
      if (e.type === 'action-failed') this.failure = { step: e.step, action: e.action, reason: e.reason };
      if (e.type === 'attempt-ended' && !this.ended) {
        this.ended = true;
        this.results = e.results;
        decision = this.decide(e.outcome === 'rejected' ? e.reason : null);
      }
    }
    return decision;
  }

  get attemptEnded(): boolean {
    return this.ended;
  }

  /** The decision from what was seen so far (the stream ended before the attempt did, or no challenge). */
  decide(rejection: string | null = null): LivenessDecision {
    const ordered: MotionFrame[] = [];
    const passiveFrames: PassiveFrameFeatures[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (this.next - this.count + i + this.capacity) % this.capacity;
      ordered.push(this.frames[slot]);
      if (this.hasPassive[slot]) passiveFrames.push(this.passive[slot]);
    }
    const motion = ordered.filter((f) => f.landmarks).length >= 3 ? motionSignal({ frames: ordered }) : null;
    // no face on any frame: passive did not run (missing), rather than "unsure" from zero evidence
    const passive = passiveFrames.length > 0 ? passiveSignal(passiveFrames) : null;
    const active = this.plan ? activeSignal(challengeOutcomeFromSession(this.plan, this.results, this.failure)) : null;
    const decision = decideLiveness({ active, passive, motion });
    if (rejection) decision.reasons.push({ code: `challenge-rejected`, message: `the challenge attempt was rejected: ${rejection}` });
    return decision;
  }
}

// The challenge state machine. Fed one frame at a time (its analysis, the main face's geometry, the guidance state);
// gives one prompt at a time, confirms each action before the next, and ends the attempt on a failure or a rejection
// trigger. Plain data in, plain data events out.
//
// Per step:  calibrate (first step only) -> prompt -> await onset -> ramp to target -> hold -> [return] -> done
//            -> pause and the next step's gap, back to neutral -> next prompt.
// Every onset is timed from its own prompt (minLatencyMs..responseTimeoutMs), so footage recorded against other
// prompt times fails on the frames themselves.
// Frames the guidance marked unusable are ignored, and the time they cover is not charged to the person's timeouts.

import { LivecheckError } from '../errors.js';
import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { GuidanceCode } from '../guidance/codes.js';
import type { GuidanceState } from '../guidance/tracker.js';
import type { FrameAnalysis } from '../types.js';
import { ACTION_PROMPTS, turnYawSign, type ChallengeAction } from './actions.js';
import { resolveChallengeConfig, type ChallengeConfig, type ChallengeConfigInput } from './config.js';
import type { ChallengePlan } from './plan.js';

/** Why an action failed. */
export type ActionFailureReason =
  | 'too-fast' // the movement started sooner after the prompt than a human can react
  | 'no-response' // no movement started before the response timeout
  | 'incomplete' // the movement started but never reached the required amplitude (in time, or before going back)
  | 'over-rotation' // turned or nodded so far that the face is about to leave detection
  | 'face-lost' // the face left detection
  | 'wrong-direction' // turned the other way
  | 'hold-broken' // left the end position before the hold time
  | 'blink-too-fast' // the blink was a quick twitch, not a slow blink
  | 'blink-flutter' // several closures in quick succession
  | 'jerky-motion' // head angular speed above the plausible limit (a jump)
  | 'paused-mid-action' // stalled between the start of the movement and its target
  | 'repeated-movement' // went back and started the movement again before it was confirmed
  | 'not-neutral' // did not come back to a neutral face before the next prompt
  | 'not-ready'; // the neutral face could not be measured before the calibration timeout

/** Why the attempt was rejected: a guidance code from `rejectOn`, or an identity change. */
export type RejectionReason = GuidanceCode | 'identity-changed';

export interface ActionResult {
  step: number;
  action: ChallengeAction;
  /** Prompt to onset of the movement, ms. */
  latencyMs: number;
  /** Peak amplitude: degrees for turns and nods; closure 0..1 for blinks; opening / widening ratio for mouth and smile. */
  amplitude: number;
  /** Onset to confirmation, ms. */
  durationMs: number;
  /** Time the end position was held, ms. */
  heldMs: number;
  /** Peak speed of the action's signal per second (deg/s for head movements). */
  peakSpeed: number;
  /** Blink phases, ms: onset -> closed, closed, closed -> reopened. */
  blink?: { closingMs: number; closedMs: number; reopeningMs: number };
}

/** Optional per-frame inputs computed outside the session. */
export interface SessionCues {
  /**
   * Face-embedding distance between this frame's face and the face at the start of the session (smaller = more
   * alike; the decision's face-match scale). Give it on the frames where an embedding was computed.
   */
  identityDistance?: number;
}

export type ChallengeEvent =
  | { type: 'prompt'; step: number; action: ChallengeAction; message: string; holdMs: number; timestampMs: number }
  | { type: 'progress'; step: number; action: ChallengeAction; stepProgress: number; progress: number; timestampMs: number }
  | ({ type: 'action-done'; timestampMs: number } & ActionResult)
  | { type: 'action-failed'; step: number; action: ChallengeAction; reason: ActionFailureReason; detail: Record<string, number>; timestampMs: number }
  | {
      type: 'attempt-ended';
      outcome: 'completed' | 'failed' | 'rejected';
      reason: ActionFailureReason | RejectionReason | null;
      results: ActionResult[];
      timestampMs: number;
    };

interface StepLimits {
  onset: number;
  target: number;
  max: number;
  holdMin: number;
  needsReturn: boolean;
  returnBelow: number;
}

type Phase = 'calibrate' | 'pause' | 'await' | 'ramp' | 'hold' | 'return' | 'settle' | 'ended';

interface Baseline {
  yaw: number;
  pitch: number;
  openness: number;
  mouth: number;
  mouthWidth: number;
  mouthLift: number;
  signature: Float64Array;
  frames: number;
}

const NO_EVENTS: readonly ChallengeEvent[] = Object.freeze([]);

export class ChallengeSession {
  readonly plan: ChallengePlan;
  readonly config: ChallengeConfig;
  private phase: Phase = 'calibrate';
  private step = 0;
  private readonly results: ActionResult[] = [];
  private readonly base: Baseline;
  /** Events of the current frame, allocated only when there is one. */
  private events: ChallengeEvent[] | null = null;
  private lastT = NaN;
  // timing (ms, frame clock)
  private startedAt = NaN;
  private calibratedMs = 0;
  private phaseAt = 0;
  private promptAt = 0;
  private skippedMs = 0;
  private faceLostAt = NaN;
  // the current step's measurements
  private onsetAt = 0;
  private targetAt = 0;
  private peak = 0;
  private peakSpeed = 0;
  private lastProgressAt = 0;
  private progressPeak = 0;
  private abandoned = false;
  /** Peak of the movement(s) that went back short of the target in this step. */
  private abandonedPeak = 0;
  private ignoreUntilReopen = false;
  private closedEndAt = NaN;
  private reopenedAt = 0;
  private lastSignal = 0;
  private lastSignalT = NaN;
  private emittedProgress = 0;
  private lastYaw = NaN;
  private lastPitch = NaN;
  private identityMisses = 0;
  private externalMisses = 0;
  private reportLatency = 0;
  /** The current step's thresholds, set at its prompt. */
  private lim: StepLimits = { onset: 0, target: 0, max: 0, holdMin: 0, needsReturn: false, returnBelow: 0 };
  private stalled = false;
  private stalledMs = 0;

  constructor(plan: ChallengePlan, config: ChallengeConfigInput = {}) {
    if (!plan || !Array.isArray(plan.steps) || plan.steps.length === 0) throw new LivecheckError('invalid-argument', 'challenge plan has no steps');
    for (const [i, st] of plan.steps.entries()) {
      if (!(st.holdMs >= 0 && st.gapMs >= 0 && Number.isFinite(st.holdMs + st.gapMs))) {
        throw new LivecheckError('invalid-argument', `challenge plan step ${i} needs finite holdMs and gapMs >= 0`, { step: i });
      }
    }
    this.plan = plan;
    this.config = resolveChallengeConfig(config);
    this.base = { yaw: 0, pitch: 0, openness: 0, mouth: 0, mouthWidth: 0, mouthLift: 0, signature: new Float64Array(0), frames: 0 };
  }

  get ended(): boolean {
    return this.phase === 'ended';
  }

  /** Results of the actions confirmed so far. */
  get actionResults(): readonly ActionResult[] {
    return this.results;
  }

  /**
   * Feeds one frame. `geometry` is the main face's geometry (null when there is no face); `guidance` is the guidance
   * tracker's state for the same frame. Returns the events this frame produced (often none).
   */
  push(frame: FrameAnalysis, geometry: FaceGeometry | null, guidance: GuidanceState, cues?: SessionCues): readonly ChallengeEvent[] {
    if (this.phase === 'ended') return NO_EVENTS;
    const t = frame.timestampMs;
    if (!Number.isFinite(t) || t <= this.lastT) {
      throw new LivecheckError('invalid-argument', 'frame timestamps must be finite and increasing', { timestampMs: t, previous: this.lastT });
    }
    const dt = Number.isFinite(this.lastT) ? t - this.lastT : 0;
    this.lastT = t;
    if (Number.isNaN(this.startedAt)) this.startedAt = t;
    this.events = null;

    if (!guidance.usable) {
      this.skippedMs += dt;
      return this.flush();
    }

    // rejection triggers end the attempt whatever the phase
    for (const issue of guidance.issues) {
      if (this.config.rejectOn.includes(issue.code)) {
        this.end(t, 'rejected', issue.code);
        return this.flush();
      }
    }

    const g = guidance.faceCount > 0 ? geometry : null;
    if (g === null) {
      if (this.phase !== 'calibrate') {
        if (Number.isNaN(this.faceLostAt)) this.faceLostAt = t;
        if (t - this.faceLostAt >= this.config.faceLostMs) this.fail(t, 'face-lost', { missingMs: t - this.faceLostAt });
      } else this.checkCalibrationTimeout(t);
      return this.flush();
    }
    this.faceLostAt = NaN;

    if (this.checkExternalIdentity(t, cues?.identityDistance)) return this.flush();
    if (this.phase === 'calibrate') {
      this.calibrate(t, dt, g, guidance);
      return this.flush();
    }
    if (this.checkIdentity(t, g)) return this.flush();

    switch (this.phase) {
      case 'pause':
        this.pauseStep(t, g);
        break;
      case 'await':
      case 'ramp':
      case 'hold':
      case 'return':
      case 'settle':
        this.actionStep(t, g);
        break;
    }
    this.lastYaw = g.pose.yawDeg;
    this.lastPitch = g.pose.pitchDeg;
    return this.flush();
  }

  private flush(): readonly ChallengeEvent[] {
    return this.events ?? NO_EVENTS;
  }

  private emit(e: ChallengeEvent): void {
    (this.events ??= []).push(e);
  }

  // ---- calibration and neutral baseline ----

  private calibrate(t: number, dt: number, g: FaceGeometry, guidance: GuidanceState): void {
    if (guidance.blocking) {
      this.checkCalibrationTimeout(t);
      return;
    }
    const b = this.base;
    const open = 0.5 * (g.rightEye.openness + g.leftEye.openness);
    // leave blinks out of the neutral eye openness
    if (b.frames >= 3 && open < 0.75 * b.openness) return;
    if (b.frames === 0) b.signature = new Float64Array(g.signature.length);
    const k = 1 / (b.frames + 1);
    b.yaw += (g.pose.yawDeg - b.yaw) * k;
    b.pitch += (g.pose.pitchDeg - b.pitch) * k;
    b.openness += (open - b.openness) * k;
    b.mouth += (g.mouthOpening - b.mouth) * k;
    b.mouthWidth += (g.mouthWidth - b.mouthWidth) * k;
    b.mouthLift += (g.mouthCornerLift - b.mouthLift) * k;
    for (let i = 0; i < b.signature.length; i++) b.signature[i] += (g.signature[i] - b.signature[i]) * k;
    b.frames++;
    if (b.frames > 1) this.calibratedMs += dt;
    // the first prompt also waits its gap from the nonce, measured on the same neutral frames
    if (this.calibratedMs >= this.config.calibrationMs + this.plan.steps[0].gapMs && b.frames >= 3) {
      this.lastYaw = g.pose.yawDeg;
      this.lastPitch = g.pose.pitchDeg;
      this.prompt(t);
    } else this.checkCalibrationTimeout(t);
  }

  private checkCalibrationTimeout(t: number): void {
    if (this.phase === 'calibrate' && t - this.startedAt > this.config.calibrationTimeoutMs + this.plan.steps[0].gapMs) {
      this.fail(t, 'not-ready', { calibratedMs: this.calibratedMs });
    }
  }

  private isNeutral(g: FaceGeometry): boolean {
    const n = this.config.neutral,
      b = this.base;
    return (
      Math.abs(g.pose.yawDeg - b.yaw) <= n.yawDeg &&
      Math.abs(g.pose.pitchDeg - b.pitch) <= n.pitchDeg &&
      this.closure(g) <= n.closure &&
      g.mouthOpening - b.mouth <= n.mouth &&
      g.mouthWidth / b.mouthWidth - 1 <= n.smile
    );
  }

  private closure(g: FaceGeometry): number {
    return 1 - (0.5 * (g.rightEye.openness + g.leftEye.openness)) / this.base.openness;
  }

  private pauseStep(t: number, g: FaceGeometry): void {
    const neutral = this.isNeutral(g);
    if (neutral) {
      // follow slow drift of the neutral pose and face between actions
      const b = this.base,
        a = 0.1;
      b.yaw += (g.pose.yawDeg - b.yaw) * a;
      b.pitch += (g.pose.pitchDeg - b.pitch) * a;
      b.openness += (0.5 * (g.rightEye.openness + g.leftEye.openness) - b.openness) * a;
      b.mouth += (g.mouthOpening - b.mouth) * a;
      b.mouthWidth += (g.mouthWidth - b.mouthWidth) * a;
    }
    // the next prompt is due after the pause and the step's gap from the nonce, on a neutral face; the gap adds to the
    // time allowed to come back to neutral
    const waited = t - this.phaseAt - this.skippedMs;
    const gap = this.plan.steps[this.step].gapMs;
    if (neutral && waited >= this.config.pauseMs + gap) this.prompt(t);
    else if (waited > this.config.neutralTimeoutMs + gap) this.fail(t, 'not-neutral', { waitedMs: waited });
  }

  private checkIdentity(t: number, g: FaceGeometry): boolean {
    const base = this.base.signature;
    let sum = 0,
      n = 0;
    for (let i = 0; i < base.length; i++) {
      if (!(base[i] > 0)) continue;
      const d = (g.signature[i] - base[i]) / base[i];
      sum += d * d;
      n++;
    }
    const dist = n ? Math.sqrt(sum / n) : 0;
    this.identityMisses = dist > this.config.identity.maxDistance ? this.identityMisses + 1 : 0;
    if (this.identityMisses >= this.config.identity.frames) {
      this.end(t, 'rejected', 'identity-changed');
      return true;
    }
    return false;
  }

  private checkExternalIdentity(t: number, distance: number | undefined): boolean {
    if (distance === undefined || !Number.isFinite(distance)) return false;
    const id = this.config.identity;
    this.externalMisses = distance > id.maxExternalDistance ? this.externalMisses + 1 : 0;
    if (this.externalMisses >= id.externalReadings) {
      this.end(t, 'rejected', 'identity-changed');
      return true;
    }
    return false;
  }

  // ---- one action ----

  private prompt(t: number): void {
    const s = this.plan.steps[this.step];
    this.lim = this.limits(s.action);
    this.phase = 'await';
    this.phaseAt = this.promptAt = t;
    this.skippedMs = 0;
    this.peak = 0;
    this.peakSpeed = 0;
    this.abandoned = false;
    this.abandonedPeak = 0;
    this.stalled = false;
    this.ignoreUntilReopen = false;
    this.closedEndAt = NaN;
    this.lastSignal = 0;
    this.lastSignalT = NaN;
    this.emittedProgress = 0;
    this.emit({ type: 'prompt', step: this.step, action: s.action, message: ACTION_PROMPTS[s.action], holdMs: s.holdMs, timestampMs: t });
  }

  /** The action's signal, oriented so that performing the action makes it grow from ~0. */
  private signal(action: ChallengeAction, g: FaceGeometry): number {
    const b = this.base;
    switch (action) {
      case 'turn-left':
      case 'turn-right':
        return turnYawSign(action, this.config.mirrored) * (g.pose.yawDeg - b.yaw);
      case 'nod':
        return Math.abs(g.pose.pitchDeg - b.pitch);
      case 'blink':
        return this.closure(g);
      case 'mouth-open':
        return g.mouthOpening - b.mouth;
      case 'smile': {
        // wider AND corners up: pressed lips widen the mouth without lifting its corners
        const c = this.config.smile;
        return Math.min(g.mouthWidth / b.mouthWidth - 1, (c.target * (g.mouthCornerLift - b.mouthLift)) / c.liftTarget);
      }
    }
  }

  private limits(action: ChallengeAction): StepLimits {
    const c = this.config;
    switch (action) {
      case 'turn-left':
      case 'turn-right':
        return { onset: c.turn.onsetDeg, target: c.turn.targetDeg, max: c.turn.maxDeg, holdMin: c.turn.targetDeg - c.turn.holdToleranceDeg, needsReturn: false, returnBelow: 0 };
      case 'nod':
        return { onset: c.nod.onsetDeg, target: c.nod.targetDeg, max: c.nod.maxDeg, holdMin: -Infinity, needsReturn: true, returnBelow: c.nod.returnDeg };
      case 'blink':
        return { onset: c.blink.onsetClosure, target: c.blink.closedClosure, max: Infinity, holdMin: -Infinity, needsReturn: true, returnBelow: c.blink.reopenClosure };
      case 'mouth-open':
        return { onset: c.mouth.onset, target: c.mouth.target, max: Infinity, holdMin: c.mouth.target * c.mouth.holdFraction, needsReturn: false, returnBelow: 0 };
      case 'smile':
        return { onset: c.smile.onset, target: c.smile.target, max: Infinity, holdMin: c.smile.target * c.smile.holdFraction, needsReturn: false, returnBelow: 0 };
    }
  }

  private actionStep(t: number, g: FaceGeometry): void {
    const c = this.config;
    const { action, holdMs } = this.plan.steps[this.step];
    const lim = this.lim;
    const s = this.signal(action, g);
    const head = action === 'turn-left' || action === 'turn-right' || action === 'nod';

    // speed of the signal, and of the head for the jerk check
    if (Number.isFinite(this.lastSignalT) && t > this.lastSignalT) {
      const speed = Math.abs(s - this.lastSignal) / ((t - this.lastSignalT) / 1000);
      if (this.phase !== 'await' && speed > this.peakSpeed) this.peakSpeed = speed;
      if (head && Number.isFinite(this.lastYaw)) {
        const angular = Math.hypot(g.pose.yawDeg - this.lastYaw, g.pose.pitchDeg - this.lastPitch) / ((t - this.lastSignalT) / 1000);
        if (angular > c.maxAngularSpeedDegPerS) {
          this.fail(t, 'jerky-motion', { degPerS: angular, limit: c.maxAngularSpeedDegPerS });
          return;
        }
      }
    }
    const prevS = this.lastSignal,
      prevT = this.lastSignalT;
    this.lastSignal = s;
    this.lastSignalT = t;
    if (s > lim.max) {
      this.fail(t, 'over-rotation', { amplitude: s, limit: lim.max });
      return;
    }

    switch (this.phase) {
      case 'await': {
        if ((action === 'turn-left' || action === 'turn-right') && s < -lim.onset) {
          // after a start the right way that fell short, swinging back past neutral is the end of that short turn
          if (this.abandoned) this.fail(t, 'incomplete', { amplitude: this.abandonedPeak, target: lim.target, swingBack: s });
          else this.fail(t, 'wrong-direction', { amplitude: s });
          return;
        }
        if (this.ignoreUntilReopen) {
          if (s < lim.returnBelow) this.ignoreUntilReopen = false;
          break;
        }
        if (s >= lim.onset) {
          const onset = crossing(prevT, prevS, t, s, lim.onset);
          const latency = onset - this.promptAt - this.skippedMs;
          if (latency < c.minLatencyMs) {
            // a blink that started before anyone could react to the prompt is a spontaneous blink: not an answer
            if (action === 'blink') {
              this.ignoreUntilReopen = true;
              break;
            }
            this.fail(t, 'too-fast', { latencyMs: latency, limit: c.minLatencyMs });
            return;
          }
          if (this.abandoned) {
            this.fail(t, action === 'blink' ? 'blink-flutter' : 'repeated-movement', { latencyMs: latency });
            return;
          }
          this.onsetAt = onset;
          this.phase = 'ramp';
          this.peak = s;
          this.lastProgressAt = t;
          this.progressPeak = s;
          this.skippedMs = 0;
          this.reportLatency = latency;
        } else if (t - this.promptAt - this.skippedMs > c.responseTimeoutMs) {
          // a movement did start (and went back short of the target): that is not a missing response
          if (this.abandoned) this.fail(t, 'incomplete', { amplitude: this.abandonedPeak, target: lim.target });
          else this.fail(t, 'no-response', { waitedMs: t - this.promptAt - this.skippedMs });
          return;
        }
        break;
      }
      case 'ramp': {
        if ((action === 'turn-left' || action === 'turn-right') && s < -lim.onset) {
          this.fail(t, 'wrong-direction', { amplitude: s });
          return;
        }
        if (s > this.peak) this.peak = s;
        // progress must be real movement, not landmark noise: 5% of the target
        if (s > this.progressPeak + 0.05 * lim.target) {
          // moving on after a stall: that was a pause mid-action (a stall that never resumes ends as incomplete)
          if (this.stalled) {
            this.fail(t, 'paused-mid-action', { stalledMs: this.stalledMs, amplitude: s, target: lim.target });
            return;
          }
          this.progressPeak = s;
          this.lastProgressAt = t;
        } else if (t - this.lastProgressAt > c.maxPauseMs) {
          this.stalled = true;
          this.stalledMs = t - this.lastProgressAt;
        }
        if (s >= lim.target) {
          this.targetAt = crossing(prevT, prevS, t, s, lim.target);
          this.phase = holdMs > 0 ? 'hold' : lim.needsReturn ? 'return' : 'hold';
          if (this.phase === 'hold' && holdMs === 0) {
            this.done(t, 0);
            return;
          }
          break;
        }
        if (s < lim.onset) {
          // went back before reaching the target: a second start will be a repeat
          this.abandoned = true;
          this.abandonedPeak = Math.max(this.abandonedPeak, this.peak);
          this.stalled = false;
          this.phase = 'await';
          break;
        }
        if (t - this.onsetAt - this.skippedMs > c.actionTimeoutMs) {
          this.fail(t, 'incomplete', { amplitude: this.peak, target: lim.target });
          return;
        }
        this.progress(t, 0.6 * Math.min(1, s / lim.target));
        break;
      }
      case 'hold': {
        if (s > this.peak) this.peak = s;
        const held = t - this.targetAt;
        if (s < lim.holdMin) {
          this.fail(t, 'hold-broken', { heldMs: held, holdMs, amplitude: s, limit: lim.holdMin });
          return;
        }
        if (held >= holdMs) {
          if (lim.needsReturn) this.phase = 'return';
          else this.done(t, held);
          return;
        }
        this.progress(t, 0.6 + 0.4 * (held / holdMs));
        break;
      }
      case 'return': {
        if (s > this.peak) this.peak = s;
        if (action === 'blink' && Number.isNaN(this.closedEndAt) && s < lim.target) this.closedEndAt = crossing(prevT, prevS, t, s, lim.target);
        if (s < lim.returnBelow) {
          this.reopenedAt = crossing(prevT, prevS, t, s, lim.returnBelow);
          if (action === 'blink') {
            const duration = this.reopenedAt - this.onsetAt;
            if (duration < c.blink.minDurationMs) {
              this.fail(t, 'blink-too-fast', { durationMs: duration, limit: c.blink.minDurationMs });
              return;
            }
            // confirm only after a short quiet window: a second closure right after is a flutter
            this.phase = 'settle';
            this.phaseAt = t;
            this.progress(t, 0.9);
            return;
          }
          this.done(t, 0);
          return;
        }
        if (t - this.onsetAt - this.skippedMs > c.actionTimeoutMs) {
          this.fail(t, 'incomplete', { amplitude: this.peak, target: lim.target });
          return;
        }
        this.progress(t, 0.8);
        break;
      }
      case 'settle': {
        if (s >= lim.onset) {
          this.fail(t, 'blink-flutter', { sinceReopenMs: t - this.reopenedAt });
          return;
        }
        if (t - this.reopenedAt >= c.blink.flutterWindowMs) this.done(t, 0);
        break;
      }
    }
  }

  private progress(t: number, stepProgress: number): void {
    if (stepProgress < this.emittedProgress + 0.05) return;
    this.emittedProgress = stepProgress;
    const { action } = this.plan.steps[this.step];
    this.emit({ type: 'progress', step: this.step, action, stepProgress, progress: (this.step + stepProgress) / this.plan.steps.length, timestampMs: t });
  }

  private done(t: number, heldMs: number): void {
    const { action } = this.plan.steps[this.step];
    const result: ActionResult = {
      step: this.step,
      action,
      latencyMs: this.reportLatency,
      amplitude: this.peak,
      durationMs: (action === 'blink' ? this.reopenedAt : t) - this.onsetAt,
      heldMs,
      peakSpeed: this.peakSpeed,
    };
    if (action === 'blink') {
      const closedEnd = Number.isNaN(this.closedEndAt) ? this.reopenedAt : this.closedEndAt;
      result.blink = { closingMs: this.targetAt - this.onsetAt, closedMs: closedEnd - this.targetAt, reopeningMs: this.reopenedAt - closedEnd };
    }
    this.results.push(result);
    this.emit({ type: 'progress', step: this.step, action, stepProgress: 1, progress: (this.step + 1) / this.plan.steps.length, timestampMs: t });
    this.emit({ type: 'action-done', timestampMs: t, ...result });
    this.step++;
    if (this.step === this.plan.steps.length) {
      this.end(t, 'completed', null);
      return;
    }
    this.phase = 'pause';
    this.phaseAt = t;
    this.skippedMs = 0;
  }

  private fail(t: number, reason: ActionFailureReason, detail: Record<string, number>): void {
    const s = this.plan.steps[Math.min(this.step, this.plan.steps.length - 1)];
    this.emit({ type: 'action-failed', step: this.step, action: s.action, reason, detail, timestampMs: t });
    this.end(t, 'failed', reason);
  }

  private end(t: number, outcome: 'completed' | 'failed' | 'rejected', reason: ActionFailureReason | RejectionReason | null): void {
    this.phase = 'ended';
    this.emit({ type: 'attempt-ended', outcome, reason, results: this.results.slice(), timestampMs: t });
  }
}

/** Time at which a linearly interpolated signal crossed `level` between two samples. */
function crossing(t0: number, v0: number, t1: number, v1: number, level: number): number {
  if (!Number.isFinite(t0) || v1 === v0) return t1;
  const f = (level - v0) / (v1 - v0);
  return f >= 0 && f <= 1 ? t0 + f * (t1 - t0) : t1;
}

// Drives a ChallengeSession with a simulated person: a synthetic face whose pose and expression follow a motion
// profile that starts when each prompt appears. Frames go through the engine's interpreter (the real geometry,
// guidance and session code).

import type { FaceRegionStats } from '../../src/geometry/face-geometry.js';
import type { ChallengeEvent, ChallengeSession } from '../../src/challenge/session.js';
import { FrameInterpreter } from '../../src/attempt/interpreter.js';
import type { ChallengeConfigInput } from '../../src/challenge/config.js';
import type { ChallengePlan } from '../../src/challenge/plan.js';
import type { ChallengeAction } from '../../src/challenge/actions.js';
import type { FaceDetection, QualityMetrics } from '../../src/types.js';
import { NEUTRAL, SyntheticFace, frameOf, type FacePose } from '../helpers/synthetic-face.js';

export interface Look {
  pose?: Partial<FacePose>;
  /** No face in this frame. */
  noFace?: boolean;
  quality?: Partial<QualityMetrics>;
  regions?: FaceRegionStats;
  extraFace?: boolean;
  /** Another person's face. */
  other?: boolean;
}

/** What the person does, as a function of ms since the prompt of the action (u < 0 never happens). */
export type Motion = (u: number) => Look;

const smooth = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x));

/** A turn: wait `latency`, ramp to `amp` deg over `rampMs`, hold `holdMs`, come back over 500 ms. */
export function turn(sign: number, o: { latency?: number; amp?: number; rampMs?: number; holdMs?: number } = {}): Motion {
  const { latency = 400, amp = 22, rampMs = 500, holdMs = 2100 } = o;
  return (u) => {
    const a = u < latency + rampMs + holdMs ? smooth((u - latency) / rampMs) : 1 - smooth((u - latency - rampMs - holdMs) / 500);
    return { pose: { yawDeg: sign * amp * a } };
  };
}

export function blink(o: { latency?: number; closeMs?: number; closedMs?: number; openMs?: number; times?: number; gapMs?: number } = {}): Motion {
  const { latency = 400, closeMs = 100, closedMs = 120, openMs = 150, times = 1, gapMs = 0 } = o;
  const cycle = closeMs + closedMs + openMs + gapMs;
  return (u) => {
    let v = u - latency;
    if (v < 0 || v >= times * cycle) return {};
    v %= cycle;
    const open = v < closeMs ? 1 - smooth(v / closeMs) : v < closeMs + closedMs ? 0 : smooth((v - closeMs - closedMs) / openMs);
    return { pose: { rightEyeOpen: open, leftEyeOpen: open } };
  };
}

export function mouth(o: { latency?: number; mm?: number; rampMs?: number; holdMs?: number } = {}): Motion {
  const { latency = 400, mm = 25, rampMs = 300, holdMs = 700 } = o;
  return (u) => {
    const a = u < latency + rampMs + holdMs ? smooth((u - latency) / rampMs) : 1 - smooth((u - latency - rampMs - holdMs) / 300);
    return { pose: { mouthOpenMm: mm * a } };
  };
}

export function nod(o: { latency?: number; amp?: number; downMs?: number; upMs?: number } = {}): Motion {
  const { latency = 400, amp = 15, downMs = 350, upMs = 350 } = o;
  return (u) => {
    const v = u - latency;
    const a = v < downMs ? smooth(v / downMs) : 1 - smooth((v - downMs) / upMs);
    return { pose: { pitchDeg: -amp * a } };
  };
}

export function smile(o: { latency?: number; rampMs?: number; holdMs?: number } = {}): Motion {
  const { latency = 400, rampMs = 300, holdMs = 900 } = o;
  return (u) => {
    const a = u < latency + rampMs + holdMs ? smooth((u - latency) / rampMs) : 1 - smooth((u - latency - rampMs - holdMs) / 300);
    return { pose: { smile: a } };
  };
}

/** A cooperative person on unmirrored frames. */
export function defaultMotion(action: ChallengeAction, mirrored = false): Motion {
  switch (action) {
    case 'turn-left':
      return turn(mirrored ? -1 : 1);
    case 'turn-right':
      return turn(mirrored ? 1 : -1);
    case 'blink':
      return blink();
    case 'mouth-open':
      return mouth();
    case 'nod':
      return nod();
    case 'smile':
      return smile();
  }
}

export interface SimOptions {
  config?: ChallengeConfigInput;
  fps?: number;
  maxMs?: number;
  /** Motion per step index (default: the cooperative one for the step's action). */
  motions?: Record<number, Motion>;
  /** Applied on top, by absolute time (for scene changes independent of prompts). */
  scene?: (t: number) => Look;
  /** The person's own neutral pose. */
  neutral?: Partial<FacePose>;
  noisePx?: number;
  /** Face-embedding distance to feed the session per frame (undefined = none). */
  identityDistance?: (t: number) => number | undefined;
  /** Collects what each frame fed the interpreter, for `replay`. */
  record?: RecordedFrame[];
}

/** One frame as the interpreter received it (what a recording of the capture carries to the server). */
export interface RecordedFrame {
  frame: ReturnType<typeof frameOf>;
  face: FaceDetection | null;
  regions: FaceRegionStats;
}

export interface SimResult {
  events: ChallengeEvent[];
  ended: Extract<ChallengeEvent, { type: 'attempt-ended' }> | undefined;
  failed: Extract<ChallengeEvent, { type: 'action-failed' }> | undefined;
  session: ChallengeSession;
}

const goodEye = { lumaMean: 90, lumaStd: 45, specularFraction: 0.002, strandEdgeDensity: 0.02 };
export const GOOD_REGIONS: FaceRegionStats = { rightEye: goodEye, leftEye: goodEye, mouth: { skinToneDistance: 0.05 }, cheeks: { lumaMean: 140, lumaStd: 18 } };

export function simulate(plan: ChallengePlan, o: SimOptions = {}): SimResult {
  const fps = o.fps ?? 30;
  const person = new SyntheticFace();
  const stranger = new SyntheticFace({ seed: 1234, width: 0.9, height: 1.12, depth: 0.95, jitterMm: 3 });
  const interpreter = new FrameInterpreter({ plan, challenge: o.config });
  const session = interpreter.session!;
  const mirrored = o.config?.mirrored ?? false;
  const events: ChallengeEvent[] = [];
  let promptAt = NaN;
  let motion: Motion = () => ({});
  const maxMs = o.maxMs ?? 30_000;
  for (let i = 0; ; i++) {
    const t = 1000 + (i * 1000) / fps;
    if (t > 1000 + maxMs || session.ended) break;
    const look: Look = Number.isNaN(promptAt) ? {} : motion(t - promptAt);
    const sceneLook = o.scene?.(t) ?? {};
    const pose: FacePose = { ...NEUTRAL, noisePx: o.noisePx ?? 0.3, ...o.neutral, ...look.pose, ...sceneLook.pose };
    const noFace = look.noFace || sceneLook.noFace;
    const face = sceneLook.other || look.other ? stranger : person;
    const faces: FaceDetection[] = noFace ? [] : [face.detection(pose, i + 1)];
    if (!noFace && (look.extraFace || sceneLook.extraFace)) faces.push(person.detection({ ...pose, centerX: pose.centerX + 150, noisePx: 0 }, i));
    const frame = frameOf(t, faces, { ...look.quality, ...sceneLook.quality });
    const regions = sceneLook.regions ?? look.regions ?? GOOD_REGIONS;
    o.record?.push({ frame, face: faces[0] ?? null, regions });
    const step = interpreter.interpret(frame, faces[0] ?? null, regions, { identityDistance: o.identityDistance?.(t) });
    for (const e of step.challenge) {
      events.push(e);
      if (e.type === 'prompt') {
        promptAt = e.timestampMs;
        motion = o.motions?.[e.step] ?? defaultMotion(e.action, mirrored);
      }
    }
  }
  return result(events, session);
}

/** Feeds recorded frames, unchanged, to a new session with `plan`: a recording judged against another schedule. */
export function replay(plan: ChallengePlan, recorded: readonly RecordedFrame[], config?: ChallengeConfigInput): SimResult {
  const interpreter = new FrameInterpreter({ plan, challenge: config });
  const session = interpreter.session!;
  const events: ChallengeEvent[] = [];
  for (const r of recorded) {
    if (session.ended) break;
    events.push(...interpreter.interpret(r.frame, r.face, r.regions).challenge);
  }
  return result(events, session);
}

function result(events: ChallengeEvent[], session: ChallengeSession): SimResult {
  return {
    events,
    session,
    ended: events.find((e): e is Extract<ChallengeEvent, { type: 'attempt-ended' }> => e.type === 'attempt-ended'),
    failed: events.find((e): e is Extract<ChallengeEvent, { type: 'action-failed' }> => e.type === 'action-failed'),
  };
}

// Every challenge threshold in one place, with defaults. Angles in degrees relative to the person's own neutral pose
// (measured before the first prompt), expression measures relative to their neutral face.

import { LivecheckError } from '../errors.js';
import type { GuidanceCode } from '../guidance/codes.js';

export interface ChallengeConfig {
  /** The analysed frames are mirrored (selfie-preview orientation): flips which image direction `turn-left` is. */
  mirrored: boolean;
  /** Usable, guidance-clean face time needed to measure the neutral face before the first prompt. */
  calibrationMs: number;
  /** Give up when calibration has not completed after this long (plus the first step's gap). */
  calibrationTimeoutMs: number;
  /** Pause after an action is confirmed before the next prompt (ms; half a second by product requirement). */
  pauseMs: number;
  /** A response starting sooner than this after the prompt is not a human reaction (simple reaction time ~200 ms). */
  minLatencyMs: number;
  /**
   * No response (no onset) within this time of the prompt fails. With `minLatencyMs` it is the window in which a
   * person answers a prompt they are watching for; the narrower it is, the less footage recorded against other prompt
   * times can hit it (see the plan's gaps).
   */
  responseTimeoutMs: number;
  /** From onset to reaching the target amplitude. */
  actionTimeoutMs: number;
  /** Time allowed to return to neutral before the next prompt, after a confirmation (plus the next step's gap). */
  neutralTimeoutMs: number;
  /** Face missing this long during the challenge fails with face-lost. */
  faceLostMs: number;
  /** Head angular speed above which a movement is a jerk (deg/s). Deliberate turns stay well below. */
  maxAngularSpeedDegPerS: number;
  /** No progress (5% of the target) for this long between onset and target, then moving on, is a pause mid-action. */
  maxPauseMs: number;
  /** Head turn, degrees of yaw from the neutral pose (15-20 deg is enough; beyond `maxDeg` the face nears loss). */
  turn: { onsetDeg: number; targetDeg: number; holdToleranceDeg: number; maxDeg: number };
  nod: { onsetDeg: number; targetDeg: number; returnDeg: number; maxDeg: number };
  /**
   * Blink measured as closure = 1 - openness / neutral openness (0 = neutral, 1 = shut). `closedClosure` sits between
   * the peak of a real blink and the lid drop of looking down, so a downward glance is not a blink.
   */
  blink: { onsetClosure: number; closedClosure: number; reopenClosure: number; minDurationMs: number; flutterWindowMs: number };
  /** Mouth opening (inner-lip gap / inter-ocular width) above the neutral one. */
  mouth: { onset: number; target: number; holdFraction: number };
  /**
   * Smile: relative widening of the mouth over the neutral width, counted only as far as the corners have lifted
   * (`liftTarget` of corner lift, FaceGeometry.mouthCornerLift, above neutral stands for `target`): a smile lifts the
   * corners, while pressed lips widen the mouth with the corners nearly level.
   */
  smile: { onset: number; target: number; holdFraction: number; liftTarget: number };
  /** Limits of "neutral" (before a prompt). */
  neutral: { yawDeg: number; pitchDeg: number; closure: number; mouth: number; smile: number };
  /**
   * Identity change. Shape cue: relative RMS distance of the landmark shape signature from the neutral one over
   * `frames` consecutive frames (weak: a change of person moves it no more than one person's own variation over a
   * minute, so it only catches gross changes). Embedding cue: when the caller passes
   * `identityDistance` (a face-embedding distance to the face at the start, same scale as the decision's face match),
   * `externalReadings` consecutive readings above `maxExternalDistance` end the attempt. 0.45 and 2 are the
   * decision's identity check (DEFAULT_IDENTITY_CONFIG in src/decision/identity.ts), so that the challenge and the
   * decision call the same change.
   */
  identity: { maxDistance: number; frames: number; maxExternalDistance: number; externalReadings: number };
  /** Guidance codes that end the attempt when raised during the challenge (a product requirement). */
  rejectOn: GuidanceCode[];
}

export const DEFAULT_CHALLENGE_CONFIG: ChallengeConfig = {
  mirrored: false,
  calibrationMs: 500,
  calibrationTimeoutMs: 15_000,
  pauseMs: 500,
  minLatencyMs: 180,
  responseTimeoutMs: 3000,
  actionTimeoutMs: 4000,
  neutralTimeoutMs: 4000,
  faceLostMs: 300,
  maxAngularSpeedDegPerS: 400,
  maxPauseMs: 700,
  turn: { onsetDeg: 5, targetDeg: 15, holdToleranceDeg: 4, maxDeg: 45 },
  nod: { onsetDeg: 4, targetDeg: 10, returnDeg: 4, maxDeg: 35 },
  blink: { onsetClosure: 0.25, closedClosure: 0.45, reopenClosure: 0.2, minDurationMs: 150, flutterWindowMs: 400 },
  mouth: { onset: 0.06, target: 0.18, holdFraction: 0.8 },
  smile: { onset: 0.04, target: 0.1, holdFraction: 0.7, liftTarget: 0.02 },
  neutral: { yawDeg: 6, pitchDeg: 6, closure: 0.2, mouth: 0.05, smile: 0.04 },
  identity: { maxDistance: 0.08, frames: 5, maxExternalDistance: 0.45, externalReadings: 2 },
  rejectOn: ['background-motion', 'lighting-changed', 'eyes-occluded', 'eye-hair-strand', 'focus-unstable', 'multiple-faces'],
};

export type ChallengeConfigInput = {
  [K in keyof ChallengeConfig]?: ChallengeConfig[K] extends object ? (ChallengeConfig[K] extends unknown[] ? ChallengeConfig[K] : Partial<ChallengeConfig[K]>) : ChallengeConfig[K];
};

export function resolveChallengeConfig(input: ChallengeConfigInput = {}): ChallengeConfig {
  const out = structuredClone(DEFAULT_CHALLENGE_CONFIG) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(input)) {
    if (!(k in out)) throw new LivecheckError('invalid-argument', `challenge config: unknown option ${k}`, { option: k });
    if (v === undefined) continue;
    const base = out[k];
    if (typeof base === 'object' && base !== null && !Array.isArray(base)) {
      for (const sk of Object.keys(v as object)) {
        if (!(sk in base)) throw new LivecheckError('invalid-argument', `challenge config: unknown option ${k}.${sk}`, { option: `${k}.${sk}` });
      }
      out[k] = { ...base, ...(v as object) };
    } else out[k] = v;
  }
  const cfg = out as unknown as ChallengeConfig;
  if (typeof cfg.mirrored !== 'boolean') throw new LivecheckError('invalid-argument', 'challenge config: mirrored must be a boolean');
  if (!Array.isArray(cfg.rejectOn)) throw new LivecheckError('invalid-argument', 'challenge config: rejectOn must be an array of guidance codes');
  const numbers = (o: object, path: string): void => {
    for (const [k, v] of Object.entries(o)) {
      if (k === 'mirrored' || k === 'rejectOn') continue;
      if (typeof v === 'object' && v !== null) numbers(v, `${path}${k}.`);
      else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new LivecheckError('invalid-argument', `challenge config ${path}${k} must be a finite number >= 0`, { option: path + k, value: v });
      }
    }
  };
  numbers(cfg, '');
  if (!(cfg.turn.onsetDeg < cfg.turn.targetDeg && cfg.turn.targetDeg < cfg.turn.maxDeg) || !(cfg.nod.onsetDeg < cfg.nod.targetDeg && cfg.nod.targetDeg < cfg.nod.maxDeg)) {
    throw new LivecheckError('invalid-argument', 'challenge config: need onset < target < max for turn and nod');
  }
  const b = cfg.blink;
  if (!(b.reopenClosure <= b.onsetClosure && b.onsetClosure < b.closedClosure && b.closedClosure <= 1)) {
    throw new LivecheckError('invalid-argument', 'challenge config: need blink reopenClosure <= onsetClosure < closedClosure <= 1');
  }
  if (!(cfg.mouth.onset < cfg.mouth.target) || !(cfg.smile.onset < cfg.smile.target)) {
    throw new LivecheckError('invalid-argument', 'challenge config: need onset < target for mouth and smile');
  }
  if (!(cfg.smile.liftTarget > 0)) throw new LivecheckError('invalid-argument', 'challenge config: smile.liftTarget must be > 0', { option: 'smile.liftTarget', value: cfg.smile.liftTarget });
  return cfg;
}

// Every threshold of the decision in one typed object with documented defaults. Callers pass a partial
// (`resolveDecisionConfig({ motion: { minPoseChangeDeg: 12 } })`); values are validated, never silently clamped.

import { LivecheckError } from '../errors.js';

/** FaceMesh points that stay put under expressions: forehead, nose line and wings, eye corners, cheeks, face sides. */
export const RIGID_LANDMARKS: readonly number[] = [
  10, 151, 9, 109, 338, 67, 297, // forehead
  168, 6, 197, 195, 5, 4, 1, 98, 327, // nose bridge to tip, alar wings
  33, 133, 362, 263, // eye corners
  234, 454, 127, 356, 93, 323, 132, 361, // face sides at ear and cheek level
  50, 280, 116, 345, 123, 352, // cheeks, cheekbones
];

export interface MotionConfig {
  /** Landmark indices of the rigid head used by the planarity test (default: RIGID_LANDMARKS). */
  rigidLandmarks: readonly number[];
  /** Frames whose pose differs from the reference by at least this (degrees) can test planarity. */
  minPoseChangeDeg: number;
  /**
   * Landmark jitter alone makes a still face look slightly foreshortened. A frame counts as turned only when its
   * foreshortening exceeds this many times the jitter's own (estimated from the clip's residuals).
   */
  poseNoiseFactor: number;
  /** Planarity is decided only on at least this many frames with enough pose change. */
  minPlanarityFrames: number;
  /** Median normalised parallax at or below this: the landmarks move like a plane (flat picture). */
  flatParallaxMax: number;
  /** Median normalised parallax at or above this: the landmarks move like a 3D head. */
  liveParallaxMin: number;
  /** The surround test needs the face to wander at least this far (RMS excursion, in face sizes). */
  minSurroundTravel: number;
  /** Surround coupling (1 = face moves exactly with its surround) at or above this: a held picture or device. */
  coupledMin: number;
  /** Surround coupling at or below this: the face moves on its own. */
  independentMax: number;
  /** Eye aperture / eye width range (p95 - p5) at or above this counts as non-rigid motion (blinks). */
  minEyeApertureRange: number;
  /** Inner-lip gap / mouth width range (p95 - p5) at or above this counts as non-rigid motion (mouth). */
  minMouthApertureRange: number;
  /** Weights of the sub-scores in the motion score. */
  weights: { parallax: number; surround: number; nonRigid: number };
}

export interface DecisionConfig {
  motion: MotionConfig;
}

export const DEFAULT_MOTION_CONFIG: MotionConfig = {
  rigidLandmarks: RIGID_LANDMARKS,
  minPoseChangeDeg: 10,
  poseNoiseFactor: 6,
  minPlanarityFrames: 3,
  flatParallaxMax: 0.05,
  liveParallaxMin: 0.1,
  minSurroundTravel: 0.15,
  coupledMin: 0.8,
  independentMax: 0.4,
  minEyeApertureRange: 0.15,
  minMouthApertureRange: 0.2,
  weights: { parallax: 0.6, surround: 0.3, nonRigid: 0.1 },
};

export const DEFAULT_DECISION_CONFIG: DecisionConfig = {
  motion: DEFAULT_MOTION_CONFIG,
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type DecisionConfigInput = DeepPartial<DecisionConfig>;

/** Merges a partial config over the defaults and validates every number. */
export function resolveDecisionConfig(input: DecisionConfigInput = {}): DecisionConfig {
  const merged = merge(DEFAULT_DECISION_CONFIG, input) as DecisionConfig;
  validate(merged, 'config');
  const m = merged.motion;
  ordered(m.flatParallaxMax, m.liveParallaxMin, 'motion.flatParallaxMax', 'motion.liveParallaxMin');
  ordered(m.independentMax, m.coupledMin, 'motion.independentMax', 'motion.coupledMin');
  return merged;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (Array.isArray(base) || typeof base !== 'object' || base === null) return over;
  if (typeof over !== 'object' || over === null || Array.isArray(over)) {
    throw new LivecheckError('invalid-argument', 'config: expected an object', { got: typeof over });
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(base)) out[key] = merge((base as Record<string, unknown>)[key], (over as Record<string, unknown>)[key]);
  for (const key of Object.keys(over)) {
    if (!(key in base)) throw new LivecheckError('invalid-argument', `config: unknown option ${key}`, { key });
  }
  return out;
}

/** Every number must be finite and non-negative; the option names say the unit. */
function validate(v: unknown, path: string): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new LivecheckError('invalid-argument', `config: ${path} must be a finite number >= 0`, { path, value: v });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => validate(x, `${path}[${i}]`));
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) validate(x, `${path}.${k}`);
  }
}

function ordered(lo: number, hi: number, loName: string, hiName: string): void {
  if (!(lo < hi)) throw new LivecheckError('invalid-argument', `config: ${loName} must be below ${hiName}`, { [loName]: lo, [hiName]: hi });
}

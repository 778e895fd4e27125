// Every threshold of the decision in one typed object with documented defaults. Callers pass a partial
// (`resolveDecisionConfig({ motion: { minPoseChangeDeg: 12 } })`); values are validated, never silently clamped.

import { LivecheckError } from '../errors.js';
import { RIGID_LANDMARKS } from '../face/landmarks.js';

export { RIGID_LANDMARKS };

export interface MotionConfig {
  /** Landmark indices of the rigid head used by the planarity test (default: RIGID_LANDMARKS). */
  rigidLandmarks: readonly number[];
  /**
   * Where the pose change comes from: 'mesh' (default): the out-of-plane rotation of the landmarks' 3D positions
   * (FaceMesh z); 'image': the 2D foreshortening of the rigid landmarks. Falls back to 'image' without depth.
   * A head pose given per frame (MotionFrame.yawDeg/pitchDeg) is used in both.
   */
  poseSource: 'mesh' | 'image';
  /** A frame counts as turned only if its pose change is at least this many times the median frame-to-frame change. */
  poseStepFactor: number;
  /** Frames whose pose differs from the reference by at least this (degrees) can test planarity. */
  minPoseChangeDeg: number;
  /**
   * ('image' only) Landmark jitter alone makes a still face look slightly foreshortened. A frame counts as turned
   * only when its foreshortening exceeds this many times what white jitter of the measured size would give.
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
  /**
   * A blink: eye openness (lid gap / eye width, eye-aspect-ratio units) at least this far below the clip's median on
   * every frame of a run of consecutive frames that spans minBlinkMs.
   */
  minBlinkDrop: number;
  /**
   * How long a blink keeps the eye down at least (ms): the run is ceil(minBlinkMs / frame interval) frames, 2 at
   * 25 fps, 1 below ~17 fps. One odd frame at a high frame rate is a tracking glitch, not a blink.
   */
  minBlinkMs: number;
  /** Mouth opening (inner-lip gap / inter-ocular width) range p95 - p5 at or above this: mouth movement seen. */
  minMouthApertureRange: number;
  /** A blink or mouth movement must also be at least this many times the aperture's own frame-to-frame noise (sigma). */
  minApertureSnr: number;
  /**
   * A tilted or bent picture shrinks every vertical distance of the face, the eyes' and mouth's included, by the same
   * factor (1 - cos tilt). An aperture change counts as non-rigid only if its relative size is at least this many
   * times the rigid face's own foreshortening (affine tilt of the rigid landmarks) at the same frames.
   */
  foreshorteningFactor: number;
  /** Weights of the sub-scores in the motion score. */
  weights: { parallax: number; surround: number; nonRigid: number };
}

export interface ActiveConfig {
  /** A response starting sooner after the prompt than this (ms) is faster than human reaction: spoof. */
  minLatencyMs: number;
  /** A response starting later than this (ms) is unsure (the engine's own timeout usually comes first). */
  maxLatencyMs: number;
  /** Eyelid closure faster than this (openness units per second, open = 1) is not a human blink: spoof. */
  maxClosureVelocity: number;
  /** A turn or nod beyond this (degrees) is implausible for the tracker: unsure. */
  maxTurnDeg: number;
  /** Smoothness below this (0..1) is jerky or stepping motion: unsure. */
  minSmoothness: number;
  /**
   * Engine failure codes that mean an attack rather than a person struggling (others give unsure). 'wrong-direction'
   * is left out on purpose: people confuse left and right on a mirrored preview.
   */
  spoofFailureReasons: readonly string[];
}

/** The passive inputs, in report order. */
export const PASSIVE_FEATURES = ['antispoofReal', 'livenessLive', 'moire', 'flicker', 'deviceBorder', 'specular'] as const;
export type PassiveFeature = (typeof PASSIVE_FEATURES)[number];

export interface PassiveFeatureConfig {
  /** 'live': 1 means live (model outputs). 'artefact': 1 means a print/screen artefact. */
  kind: 'live' | 'artefact';
  /** Weight in the fused score (0 disables the feature). */
  weight: number;
  /**
   * ('artefact' only) Scores at or below this are what live captures show too, so they count as no artefact; above
   * it the evidence falls linearly to 1. 0: every bit of artefact counts.
   */
  floor: number;
}

export interface PassiveConfig {
  features: Record<PassiveFeature, PassiveFeatureConfig>;
  /** A feature enters the fusion only with at least this many frames measured. */
  minFrames: number;
  /** Quantile over frames for model outputs (0.5: the median frame). */
  modelQuantile: number;
  /** Quantile over frames for artefact scores (artefacts come and go with distance and angle). */
  artefactQuantile: number;
  /** Fewer summed feature weights than this: unsure (the models alone are weak evidence). */
  minEvidenceWeight: number;
  /** Fused score at or above this: live. */
  liveMin: number;
  /** Fused score at or below this: spoof. */
  spoofMax: number;
  /** Any single artefact at or above this is a spoof on its own (artefacts are specific to prints and screens). */
  artefactVeto: number;
}

export type SignalNameConfig = 'active' | 'passive' | 'motion';

export interface ConsensusConfig {
  /** Signals whose absence counts as "unsure" (so no pass without them). */
  requiredSignals: readonly SignalNameConfig[];
}

export interface FaceMatchConfig {
  /** Embedding distance at or below this: the same person. */
  matchMax: number;
  /** Distance at or above this is a large difference. */
  largeDifferenceMin: number;
  /** What a large difference yields: 'review' (default: old photo, surgery, injury) or 'no-match'. */
  largeDifference: 'review' | 'no-match';
  /** Face quality (0..1) below this: review, not compared. */
  minQuality: number;
}

export interface DecisionConfig {
  motion: MotionConfig;
  active: ActiveConfig;
  passive: PassiveConfig;
  consensus: ConsensusConfig;
  faceMatch: FaceMatchConfig;
}

export const DEFAULT_MOTION_CONFIG: MotionConfig = {
  rigidLandmarks: RIGID_LANDMARKS,
  poseSource: 'mesh',
  poseStepFactor: 3,
  minPoseChangeDeg: 10,
  poseNoiseFactor: 6,
  minPlanarityFrames: 3,
  flatParallaxMax: 0.05,
  liveParallaxMin: 0.1,
  minSurroundTravel: 0.15,
  coupledMin: 0.8,
  independentMax: 0.4,
  // tuned on the attack suite: below every live blink's drop, above what an attack's eyes did
  minBlinkDrop: 0.06,
  minBlinkMs: 60,
  // tuned on the attack suite: below live mouth movement, above the talking of a replayed or swapped face
  minMouthApertureRange: 0.15,
  minApertureSnr: 8,
  foreshorteningFactor: 3,
  weights: { parallax: 0.6, surround: 0.3, nonRigid: 0.1 },
};

export const DEFAULT_ACTIVE_CONFIG: ActiveConfig = {
  // visual simple reaction time is ~200-250 ms; a prompt that also needs a decision takes longer
  minLatencyMs: 150,
  maxLatencyMs: 6000,
  // a fast blink closes in ~60-100 ms; a full closure in one 30 fps frame (30/s) is already suspicious
  maxClosureVelocity: 25,
  maxTurnDeg: 60,
  minSmoothness: 0.3,
  spoofFailureReasons: ['wrong-action', 'out-of-order', 'too-fast'],
};

export const DEFAULT_PASSIVE_CONFIG: PassiveConfig = {
  features: {
    antispoofReal: { kind: 'live', weight: 0.5, floor: 0 },
    livenessLive: { kind: 'live', weight: 0.5, floor: 0 },
    moire: { kind: 'artefact', weight: 1, floor: 0 },
    // live captures show some banding too (lighting, compression), less than the prints and screens that show it:
    // below the floor flicker is no evidence either way (tuned on the attack suite)
    flicker: { kind: 'artefact', weight: 1, floor: 0.5 },
    deviceBorder: { kind: 'artefact', weight: 1, floor: 0 },
    specular: { kind: 'artefact', weight: 0.5, floor: 0 },
  },
  minFrames: 5,
  modelQuantile: 0.5,
  artefactQuantile: 0.75,
  minEvidenceWeight: 1.5,
  liveMin: 0.7,
  spoofMax: 0.3,
  artefactVeto: 0.85,
};

export const DEFAULT_CONSENSUS_CONFIG: ConsensusConfig = {
  requiredSignals: ['active', 'passive', 'motion'],
};

export const DEFAULT_FACE_MATCH_CONFIG: FaceMatchConfig = {
  matchMax: 0.5,
  largeDifferenceMin: 0.8,
  largeDifference: 'review',
  minQuality: 0.4,
};

export const DEFAULT_DECISION_CONFIG: DecisionConfig = {
  motion: DEFAULT_MOTION_CONFIG,
  active: DEFAULT_ACTIVE_CONFIG,
  passive: DEFAULT_PASSIVE_CONFIG,
  consensus: DEFAULT_CONSENSUS_CONFIG,
  faceMatch: DEFAULT_FACE_MATCH_CONFIG,
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
  for (const [name, v] of [
    ['motion.coupledMin', m.coupledMin],
    ['passive.modelQuantile', merged.passive.modelQuantile],
    ['passive.artefactQuantile', merged.passive.artefactQuantile],
    ['passive.liveMin', merged.passive.liveMin],
    ['passive.artefactVeto', merged.passive.artefactVeto],
    ['active.minSmoothness', merged.active.minSmoothness],
  ] as const) {
    if (v > 1) throw new LivecheckError('invalid-argument', `config: ${name} must be in [0,1]`, { [name]: v });
  }
  ordered(merged.active.minLatencyMs, merged.active.maxLatencyMs, 'active.minLatencyMs', 'active.maxLatencyMs');
  ordered(merged.passive.spoofMax, merged.passive.liveMin, 'passive.spoofMax', 'passive.liveMin');
  ordered(merged.faceMatch.matchMax, merged.faceMatch.largeDifferenceMin, 'faceMatch.matchMax', 'faceMatch.largeDifferenceMin');
  if (m.poseSource !== 'mesh' && m.poseSource !== 'image') {
    throw new LivecheckError('invalid-argument', "config: motion.poseSource must be 'mesh' or 'image'", { value: m.poseSource });
  }
  if (merged.faceMatch.largeDifference !== 'review' && merged.faceMatch.largeDifference !== 'no-match') {
    throw new LivecheckError('invalid-argument', "config: faceMatch.largeDifference must be 'review' or 'no-match'", { value: merged.faceMatch.largeDifference });
  }
  for (const s of merged.consensus.requiredSignals) {
    if (s !== 'active' && s !== 'passive' && s !== 'motion') throw new LivecheckError('invalid-argument', `config: unknown signal ${String(s)}`, { signal: s });
  }
  for (const [name, f] of Object.entries(merged.passive.features)) {
    if (f.kind !== 'live' && f.kind !== 'artefact') throw new LivecheckError('invalid-argument', `config: passive.features.${name}.kind must be 'live' or 'artefact'`, { kind: f.kind });
    if (!(f.floor < 1)) throw new LivecheckError('invalid-argument', `config: passive.features.${name}.floor must be below 1`, { floor: f.floor });
  }
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

// Every guidance threshold in one place. Each limit has an `enter` value (raise the code) and an `exit` value
// (clear it), so a measure hovering at the limit does not make the code flicker. Defaults come from public anchors
// where they exist (Yoti brightness 40/215, ICAO pose, ICAO ~90 px eye distance for good portraits);
// docs/decision-and-calibration.md gives each default's source. Change them here, not in the checks.

import { LivecheckError } from '../errors.js';

export interface Band {
  enter: number;
  exit: number;
}

export interface GuidanceConfig {
  /** Minimum frame size (either orientation): the short side and the long side. */
  minResolution: { short: number; long: number };
  /** Frames per second measured over the window. Requirement: >= 15 fps; enter below 14 to tolerate jitter. */
  minFps: Band;
  /** Faces below this detector score are ignored. */
  minFaceScore: number;
  /**
   * A second face counts only if its box is at least this fraction of the main face's width: a person a few metres
   * behind (about 30 px next to a 225 px selfie face at 640x480) counts; a tiny face far away does not.
   */
  minSecondFaceWidthRatio: number;
  /** Inter-eye distance in px: below `enter` is too small. ICAO asks ~90 px for a good portrait; this is the floor. */
  minInterEyePx: Band;
  /** Face (mesh) height / frame height above which the face is too close (Yoti: face box at most 80%). */
  maxFaceHeightFraction: Band;
  /** Fraction of mesh points that must lie inside the frame. */
  minInFrameFraction: Band;
  /** |centre offset| as a fraction of the frame size, per axis. */
  maxCenterOffset: Band;
  /**
   * Pose limits in degrees, absolute (pose of the measured canonical face). ICAO asks +-5 yaw/pitch and +-8 roll for a
   * passport portrait; a selfie camera sits below the eyes and people rarely face a webcam squarely, so the defaults
   * are wider: raise at 20 (roll 15), clear below 15 (roll 10).
   */
  maxYawDeg: Band;
  maxPitchDeg: Band;
  maxRollDeg: Band;
  /** Mean face luma 0..255 (Yoti: 40 dark / 215 bright). */
  minFaceLuma: Band;
  maxFaceLuma: Band;
  /** Fraction of face pixels (0..1) clipped to black / white: a well-exposed face clips next to none. */
  maxDarkClipped: Band;
  maxBrightClipped: Band;
  /** Face luma / surround luma: below `enter` the face is backlit. */
  minFaceToSurround: Band;
  /** |left-right balance| of face luma, (L-R)/(L+R). */
  maxLeftRightBalance: Band;
  /**
   * How far the face's chromaticity (r, g, b summing to 1) lies outside the skin locus below, in chromaticity units:
   * a coloured light moves the face's mean out of the range skin shows under white light.
   */
  maxColorCast: Band;
  /** Skin locus: ranges of r - g and g - b of the face's mean chromaticity under white light. */
  skinLocus: { redMinusGreen: [number, number]; greenMinusBlue: [number, number] };
  /**
   * Face focus scaled to a reference face size: focusNormalized * (interEyePx / focusReferenceEyePx)^2 (the
   * contrast-normalised Laplacian falls roughly with the square of the face's pixel scale, so a small sharp face
   * would otherwise read as blurry). Below `enter` the face is blurry (defocus or motion blur).
   */
  minScaledFocus: Band;
  focusReferenceEyePx: number;
  /** p90/p10 of the face focus over the window: above `enter` the focus is unstable. */
  maxFocusSpread: Band;
  /** Residual background motion p90 (px/frame) above which the background moves. */
  maxBackgroundMotionPx: Band;
  /** Residual must also exceed this fraction of the global motion: a shaking camera leaves some residual (parallax). */
  backgroundMotionVsGlobal: number;
  /** Minimum fraction of tracked background points for residual (background) motion to be trusted. */
  minTrackedFraction: number;
  /**
   * Mean `motion.movingFraction` (tracked background points off the camera model by more than the kernels' movingPx)
   * over the last `movingWindowFrames` trusted frames, above which people move behind the user. Walkers cover only a
   * few grid points, so the residual p90 barely moves; the share of moving points sees them, and its mean over a
   * window covers walkers that move only every few frames.
   */
  maxMovingShare: Band;
  /** Frames in the moving-share window; at least half of them must be trusted (tracked) for it to count. */
  movingWindowFrames: number;
  /**
   * The same for camera shake, which needs only the median flow, so a plain wall's few tracked points suffice. With
   * fewer, the tracked points sit on the person's body (a flat backdrop) and follow the head, not the camera.
   */
  minTrackedFractionForShake: number;
  /** Global (camera) motion magnitude px/frame above which the camera shakes. */
  maxCameraShakePx: Band;
  /** Eye width / inter-ocular width outside [min, max] is an implausible (occluded) eye. */
  eyeWidthRatio: { min: number; max: number };
  /** Mouth width / inter-ocular width outside [min, max] is an implausible mouth; lip crossing above max likewise. */
  mouthWidthRatio: { min: number; max: number };
  maxLipCrossing: number;
  /** Pose-fit residual (canonical mm) above which the mesh does not look like a whole face. */
  maxFitResidual: Band;
  /** Pixel cues of an eye are read only while its openness (EAR) is above this: a closed lid is not an occlusion. */
  eyeCuesMinOpenness: number;
  /** Eye-region luma std / cheek luma std below `enter`: the eye has lost its contrast (covered). */
  minEyeContrastRatio: Band;
  /**
   * Mouth region skin-tone distance (engine/region-meter.ts skinToneDistance: the mouth-minus-cheeks colour over the
   * cheeks' own colour) above `enter`: something not skin-coloured covers the mouth (mask). Bare lips stay well below
   * it in good and bad light; a grey, white or black cover reads about 1.0, a coloured one more.
   */
  maxMouthSkinToneDistance: Band;
  /**
   * Chin-region luma std / the session's own chin std (median of its first `chinBaselineFrames` measured frames):
   * above `enter` something textured (fingers) covers the chin or jaw. A ratio to the session's own chin, so a bare
   * chin stays close to 1 through changes of light, blur or camera motion.
   */
  maxChinTextureGain: Band;
  /** Frames (with a measured chin) whose median chin std is the session's baseline. */
  chinBaselineFrames: number;
  /** Sunglasses: both eye regions darker than this fraction of the cheek luma and flatter than `maxLensStd`. */
  sunglassesLumaRatio: Band;
  maxLensStd: number;
  /** Specular fraction of an eye region above `enter`: glare on glasses. */
  maxEyeSpecular: Band;
  /** Hair-strand edge density of an eye region above `enter`. */
  maxStrandEdgeDensity: Band;
  /** Relative change of the face luma between the start and the end of the window. */
  maxLightingChange: Band;
  /** Temporal window length (ms) for frame rate, focus stability and lighting change. */
  windowMs: number;
  /** Hysteresis over the last `frames` frames: raise after `enterCount` raw hits, clear after `exitCount` raw misses. */
  hysteresis: { frames: number; enterCount: number; exitCount: number };
  /** Frame usability. */
  skip: {
    /** Whole-frame entropy (bits) below which a frame carries too little information. */
    minEntropy: number;
    /** Focus below this fraction of the recent median focus is a blur spike. */
    blurSpikeRatio: number;
    /** Frame luma further than this fraction from the recent median luma is a flicker frame. */
    flickerRatio: number;
    /** Recent frames used for those medians. */
    medianFrames: number;
  };
}

export const DEFAULT_GUIDANCE_CONFIG: GuidanceConfig = {
  minResolution: { short: 480, long: 640 },
  minFps: { enter: 14, exit: 15 },
  minFaceScore: 0.5,
  minSecondFaceWidthRatio: 0.12,
  minInterEyePx: { enter: 50, exit: 56 },
  maxFaceHeightFraction: { enter: 0.8, exit: 0.74 },
  minInFrameFraction: { enter: 0.97, exit: 0.995 },
  maxCenterOffset: { enter: 0.2, exit: 0.15 },
  maxYawDeg: { enter: 20, exit: 15 },
  maxPitchDeg: { enter: 20, exit: 15 },
  maxRollDeg: { enter: 15, exit: 10 },
  minFaceLuma: { enter: 40, exit: 50 },
  maxFaceLuma: { enter: 215, exit: 205 },
  maxDarkClipped: { enter: 0.3, exit: 0.2 },
  maxBrightClipped: { enter: 0.1, exit: 0.05 },
  minFaceToSurround: { enter: 0.5, exit: 0.6 },
  maxLeftRightBalance: { enter: 0.25, exit: 0.18 },
  maxColorCast: { enter: 0.02, exit: 0.01 },
  skinLocus: { redMinusGreen: [0.05, 0.33], greenMinusBlue: [-0.03, 0.17] },
  minScaledFocus: { enter: 0.022, exit: 0.025 },
  focusReferenceEyePx: 70,
  maxFocusSpread: { enter: 2.5, exit: 1.8 },
  maxBackgroundMotionPx: { enter: 1.5, exit: 0.8 },
  backgroundMotionVsGlobal: 0.5,
  minTrackedFraction: 0.3,
  maxMovingShare: { enter: 0.03, exit: 0.015 },
  movingWindowFrames: 12,
  minTrackedFractionForShake: 0.1,
  maxCameraShakePx: { enter: 2, exit: 1 },
  eyeWidthRatio: { min: 0.22, max: 0.45 },
  mouthWidthRatio: { min: 0.35, max: 0.95 },
  maxLipCrossing: 0.03,
  maxFitResidual: { enter: 8, exit: 6 },
  eyeCuesMinOpenness: 0.15,
  minEyeContrastRatio: { enter: 1.1, exit: 1.25 },
  maxMouthSkinToneDistance: { enter: 0.5, exit: 0.4 },
  maxChinTextureGain: { enter: 1.3, exit: 1.22 },
  chinBaselineFrames: 24,
  sunglassesLumaRatio: { enter: 0.45, exit: 0.55 },
  maxLensStd: 14,
  maxEyeSpecular: { enter: 0.04, exit: 0.02 },
  maxStrandEdgeDensity: { enter: 0.15, exit: 0.1 },
  maxLightingChange: { enter: 0.2, exit: 0.1 },
  windowMs: 2000,
  hysteresis: { frames: 8, enterCount: 4, exitCount: 6 },
  skip: { minEntropy: 3, blurSpikeRatio: 0.5, flickerRatio: 0.12, medianFrames: 9 },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly number[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type GuidanceConfigInput = DeepPartial<GuidanceConfig>;

/** Defaults overlaid with `input`; every number is checked (finite; bands need enter/exit on the right sides). */
export function resolveGuidanceConfig(input: GuidanceConfigInput = {}): GuidanceConfig {
  const merged = merge(DEFAULT_GUIDANCE_CONFIG, input) as GuidanceConfig;
  validate(merged, '');
  const h = merged.hysteresis;
  if (!(h.frames >= 1 && h.frames <= 30 && Number.isInteger(h.frames) && h.enterCount >= 1 && h.enterCount <= h.frames && h.exitCount >= 1 && h.exitCount <= h.frames)) {
    throw new LivecheckError('invalid-argument', 'guidance hysteresis needs 1 <= enterCount, exitCount <= frames <= 30', { hysteresis: h });
  }
  for (const [k, v] of Object.entries(merged)) {
    if (typeof v !== 'object' || v === null || !('enter' in v) || !('exit' in v)) continue;
    const band = v as Band;
    // a max-limit clears below where it was raised, a min-limit above: otherwise the band would flicker
    const ok = k.startsWith('max') ? band.exit <= band.enter : k.startsWith('min') ? band.exit >= band.enter : true;
    if (!ok) throw new LivecheckError('invalid-argument', `guidance config ${k}: exit must be on the safe side of enter`, { option: k, band });
  }
  if (!(merged.windowMs > 0)) throw new LivecheckError('invalid-argument', 'guidance windowMs must be > 0', { windowMs: merged.windowMs });
  return merged;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (Array.isArray(base) || typeof base !== 'object' || base === null) return over;
  if (typeof over !== 'object' || over === null || Array.isArray(over)) {
    throw new LivecheckError('invalid-argument', 'guidance config: expected an object', { got: String(over) });
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(base)) out[k] = merge((base as Record<string, unknown>)[k], (over as Record<string, unknown>)[k]);
  for (const k of Object.keys(over)) if (!(k in base)) throw new LivecheckError('invalid-argument', `guidance config: unknown option ${k}`, { option: k });
  return out;
}

function validate(v: unknown, path: string): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LivecheckError('invalid-argument', `guidance config ${path} must be a finite number`, { option: path, value: v });
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => validate(x, `${path}[${i}]`));
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) validate(x, path ? `${path}.${k}` : k);
    return;
  }
  throw new LivecheckError('invalid-argument', `guidance config ${path} has the wrong type`, { option: path });
}

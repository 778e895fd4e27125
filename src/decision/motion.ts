// Motion / 3D signal: does the face move like a head, or like a flat picture?
//
// (a) Planarity. Landmarks of a flat picture (print or screen) in any later frame are the reference frame's
//     landmarks mapped by one homography; a real head turning or nodding shows parallax (the nose tip sits ~30 mm in
//     front of the cheeks and the face sides ~50 mm behind), which no homography explains. The residual of a robust
//     homography fit is divided by (face size * sin(pose change)): a still face, live or not, has no parallax to show,
//     so frames without enough pose change are not used, and too few such frames give "unsure", never "spoof".
//     The residual first loses the clip's own landmark noise floor (measured on near-still frames).
// (b) Surround. A hand-held picture or phone moves the face together with what surrounds it; a head moves on its
//     own. Compared after removing the global (camera) motion, so a shaking camera is not a held picture.
// (c) Non-rigid motion inside the rigid head (blinks, mouth): supporting evidence only (a replayed video has it too).

import type { Point3, FrameAnalysis } from '../types.js';
import { DEFAULT_MOTION_CONFIG, type MotionConfig } from './config.js';
import { HomographyFitter, affineTilt } from './homography.js';
import { clampToVerdict, reason, type SignalReason, type SignalResult, type SignalVerdict } from './signal.js';

const DEG = Math.PI / 180;
/** Frames of one clip that enter the planarity fit (evenly spread): bounds the pairwise slope work. */
const MAX_PLANARITY_FRAMES = 150;

// FaceMesh points for the apertures (subject's right eye 33/133 corners, 159/145 lids; left 263/362, 386/374).
const RIGHT_EYE = { outer: 33, inner: 133, upper: 159, lower: 145 } as const;
const LEFT_EYE = { outer: 263, inner: 362, upper: 386, lower: 374 } as const;
const MOUTH = { left: 61, right: 291, upper: 13, lower: 14 } as const;

/** Frame-to-frame image motion in pixels (from the kernels' optical flow). */
export interface ImageMotion {
  dx: number;
  dy: number;
}

/** One frame as the motion signal needs it: plain data, from the face pipeline, geometry and kernels. */
export interface MotionFrame {
  timestampMs: number;
  /** The tracked face's landmarks (FaceMesh order, image pixels), or null when no face was found. */
  landmarks: ReadonlyArray<Point3> | null;
  /** Head pose from the geometry, when known (degrees). Only raises the measured pose change, never lowers it. */
  yawDeg?: number;
  pitchDeg?: number;
  /** Motion since the previous frame of the image ring around the face box (median flow), when measured. */
  surround?: ImageMotion | null;
  /** Global (camera) motion since the previous frame: median flow of the whole background, when measured. */
  global?: ImageMotion | null;
}

export interface MotionInput {
  frames: ReadonlyArray<MotionFrame>;
  /** Frame whose landmarks all others are compared with (default: the first frame with a face). */
  referenceIndex?: number;
}

/** What was measured, for reports and tuning (null where it could not be measured). */
export interface MotionMeasurements {
  /** Median normalised parallax over the frames with enough pose change. */
  parallax: number | null;
  /** Frames that entered the parallax median. */
  parallaxFrames: number;
  /** Largest pose change from the reference seen (degrees). */
  maxPoseChangeDeg: number;
  /** Landmark noise floor: the homography residual at zero pose change (px, RMS over the rigid points). */
  noiseFloorPx: number | null;
  /** Landmark jitter per coordinate (px), from frame-to-frame third differences. */
  jitterPx: number | null;
  /** Face size: RMS distance of the reference rigid landmarks from their centroid (px). */
  faceSizePx: number | null;
  /** 1 = the face moves exactly with its surround, 0 = independently. */
  surroundCoupling: number | null;
  /** RMS excursion of the face relative to the camera motion, in face sizes. */
  surroundTravel: number | null;
  eyeApertureRange: number | null;
  mouthApertureRange: number | null;
}

export interface MotionSignalResult extends SignalResult {
  measurements: MotionMeasurements;
}

/**
 * Reusable analyser: buffers sized for the rigid landmark set are allocated once, so a session can run it on every
 * completed capture without garbage.
 */
export class MotionAnalyzer {
  private readonly config: MotionConfig;
  private readonly fitter: HomographyFitter;
  private readonly src: Float64Array;
  private readonly dst: Float64Array;
  private readonly h = new Float64Array(9);
  private readonly xs = new Float64Array(MAX_PLANARITY_FRAMES);
  private readonly ys = new Float64Array(MAX_PLANARITY_FRAMES);
  private readonly change = new Float64Array(MAX_PLANARITY_FRAMES);
  private jitter = new Float64Array(0);
  private readonly slopes = new Float64Array((MAX_PLANARITY_FRAMES * (MAX_PLANARITY_FRAMES - 1)) / 2);

  constructor(config: MotionConfig = DEFAULT_MOTION_CONFIG) {
    this.config = config;
    const n = Math.max(4, config.rigidLandmarks.length);
    this.fitter = new HomographyFitter(n);
    this.src = new Float64Array(2 * n);
    this.dst = new Float64Array(2 * n);
  }

  analyze(input: MotionInput): MotionSignalResult {
    const c = this.config;
    const frames = input.frames;
    const reasons: SignalReason[] = [];
    const m: MotionMeasurements = {
      parallax: null, parallaxFrames: 0, maxPoseChangeDeg: 0, noiseFloorPx: null, jitterPx: null, faceSizePx: null,
      surroundCoupling: null, surroundTravel: null, eyeApertureRange: null, mouthApertureRange: null,
    };
    const refIndex = input.referenceIndex ?? frames.findIndex((f) => f.landmarks !== null);
    const ref = refIndex >= 0 ? frames[refIndex] : undefined;
    if (!ref || !ref.landmarks || !this.hasRigidPoints(ref.landmarks)) {
      reasons.push(reason('no-face-track', 'no frame with a full set of face landmarks to compare with'));
      return { score: 0.5, verdict: 'unsure', reasons, measurements: m };
    }

    const planar = this.planarity(frames, ref, m);
    const surround = this.surroundTest(frames, refIndex, m);
    const nonRigid = this.nonRigid(frames, m);

    // (a) planarity
    let parallaxVerdict: SignalVerdict = 'unsure';
    if (planar === null) {
      reasons.push(reason('too-little-pose-change', `fewer than ${c.minPlanarityFrames} frames turned at least ${c.minPoseChangeDeg} deg from the reference: parallax cannot be judged`, m.maxPoseChangeDeg, c.minPoseChangeDeg));
    } else if (planar <= c.flatParallaxMax) {
      parallaxVerdict = 'spoof';
      reasons.push(reason('planar-motion', 'landmarks move like a flat picture: one homography explains them (normalised parallax)', planar, c.flatParallaxMax));
    } else if (planar >= c.liveParallaxMin) {
      parallaxVerdict = 'live';
      reasons.push(reason('parallax', 'landmarks show 3D parallax between nose, cheeks and face sides (normalised parallax)', planar, c.liveParallaxMin));
    } else {
      reasons.push(reason('parallax-inconclusive', 'parallax between the flat and the 3D thresholds (normalised parallax)', planar, c.liveParallaxMin));
    }

    // (b) surround
    let surroundVerdict: SignalVerdict = 'unsure';
    if (surround === 'no-data') {
      reasons.push(reason('surround-not-measured', 'no motion measured around the face'));
    } else if (surround === 'too-little-travel') {
      reasons.push(reason('surround-too-little-travel', 'the face moved too little relative to the camera to compare it with its surround (face sizes)', m.surroundTravel ?? 0, c.minSurroundTravel));
    } else if (m.surroundCoupling !== null && m.surroundCoupling >= c.coupledMin) {
      if (surround === 'no-global') {
        reasons.push(reason('surround-coupled-camera-unknown', 'the face moves with its surround, but the camera motion is unknown (could be camera shake)', m.surroundCoupling, c.coupledMin));
      } else {
        surroundVerdict = 'spoof';
        reasons.push(reason('moves-with-surround', 'the face moves rigidly together with its surround, like a held picture or device (coupling)', m.surroundCoupling, c.coupledMin));
      }
    } else if (m.surroundCoupling !== null && m.surroundCoupling <= c.independentMax) {
      surroundVerdict = 'live';
      reasons.push(reason('moves-independently', 'the face moves independently of its surround (coupling)', m.surroundCoupling, c.independentMax));
    } else {
      reasons.push(reason('surround-inconclusive', 'the face partly moves with its surround (coupling)', m.surroundCoupling ?? Number.NaN, c.coupledMin));
    }

    // (c) non-rigid
    if (nonRigid === true) {
      const eye = m.eyeApertureRange ?? 0;
      reasons.push(eye >= c.minEyeApertureRange
        ? reason('non-rigid-eyes', 'eyelids move inside the rigid head (eye aperture range)', eye, c.minEyeApertureRange)
        : reason('non-rigid-mouth', 'the mouth moves inside the rigid head (mouth aperture range)', m.mouthApertureRange ?? 0, c.minMouthApertureRange));
    } else if (nonRigid === false) {
      reasons.push(reason('no-non-rigid-motion', 'no blink or mouth movement seen (eye aperture range)', m.eyeApertureRange ?? 0, c.minEyeApertureRange));
    }

    // A head cannot be flat: a decided planar motion is a spoof whatever else is seen. A held picture that moves with
    // its surround is a spoof unless the landmarks show parallax; parallax against a coupled surround is a conflict.
    let verdict: SignalVerdict;
    if (parallaxVerdict === 'spoof') verdict = 'spoof';
    else if (parallaxVerdict === 'live') verdict = surroundVerdict === 'spoof' ? 'unsure' : 'live';
    else verdict = surroundVerdict === 'spoof' ? 'spoof' : 'unsure';
    if (parallaxVerdict === 'live' && surroundVerdict === 'spoof') {
      reasons.push(reason('motion-conflict', '3D parallax, yet the face moves with its surround: sent to review'));
    }

    const w = c.weights;
    let sum = 0;
    let weight = 0;
    if (planar !== null) {
      sum += w.parallax * clamp01((planar - c.flatParallaxMax) / (c.liveParallaxMin - c.flatParallaxMax));
      weight += w.parallax;
    }
    if (m.surroundCoupling !== null && surround === 'ok') {
      sum += w.surround * clamp01(1 - m.surroundCoupling);
      weight += w.surround;
    }
    if (nonRigid === true) {
      sum += w.nonRigid * 1;
      weight += w.nonRigid;
    }
    const raw = weight > 0 ? sum / weight : 0.5;
    return { score: clampToVerdict(raw, verdict), verdict, reasons, measurements: m };
  }

  private hasRigidPoints(lm: ReadonlyArray<Point3>): boolean {
    for (const i of this.config.rigidLandmarks) {
      const p = lm[i];
      if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) return false;
    }
    return true;
  }

  /**
   * Parallax: how fast the homography residual grows with the pose change. Per frame, r^2 = floor^2 + (k * size *
   * sin(change))^2 (landmark noise plus depth parallax); k is the slope of that line, fitted robustly (Theil-Sen over
   * frame pairs that differ enough in pose). A picture gives k ~ 0 at any tilt, a head k ~ (depth spread / size).
   * Returns null when too few frames turned far enough, or all turned equally (no slope to measure).
   */
  private planarity(frames: ReadonlyArray<MotionFrame>, ref: MotionFrame, m: MotionMeasurements): number | null {
    const c = this.config;
    const idx = c.rigidLandmarks;
    const n = idx.length;
    const refLm = ref.landmarks as ReadonlyArray<Point3>;
    let cx = 0;
    let cy = 0;
    for (let k = 0; k < n; k++) {
      const p = refLm[idx[k]];
      this.src[2 * k] = p[0];
      this.src[2 * k + 1] = p[1];
      cx += p[0];
      cy += p[1];
    }
    cx /= n;
    cy /= n;
    let size = 0;
    for (let k = 0; k < n; k++) size += (this.src[2 * k] - cx) ** 2 + (this.src[2 * k + 1] - cy) ** 2;
    size = Math.sqrt(size / n);
    m.faceSizePx = size;
    if (!(size > 0)) return null;

    // per usable frame (at most MAX_PLANARITY_FRAMES, evenly spread): residual and pose change
    const usable: number[] = [];
    frames.forEach((f, i) => {
      if (f !== ref && f.landmarks && this.hasRigidPoints(f.landmarks)) usable.push(i);
    });
    const step = Math.max(1, usable.length / MAX_PLANARITY_FRAMES);
    const xs = this.xs;
    const ys = this.ys;
    const change = this.change;
    let count = 0;
    for (let u = 0; u < usable.length && count < MAX_PLANARITY_FRAMES; u = Math.floor((count + 1) * step - 1e-9)) {
      const f = frames[usable[u]];
      const lm = f.landmarks as ReadonlyArray<Point3>;
      for (let k = 0; k < n; k++) {
        const p = lm[idx[k]];
        this.dst[2 * k] = p[0];
        this.dst[2 * k + 1] = p[1];
      }
      const residual = this.fitter.fitRobust(this.src, this.dst, n, this.h);
      const tilt = affineTilt(this.src, this.dst, n);
      if (!Number.isFinite(residual) || !Number.isFinite(tilt)) continue;
      ys[count] = residual;
      xs[count] = tilt; // radians, from the landmarks alone
      change[count] = Math.max(
        tilt / DEG,
        f.yawDeg !== undefined && ref.yawDeg !== undefined ? Math.abs(f.yawDeg - ref.yawDeg) : 0,
        f.pitchDeg !== undefined && ref.pitchDeg !== undefined ? Math.abs(f.pitchDeg - ref.pitchDeg) : 0,
      );
      count++;
    }
    if (count < c.minPlanarityFrames) return null;
    // Landmark jitter fakes foreshortening: the jitter sigma is measured from the landmarks' third differences in
    // time (white jitter: variance 20 sigma^2; smooth head motion has almost none), then the anisotropy 1 - s2/s1 the
    // jitter alone gives (affine linear-part error delta = 2 sigma / (size sqrt n); anisotropy ~ 2 Rayleigh(delta /
    // sqrt 2), 99.9 %: 5.3 delta) sets how far a frame must be foreshortened to count as turned.
    const sigma = this.jitterSigma(frames, usable);
    m.jitterPx = Number.isFinite(sigma) ? sigma : null;
    const delta = (2 * (Number.isFinite(sigma) ? sigma : 0)) / (size * Math.sqrt(n));
    const noiseAnisotropy = c.poseNoiseFactor * delta;
    let moved = 0;
    for (let i = 0; i < count; i++) {
      const anisotropy = 1 - Math.cos(xs[i]);
      const significant = anisotropy >= noiseAnisotropy || change[i] > xs[i] / DEG; // a measured head pose needs no test
      if (change[i] > m.maxPoseChangeDeg && significant) m.maxPoseChangeDeg = change[i];
      if (change[i] >= c.minPoseChangeDeg && significant) moved++;
      const s = size * Math.sin(Math.min(90, change[i]) * DEG);
      xs[i] = s * s;
      ys[i] = ys[i] * ys[i];
    }
    if (moved < c.minPlanarityFrames) return null;
    // Theil-Sen slope over pairs whose pose differs by at least half the minimum pose change
    const minDx = (size * Math.sin((c.minPoseChangeDeg / 2) * DEG)) ** 2;
    let pairs = 0;
    const slopes = this.slopes;
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const dx = xs[j] - xs[i];
        if (Math.abs(dx) < minDx) continue;
        slopes[pairs++] = (ys[j] - ys[i]) / dx;
      }
    }
    if (pairs < c.minPlanarityFrames) return null;
    const slope = quantile(slopes, pairs, 0.5);
    const intercepts = this.slopes; // reuse: residual noise floor = median of y - slope * x
    let ni = 0;
    for (let i = 0; i < count; i++) intercepts[ni++] = ys[i] - slope * xs[i];
    m.noiseFloorPx = Math.sqrt(Math.max(0, quantile(intercepts, ni, 0.5)));
    m.parallaxFrames = moved;
    m.parallax = Math.sqrt(Math.max(0, slope));
    return m.parallax;
  }

  /** Landmark jitter sigma (px) from third differences over runs of consecutive frames; NaN without 4 in a row. */
  private jitterSigma(frames: ReadonlyArray<MotionFrame>, usable: number[]): number {
    const idx = this.config.rigidLandmarks;
    if (this.jitter.length < usable.length) this.jitter = new Float64Array(usable.length);
    let runs = 0;
    for (let u = 3; u < usable.length; u++) {
      if (usable[u] - usable[u - 3] !== 3) continue;
      const a = frames[usable[u - 3]].landmarks as ReadonlyArray<Point3>;
      const b = frames[usable[u - 2]].landmarks as ReadonlyArray<Point3>;
      const c = frames[usable[u - 1]].landmarks as ReadonlyArray<Point3>;
      const d = frames[usable[u]].landmarks as ReadonlyArray<Point3>;
      let ss = 0;
      for (const k of idx) {
        for (let axis = 0; axis < 2; axis++) {
          const d3 = d[k][axis] - 3 * c[k][axis] + 3 * b[k][axis] - a[k][axis];
          ss += d3 * d3;
        }
      }
      this.jitter[runs++] = ss / (2 * idx.length);
    }
    if (runs === 0) return Number.NaN;
    return Math.sqrt(quantile(this.jitter, runs, 0.5) / 20);
  }

  private surroundTest(frames: ReadonlyArray<MotionFrame>, refIndex: number, m: MotionMeasurements): 'ok' | 'no-data' | 'no-global' | 'too-little-travel' {
    const idx = this.config.rigidLandmarks;
    // cumulative surround and global motion; face position from its landmarks (no drift from summing noise)
    let sx = 0, sy = 0, gx = 0, gy = 0;
    let refX = Number.NaN, refY = Number.NaN;
    let globalSeen = 0;
    const fx: number[] = [], fy: number[] = [], rx: number[] = [], ry: number[] = [];
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (i > refIndex) {
        if (!f.surround) continue; // a gap in the flow breaks the chain: skip the frame
        sx += f.surround.dx;
        sy += f.surround.dy;
        if (f.global) {
          gx += f.global.dx;
          gy += f.global.dy;
          globalSeen++;
        }
      }
      if (i < refIndex || !f.landmarks || !this.hasRigidPoints(f.landmarks)) continue;
      let x = 0, y = 0;
      for (const k of idx) {
        x += f.landmarks[k][0];
        y += f.landmarks[k][1];
      }
      x /= idx.length;
      y /= idx.length;
      if (i === refIndex) {
        refX = x;
        refY = y;
        continue;
      }
      fx.push(x - refX - gx);
      fy.push(y - refY - gy);
      rx.push(sx - gx);
      ry.push(sy - gy);
    }
    if (fx.length < 3) return 'no-data';
    const size = m.faceSizePx ?? 0;
    const mfx = mean(fx), mfy = mean(fy);
    let spread = 0, mismatch = 0;
    for (let k = 0; k < fx.length; k++) {
      spread += (fx[k] - mfx) ** 2 + (fy[k] - mfy) ** 2;
      mismatch += (fx[k] - rx[k]) ** 2 + (fy[k] - ry[k]) ** 2;
    }
    spread = Math.sqrt(spread / fx.length);
    mismatch = Math.sqrt(mismatch / fx.length);
    m.surroundTravel = size > 0 ? spread / size : 0;
    if (m.surroundTravel < this.config.minSurroundTravel) return 'too-little-travel';
    m.surroundCoupling = clamp01(1 - mismatch / spread);
    return globalSeen === 0 ? 'no-global' : 'ok';
  }

  /** true: blinks or mouth movement seen; false: none; null: too few frames. */
  private nonRigid(frames: ReadonlyArray<MotionFrame>, m: MotionMeasurements): boolean | null {
    const eyes: number[] = [];
    const mouth: number[] = [];
    for (const f of frames) {
      const lm = f.landmarks;
      if (!lm || lm.length < 468) continue;
      const r = aperture(lm, RIGHT_EYE.upper, RIGHT_EYE.lower, RIGHT_EYE.outer, RIGHT_EYE.inner);
      const l = aperture(lm, LEFT_EYE.upper, LEFT_EYE.lower, LEFT_EYE.outer, LEFT_EYE.inner);
      if (Number.isFinite(r) && Number.isFinite(l)) eyes.push((r + l) / 2);
      const mo = aperture(lm, MOUTH.upper, MOUTH.lower, MOUTH.left, MOUTH.right);
      if (Number.isFinite(mo)) mouth.push(mo);
    }
    if (eyes.length < 5 && mouth.length < 5) return null;
    m.eyeApertureRange = eyes.length >= 5 ? percentile(eyes, 0.95) - percentile(eyes, 0.05) : null;
    m.mouthApertureRange = mouth.length >= 5 ? percentile(mouth, 0.95) - percentile(mouth, 0.05) : null;
    return (m.eyeApertureRange ?? 0) >= this.config.minEyeApertureRange || (m.mouthApertureRange ?? 0) >= this.config.minMouthApertureRange;
  }
}

/** One-shot form of MotionAnalyzer. */
export function motionSignal(input: MotionInput, config: MotionConfig = DEFAULT_MOTION_CONFIG): MotionSignalResult {
  return new MotionAnalyzer(config).analyze(input);
}

/**
 * Adapter from the engine's per-frame analyses: the first face's landmarks and the kernels' global motion.
 * Surround motion and head pose come from callers that measure them (same length as `analyses`, optional).
 */
export function motionFramesFromAnalyses(
  analyses: ReadonlyArray<FrameAnalysis>,
  extra: { surround?: ReadonlyArray<ImageMotion | null>; poses?: ReadonlyArray<{ yawDeg: number; pitchDeg: number } | null> } = {},
): MotionFrame[] {
  return analyses.map((a, i) => {
    const motion = a.quality.motion;
    const pose = extra.poses?.[i] ?? null;
    const frame: MotionFrame = {
      timestampMs: a.timestampMs,
      landmarks: a.faces.length > 0 ? a.faces[0].landmarks : null,
      surround: extra.surround?.[i] ?? null,
      global: motion && Number.isFinite(motion.globalDx) && Number.isFinite(motion.globalDy) ? { dx: motion.globalDx, dy: motion.globalDy } : null,
    };
    if (pose) {
      frame.yawDeg = pose.yawDeg;
      frame.pitchDeg = pose.pitchDeg;
    }
    return frame;
  });
}

function aperture(lm: ReadonlyArray<Point3>, a: number, b: number, c: number, d: number): number {
  const gap = Math.hypot(lm[a][0] - lm[b][0], lm[a][1] - lm[b][1]);
  const width = Math.hypot(lm[c][0] - lm[d][0], lm[c][1] - lm[d][1]);
  return width > 0 ? gap / width : Number.NaN;
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

function mean(v: number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** q-quantile of the first n values of a scratch buffer (sorted in place). */
function quantile(v: Float64Array, n: number, q: number): number {
  const s = v.subarray(0, n).sort();
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function percentile(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

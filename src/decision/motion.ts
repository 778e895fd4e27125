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
// (c) Non-rigid motion inside the rigid head: a blink (eye openness dips for at least minBlinkMs) or the mouth
//     opening, far beyond the aperture's own noise, and far beyond what the rigid face's foreshortening explains (a
//     tilted or bent picture shrinks the eyes together with the whole face; a print cannot blink). When no head turn
//     gives parallax to judge (blink-only or mouth-only challenges), this is what shows a live face. A screen or a
//     replayed recording of a live face has it too, by design: catching those is the passive and active signals' job.

import type { Point3, FrameAnalysis } from '../types.js';
import { DEFAULT_MOTION_CONFIG, type MotionConfig } from './config.js';
import { HomographyFitter, affineTilt, outOfPlaneRotation } from './homography.js';
import { clampToVerdict, reason, type SignalReason, type SignalResult, type SignalVerdict } from './signal.js';

const DEG = Math.PI / 180;
/** Frames of one clip that enter the planarity fit (evenly spread): bounds the pairwise slope work. */
const MAX_PLANARITY_FRAMES = 150;
/** Frames tried as the reference (evenly spread). */
const CENTRAL_CANDIDATES = 25;

// FaceMesh points for the apertures (subject's right eye 33/133 corners, 159/145 lids; left 263/362, 386/374;
// inner lips 13/14). Eye: lid gap / eye width (like the eye aspect ratio); mouth: lip gap / outer-eye-corner width
// (the geometry's mouthOpening unit).
const RIGHT_EYE = { outer: 33, inner: 133, upper: 159, lower: 145 } as const;
const LEFT_EYE = { outer: 263, inner: 362, upper: 386, lower: 374 } as const;
const MOUTH = { upper: 13, lower: 14 } as const;

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
  /** Eye openness from the geometry (eye aspect ratio, mean of both eyes), when known; else measured on the mesh. */
  eyeOpenness?: number;
  /** Mouth opening from the geometry (inner-lip gap / inter-ocular width), when known; else measured on the mesh. */
  mouthOpening?: number;
  /** Motion since the previous frame of the image ring around the face box (median flow), when measured. */
  surround?: ImageMotion | null;
  /** Global (camera) motion since the previous frame: median flow of the whole background, when measured. */
  global?: ImageMotion | null;
}

export interface MotionInput {
  frames: ReadonlyArray<MotionFrame>;
  /**
   * Frame whose landmarks all others are compared with. Default: the most central frame (least foreshortened
   * against the others), not the first: a tracker's first mesh (from a detector crop) can differ systematically.
   */
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
  /** Pose change (degrees) a frame needed to count as turned, from the clip's own estimation noise. */
  poseNoiseDeg: number | null;
  /** Face size: RMS distance of the reference rigid landmarks from their centroid (px). */
  faceSizePx: number | null;
  /** 1 = the face moves exactly with its surround, 0 = independently. */
  surroundCoupling: number | null;
  /** RMS excursion of the face relative to the camera motion, in face sizes. */
  surroundTravel: number | null;
  /** Deepest blink: eye openness below the clip's median, held on two consecutive frames (eye-aspect-ratio units). */
  blinkDrop: number | null;
  mouthApertureRange: number | null;
  /** Frame-to-frame noise (sigma) of the eye openness and of the mouth opening. */
  eyeNoise: number | null;
  mouthNoise: number | null;
  /** The rigid face's foreshortening (1 - cos affine tilt against the reference) at the blink / at the largest tilt. */
  blinkForeshortening: number | null;
  maxForeshortening: number | null;
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
  private readonly measured = new Float64Array(MAX_PLANARITY_FRAMES);
  private readonly ref3: Float64Array;
  private readonly cur3: Float64Array;
  private readonly prev3: Float64Array;
  private readonly prev2: Float64Array;
  private readonly work = new Float64Array(32);
  private readonly slopes = new Float64Array((MAX_PLANARITY_FRAMES * (MAX_PLANARITY_FRAMES - 1)) / 2);

  constructor(config: MotionConfig = DEFAULT_MOTION_CONFIG) {
    this.config = config;
    const n = Math.max(4, config.rigidLandmarks.length);
    this.fitter = new HomographyFitter(n);
    this.src = new Float64Array(2 * n);
    this.dst = new Float64Array(2 * n);
    this.prev2 = new Float64Array(2 * n);
    this.ref3 = new Float64Array(3 * n);
    this.cur3 = new Float64Array(3 * n);
    this.prev3 = new Float64Array(3 * n);
  }

  analyze(input: MotionInput): MotionSignalResult {
    const c = this.config;
    const frames = input.frames;
    const reasons: SignalReason[] = [];
    const m: MotionMeasurements = {
      parallax: null,
      parallaxFrames: 0,
      maxPoseChangeDeg: 0,
      noiseFloorPx: null,
      jitterPx: null,
      poseNoiseDeg: null,
      faceSizePx: null,
      surroundCoupling: null,
      surroundTravel: null,
      blinkDrop: null,
      mouthApertureRange: null,
      eyeNoise: null,
      mouthNoise: null,
      blinkForeshortening: null,
      maxForeshortening: null,
    };
    const refIndex = input.referenceIndex ?? this.centralFrame(frames);
    const ref = refIndex >= 0 ? frames[refIndex] : undefined;
    if (!ref || !ref.landmarks || !this.hasRigidPoints(ref.landmarks)) {
      reasons.push(reason('no-face-track', 'no frame with a full set of face landmarks to compare with'));
      return { score: 0.5, verdict: 'unsure', reasons, measurements: m };
    }

    const planar = this.planarity(frames, ref, m);
    const surround = this.surroundTest(frames, m);
    const nonRigid = this.nonRigid(frames, ref, m);

    // (a) planarity
    let parallaxVerdict: SignalVerdict = 'unsure';
    if (planar === null) {
      reasons.push(
        reason(
          'too-little-pose-change',
          `fewer than ${c.minPlanarityFrames} frames turned at least ${c.minPoseChangeDeg} deg from the reference: parallax cannot be judged`,
          m.maxPoseChangeDeg,
          c.minPoseChangeDeg,
        ),
      );
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
    if (nonRigid !== null) {
      if (nonRigid.eyes) reasons.push(reason('non-rigid-eyes', 'the eyelids blink inside the rigid face (eye openness drop held for minBlinkMs)', m.blinkDrop ?? 0, c.minBlinkDrop));
      if (nonRigid.mouth) reasons.push(reason('non-rigid-mouth', 'the mouth moves inside the rigid face (mouth opening range)', m.mouthApertureRange ?? 0, c.minMouthApertureRange));
      if (nonRigid.global) {
        reasons.push(
          reason(
            'aperture-change-foreshortened',
            'the eyes or mouth change no more than the whole face is foreshortened, as on a tilted or bent picture (rigid face: 1 - cos tilt)',
            m.maxForeshortening ?? 0,
          ),
        );
      }
      if (!nonRigid.eyes && !nonRigid.mouth && !nonRigid.global) {
        reasons.push(reason('no-non-rigid-motion', 'no blink or mouth movement seen (eye openness drop)', m.blinkDrop ?? 0, c.minBlinkDrop));
      }
    }
    const nonRigidLive = nonRigid !== null && (nonRigid.eyes || nonRigid.mouth);

    // A head cannot be flat: a decided planar motion is a spoof whatever else is seen. A held picture that moves with
    // its surround is a spoof unless the landmarks show parallax; parallax against a coupled surround is a conflict.
    // Without a head turn to judge, a blink or mouth movement inside the rigid face is what a picture cannot show.
    let verdict: SignalVerdict;
    if (parallaxVerdict === 'spoof') verdict = 'spoof';
    else if (parallaxVerdict === 'live') verdict = surroundVerdict === 'spoof' ? 'unsure' : 'live';
    else if (surroundVerdict === 'spoof') verdict = 'spoof';
    else verdict = planar === null && nonRigidLive ? 'live' : 'unsure';
    if (parallaxVerdict === 'live' && surroundVerdict === 'spoof') {
      reasons.push(reason('motion-conflict', '3D parallax, yet the face moves with its surround: sent to review'));
    }
    if (verdict === 'live' && parallaxVerdict !== 'live') {
      reasons.push(
        reason(
          'non-rigid-face',
          'no head turn to judge parallax, but the face deforms where only a live face can (eyelids, mouth) while the rest stays rigid: not a print or photo (a screen replaying a live face also shows this; the passive signal judges screens)',
        ),
      );
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
    if (nonRigidLive) {
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

    // Pose change source. FaceMesh depth (z) follows a real head's turn closely but barely moves when a flat photo is
    // tilted (the network keeps its 3D face prior): with 'mesh' a tilted picture reads as "not turned" (unsure), never
    // as a head. 'image' uses the 2D foreshortening instead, which does see a tilted picture but on real meshes also
    // reads expression changes as large tilts.
    const useMesh = c.poseSource === 'mesh' && hasDepth(refLm, idx, size);
    if (useMesh) this.fill3(this.ref3, refLm);
    const usable: number[] = [];
    frames.forEach((f, i) => {
      if (f !== ref && f.landmarks && this.hasRigidPoints(f.landmarks)) usable.push(i);
    });
    const stride = Math.max(1, usable.length / MAX_PLANARITY_FRAMES);
    const xs = this.xs;
    const ys = this.ys;
    const change = this.change;
    const measured = this.measured;
    let count = 0;
    for (let u = 0; u < usable.length && count < MAX_PLANARITY_FRAMES; u = Math.floor((count + 1) * stride - 1e-9)) {
      const f = frames[usable[u]];
      const lm = f.landmarks as ReadonlyArray<Point3>;
      this.fill(this.dst, lm);
      const residual = this.fitter.fitRobust(this.src, this.dst, n, this.h);
      const turn = this.poseChange(lm, useMesh) / DEG;
      if (!Number.isFinite(residual) || !Number.isFinite(turn)) {
        count++;
        ys[count - 1] = Number.NaN;
        continue;
      }
      ys[count] = residual;
      measured[count] = turn;
      change[count] = Math.max(
        turn,
        f.yawDeg !== undefined && ref.yawDeg !== undefined ? Math.abs(f.yawDeg - ref.yawDeg) : 0,
        f.pitchDeg !== undefined && ref.pitchDeg !== undefined ? Math.abs(f.pitchDeg - ref.pitchDeg) : 0,
      );
      count++;
    }
    // A frame counts as turned only when its measured change stands out from estimation noise:
    // (1) poseStepFactor x the median frame-to-frame change (real turns are smooth, noise is not);
    // (2) for 'image', also the foreshortening white landmark jitter alone gives: sigma from the landmarks' third
    //     differences in time (variance 20 sigma^2), affine linear-part error delta = 2 sigma / (size sqrt n),
    //     anisotropy 1 - s2/s1 ~ 2 Rayleigh(delta / sqrt 2), 99.9 %: 5.3 delta.
    const sigma = this.jitterSigma(frames, usable);
    m.jitterPx = Number.isFinite(sigma) ? sigma : null;
    // foreshortening noise is linear in anisotropy (1 - cos tilt), not in the tilt angle: scale it there
    const step = this.stepNoise(frames, usable, useMesh);
    let noiseDeg = useMesh ? c.poseStepFactor * step : Math.acos(Math.max(-1, 1 - c.poseStepFactor * (1 - Math.cos(step * DEG)))) / DEG;
    if (!useMesh) {
      const delta = (2 * (Number.isFinite(sigma) ? sigma : 0)) / (size * Math.sqrt(n));
      noiseDeg = Math.max(noiseDeg, Math.acos(Math.max(-1, 1 - c.poseNoiseFactor * delta)) / DEG);
    }
    m.poseNoiseDeg = noiseDeg;
    let moved = 0;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(ys[i])) continue;
      // a head pose measured by the caller needs no noise test; our own measurement does
      const trusted = change[i] > measured[i] || measured[i] >= noiseDeg;
      const turn = trusted ? change[i] : 0;
      if (turn > m.maxPoseChangeDeg) m.maxPoseChangeDeg = turn;
      if (turn >= c.minPoseChangeDeg) moved++;
      const sinTurn = size * Math.sin(Math.min(90, turn) * DEG);
      xs[kept] = sinTurn * sinTurn;
      ys[kept] = ys[i] * ys[i];
      kept++;
    }
    count = kept;
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

  /**
   * The frame least foreshortened against the others (median affine tilt over up to CENTRAL_CANDIDATES frames spread
   * evenly): for a challenge of turns and nods that is a frontal frame. -1 when no frame has the rigid landmarks.
   */
  private centralFrame(frames: ReadonlyArray<MotionFrame>): number {
    const candidates: number[] = [];
    frames.forEach((f, i) => {
      if (f.landmarks && this.hasRigidPoints(f.landmarks)) candidates.push(i);
    });
    if (candidates.length <= 2) return candidates.length > 0 ? candidates[0] : -1;
    const step = Math.max(1, candidates.length / CENTRAL_CANDIDATES);
    const picked: number[] = [];
    for (let k = 0; Math.floor(k * step) < candidates.length && picked.length < CENTRAL_CANDIDATES; k++) picked.push(candidates[Math.floor(k * step)]);
    const idx = this.config.rigidLandmarks;
    const n = idx.length;
    let best = picked[0];
    let bestTilt = Number.POSITIVE_INFINITY;
    const tilts = this.slopes;
    for (const a of picked) {
      this.fill(this.src, frames[a].landmarks as ReadonlyArray<Point3>);
      let count = 0;
      for (const b of picked) {
        if (b === a) continue;
        this.fill(this.dst, frames[b].landmarks as ReadonlyArray<Point3>);
        const t = affineTilt(this.src, this.dst, n);
        tilts[count++] = Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
      }
      const median = quantile(tilts, count, 0.5);
      if (median < bestTilt) {
        bestTilt = median;
        best = a;
      }
    }
    return best;
  }

  /** Out-of-plane pose change (radians) of a frame against the reference (set up in src / ref3). */
  private poseChange(lm: ReadonlyArray<Point3>, useMesh: boolean): number {
    const n = this.config.rigidLandmarks.length;
    if (useMesh) {
      this.fill3(this.cur3, lm);
      return outOfPlaneRotation(this.ref3, this.cur3, n, this.work);
    }
    this.fill(this.dst, lm);
    return affineTilt(this.src, this.dst, n);
  }

  /** Median frame-to-frame pose change (degrees) over consecutive usable frames (mostly estimation noise); 0 without any. */
  private stepNoise(frames: ReadonlyArray<MotionFrame>, usable: number[], useMesh: boolean): number {
    const n = this.config.rigidLandmarks.length;
    const steps = this.slopes;
    let count = 0;
    for (let u = 1; u < usable.length && count < MAX_PLANARITY_FRAMES; u++) {
      if (usable[u] - usable[u - 1] !== 1) continue;
      const a = frames[usable[u - 1]].landmarks as ReadonlyArray<Point3>;
      const b = frames[usable[u]].landmarks as ReadonlyArray<Point3>;
      let t: number;
      if (useMesh) {
        this.fill3(this.prev3, a);
        this.fill3(this.cur3, b);
        t = outOfPlaneRotation(this.prev3, this.cur3, n, this.work);
      } else {
        this.fill(this.prev2, a);
        this.fill(this.dst, b);
        t = affineTilt(this.prev2, this.dst, n);
      }
      if (Number.isFinite(t)) steps[count++] = t / DEG;
    }
    return count > 0 ? quantile(steps, count, 0.5) : 0;
  }

  private fill3(out: Float64Array, lm: ReadonlyArray<Point3>): void {
    const idx = this.config.rigidLandmarks;
    for (let k = 0; k < idx.length; k++) {
      out[3 * k] = lm[idx[k]][0];
      out[3 * k + 1] = lm[idx[k]][1];
      out[3 * k + 2] = lm[idx[k]][2];
    }
  }

  /** Copies the rigid landmarks' x, y into a flat buffer. */
  private fill(out: Float64Array, lm: ReadonlyArray<Point3>): void {
    const idx = this.config.rigidLandmarks;
    for (let k = 0; k < idx.length; k++) {
      out[2 * k] = lm[idx[k]][0];
      out[2 * k + 1] = lm[idx[k]][1];
    }
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

  private surroundTest(frames: ReadonlyArray<MotionFrame>, m: MotionMeasurements): 'ok' | 'no-data' | 'no-global' | 'too-little-travel' {
    const idx = this.config.rigidLandmarks;
    const refIndex = frames.findIndex((f) => f.landmarks !== null && this.hasRigidPoints(f.landmarks));
    // cumulative surround and global motion; face position from its landmarks (no drift from summing noise)
    let sx = 0,
      sy = 0,
      gx = 0,
      gy = 0;
    let refX = Number.NaN,
      refY = Number.NaN;
    let globalSeen = 0;
    const fx: number[] = [],
      fy: number[] = [],
      rx: number[] = [],
      ry: number[] = [];
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
      let x = 0,
        y = 0;
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
    const mfx = mean(fx),
      mfy = mean(fy);
    let spread = 0,
      mismatch = 0;
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

  /**
   * Blinks and mouth movement inside the rigid face. eyes / mouth: seen, beyond the noise and beyond the rigid face's
   * foreshortening; global: an aperture change as large as the thresholds, but explained by the whole face's
   * foreshortening (a tilted or bent picture). null: too few frames.
   */
  private nonRigid(frames: ReadonlyArray<MotionFrame>, ref: MotionFrame, m: MotionMeasurements): { eyes: boolean; mouth: boolean; global: boolean } | null {
    const c = this.config;
    const n = c.rigidLandmarks.length;
    const eyes: number[] = [];
    const mouth: number[] = [];
    const fore: number[] = [];
    this.fill(this.src, ref.landmarks as ReadonlyArray<Point3>);
    for (const f of frames) {
      const lm = f.landmarks;
      if (!lm || !this.hasRigidPoints(lm)) {
        // a gap: the pair test below never spans it
        eyes.push(Number.NaN);
        mouth.push(Number.NaN);
        fore.push(Number.NaN);
        continue;
      }
      const full = lm.length >= 468;
      let eye = f.eyeOpenness ?? Number.NaN;
      if (!Number.isFinite(eye) && full) {
        eye = (aperture(lm, RIGHT_EYE.upper, RIGHT_EYE.lower, RIGHT_EYE.outer, RIGHT_EYE.inner) + aperture(lm, LEFT_EYE.upper, LEFT_EYE.lower, LEFT_EYE.outer, LEFT_EYE.inner)) / 2;
      }
      let mo = f.mouthOpening ?? Number.NaN;
      if (!Number.isFinite(mo) && full) mo = aperture(lm, MOUTH.upper, MOUTH.lower, RIGHT_EYE.outer, LEFT_EYE.outer);
      this.fill(this.dst, lm);
      const tilt = affineTilt(this.src, this.dst, n);
      eyes.push(eye);
      mouth.push(mo);
      fore.push(Number.isFinite(tilt) ? 1 - Math.cos(tilt) : Number.NaN);
    }
    const eyeValues = eyes.filter(Number.isFinite);
    const mouthValues = mouth.filter(Number.isFinite);
    if (eyeValues.length < 5 && mouthValues.length < 5) return null;
    const foreValues = fore.filter(Number.isFinite);
    m.maxForeshortening = foreValues.length > 0 ? Math.max(...foreValues) : null;
    const out = { eyes: false, mouth: false, global: false };

    if (eyeValues.length >= 5) {
      const median = percentile(eyeValues, 0.5);
      const noise = stepNoise(eyes);
      m.eyeNoise = noise;
      // the shallowest frame of the deepest run of consecutive frames spanning minBlinkMs: a blink keeps the eye
      // closed for ~100 ms (two or more frames at 25 fps, possibly one at 12 fps); a tracking glitch lasts one frame
      const run = Math.max(1, Math.ceil(c.minBlinkMs / frameInterval(frames)));
      let drop = 0;
      let at = -1;
      for (let i = run - 1; i < eyes.length; i++) {
        let shallowest = Number.NEGATIVE_INFINITY;
        for (let k = i - run + 1; k <= i; k++) shallowest = Math.max(shallowest, eyes[k]); // NaN (a gap) poisons the run
        const d = median - shallowest;
        if (Number.isFinite(d) && d > drop) {
          drop = d;
          at = i;
        }
      }
      m.blinkDrop = drop;
      if (at >= 0) {
        let fs = 0;
        for (let k = at - run + 1; k <= at; k++) fs = Math.max(fs, fore[k]);
        m.blinkForeshortening = Number.isFinite(fs) ? fs : null;
        if (drop >= c.minBlinkDrop && drop >= c.minApertureSnr * noise) {
          // relative closure against the face's own vertical shrink at those frames
          if (median > 0 && drop / median >= c.foreshorteningFactor * (m.blinkForeshortening ?? 0)) out.eyes = true;
          else out.global = true;
        }
      }
    }
    if (mouthValues.length >= 5) {
      const lo = percentile(mouthValues, 0.05);
      const hi = percentile(mouthValues, 0.95);
      const range = hi - lo;
      const noise = stepNoise(mouth);
      m.mouthApertureRange = range;
      m.mouthNoise = noise;
      if (range >= c.minMouthApertureRange && range >= c.minApertureSnr * noise) {
        if (hi > 0 && range / hi >= c.foreshorteningFactor * (m.maxForeshortening ?? 0)) out.mouth = true;
        else out.global = true;
      }
    }
    return out;
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

/** Whether the landmarks carry depth (FaceMesh z), not a flat 2D model's zeros. */
function hasDepth(lm: ReadonlyArray<Point3>, idx: readonly number[], size: number): boolean {
  let mean = 0;
  for (const k of idx) mean += lm[k][2];
  mean /= idx.length;
  let v = 0;
  for (const k of idx) v += (lm[k][2] - mean) ** 2;
  return Number.isFinite(v) && Math.sqrt(v / idx.length) > 0.05 * size;
}

/** Median interval between consecutive frames (ms); 40 (25 fps) when the timestamps do not say. */
function frameInterval(frames: ReadonlyArray<MotionFrame>): number {
  const steps: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    const d = frames[i].timestampMs - frames[i - 1].timestampMs;
    if (Number.isFinite(d) && d > 0) steps.push(d);
  }
  return steps.length > 0 ? percentile(steps, 0.5) : 40;
}

/**
 * Robust frame-to-frame noise (sigma) of a series with gaps (NaN): 1.4826 * MAD of consecutive differences / sqrt 2.
 * A blink or a mouth opening changes only a few steps, so the median step is the noise.
 */
function stepNoise(v: number[]): number {
  const steps: number[] = [];
  for (let i = 1; i < v.length; i++) {
    const d = v[i] - v[i - 1];
    if (Number.isFinite(d)) steps.push(d);
  }
  if (steps.length < 3) return 0;
  const med = percentile(steps, 0.5);
  const dev = steps.map((d) => Math.abs(d - med));
  return (1.4826 * percentile(dev, 0.5)) / Math.SQRT2;
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

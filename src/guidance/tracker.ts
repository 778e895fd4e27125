// Frame-by-frame guidance: raw checks per frame against the configured limits, hysteresis so codes do not flicker,
// temporal checks over a sliding window (frame rate, focus stability, lighting change), and frame usability (frames
// with too little information are marked skipped, and the challenge ignores them).
//
// Allocation: the tracker preallocates its buffers and reuses one state object; `update` returns that same object
// each time, valid until the next call (copy what you keep).

import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { FrameAnalysis } from '../types.js';
import { sortPrefix } from '../util/sort.js';
import { GUIDANCE, GUIDANCE_CODES, type GuidanceCode, type GuidanceSeverity, type SkipReason } from './codes.js';
import { resolveGuidanceConfig, type Band, type GuidanceConfig, type GuidanceConfigInput } from './config.js';

export interface GuidanceIssue {
  code: GuidanceCode;
  severity: GuidanceSeverity;
  message: string;
  /** The measured value that triggered (or keeps) the code. */
  value: number;
  /** The limit it was compared with (the enter limit when raised, the exit limit while raised). */
  threshold: number;
}

export interface GuidanceState {
  timestampMs: number;
  /** False when the frame carries too little information and is left out of the challenge. */
  usable: boolean;
  skipReason: SkipReason | null;
  /** Codes currently raised (after hysteresis), in the stable order of GUIDANCE_CODES. */
  issues: GuidanceIssue[];
  /** Codes raised / cleared on this frame. */
  raised: GuidanceCode[];
  cleared: GuidanceCode[];
  /** Whether any raised code has severity `block`. */
  blocking: boolean;
  /** Frame rate measured over the window (NaN until the window spans a second). */
  fps: number;
  /** Faces that count (score and size above the limits). */
  faceCount: number;
}

export interface GuidanceTrackerOptions {
  config?: GuidanceConfigInput;
  /** Replacement messages (translations), by code. */
  messages?: Partial<Record<GuidanceCode, string>>;
}

const N = GUIDANCE_CODES.length;
const INDEX = Object.fromEntries(GUIDANCE_CODES.map((c, i) => [c, i])) as Record<GuidanceCode, number>;
const WINDOW_CAPACITY = 256;

export class GuidanceTracker {
  readonly config: GuidanceConfig;
  private readonly messages: Record<GuidanceCode, string>;
  // raw per-frame results
  private readonly hit = new Uint8Array(N);
  private readonly value = new Float64Array(N);
  private readonly threshold = new Float64Array(N);
  // hysteresis
  private readonly history = new Uint32Array(N);
  private readonly active = new Uint8Array(N);
  private readonly issues: GuidanceIssue[];
  // recent frames for skip medians (ring)
  private readonly recentFocus: Float64Array;
  private readonly recentLuma: Float64Array;
  private recentCount = 0;
  private recentHead = 0;
  // sliding window for temporal checks (ring)
  private readonly winT = new Float64Array(WINDOW_CAPACITY);
  private readonly winLuma = new Float64Array(WINDOW_CAPACITY);
  private readonly winFocus = new Float64Array(WINDOW_CAPACITY);
  private winStart = 0;
  private winCount = 0;
  private readonly scratch = new Float64Array(WINDOW_CAPACITY);
  private readonly state: GuidanceState;
  private lastSkip: SkipReason | null = null;
  /** The previous frame was a flicker frame (flow against it is meaningless). */
  private previousFlicker = false;
  private previousLuma = NaN;
  // moving share of the background per recent flow frame (NaN: not trusted), a ring of movingWindowFrames
  private readonly recentMoving: Float64Array;
  private movingHead = 0;
  /** The session's first chin luma stds, then their median (the baseline of the hand cue). */
  private readonly chinStds: Float64Array;
  private chinCount = 0;
  private chinBaseline = NaN;

  constructor(options: GuidanceTrackerOptions = {}) {
    this.config = resolveGuidanceConfig(options.config);
    this.messages = Object.fromEntries(GUIDANCE_CODES.map((c) => [c, options.messages?.[c] ?? GUIDANCE[c].message])) as Record<GuidanceCode, string>;
    this.issues = GUIDANCE_CODES.map((code) => ({ code, severity: GUIDANCE[code].severity, message: this.messages[code], value: NaN, threshold: NaN }));
    this.recentFocus = new Float64Array(this.config.skip.medianFrames);
    this.recentLuma = new Float64Array(this.config.skip.medianFrames);
    this.recentMoving = new Float64Array(Math.max(1, this.config.movingWindowFrames)).fill(NaN);
    this.chinStds = new Float64Array(Math.max(1, this.config.chinBaselineFrames));
    this.state = { timestampMs: 0, usable: true, skipReason: null, issues: [], raised: [], cleared: [], blocking: false, fps: NaN, faceCount: 0 };
  }

  isActive(code: GuidanceCode): boolean {
    return this.active[INDEX[code]] === 1;
  }

  reset(): void {
    this.history.fill(0);
    this.active.fill(0);
    this.recentCount = this.recentHead = 0;
    this.winStart = this.winCount = 0;
    this.lastSkip = null;
    this.previousFlicker = false;
    this.previousLuma = NaN;
    this.recentMoving.fill(NaN);
    this.movingHead = 0;
    this.chinCount = 0;
    this.chinBaseline = NaN;
  }

  /** Feeds one frame and the geometry of its main face (null when there is none). */
  update(frame: FrameAnalysis, geometry: FaceGeometry | null): GuidanceState {
    const cfg = this.config;
    const q = frame.quality;
    const st = this.state;
    st.timestampMs = frame.timestampMs;
    st.raised.length = 0;
    st.cleared.length = 0;

    const faceCount = this.countFaces(frame);
    st.faceCount = faceCount;
    const hasFace = faceCount > 0 && geometry !== null;
    const focus = hasFace ? q.focusNormalized : NaN;

    // usability, against the recent frames (before this one joins them)
    let skip: SkipReason | null = null;
    if (q.entropy < cfg.skip.minEntropy) skip = 'low-entropy';
    else if (this.recentCount >= 3) {
      const mf = median(this.recentFocus, this.recentCount, this.scratch);
      const ml = median(this.recentLuma, this.recentCount, this.scratch);
      if (hasFace && mf > 0 && focus < cfg.skip.blurSpikeRatio * mf) skip = 'blur-spike';
      else if (ml > 0 && Math.abs(q.frameLuma - ml) > cfg.skip.flickerRatio * ml) skip = 'flicker';
    }
    st.usable = skip === null;
    st.skipReason = skip;
    const wasFlicker = this.lastSkip === 'flicker';
    this.lastSkip = skip;
    this.pushRecent(focus, q.frameLuma);
    this.pushWindow(frame.timestampMs, q.frameLuma, st.usable ? focus : NaN);
    st.fps = this.measureFps();

    // A blur spike or a flicker frame moves no hysteresis: it is a transient, not evidence either way. A low-entropy
    // frame is still checked: an over- or underexposed stream is low in information *because* of its light level.
    if (skip !== 'blur-spike' && skip !== 'flicker') {
      this.hit.fill(0);
      this.value.fill(NaN);
      this.threshold.fill(NaN);
      this.previousFlicker = wasFlicker;
      this.evaluate(frame, geometry, faceCount, hasFace);
      this.applyHysteresis();
    }

    st.issues.length = 0;
    st.blocking = false;
    for (let i = 0; i < N; i++) {
      if (!this.active[i]) continue;
      const issue = this.issues[i];
      issue.value = this.value[i];
      issue.threshold = this.threshold[i];
      st.issues.push(issue);
      if (issue.severity === 'block') st.blocking = true;
    }
    return st;
  }

  private countFaces(frame: FrameAnalysis): number {
    const cfg = this.config;
    let main = 0;
    for (const f of frame.faces) if (f.score >= cfg.minFaceScore && f.box.width > main) main = f.box.width;
    const counts = (f: { box: { width: number }; score: number }) => f.score >= cfg.minFaceScore && f.box.width >= cfg.minSecondFaceWidthRatio * main;
    let n = 0;
    for (const f of frame.faces) if (counts(f)) n++;
    // someone else the periodic scan saw counts alike (only next to a face: no face stays no-face)
    if (n > 0 && frame.others) for (const f of frame.others) if (counts(f)) n++;
    return n;
  }

  private evaluate(frame: FrameAnalysis, g: FaceGeometry | null, faceCount: number, hasFace: boolean): void {
    const cfg = this.config;
    const q = frame.quality;
    const short = Math.min(frame.width, frame.height),
      long = Math.max(frame.width, frame.height);
    if (short < cfg.minResolution.short) this.set('low-resolution', true, short, cfg.minResolution.short);
    else if (long < cfg.minResolution.long) this.set('low-resolution', true, long, cfg.minResolution.long);
    if (Number.isFinite(this.state.fps)) this.below('low-frame-rate', this.state.fps, cfg.minFps);

    this.set('no-face', faceCount === 0, faceCount, 1);
    this.set('multiple-faces', faceCount > 1, faceCount, 1);

    // light: whole-frame measures also matter without a face (a dark room is why no face is found)
    this.below('too-dark', q.faceLuma, cfg.minFaceLuma);
    this.above('too-dark', q.darkClipped, cfg.maxDarkClipped);
    this.above('too-bright', q.faceLuma, cfg.maxFaceLuma);
    this.above('too-bright', q.brightClipped, cfg.maxBrightClipped);
    // Below the dark limit, sensor noise swamps colour, focus and optical flow: those checks wait for light. Flow
    // measured against a flicker frame is meaningless too.
    const lit = q.faceLuma >= cfg.minFaceLuma.enter;
    const m = q.motion;
    // optical flow assumes constant brightness: a frame much brighter or darker than the previous one breaks it
    const steady = Math.abs(q.frameLuma - this.previousLuma) <= 0.5 * cfg.skip.flickerRatio * this.previousLuma;
    this.previousLuma = q.frameLuma;
    if (m !== null && lit && steady && !this.previousFlicker) {
      const global = Math.hypot(m.globalDx, m.globalDy);
      if (m.trackedFraction >= cfg.minTrackedFractionForShake) this.above('camera-shake', global, cfg.maxCameraShakePx);
      const needed = cfg.backgroundMotionVsGlobal * global;
      if (m.trackedFraction >= cfg.minTrackedFraction && m.residualP90 > needed) this.above('background-motion', m.residualP90, cfg.maxBackgroundMotionPx);
      const trusted = m.trackedFraction >= cfg.minTrackedFraction && m.movingFraction !== undefined;
      this.above('background-motion', this.movingShare(trusted ? m.movingFraction! : NaN), cfg.maxMovingShare);
    }
    this.lightingChange();

    if (!hasFace || g === null) return;
    this.below('backlit', q.faceToSurround, cfg.minFaceToSurround);
    this.above('uneven-light', Math.abs(q.leftRightBalance), cfg.maxLeftRightBalance);
    if (lit) {
      this.above('color-cast', colorCast(q.meanRgb, cfg.skinLocus), cfg.maxColorCast);
      this.below('blurry', q.focusNormalized * (g.interEyePx / cfg.focusReferenceEyePx) ** 2, cfg.minScaledFocus);
    }
    this.focusStability();

    this.below('face-too-small', g.interEyePx, cfg.minInterEyePx);
    this.above('face-too-close', g.heightFraction, cfg.maxFaceHeightFraction);
    this.above('face-off-center', Math.max(Math.abs(g.centerOffset[0]), Math.abs(g.centerOffset[1])), cfg.maxCenterOffset);
    this.below('face-off-center', g.inFrameFraction, cfg.minInFrameFraction);
    this.above('face-not-frontal', Math.abs(g.pose.yawDeg), cfg.maxYawDeg);
    this.above('face-not-frontal', Math.abs(g.pose.pitchDeg), cfg.maxPitchDeg);
    this.above('face-not-frontal', Math.abs(g.pose.rollDeg), cfg.maxRollDeg);

    // occlusion from landmarks alone
    this.eyeShape(g.rightEye.widthRatio);
    this.eyeShape(g.leftEye.widthRatio);
    if (g.mouthWidth < cfg.mouthWidthRatio.min) this.set('mouth-occluded', true, g.mouthWidth, cfg.mouthWidthRatio.min);
    if (g.mouthWidth > cfg.mouthWidthRatio.max) this.set('mouth-occluded', true, g.mouthWidth, cfg.mouthWidthRatio.max);
    if (g.lipCrossing > cfg.maxLipCrossing) this.set('mouth-occluded', true, g.lipCrossing, cfg.maxLipCrossing);

    // occlusion from pixel statistics, when the kernels measured them
    const r = g.regions;
    if (r === undefined) return;
    const cheek = r.cheeks;
    const re = r.rightEye,
      le = r.leftEye;
    if (cheek?.lumaMean !== undefined && cheek.lumaMean > 0 && re?.lumaMean !== undefined && le?.lumaMean !== undefined) {
      const ratio = Math.max(re.lumaMean, le.lumaMean) / cheek.lumaMean;
      const flat = (re.lumaStd ?? Infinity) < cfg.maxLensStd && (le.lumaStd ?? Infinity) < cfg.maxLensStd;
      if (flat) this.below('sunglasses', ratio, cfg.sunglassesLumaRatio);
    }
    const sunglasses = this.hit[INDEX.sunglasses] === 1;
    if (!sunglasses && cheek?.lumaStd !== undefined && cheek.lumaStd > 0) {
      if (re?.lumaStd !== undefined && g.rightEye.openness > cfg.eyeCuesMinOpenness) this.below('eyes-occluded', re.lumaStd / cheek.lumaStd, cfg.minEyeContrastRatio);
      if (le?.lumaStd !== undefined && g.leftEye.openness > cfg.eyeCuesMinOpenness) this.below('eyes-occluded', le.lumaStd / cheek.lumaStd, cfg.minEyeContrastRatio);
    }
    const specular = Math.max(re?.specularFraction ?? NaN, le?.specularFraction ?? NaN);
    this.above('glasses-glare', specular, cfg.maxEyeSpecular);
    const strands = Math.max(re?.strandEdgeDensity ?? NaN, le?.strandEdgeDensity ?? NaN);
    this.above('eye-hair-strand', strands, cfg.maxStrandEdgeDensity);
    if (r.mouth?.skinToneDistance !== undefined) this.above('mouth-occluded', r.mouth.skinToneDistance, cfg.maxMouthSkinToneDistance);
    if (r.chin?.lumaStd !== undefined) this.above('face-occluded', this.chinTextureGain(r.chin.lumaStd), cfg.maxChinTextureGain);
  }

  /**
   * This frame's chin std over the session's baseline (NaN while the baseline is being collected). A per-person
   * baseline, not an absolute limit: stubble, a beard or a lit jaw line give some chins more texture than a hand on a
   * smooth one. A hand already on the chin at the start hides itself (documented limit).
   */
  private chinTextureGain(std: number): number {
    if (!Number.isFinite(std)) return NaN;
    if (Number.isNaN(this.chinBaseline)) {
      this.chinStds[this.chinCount++] = std;
      if (this.chinCount < this.chinStds.length) return NaN;
      this.chinBaseline = median(this.chinStds, this.chinCount, this.scratch);
    }
    return this.chinBaseline > 0 ? std / this.chinBaseline : NaN;
  }

  private eyeShape(widthRatio: number): void {
    const r = this.config.eyeWidthRatio;
    if (widthRatio < r.min) this.set('eyes-occluded', true, widthRatio, r.min);
    if (widthRatio > r.max) this.set('eyes-occluded', true, widthRatio, r.max);
  }

  /** Relative change of the median frame luma between the first and the last third of the window. */
  private lightingChange(): void {
    const n = this.winCount;
    if (n < 6) return;
    const span = this.winT[(this.winStart + n - 1) % WINDOW_CAPACITY] - this.winT[this.winStart];
    if (span < 0.6 * this.config.windowMs) return;
    const third = Math.floor(n / 3);
    const a = this.windowMedian(this.winLuma, 0, third);
    const b = this.windowMedian(this.winLuma, n - third, n);
    const change = Math.abs(b - a) / Math.max(a, b, 1);
    this.above('lighting-changed', change, this.config.maxLightingChange);
  }

  /** Spread p90/p10 of the face focus over the window's usable frames. */
  private focusStability(): void {
    let k = 0;
    for (let i = 0; i < this.winCount; i++) {
      const v = this.winFocus[(this.winStart + i) % WINDOW_CAPACITY];
      if (Number.isFinite(v)) this.scratch[k++] = v;
    }
    if (k < 8) return;
    sortPrefix(this.scratch, k);
    const p10 = this.scratch[Math.floor(0.1 * (k - 1))],
      p90 = this.scratch[Math.ceil(0.9 * (k - 1))];
    if (p10 > 0) this.above('focus-unstable', p90 / p10, this.config.maxFocusSpread);
  }

  private windowMedian(src: Float64Array, from: number, to: number): number {
    let k = 0;
    for (let i = from; i < to; i++) {
      const v = src[(this.winStart + i) % WINDOW_CAPACITY];
      if (Number.isFinite(v)) this.scratch[k++] = v;
    }
    return median(this.scratch, k, this.scratch);
  }

  private measureFps(): number {
    const n = this.winCount;
    if (n < 5) return NaN;
    const span = this.winT[(this.winStart + n - 1) % WINDOW_CAPACITY] - this.winT[this.winStart];
    return span >= 1000 ? ((n - 1) * 1000) / span : NaN;
  }

  private pushWindow(t: number, luma: number, focus: number): void {
    if (this.winCount === WINDOW_CAPACITY) {
      this.winStart = (this.winStart + 1) % WINDOW_CAPACITY;
      this.winCount--;
    }
    const i = (this.winStart + this.winCount) % WINDOW_CAPACITY;
    this.winT[i] = t;
    this.winLuma[i] = luma;
    this.winFocus[i] = focus;
    this.winCount++;
    while (this.winCount > 1 && t - this.winT[this.winStart] > this.config.windowMs) {
      this.winStart = (this.winStart + 1) % WINDOW_CAPACITY;
      this.winCount--;
    }
  }

  private pushRecent(focus: number, luma: number): void {
    this.recentFocus[this.recentHead] = focus;
    this.recentLuma[this.recentHead] = luma;
    this.recentHead = (this.recentHead + 1) % this.recentFocus.length;
    if (this.recentCount < this.recentFocus.length) this.recentCount++;
  }

  private applyHysteresis(): void {
    const { frames, enterCount, exitCount } = this.config.hysteresis;
    const mask = frames >= 32 ? 0xffffffff : (1 << frames) - 1;
    for (let i = 0; i < N; i++) {
      const h = ((this.history[i] << 1) | this.hit[i]) & mask;
      this.history[i] = h;
      const hits = popcount(h);
      const code = GUIDANCE_CODES[i];
      if (!this.active[i] && hits >= enterCount) {
        this.active[i] = 1;
        this.state.raised.push(code);
      } else if (this.active[i] && frames - hits >= exitCount) {
        this.active[i] = 0;
        this.state.cleared.push(code);
      }
    }
  }

  private set(code: GuidanceCode, hit: boolean, value: number, threshold: number): void {
    const i = INDEX[code];
    if (this.hit[i]) return; // keep the first condition that triggered
    this.hit[i] = hit ? 1 : 0;
    this.value[i] = value;
    this.threshold[i] = threshold;
  }

  /** Pushes this frame's moving share into the window; the window's mean over trusted frames (NaN when too few). */
  private movingShare(value: number): number {
    const ring = this.recentMoving;
    ring[this.movingHead] = value;
    this.movingHead = (this.movingHead + 1) % ring.length;
    let sum = 0,
      n = 0;
    for (let i = 0; i < ring.length; i++) {
      if (Number.isFinite(ring[i])) {
        sum += ring[i];
        n++;
      }
    }
    return 2 * n >= ring.length ? sum / n : NaN;
  }

  /** Raises `code` when value > limit (enter limit, or the exit limit while the code is raised). NaN never raises. */
  private above(code: GuidanceCode, value: number, band: Band): void {
    const limit = this.active[INDEX[code]] ? band.exit : band.enter;
    this.set(code, value > limit, value, limit);
  }

  private below(code: GuidanceCode, value: number, band: Band): void {
    const limit = this.active[INDEX[code]] ? band.exit : band.enter;
    this.set(code, value < limit, value, limit);
  }
}

/** How far the rgb chromaticity lies outside the skin locus (0 inside it). */
export function colorCast(rgb: readonly [number, number, number], locus: GuidanceConfig['skinLocus']): number {
  const sum = rgb[0] + rgb[1] + rgb[2];
  if (!(sum > 0)) return NaN;
  const rg = (rgb[0] - rgb[1]) / sum,
    gb = (rgb[1] - rgb[2]) / sum;
  const [rgLo, rgHi] = locus.redMinusGreen,
    [gbLo, gbHi] = locus.greenMinusBlue;
  return Math.max(0, rgLo - rg, rg - rgHi, gbLo - gb, gb - gbHi);
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Median of the first n finite values of src (copied to scratch, which may be src itself). */
function median(src: Float64Array, n: number, scratch: Float64Array): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(src[i])) scratch[k++] = src[i];
  if (k === 0) return NaN;
  sortPrefix(scratch, k);
  return k % 2 ? scratch[k >> 1] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
}

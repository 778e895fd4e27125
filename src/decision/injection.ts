// Camera injection cues measured on the decoded capture (in the spirit of CEN/TS 18099 injection-attack detection):
// a still image or a frozen/looped picture fed as the camera shows runs of (near-)identical frames, a scripted feed
// shows timestamps more regular than any capture pipeline gives, and a synthetic picture lacks sensor noise.
//
// Measured per frame on the luma of 4x4-box cells (the box average, unlike point sampling, does not alias texture
// and averages away the codec's own flicker): the mean absolute difference to the previous frame, and a sensor-noise
// sigma (median absolute 3x3 Laplacian-difference residual at full resolution, over cells that are flat at the
// cell scale, so texture does not count as noise). Judged over the whole capture in result().
//
// A lossy evidence stream limits what is measurable: VP8 near 400 kbit/s removes sensor noise from flat areas of a
// live capture as thoroughly as from a still, so the noise cue is off by default (noiseMin 0) and meant for
// high-quality streams. Timestamps that are too regular are never more than suspect: a steady camera is regular too.

import { LivecheckError } from '../errors.js';
import { checkImage, type RgbaImage } from '../image.js';

export type InjectionCode = 'frozen-frames' | 'regular-timestamps' | 'no-sensor-noise';

export type InjectionVerdict = 'clear' | 'suspect' | 'injected';

export interface InjectionReason {
  code: InjectionCode;
  message: string;
  /** The measured value, in the unit the message names. */
  value: number;
  /** The threshold it crossed. */
  threshold: number;
}

export interface InjectionMeasurements {
  /** Frames pushed. */
  frames: number;
  /** Share of frame-to-frame steps (frames - 1) that were frozen; 0 with fewer than 2 frames. */
  frozenShare: number;
  /** Longest time the picture stood still: the summed intervals of the longest run of frozen steps (ms). */
  longestFrozenRunMs: number;
  /** Standard deviation / mean of the frame intervals; null with fewer than 2 frames. */
  intervalCv: number | null;
  /** Median over frames of the sensor-noise sigma (luma levels); null when no frame had enough flat area. */
  noise: number | null;
}

export interface InjectionResult {
  /** 'clear' also when too few frames were pushed to judge a cue (each cue states how many it needs). */
  verdict: InjectionVerdict;
  reasons: InjectionReason[];
  measured: InjectionMeasurements;
}

export interface InjectionConfig {
  /** A step is frozen when the mean absolute luma difference to the previous frame is at most this (levels). */
  frozenDiffMax: number;
  /**
   * ...or at most this fraction of the motion around it (the 75th percentile of the differences in a window of
   * repeatWindow steps centred on it): a repeated frame inside motion, as a stuttering replay shows.
   */
  repeatRatioMax: number;
  /** Steps in that window (odd, >= 3). */
  repeatWindow: number;
  /** A frozen run this long (ms) makes the capture suspect / injected. */
  frozenRunSuspectMs: number;
  frozenRunInjectedMs: number;
  /** This share of frozen steps makes the capture suspect / injected. */
  frozenShareSuspect: number;
  frozenShareInjected: number;
  /** Frame intervals with std/mean at or below this are too regular: suspect, never more. */
  regularIntervalCvMax: number;
  /** Regularity is judged only over at least this many intervals. */
  minIntervals: number;
  /** Median sensor noise (luma sigma) below this: injected. 0 turns the cue off (the default, see the file head). */
  noiseMin: number;
}

/**
 * Defaults. A still through VP8 differs from frame to frame by a few thousandths of a luma level (the encoder's
 * refinement), a live face by tenths and more, so frozenDiffMax sits well between. A live face never stood still for
 * 1 s in the measured captures; a still does for most of the capture. repeatRatioMax: a repeated frame of a replay
 * changes less than a tenth of what the frames around it change. A 1 ms timestamp grid alone gives a CV near 0.014
 * at 30 fps, a browser's vsync-aligned callbacks and dropped frames much more. The measurements behind these:
 * test/decision/injection.test.ts.
 */
export const DEFAULT_INJECTION_CONFIG: Readonly<InjectionConfig> = Object.freeze({
  frozenDiffMax: 0.05,
  repeatRatioMax: 0.1,
  repeatWindow: 9,
  frozenRunSuspectMs: 300,
  frozenRunInjectedMs: 1000,
  frozenShareSuspect: 0.25,
  frozenShareInjected: 0.5,
  regularIntervalCvMax: 0.02,
  minIntervals: 30,
  noiseMin: 0,
});

export interface InjectionMeterOptions {
  /** Cell size of the downsampled luma (pixels, integer 2..64). Default 4. */
  cell?: number;
  /**
   * A cell is flat (noise is measured there) when the absolute first and second differences of the cell means across
   * it, horizontal and vertical, sum to at most this (luma levels). Default 6.
   */
  flatMax?: number;
}

// Luma in fixed point: 77 R + 150 G + 29 B is 256 x BT.601 luma.
const LUMA_ONE = 256;
// The 3x3 mask [1 -2 1; -2 4 -2; 1 -2 1] has norm 6; median |N(0,1)| = 0.6745.
const MASK_SIGMA = 6 * 0.6744897501960817;
// Residual histogram: bins of 1/16 luma level, residuals beyond the last bin counted in it.
const BIN_SHIFT = 4;
const BINS = 8192;
// A frame's noise is measured only with at least this many flat cells, and this share of all cells.
const MIN_FLAT_CELLS = 64;
const MIN_FLAT_SHARE = 0.02;
// Cells this dark or bright are clipped: no noise to see there.
const CLIP_LOW = 8;
const CLIP_HIGH = 247;

/**
 * Collects the per-frame cues of one capture. push() every analysed frame in time order, then result().
 * push() allocates nothing per frame (its buffers are sized on the first frame; the per-frame series grow by doubling).
 */
export class InjectionMeter {
  private readonly cell: number;
  private readonly flatMax: number;
  private width = 0;
  private height = 0;
  private cols = 0;
  private rows = 0;
  private cur = new Int32Array(0);
  private prev = new Int32Array(0);
  private readonly histogram = new Uint32Array(BINS);
  private count = 0;
  private times = new Float64Array(256);
  private diffs = new Float64Array(256);
  private noises = new Float64Array(256);

  constructor(options: InjectionMeterOptions = {}) {
    const cell = options.cell ?? 4;
    const flat = options.flatMax ?? 6;
    if (!Number.isInteger(cell) || cell < 2 || cell > 64) throw new LivecheckError('invalid-argument', `injection meter: cell must be an integer in 2..64, got ${cell}`, { cell });
    if (!(Number.isFinite(flat) && flat >= 0)) throw new LivecheckError('invalid-argument', `injection meter: flatMax must be a finite number >= 0, got ${flat}`, { flatMax: flat });
    this.cell = cell;
    this.flatMax = flat;
  }

  /** Frames pushed so far. */
  get frames(): number {
    return this.count;
  }

  /**
   * Measures one frame. Every frame must have the first frame's size (`invalid-frame-size`), timestamps must be finite
   * and strictly increasing (`invalid-argument`).
   */
  push(image: RgbaImage, timestampMs: number): void {
    checkImage(image);
    if (!Number.isFinite(timestampMs)) throw new LivecheckError('invalid-argument', `injection meter: timestamp must be finite, got ${timestampMs}`, { timestampMs });
    if (this.count > 0 && !(timestampMs > this.times[this.count - 1])) {
      throw new LivecheckError('invalid-argument', `injection meter: timestamps must increase, got ${timestampMs} after ${this.times[this.count - 1]}`, {
        timestampMs,
        previousMs: this.times[this.count - 1],
      });
    }
    if (this.count === 0) this.size(image.width, image.height);
    else if (image.width !== this.width || image.height !== this.height) {
      throw new LivecheckError('invalid-frame-size', `injection meter: frame is ${image.width}x${image.height}, the first was ${this.width}x${this.height}`, {
        width: image.width,
        height: image.height,
      });
    }
    if (this.count === this.times.length) this.grow();
    const swap = this.prev;
    this.prev = this.cur;
    this.cur = swap;
    this.cellMeans(image.data);
    this.times[this.count] = timestampMs;
    this.diffs[this.count] = this.count === 0 ? Number.NaN : this.meanDifference();
    this.noises[this.count] = this.noise(image.data);
    this.count++;
  }

  /** Judges the frames pushed so far against `config` (a partial of DEFAULT_INJECTION_CONFIG). */
  result(config: Partial<InjectionConfig> = {}): InjectionResult {
    const c = resolveInjectionConfig(config);
    const n = this.count;
    const steps = Math.max(0, n - 1);
    // frozen steps: absolute stillness, or a repeat much smaller than the motion around it
    const half = (c.repeatWindow - 1) / 2;
    const window: number[] = [];
    let frozen = 0;
    let run = 0;
    let longest = 0;
    for (let i = 1; i < n; i++) {
      const d = this.diffs[i];
      window.length = 0;
      for (let k = Math.max(1, i - half); k <= Math.min(n - 1, i + half); k++) window.push(this.diffs[k]);
      window.sort((a, b) => a - b);
      const around = window[Math.floor(0.75 * (window.length - 1))];
      if (d <= c.frozenDiffMax || d <= c.repeatRatioMax * around) {
        frozen++;
        run += this.times[i] - this.times[i - 1];
        if (run > longest) longest = run;
      } else run = 0;
    }
    const frozenShare = steps > 0 ? frozen / steps : 0;

    let intervalCv: number | null = null;
    if (steps > 0) {
      const mean = (this.times[n - 1] - this.times[0]) / steps;
      let sq = 0;
      for (let i = 1; i < n; i++) sq += (this.times[i] - this.times[i - 1] - mean) ** 2;
      intervalCv = Math.sqrt(sq / steps) / mean;
    }

    const noiseValues: number[] = [];
    for (let i = 0; i < n; i++) if (!Number.isNaN(this.noises[i])) noiseValues.push(this.noises[i]);
    noiseValues.sort((a, b) => a - b);
    const noise = noiseValues.length > 0 ? noiseValues[(noiseValues.length - 1) >> 1] : null;

    const measured: InjectionMeasurements = { frames: n, frozenShare: round(frozenShare), longestFrozenRunMs: round(longest), intervalCv: roundOrNull(intervalCv), noise: roundOrNull(noise) };
    const reasons: InjectionReason[] = [];
    let injected = false;
    let suspect = false;

    const frozenRule = (value: number, threshold: number, what: string, unit: string) => {
      reasons.push({
        code: 'frozen-frames',
        message: `the picture ${what} (${round(value)}${unit}, limit ${threshold}${unit}): a still or frozen picture fed as the camera`,
        value: round(value),
        threshold,
      });
    };
    if (frozen === 0) {
      // nothing frozen: no frozen-frames reason, even with thresholds of 0
    } else if (longest >= c.frozenRunInjectedMs) {
      injected = true;
      frozenRule(longest, c.frozenRunInjectedMs, 'stood still for too long', ' ms');
    } else if (frozenShare >= c.frozenShareInjected) {
      injected = true;
      frozenRule(frozenShare, c.frozenShareInjected, 'repeated itself on too many frames', ' of the frames');
    } else if (longest >= c.frozenRunSuspectMs) {
      suspect = true;
      frozenRule(longest, c.frozenRunSuspectMs, 'stood still for a while', ' ms');
    } else if (frozenShare >= c.frozenShareSuspect) {
      suspect = true;
      frozenRule(frozenShare, c.frozenShareSuspect, 'repeated itself on many frames', ' of the frames');
    }

    if (intervalCv !== null && steps >= c.minIntervals && intervalCv <= c.regularIntervalCvMax) {
      suspect = true;
      reasons.push({
        code: 'regular-timestamps',
        message: `frame intervals are more regular than a capture pipeline gives (std/mean ${round(intervalCv)}, limit ${c.regularIntervalCvMax}): possibly a scripted feed`,
        value: round(intervalCv),
        threshold: c.regularIntervalCvMax,
      });
    }

    if (noise !== null && c.noiseMin > 0 && noise < c.noiseMin) {
      injected = true;
      reasons.push({
        code: 'no-sensor-noise',
        message: `flat areas carry almost no sensor noise (sigma ${round(noise)} luma levels, limit ${c.noiseMin}): a synthetic picture`,
        value: round(noise),
        threshold: c.noiseMin,
      });
    }
    return { verdict: injected ? 'injected' : suspect ? 'suspect' : 'clear', reasons, measured };
  }

  private size(width: number, height: number): void {
    if (width < this.cell || height < this.cell) {
      throw new LivecheckError('invalid-frame-size', `injection meter: a ${width}x${height} frame is smaller than one ${this.cell}x${this.cell} cell`, { width, height, cell: this.cell });
    }
    this.width = width;
    this.height = height;
    this.cols = Math.floor(width / this.cell);
    this.rows = Math.floor(height / this.cell);
    this.cur = new Int32Array(this.cols * this.rows);
    this.prev = new Int32Array(this.cols * this.rows);
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    const diffs = new Float64Array(n);
    const noises = new Float64Array(n);
    times.set(this.times);
    diffs.set(this.diffs);
    noises.set(this.noises);
    this.times = times;
    this.diffs = diffs;
    this.noises = noises;
  }

  /** Sums of fixed-point luma over each cell x cell box, into `cur`. */
  private cellMeans(data: RgbaImage['data']): void {
    const { cell, cols, rows, width, cur } = this;
    cur.fill(0);
    for (let y = 0; y < rows * cell; y++) {
      const base = Math.floor(y / cell) * cols;
      let p = y * width * 4;
      for (let cx = 0; cx < cols; cx++) {
        let s = 0;
        for (let i = 0; i < cell; i++, p += 4) s += 77 * data[p] + 150 * data[p + 1] + 29 * data[p + 2];
        cur[base + cx] += s;
      }
    }
  }

  /** Mean absolute difference of the cell means to the previous frame, luma levels. */
  private meanDifference(): number {
    const { cur, prev } = this;
    let s = 0;
    for (let i = 0; i < cur.length; i++) s += Math.abs(cur[i] - prev[i]);
    return s / (cur.length * this.cell * this.cell * LUMA_ONE);
  }

  /** Sensor-noise sigma (luma levels) over the flat cells of this frame; NaN when too few cells are flat. */
  private noise(data: RgbaImage['data']): number {
    const { cell, cols, rows, width, cur, histogram } = this;
    const area = cell * cell * LUMA_ONE;
    const flatMax = this.flatMax * area;
    const off = cell >> 1;
    const row = width * 4;
    histogram.fill(0);
    let flat = 0;
    for (let cy = 1; cy < rows - 1; cy++) {
      for (let cx = 1; cx < cols - 1; cx++) {
        const i = cy * cols + cx;
        const mean = cur[i];
        if (mean < CLIP_LOW * area || mean > CLIP_HIGH * area) continue;
        const left = cur[i - 1];
        const right = cur[i + 1];
        const up = cur[i - cols];
        const down = cur[i + cols];
        // first and second differences: a texture's slopes and its crests both make a cell non-flat
        if (Math.abs(right - left) + Math.abs(down - up) + Math.abs(right + left - 2 * mean) + Math.abs(down + up - 2 * mean) > flatMax) continue;
        // the 3x3 residual at the cell's centre pixel, full resolution
        const p = ((cy * cell + off) * width + cx * cell + off) * 4;
        const a = p - row;
        const b = p + row;
        const r = lum(data, a - 4) - 2 * lum(data, a) + lum(data, a + 4) - 2 * lum(data, p - 4) + 4 * lum(data, p) - 2 * lum(data, p + 4) + lum(data, b - 4) - 2 * lum(data, b) + lum(data, b + 4);
        const bin = Math.abs(r) >> BIN_SHIFT;
        histogram[bin < BINS ? bin : BINS - 1]++;
        flat++;
      }
    }
    if (flat < MIN_FLAT_CELLS || flat < MIN_FLAT_SHARE * cols * rows) return Number.NaN;
    const half = flat / 2;
    let seen = 0;
    let bin = 0;
    while (seen + histogram[bin] < half) seen += histogram[bin++];
    return (bin << BIN_SHIFT) / LUMA_ONE / MASK_SIGMA;
  }
}

/** DEFAULT_INJECTION_CONFIG with `config`'s values; every value checked (`invalid-argument`). */
export function resolveInjectionConfig(config: Partial<InjectionConfig> = {}): InjectionConfig {
  if (config === null || typeof config !== 'object') throw new LivecheckError('invalid-argument', 'injection config: expected an object', { got: typeof config });
  const c: InjectionConfig = { ...DEFAULT_INJECTION_CONFIG };
  for (const [key, value] of Object.entries(config)) {
    if (!(key in DEFAULT_INJECTION_CONFIG)) throw new LivecheckError('invalid-argument', `injection config: unknown option ${key}`, { key });
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new LivecheckError('invalid-argument', `injection config: ${key} must be a finite number >= 0, got ${String(value)}`, { key, value });
    }
    c[key as keyof InjectionConfig] = value;
  }
  for (const key of ['repeatRatioMax', 'frozenShareSuspect', 'frozenShareInjected'] as const) {
    if (c[key] > 1) throw new LivecheckError('invalid-argument', `injection config: ${key} must be in [0,1], got ${c[key]}`, { key, value: c[key] });
  }
  if (!Number.isInteger(c.repeatWindow) || c.repeatWindow < 3 || c.repeatWindow % 2 === 0) {
    throw new LivecheckError('invalid-argument', `injection config: repeatWindow must be an odd integer >= 3, got ${c.repeatWindow}`, { value: c.repeatWindow });
  }
  if (!Number.isInteger(c.minIntervals) || c.minIntervals < 1) {
    throw new LivecheckError('invalid-argument', `injection config: minIntervals must be an integer >= 1, got ${c.minIntervals}`, { value: c.minIntervals });
  }
  if (c.frozenRunSuspectMs > c.frozenRunInjectedMs || c.frozenShareSuspect > c.frozenShareInjected) {
    throw new LivecheckError('invalid-argument', 'injection config: a suspect threshold must not exceed its injected threshold', {
      frozenRunSuspectMs: c.frozenRunSuspectMs,
      frozenRunInjectedMs: c.frozenRunInjectedMs,
      frozenShareSuspect: c.frozenShareSuspect,
      frozenShareInjected: c.frozenShareInjected,
    });
  }
  return c;
}

function lum(data: RgbaImage['data'], p: number): number {
  return 77 * data[p] + 150 * data[p + 1] + 29 * data[p + 2];
}

function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}

function roundOrNull(v: number | null): number | null {
  return v === null ? null : round(v);
}

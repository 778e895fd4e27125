// livecheck quality kernels: a typed wrapper over the AssemblyScript module (scalar or SIMD build).
// The wrapper owns the module's linear memory and lays out every buffer once per frame size, so steady-state
// frames allocate nothing inside the kernels and only the returned result objects in JS (pass `out` to reuse them).
import { LivecheckError } from '../errors.js';
import type { Box, QualityMetrics } from '../types.js';
import * as L from './layout.js';
import { backgroundPoints, pixelRegion, type BackgroundGridOptions, type PixelRegion } from './pixel-region.js';
import { checkPixels, MAX_PIXELS, type PixelData } from '../image.js';
import { instantiateKernels, simdSupported, type KernelExports } from './wasm.js';
import { emptyPassiveFeatures, passiveScores, rowBandingOf, sidePeakRatio, type PassiveImageFeatures, type PassiveScoreConfig, DEFAULT_PASSIVE_SCORES } from './passive.js';

export { simdSupported } from './wasm.js';
export { passiveScores, rowBandingOf, sidePeakRatio, DEFAULT_PASSIVE_SCORES, type PassiveImageFeatures, type PassiveImageStats, type PassiveScoreConfig } from './passive.js';
export { backgroundPoints, pixelRegion, type BackgroundGridOptions, type PixelRegion } from './pixel-region.js';

export interface KernelsOptions {
  /**
   * The kernel module: bytes or a compiled module of build/kernels.simd.wasm or build/kernels.scalar.wasm, or both
   * (then `simd` picks). In Node, `createNodeKernels` in src/node/kernels.ts (internal) reads the files for you.
   */
  wasm: BufferSource | WebAssembly.Module | { simd?: BufferSource | WebAssembly.Module; scalar?: BufferSource | WebAssembly.Module };
  /** Which build to use when both are given: `'auto'` (default) picks SIMD where the engine supports it. */
  simd?: boolean | 'auto';
  quality?: QualityOptions;
  /** Where the passive measurements map onto 0..1 artefact scores (see passiveFeatures). */
  passive?: Partial<PassiveScoreConfig>;
}

export interface QualityOptions {
  /** Luma at or below which a pixel counts as clipped dark. Default 10. */
  darkLevel?: number;
  /** Luma at or above which a pixel counts as clipped bright. Default 245. */
  brightLevel?: number;
  /** Background grid for optical flow (see backgroundPoints). */
  grid?: BackgroundGridOptions;
  /** Pyramid levels for Lucas-Kanade, 1..3. Default 3. */
  levels?: number;
  /** Lucas-Kanade iterations per level. Default 10. */
  maxIterations?: number;
  /** Stop iterating below this update, px. Default 0.01. */
  epsilon?: number;
  /** Smallest structure-tensor eigenvalue per pixel ((luma/px)^2) of a trackable point; flat wall is lost. Default 0.3. */
  minEigen?: number;
  /** Residual (px) below which a point always counts as following the camera model. Default 0.5. */
  inlierFloor?: number;
  /** Residual (px) above which a tracked background point counts as moving on its own (motion.movingFraction). Default 1. */
  movingPx?: number;
}

export interface LuminanceStats {
  /** Pixels in the region. */
  count: number;
  mean: number;
  std: number;
  darkClipped: number;
  brightClipped: number;
  /** Shannon entropy of the region's luma histogram, bits. */
  entropy: number;
}

export interface FocusStats {
  /** Variance of the 3x3 Laplacian response. */
  variance: number;
  /** variance / luma variance of the same region: comparable across dim and bright scenes (0 for a flat region). */
  normalized: number;
}

export type BackgroundMotion = NonNullable<QualityMetrics['motion']>;

export interface PointTracks {
  /** dx, dy per point (NaN when lost). */
  flows: Float32Array;
  /** 1 tracked, 0 lost. */
  status: Uint8Array;
  tracked: number;
}

const LEVELS_MAX = 3;
/** Mid/high band of the 64x64 face crop's spectrum, cycles per crop: skin and features live below, gratings above. */
const SPECTRUM_BAND: [number, number] = [8, 31];
/** Half-extent of the border search around the face centre, in face widths and heights (a held phone or print). */
const BORDER_REACH: [number, number] = [2.5, 2];
const WHITE_LEVEL = 235;
const NO_REGION: Readonly<PixelRegion> = { x: 0, y: 0, width: 0, height: 0 };

const align = (n: number, a = 16) => (n + a - 1) & ~(a - 1);

interface Plane {
  /** Address of pixel (0, 0). */
  base: number;
  width: number;
  height: number;
  stride: number;
}

/** Loads one kernel build and returns the kernels bound to their own memory. */
export async function createKernels(options: KernelsOptions): Promise<Kernels> {
  const want = options.simd ?? 'auto';
  const src = options.wasm;
  let chosen: BufferSource | WebAssembly.Module | undefined;
  let simd: boolean;
  if (src instanceof WebAssembly.Module || ArrayBuffer.isView(src) || src instanceof ArrayBuffer) {
    chosen = src;
    simd = want === true;
  } else {
    const useSimd = want === 'auto' ? simdSupported() && src.simd !== undefined : want;
    chosen = useSimd ? src.simd : src.scalar;
    simd = useSimd;
    if (chosen === undefined) {
      throw new LivecheckError('wasm-unavailable', `no ${useSimd ? 'SIMD' : 'scalar'} kernel module was given`);
    }
  }
  if (simd && !simdSupported()) throw new LivecheckError('wasm-unavailable', 'this engine has no WebAssembly SIMD');
  const exports = await instantiateKernels(chosen);
  return new Kernels(exports, options.quality ?? {}, options.passive ?? {});
}

/**
 * The quality kernels bound to one module instance. Feed frames with `setFrame` (or `qualityPass`), then ask for the
 * individual measures; the previous frame is kept for background motion. Not thread-safe: one per worker.
 */
export class Kernels {
  /** Whether the SIMD build is running. */
  readonly simd: boolean;
  private readonly k: KernelExports;
  private readonly pad: number;
  private readonly maxPoints: number;
  private opt: Required<Omit<QualityOptions, 'grid'>> & { grid: BackgroundGridOptions };

  // layout for the current frame size
  private frameWidth = 0;
  private frameHeight = 0;
  private levels = 0;
  private rgba = 0;
  private pyramids: [Plane[], Plane[]] = [[], []];
  private desc: [number, number] = [0, 0];
  private cur = 0; // index of the current pyramid; the other holds the previous frame
  private hasPrev = false;
  private hasFrame = false;
  private hasRgba = false;
  private hist = 0;
  private faceHist = 0;
  private stats = 0;
  private grid = 0;
  private sums = 0;
  private points = 0;
  private flows = 0;
  private status = 0;
  private motionOut = 0;
  // passive: two face crops (this call's and the previous one's), FFT work, spectrum, row profiles, edge profiles
  private crops: [number, number] = [0, 0];
  private cropRows: [number, number] = [0, 0];
  private cropCur = 0;
  private cropSerial = -2; // frame serial of the previous passiveFeatures call
  private serial = 0;
  private fftWork = 0;
  private power = 0;
  private edgeCols = 0;
  private edgeRows = 0;
  private passiveOut = 0;
  private edgeScratch = new Float32Array(0);
  private readonly passiveScores: PassiveScoreConfig;
  private readonly borderRegion: PixelRegion = { x: 0, y: 0, width: 0, height: 0 };
  // views, rebuilt when memory grows
  private u8!: Uint8Array;
  private u32!: Uint32Array;
  private f32!: Float32Array;
  private f64!: Float64Array;
  private pointView!: Float32Array;
  private readonly region: PixelRegion = { x: 0, y: 0, width: 0, height: 0 };
  private readonly faceRegion: PixelRegion = { x: 0, y: 0, width: 0, height: 0 };

  constructor(exports: KernelExports, quality: QualityOptions = {}, passive: Partial<PassiveScoreConfig> = {}) {
    this.k = exports;
    this.passiveScores = { ...DEFAULT_PASSIVE_SCORES, ...passive };
    this.simd = exports.simd() !== 0;
    this.pad = exports.PAD.value as number;
    this.maxPoints = exports.MAX_POINTS.value as number;
    this.opt = {
      darkLevel: 10,
      brightLevel: 245,
      levels: LEVELS_MAX,
      maxIterations: 10,
      epsilon: 0.01,
      minEigen: 0.3,
      inlierFloor: 0.5,
      movingPx: 1,
      grid: {},
      ...quality,
    };
    checkOptions(this.opt);
    this.views();
  }

  /** Width and height of the frame loaded last (0 before the first). */
  get width(): number {
    return this.frameWidth;
  }
  get height(): number {
    return this.frameHeight;
  }

  /** Forgets the frames seen (the next frame reports no motion, its face crop has no predecessor). */
  reset(): void {
    this.hasPrev = false;
    this.hasFrame = false; // else the next frame would take the last one as its predecessor
    this.cropSerial = -2;
  }

  /** Loads an RGBA frame: luma and its pyramid are computed; the frame before it is kept for motion. */
  setFrame(rgba: PixelData, width: number, height: number): void {
    this.load(rgba, width, height, null);
  }

  // Copies the frame in (unless it is already the input buffer) and converts it; with `counted`, also counts the
  // histograms of that region (#faceHist) and of the rest of the frame (#hist) during the conversion.
  private load(rgba: PixelData, width: number, height: number, counted: Readonly<PixelRegion> | null): void {
    checkPixels(rgba, width, height, 4);
    const inPlace = rgba.buffer === this.k.memory.buffer && rgba.byteOffset === this.rgba && width === this.frameWidth && height === this.frameHeight;
    this.begin(width, height);
    if (!inPlace) this.u8.set(rgba instanceof Uint8Array ? rgba : new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length), this.rgba);
    const l0 = this.pyramids[this.cur][0];
    if (counted) {
      const r = counted;
      this.k.lumaHistograms(this.rgba, width, height, l0.base, l0.stride, r.x, r.y, r.width, r.height, this.faceHist, this.hist);
    } else {
      this.k.rgbaToLuma(this.rgba, width, height, l0.base, l0.stride);
    }
    this.hasRgba = true;
    this.finishPyramid();
  }

  /** Loads a luma (greyscale) frame; colour measures are unavailable until the next `setFrame`. */
  setLuma(luma: PixelData, width: number, height: number): void {
    checkPixels(luma, width, height, 1);
    this.begin(width, height);
    const l0 = this.pyramids[this.cur][0];
    for (let y = 0; y < height; y++) this.u8.set(luma.subarray(y * width, (y + 1) * width), l0.base + y * l0.stride);
    this.hasRgba = false;
    this.finishPyramid();
  }

  /**
   * A view of the kernels' own RGBA input buffer for a `width x height` frame: write a frame into it (e.g.
   * `videoFrame.copyTo(view)` or `view.set(imageData.data)`) and pass the view to setFrame / qualityPass to skip the
   * copy. Valid until the frame size changes.
   */
  inputBuffer(width: number, height: number): Uint8Array {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > MAX_PIXELS) {
      throw new LivecheckError('invalid-frame-size', `invalid frame size ${width}x${height}`, { width, height });
    }
    if (width !== this.frameWidth || height !== this.frameHeight) {
      this.layout(width, height);
      this.hasPrev = false;
    }
    return new Uint8Array(this.k.memory.buffer, this.rgba, width * height * 4);
  }

  /** Luma of the current frame (BT.601 fixed point, as OpenCV's cvtColor), `width * height` bytes. */
  luma(out?: Uint8Array): Uint8Array {
    return this.pyramidLevel(0, out);
  }

  /** Pyramid level `level` (0 = luma, 1 = half size, ...) of the current frame: (width >> level) x (height >> level). */
  pyramidLevel(level: number, out?: Uint8Array): Uint8Array {
    this.requireFrame();
    if (!Number.isInteger(level) || level < 0 || level >= this.levels) {
      throw new LivecheckError('invalid-argument', `pyramid level ${level} does not exist (this frame has ${this.levels})`);
    }
    const p = this.pyramids[this.cur][level];
    const dst = out ?? new Uint8Array(p.width * p.height);
    if (dst.length !== p.width * p.height) throw new LivecheckError('invalid-argument', 'out has the wrong length', { expected: p.width * p.height });
    for (let y = 0; y < p.height; y++) dst.set(this.u8.subarray(p.base + y * p.stride, p.base + y * p.stride + p.width), y * p.width);
    return dst;
  }

  /** 256-bin luma histogram of a region (whole frame when omitted). */
  histogram(region?: Box | null, out?: Uint32Array): Uint32Array {
    const r = this.regionOf(region, this.region);
    this.histogramOf(r);
    const dst = out ?? new Uint32Array(256);
    if (dst.length !== 256) throw new LivecheckError('invalid-argument', 'out must hold 256 bins');
    dst.set(this.u32.subarray(this.hist >> 2, (this.hist >> 2) + 256));
    return dst;
  }

  /** Shannon entropy (bits, 0..8) of a region's luma (whole frame when omitted). */
  entropy(region?: Box | null): number {
    return this.luminance(region).entropy;
  }

  /** Luma statistics of a region (whole frame when omitted), from its histogram. */
  luminance(region?: Box | null, out?: LuminanceStats): LuminanceStats {
    const r = this.regionOf(region, this.region);
    this.histogramOf(r);
    const s = this.stats >> 3;
    const f = this.f64;
    const o = out ?? { count: 0, mean: 0, std: 0, darkClipped: 0, brightClipped: 0, entropy: 0 };
    o.count = f[s + L.STATS_COUNT];
    o.mean = f[s + L.STATS_MEAN];
    o.std = f[s + L.STATS_STD];
    o.darkClipped = f[s + L.STATS_DARK];
    o.brightClipped = f[s + L.STATS_BRIGHT];
    o.entropy = f[s + L.STATS_ENTROPY];
    return o;
  }

  /** Mean luma of each cell of a `cols x rows` grid over a region, row-major (cell edges at floor(k * size / n)). */
  uniformityGrid(region?: Box | null, cols = 4, rows = 4, out?: Float64Array): Float64Array {
    const r = this.regionOf(region, this.region);
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1 || cols > r.width || rows > r.height || cols * rows > 256) {
      throw new LivecheckError('invalid-argument', `a ${cols}x${rows} grid does not fit a ${r.width}x${r.height} region (at most 256 cells, one pixel each)`);
    }
    const l0 = this.pyramids[this.cur][0];
    this.k.gridSums(l0.base, l0.stride, r.x, r.y, r.width, r.height, cols, rows, this.grid);
    const dst = out ?? new Float64Array(cols * rows);
    if (dst.length !== cols * rows) throw new LivecheckError('invalid-argument', 'out must hold cols * rows cells');
    const g = this.grid >> 3;
    for (let gy = 0; gy < rows; gy++) {
      const h = Math.floor(((gy + 1) * r.height) / rows) - Math.floor((gy * r.height) / rows);
      for (let gx = 0; gx < cols; gx++) {
        const w = Math.floor(((gx + 1) * r.width) / cols) - Math.floor((gx * r.width) / cols);
        dst[gy * cols + gx] = this.f64[g + gy * cols + gx] / (w * h);
      }
    }
    return dst;
  }

  /** Mean R, G, B of a region (whole frame when omitted) of the last `setFrame`. */
  meanRgb(region?: Box | null, out: [number, number, number] = [0, 0, 0]): [number, number, number] {
    const r = this.regionOf(region, this.region);
    if (!this.hasRgba) throw new LivecheckError('invalid-argument', 'the current frame was loaded as luma: no colour');
    this.k.rgbSums(this.rgba, this.frameWidth, r.x, r.y, r.width, r.height, this.sums);
    const s = this.sums >> 3;
    const n = r.width * r.height;
    out[0] = this.f64[s + L.SUMS_R] / n;
    out[1] = this.f64[s + L.SUMS_G] / n;
    out[2] = this.f64[s + L.SUMS_B] / n;
    return out;
  }

  /** Laplacian focus variance of a region (whole frame when omitted); neighbours outside the frame reflect (101). */
  focus(region?: Box | null, out?: FocusStats): FocusStats {
    const r = this.regionOf(region, this.region);
    const o = out ?? { variance: 0, normalized: 0 };
    o.variance = this.laplacianVariance(r);
    this.histogramOf(r);
    const std = this.f64[(this.stats >> 3) + L.STATS_STD];
    o.normalized = std > 0 ? o.variance / (std * std) : 0;
    return o;
  }

  /**
   * Pyramidal Lucas-Kanade from the previous frame to the current one for `points` (x, y pairs, at most
   * MAX_POINTS). Throws `invalid-argument` when there is no previous frame of the same size.
   */
  trackPoints(points: Float32Array, out?: PointTracks): PointTracks {
    this.requirePrevious();
    const n = points.length >> 1;
    if (points.length % 2 !== 0 || n > this.maxPoints) {
      throw new LivecheckError('invalid-argument', `points must be x, y pairs, at most ${this.maxPoints}`);
    }
    for (let i = 0; i < points.length; i++) {
      if (!Number.isFinite(points[i])) throw new LivecheckError('invalid-argument', 'points must be finite', { index: i >> 1 });
    }
    this.pointView.set(points);
    const tracked = this.track(n);
    const o = out ?? { flows: new Float32Array(2 * n), status: new Uint8Array(n), tracked: 0 };
    o.flows.set(this.f32.subarray(this.flows >> 2, (this.flows >> 2) + 2 * n));
    o.status.set(this.u8.subarray(this.status, this.status + n));
    o.tracked = tracked;
    return o;
  }

  /**
   * Background motion between the previous and the current frame on a grid of points outside the (dilated) face
   * box; null when there is no previous frame of the same size.
   */
  backgroundMotion(face: Box | null, out?: BackgroundMotion): BackgroundMotion | null {
    this.requireFrame();
    if (!this.hasPrev) return null;
    if (face) pixelRegion(face, this.frameWidth, this.frameHeight, this.faceRegion); // validates: throws when outside
    const n = backgroundPoints(this.frameWidth, this.frameHeight, face, this.pointView, this.opt.grid);
    return this.motion(n, out);
  }

  /**
   * The whole per-frame quality pass: loads `rgba` (keeping the previous frame) and measures everything in
   * QualityMetrics. Without a face box the face measures use the whole frame, and faceEntropy / faceToSurround are NaN.
   * Pass `out` to reuse a result object (and its nested arrays) from frame to frame.
   */
  qualityPass(rgba: PixelData, width: number, height: number, face: Box | null, out?: QualityMetrics): QualityMetrics {
    if (face) pixelRegion(face, width, height, this.faceRegion); // validate before changing any state
    // One pass converts to luma and counts the face's histogram and the surround's; the frame's is their sum.
    // Without a face everything counts as surround (a zero-size region).
    this.load(rgba, width, height, face ? this.faceRegion : NO_REGION);
    const k = this.k;
    const f = this.f64; // views are taken after #load: a new frame size may have grown the memory
    const s = this.stats >> 3;
    const m = out ?? emptyMetrics();
    const r = face ? this.faceRegion : this.regionOf(null, this.region);
    const k32 = this.u32;
    const hist = this.hist >> 2,
      faceHist = this.faceHist >> 2;
    if (face) for (let b = 0; b < 256; b++) k32[hist + b] += k32[faceHist + b];
    k.histogramStats(this.hist, this.opt.darkLevel, this.opt.brightLevel, this.stats);
    m.entropy = f[s + L.STATS_ENTROPY];
    m.frameLuma = f[s + L.STATS_MEAN];
    const frameCount = f[s + L.STATS_COUNT];
    const frameSum = f[s + L.STATS_COUNT] * f[s + L.STATS_MEAN];

    if (face) k.histogramStats(this.faceHist, this.opt.darkLevel, this.opt.brightLevel, this.stats);
    const count = f[s + L.STATS_COUNT];
    const mean = f[s + L.STATS_MEAN];
    const std = f[s + L.STATS_STD];
    m.faceEntropy = face ? f[s + L.STATS_ENTROPY] : NaN;
    m.faceLuma = mean;
    m.faceLumaStd = std;
    m.darkClipped = f[s + L.STATS_DARK];
    m.brightClipped = f[s + L.STATS_BRIGHT];
    const surroundCount = frameCount - count;
    m.faceToSurround = face && surroundCount > 0 ? mean / ((frameSum - count * mean) / surroundCount) : NaN;

    // left/right halves: a 2x1 grid splits at floor(width / 2), like uniformityGrid
    const l0 = this.pyramids[this.cur][0];
    if (r.width >= 2) {
      k.gridSums(l0.base, l0.stride, r.x, r.y, r.width, r.height, 2, 1, this.grid);
      const half = r.width >> 1;
      const left = f[this.grid >> 3] / (half * r.height);
      const right = f[(this.grid >> 3) + 1] / ((r.width - half) * r.height);
      m.leftRightBalance = left + right > 0 ? (left - right) / (left + right) : 0;
    } else {
      m.leftRightBalance = 0;
    }

    k.rgbSums(this.rgba, width, r.x, r.y, r.width, r.height, this.sums);
    const sums = this.sums >> 3;
    const n = r.width * r.height;
    m.meanRgb[0] = f[sums + L.SUMS_R] / n;
    m.meanRgb[1] = f[sums + L.SUMS_G] / n;
    m.meanRgb[2] = f[sums + L.SUMS_B] / n;

    m.focus = this.laplacianVariance(r);
    m.focusNormalized = std > 0 ? m.focus / (std * std) : 0;

    if (this.hasPrev) {
      const points = backgroundPoints(width, height, face, this.pointView, this.opt.grid);
      m.motion = this.motion(points, m.motion ?? undefined);
    } else {
      m.motion = null;
    }
    return m;
  }

  /**
   * Passive (anti-spoof) image features of the current frame around `face`: moire (peaky mid/high frequencies in a
   * 64x64 crop's spectrum), flicker (row-profile banding against the previous call's crop, which must be the previous
   * frame), deviceBorder (straight edges around the face) and specular (near-white highlights), each 0..1 (1 = strong
   * artefact, NaN = not measured), with the raw measurements in `stats`. Separate from qualityPass: call it on the
   * frames you want scored (every frame for flicker).
   */
  passiveFeatures(face: Box, out?: PassiveImageFeatures): PassiveImageFeatures {
    this.requireFrame();
    const r = pixelRegion(face, this.frameWidth, this.frameHeight, this.faceRegion);
    const k = this.k;
    const o = out ?? emptyPassiveFeatures();
    const st = o.stats;
    const l0 = this.pyramids[this.cur][0];
    const crop = this.crops[this.cropCur];
    k.faceCrop(l0.base, l0.stride, r.x, r.y, r.width, r.height, crop);
    k.cropSpectrum(crop, this.fftWork, this.power);
    k.spectrumBands(this.power, SPECTRUM_BAND[0], SPECTRUM_BAND[1], this.passiveOut);
    const f = this.f64,
      po = this.passiveOut >> 3;
    const power = f[po + L.BANDS_POWER],
      low = f[po + L.BANDS_LOW];
    st.spectralPeakRatio = power > 0 ? f[po + L.BANDS_PEAK] / (power / f[po + L.BANDS_COUNT]) : NaN;
    st.highToLow = low > 0 ? power / low : NaN;

    const c = this.k.CROP.value as number;
    k.cropRows(crop, this.cropRows[this.cropCur]);
    const rows = this.f32.subarray(this.cropRows[this.cropCur] >> 2, (this.cropRows[this.cropCur] >> 2) + c);
    if (this.cropSerial === this.serial - 1) {
      const prev = this.f32.subarray(this.cropRows[this.cropCur ^ 1] >> 2, (this.cropRows[this.cropCur ^ 1] >> 2) + c);
      let mean = 0;
      for (let i = 0; i < c; i++) mean += rows[i];
      st.rowBanding = rowBandingOf(rows, prev, mean / c);
    } else {
      st.rowBanding = NaN;
    }
    this.cropSerial = this.serial;
    this.cropCur ^= 1;

    st.borderPeakRatio = this.borderScore(r);

    if (this.hasRgba) {
      k.colourStats(this.rgba, this.frameWidth, r.x, r.y, r.width, r.height, WHITE_LEVEL, this.passiveOut);
      const n = f[po + L.COLOUR_PIXELS];
      st.whiteFraction = f[po + L.COLOUR_WHITE] / n;
      st.clippedFraction = f[po + L.COLOUR_CLIPPED] / n;
      st.chromaMean = f[po + L.COLOUR_CHROMA_SUM] / n;
      st.chromaStd = Math.sqrt(Math.max(0, f[po + L.COLOUR_CHROMA_SUM_SQ] / n - st.chromaMean * st.chromaMean));
      st.saturatedFraction = f[po + L.COLOUR_SATURATED] / n;
    } else {
      st.whiteFraction = st.clippedFraction = st.chromaMean = st.chromaStd = st.saturatedFraction = NaN;
    }
    return passiveScores(st, o, this.passiveScores);
  }

  // Edge profiles over the face box widened BORDER_REACH times on each axis (frame edges excluded): per side outside
  // the face, its strongest straight edge against the profile's median; the weakest of at least three sides.
  private borderScore(face: PixelRegion): number {
    const W = this.frameWidth,
      H = this.frameHeight;
    const cx = face.x + face.width / 2,
      cy = face.y + face.height / 2;
    const x0 = Math.max(1, Math.floor(cx - BORDER_REACH[0] * face.width)),
      x1 = Math.min(W - 1, Math.ceil(cx + BORDER_REACH[0] * face.width));
    const y0 = Math.max(1, Math.floor(cy - BORDER_REACH[1] * face.height)),
      y1 = Math.min(H - 1, Math.ceil(cy + BORDER_REACH[1] * face.height));
    const b = this.borderRegion;
    b.x = x0;
    b.y = y0;
    b.width = x1 - x0;
    b.height = y1 - y0;
    if (b.width < 8 || b.height < 8) return NaN;
    const l0 = this.pyramids[this.cur][0];
    this.k.edgeProfiles(l0.base, l0.stride, b.x, b.y, b.width, b.height, this.edgeCols, this.edgeRows);
    const cols = this.f32.subarray(this.edgeCols >> 2, (this.edgeCols >> 2) + b.width);
    const rows = this.f32.subarray(this.edgeRows >> 2, (this.edgeRows >> 2) + b.height);
    const gapX = Math.round(0.1 * face.width),
      gapY = Math.round(0.1 * face.height);
    // a print or a screen is framed on every side, a room has a strong edge on one or two: the weakest side counts
    let weakest = Infinity,
      n = 0;
    const add = (v: number) => {
      if (Number.isFinite(v)) {
        weakest = Math.min(weakest, v);
        n++;
      }
    };
    add(sidePeakRatio(cols, b.width, 0, face.x - gapX - b.x, this.edgeScratch));
    add(sidePeakRatio(cols, b.width, face.x + face.width + gapX - b.x, b.width, this.edgeScratch));
    add(sidePeakRatio(rows, b.height, 0, face.y - gapY - b.y, this.edgeScratch));
    add(sidePeakRatio(rows, b.height, face.y + face.height + gapY - b.y, b.height, this.edgeScratch));
    return n >= 3 ? weakest : NaN;
  }

  // --- internals -------------------------------------------------------------------------------------------------

  private begin(width: number, height: number): void {
    if (width !== this.frameWidth || height !== this.frameHeight) {
      this.layout(width, height);
      this.hasPrev = false;
    } else if (this.hasFrame) {
      this.cur ^= 1;
      this.hasPrev = true;
    }
    this.hasFrame = true;
    this.serial++;
  }

  private finishPyramid(): void {
    const pyr = this.pyramids[this.cur];
    const k = this.k;
    for (let l = 0; l < this.levels; l++) {
      const p = pyr[l];
      if (l > 0) {
        const up = pyr[l - 1];
        k.pyrDown(up.base, up.stride, up.width, up.height, p.base, p.stride);
      }
      k.padEdges(p.base, p.stride, p.width, p.height, this.pad);
    }
  }

  // Lays out every buffer for this frame size from the module's heap base, growing memory once.
  private layout(width: number, height: number): void {
    const pad = this.pad;
    let levels = 1;
    while (levels < this.opt.levels && width >> levels >= 24 && height >> levels >= 24) levels++;
    let at = align(this.k.heapBase());
    const take = (bytes: number) => {
      const p = at;
      at = align(at + bytes);
      return p;
    };
    this.rgba = take(width * height * 4);
    for (let i = 0; i < 2; i++) {
      const planes: Plane[] = [];
      for (let l = 0; l < levels; l++) {
        const w = width >> l;
        const h = height >> l;
        const stride = align(w + 2 * pad);
        const buf = take((h + 2 * pad) * stride + 16);
        planes.push({ base: buf + pad * stride + pad, width: w, height: h, stride });
      }
      this.pyramids[i] = planes;
      this.desc[i] = take(16 * LEVELS_MAX);
    }
    this.hist = take(256 * 4);
    this.faceHist = take(256 * 4);
    this.stats = take(L.STATS_SLOTS * 8);
    this.grid = take(256 * 8);
    this.sums = take(L.SUMS_SLOTS * 8);
    this.points = take(this.maxPoints * 8);
    this.flows = take(this.maxPoints * 8);
    this.status = take(this.maxPoints);
    this.motionOut = take(L.MOTION_SLOTS * 8);
    const crop = this.k.CROP.value as number;
    this.crops = [take(crop * crop * 4), take(crop * crop * 4)];
    this.cropRows = [take(crop * 4), take(crop * 4)];
    this.fftWork = take(crop * crop * 8);
    this.power = take(crop * crop * 4);
    this.edgeCols = take(width * 4);
    this.edgeRows = take(height * 4);
    this.passiveOut = take(L.PASSIVE_SLOTS * 8);
    this.edgeScratch = new Float32Array(Math.max(width, height));
    this.cropSerial = -2;
    const need = Math.ceil(at / 65536) - this.k.memory.buffer.byteLength / 65536;
    if (need > 0) {
      try {
        this.k.memory.grow(need);
      } catch (cause) {
        throw new LivecheckError('wasm-unavailable', `could not grow kernel memory for a ${width}x${height} frame`, { bytes: at }, { cause });
      }
    }
    this.views();
    for (let i = 0; i < 2; i++) {
      const d = this.desc[i] >> 2;
      const i32 = new Int32Array(this.k.memory.buffer);
      this.pyramids[i].forEach((p, l) => i32.set([p.base, p.width, p.height, p.stride], d + 4 * l));
    }
    this.frameWidth = width;
    this.frameHeight = height;
    this.levels = levels;
    this.cur = 0;
    this.hasFrame = false;
  }

  private views(): void {
    const buf = this.k.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.u32 = new Uint32Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
    this.pointView = new Float32Array(buf, this.points, this.maxPoints * 2);
  }

  private requireFrame(): void {
    if (!this.hasFrame) throw new LivecheckError('invalid-argument', 'no frame loaded: call setFrame or qualityPass first');
  }

  private requirePrevious(): void {
    this.requireFrame();
    if (!this.hasPrev) throw new LivecheckError('invalid-argument', 'no previous frame of the same size to track from');
  }

  private regionOf(region: Box | null | undefined, out: PixelRegion): PixelRegion {
    this.requireFrame();
    if (region == null) {
      out.x = 0;
      out.y = 0;
      out.width = this.frameWidth;
      out.height = this.frameHeight;
      return out;
    }
    return pixelRegion(region, this.frameWidth, this.frameHeight, out);
  }

  private histogramOf(r: PixelRegion): void {
    const l0 = this.pyramids[this.cur][0];
    this.k.histogram(l0.base, l0.stride, r.x, r.y, r.width, r.height, this.hist, 0);
    this.k.histogramStats(this.hist, this.opt.darkLevel, this.opt.brightLevel, this.stats);
  }

  private laplacianVariance(r: PixelRegion): number {
    const l0 = this.pyramids[this.cur][0];
    this.k.laplacianSums(l0.base, l0.stride, this.frameWidth, this.frameHeight, r.x, r.y, r.width, r.height, this.sums);
    const n = r.width * r.height;
    const mean = this.f64[(this.sums >> 3) + L.LAPLACIAN_SUM] / n;
    return Math.max(0, this.f64[(this.sums >> 3) + L.LAPLACIAN_SUM_SQ] / n - mean * mean);
  }

  private track(n: number): number {
    const o = this.opt;
    return this.k.trackPoints(this.desc[this.cur ^ 1], this.desc[this.cur], this.levels, this.points, n, this.flows, this.status, o.maxIterations, o.epsilon, o.minEigen);
  }

  private motion(n: number, out?: BackgroundMotion): BackgroundMotion {
    const o = out ?? { globalDx: NaN, globalDy: NaN, residualMedian: NaN, residualP90: NaN, trackedFraction: 0, movingFraction: NaN, movingPoints: 0 };
    if (n === 0) {
      o.globalDx = o.globalDy = o.residualMedian = o.residualP90 = o.movingFraction = NaN;
      o.trackedFraction = o.movingPoints = 0;
      return o;
    }
    this.track(n);
    this.k.summarizeMotion(this.points, this.flows, this.status, n, this.opt.inlierFloor, this.opt.movingPx, this.motionOut);
    const m = this.motionOut >> 3;
    const f = this.f64;
    o.globalDx = f[m + L.MOTION_GLOBAL_DX];
    o.globalDy = f[m + L.MOTION_GLOBAL_DY];
    o.residualMedian = f[m + L.MOTION_RESIDUAL_MEDIAN];
    o.residualP90 = f[m + L.MOTION_RESIDUAL_P90];
    o.trackedFraction = f[m + L.MOTION_TRACKED_FRACTION];
    o.movingFraction = f[m + L.MOTION_MOVING_FRACTION];
    o.movingPoints = f[m + L.MOTION_MOVING_POINTS];
    return o;
  }
}

function checkOptions(o: Required<Omit<QualityOptions, 'grid'>> & { grid: BackgroundGridOptions }): void {
  const bad = (name: string) => {
    throw new LivecheckError('invalid-argument', `quality option ${name} is out of range`, { option: name });
  };
  if (!Number.isInteger(o.darkLevel) || o.darkLevel < 0 || o.darkLevel > 255) bad('darkLevel');
  if (!Number.isInteger(o.brightLevel) || o.brightLevel < 0 || o.brightLevel > 255) bad('brightLevel');
  if (!Number.isInteger(o.levels) || o.levels < 1 || o.levels > LEVELS_MAX) bad('levels');
  if (!Number.isInteger(o.maxIterations) || o.maxIterations < 1) bad('maxIterations');
  if (!(o.epsilon > 0)) bad('epsilon');
  if (!(o.minEigen >= 0)) bad('minEigen');
  if (!(o.inlierFloor >= 0)) bad('inlierFloor');
  if (!(o.movingPx > 0 && Number.isFinite(o.movingPx))) bad('movingPx');
  const g = o.grid;
  if (g.target !== undefined && !(Number.isInteger(g.target) && g.target >= 1)) bad('grid.target');
  if (g.faceMargin !== undefined && !(g.faceMargin >= 0 && Number.isFinite(g.faceMargin))) bad('grid.faceMargin');
  if (g.edge !== undefined && !(Number.isInteger(g.edge) && g.edge >= 0)) bad('grid.edge');
}

function emptyMetrics(): QualityMetrics {
  return {
    entropy: NaN,
    faceEntropy: NaN,
    faceLuma: NaN,
    frameLuma: NaN,
    faceLumaStd: NaN,
    darkClipped: NaN,
    brightClipped: NaN,
    faceToSurround: NaN,
    leftRightBalance: NaN,
    meanRgb: [NaN, NaN, NaN],
    focus: NaN,
    focusNormalized: NaN,
    motion: null,
  };
}

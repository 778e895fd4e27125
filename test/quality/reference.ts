// Plain TypeScript versions of every kernel, written as a frontend developer would with typed arrays. They define
// the expected results in the tests and are the "plain JS" contender in the benchmark. Same algorithms and
// conventions as assembly/, in f64 where the kernels use f32.
import type { Box, QualityMetrics } from '../../src/types.js';
import { backgroundPoints, pixelRegion, type BackgroundGridOptions, type PixelRegion } from '../../src/quality/pixel-region.js';
import type { PixelData } from '../../src/image.js';

export function lumaRef(rgba: PixelData, width: number, height: number, out: Uint8Array = new Uint8Array(width * height)): Uint8Array {
  for (let i = 0, p = 0; i < width * height; i++, p += 4) {
    out[i] = (rgba[p] * 4899 + rgba[p + 1] * 9617 + rgba[p + 2] * 1868 + 8192) >> 14;
  }
  return out;
}

/** 2x2 box mean, (w >> 1) x (h >> 1). */
export function pyrDownRef(src: Uint8Array, width: number, height: number, out: Uint8Array = new Uint8Array((width >> 1) * (height >> 1))): Uint8Array {
  const dw = width >> 1;
  const dh = height >> 1;
  for (let y = 0; y < dh; y++) {
    const a = 2 * y * width;
    const b = a + width;
    for (let x = 0; x < dw; x++) {
      out[y * dw + x] = (src[a + 2 * x] + src[a + 2 * x + 1] + src[b + 2 * x] + src[b + 2 * x + 1] + 2) >> 2;
    }
  }
  return out;
}

export function histogramRef(luma: Uint8Array, width: number, r: PixelRegion, out = new Uint32Array(256)): Uint32Array {
  out.fill(0);
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = y * width;
    for (let x = r.x; x < r.x + r.width; x++) out[luma[row + x]]++;
  }
  return out;
}

export interface LuminanceRef {
  count: number;
  mean: number;
  std: number;
  darkClipped: number;
  brightClipped: number;
  entropy: number;
}

export function luminanceFromHistogram(hist: Uint32Array, darkLevel = 10, brightLevel = 245): LuminanceRef {
  let n = 0,
    s = 0,
    dark = 0,
    bright = 0;
  for (let b = 0; b < 256; b++) {
    n += hist[b];
    s += b * hist[b];
    if (b <= darkLevel) dark += hist[b];
    if (b >= brightLevel) bright += hist[b];
  }
  const mean = s / n;
  let v = 0,
    entropy = 0;
  for (let b = 0; b < 256; b++) {
    if (hist[b] === 0) continue;
    v += hist[b] * (b - mean) * (b - mean);
    const p = hist[b] / n;
    entropy -= p * Math.log2(p);
  }
  return { count: n, mean, std: Math.sqrt(v / n), darkClipped: dark / n, brightClipped: bright / n, entropy };
}

export function gridMeansRef(luma: Uint8Array, width: number, r: PixelRegion, cols: number, rows: number): Float64Array {
  const out = new Float64Array(cols * rows);
  for (let gy = 0; gy < rows; gy++) {
    const y0 = r.y + Math.floor((gy * r.height) / rows),
      y1 = r.y + Math.floor(((gy + 1) * r.height) / rows);
    for (let gx = 0; gx < cols; gx++) {
      const x0 = r.x + Math.floor((gx * r.width) / cols),
        x1 = r.x + Math.floor(((gx + 1) * r.width) / cols);
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += luma[y * width + x];
      out[gy * cols + gx] = s / ((x1 - x0) * (y1 - y0));
    }
  }
  return out;
}

export function meanRgbRef(rgba: PixelData, width: number, r: PixelRegion): [number, number, number] {
  let sr = 0,
    sg = 0,
    sb = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x, p = (y * width + r.x) * 4; x < r.x + r.width; x++, p += 4) {
      sr += rgba[p];
      sg += rgba[p + 1];
      sb += rgba[p + 2];
    }
  }
  const n = r.width * r.height;
  return [sr / n, sg / n, sb / n];
}

const reflect101 = (i: number, n: number) => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);

/** Variance of the 3x3 Laplacian [0 1 0; 1 -4 1; 0 1 0] over a region, reflect-101 borders (OpenCV's default). */
export function laplacianVarianceRef(luma: Uint8Array, width: number, height: number, r: PixelRegion): number {
  let s = 0,
    ss = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    const row = y * width,
      up = reflect101(y - 1, height) * width,
      down = reflect101(y + 1, height) * width;
    for (let x = r.x; x < r.x + r.width; x++) {
      const v = luma[up + x] + luma[down + x] + luma[row + reflect101(x - 1, width)] + luma[row + reflect101(x + 1, width)] - 4 * luma[row + x];
      s += v;
      ss += v * v;
    }
  }
  const n = r.width * r.height;
  return Math.max(0, ss / n - (s / n) * (s / n));
}

// ---- Lucas-Kanade ------------------------------------------------------------------------------------------------

export interface LevelRef {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Luma plus box-filter levels while both sides stay >= 24 px, up to `maxLevels` (as the kernels do). */
export function pyramidRef(luma: Uint8Array, width: number, height: number, maxLevels = 3): LevelRef[] {
  const levels: LevelRef[] = [{ data: luma, width, height }];
  while (levels.length < maxLevels && width >> levels.length >= 24 && height >> levels.length >= 24) {
    const up = levels[levels.length - 1];
    levels.push({ data: pyrDownRef(up.data, up.width, up.height), width: up.width >> 1, height: up.height >> 1 });
  }
  return levels;
}

const WIN = 12;
const PAD = 32;

export interface TrackOptionsRef {
  maxIterations?: number;
  epsilon?: number;
  minEigen?: number;
}

/**
 * Pyramidal Lucas-Kanade with the kernels' conventions: 12x12 window of bilinear samples at p - 5.5 .. p + 5.5,
 * central-difference gradients of the previous frame's window, edge pixels replicated, a window reaching more than
 * 32 px past the edge loses the point.
 */
export function trackPointsRef(prev: LevelRef[], cur: LevelRef[], points: Float32Array, options: TrackOptionsRef = {}): { flows: Float64Array; status: Uint8Array } {
  const maxIter = options.maxIterations ?? 10;
  const eps = options.epsilon ?? 0.01;
  const minEigen = options.minEigen ?? 0.3;
  const n = points.length >> 1;
  const flows = new Float64Array(2 * n);
  const status = new Uint8Array(n);
  const T = WIN + 2;
  const patch = new Float64Array(T * T);
  const ti = new Float64Array(WIN * WIN),
    tx = new Float64Array(WIN * WIN),
    ty = new Float64Array(WIN * WIN);
  const at = (l: LevelRef, x: number, y: number) => l.data[Math.min(l.height - 1, Math.max(0, y)) * l.width + Math.min(l.width - 1, Math.max(0, x))];
  const inside = (ix: number, iy: number, rows: number, w: number, h: number) => ix >= -PAD && iy >= -PAD && ix + 17 <= w + PAD && iy + rows + 1 <= h + PAD;
  for (let i = 0; i < n; i++) {
    let gx = 0,
      gy = 0,
      ok = true;
    for (let level = prev.length - 1; level >= 0 && ok; level--) {
      const P = prev[level],
        C = cur[level];
      const scale = 1 / (1 << level);
      const px = (points[2 * i] + 0.5) * scale - 0.5,
        py = (points[2 * i + 1] + 0.5) * scale - 0.5;
      const sx = px - (T - 1) / 2,
        sy = py - (T - 1) / 2;
      const ix0 = Math.floor(sx),
        iy0 = Math.floor(sy);
      if (!inside(ix0, iy0, T, P.width, P.height)) {
        ok = false;
        break;
      }
      const ax = sx - ix0,
        ay = sy - iy0;
      for (let r = 0; r < T; r++) {
        for (let c = 0; c < T; c++) {
          const X = ix0 + c,
            Y = iy0 + r;
          patch[r * T + c] = (1 - ax) * (1 - ay) * at(P, X, Y) + ax * (1 - ay) * at(P, X + 1, Y) + (1 - ax) * ay * at(P, X, Y + 1) + ax * ay * at(P, X + 1, Y + 1);
        }
      }
      let gxx = 0,
        gxy = 0,
        gyy = 0;
      for (let r = 0; r < WIN; r++) {
        for (let c = 0; c < WIN; c++) {
          const k = r * WIN + c,
            m = (r + 1) * T + c + 1;
          ti[k] = patch[m];
          tx[k] = (patch[m + 1] - patch[m - 1]) / 2;
          ty[k] = (patch[m + T] - patch[m - T]) / 2;
          gxx += tx[k] * tx[k];
          gxy += tx[k] * ty[k];
          gyy += ty[k] * ty[k];
        }
      }
      const area = WIN * WIN;
      const det = gxx * gyy - gxy * gxy;
      const minEig = (gxx + gyy - Math.sqrt((gxx - gyy) ** 2 + 4 * gxy * gxy)) / 2 / area;
      if (level === 0 && minEig < minEigen) {
        ok = false;
        break;
      }
      let vx = 0,
        vy = 0;
      if (det > 1e-6 * area * area) {
        for (let it = 0; it < maxIter; it++) {
          const qx = px + gx + vx - (WIN - 1) / 2,
            qy = py + gy + vy - (WIN - 1) / 2;
          const jx0 = Math.floor(qx),
            jy0 = Math.floor(qy);
          if (!inside(jx0, jy0, WIN, C.width, C.height)) {
            ok = false;
            break;
          }
          const bxw = qx - jx0,
            byw = qy - jy0;
          let bx = 0,
            by = 0;
          for (let r = 0; r < WIN; r++) {
            for (let c = 0; c < WIN; c++) {
              const X = jx0 + c,
                Y = jy0 + r;
              const j = (1 - bxw) * (1 - byw) * at(C, X, Y) + bxw * (1 - byw) * at(C, X + 1, Y) + (1 - bxw) * byw * at(C, X, Y + 1) + bxw * byw * at(C, X + 1, Y + 1);
              const d = ti[r * WIN + c] - j;
              bx += d * tx[r * WIN + c];
              by += d * ty[r * WIN + c];
            }
          }
          const dx = (gyy * bx - gxy * by) / det,
            dy = (gxx * by - gxy * bx) / det;
          vx += dx;
          vy += dy;
          if (dx * dx + dy * dy < eps * eps) break;
        }
      }
      if (level > 0) {
        gx = 2 * (gx + vx);
        gy = 2 * (gy + vy);
      } else {
        gx += vx;
        gy += vy;
      }
    }
    flows[2 * i] = ok ? gx : NaN;
    flows[2 * i + 1] = ok ? gy : NaN;
    status[i] = ok ? 1 : 0;
  }
  return { flows, status };
}

const medianOf = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};

/** Median flow, then a similarity camera model fitted twice on the points within max(3 * median residual, floor). */
export function summarizeMotionRef(
  points: Float32Array,
  flows: ArrayLike<number>,
  status: Uint8Array,
  inlierFloor = 0.5,
  movingPx = 1,
): NonNullable<QualityMetrics['motion']> & { model: [number, number, number, number] } {
  const idx: number[] = [];
  for (let i = 0; i < status.length; i++) if (status[i]) idx.push(i);
  if (idx.length === 0) return { globalDx: NaN, globalDy: NaN, residualMedian: NaN, residualP90: NaN, trackedFraction: 0, movingFraction: NaN, movingPoints: 0, model: [NaN, NaN, NaN, NaN] };
  const gdx = medianOf(idx.map((i) => flows[2 * i]));
  const gdy = medianOf(idx.map((i) => flows[2 * i + 1]));
  let a = 1,
    b = 0,
    tx = gdx,
    ty = gdy;
  const resid = () =>
    idx.map((i) => {
      const x = points[2 * i],
        y = points[2 * i + 1];
      return Math.hypot(x + flows[2 * i] - (a * x - b * y + tx), y + flows[2 * i + 1] - (b * x + a * y + ty));
    });
  let r = resid();
  for (let pass = 0; pass < 2; pass++) {
    const limit = Math.max(3 * medianOf(r), inlierFloor);
    const use = idx.filter((_, j) => r[j] <= limit);
    if (use.length < 3) break;
    let cx = 0,
      cy = 0,
      cu = 0,
      cv = 0;
    for (const i of use) {
      cx += points[2 * i];
      cy += points[2 * i + 1];
      cu += points[2 * i] + flows[2 * i];
      cv += points[2 * i + 1] + flows[2 * i + 1];
    }
    cx /= use.length;
    cy /= use.length;
    cu /= use.length;
    cv /= use.length;
    let den = 0,
      na = 0,
      nb = 0;
    for (const i of use) {
      const x = points[2 * i] - cx,
        y = points[2 * i + 1] - cy;
      const u = points[2 * i] + flows[2 * i] - cu,
        v = points[2 * i + 1] + flows[2 * i + 1] - cv;
      den += x * x + y * y;
      na += x * u + y * v;
      nb += x * v - y * u;
    }
    if (den > 0) {
      a = na / den;
      b = nb / den;
      tx = cu - (a * cx - b * cy);
      ty = cv - (b * cx + a * cy);
    }
    r = resid();
  }
  const sorted = [...r].sort((p, q) => p - q);
  return {
    globalDx: gdx,
    globalDy: gdy,
    residualMedian: medianOf(r),
    residualP90: sorted[Math.ceil(0.9 * sorted.length) - 1],
    trackedFraction: idx.length / status.length,
    movingFraction: r.filter((v) => v > movingPx).length / r.length,
    movingPoints: r.filter((v) => v > movingPx).length,
    model: [a, b, tx, ty],
  };
}

/**
 * The whole quality pass in plain TypeScript (same outputs as Kernels.qualityPass), keeping the previous pyramid.
 */
export class ReferenceQuality {
  #prev: LevelRef[] | null = null;
  #size = '';
  // two pyramids, swapped per frame, allocated once per frame size
  #pyramids: [LevelRef[], LevelRef[]] = [[], []];
  #cur = 0;
  readonly #points = new Float32Array(8192);
  readonly #hist = new Uint32Array(256);
  constructor(private readonly options: { darkLevel?: number; brightLevel?: number; grid?: BackgroundGridOptions; minEigen?: number; inlierFloor?: number; movingPx?: number } = {}) {}

  qualityPass(rgba: PixelData, width: number, height: number, face: Box | null): QualityMetrics {
    const size = `${width}x${height}`;
    if (size !== this.#size) {
      this.#pyramids = [0, 1].map(() => pyramidRef(new Uint8Array(width * height), width, height)) as [LevelRef[], LevelRef[]];
      this.#prev = null;
    } else {
      this.#cur ^= 1;
    }
    const pyr = this.#pyramids[this.#cur];
    const luma = lumaRef(rgba, width, height, pyr[0].data);
    for (let l = 1; l < pyr.length; l++) pyrDownRef(pyr[l - 1].data, pyr[l - 1].width, pyr[l - 1].height, pyr[l].data);
    const dark = this.options.darkLevel ?? 10,
      bright = this.options.brightLevel ?? 245;
    const whole: PixelRegion = { x: 0, y: 0, width, height };
    const frame = luminanceFromHistogram(histogramRef(luma, width, whole, this.#hist), dark, bright);
    const r = face ? pixelRegion(face, width, height) : whole;
    const fs = face ? luminanceFromHistogram(histogramRef(luma, width, r, this.#hist), dark, bright) : frame;
    const halves = r.width >= 2 ? gridMeansRef(luma, width, r, 2, 1) : null;
    const focus = laplacianVarianceRef(luma, width, height, r);
    const surround = (frame.count * frame.mean - fs.count * fs.mean) / (frame.count - fs.count);
    let motion: QualityMetrics['motion'] = null;
    if (this.#prev) {
      const n = backgroundPoints(width, height, face, this.#points, this.options.grid);
      const pts = this.#points.subarray(0, 2 * n);
      const t = trackPointsRef(this.#prev, pyr, pts, { minEigen: this.options.minEigen });
      const { model: _model, ...m } = n
        ? summarizeMotionRef(pts, t.flows, t.status, this.options.inlierFloor, this.options.movingPx)
        : { globalDx: NaN, globalDy: NaN, residualMedian: NaN, residualP90: NaN, trackedFraction: 0, movingFraction: NaN, movingPoints: 0, model: 0 };
      motion = m;
    }
    this.#prev = pyr;
    this.#size = size;
    return {
      entropy: frame.entropy,
      faceEntropy: face ? fs.entropy : NaN,
      faceLuma: fs.mean,
      frameLuma: frame.mean,
      faceLumaStd: fs.std,
      darkClipped: fs.darkClipped,
      brightClipped: fs.brightClipped,
      faceToSurround: face && frame.count > fs.count ? fs.mean / surround : NaN,
      leftRightBalance: halves ? (halves[0] + halves[1] > 0 ? (halves[0] - halves[1]) / (halves[0] + halves[1]) : 0) : 0,
      meanRgb: meanRgbRef(rgba, width, r),
      focus,
      focusNormalized: fs.std > 0 ? focus / (fs.std * fs.std) : 0,
      motion,
    };
  }
}

/** Plain-TS passive measurements (see Kernels.passiveFeatures): naive 2D DFT, straightforward loops. */
export function passiveStatsRef(
  luma: Uint8Array,
  rgba: PixelData | null,
  width: number,
  height: number,
  face: Box,
  prevRows: Float64Array | null,
): { stats: import('../../src/quality/passive.js').PassiveImageStats; rows: Float64Array } {
  const C = 64;
  const r = pixelRegion(face, width, height);
  const crop = new Float64Array(C * C);
  for (let j = 0; j < C; j++) {
    const y0 = r.y + Math.floor((j * r.height) / C),
      y1 = Math.max(r.y + Math.floor(((j + 1) * r.height) / C), y0 + 1);
    for (let i = 0; i < C; i++) {
      const x0 = r.x + Math.floor((i * r.width) / C),
        x1 = Math.max(r.x + Math.floor(((i + 1) * r.width) / C), x0 + 1);
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += luma[y * width + x];
      crop[j * C + i] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  const mean = crop.reduce((a, b) => a + b, 0) / (C * C);
  const hann = (i: number) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / C);
  const win = crop.map((v, k) => (v - mean) * hann(k % C) * hann(Math.floor(k / C)));
  let band = 0,
    peak = 0,
    count = 0,
    low = 0;
  for (let v = -C / 2 + 1; v <= C / 2; v++) {
    for (let u = 0; u <= C / 2; u++) {
      if ((u === 0 || u === C / 2) && v <= 0) continue;
      let re = 0,
        im = 0;
      for (let y = 0; y < C; y++) {
        for (let x = 0; x < C; x++) {
          const a = (-2 * Math.PI * (u * x + v * y)) / C;
          re += win[y * C + x] * Math.cos(a);
          im += win[y * C + x] * Math.sin(a);
        }
      }
      const p = re * re + im * im;
      const rad = Math.hypot(u, v);
      if (rad < 8) low += p;
      else if (rad <= 31) {
        band += p;
        peak = Math.max(peak, p);
        count++;
      }
    }
  }
  const rows = new Float64Array(C);
  for (let j = 0; j < C; j++) for (let i = 0; i < C; i++) rows[j] += crop[j * C + i] / C;
  let rowBanding = NaN;
  if (prevRows) {
    const d = rows.map((v, i) => v - prevRows[i]);
    const n = C,
      xs = [...Array(n).keys()];
    const mx = (n - 1) / 2,
      my = d.reduce((a, b) => a + b, 0) / n;
    let sxy = 0,
      sxx = 0;
    for (const i of xs) {
      sxy += (i - mx) * (d[i] - my);
      sxx += (i - mx) ** 2;
    }
    const slope = sxy / sxx;
    const e = xs.reduce((a, i) => a + (d[i] - (my + slope * (i - mx))) ** 2, 0);
    rowBanding = Math.sqrt(e / n) / (rows.reduce((a, b) => a + b, 0) / n);
  }
  // border
  const cx = r.x + r.width / 2,
    cy = r.y + r.height / 2;
  const bx0 = Math.max(1, Math.floor(cx - 2.5 * r.width)),
    bx1 = Math.min(width - 1, Math.ceil(cx + 2.5 * r.width));
  const by0 = Math.max(1, Math.floor(cy - 2 * r.height)),
    by1 = Math.min(height - 1, Math.ceil(cy + 2 * r.height));
  const at = (x: number, y: number) => luma[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  const cols = new Float64Array(bx1 - bx0),
    rws = new Float64Array(by1 - by0);
  for (let y = by0; y < by1; y++) {
    for (let x = bx0; x < bx1; x++) {
      cols[x - bx0] += Math.abs(at(x + 1, y) - at(x - 1, y));
      rws[y - by0] += Math.abs(at(x, y + 1) - at(x, y - 1));
    }
  }
  const side = (p: Float64Array, from: number, to: number) => {
    from = Math.max(1, from);
    to = Math.min(p.length - 1, to);
    if (to <= from) return NaN;
    let pk = 0;
    for (let i = from; i < to; i++) pk = Math.max(pk, (p[i - 1] + p[i] + p[i + 1]) / 3);
    const med = [...p].sort((a, b) => a - b)[p.length >> 1];
    return med > 0 ? pk / med : NaN;
  };
  const gx = Math.round(0.1 * r.width),
    gy = Math.round(0.1 * r.height);
  const sides =
    bx1 - bx0 < 8 || by1 - by0 < 8
      ? []
      : [side(cols, 0, r.x - gx - bx0), side(cols, r.x + r.width + gx - bx0, cols.length), side(rws, 0, r.y - gy - by0), side(rws, r.y + r.height + gy - by0, rws.length)].filter(Number.isFinite);
  let white = 0,
    clipped = 0,
    sat = 0,
    cs = 0,
    cs2 = 0;
  if (rgba) {
    for (let y = r.y; y < r.y + r.height; y++) {
      for (let x = r.x; x < r.x + r.width; x++) {
        const o = 4 * (y * width + x);
        const hi = Math.max(rgba[o], rgba[o + 1], rgba[o + 2]),
          lo = Math.min(rgba[o], rgba[o + 1], rgba[o + 2]);
        if (lo >= 235) white++;
        if (hi >= 250) clipped++;
        if (hi - lo >= 96) sat++;
        cs += hi - lo;
        cs2 += (hi - lo) ** 2;
      }
    }
  }
  const n = r.width * r.height;
  return {
    rows,
    stats: {
      spectralPeakRatio: band > 0 ? peak / (band / count) : NaN,
      highToLow: low > 0 ? band / low : NaN,
      rowBanding,
      borderPeakRatio: sides.length >= 3 ? Math.min(...sides) : NaN,
      whiteFraction: rgba ? white / n : NaN,
      clippedFraction: rgba ? clipped / n : NaN,
      chromaMean: rgba ? cs / n : NaN,
      chromaStd: rgba ? Math.sqrt(Math.max(0, cs2 / n - (cs / n) ** 2)) : NaN,
      saturatedFraction: rgba ? sat / n : NaN,
    },
  };
}

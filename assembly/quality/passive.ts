// Passive (anti-spoof) image kernels: what a print or a screen adds to the face image. A fixed 64x64 face crop and
// its windowed power spectrum (moire: peaky periodic texture), the crop's row profile against the previous frame's
// (refresh banding), gradient projections around the face (straight paper or bezel edges), and near-white highlight
// and chroma statistics (glare, gamut). Caller-owned memory; the only static data are the FFT tables.
import {
  BANDS_COUNT, BANDS_LOW, BANDS_PEAK, BANDS_POWER, COLOUR_CHROMA_SUM, COLOUR_CHROMA_SUM_SQ, COLOUR_CLIPPED, COLOUR_PIXELS, COLOUR_SATURATED,
  COLOUR_WHITE,
} from '../../src/quality/layout';

export const CROP: i32 = 64;
const LOG2_CROP: i32 = 6;
const TABLES: usize = memory.data(64 * 4 * 3, 16); // f32: Hann window[64], cos[32], sin[32]
const BITREV: usize = memory.data(64, 16); // u8: 6-bit reversal of each index
let tablesReady = false;

function tables(): void {
  if (tablesReady) return;
  for (let i = 0; i < CROP; i++) {
    store<f32>(TABLES + (<usize>i << 2), <f32>(0.5 - 0.5 * Math.cos((2 * Math.PI * (<f64>i + 0.5)) / <f64>CROP)));
  }
  for (let k = 0; k < CROP / 2; k++) {
    store<f32>(TABLES + 256 + (<usize>k << 2), <f32>Math.cos((-2 * Math.PI * <f64>k) / <f64>CROP));
    store<f32>(TABLES + 384 + (<usize>k << 2), <f32>Math.sin((-2 * Math.PI * <f64>k) / <f64>CROP));
  }
  for (let i = 0; i < CROP; i++) {
    let r = 0;
    for (let b = 0; b < LOG2_CROP; b++) r |= ((i >> b) & 1) << (LOG2_CROP - 1 - b);
    store<u8>(BITREV + <usize>i, <u8>r);
  }
  tablesReady = true;
}

/**
 * Area-average resample of a luma region (x, y, w, h) into a CROP x CROP f32 image `dst`: output cell (i, j) averages
 * source columns [floor(i*w/C), max(floor((i+1)*w/C), floor(i*w/C)+1)) and likewise rows (a region smaller than the
 * crop repeats pixels).
 */
export function faceCrop(src: usize, stride: i32, x: i32, y: i32, w: i32, h: i32, dst: usize): void {
  for (let j = 0; j < CROP; j++) {
    const y0 = y + (j * h) / CROP;
    const y1 = max(y + ((j + 1) * h) / CROP, y0 + 1);
    for (let i = 0; i < CROP; i++) {
      const x0 = x + (i * w) / CROP;
      const x1 = max(x + ((i + 1) * w) / CROP, x0 + 1);
      let sum: u32 = 0;
      for (let yy = y0; yy < y1; yy++) {
        const row = src + <usize>(yy * stride);
        for (let xx = x0; xx < x1; xx++) sum += <u32>load<u8>(row + <usize>xx);
      }
      store<f32>(dst + (<usize>(j * CROP + i) << 2), <f32>sum / <f32>((y1 - y0) * (x1 - x0)));
    }
  }
}

// In-place radix-2 FFT of 64 complex f32 (re, im interleaved) at `p`, elements `step` complex values apart.
function fft64(p: usize, step: i32): void {
  const s = <usize>step << 3;
  // bit reversal
  for (let i = 0; i < CROP; i++) {
    const r = <i32>load<u8>(BITREV + <usize>i);
    if (r > i) {
      const a = p + <usize>i * s, c = p + <usize>r * s;
      const re = load<f32>(a), im = load<f32>(a, 4);
      store<f32>(a, load<f32>(c));
      store<f32>(a, load<f32>(c, 4), 4);
      store<f32>(c, re);
      store<f32>(c, im, 4);
    }
  }
  for (let len = 2; len <= CROP; len <<= 1) {
    const half = len >> 1;
    const tstep = CROP / len;
    for (let start = 0; start < CROP; start += len) {
      for (let k = 0; k < half; k++) {
        const wr = load<f32>(TABLES + 256 + (<usize>(k * tstep) << 2));
        const wi = load<f32>(TABLES + 384 + (<usize>(k * tstep) << 2));
        const a = p + <usize>(start + k) * s, b = p + <usize>(start + k + half) * s;
        const br = load<f32>(b), bi = load<f32>(b, 4);
        const tr = br * wr - bi * wi, ti = br * wi + bi * wr;
        const ar = load<f32>(a), ai = load<f32>(a, 4);
        store<f32>(a, ar + tr);
        store<f32>(a, ai + ti, 4);
        store<f32>(b, ar - tr);
        store<f32>(b, ai - ti, 4);
      }
    }
  }
}

/**
 * Power spectrum (|F|^2, f32 CROP x CROP, DC at (0, 0)) of a crop after removing its mean and applying a separable
 * Hann window (the crop's edges are not periodic). `work` holds CROP*CROP complex f32.
 */
export function cropSpectrum(crop: usize, work: usize, power: usize): void {
  tables();
  const n = CROP * CROP;
  let mean: f32 = 0;
  for (let i = 0; i < n; i++) mean += load<f32>(crop + (<usize>i << 2));
  mean /= <f32>n;
  for (let j = 0; j < CROP; j++) {
    const wy = load<f32>(TABLES + (<usize>j << 2));
    for (let i = 0; i < CROP; i++) {
      const v = (load<f32>(crop + (<usize>(j * CROP + i) << 2)) - mean) * wy * load<f32>(TABLES + (<usize>i << 2));
      const o = work + (<usize>(j * CROP + i) << 3);
      store<f32>(o, v);
      store<f32>(o, 0, 4);
    }
  }
  for (let j = 0; j < CROP; j++) fft64(work + (<usize>(j * CROP) << 3), 1);
  for (let i = 0; i < CROP; i++) fft64(work + (<usize>i << 3), CROP);
  for (let i = 0; i < n; i++) {
    const re = load<f32>(work + (<usize>i << 3)), im = load<f32>(work + (<usize>i << 3), 4);
    store<f32>(power + (<usize>i << 2), re * re + im * im);
  }
}

/**
 * Spectrum statistics over the half-plane of frequencies with radius in [rLo, rHi] (cycles per crop): out (BANDS_*) =
 * total power in the band, the largest bin, the bins counted, and the total power below rLo (DC excluded).
 */
export function spectrumBands(power: usize, rLo: f64, rHi: f64, out: usize): void {
  let band: f64 = 0, peak: f64 = 0, low: f64 = 0;
  let count = 0;
  // frequencies (u, v) with u in 0..32 (the other half mirrors); v signed
  for (let v = -CROP / 2 + 1; v <= CROP / 2; v++) {
    const row = (v + CROP) & (CROP - 1);
    for (let u = 0; u <= CROP / 2; u++) {
      if (u == 0 && v <= 0) continue; // mirror of (0, -v); DC
      if (u == CROP / 2 && v <= 0) continue;
      const r = Math.sqrt(<f64>(u * u + v * v));
      const p = <f64>load<f32>(power + (<usize>(row * CROP + u) << 2));
      if (r < rLo) low += p;
      else if (r <= rHi) {
        band += p;
        if (p > peak) peak = p;
        count++;
      }
    }
  }
  store<f64>(out, band, BANDS_POWER << 3);
  store<f64>(out, peak, BANDS_PEAK << 3);
  store<f64>(out, <f64>count, BANDS_COUNT << 3);
  store<f64>(out, low, BANDS_LOW << 3);
}

/** Mean of each crop row into `rows` (f32[CROP]). */
export function cropRows(crop: usize, rows: usize): void {
  for (let j = 0; j < CROP; j++) {
    let s: f32 = 0;
    for (let i = 0; i < CROP; i++) s += load<f32>(crop + (<usize>(j * CROP + i) << 2));
    store<f32>(rows + (<usize>j << 2), s / <f32>CROP);
  }
}

/**
 * Column sums of |dI/dx| and row sums of |dI/dy| (central differences) over the region (x, y, w, h) of a padded luma
 * plane: cols f32[w], rows f32[h]. A straight edge along the region (paper, bezel) is a peak in one profile. Sums are
 * exact integers (u32 while accumulating, in the cols buffer itself).
 */
export function edgeProfiles(src: usize, stride: i32, x: i32, y: i32, w: i32, h: i32, cols: usize, rows: usize): void {
  for (let i = 0; i < w; i++) store<u32>(cols + (<usize>i << 2), 0);
  for (let j = 0; j < h; j++) {
    const row = src + <usize>((y + j) * stride + x);
    const up = row - <usize>stride, down = row + <usize>stride;
    let rs: u32 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      let acc = i32x4.splat(0);
      for (; i + 16 <= w; i += 16) {
        const o = <usize>i;
        const l = v128.load(row + o - 1), r = v128.load(row + o + 1);
        const gx = v128.or(i8x16.sub_sat_u(l, r), i8x16.sub_sat_u(r, l));
        const a = v128.load(up + o), b = v128.load(down + o);
        const gy = v128.or(i8x16.sub_sat_u(a, b), i8x16.sub_sat_u(b, a));
        acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(gy)));
        const lo = i16x8.extend_low_i8x16_u(gx), hi = i16x8.extend_high_i8x16_u(gx);
        const c = cols + (<usize>i << 2);
        v128.store(c, i32x4.add(v128.load(c), i32x4.extend_low_i16x8_u(lo)));
        v128.store(c, i32x4.add(v128.load(c, 16), i32x4.extend_high_i16x8_u(lo)), 16);
        v128.store(c, i32x4.add(v128.load(c, 32), i32x4.extend_low_i16x8_u(hi)), 32);
        v128.store(c, i32x4.add(v128.load(c, 48), i32x4.extend_high_i16x8_u(hi)), 48);
      }
      rs = <u32>(i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3));
    }
    for (; i < w; i++) {
      const p = row + <usize>i;
      const gx = abs<i32>(<i32>load<u8>(p + 1) - <i32>load<u8>(p - 1));
      const gy = abs<i32>(<i32>load<u8>(p + <usize>stride) - <i32>load<u8>(p - <usize>stride));
      const c = cols + (<usize>i << 2);
      store<u32>(c, load<u32>(c) + <u32>gx);
      rs += <u32>gy;
    }
    store<f32>(rows + (<usize>j << 2), <f32>rs);
  }
  for (let i = 0; i < w; i++) store<f32>(cols + (<usize>i << 2), <f32>load<u32>(cols + (<usize>i << 2)));
}

/**
 * Colour statistics of an RGBA region: out (COLOUR_*) = pixels, near-white highlights (min(R,G,B) >= `whiteLevel`),
 * pixels with a clipped channel (max >= 250), sum and sum of squares of the chroma max-min, and strongly saturated
 * pixels (max-min >= 96).
 */
export function colourStats(src: usize, width: i32, x: i32, y: i32, w: i32, h: i32, whiteLevel: i32, out: usize): void {
  let white: u32 = 0, clipped: u32 = 0, saturated: u32 = 0;
  let cs: u64 = 0, cs2: u64 = 0;
  for (let j = 0; j < h; j++) {
    const row = src + (<usize>((y + j) * width + x) << 2);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      // four pixels a step; per pixel the max/min of R, G, B land in byte 0 of its 4-byte group
      const keep = i32x4.splat(0xff);
      const white16 = i8x16.splat(<i8>whiteLevel), clip16 = i8x16.splat(<i8>250), sat32 = i32x4.splat(96);
      let cAcc = i32x4.splat(0), c2Acc = i32x4.splat(0);
      for (; i + 4 <= w; i += 4) {
        const v = v128.load(row + (<usize>i << 2));
        const g = i8x16.shuffle(v, v, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
        const b = i8x16.shuffle(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
        const hi = v128.and(i8x16.max_u(v, i8x16.max_u(g, b)), keep);
        const lo = v128.and(i8x16.min_u(v, i8x16.min_u(g, b)), keep);
        const c = i32x4.sub(hi, lo);
        white += <u32>popcnt(i8x16.bitmask(i8x16.ge_u(lo, white16)) & 0x1111);
        clipped += <u32>popcnt(i8x16.bitmask(i8x16.ge_u(hi, clip16)) & 0x1111);
        saturated += <u32>popcnt(i32x4.bitmask(i32x4.ge_s(c, sat32)));
        cAcc = i32x4.add(cAcc, c);
        c2Acc = i32x4.add(c2Acc, i32x4.mul(c, c));
      }
      cs += <u64>(<u32>(i32x4.extract_lane(cAcc, 0) + i32x4.extract_lane(cAcc, 1) + i32x4.extract_lane(cAcc, 2) + i32x4.extract_lane(cAcc, 3)));
      cs2 += <u64>(<u32>i32x4.extract_lane(c2Acc, 0)) + <u64>(<u32>i32x4.extract_lane(c2Acc, 1)) + <u64>(<u32>i32x4.extract_lane(c2Acc, 2)) + <u64>(<u32>i32x4.extract_lane(c2Acc, 3));
    }
    for (; i < w; i++) {
      const p = row + (<usize>i << 2);
      const r = <i32>load<u8>(p), g = <i32>load<u8>(p, 1), b = <i32>load<u8>(p, 2);
      const hi = max(r, max(g, b)), lo = min(r, min(g, b));
      if (lo >= whiteLevel) white++;
      if (hi >= 250) clipped++;
      const c = hi - lo;
      if (c >= 96) saturated++;
      cs += <u64>c;
      cs2 += <u64>(c * c);
    }
  }
  store<f64>(out, <f64>(w * h), COLOUR_PIXELS << 3);
  store<f64>(out, <f64>white, COLOUR_WHITE << 3);
  store<f64>(out, <f64>clipped, COLOUR_CLIPPED << 3);
  store<f64>(out, <f64>cs, COLOUR_CHROMA_SUM << 3);
  store<f64>(out, <f64>cs2, COLOUR_CHROMA_SUM_SQ << 3);
  store<f64>(out, <f64>saturated, COLOUR_SATURATED << 3);
}

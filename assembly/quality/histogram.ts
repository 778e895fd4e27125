// 256-bin luma histogram of a region, and the statistics that follow from it (mean, std, clipping, entropy).
import { STATS_BRIGHT, STATS_COUNT, STATS_DARK, STATS_ENTROPY, STATS_MEAN, STATS_STD } from '../../src/quality/layout';

// Eight interleaved sub-histograms, one per byte of a 64-bit word: neighbouring pixels of equal value (flat walls,
// the common case) would otherwise serialise on one counter through store-to-load forwarding. Two such sets, so one
// pass can count two regions (face and surround) at once.
export const SUB: usize = memory.data(8 * 256 * 4, 16);
export const SUB2: usize = memory.data(8 * 256 * 4, 16);

// @ts-ignore: decorator
@inline export function bump(sub: usize, value: u32): void {
  const p = sub + (<usize>value << 2);
  store<u32>(p, load<u32>(p) + 1);
}

/** Clears one set of sub-histograms (call before counting). */
export function clearSub(set: usize): void {
  memory.fill(set, 0, 8 * 256 * 4);
}

/** Sums one set of sub-histograms into `out` (u32[256]), adding to what `out` holds when `accumulate`. */
export function mergeSub(set: usize, out: usize, accumulate: bool): void {
  const H0 = set, H1 = set + 1024, H2 = set + 2048, H3 = set + 3072, H4 = set + 4096, H5 = set + 5120, H6 = set + 6144, H7 = set + 7168;
  if (ASC_FEATURE_SIMD) {
    const keep = accumulate ? i32x4.splat(-1) : i32x4.splat(0);
    for (let o: usize = 0; o < 1024; o += 16) {
      const a = i32x4.add(i32x4.add(v128.load(H0 + o), v128.load(H1 + o)), i32x4.add(v128.load(H2 + o), v128.load(H3 + o)));
      const b = i32x4.add(i32x4.add(v128.load(H4 + o), v128.load(H5 + o)), i32x4.add(v128.load(H6 + o), v128.load(H7 + o)));
      v128.store(out + o, i32x4.add(v128.and(v128.load(out + o), keep), i32x4.add(a, b)));
    }
  } else {
    for (let o: usize = 0; o < 1024; o += 4) {
      const prior = accumulate ? load<u32>(out + o) : 0;
      store<u32>(out + o, prior + load<u32>(H0 + o) + load<u32>(H1 + o) + load<u32>(H2 + o) + load<u32>(H3 + o) + load<u32>(H4 + o) + load<u32>(H5 + o) + load<u32>(H6 + o) + load<u32>(H7 + o));
    }
  }
}

/**
 * Counts the luma values of the `w x h` region at (x, y) of a plane with row stride `stride` into `out` (u32[256]);
 * with `accumulate` the counts are added to `out` (several rectangles into one histogram).
 */
export function histogram(src: usize, stride: i32, x: i32, y: i32, w: i32, h: i32, out: usize, accumulate: bool): void {
  clearSub(SUB);
  for (let r = 0; r < h; r++) countRow(SUB, src + <usize>(y + r) * <usize>stride + <usize>x, w);
  mergeSub(SUB, out, accumulate);
}

// Counting is a scatter: no SIMD instruction helps it in wasm (16 lane extracts, i64x2 lane extracts, or vector-built
// counter addresses all measured slower in V8 than 64-bit loads split by shifts), so both builds count the same way.
// @ts-ignore: decorator
@inline export function countRow(set: usize, row: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) bump8(set, load<u64>(row + <usize>i));
  for (; i < n; i++) bump(set, load<u8>(row + <usize>i));
}

// Counts the eight bytes of `q`, byte k into sub-histogram k. The counter address is (byte << 2) masked straight out
// of the word and the sub-histogram base rides in the load/store immediate offset: five wasm ops per pixel.
// @ts-ignore: decorator
@inline function bump8(set: usize, q: u64): void {
  const a = <u32>q, b = <u32>(q >> 32);
  { const p = set + <usize>((a << 2) & 0x3fc); store<u32>(p, load<u32>(p, 0) + 1, 0); }
  { const p = set + <usize>((a >> 6) & 0x3fc); store<u32>(p, load<u32>(p, 1024) + 1, 1024); }
  { const p = set + <usize>((a >> 14) & 0x3fc); store<u32>(p, load<u32>(p, 2048) + 1, 2048); }
  { const p = set + <usize>((a >> 22) & 0x3fc); store<u32>(p, load<u32>(p, 3072) + 1, 3072); }
  { const p = set + <usize>((b << 2) & 0x3fc); store<u32>(p, load<u32>(p, 4096) + 1, 4096); }
  { const p = set + <usize>((b >> 6) & 0x3fc); store<u32>(p, load<u32>(p, 5120) + 1, 5120); }
  { const p = set + <usize>((b >> 14) & 0x3fc); store<u32>(p, load<u32>(p, 6144) + 1, 6144); }
  { const p = set + <usize>((b >> 22) & 0x3fc); store<u32>(p, load<u32>(p, 7168) + 1, 7168); }
}

/**
 * Statistics of a histogram into `out` (f64 slots of src/quality/layout.ts): count, mean, standard deviation, fraction at or below `darkLevel`,
 * fraction at or above `brightLevel`, Shannon entropy in bits. Mean and std are NaN for an empty histogram.
 */
export function histogramStats(hist: usize, darkLevel: i32, brightLevel: i32, out: usize): void {
  let n: u64 = 0, s: u64 = 0, ss: u64 = 0, dark: u64 = 0, bright: u64 = 0;
  let clog: f64 = 0; // sum of c * log2(c); entropy = log2(n) - clog / n
  for (let b = 0; b < 256; b++) {
    const c = <u64>load<u32>(hist + (<usize>b << 2));
    if (c == 0) continue;
    n += c;
    s += c * <u64>b;
    ss += c * <u64>(b * b);
    if (b <= darkLevel) dark += c;
    if (b >= brightLevel) bright += c;
    clog += <f64>c * Math.log2(<f64>c);
  }
  const fn = <f64>n;
  const mean = <f64>s / fn;
  // Integer numerator keeps the variance exact before the one division.
  const varNum = <f64>(n * ss - s * s);
  store<f64>(out, fn, STATS_COUNT << 3);
  store<f64>(out, mean, STATS_MEAN << 3);
  store<f64>(out, n == 0 ? NaN : Math.sqrt(varNum) / fn, STATS_STD << 3);
  store<f64>(out, n == 0 ? NaN : <f64>dark / fn, STATS_DARK << 3);
  store<f64>(out, n == 0 ? NaN : <f64>bright / fn, STATS_BRIGHT << 3);
  store<f64>(out, n == 0 ? NaN : Math.max(0, Math.log2(fn) - clog / fn), STATS_ENTROPY << 3);
}

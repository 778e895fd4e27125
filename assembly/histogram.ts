// 256-bin luma histogram of a region, and the statistics that follow from it (mean, std, clipping, entropy).

// Four interleaved sub-histograms: consecutive pixels of equal value would otherwise serialise on one counter
// (store-to-load forwarding), which is the common case in flat image areas.
const SUB: usize = memory.data(4 * 256 * 4, 16);

// @ts-ignore: decorator
@inline function bump(sub: usize, value: u32): void {
  const p = sub + (<usize>value << 2);
  store<u32>(p, load<u32>(p) + 1);
}

/** Counts the luma values of the `w x h` region at (x, y) of a plane with row stride `stride` into `out` (u32[256]). */
export function histogram(src: usize, stride: i32, x: i32, y: i32, w: i32, h: i32, out: usize): void {
  memory.fill(SUB, 0, 4 * 256 * 4);
  const h0 = SUB, h1 = SUB + 1024, h2 = SUB + 2048, h3 = SUB + 3072;
  for (let r = 0; r < h; r++) {
    const row = src + <usize>(y + r) * <usize>stride + <usize>x;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      for (; i + 16 <= w; i += 16) {
        const v = v128.load(row + <usize>i);
        bump(h0, i8x16.extract_lane_u(v, 0)); bump(h1, i8x16.extract_lane_u(v, 1));
        bump(h2, i8x16.extract_lane_u(v, 2)); bump(h3, i8x16.extract_lane_u(v, 3));
        bump(h0, i8x16.extract_lane_u(v, 4)); bump(h1, i8x16.extract_lane_u(v, 5));
        bump(h2, i8x16.extract_lane_u(v, 6)); bump(h3, i8x16.extract_lane_u(v, 7));
        bump(h0, i8x16.extract_lane_u(v, 8)); bump(h1, i8x16.extract_lane_u(v, 9));
        bump(h2, i8x16.extract_lane_u(v, 10)); bump(h3, i8x16.extract_lane_u(v, 11));
        bump(h0, i8x16.extract_lane_u(v, 12)); bump(h1, i8x16.extract_lane_u(v, 13));
        bump(h2, i8x16.extract_lane_u(v, 14)); bump(h3, i8x16.extract_lane_u(v, 15));
      }
    } else {
      for (; i + 4 <= w; i += 4) {
        const q = load<u32>(row + <usize>i);
        bump(h0, q & 0xff); bump(h1, (q >> 8) & 0xff); bump(h2, (q >> 16) & 0xff); bump(h3, q >> 24);
      }
    }
    for (; i < w; i++) bump(h0, load<u8>(row + <usize>i));
  }
  for (let b = 0; b < 256; b++) {
    const o = <usize>b << 2;
    store<u32>(out + o, load<u32>(h0 + o) + load<u32>(h1 + o) + load<u32>(h2 + o) + load<u32>(h3 + o));
  }
}

/**
 * Statistics of a histogram into `out` (f64[6]): count, mean, standard deviation, fraction at or below `darkLevel`,
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
  store<f64>(out, fn);
  store<f64>(out, mean, 8);
  store<f64>(out, n == 0 ? NaN : Math.sqrt(varNum) / fn, 16);
  store<f64>(out, n == 0 ? NaN : <f64>dark / fn, 24);
  store<f64>(out, n == 0 ? NaN : <f64>bright / fn, 32);
  store<f64>(out, n == 0 ? NaN : Math.max(0, Math.log2(fn) - clog / fn), 40);
}

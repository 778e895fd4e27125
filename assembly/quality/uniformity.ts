// Luminance layout of a region (grid of cell sums) and the mean colour of a region.
import { SUMS_B, SUMS_G, SUMS_R } from '../../src/quality/layout';

/** Sum of `n` consecutive bytes. */
export function rowSum(p: usize, n: i32): u32 {
  let i = 0;
  let total: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v128.load(p + <usize>i))));
    }
    total = <u32>(i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3));
  } else {
    for (; i + 4 <= n; i += 4) {
      const q = load<u32>(p + <usize>i);
      total += (q & 0xff) + ((q >> 8) & 0xff) + ((q >> 16) & 0xff) + (q >> 24);
    }
  }
  for (; i < n; i++) total += load<u8>(p + <usize>i);
  return total;
}

/**
 * Sums of luma over a `cols x rows` grid laid over the `w x h` region at (x, y); cell edges at
 * x + floor(k * w / cols) (likewise for rows), so cells differ by at most one pixel. Writes f64[rows * cols], row-major.
 */
export function gridSums(src: usize, stride: i32, x: i32, y: i32, w: i32, h: i32, cols: i32, rows: i32, out: usize): void {
  memory.fill(out, 0, <usize>(rows * cols) << 3);
  for (let gy = 0; gy < rows; gy++) {
    const y0 = y + <i32>((<i64>gy * h) / rows);
    const y1 = y + <i32>((<i64>(gy + 1) * h) / rows);
    for (let r = y0; r < y1; r++) {
      const row = src + <usize>r * <usize>stride;
      for (let gx = 0; gx < cols; gx++) {
        const x0 = x + <i32>((<i64>gx * w) / cols);
        const x1 = x + <i32>((<i64>(gx + 1) * w) / cols);
        const cell = out + (<usize>(gy * cols + gx) << 3);
        store<f64>(cell, load<f64>(cell) + <f64>rowSum(row + <usize>x0, x1 - x0));
      }
    }
  }
}

/** Sums of R, G, B over the `w x h` region at (x, y) of an RGBA frame `width` pixels wide, into `out` (SUMS_*). */
export function rgbSums(src: usize, width: i32, x: i32, y: i32, w: i32, h: i32, out: usize): void {
  let r: u64 = 0, g: u64 = 0, b: u64 = 0;
  for (let yy = 0; yy < h; yy++) {
    const row = src + ((<usize>(y + yy) * <usize>width + <usize>x) << 2);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      // u16 lanes hold [R G B A R G B A]; 64 steps of +510 stay below 65536, then widen into u32 [R G B A].
      let acc32 = i32x4.splat(0);
      while (i + 4 <= w) {
        let acc16 = i16x8.splat(0);
        const end = min(w, i + 256);
        for (; i + 4 <= end; i += 4) {
          const v = v128.load(row + (<usize>i << 2));
          acc16 = i16x8.add(acc16, i16x8.add(i16x8.extend_low_i8x16_u(v), i16x8.extend_high_i8x16_u(v)));
        }
        acc32 = i32x4.add(acc32, i32x4.add(i32x4.extend_low_i16x8_u(acc16), i32x4.extend_high_i16x8_u(acc16)));
      }
      r += <u64><u32>i32x4.extract_lane(acc32, 0);
      g += <u64><u32>i32x4.extract_lane(acc32, 1);
      b += <u64><u32>i32x4.extract_lane(acc32, 2);
    }
    let rr: u32 = 0, gg: u32 = 0, bb: u32 = 0;
    for (; i < w; i++) {
      const p = row + (<usize>i << 2);
      rr += load<u8>(p);
      gg += load<u8>(p, 1);
      bb += load<u8>(p, 2);
    }
    r += rr; g += gg; b += bb;
  }
  store<f64>(out, <f64>r, SUMS_R << 3);
  store<f64>(out, <f64>g, SUMS_G << 3);
  store<f64>(out, <f64>b, SUMS_B << 3);
}

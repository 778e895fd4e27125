// 3x3 Laplacian [0 1 0; 1 -4 1; 0 1 0] (OpenCV's ksize=1) over a region, reflect-101 at the frame border.
// Writes the sum and the sum of squares of the response (LAPLACIAN_SUM, LAPLACIAN_SUM_SQ of src/quality/layout.ts),
// from which the caller takes the variance.
import { LAPLACIAN_SUM, LAPLACIAN_SUM_SQ } from '../../src/quality/layout';

// @ts-ignore: decorator
@inline function reflect101(i: i32, n: i32): i32 {
  if (n == 1) return 0;
  return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
}

export function laplacianSums(src: usize, stride: i32, fw: i32, fh: i32, x: i32, y: i32, w: i32, h: i32, out: usize): void {
  let sum: i64 = 0;
  let sumSq: i64 = 0;
  // Columns that have both horizontal neighbours inside the frame take the fast path.
  const inner0 = max(x, 1);
  const inner1 = min(x + w, fw - 1);
  for (let r = y; r < y + h; r++) {
    const row = src + <usize>r * <usize>stride;
    const up = src + <usize>reflect101(r - 1, fh) * <usize>stride;
    const down = src + <usize>reflect101(r + 1, fh) * <usize>stride;
    let c = x;
    // left border columns (at most one: column 0)
    for (; c < x + w && c < inner0; c++) {
      const v = lapAt(row, up, down, c, fw);
      sum += v;
      sumSq += <i64>(v * v);
    }
    if (ASC_FEATURE_SIMD) {
      let s = i32x4.splat(0);
      let q = i32x4.splat(0);
      let steps = 0;
      for (; c + 8 <= inner1; c += 8) {
        const o = <usize>c;
        const centre = v128.load8x8_u(row + o);
        const around = i16x8.add(
          i16x8.add(v128.load8x8_u(up + o), v128.load8x8_u(down + o)),
          i16x8.add(v128.load8x8_u(row + o - 1), v128.load8x8_u(row + o + 1)),
        );
        const lap = i16x8.sub(around, i16x8.shl(centre, 2));
        s = i32x4.add(s, i32x4.extadd_pairwise_i16x8_s(lap));
        q = i32x4.add(q, i32x4.dot_i16x8_s(lap, lap));
        // each dot lane grows by at most 2 * 1020^2 per step: flush to i64 well before 2^31
        if (++steps == 512) {
          sum += <i64>(i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3));
          sumSq += <i64><u32>i32x4.extract_lane(q, 0) + <i64><u32>i32x4.extract_lane(q, 1) + <i64><u32>i32x4.extract_lane(q, 2) + <i64><u32>i32x4.extract_lane(q, 3);
          s = i32x4.splat(0);
          q = i32x4.splat(0);
          steps = 0;
        }
      }
      sum += <i64>(i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3));
      sumSq += <i64><u32>i32x4.extract_lane(q, 0) + <i64><u32>i32x4.extract_lane(q, 1) + <i64><u32>i32x4.extract_lane(q, 2) + <i64><u32>i32x4.extract_lane(q, 3);
    } else {
      for (; c < inner1; c++) {
        const o = <usize>c;
        const v = <i32>load<u8>(up + o) + <i32>load<u8>(down + o) + <i32>load<u8>(row + o - 1) + <i32>load<u8>(row + o + 1) - 4 * <i32>load<u8>(row + o);
        sum += v;
        sumSq += <i64>(v * v);
      }
    }
    for (; c < x + w; c++) {
      const v = lapAt(row, up, down, c, fw);
      sum += v;
      sumSq += <i64>(v * v);
    }
  }
  store<f64>(out, <f64>sum, LAPLACIAN_SUM << 3);
  store<f64>(out, <f64>sumSq, LAPLACIAN_SUM_SQ << 3);
}

// @ts-ignore: decorator
@inline function lapAt(row: usize, up: usize, down: usize, c: i32, fw: i32): i32 {
  const o = <usize>c;
  const l = <usize>reflect101(c - 1, fw);
  const r = <usize>reflect101(c + 1, fw);
  return <i32>load<u8>(up + o) + <i32>load<u8>(down + o) + <i32>load<u8>(row + l) + <i32>load<u8>(row + r) - 4 * <i32>load<u8>(row + o);
}

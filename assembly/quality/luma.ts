// RGBA -> luma (BT.601, the fixed point OpenCV uses) and the half-resolution pyramid level.
import { clearSub, countRow, mergeSub, SUB, SUB2 } from './histogram';

// Y = (R*4899 + G*9617 + B*1868 + 8192) >> 14, weights sum to 1 << 14.
const WR: i32 = 4899;
const WG: i32 = 9617;
const WB: i32 = 1868;
const ROUND: i32 = 8192;

/** Converts `width * height` RGBA pixels at `src` into luma rows of `dstStride` bytes at `dst`. */
export function rgbaToLuma(src: usize, width: i32, height: i32, dst: usize, dstStride: i32): void {
  const rowBytes = <usize>width << 2;
  for (let y = 0; y < height; y++) {
    lumaRow(src + <usize>y * rowBytes, dst + <usize>y * <usize>dstStride, width);
  }
}

/**
 * rgbaToLuma that also counts two histograms, row by row while the luma row is still in L1: the `fw x fh` region at
 * (fx, fy) into `regionOut` and the rest of the frame into `restOut` (both u32[256]; fw = 0 counts all into restOut).
 */
export function lumaHistograms(src: usize, width: i32, height: i32, dst: usize, dstStride: i32, fx: i32, fy: i32, fw: i32, fh: i32, regionOut: usize, restOut: usize): void {
  clearSub(SUB);
  clearSub(SUB2);
  const rowBytes = <usize>width << 2;
  for (let y = 0; y < height; y++) {
    const row = dst + <usize>y * <usize>dstStride;
    lumaRow(src + <usize>y * rowBytes, row, width);
    if (fw > 0 && y >= fy && y < fy + fh) {
      countRow(SUB2, row, fx);
      countRow(SUB, row + <usize>fx, fw);
      countRow(SUB2, row + <usize>(fx + fw), width - fx - fw);
    } else {
      countRow(SUB2, row, width);
    }
  }
  mergeSub(SUB, regionOut, false);
  mergeSub(SUB2, restOut, false);
}

// @ts-ignore: decorator
@inline function lumaPixel(p: usize): u8 {
  return <u8>((<i32>load<u8>(p) * WR + <i32>load<u8>(p, 1) * WG + <i32>load<u8>(p, 2) * WB + ROUND) >> 14);
}

// @ts-ignore: decorator
@inline function lumaRow(src: usize, dst: usize, width: i32): void {
  let x = 0;
  if (ASC_FEATURE_SIMD) {
    // dot_i16x8_s on [R G B A R G B A] x [wr wg wb 0 ...] gives [R*wr+G*wg, B*wb, ...] per pixel pair;
    // even + odd lanes then complete each pixel's sum.
    const w = i16x8(<i16>WR, <i16>WG, <i16>WB, 0, <i16>WR, <i16>WG, <i16>WB, 0);
    const round = i32x4.splat(ROUND);
    for (; x + 16 <= width; x += 16) {
      const p = src + (<usize>x << 2);
      const y0 = quad(v128.load(p), w, round);
      const y1 = quad(v128.load(p, 16), w, round);
      const y2 = quad(v128.load(p, 32), w, round);
      const y3 = quad(v128.load(p, 48), w, round);
      v128.store(dst + <usize>x, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(y0, y1), i16x8.narrow_i32x4_s(y2, y3)));
    }
  }
  for (; x < width; x++) store<u8>(dst + <usize>x, lumaPixel(src + (<usize>x << 2)));
}

// @ts-ignore: decorator
@inline function quad(px: v128, w: v128, round: v128): v128 {
  const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(px), w);
  const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(px), w);
  const sum = i32x4.add(i32x4.shuffle(lo, hi, 0, 2, 4, 6), i32x4.shuffle(lo, hi, 1, 3, 5, 7));
  return i32x4.shr_s(i32x4.add(sum, round), 14);
}

/**
 * Half-resolution level: each output pixel is the rounded mean of a 2x2 block, output size (w >> 1) x (h >> 1).
 * A box filter keeps it exact in integers; Lucas-Kanade only uses the coarse levels for the initial guess.
 */
export function pyrDown(src: usize, srcStride: i32, width: i32, height: i32, dst: usize, dstStride: i32): void {
  const dw = width >> 1;
  const dh = height >> 1;
  for (let y = 0; y < dh; y++) {
    const a = src + <usize>(2 * y) * <usize>srcStride;
    const b = a + <usize>srcStride;
    const d = dst + <usize>y * <usize>dstStride;
    let x = 0;
    if (ASC_FEATURE_SIMD) {
      const two = i16x8.splat(2);
      for (; x + 8 <= dw; x += 8) {
        const s = i16x8.add(
          i16x8.add(i16x8.extadd_pairwise_i8x16_u(v128.load(a + (<usize>x << 1))), i16x8.extadd_pairwise_i8x16_u(v128.load(b + (<usize>x << 1)))),
          two,
        );
        v128.store64_lane(d + <usize>x, i8x16.narrow_i16x8_u(i16x8.shr_u(s, 2), s), 0);
      }
    }
    for (; x < dw; x++) {
      const o = <usize>x << 1;
      store<u8>(d + <usize>x, <u8>((<i32>load<u8>(a + o) + <i32>load<u8>(a + o + 1) + <i32>load<u8>(b + o) + <i32>load<u8>(b + o + 1) + 2) >> 2));
    }
  }
}

/** Replicates the edge pixels of a `width x height` plane into `pad` bytes/rows around it (for Lucas-Kanade reads). */
export function padEdges(base: usize, stride: i32, width: i32, height: i32, pad: i32): void {
  for (let y = 0; y < height; y++) {
    const row = base + <usize>y * <usize>stride;
    memory.fill(row - <usize>pad, load<u8>(row), <usize>pad);
    memory.fill(row + <usize>width, load<u8>(row + <usize>(width - 1)), <usize>pad);
  }
  const first = base - <usize>pad;
  const last = first + <usize>(height - 1) * <usize>stride;
  const span = <usize>(width + 2 * pad);
  for (let i = 1; i <= pad; i++) {
    memory.copy(first - <usize>i * <usize>stride, first, span);
    memory.copy(last + <usize>i * <usize>stride, last, span);
  }
}

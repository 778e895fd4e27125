// Pyramidal Lucas-Kanade (Bouguet's formulation) on a sparse set of points, and the background motion summary.
//
// Pyramid levels are described by i32[4] records [ptr, width, height, stride]; every level carries `PAD` replicated
// edge pixels on each side (see padEdges), so window reads near the border stay inside the buffer.
//
// The scalar build accumulates in the same four lanes and the same order as the SIMD build, so both give bit-identical
// flows (wasm has no fused multiply-add to reorder results).

export const PAD: i32 = 32;
const WIN: i32 = 12; // window side; samples at p - 5.5 .. p + 5.5
const TPL: i32 = WIN + 2; // template with a one-sample border for central differences
const ROW: usize = 16; // f32 per scratch row
const PATCH: usize = memory.data(<i32>(ROW * <usize>TPL) << 2, 16);
const TI: usize = memory.data(WIN * WIN * 4, 16);
const TX: usize = memory.data(WIN * WIN * 4, 16);
const TY: usize = memory.data(WIN * WIN * 4, 16);

// Per-call state shared with helpers (module globals keep the hot loops free of out-parameters).
let gxx: f32 = 0, gxy: f32 = 0, gyy: f32 = 0;
let bx: f32 = 0, by: f32 = 0;

// Bilinear samples of a `rows x 16` block whose top-left sample lies at (ix0 + ax, iy0 + ay).
function interpolate(base: usize, stride: i32, ix0: i32, iy0: i32, ax: f32, ay: f32, rows: i32, dst: usize): void {
  const w00 = (<f32>1 - ax) * (<f32>1 - ay), w01 = ax * (<f32>1 - ay), w10 = (<f32>1 - ax) * ay, w11 = ax * ay;
  for (let r = 0; r < rows; r++) {
    const a = base + <usize>(iy0 + r) * <usize>stride + <usize>ix0;
    const b = a + <usize>stride;
    const d = dst + ((<usize>r * ROW) << 2);
    if (ASC_FEATURE_SIMD) {
      const va = v128.load(a), va1 = v128.load(a, 1), vb = v128.load(b), vb1 = v128.load(b, 1);
      const s00 = f32x4.splat(w00), s01 = f32x4.splat(w01), s10 = f32x4.splat(w10), s11 = f32x4.splat(w11);
      const al = i16x8.extend_low_i8x16_u(va), ah = i16x8.extend_high_i8x16_u(va);
      const a1l = i16x8.extend_low_i8x16_u(va1), a1h = i16x8.extend_high_i8x16_u(va1);
      const bl = i16x8.extend_low_i8x16_u(vb), bh = i16x8.extend_high_i8x16_u(vb);
      const b1l = i16x8.extend_low_i8x16_u(vb1), b1h = i16x8.extend_high_i8x16_u(vb1);
      v128.store(d, mix(i32x4.extend_low_i16x8_u(al), i32x4.extend_low_i16x8_u(a1l), i32x4.extend_low_i16x8_u(bl), i32x4.extend_low_i16x8_u(b1l), s00, s01, s10, s11));
      v128.store(d, mix(i32x4.extend_high_i16x8_u(al), i32x4.extend_high_i16x8_u(a1l), i32x4.extend_high_i16x8_u(bl), i32x4.extend_high_i16x8_u(b1l), s00, s01, s10, s11), 16);
      v128.store(d, mix(i32x4.extend_low_i16x8_u(ah), i32x4.extend_low_i16x8_u(a1h), i32x4.extend_low_i16x8_u(bh), i32x4.extend_low_i16x8_u(b1h), s00, s01, s10, s11), 32);
      v128.store(d, mix(i32x4.extend_high_i16x8_u(ah), i32x4.extend_high_i16x8_u(a1h), i32x4.extend_high_i16x8_u(bh), i32x4.extend_high_i16x8_u(b1h), s00, s01, s10, s11), 48);
    } else {
      for (let c = 0; c < 16; c++) {
        const o = <usize>c;
        const v = w00 * <f32>load<u8>(a + o) + w01 * <f32>load<u8>(a + o + 1) + w10 * <f32>load<u8>(b + o) + w11 * <f32>load<u8>(b + o + 1);
        store<f32>(d + (o << 2), v);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function mix(a: v128, a1: v128, b: v128, b1: v128, s00: v128, s01: v128, s10: v128, s11: v128): v128 {
  return f32x4.add(
    f32x4.add(f32x4.add(f32x4.mul(s00, f32x4.convert_i32x4_u(a)), f32x4.mul(s01, f32x4.convert_i32x4_u(a1))), f32x4.mul(s10, f32x4.convert_i32x4_u(b))),
    f32x4.mul(s11, f32x4.convert_i32x4_u(b1)),
  );
}

// Template values and central-difference gradients of the window, and the structure tensor G.
function buildTemplate(): void {
  if (ASC_FEATURE_SIMD) {
    const half = f32x4.splat(0.5);
    let sxx = f32x4.splat(0), sxy = f32x4.splat(0), syy = f32x4.splat(0);
    for (let r = 0; r < WIN; r++) {
      const mid = PATCH + ((<usize>(r + 1) * ROW) << 2);
      const top = mid - (ROW << 2);
      const bot = mid + (ROW << 2);
      for (let k = 0; k < 3; k++) {
        const o = <usize>(k << 4);
        const ix = f32x4.mul(f32x4.sub(v128.load(mid + o + 8), v128.load(mid + o)), half);
        const iy = f32x4.mul(f32x4.sub(v128.load(bot + o + 4), v128.load(top + o + 4)), half);
        const t = <usize>(r * WIN + (k << 2)) << 2;
        v128.store(TI + t, v128.load(mid + o + 4));
        v128.store(TX + t, ix);
        v128.store(TY + t, iy);
        sxx = f32x4.add(sxx, f32x4.mul(ix, ix));
        sxy = f32x4.add(sxy, f32x4.mul(ix, iy));
        syy = f32x4.add(syy, f32x4.mul(iy, iy));
      }
    }
    gxx = lanes(sxx); gxy = lanes(sxy); gyy = lanes(syy);
  } else {
    const sxx = memory.data(16, 16), sxy = memory.data(16, 16), syy = memory.data(16, 16);
    memory.fill(sxx, 0, 16); memory.fill(sxy, 0, 16); memory.fill(syy, 0, 16);
    for (let r = 0; r < WIN; r++) {
      const mid = PATCH + ((<usize>(r + 1) * ROW) << 2);
      const top = mid - (ROW << 2);
      const bot = mid + (ROW << 2);
      for (let c = 0; c < WIN; c++) {
        const o = <usize>c << 2;
        const ix = (load<f32>(mid + o + 8) - load<f32>(mid + o)) * <f32>0.5;
        const iy = (load<f32>(bot + o + 4) - load<f32>(top + o + 4)) * <f32>0.5;
        const t = <usize>(r * WIN + c) << 2;
        store<f32>(TI + t, load<f32>(mid + o + 4));
        store<f32>(TX + t, ix);
        store<f32>(TY + t, iy);
        const lane = <usize>(c & 3) << 2;
        store<f32>(sxx + lane, load<f32>(sxx + lane) + ix * ix);
        store<f32>(sxy + lane, load<f32>(sxy + lane) + ix * iy);
        store<f32>(syy + lane, load<f32>(syy + lane) + iy * iy);
      }
    }
    gxx = lanesAt(sxx); gxy = lanesAt(sxy); gyy = lanesAt(syy);
  }
}

// @ts-ignore: decorator
@inline function lanes(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline function lanesAt(p: usize): f32 {
  return (load<f32>(p) + load<f32>(p, 4)) + (load<f32>(p, 8) + load<f32>(p, 12));
}

// Mismatch vector b = sum((I - J) * grad I) for the window of `cur` whose top-left sample is at (ix0 + ax, iy0 + ay).
function mismatch(base: usize, stride: i32, ix0: i32, iy0: i32, ax: f32, ay: f32): void {
  const w00 = (<f32>1 - ax) * (<f32>1 - ay), w01 = ax * (<f32>1 - ay), w10 = (<f32>1 - ax) * ay, w11 = ax * ay;
  if (ASC_FEATURE_SIMD) {
    const s00 = f32x4.splat(w00), s01 = f32x4.splat(w01), s10 = f32x4.splat(w10), s11 = f32x4.splat(w11);
    let sx = f32x4.splat(0), sy = f32x4.splat(0);
    for (let r = 0; r < WIN; r++) {
      const a = base + <usize>(iy0 + r) * <usize>stride + <usize>ix0;
      const b = a + <usize>stride;
      const va = v128.load(a), va1 = v128.load(a, 1), vb = v128.load(b), vb1 = v128.load(b, 1);
      const al = i16x8.extend_low_i8x16_u(va), ah = i16x8.extend_high_i8x16_u(va);
      const a1l = i16x8.extend_low_i8x16_u(va1), a1h = i16x8.extend_high_i8x16_u(va1);
      const bl = i16x8.extend_low_i8x16_u(vb), bh = i16x8.extend_high_i8x16_u(vb);
      const b1l = i16x8.extend_low_i8x16_u(vb1), b1h = i16x8.extend_high_i8x16_u(vb1);
      const t = <usize>(r * WIN) << 2;
      let d = f32x4.sub(v128.load(TI + t), mix(i32x4.extend_low_i16x8_u(al), i32x4.extend_low_i16x8_u(a1l), i32x4.extend_low_i16x8_u(bl), i32x4.extend_low_i16x8_u(b1l), s00, s01, s10, s11));
      sx = f32x4.add(sx, f32x4.mul(d, v128.load(TX + t)));
      sy = f32x4.add(sy, f32x4.mul(d, v128.load(TY + t)));
      d = f32x4.sub(v128.load(TI + t, 16), mix(i32x4.extend_high_i16x8_u(al), i32x4.extend_high_i16x8_u(a1l), i32x4.extend_high_i16x8_u(bl), i32x4.extend_high_i16x8_u(b1l), s00, s01, s10, s11));
      sx = f32x4.add(sx, f32x4.mul(d, v128.load(TX + t, 16)));
      sy = f32x4.add(sy, f32x4.mul(d, v128.load(TY + t, 16)));
      d = f32x4.sub(v128.load(TI + t, 32), mix(i32x4.extend_low_i16x8_u(ah), i32x4.extend_low_i16x8_u(a1h), i32x4.extend_low_i16x8_u(bh), i32x4.extend_low_i16x8_u(b1h), s00, s01, s10, s11));
      sx = f32x4.add(sx, f32x4.mul(d, v128.load(TX + t, 32)));
      sy = f32x4.add(sy, f32x4.mul(d, v128.load(TY + t, 32)));
    }
    bx = lanes(sx); by = lanes(sy);
  } else {
    const sx = memory.data(16, 16), sy = memory.data(16, 16);
    memory.fill(sx, 0, 16); memory.fill(sy, 0, 16);
    for (let r = 0; r < WIN; r++) {
      const a = base + <usize>(iy0 + r) * <usize>stride + <usize>ix0;
      const b = a + <usize>stride;
      for (let c = 0; c < WIN; c++) {
        const o = <usize>c;
        const j = w00 * <f32>load<u8>(a + o) + w01 * <f32>load<u8>(a + o + 1) + w10 * <f32>load<u8>(b + o) + w11 * <f32>load<u8>(b + o + 1);
        const t = <usize>(r * WIN + c) << 2;
        const d = load<f32>(TI + t) - j;
        const lane = <usize>(c & 3) << 2;
        store<f32>(sx + lane, load<f32>(sx + lane) + d * load<f32>(TX + t));
        store<f32>(sy + lane, load<f32>(sy + lane) + d * load<f32>(TY + t));
      }
    }
    bx = lanesAt(sx); by = lanesAt(sy);
  }
}

// Smallest eigenvalue of the structure tensor (gxx, gxy, gyy) per window pixel.
// @ts-ignore: decorator
@inline function smallestEigen(area: f32): f32 {
  return (gxx + gyy - Mathf.sqrt((gxx - gyy) * (gxx - gyy) + 4 * gxy * gxy)) * 0.5 / area;
}

// Structure tensor of the window whose template top-left sample is the whole pixel (tix, tiy): integer central
// differences (twice the gradient), so gxx = sum(dx^2) / 4 etc. are exact in f32 (sums stay below 2^24).
function tensorAtPixels(base: usize, stride: i32, tix: i32, tiy: i32): void {
  let sxx: i32 = 0, sxy: i32 = 0, syy: i32 = 0;
  if (ASC_FEATURE_SIMD) {
    const keep = i16x8(-1, -1, -1, -1, 0, 0, 0, 0); // window columns 8..11 of the second half; 12..15 are outside
    let axx = i32x4.splat(0), axy = i32x4.splat(0), ayy = i32x4.splat(0);
    for (let r = 0; r < WIN; r++) {
      const mid = base + <usize>(tiy + r + 1) * <usize>stride + <usize>tix;
      const left = v128.load(mid), right = v128.load(mid, 2);
      const up = v128.load(mid - <usize>stride, 1), down = v128.load(mid + <usize>stride, 1);
      const dxl = i16x8.sub(i16x8.extend_low_i8x16_u(right), i16x8.extend_low_i8x16_u(left));
      const dxh = v128.and(i16x8.sub(i16x8.extend_high_i8x16_u(right), i16x8.extend_high_i8x16_u(left)), keep);
      const dyl = i16x8.sub(i16x8.extend_low_i8x16_u(down), i16x8.extend_low_i8x16_u(up));
      const dyh = v128.and(i16x8.sub(i16x8.extend_high_i8x16_u(down), i16x8.extend_high_i8x16_u(up)), keep);
      axx = i32x4.add(axx, i32x4.add(i32x4.dot_i16x8_s(dxl, dxl), i32x4.dot_i16x8_s(dxh, dxh)));
      axy = i32x4.add(axy, i32x4.add(i32x4.dot_i16x8_s(dxl, dyl), i32x4.dot_i16x8_s(dxh, dyh)));
      ayy = i32x4.add(ayy, i32x4.add(i32x4.dot_i16x8_s(dyl, dyl), i32x4.dot_i16x8_s(dyh, dyh)));
    }
    sxx = i32x4.extract_lane(axx, 0) + i32x4.extract_lane(axx, 1) + i32x4.extract_lane(axx, 2) + i32x4.extract_lane(axx, 3);
    sxy = i32x4.extract_lane(axy, 0) + i32x4.extract_lane(axy, 1) + i32x4.extract_lane(axy, 2) + i32x4.extract_lane(axy, 3);
    syy = i32x4.extract_lane(ayy, 0) + i32x4.extract_lane(ayy, 1) + i32x4.extract_lane(ayy, 2) + i32x4.extract_lane(ayy, 3);
  } else {
    for (let r = 0; r < WIN; r++) {
      const mid = base + <usize>(tiy + r + 1) * <usize>stride + <usize>tix;
      for (let c = 0; c < WIN; c++) {
        const o = <usize>c;
        const dx = <i32>load<u8>(mid + o + 2) - <i32>load<u8>(mid + o);
        const dy = <i32>load<u8>(mid + <usize>stride + o + 1) - <i32>load<u8>(mid - <usize>stride + o + 1);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
      }
    }
  }
  gxx = <f32>sxx * 0.25;
  gxy = <f32>sxy * 0.25;
  gyy = <f32>syy * 0.25;
}

// A window whose reads (16 + 1 columns, rows + 1 rows from the top-left) stay inside the padded level.
// @ts-ignore: decorator
@inline function inside(ix0: i32, iy0: i32, rows: i32, w: i32, h: i32): bool {
  return ix0 >= -PAD && iy0 >= -PAD && ix0 + 17 <= w + PAD && iy0 + rows + 1 <= h + PAD;
}

/**
 * Tracks `n` points (f32 x, y pairs at `points`) from `prev` to `cur` (`levels` level records each).
 * Writes f32 (dx, dy) per point to `flows` and u8 status (1 tracked, 0 lost) to `status`; returns the tracked count.
 * `minEigen` is the smallest eigenvalue of the window's structure tensor per pixel (squared luma/px) below which a
 * point is too flat to track; iteration stops at `maxIter` or when the update is below `epsilon` px.
 */
export function trackPoints(prev: usize, cur: usize, levels: i32, points: usize, n: i32, flows: usize, status: usize, maxIter: i32, epsilon: f32, minEigen: f32): i32 {
  const area: f32 = <f32>(WIN * WIN);
  const eps2 = epsilon * epsilon;
  let tracked = 0;
  for (let i = 0; i < n; i++) {
    const x0 = load<f32>(points + (<usize>i << 3));
    const y0 = load<f32>(points + (<usize>i << 3), 4);
    let gx: f32 = 0, gy: f32 = 0;
    let ok = true;
    {
      // A point too flat to track fails at level 0 whatever the coarse levels say: check it first, so flat
      // background (a plain wall) costs one structure tensor instead of the whole pyramid's iterations.
      const w = load<i32>(prev, 4), h = load<i32>(prev, 8);
      const tx = x0 - <f32>(TPL - 1) * 0.5, ty = y0 - <f32>(TPL - 1) * 0.5;
      const tix = <i32>Mathf.floor(tx), tiy = <i32>Mathf.floor(ty);
      if (!inside(tix, tiy, TPL, w, h)) {
        ok = false;
      } else {
        if (<f32>tix == tx && <f32>tiy == ty) {
          // samples on whole pixels (points at pixel centre + 0.5, as backgroundPoints places them): integer
          // tensor, exactly the value the interpolating path below would compute
          tensorAtPixels(<usize>load<i32>(prev), load<i32>(prev, 12), tix, tiy);
        } else {
          interpolate(<usize>load<i32>(prev), load<i32>(prev, 12), tix, tiy, tx - <f32>tix, ty - <f32>tiy, TPL, PATCH);
          buildTemplate();
        }
        if (smallestEigen(area) < minEigen) ok = false;
      }
    }
    for (let level = levels - 1; level >= 0 && ok; level--) {
      const pd = prev + (<usize>level << 4);
      const cd = cur + (<usize>level << 4);
      const pBase = <usize>load<i32>(pd), w = load<i32>(pd, 4), h = load<i32>(pd, 8), pStride = load<i32>(pd, 12);
      const cBase = <usize>load<i32>(cd), cStride = load<i32>(cd, 12);
      // pixel centres: level l+1 pixel X covers level-l pixels 2X, 2X+1
      const scale = <f32>1 / <f32>(1 << level);
      const px = (x0 + 0.5) * scale - 0.5;
      const py = (y0 + 0.5) * scale - 0.5;
      const tx = px - <f32>(TPL - 1) * 0.5, ty = py - <f32>(TPL - 1) * 0.5;
      const tix = <i32>Mathf.floor(tx), tiy = <i32>Mathf.floor(ty);
      if (!inside(tix, tiy, TPL, w, h)) { ok = false; break; }
      interpolate(pBase, pStride, tix, tiy, tx - <f32>tix, ty - <f32>tiy, TPL, PATCH);
      buildTemplate();
      const det = gxx * gyy - gxy * gxy;
      if (level == 0 && smallestEigen(area) < minEigen) { ok = false; break; }
      let vx: f32 = 0, vy: f32 = 0;
      if (det > <f32>1e-6 * area * area) {
        const inv = <f32>1 / det;
        for (let it = 0; it < maxIter; it++) {
          const qx = px + gx + vx - <f32>(WIN - 1) * 0.5, qy = py + gy + vy - <f32>(WIN - 1) * 0.5;
          const qix = <i32>Mathf.floor(qx), qiy = <i32>Mathf.floor(qy);
          if (!inside(qix, qiy, WIN, w, h)) { ok = false; break; }
          mismatch(cBase, cStride, qix, qiy, qx - <f32>qix, qy - <f32>qiy);
          const dx = (gyy * bx - gxy * by) * inv;
          const dy = (gxx * by - gxy * bx) * inv;
          vx += dx;
          vy += dy;
          if (dx * dx + dy * dy < eps2) break;
        }
      }
      if (level > 0) { gx = 2 * (gx + vx); gy = 2 * (gy + vy); } else { gx += vx; gy += vy; }
    }
    store<f32>(flows + (<usize>i << 3), ok ? gx : NaN);
    store<f32>(flows + (<usize>i << 3), ok ? gy : NaN, 4);
    store<u8>(status + <usize>i, ok ? 1 : 0);
    if (ok) tracked++;
  }
  return tracked;
}

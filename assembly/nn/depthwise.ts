// Depthwise convolution (multiplier 1) and max pooling over NHWC float32, SIMD across channels (c % 4 == 0).
// 3x3 filters take a fast path where all 9 taps are inside the image: per group of 4 channels the 9 weight vectors
// stay in registers while the row of output pixels streams by. Border pixels and other filter sizes clip their taps.

/** Residual (channels below resC), PReLU, store 4 channels. rp 0 without residual. */
@inline function finish4(v: v128, yp: usize, rp: usize, c: i32, resC: i32, slope: usize): void {
  if (rp != 0 && c < resC) v = f32x4.add(v, v128.load(rp));
  if (slope != 0) {
    v = v128.bitselect(f32x4.mul(v, v128.load(slope + (<usize>c << 2))), v, f32x4.lt(v, f32x4.splat(0)));
  }
  v128.store(yp, v);
}

/** All channels of one output pixel, taps clipped to the image. */
function dwPixel(x: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, iy0: i32, ix0: i32, wt: usize, bias: usize,
  yp: usize, rp: usize, resC: i32, slope: usize): void {
  const kyLo = max(0, -iy0), kyHi = min(kh, h - iy0);
  const kxLo = max(0, -ix0), kxHi = min(kw, w - ix0);
  const cb = <usize>c << 2;
  for (let ch = 0; ch < c; ch += 4) {
    const co = <usize>ch << 2;
    let acc = v128.load(bias + co);
    for (let ky = kyLo; ky < kyHi; ky++) {
      for (let kx = kxLo; kx < kxHi; kx++) {
        const xv = v128.load(x + <usize>((iy0 + ky) * w + ix0 + kx) * cb + co);
        acc = f32x4.add(acc, f32x4.mul(xv, v128.load(wt + <usize>(ky * kw + kx) * cb + co)));
      }
    }
    finish4(acc, yp + co, rp != 0 ? rp + co : 0, ch, resC, slope);
  }
}

/** Residual and PReLU with the per-group values already in registers. */
@inline function store4(v: v128, yp: usize, rp: usize, sv: v128, hasSlope: bool): void {
  if (rp != 0) v = f32x4.add(v, v128.load(rp));
  if (hasSlope) v = f32x4.add(f32x4.pmax(v, f32x4.splat(0)), f32x4.mul(sv, f32x4.pmin(v, f32x4.splat(0))));
  v128.store(yp, v);
}

/**
 * 3x3 filter over output columns [ox0, ox0 + count) of one row whose 3 column taps are inside the image. xr: input
 * at (filter row 0, first column of ox0, channel 0); only filter rows [rLo, rHi) are inside the image. Per group of
 * 4 channels the weights stay in registers; stride 1 computes 2 outputs per step from 4 loaded columns. `left`:
 * also the output before ox0, whose first filter column is outside the image; `right`: also the one after the run,
 * whose last filter column is outside (the SAME padding borders).
 */
function dw3x3Run(xr: usize, w: i32, c: i32, stride: i32, count: i32, rLo: i32, rHi: i32, left: bool, right: bool,
  wt: usize, bias: usize, yp: usize, rp: usize, rps: usize, resC: i32, slope: usize): void {
  const cb = <usize>c << 2;
  const row = <usize>w * cb;
  const step = <usize>stride * cb;
  const hasSlope = slope != 0;
  for (let ch = 0; ch < c; ch += 4) {
    const co = <usize>ch << 2;
    const b = v128.load(bias + co);
    const sv = hasSlope ? v128.load(slope + co) : f32x4.splat(0);
    let p0 = xr + co;
    let yq = yp + co;
    let rq: usize = rp != 0 && ch < resC ? rp + co : 0;
    const rstep: usize = rq != 0 ? rps : 0;
    const wq = wt + co;
    let i = 0;
    if (rLo == 0 && rHi == 3) {
      const w00 = v128.load(wq), w01 = v128.load(wq + cb), w02 = v128.load(wq + 2 * cb);
      const w10 = v128.load(wq + 3 * cb), w11 = v128.load(wq + 4 * cb), w12 = v128.load(wq + 5 * cb);
      const w20 = v128.load(wq + 6 * cb), w21 = v128.load(wq + 7 * cb), w22 = v128.load(wq + 8 * cb);
      if (left) {
        const q0 = p0 - step + cb, q1 = q0 + row, q2 = q1 + row;
        let a = f32x4.add(b, f32x4.mul(v128.load(q0), w01));
        a = f32x4.add(a, f32x4.mul(v128.load(q0 + cb), w02));
        a = f32x4.add(a, f32x4.mul(v128.load(q1), w11));
        a = f32x4.add(a, f32x4.mul(v128.load(q1 + cb), w12));
        a = f32x4.add(a, f32x4.mul(v128.load(q2), w21));
        a = f32x4.add(a, f32x4.mul(v128.load(q2 + cb), w22));
        store4(a, yq - cb, rq != 0 ? rq - rstep : 0, sv, hasSlope);
      }
      if (stride == 1) {
        for (; i + 2 <= count; i += 2) {
          let q = p0;
          let x0 = v128.load(q), x1 = v128.load(q + cb), x2 = v128.load(q + 2 * cb), x3 = v128.load(q + 3 * cb);
          let a = f32x4.add(b, f32x4.mul(x0, w00)), e = f32x4.add(b, f32x4.mul(x1, w00));
          a = f32x4.add(a, f32x4.mul(x1, w01)); e = f32x4.add(e, f32x4.mul(x2, w01));
          a = f32x4.add(a, f32x4.mul(x2, w02)); e = f32x4.add(e, f32x4.mul(x3, w02));
          q += row;
          x0 = v128.load(q); x1 = v128.load(q + cb); x2 = v128.load(q + 2 * cb); x3 = v128.load(q + 3 * cb);
          a = f32x4.add(a, f32x4.mul(x0, w10)); e = f32x4.add(e, f32x4.mul(x1, w10));
          a = f32x4.add(a, f32x4.mul(x1, w11)); e = f32x4.add(e, f32x4.mul(x2, w11));
          a = f32x4.add(a, f32x4.mul(x2, w12)); e = f32x4.add(e, f32x4.mul(x3, w12));
          q += row;
          x0 = v128.load(q); x1 = v128.load(q + cb); x2 = v128.load(q + 2 * cb); x3 = v128.load(q + 3 * cb);
          a = f32x4.add(a, f32x4.mul(x0, w20)); e = f32x4.add(e, f32x4.mul(x1, w20));
          a = f32x4.add(a, f32x4.mul(x1, w21)); e = f32x4.add(e, f32x4.mul(x2, w21));
          a = f32x4.add(a, f32x4.mul(x2, w22)); e = f32x4.add(e, f32x4.mul(x3, w22));
          store4(a, yq, rq, sv, hasSlope);
          store4(e, yq + cb, rq != 0 ? rq + rstep : 0, sv, hasSlope);
          p0 += step << 1; yq += cb << 1; rq += rstep << 1;
        }
      }
      for (; i < count; i++) {
        const p1 = p0 + row, p2 = p1 + row;
        let a = f32x4.add(b, f32x4.mul(v128.load(p0), w00));
        let e = f32x4.mul(v128.load(p0 + cb), w01);
        a = f32x4.add(a, f32x4.mul(v128.load(p0 + 2 * cb), w02));
        e = f32x4.add(e, f32x4.mul(v128.load(p1), w10));
        a = f32x4.add(a, f32x4.mul(v128.load(p1 + cb), w11));
        e = f32x4.add(e, f32x4.mul(v128.load(p1 + 2 * cb), w12));
        a = f32x4.add(a, f32x4.mul(v128.load(p2), w20));
        e = f32x4.add(e, f32x4.mul(v128.load(p2 + cb), w21));
        a = f32x4.add(a, f32x4.mul(v128.load(p2 + 2 * cb), w22));
        store4(f32x4.add(a, e), yq, rq, sv, hasSlope);
        p0 += step; yq += cb; rq += rstep;
      }
      if (right) {
        const q1 = p0 + row, q2 = q1 + row;
        let a = f32x4.add(b, f32x4.mul(v128.load(p0), w00));
        a = f32x4.add(a, f32x4.mul(v128.load(p0 + cb), w01));
        a = f32x4.add(a, f32x4.mul(v128.load(q1), w10));
        a = f32x4.add(a, f32x4.mul(v128.load(q1 + cb), w11));
        a = f32x4.add(a, f32x4.mul(v128.load(q2), w20));
        a = f32x4.add(a, f32x4.mul(v128.load(q2 + cb), w21));
        store4(a, yq, rq, sv, hasSlope);
      }
    } else {
      // Top/bottom border rows: only the filter rows inside the image.
      if (left) dw3x3Clipped(p0 - step, row, cb, rLo, rHi, 1, wq, b, yq - cb, rq != 0 ? rq - rstep : 0, sv, hasSlope);
      for (; i < count; i++) {
        dw3x3Clipped(p0, row, cb, rLo, rHi, 0, wq, b, yq, rq, sv, hasSlope);
        p0 += step; yq += cb; rq += rstep;
      }
      if (right) dw3x3Clipped(p0, row, cb, rLo, rHi, -1, wq, b, yq, rq, sv, hasSlope);
    }
  }
}

/** One output pixel of a 3x3 filter, 4 channels, filter rows [rLo, rHi); clip 1 drops filter column 0, -1 column 2. */
@inline function dw3x3Clipped(p: usize, row: usize, cb: usize, rLo: i32, rHi: i32, clip: i32, wq: usize, b: v128,
  yq: usize, rq: usize, sv: v128, hasSlope: bool): void {
  let a = b;
  const cLo = clip > 0 ? 1 : 0, cHi = clip < 0 ? 2 : 3;
  for (let r = rLo; r < rHi; r++) {
    for (let col = cLo; col < cHi; col++) {
      a = f32x4.add(a, f32x4.mul(v128.load(p + <usize>r * row + <usize>col * cb), v128.load(wq + <usize>(3 * r + col) * cb)));
    }
  }
  store4(a, yq, rq, sv, hasSlope);
}

export function depthwise(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32, padT: i32, padL: i32,
  oh: i32, ow: i32, weights: usize, bias: usize, y: usize, res: usize, resC: i32, slope: usize): void {
  const cb = <usize>c << 2, rps = <usize>resC << 2;
  const fast = kh == 3 && kw == 3;
  const oxLo = (padL + stride - 1) / stride;
  const lim = w - kw + padL;
  const oxHi = lim < 0 ? 0 : max(oxLo, min(ow, lim / stride + 1));
  for (let b = 0; b < n; b++) {
    const xb = x + <usize>(b * h * w) * cb;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * stride - padT;
      const pixRow = (b * oh + oy) * ow;
      const yRow = y + <usize>pixRow * cb;
      const rRow = res != 0 ? res + <usize>pixRow * rps : 0;
      const rLo = max(0, -iy0), rHi = min(3, h - iy0);
      if (fast && oxHi > oxLo && rHi > rLo) {
        // The SAME borders (one filter column outside) go with the run; anything wider pixel by pixel.
        const left = oxLo >= 1 && (oxLo - 1) * stride - padL == -1;
        const right = oxHi < ow && oxHi * stride - padL + 2 == w;
        for (let ox = 0; ox < oxLo - i32(left); ox++) {
          dwPixel(xb, h, w, c, kh, kw, iy0, ox * stride - padL, weights, bias, yRow + <usize>ox * cb,
            rRow != 0 ? rRow + <usize>ox * rps : 0, resC, slope);
        }
        dw3x3Run(xb + <usize>(iy0 * w + oxLo * stride - padL) * cb, w, c, stride, oxHi - oxLo, rLo, rHi, left, right,
          weights, bias, yRow + <usize>oxLo * cb, rRow != 0 ? rRow + <usize>oxLo * rps : 0, rps, resC, slope);
        for (let ox = oxHi + i32(right); ox < ow; ox++) {
          dwPixel(xb, h, w, c, kh, kw, iy0, ox * stride - padL, weights, bias, yRow + <usize>ox * cb,
            rRow != 0 ? rRow + <usize>ox * rps : 0, resC, slope);
        }
      } else {
        for (let ox = 0; ox < ow; ox++) {
          dwPixel(xb, h, w, c, kh, kw, iy0, ox * stride - padL, weights, bias, yRow + <usize>ox * cb,
            rRow != 0 ? rRow + <usize>ox * rps : 0, resC, slope);
        }
      }
    }
  }
}

/** Max pooling k x k; taps outside the image are skipped (never win). */
export function maxpool(x: usize, n: i32, h: i32, w: i32, c: i32, k: i32, stride: i32, padT: i32, padL: i32, oh: i32, ow: i32, y: usize): void {
  const cb = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    const xb = x + <usize>(b * h * w) * cb;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * stride - padT;
      const kyLo = max(0, -iy0), kyHi = min(k, h - iy0);
      const rowIn = kyLo == 0 && kyHi == k;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * stride - padL;
        const kxLo = max(0, -ix0), kxHi = min(k, w - ix0);
        const yp = y + <usize>((b * oh + oy) * ow + ox) * cb;
        if (k == 2 && rowIn && kxLo == 0 && kxHi == 2) {
          // 2x2 window inside the image (the models' pooling): four loads, three max.
          const p0 = xb + <usize>(iy0 * w + ix0) * cb, p1 = p0 + <usize>w * cb;
          for (let co: usize = 0; co < cb; co += 16) {
            const top = f32x4.max(v128.load(p0 + co), v128.load(p0 + cb + co));
            const bottom = f32x4.max(v128.load(p1 + co), v128.load(p1 + cb + co));
            v128.store(yp + co, f32x4.max(top, bottom));
          }
          continue;
        }
        for (let ch = 0; ch < c; ch += 4) {
          const co = <usize>ch << 2;
          let m = f32x4.splat(-Infinity);
          for (let ky = kyLo; ky < kyHi; ky++) {
            for (let kx = kxLo; kx < kxHi; kx++) {
              m = f32x4.max(m, v128.load(xb + <usize>((iy0 + ky) * w + ix0 + kx) * cb + co));
            }
          }
          v128.store(yp + co, m);
        }
      }
    }
  }
}

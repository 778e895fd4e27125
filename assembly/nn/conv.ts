// Convolution over NHWC float32 with weights packed in panels of 8 out channels ([panel][kh][kw][cin][8], see
// src/nn/abi.ts). One micro-kernel does all shapes: a tile of 4 output pixels x 8 channels kept in 8 f32x4
// accumulators; per input value one splat of x and two panel loads feed 8 multiply-adds. For one filter row the
// taps (kw columns x cin) are contiguous in both x and the panel, so the inner loop is one flat run of kw*cin.
// 1x1 stride-1 convolutions run the tiles over the flat pixel list (a GEMM); other shapes tile along output rows
// where every tap is inside the image and fall back to single-pixel tiles with clipped taps at the borders.

/** Residual (channels below resC), PReLU (slopes s0, s1 already loaded), then store 8 channels (4 when the last
 * panel is half used). rp 0 without residual. */
@inline function finish(v0: v128, v1: v128, yp: usize, rp: usize, res0: bool, res1: bool, hasSlope: bool, s0: v128, s1: v128, store1: bool): void {
  if (res0) v0 = f32x4.add(v0, v128.load(rp));
  if (res1) v1 = f32x4.add(v1, v128.load(rp, 16));
  if (hasSlope) {
    // max(v, 0) + slope * min(v, 0): one op fewer than multiply, compare and select.
    const z = f32x4.splat(0);
    v0 = f32x4.add(f32x4.pmax(v0, z), f32x4.mul(s0, f32x4.pmin(v0, z)));
    v1 = f32x4.add(f32x4.pmax(v1, z), f32x4.mul(s1, f32x4.pmin(v1, z)));
  }
  v128.store(yp, v0);
  if (store1) v128.store(yp, v1, 16);
}

/**
 * Four output pixels x one panel. xp: first tap of pixel 0; ps: bytes between the 4 pixels' inputs; rows filter
 * rows of K contiguous floats, rowBytes apart in x and wRowBytes apart in the panel (wp). yp/rp: pixel 0's output and
 * residual at channel c0 (rp 0 without residual), yps/rps their pixel strides.
 */
@inline function tile4(xp: usize, ps: usize, rowBytes: usize, rows: i32, K: i32, wp: usize, wRowBytes: usize, bias: usize, c0: i32,
  cout: i32, yp: usize, yps: usize, rp: usize, rps: usize, resC: i32, slope: usize): void {
  const bp = bias + (<usize>c0 << 2);
  const b0 = v128.load(bp), b1 = v128.load(bp, 16);
  let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  const ps2 = ps << 1, ps3 = ps2 + ps;
  for (let r = 0; r < rows; r++) {
    let xq = xp + <usize>r * rowBytes;
    let wq = wp + <usize>r * wRowBytes;
    const end = xq + (<usize>K << 2);
    while (xq < end) {
      const w0 = v128.load(wq), w1 = v128.load(wq, 16);
      let s = v128.load32_splat(xq);
      a00 = f32x4.add(a00, f32x4.mul(s, w0)); a01 = f32x4.add(a01, f32x4.mul(s, w1));
      s = v128.load32_splat(xq + ps);
      a10 = f32x4.add(a10, f32x4.mul(s, w0)); a11 = f32x4.add(a11, f32x4.mul(s, w1));
      s = v128.load32_splat(xq + ps2);
      a20 = f32x4.add(a20, f32x4.mul(s, w0)); a21 = f32x4.add(a21, f32x4.mul(s, w1));
      s = v128.load32_splat(xq + ps3);
      a30 = f32x4.add(a30, f32x4.mul(s, w0)); a31 = f32x4.add(a31, f32x4.mul(s, w1));
      xq += 4; wq += 32;
    }
  }
  const res0 = rp != 0 && c0 < resC, res1 = rp != 0 && c0 + 4 < resC, store1 = c0 + 4 < cout;
  const hasSlope = slope != 0;
  const sp = slope + (<usize>c0 << 2);
  const s0 = hasSlope ? v128.load(sp) : b0, s1 = hasSlope ? v128.load(sp, 16) : b1;
  finish(a00, a01, yp, rp, res0, res1, hasSlope, s0, s1, store1);
  finish(a10, a11, yp + yps, rp + rps, res0, res1, hasSlope, s0, s1, store1);
  finish(a20, a21, yp + (yps << 1), rp + (rps << 1), res0, res1, hasSlope, s0, s1, store1);
  finish(a30, a31, yp + yps * 3, rp + rps * 3, res0, res1, hasSlope, s0, s1, store1);
}

/** One output pixel x one panel (tails, borders with clipped taps). Arguments as tile4. */
function tile1(xp: usize, rowBytes: usize, rows: i32, K: i32, wp: usize, wRowBytes: usize, bias: usize, c0: i32,
  cout: i32, yp: usize, rp: usize, resC: i32, slope: usize): void {
  const bp = bias + (<usize>c0 << 2);
  let a0 = v128.load(bp), a1 = v128.load(bp, 16);
  for (let r = 0; r < rows; r++) {
    let xq = xp + <usize>r * rowBytes;
    let wq = wp + <usize>r * wRowBytes;
    const end = xq + (<usize>K << 2);
    while (xq < end) {
      const s = v128.load32_splat(xq);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wq)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wq, 16)));
      xq += 4; wq += 32;
    }
  }
  const hasSlope = slope != 0;
  const sp = slope + (<usize>c0 << 2);
  finish(a0, a1, yp, rp, rp != 0 && c0 < resC, rp != 0 && c0 + 4 < resC, hasSlope,
    hasSlope ? v128.load(sp) : a0, hasSlope ? v128.load(sp, 16) : a1, c0 + 4 < cout);
}

export function conv(x: usize, n: i32, h: i32, w: i32, cin: i32, kh: i32, kw: i32, stride: i32, padT: i32, padL: i32,
  oh: i32, ow: i32, wp: usize, bias: usize, cout: i32, y: usize, res: usize, resC: i32, slope: usize): void {
  const panels = (cout + 7) >> 3;
  const panelBytes = <usize>(kh * kw * cin) << 5;
  const yps = <usize>cout << 2, rps = <usize>resC << 2, xps = <usize>cin << 2;

  if (kh == 1 && kw == 1 && stride == 1 && padT == 0 && padL == 0 && oh == h && ow == w) {
    // A GEMM over the flat pixel list: tiles may span image rows.
    const P = n * h * w;
    let p = 0;
    for (; p + 4 <= P; p += 4) {
      const xp = x + <usize>p * xps, yp = y + <usize>p * yps, rp = res != 0 ? res + <usize>p * rps : 0;
      for (let k = 0; k < panels; k++) {
        tile4(xp, xps, 0, 1, cin, wp + <usize>k * panelBytes, 0, bias, k << 3, cout, yp + (<usize>k << 5), yps,
          rp != 0 ? rp + (<usize>k << 5) : 0, rps, resC, slope);
      }
    }
    for (; p < P; p++) {
      const xp = x + <usize>p * xps, yp = y + <usize>p * yps, rp = res != 0 ? res + <usize>p * rps : 0;
      for (let k = 0; k < panels; k++) {
        tile1(xp, 0, 1, cin, wp + <usize>k * panelBytes, 0, bias, k << 3, cout, yp + (<usize>k << 5),
          rp != 0 ? rp + (<usize>k << 5) : 0, resC, slope);
      }
    }
    return;
  }

  const rowBytes = <usize>w * xps;
  const wRowBytes = <usize>(kw * cin) << 5;
  const ps = <usize>stride * xps;
  // Output columns whose kw taps all lie inside the image: ox*stride - padL >= 0 and ox*stride - padL + kw <= w.
  const oxLo = (padL + stride - 1) / stride;
  const lim = w - kw + padL;
  const oxHi = lim < 0 ? 0 : min(ow, lim / stride + 1);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * stride - padT;
      const kyLo = max(0, -iy0), kyHi = min(kh, h - iy0);
      const rows = max(0, kyHi - kyLo);
      const xRow = x + <usize>((b * h + iy0 + kyLo) * w) * xps;
      const wRow = wp + (<usize>(kyLo * kw * cin) << 5);
      const pixRow = (b * oh + oy) * ow;
      let ox = 0;
      while (ox < ow) {
        const pix = pixRow + ox;
        const yp = y + <usize>pix * yps, rp = res != 0 ? res + <usize>pix * rps : 0;
        const ix0 = ox * stride - padL;
        if (ox >= oxLo && ox + 4 <= oxHi) {
          const xp = xRow + <usize>ix0 * xps;
          for (let k = 0; k < panels; k++) {
            tile4(xp, ps, rowBytes, rows, kw * cin, wRow + <usize>k * panelBytes, wRowBytes, bias, k << 3, cout,
              yp + (<usize>k << 5), yps, rp != 0 ? rp + (<usize>k << 5) : 0, rps, resC, slope);
          }
          ox += 4;
        } else {
          const kxLo = max(0, -ix0), kxHi = min(kw, w - ix0);
          const K = max(0, kxHi - kxLo) * cin;
          const xp = xRow + <usize>(ix0 + kxLo) * xps;
          const wk = wRow + (<usize>(kxLo * cin) << 5);
          for (let k = 0; k < panels; k++) {
            tile1(xp, rowBytes, rows, K, wk + <usize>k * panelBytes, wRowBytes, bias, k << 3, cout,
              yp + (<usize>k << 5), rp != 0 ? rp + (<usize>k << 5) : 0, resC, slope);
          }
          ox++;
        }
      }
    }
  }
}

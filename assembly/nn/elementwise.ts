// Small kernels around the convolutions: add, PReLU, channel padding, the fully connected heads and sigmoid.

export function add(a: usize, b: usize, y: usize, count: i32): void {
  const end = a + (<usize>count << 2);
  while (a < end) {
    v128.store(y, f32x4.add(v128.load(a), v128.load(b)));
    a += 16; b += 16; y += 16;
  }
}

export function prelu(x: usize, slope: usize, pixels: i32, c: i32, y: usize): void {
  const z = f32x4.splat(0);
  const cb = <usize>c << 2;
  for (let p = 0; p < pixels; p++) {
    for (let co: usize = 0; co < cb; co += 16) {
      const v = v128.load(x + co);
      v128.store(y + co, v128.bitselect(f32x4.mul(v, v128.load(slope + co)), v, f32x4.lt(v, z)));
    }
    x += cb; y += cb;
  }
}

/** Backwards, pixel by pixel, so y may start where x starts (widening in place). */
export function padChannels(x: usize, pixels: i32, cin: i32, cout: i32, y: usize): void {
  const ib = <usize>cin << 2, ob = <usize>cout << 2;
  const vec = (cin & 3) == 0;
  for (let p = pixels - 1; p >= 0; p--) {
    const xp = x + <usize>p * ib, yp = y + <usize>p * ob;
    for (let o = ob; o > ib; o -= 4) store<f32>(yp + o - 4, 0);
    if (vec) {
      for (let o = ib; o > 0; o -= 16) v128.store(yp + o - 16, v128.load(xp + o - 16));
    } else {
      for (let o = ib; o > 0; o -= 4) store<f32>(yp + o - 4, load<f32>(xp + o - 4));
    }
  }
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** y[m][j] = bias[j] + x[m] . wt[j]; four weight rows at a time share each load of x. */
export function gemm(x: usize, m: i32, k: i32, wt: usize, bias: usize, cols: i32, y: usize): void {
  const kb = <usize>k << 2;
  const kv = <usize>(k & ~3) << 2;
  for (let r = 0; r < m; r++) {
    const xr = x + <usize>r * kb, yr = y + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const w0 = wt + <usize>j * kb, w1 = w0 + kb, w2 = w1 + kb, w3 = w2 + kb;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      for (let o: usize = 0; o < kv; o += 16) {
        const xv = v128.load(xr + o);
        a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(w0 + o)));
        a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(w1 + o)));
        a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(w2 + o)));
        a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(w3 + o)));
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
      for (let o = kv; o < kb; o += 4) {
        const xs = load<f32>(xr + o);
        s0 += xs * load<f32>(w0 + o); s1 += xs * load<f32>(w1 + o);
        s2 += xs * load<f32>(w2 + o); s3 += xs * load<f32>(w3 + o);
      }
      const bp = bias + (<usize>j << 2), yp = yr + (<usize>j << 2);
      store<f32>(yp, s0 + load<f32>(bp)); store<f32>(yp, s1 + load<f32>(bp, 4), 4);
      store<f32>(yp, s2 + load<f32>(bp, 8), 8); store<f32>(yp, s3 + load<f32>(bp, 12), 12);
    }
    for (; j < cols; j++) {
      const w0 = wt + <usize>j * kb;
      let a0 = f32x4.splat(0);
      for (let o: usize = 0; o < kv; o += 16) a0 = f32x4.add(a0, f32x4.mul(v128.load(xr + o), v128.load(w0 + o)));
      let s0 = hsum(a0);
      for (let o = kv; o < kb; o += 4) s0 += load<f32>(xr + o) * load<f32>(w0 + o);
      store<f32>(yr + (<usize>j << 2), s0 + load<f32>(bias + (<usize>j << 2)));
    }
  }
}

export function sigmoid(x: usize, count: i32, y: usize): void {
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, 1 / (1 + Mathf.exp(-load<f32>(x + o))));
  }
}

// Plain-JS implementation of the kernel contract (abi.ts): straightforward loops over a Float32Array view of the
// shared memory. It is the oracle for the wasm kernels' tests, the fallback for first end-to-end runs and the
// "plain JS" baseline in benchmarks. Clarity over speed.
import { PANEL, type NnKernels } from './abi.js';

export class ReferenceKernels implements NnKernels {
  private view: Float32Array;

  constructor(private readonly memory: ArrayBuffer | WebAssembly.Memory) {
    this.view = new Float32Array(this.buffer());
  }

  private buffer(): ArrayBuffer {
    return this.memory instanceof ArrayBuffer ? this.memory : (this.memory.buffer as ArrayBuffer);
  }

  /** The float view, re-made when a WebAssembly.Memory grew (growing detaches the old buffer). */
  private f32(): Float32Array {
    const buf = this.buffer();
    if (this.view.buffer !== buf) this.view = new Float32Array(buf);
    return this.view;
  }

  private epilogue(m: Float32Array, v: number, yi: number, c: number, resBase: number, res: number, resC: number, slope: number): void {
    if (res !== 0 && c < resC) v += m[(res >> 2) + resBase + c];
    if (slope !== 0 && v < 0) v *= m[(slope >> 2) + c];
    m[yi] = v;
  }

  conv(
    x: number,
    n: number,
    h: number,
    w: number,
    cin: number,
    kh: number,
    kw: number,
    stride: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
    wp: number,
    bias: number,
    cout: number,
    y: number,
    res: number,
    resC: number,
    slope: number,
  ): void {
    const m = this.f32();
    const xb = x >> 2,
      wb = wp >> 2,
      bb = bias >> 2,
      yb = y >> 2;
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const pix = (b * oh + oy) * ow + ox;
          for (let co = 0; co < cout; co++) {
            const panel = co >> 3,
              lane = co & 7;
            let acc = m[bb + co];
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * stride - padT + ky;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * stride - padL + kx;
                if (ix < 0 || ix >= w) continue;
                const xi = xb + ((b * h + iy) * w + ix) * cin;
                const wi = wb + ((panel * kh + ky) * kw + kx) * cin * PANEL + lane;
                for (let ci = 0; ci < cin; ci++) acc += m[xi + ci] * m[wi + ci * PANEL];
              }
            }
            this.epilogue(m, acc, yb + pix * cout + co, co, pix * resC, res, resC, slope);
          }
        }
      }
    }
  }

  depthwise(
    x: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    stride: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
    weights: number,
    bias: number,
    y: number,
    res: number,
    resC: number,
    slope: number,
  ): void {
    const m = this.f32();
    const xb = x >> 2,
      wb = weights >> 2,
      bb = bias >> 2,
      yb = y >> 2;
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const pix = (b * oh + oy) * ow + ox;
          for (let ch = 0; ch < c; ch++) {
            let acc = m[bb + ch];
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * stride - padT + ky;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * stride - padL + kx;
                if (ix < 0 || ix >= w) continue;
                acc += m[xb + ((b * h + iy) * w + ix) * c + ch] * m[wb + (ky * kw + kx) * c + ch];
              }
            }
            this.epilogue(m, acc, yb + pix * c + ch, ch, pix * resC, res, resC, slope);
          }
        }
      }
    }
  }

  maxpool(x: number, n: number, h: number, w: number, c: number, k: number, stride: number, padT: number, padL: number, oh: number, ow: number, y: number): void {
    const m = this.f32();
    const xb = x >> 2,
      yb = y >> 2;
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ch = 0; ch < c; ch++) {
            let best = -Infinity;
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * stride - padT + ky;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * stride - padL + kx;
                if (ix < 0 || ix >= w) continue;
                best = Math.max(best, m[xb + ((b * h + iy) * w + ix) * c + ch]);
              }
            }
            m[yb + ((b * oh + oy) * ow + ox) * c + ch] = best;
          }
        }
      }
    }
  }

  add(a: number, b: number, y: number, count: number): void {
    const m = this.f32();
    const ab = a >> 2,
      bb = b >> 2,
      yb = y >> 2;
    for (let i = 0; i < count; i++) m[yb + i] = m[ab + i] + m[bb + i];
  }

  prelu(x: number, slope: number, pixels: number, c: number, y: number): void {
    const m = this.f32();
    const xb = x >> 2,
      sb = slope >> 2,
      yb = y >> 2;
    for (let p = 0; p < pixels; p++) {
      for (let ch = 0; ch < c; ch++) {
        const v = m[xb + p * c + ch];
        m[yb + p * c + ch] = v < 0 ? v * m[sb + ch] : v;
      }
    }
  }

  padChannels(x: number, pixels: number, cin: number, cout: number, y: number): void {
    const m = this.f32();
    const xb = x >> 2,
      yb = y >> 2;
    // Backwards, so that y may overlap x at the same start (in-place widening).
    for (let p = pixels - 1; p >= 0; p--) {
      for (let ch = cout - 1; ch >= 0; ch--) m[yb + p * cout + ch] = ch < cin ? m[xb + p * cin + ch] : 0;
    }
  }

  gemm(x: number, rows: number, k: number, wt: number, bias: number, cols: number, y: number): void {
    const m = this.f32();
    const xb = x >> 2,
      wb = wt >> 2,
      bb = bias >> 2,
      yb = y >> 2;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        let acc = m[bb + j];
        for (let i = 0; i < k; i++) acc += m[xb + r * k + i] * m[wb + j * k + i];
        m[yb + r * cols + j] = acc;
      }
    }
  }

  sigmoid(x: number, count: number, y: number): void {
    const m = this.f32();
    const xb = x >> 2,
      yb = y >> 2;
    for (let i = 0; i < count; i++) m[yb + i] = 1 / (1 + Math.exp(-m[xb + i]));
  }
}

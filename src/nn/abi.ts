// The contract between the landmark runtime (src/nn/) and its kernels: the AssemblyScript build
// (assembly/nn/, build/nn.simd.wasm) and the plain-JS reference (src/nn/reference.ts) implement the same calls
// over one linear memory. Pointers are byte offsets into that memory, 16-byte aligned; tensors are float32 NHWC
// (batch, rows, columns, channels), channels innermost and contiguous.

/**
 * Packed weights of a convolution: out channels in panels of 8, `[ceil(cout/8)][kh][kw][cin][8]`, the last panel
 * zero-padded. Bias, PReLU slopes: `cout` floats rounded up to a multiple of 8 (zero-padded).
 */
export const PANEL = 8;

export interface NnKernels {
  /**
   * y = prelu(conv(x, w) + bias + res). x: [n, h, w, cin]; y: [n, oh, ow, cout], cout % 4 == 0. Zero padding
   * (padT rows above, padL columns left; bottom/right padding is implied by oh/ow). `res` 0 or a tensor
   * [n, oh, ow, resC] (resC <= cout, resC % 4 == 0) added to the first resC channels: a residual whose channels were
   * zero-padded. `slope` 0 (no activation) or per-channel PReLU slopes: v < 0 ? v * slope[c] : v.
   * 1x1 stride-1 convolutions are a GEMM over n*h*w pixels and must be fast; any kh, kw, stride must be correct.
   */
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
  ): void;

  /**
   * Depthwise convolution (one filter per channel, multiplier 1), same padding and epilogue rules as conv.
   * weights: [kh][kw][c]; bias, slope: c floats (rounded up to 8). c % 4 == 0.
   */
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
  ): void;

  /** Max pooling k x k, stride `stride`, padding ignored (padded cells never win). c % 4 == 0. */
  maxpool(x: number, n: number, h: number, w: number, c: number, k: number, stride: number, padT: number, padL: number, oh: number, ow: number, y: number): void;

  /** y[i] = a[i] + b[i] over `count` floats (count % 4 == 0). Used when an Add could not be fused into a conv. */
  add(a: number, b: number, y: number, count: number): void;

  /** y = prelu(x) over `pixels` x `c` floats, per-channel slopes. c % 4 == 0. y may equal x. */
  prelu(x: number, slope: number, pixels: number, c: number, y: number): void;

  /** Channel zero-padding: x [pixels, cin] -> y [pixels, cout], cout >= cin. */
  padChannels(x: number, pixels: number, cin: number, cout: number, y: number): void;

  /** Fully connected: y[m][j] = bias[j] + sum_k x[m][k] * wt[j][k]. wt row-major [cols][k] (ONNX Gemm, transB = 1). */
  gemm(x: number, m: number, k: number, wt: number, bias: number, cols: number, y: number): void;

  /** y = 1 / (1 + exp(-x)) over `count` floats. */
  sigmoid(x: number, count: number, y: number): void;
}

/** Round up to a multiple of 8 floats (panels, padded vectors). */
export const roundUp8 = (v: number): number => (v + 7) & ~7;

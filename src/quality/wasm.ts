// Loading the kernel module: SIMD detection and instantiation. No fs, no fetch: works in Node and in a module worker.
import { LivecheckError } from '../errors.js';

/** The raw exports of build/kernels.{simd,scalar}.wasm (pointers and sizes are plain numbers). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  simd(): number;
  rgbaToLuma(src: number, width: number, height: number, dst: number, dstStride: number): void;
  lumaHistograms(src: number, width: number, height: number, dst: number, dstStride: number, fx: number, fy: number, fw: number, fh: number, regionOut: number, restOut: number): void;
  pyrDown(src: number, srcStride: number, width: number, height: number, dst: number, dstStride: number): void;
  padEdges(base: number, stride: number, width: number, height: number, pad: number): void;
  histogram(src: number, stride: number, x: number, y: number, w: number, h: number, out: number, accumulate: number): void;
  histogramStats(hist: number, darkLevel: number, brightLevel: number, out: number): void;
  gridSums(src: number, stride: number, x: number, y: number, w: number, h: number, cols: number, rows: number, out: number): void;
  rgbSums(src: number, width: number, x: number, y: number, w: number, h: number, out: number): void;
  laplacianSums(src: number, stride: number, fw: number, fh: number, x: number, y: number, w: number, h: number, out: number): void;
  trackPoints(prev: number, cur: number, levels: number, points: number, n: number, flows: number, status: number, maxIter: number, epsilon: number, minEigen: number): number;
  summarizeMotion(points: number, flows: number, status: number, n: number, inlierFloor: number, movingPx: number, out: number): void;
  faceCrop(src: number, stride: number, x: number, y: number, w: number, h: number, dst: number): void;
  cropSpectrum(crop: number, work: number, power: number): void;
  spectrumBands(power: number, rLo: number, rHi: number, out: number): void;
  cropRows(crop: number, rows: number): void;
  edgeProfiles(src: number, stride: number, x: number, y: number, w: number, h: number, cols: number, rows: number): void;
  colourStats(src: number, width: number, x: number, y: number, w: number, h: number, whiteLevel: number, out: number): void;
  CROP: WebAssembly.Global;
  PAD: WebAssembly.Global;
  MAX_POINTS: WebAssembly.Global;
}

// The smallest module that uses a v128 instruction: (func (result v128) v128.const i32x4 0 0 0 0).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);

let simdCache: boolean | undefined;

/** Whether this engine runs WebAssembly SIMD (fixed-width 128-bit), by validating a tiny SIMD module. */
export function simdSupported(): boolean {
  if (simdCache === undefined) {
    try {
      simdCache = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simdCache = false;
    }
  }
  return simdCache;
}

/** Instantiates one kernel build from its bytes or a compiled module. */
export async function instantiateKernels(wasm: BufferSource | WebAssembly.Module): Promise<KernelExports> {
  if (typeof WebAssembly !== 'object') throw new LivecheckError('wasm-unavailable', 'WebAssembly is not available in this environment');
  const imports = {
    env: {
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new LivecheckError('wasm-unavailable', `kernel aborted at ${line}:${col}`);
      },
    },
  };
  try {
    const instance = wasm instanceof WebAssembly.Module ? await WebAssembly.instantiate(wasm, imports) : (await WebAssembly.instantiate(wasm, imports)).instance;
    return instance.exports as unknown as KernelExports;
  } catch (cause) {
    throw new LivecheckError('wasm-unavailable', `the kernel module failed to instantiate: ${String(cause)}`, undefined, { cause });
  }
}

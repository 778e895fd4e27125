// livecheck landmark runtime kernels (wasm SIMD only): NHWC float32, the calls of src/nn/abi.ts. Every kernel
// works on caller-owned linear memory (byte offsets); nothing here allocates. The host grows `memory` as it needs.
export { conv } from './conv';
export { depthwise, maxpool } from './depthwise';
export { add, prelu, padChannels, gemm, sigmoid } from './elementwise';

/** First free byte after static data, 16-aligned: the host lays out tensors from here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~<usize>15;
}

// livecheck quality kernels. Built twice from this source: scalar and SIMD (`ASC_FEATURE_SIMD`), see asconfig.json.
// Every kernel works on caller-owned linear memory (pointers and sizes); nothing here allocates.
export { rgbaToLuma, lumaHistograms, pyrDown, padEdges } from './luma';
export { histogram, histogramStats } from './histogram';
export { gridSums, rgbSums } from './uniformity';
export { laplacianSums } from './laplacian';
export { trackPoints, PAD } from './flow';
export { summarizeMotion, MAX_POINTS } from './motion';
export { faceCrop, cropSpectrum, spectrumBands, cropRows, edgeProfiles, colourStats, CROP } from './passive';

/** First free byte after the kernels' static data; the wrapper lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

/** Whether this build uses SIMD (lets the wrapper check it got the module it asked for). */
export function simd(): bool {
  return ASC_FEATURE_SIMD;
}

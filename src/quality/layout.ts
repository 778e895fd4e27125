// Where the quality kernels leave their results: the f64 slot of each value in the output buffer a kernel is given.
// One contract for both sides, like src/nn/abi.ts for the landmark kernels: assembly/*.ts write at these slots
// (byte offset = slot * 8) and src/quality/index.ts reads them. Plain `export const NAME = <integer>;` only, no
// TypeScript-only syntax: AssemblyScript compiles this same file (assembly/ imports it by a relative path) and folds
// the constants, so the wasm builds are the same bytes as with literal offsets.

// histogramStats(hist, darkLevel, brightLevel, out): luma statistics of a 256-bin histogram.
/** Pixels counted. */
export const STATS_COUNT = 0;
/** Mean luma. */
export const STATS_MEAN = 1;
/** Luma standard deviation (NaN for an empty histogram, as the four below). */
export const STATS_STD = 2;
/** Fraction of pixels at or below darkLevel. */
export const STATS_DARK = 3;
/** Fraction of pixels at or above brightLevel. */
export const STATS_BRIGHT = 4;
/** Shannon entropy, bits (0..8). */
export const STATS_ENTROPY = 5;
/** f64 slots the wrapper reserves for histogramStats' out. */
export const STATS_SLOTS = 8;

// rgbSums(src, width, x, y, w, h, out) and laplacianSums(..., out) share one buffer of SUMS_SLOTS.
/** rgbSums: sum of R over the region. */
export const SUMS_R = 0;
/** rgbSums: sum of G. */
export const SUMS_G = 1;
/** rgbSums: sum of B. */
export const SUMS_B = 2;
/** laplacianSums: sum of the Laplacian over the region. */
export const LAPLACIAN_SUM = 0;
/** laplacianSums: sum of its squares. */
export const LAPLACIAN_SUM_SQ = 1;
/** f64 slots the wrapper reserves for rgbSums' and laplacianSums' out. */
export const SUMS_SLOTS = 4;

// summarizeMotion(points, flows, status, n, inlierFloor, movingPx, out): background motion between two frames.
/** Median x flow, px. */
export const MOTION_GLOBAL_DX = 0;
/** Median y flow, px. */
export const MOTION_GLOBAL_DY = 1;
/** Median residual against the fitted camera model, px. */
export const MOTION_RESIDUAL_MEDIAN = 2;
/** 90th percentile of the residuals, px. */
export const MOTION_RESIDUAL_P90 = 3;
/** Tracked points over the points given. */
export const MOTION_TRACKED_FRACTION = 4;
/** The fitted similarity x' = a x - b y + tx, y' = b x + a y + ty: a. */
export const MOTION_MODEL_A = 5;
/** ... b. */
export const MOTION_MODEL_B = 6;
/** ... tx. */
export const MOTION_MODEL_TX = 7;
/** ... ty. */
export const MOTION_MODEL_TY = 8;
/** Moving points (residual above movingPx) over the tracked points. */
export const MOTION_MOVING_FRACTION = 9;
/** Moving points, a count. */
export const MOTION_MOVING_POINTS = 10;
/** f64 slots the wrapper reserves for summarizeMotion's out. */
export const MOTION_SLOTS = 16;

// spectrumBands(power, rLo, rHi, out) and colourStats(..., out) share one buffer of PASSIVE_SLOTS.
/** spectrumBands: total power in the band [rLo, rHi]. */
export const BANDS_POWER = 0;
/** spectrumBands: the band's largest bin. */
export const BANDS_PEAK = 1;
/** spectrumBands: the bins counted in the band. */
export const BANDS_COUNT = 2;
/** spectrumBands: total power below rLo (DC excluded). */
export const BANDS_LOW = 3;
/** colourStats: pixels counted. */
export const COLOUR_PIXELS = 0;
/** colourStats: near-white pixels. */
export const COLOUR_WHITE = 1;
/** colourStats: clipped pixels. */
export const COLOUR_CLIPPED = 2;
/** colourStats: sum of chroma. */
export const COLOUR_CHROMA_SUM = 3;
/** colourStats: sum of squared chroma. */
export const COLOUR_CHROMA_SUM_SQ = 4;
/** colourStats: saturated pixels. */
export const COLOUR_SATURATED = 5;
/** f64 slots the wrapper reserves for spectrumBands' and colourStats' out. */
export const PASSIVE_SLOTS = 8;

// Plain-data shapes that cross module boundaries (kernels -> face -> geometry -> challenge -> decision -> evidence).
// Everything here is structured-cloneable: no classes, no functions, no wasm handles.

/** An axis-aligned rectangle in image pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A 3D point: x, y in image pixels; z in the same pixel scale, relative depth (smaller = closer to camera). */
export type Point3 = [number, number, number];

/** One face found by the face pipeline (src/face). */
export interface FaceDetection {
  box: Box;
  /** Detector or mesh face-presence probability in [0,1]. */
  score: number;
  /** 468 FaceMesh points in image pixels, FaceMesh index order, then iris points appended (5 per eye, right eye first) when iris ran. */
  landmarks: Point3[];
  /** In-plane rotation used for the crop (radians, eye-line angle). */
  rotation: number;
  /** Whether this face came from tracking (previous landmarks) rather than a fresh detector run. */
  tracked: boolean;
}

/** Per-frame image quality from the kernels (src/quality). NaN where a value could not be computed. */
export interface QualityMetrics {
  /** Shannon entropy (bits) of the whole-frame luma histogram, 0..8. */
  entropy: number;
  /** Entropy of the face region's luma, 0..8 (NaN without a face box). */
  faceEntropy: number;
  /** Mean luma 0..255 of the face region (whole frame without a face box). */
  faceLuma: number;
  /** Mean luma 0..255 of the whole frame. */
  frameLuma: number;
  /** Standard deviation of face-region luma. */
  faceLumaStd: number;
  /** Fraction of face-region pixels at or below the dark clip level / at or above the bright clip level. */
  darkClipped: number;
  brightClipped: number;
  /** Face-region luma / surround luma (< 1: face darker than the background, e.g. backlit). */
  faceToSurround: number;
  /** Left-half vs right-half face luma balance: (L - R) / (L + R), in [-1, 1]. */
  leftRightBalance: number;
  /** Mean R, G, B of the face region, 0..255 (colour cast). */
  meanRgb: [number, number, number];
  /** Laplacian variance of the face region (raw) and contrast-normalised (divided by luma variance). */
  focus: number;
  focusNormalized: number;
  /** Optical-flow background motion outside the face box between the previous and this frame. */
  motion: {
    /** Global (camera) motion in pixels, median flow of the tracked background points. */
    globalDx: number;
    globalDy: number;
    /** Residual background motion after removing the global motion, pixels. */
    residualMedian: number;
    residualP90: number;
    /** Fraction of grid points tracked successfully, 0..1. */
    trackedFraction: number;
    /**
     * Share of the tracked points whose residual exceeds the kernels' `movingPx` (default 1 px): people walking
     * behind the user move a few points far, which p90 misses. NaN when nothing was tracked; absent from older producers.
     */
    movingFraction?: number;
    /** How many tracked points moved on their own (the numerator of movingFraction). */
    movingPoints?: number;
  } | null;
}

/** Everything the engine knows about one frame. */
export interface FrameAnalysis {
  /** Capture timestamp in milliseconds (monotonic, from the caller). */
  timestampMs: number;
  width: number;
  height: number;
  quality: QualityMetrics;
  faces: FaceDetection[];
  /**
   * Faces the tracker's periodic whole-frame scan found besides `faces` (detector boxes, no landmarks): someone else
   * in view. Absent or empty: none seen.
   */
  others?: ReadonlyArray<{ box: Box; score: number }>;
}

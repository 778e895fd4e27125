// The canonical (frontal, neutral) face that head pose is fitted against.
//
// CANONICAL_FACE is MEASURED: `measureCanonicalFace` (canonical-measure.ts) averaged real FaceMesh meshes (the
// roughly frontal ones, |yaw| < 15, |pitch| < 15, |roll| < 30 deg, of the test portraits and their horizontal flips)
// by generalized Procrustes, made it left/right symmetric and set its zero pitch to the meshes' average; a unit test
// recomputes it from the data and checks this table. It replaced the analytic starting shape
// (ANALYTIC_CANONICAL_FACE) because the real mesh puts the nasion and forehead much further forward and the face
// contour much further back, so real meshes fit it far better.
//
// Units: millimetre-like (outer eye corners 90 apart). Axes as in image space: x to the image's right (the subject's
// left on an unmirrored image), y down, z away from the camera (smaller z = closer, like FaceMesh z), origin between
// the outer eye corners. Only points that stay put under expressions are listed (eye corners, nose, forehead, cheeks,
// temples); lips, lids, brows and chin move and are left out. Weights favour points FaceMesh places precisely (eye
// corners, nose line) over contour points that slide.

export interface CanonicalPoint {
  /** FaceMesh landmark index. */
  index: number;
  /** Position in the canonical frame. */
  point: readonly [number, number, number];
  /** Relative weight in the rigid fit (0..1). */
  weight: number;
}

export const CANONICAL_FACE_IS_MEASURED = true;

/** The measured canonical face (see above). */
export const CANONICAL_FACE: readonly CanonicalPoint[] = [
  { index: 33, point: [-45.0, 0.0, 0.0], weight: 1 },
  { index: 133, point: [-17.2, 1.4, -5.2], weight: 1 },
  { index: 362, point: [17.2, 1.4, -5.2], weight: 1 },
  { index: 263, point: [45.0, 0.0, 0.0], weight: 1 },
  { index: 168, point: [0.0, -3.8, -22.3], weight: 1 },
  { index: 6, point: [0.0, 3.8, -26.4], weight: 0.8 },
  { index: 197, point: [0.0, 11.1, -31.2], weight: 0.8 },
  { index: 4, point: [0.0, 34.3, -43.8], weight: 0.8 },
  { index: 1, point: [0.0, 41.0, -41.4], weight: 1 },
  { index: 2, point: [0.0, 47.0, -25.2], weight: 0.6 },
  { index: 98, point: [-17.5, 44.0, -17.2], weight: 0.6 },
  { index: 327, point: [17.5, 44.0, -17.2], weight: 0.6 },
  { index: 9, point: [0.0, -19.3, -24.9], weight: 0.7 },
  { index: 151, point: [0.0, -35.3, -23.0], weight: 0.7 },
  { index: 10, point: [0.0, -50.7, -20.3], weight: 0.5 },
  { index: 205, point: [-40.3, 41.0, -9.1], weight: 0.5 },
  { index: 425, point: [40.3, 41.0, -9.1], weight: 0.5 },
  { index: 127, point: [-69.6, 4.8, 49.9], weight: 0.4 },
  { index: 356, point: [69.6, 4.8, 49.9], weight: 0.4 },
  { index: 234, point: [-68.7, 18.9, 55.3], weight: 0.4 },
  { index: 454, point: [68.7, 18.9, 55.3], weight: 0.4 },
];

/**
 * The analytic starting shape: written from average adult facial proportions (outer eye corners 90 apart, nose tip
 * ~30 in front of the eye corners), not measured. It seeds `measureCanonicalFace` and fixes the point set and weights.
 */
export const ANALYTIC_CANONICAL_FACE: readonly CanonicalPoint[] = [
  // eye corners
  { index: 33, point: [-45, 0, 10], weight: 1 },
  { index: 133, point: [-15, 1, 4], weight: 1 },
  { index: 362, point: [15, 1, 4], weight: 1 },
  { index: 263, point: [45, 0, 10], weight: 1 },
  // nose line, nasion to tip, and the alar wings
  { index: 168, point: [0, -3, -6], weight: 1 },
  { index: 6, point: [0, 12, -12], weight: 0.8 },
  { index: 197, point: [0, 22, -18], weight: 0.8 },
  { index: 4, point: [0, 38, -28], weight: 0.8 },
  { index: 1, point: [0, 42, -30], weight: 1 },
  { index: 2, point: [0, 50, -20], weight: 0.6 },
  { index: 98, point: [-14, 46, -10], weight: 0.6 },
  { index: 327, point: [14, 46, -10], weight: 0.6 },
  // forehead (the hairline point can be hidden by hair: lower weight)
  { index: 9, point: [0, -20, -8], weight: 0.7 },
  { index: 151, point: [0, -45, -6], weight: 0.7 },
  { index: 10, point: [0, -75, 2], weight: 0.5 },
  // cheeks, temples, contour at ear level
  { index: 205, point: [-40, 35, 0], weight: 0.5 },
  { index: 425, point: [40, 35, 0], weight: 0.5 },
  { index: 127, point: [-72, -15, 45], weight: 0.4 },
  { index: 356, point: [72, -15, 45], weight: 0.4 },
  { index: 234, point: [-75, 15, 50], weight: 0.4 },
  { index: 454, point: [75, 15, 50], weight: 0.4 },
];

// The canonical (frontal, neutral) face that head pose is fitted against.
//
// TO BE REPLACED: these coordinates are an analytic, left/right-symmetric approximation written from average adult
// facial proportions (outer eye corners 90 apart, nose tip 30 in front of the eye corners), not measured. A tool will
// average frontal real FaceMesh meshes and overwrite this table; the pose code only reads it as data.
//
// Units: millimetre-like. Axes as in image space: x to the image's right (the subject's left on an unmirrored
// image), y down, z away from the camera (smaller z = closer, like FaceMesh z). Only points that stay put under
// expressions are listed (eye corners, nose, forehead, cheeks, temples); lips, lids, brows and chin move and are left
// out. Weights favour points FaceMesh places precisely (eye corners, nose line) over contour points that slide.

export interface CanonicalPoint {
  /** FaceMesh landmark index. */
  index: number;
  /** Position in the canonical frame. */
  point: readonly [number, number, number];
  /** Relative weight in the rigid fit (0..1). */
  weight: number;
}

export const CANONICAL_FACE_IS_MEASURED = false;

export const CANONICAL_FACE: readonly CanonicalPoint[] = [
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

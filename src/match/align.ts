// Face alignment for the recognition net: a similarity transform (rotation, uniform scale, shift) that puts the two
// eye centres and the mouth centre of our FaceMesh/Iris landmarks onto a fixed 150x150 template, least squares.
import type { Point3 } from '../types.js';
import { affine, type Affine } from '../face/affine.js';
import { LivecheckError } from '../errors.js';
import { LEFT_EYE, MESH_POINTS, MESH_WITH_IRIS_POINTS, MOUTH_CENTRE, RIGHT_EYE } from '../face/landmarks.js';

export const MATCH_SIZE = 150;

/**
 * Template positions in the 150x150 chip (image-left eye, image-right eye, mouth centre). Chosen to frame the face
 * like dlib's 150x150 face chips (padding 0.25), which the descriptor net was trained on.
 */
export const MATCH_TEMPLATE: ReadonlyArray<readonly [number, number]> = [
  [52, 62],
  [98, 62],
  [75, 108],
];

// iris centres, eye corners as a fallback, the mouth centre
const IRIS_A = RIGHT_EYE.irisCenter,
  IRIS_B = LEFT_EYE.irisCenter;
const EYE_A = [RIGHT_EYE.outer, RIGHT_EYE.inner] as const,
  EYE_B = [LEFT_EYE.inner, LEFT_EYE.outer] as const;

/** Eye centres and mouth centre in image pixels, ordered image-left eye first. */
export function alignmentPoints(landmarks: readonly Point3[], out = new Float64Array(6)): Float64Array {
  if (landmarks.length < MESH_POINTS) throw new LivecheckError('invalid-argument', `alignment needs the 468 FaceMesh landmarks, got ${landmarks.length}`, { count: landmarks.length });
  const mid = (idx: readonly number[], k: 0 | 1) => idx.reduce((s, i) => s + landmarks[i][k], 0) / idx.length;
  const iris = landmarks.length >= MESH_WITH_IRIS_POINTS;
  let ax = iris ? landmarks[IRIS_A][0] : mid(EYE_A, 0),
    ay = iris ? landmarks[IRIS_A][1] : mid(EYE_A, 1);
  let bx = iris ? landmarks[IRIS_B][0] : mid(EYE_B, 0),
    by = iris ? landmarks[IRIS_B][1] : mid(EYE_B, 1);
  if (ax > bx) {
    [ax, bx] = [bx, ax];
    [ay, by] = [by, ay];
  }
  out[0] = ax;
  out[1] = ay;
  out[2] = bx;
  out[3] = by;
  out[4] = mid(MOUTH_CENTRE, 0);
  out[5] = mid(MOUTH_CENTRE, 1);
  return out;
}

/**
 * The chip -> image map (for warpToTensor): least-squares similarity from template to image points, so the chip
 * pixel (u, v) samples the image at the returned affine of (u, v).
 */
export function alignToImage(points: Float64Array, out: Affine = affine()): Affine {
  // Solve image = [a -b; b a] * template + [tx, ty] in least squares (Umeyama without reflection).
  let mx = 0,
    my = 0,
    px = 0,
    py = 0;
  const n = MATCH_TEMPLATE.length;
  for (let i = 0; i < n; i++) {
    mx += MATCH_TEMPLATE[i][0];
    my += MATCH_TEMPLATE[i][1];
    px += points[2 * i];
    py += points[2 * i + 1];
  }
  mx /= n;
  my /= n;
  px /= n;
  py /= n;
  let sxx = 0,
    sa = 0,
    sb = 0;
  for (let i = 0; i < n; i++) {
    const u = MATCH_TEMPLATE[i][0] - mx,
      v = MATCH_TEMPLATE[i][1] - my;
    const x = points[2 * i] - px,
      y = points[2 * i + 1] - py;
    sxx += u * u + v * v;
    sa += u * x + v * y;
    sb += u * y - v * x;
  }
  if (!(sxx > 0) || !(Math.hypot(sa, sb) > 0)) throw new LivecheckError('invalid-argument', 'degenerate alignment points', {});
  const a = sa / sxx,
    b = sb / sxx;
  out[0] = a;
  out[1] = -b;
  out[2] = px - a * mx + b * my;
  out[3] = b;
  out[4] = a;
  out[5] = py - b * mx - a * my;
  return out;
}

// Where the next landmark crop goes: from a detector candidate (first sight) or from the previous landmarks
// (tracking). Pure geometry on plain arrays.
import type { Candidate } from './blazeface.js';
import type { Crop } from './landmarker.js';
import { LEFT_EYE, RIGHT_EYE } from './landmarks.js';

// the subject's right eye is on the image's left in an unmirrored frame
const RIGHT_EYE_OUTER = RIGHT_EYE.outer;
const LEFT_EYE_OUTER = LEFT_EYE.outer;

/**
 * Crop around a detector box, turned along the eye line. On a face upside down or on its side the detector labels
 * the eyes by image position, not by the subject's side, so the eye line alone can point the wrong way: the mouth
 * keypoint must lie below it in the crop, and the angle is turned by 180 degrees when it does not.
 */
export function cropFromCandidate(c: Candidate, scale: number, out: Crop): Crop {
  const k = c.keypoints;
  const eyes = Math.atan2(k[3] - k[1], k[2] - k[0]);
  // "down" in the crop is (-sin, cos) of its angle; the mouth (keypoint 3) should be on that side of the eyes
  const below = -Math.sin(eyes) * (k[6] - (k[0] + k[2]) / 2) + Math.cos(eyes) * (k[7] - (k[1] + k[3]) / 2);
  out.angle = below >= 0 ? eyes : eyes > 0 ? eyes - Math.PI : eyes + Math.PI;
  out.cx = c.cx;
  out.cy = c.cy;
  out.side = Math.max(c.w, c.h) * scale;
  return out;
}

/** Crop around landmarks (x, y, z triples): their bounds measured along the eye line, squared and enlarged. */
export function cropFromLandmarks(points: Float32Array, count: number, scale: number, out: Crop): Crop {
  const ex = points[LEFT_EYE_OUTER * 3] - points[RIGHT_EYE_OUTER * 3];
  const ey = points[LEFT_EYE_OUTER * 3 + 1] - points[RIGHT_EYE_OUTER * 3 + 1];
  const angle = Math.atan2(ey, ex);
  const cos = Math.cos(angle),
    sin = Math.sin(angle);
  let u0 = Infinity,
    u1 = -Infinity,
    v0 = Infinity,
    v1 = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = points[i * 3],
      y = points[i * 3 + 1];
    const u = x * cos + y * sin,
      v = -x * sin + y * cos;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  const uc = (u0 + u1) / 2,
    vc = (v0 + v1) / 2;
  out.cx = uc * cos - vc * sin;
  out.cy = uc * sin + vc * cos;
  out.side = Math.max(u1 - u0, v1 - v0) * scale;
  out.angle = angle;
  return out;
}

/** Square crop centred between two eye corners, `scale` times their distance, along the face's angle. */
export function eyeCrop(points: Float32Array, a: number, b: number, scale: number, angle: number, out: Crop): Crop {
  const ax = points[a * 3],
    ay = points[a * 3 + 1],
    bx = points[b * 3],
    by = points[b * 3 + 1];
  out.cx = (ax + bx) / 2;
  out.cy = (ay + by) / 2;
  out.side = Math.hypot(bx - ax, by - ay) * scale;
  out.angle = angle;
  return out;
}

/** Axis-aligned bounds of the first `count` points: [x, y, width, height]. */
export function pointBounds(points: Float32Array, count: number): [number, number, number, number] {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = points[i * 3],
      y = points[i * 3 + 1];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1 - x0, y1 - y0];
}

export function boxIou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const iy = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (ix <= 0 || iy <= 0) return 0;
  return (ix * iy) / (a[2] * a[3] + b[2] * b[3] - ix * iy);
}

// Where to measure the pixel cues of FaceRegionStats: boxes around the eyes, the mouth and the cheeks, from the mesh.
// The kernels (or the integrator) measure luma mean/std, specular fraction, skin-tone distance and strand edges in
// these boxes and pass the result to FaceGeometryEstimator.measure as `regions`; the cheeks are the reference for
// skin tone and brightness (average the two cheek boxes' statistics). The chin box is where a hand resting on the
// chin or jaw shows (fingers add texture that a bare chin does not have).

import type { Box, Point3 } from '../types.js';
import type { RegionStats } from './face-geometry.js';
import { LEFT_EYE, MOUTH, RIGHT_EYE } from '../face/landmarks.js';

// The chin's statistics travel with the other regions' (FaceRegionStats lives in face-geometry.ts).
declare module './face-geometry.js' {
  interface FaceRegionStats {
    /** The chin below the lower lip (FaceRegionMeter): its luma std against the session's own is the hand cue. */
    chin?: RegionStats;
  }
}

export interface FaceRegionBoxes {
  rightEye: Box;
  leftEye: Box;
  mouth: Box;
  rightCheek: Box;
  leftCheek: Box;
  chin: Box;
}

const box = (): Box => ({ x: 0, y: 0, width: 0, height: 0 });

export function createFaceRegionBoxes(): FaceRegionBoxes {
  return { rightEye: box(), leftEye: box(), mouth: box(), rightCheek: box(), leftCheek: box(), chin: box() };
}

const RIGHT_EYE_POINTS = [RIGHT_EYE.outer, RIGHT_EYE.inner, RIGHT_EYE.upperOuter, RIGHT_EYE.upperInner, RIGHT_EYE.lowerOuter, RIGHT_EYE.lowerInner];
const LEFT_EYE_POINTS = [LEFT_EYE.outer, LEFT_EYE.inner, LEFT_EYE.upperOuter, LEFT_EYE.upperInner, LEFT_EYE.lowerOuter, LEFT_EYE.lowerInner];
const MOUTH_POINTS = [MOUTH.rightCorner, MOUTH.leftCorner, MOUTH.upperOuter, MOUTH.lowerOuter];
/** Cheek centres (FaceMesh 205 / 425), boxes sized from the eye width. */
const RIGHT_CHEEK = 205;
const LEFT_CHEEK = 425;
/** Lower lip bottom (17) down the midline to the chin tip (152), and the jaw either side of the chin (148/176, 377/400). */
const CHIN_POINTS = [17, 200, 199, 175, 152, 148, 176, 377, 400];

/**
 * Region boxes in image px, clipped to the frame (integer bounds, possibly empty when the face is outside).
 * Eyes: the lid points padded by 25% of the eye width (glasses rims and brows stay out). Mouth: lips padded by 15%.
 * Cheeks: squares of 0.6 eye width around 205 / 425. Chin: the bounds of CHIN_POINTS, unpadded (the neck and the
 * shirt collar stay out).
 */
export function faceRegionBoxes(landmarks: readonly Point3[], width: number, height: number, out: FaceRegionBoxes = createFaceRegionBoxes()): FaceRegionBoxes {
  bounds(landmarks, RIGHT_EYE_POINTS, 0.25, width, height, out.rightEye);
  bounds(landmarks, LEFT_EYE_POINTS, 0.25, width, height, out.leftEye);
  bounds(landmarks, MOUTH_POINTS, 0.15, width, height, out.mouth);
  const eyeWidth = (0.5 * (out.rightEye.width + out.leftEye.width)) / 1.5;
  square(landmarks[RIGHT_CHEEK], 0.3 * eyeWidth, width, height, out.rightCheek);
  square(landmarks[LEFT_CHEEK], 0.3 * eyeWidth, width, height, out.leftCheek);
  bounds(landmarks, CHIN_POINTS, 0, width, height, out.chin);
  return out;
}

function bounds(lm: readonly Point3[], idx: readonly number[], pad: number, w: number, h: number, out: Box): void {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (let i = 0; i < idx.length; i++) {
    const p = lm[idx[i]];
    if (p[0] < x0) x0 = p[0];
    if (p[0] > x1) x1 = p[0];
    if (p[1] < y0) y0 = p[1];
    if (p[1] > y1) y1 = p[1];
  }
  const m = pad * (x1 - x0);
  clip(x0 - m, y0 - m, x1 + m, y1 + m, w, h, out);
}

function square(c: Point3, half: number, w: number, h: number, out: Box): void {
  clip(c[0] - half, c[1] - half, c[0] + half, c[1] + half, w, h, out);
}

function clip(x0: number, y0: number, x1: number, y1: number, w: number, h: number, out: Box): void {
  const ax = Math.max(0, Math.floor(x0)),
    ay = Math.max(0, Math.floor(y0));
  const bx = Math.min(w, Math.ceil(x1)),
    by = Math.min(h, Math.ceil(y1));
  out.x = ax;
  out.y = ay;
  out.width = Math.max(0, bx - ax);
  out.height = Math.max(0, by - ay);
}

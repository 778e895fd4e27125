// A small synthetic 3D head for the decision tests: the FaceMesh indices the decision reads sit at anatomically
// plausible positions (nose 30 mm in front of the cheeks, face contour far behind), the other mesh points are spread
// over the face surface. Projected with a pinhole (or weak-perspective) camera and landmark jitter. A "photo" is
// that frontal projection printed life-size on a plane and moved like a held picture: exactly a homography.
// (Swap for test/helpers/synthetic-face.ts once the shared generator lands, if it models depth.)

import type { Point3 } from '../../src/types.js';

import { mulberry32 } from '../helpers/random.js';
export { mulberry32 };

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Face surface depth (mm, z away from the camera: the face front is negative). */
function surfaceZ(x: number, y: number): number {
  const q = 1 - (x / 78) ** 2 - (y / 115) ** 2;
  return -80 * Math.sqrt(Math.max(0, q));
}

// [index, x, y, extra depth toward the camera (mm, nose) or away (positive, eye sockets)]
const NAMED: ReadonlyArray<readonly [number, number, number, number]> = [
  [10, 0, -95, 0],
  [151, 0, -75, 0],
  [9, 0, -55, 0],
  [109, -25, -90, 0],
  [338, 25, -90, 0],
  [67, -45, -80, 0],
  [297, 45, -80, 0],
  [168, 0, -30, -5],
  [6, 0, -18, -10],
  [197, 0, -5, -15],
  [195, 0, 8, -20],
  [5, 0, 18, -25],
  [4, 0, 26, -29],
  [1, 0, 30, -30],
  [98, -14, 32, -12],
  [327, 14, 32, -12],
  [33, -45, -25, 8],
  [133, -15, -24, 8],
  [362, 15, -24, 8],
  [263, 45, -25, 8],
  [234, -72, -10, 0],
  [454, 72, -10, 0],
  [127, -70, -35, 0],
  [356, 70, -35, 0],
  [93, -70, 15, 0],
  [323, 70, 15, 0],
  [132, -66, 40, 0],
  [361, 66, 40, 0],
  [50, -38, 20, 0],
  [280, 38, 20, 0],
  [116, -50, 0, 0],
  [345, 50, 0, 0],
  [123, -55, 10, 0],
  [352, 55, 10, 0],
  [61, -25, 55, 0],
  [291, 25, 55, 0],
];

export interface Expression {
  /** 1 = eyes open, 0 = closed. */
  eyeOpen?: number;
  /** 0 = closed, 1 = wide open. */
  mouthOpen?: number;
}

/** 468 head-frame points (x right, y down, z away from the camera), mm. */
export function headModel(expression: Expression = {}): Float64Array {
  const eyeOpen = expression.eyeOpen ?? 1;
  const mouthOpen = expression.mouthOpen ?? 0;
  const p = new Float64Array(468 * 3);
  const rand = mulberry32(1234);
  for (let i = 0; i < 468; i++) {
    let x = 0;
    let y = 0;
    do {
      x = (rand() * 2 - 1) * 70;
      y = (rand() * 2 - 1) * 105;
    } while ((x / 78) ** 2 + (y / 115) ** 2 > 0.85);
    p.set([x, y, surfaceZ(x, y)], 3 * i);
  }
  for (const [i, x, y, dz] of NAMED) p.set([x, y, surfaceZ(x, y) + dz], 3 * i);
  // non-rigid points: lids (right eye 159/145, left 386/374), lips 13/14, chin 152
  const lid = (i: number, x: number, y: number) => p.set([x, y, surfaceZ(x, y) + 6], 3 * i);
  lid(159, -30, -25 - 5 * eyeOpen);
  lid(145, -30, -25 + 4 * eyeOpen);
  lid(386, 30, -25 - 5 * eyeOpen);
  lid(374, 30, -25 + 4 * eyeOpen);
  p.set([0, 52, surfaceZ(0, 52) - 8], 3 * 13);
  p.set([0, 54 + 18 * mouthOpen, surfaceZ(0, 54) - 8], 3 * 14);
  p.set([0, 105 + 14 * mouthOpen, surfaceZ(0, 100)], 3 * 152);
  return p;
}

export interface Camera {
  focalPx: number;
  cx: number;
  cy: number;
  /** Weak perspective (scaled orthographic) instead of a pinhole. */
  weak?: boolean;
}

export const CAMERA: Camera = { focalPx: 800, cx: 320, cy: 240 };

export interface Pose {
  yawDeg?: number;
  pitchDeg?: number;
  rollDeg?: number;
  /** Translation of the head (or picture) centre, mm, camera frame. */
  tx?: number;
  ty?: number;
  /** Distance of the head (or picture) centre from the camera, mm. */
  distanceMm?: number;
}

function rotation(pose: Pose): number[] {
  const y = ((pose.yawDeg ?? 0) * Math.PI) / 180;
  const p = ((pose.pitchDeg ?? 0) * Math.PI) / 180;
  const r = ((pose.rollDeg ?? 0) * Math.PI) / 180;
  const cy = Math.cos(y),
    sy = Math.sin(y),
    cp = Math.cos(p),
    sp = Math.sin(p),
    cr = Math.cos(r),
    sr = Math.sin(r);
  // R = Rz(roll) * Rx(pitch) * Ry(yaw)
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp];
  const rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  return mul(rz, mul(rx, ry));
}

function mul(a: number[], b: number[]): number[] {
  const o = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return o;
}

/** Projects rigid-body points (flat xyz, mm) posed by `pose`; `depthOut` overrides the reported z per point. */
function project(points: Float64Array, pose: Pose, camera: Camera, jitterPx: number, rand: () => number, depthOut?: Float64Array): Point3[] {
  const r = rotation(pose);
  const d = pose.distanceMm ?? 600;
  const out: Point3[] = [];
  for (let i = 0; i < points.length / 3; i++) {
    const x = points[3 * i],
      y = points[3 * i + 1],
      z = points[3 * i + 2];
    const X = r[0] * x + r[1] * y + r[2] * z + (pose.tx ?? 0);
    const Y = r[3] * x + r[4] * y + r[5] * z + (pose.ty ?? 0);
    const Z = r[6] * x + r[7] * y + r[8] * z + d;
    const depth = camera.weak ? d : Z;
    const u = camera.cx + (camera.focalPx * X) / depth + jitterPx * gaussian(rand);
    const v = camera.cy + (camera.focalPx * Y) / depth + jitterPx * gaussian(rand);
    out.push([u, v, depthOut ? depthOut[i] : (camera.focalPx * (Z - d)) / d]);
  }
  return out;
}

/** Landmarks of the 3D head in `pose`. */
export function projectHead(pose: Pose, options: { camera?: Camera; jitterPx?: number; rand?: () => number; expression?: Expression } = {}): Point3[] {
  return project(headModel(options.expression), pose, options.camera ?? CAMERA, options.jitterPx ?? 0, options.rand ?? mulberry32(1));
}

/**
 * Landmarks of a life-size photo of the head (taken frontally at `shot`), the photo then held in `pose`.
 * The landmark model still reports the depth it learned for a face, so z is the frontal head's z.
 */
export function projectPhoto(pose: Pose, options: { camera?: Camera; shot?: Pose; jitterPx?: number; rand?: () => number; expression?: Expression } = {}): Point3[] {
  const camera = options.camera ?? CAMERA;
  const shot = options.shot ?? {};
  const frontal = project(headModel(options.expression), shot, camera, 0, mulberry32(1));
  const d = shot.distanceMm ?? 600;
  const plane = new Float64Array(frontal.length * 3);
  const depth = new Float64Array(frontal.length);
  frontal.forEach(([u, v, z], i) => {
    plane.set([((u - camera.cx) * d) / camera.focalPx, ((v - camera.cy) * d) / camera.focalPx, 0], 3 * i);
    depth[i] = z;
  });
  return project(plane, pose, camera, options.jitterPx ?? 0, options.rand ?? mulberry32(1), depth);
}

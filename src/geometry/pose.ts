// Head pose from a rigid similarity fit (rotation + uniform scale + translation) of the 3D mesh to the canonical
// face: weighted absolute orientation, solved with Horn's unit-quaternion method (the largest eigenvector of a
// symmetric 4x4 matrix, by Jacobi rotations). Using many stable points in 3D makes the angles robust to a single
// noisy landmark, unlike angles from two points.
//
// Angle conventions (image axes: x right, y down, z away from the camera), R = Rz(roll) * Ry(yaw) * Rx(pitch):
//   yaw   > 0: the nose points toward the image's right (+x);
//   pitch > 0: the nose points up in the image (toward -y);
//   roll  > 0: the face is rotated clockwise as seen in the image (the eye on the image's right is lower).
// Mirroring the image (x -> W - x, with left/right labels swapped) negates yaw and roll and keeps pitch.

import { LivecheckError } from '../errors.js';
import type { Point3 } from '../types.js';
import type { CanonicalPoint } from './canonical-face.js';

const DEG = 180 / Math.PI;
const RAD = Math.PI / 180;

export interface HeadPose {
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  /** Row-major 3x3 rotation taking canonical coordinates to image coordinates (before scaling). */
  rotation: number[];
  /** Image pixels per canonical unit. */
  scale: number;
  /** Image position of the canonical origin. */
  translation: [number, number, number];
  /** Weighted RMS distance between fitted canonical points and the mesh, in canonical units (mm-like). */
  residual: number;
}

export function createHeadPose(): HeadPose {
  return { yawDeg: 0, pitchDeg: 0, rollDeg: 0, rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], scale: 1, translation: [0, 0, 0], residual: 0 };
}

/** Rotation matrix (row-major) for the given angles, in the convention above. Used by tests and synthetic faces. */
export function rotationFromEuler(yawDeg: number, pitchDeg: number, rollDeg: number, out: number[] = new Array(9)): number[] {
  const cy = Math.cos(yawDeg * RAD),
    sy = Math.sin(yawDeg * RAD);
  const cp = Math.cos(pitchDeg * RAD),
    sp = Math.sin(pitchDeg * RAD);
  const cr = Math.cos(rollDeg * RAD),
    sr = Math.sin(rollDeg * RAD);
  // Y*X, then Z*(Y*X)
  const a00 = cy,
    a01 = sy * sp,
    a02 = -sy * cp;
  const a10 = 0,
    a11 = cp,
    a12 = sp;
  const a20 = sy,
    a21 = -cy * sp,
    a22 = cy * cp;
  out[0] = cr * a00 - sr * a10;
  out[1] = cr * a01 - sr * a11;
  out[2] = cr * a02 - sr * a12;
  out[3] = sr * a00 + cr * a10;
  out[4] = sr * a01 + cr * a11;
  out[5] = sr * a02 + cr * a12;
  out[6] = a20;
  out[7] = a21;
  out[8] = a22;
  return out;
}

/** Extracts (yaw, pitch, roll) in degrees from a rotation built as Rz(roll) * Ry(yaw) * Rx(pitch). */
export function eulerFromRotation(r: ArrayLike<number>): { yawDeg: number; pitchDeg: number; rollDeg: number } {
  const yaw = Math.asin(Math.max(-1, Math.min(1, r[6])));
  const pitch = Math.atan2(-r[7], r[8]);
  const roll = Math.atan2(r[3], r[0]);
  return { yawDeg: yaw * DEG, pitchDeg: pitch * DEG, rollDeg: roll * DEG };
}

/** Fits the canonical face to meshes; owns its work buffers so repeated fits allocate nothing. */
export class PoseFitter {
  private readonly canonical: readonly CanonicalPoint[];
  private readonly n4 = new Float64Array(16);
  private readonly v4 = new Float64Array(16);
  private readonly canonicalCentroid = new Float64Array(3);

  constructor(canonical: readonly CanonicalPoint[]) {
    if (canonical.length < 4) throw new LivecheckError('invalid-argument', 'canonical face needs at least 4 points', { points: canonical.length });
    this.canonical = canonical;
  }

  /**
   * Fits the canonical face to `landmarks` and writes the result into `out`. Returns false (leaving `out` untouched)
   * when a canonical point is missing from the mesh or the points are degenerate.
   */
  fit(landmarks: readonly Point3[], out: HeadPose): boolean {
    const cp = this.canonical;
    // weighted centroids
    let wSum = 0,
      cx = 0,
      cy = 0,
      cz = 0,
      px = 0,
      py = 0,
      pz = 0;
    for (let i = 0; i < cp.length; i++) {
      const c = cp[i];
      const p = landmarks[c.index];
      if (p === undefined) return false;
      const w = c.weight;
      wSum += w;
      cx += w * c.point[0];
      cy += w * c.point[1];
      cz += w * c.point[2];
      px += w * p[0];
      py += w * p[1];
      pz += w * p[2];
    }
    if (!(wSum > 0)) return false;
    cx /= wSum;
    cy /= wSum;
    cz /= wSum;
    px /= wSum;
    py /= wSum;
    pz /= wSum;
    this.canonicalCentroid[0] = cx;
    this.canonicalCentroid[1] = cy;
    this.canonicalCentroid[2] = cz;

    // cross-covariance S_ab = sum w * canonical_a * mesh_b (both centred)
    let sxx = 0,
      sxy = 0,
      sxz = 0,
      syx = 0,
      syy = 0,
      syz = 0,
      szx = 0,
      szy = 0,
      szz = 0,
      cNorm = 0,
      pNorm = 0;
    for (let i = 0; i < cp.length; i++) {
      const c = cp[i];
      const p = landmarks[c.index];
      const w = c.weight;
      const ax = c.point[0] - cx,
        ay = c.point[1] - cy,
        az = c.point[2] - cz;
      const bx = p[0] - px,
        by = p[1] - py,
        bz = p[2] - pz;
      if (!Number.isFinite(bx + by + bz)) return false;
      sxx += w * ax * bx;
      sxy += w * ax * by;
      sxz += w * ax * bz;
      syx += w * ay * bx;
      syy += w * ay * by;
      syz += w * ay * bz;
      szx += w * az * bx;
      szy += w * az * by;
      szz += w * az * bz;
      cNorm += w * (ax * ax + ay * ay + az * az);
      pNorm += w * (bx * bx + by * by + bz * bz);
    }
    if (!(cNorm > 0) || !(pNorm > 0)) return false;

    const n = this.n4;
    n[0] = sxx + syy + szz;
    n[1] = syz - szy;
    n[2] = szx - sxz;
    n[3] = sxy - syx;
    n[5] = sxx - syy - szz;
    n[6] = sxy + syx;
    n[7] = szx + sxz;
    n[10] = -sxx + syy - szz;
    n[11] = syz + szy;
    n[15] = -sxx - syy + szz;
    n[4] = n[1];
    n[8] = n[2];
    n[12] = n[3];
    n[9] = n[6];
    n[13] = n[7];
    n[14] = n[11];
    const k = jacobiLargestEigenvector(n, this.v4);
    const v = this.v4;
    const q0 = v[k],
      qx = v[4 + k],
      qy = v[8 + k],
      qz = v[12 + k];

    const r = out.rotation;
    r[0] = q0 * q0 + qx * qx - qy * qy - qz * qz;
    r[1] = 2 * (qx * qy - q0 * qz);
    r[2] = 2 * (qx * qz + q0 * qy);
    r[3] = 2 * (qy * qx + q0 * qz);
    r[4] = q0 * q0 - qx * qx + qy * qy - qz * qz;
    r[5] = 2 * (qy * qz - q0 * qx);
    r[6] = 2 * (qz * qx - q0 * qy);
    r[7] = 2 * (qz * qy + q0 * qx);
    r[8] = q0 * q0 - qx * qx - qy * qy + qz * qz;

    // scale = sum w b.(R a) / sum w |a|^2 = trace(R^T-weighted covariance) / cNorm
    const dot = r[0] * sxx + r[1] * syx + r[2] * szx + r[3] * sxy + r[4] * syy + r[5] * szy + r[6] * sxz + r[7] * syz + r[8] * szz;
    const s = dot / cNorm;
    if (!(s > 0)) return false;
    out.scale = s;
    out.translation[0] = px - s * (r[0] * cx + r[1] * cy + r[2] * cz);
    out.translation[1] = py - s * (r[3] * cx + r[4] * cy + r[5] * cz);
    out.translation[2] = pz - s * (r[6] * cx + r[7] * cy + r[8] * cz);
    // residual of the optimum: sum w |b - sRa|^2 = pNorm - s * dot; expressed in canonical units
    out.residual = Math.sqrt(Math.max(0, pNorm - s * dot) / wSum) / s;
    const yaw = Math.asin(Math.max(-1, Math.min(1, r[6])));
    out.yawDeg = yaw * DEG;
    out.pitchDeg = Math.atan2(-r[7], r[8]) * DEG;
    out.rollDeg = Math.atan2(r[3], r[0]) * DEG;
    return true;
  }
}

/**
 * Cyclic Jacobi eigen-decomposition of the symmetric 4x4 `a` (destroyed). Eigenvectors go to the columns of `v`;
 * returns the column of the largest eigenvalue.
 */
function jacobiLargestEigenvector(a: Float64Array, v: Float64Array): number {
  v.fill(0);
  v[0] = v[5] = v[10] = v[15] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < 3; p++) for (let q = p + 1; q < 4; q++) off += a[p * 4 + q] * a[p * 4 + q];
    if (off < 1e-22 * (a[0] * a[0] + a[5] * a[5] + a[10] * a[10] + a[15] * a[15] + 1e-300)) break;
    for (let p = 0; p < 3; p++) {
      for (let q = p + 1; q < 4; q++) {
        const apq = a[p * 4 + q];
        if (apq === 0) continue;
        const app = a[p * 4 + p],
          aqq = a[q * 4 + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < 4; k++) {
          const akp = a[k * 4 + p],
            akq = a[k * 4 + q];
          a[k * 4 + p] = c * akp - s * akq;
          a[k * 4 + q] = s * akp + c * akq;
        }
        for (let k = 0; k < 4; k++) {
          const apk = a[p * 4 + k],
            aqk = a[q * 4 + k];
          a[p * 4 + k] = c * apk - s * aqk;
          a[q * 4 + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = v[k * 4 + p],
            vkq = v[k * 4 + q];
          v[k * 4 + p] = c * vkp - s * vkq;
          v[k * 4 + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (a[i * 4 + i] > a[best * 4 + best]) best = i;
  return best;
}

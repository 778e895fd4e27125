// Plane-to-plane projective fit (homography) between two sets of 2D points, for the planarity test of the
// motion signal: a flat picture moved in front of a camera maps its landmarks by one homography, a head does not.
//
// Method: normalised DLT (Hartley: centre each point set, scale to mean distance sqrt 2, so the algebraic system
// is well conditioned), solved as the eigenvector of the smallest eigenvalue of the 9x9 normal matrix A^T W A
// (cyclic Jacobi: deterministic, which matters because the server re-runs this analysis and must get the same
// numbers). Robustness by IRLS with Cauchy weights on the transfer error, scale from the median residual: no random
// sampling, so no seed to carry. All buffers are allocated once per fitter and reused.

import { LivecheckError } from '../errors.js';

/** A homography as 9 numbers, row-major: [h11 h12 h13 h21 h22 h23 h31 h32 h33]. */
export type Homography = Float64Array;

export interface RobustFitOptions {
  /** IRLS re-weighting rounds after the least-squares start. */
  iterations?: number;
  /** Cauchy scale in units of the robust residual sigma (1.4826 * median). */
  cauchyScale?: number;
  /** Lower bound of the Cauchy scale in pixels, so exact data does not collapse the weights. */
  minScalePx?: number;
}

export class HomographyFitter {
  readonly capacity: number;
  private readonly ata = new Float64Array(81);
  private readonly vecs = new Float64Array(81);
  private readonly hn = new Float64Array(9);
  private readonly row1 = new Float64Array(9);
  private readonly row2 = new Float64Array(9);
  private readonly weights: Float64Array;
  private readonly residual: Float64Array;
  private readonly scratch: Float64Array;
  // normalising similarity of each point set: x' = s (x - cx)
  private sx = 1;
  private scx = 0;
  private scy = 0;
  private dx = 1;
  private dcx = 0;
  private dcy = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 4) {
      throw new LivecheckError('invalid-argument', 'a homography needs capacity for at least 4 points', { capacity });
    }
    this.capacity = capacity;
    this.weights = new Float64Array(capacity);
    this.residual = new Float64Array(capacity);
    this.scratch = new Float64Array(capacity);
  }

  /** Transfer errors |H src_i - dst_i| of the last robust fit (valid for the first n entries). */
  get residuals(): Float64Array {
    return this.residual;
  }

  /**
   * Weighted normalised DLT: src -> dst, flat [x0, y0, x1, y1, ...]. Writes H into `out` (scaled so ||H|| = 1 and
   * h33 >= 0). Returns false when the points are degenerate (fewer than 4 with weight, or all collinear).
   */
  fit(src: ArrayLike<number>, dst: ArrayLike<number>, n: number, out: Homography, weights?: ArrayLike<number>): boolean {
    this.checkCount(src, dst, n);
    if (!this.normalise(src, n, weights, true) || !this.normalise(dst, n, weights, false)) return false;
    const a = this.ata;
    a.fill(0);
    const r1 = this.row1;
    const r2 = this.row2;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      if (!(w > 0)) continue;
      used++;
      const x = this.sx * (src[2 * i] - this.scx);
      const y = this.sx * (src[2 * i + 1] - this.scy);
      const u = this.dx * (dst[2 * i] - this.dcx);
      const v = this.dx * (dst[2 * i + 1] - this.dcy);
      // rows of the DLT system for h (row-major): u-equation and v-equation
      r1[0] = -x;
      r1[1] = -y;
      r1[2] = -1;
      r1[3] = 0;
      r1[4] = 0;
      r1[5] = 0;
      r1[6] = u * x;
      r1[7] = u * y;
      r1[8] = u;
      r2[0] = 0;
      r2[1] = 0;
      r2[2] = 0;
      r2[3] = -x;
      r2[4] = -y;
      r2[5] = -1;
      r2[6] = v * x;
      r2[7] = v * y;
      r2[8] = v;
      for (let p = 0; p < 9; p++) {
        const a1 = w * r1[p];
        const a2 = w * r2[p];
        for (let q = p; q < 9; q++) a[p * 9 + q] += a1 * r1[q] + a2 * r2[q];
      }
    }
    if (used < 4) return false;
    for (let p = 0; p < 9; p++) for (let q = 0; q < p; q++) a[p * 9 + q] = a[q * 9 + p];
    const k = jacobiEigen(a, this.vecs, 9, -1);
    const hn = this.hn;
    for (let p = 0; p < 9; p++) hn[p] = this.vecs[p * 9 + k];
    this.denormalise(hn, out);
    return Number.isFinite(out[8]) && !isCollinear(this.ata, k);
  }

  /**
   * Robust fit (least squares, then IRLS with Cauchy weights). Returns the RMS transfer error over all n points
   * (outliers included: for the planarity test the points a plane cannot explain are the measurement), or NaN when
   * the fit is degenerate. Per-point errors are in `residuals`.
   */
  fitRobust(src: ArrayLike<number>, dst: ArrayLike<number>, n: number, out: Homography, options: RobustFitOptions = {}): number {
    const iterations = options.iterations ?? 6;
    const c = options.cauchyScale ?? 2.385;
    const minScale = options.minScalePx ?? 1e-3;
    if (!this.fit(src, dst, n, out)) return Number.NaN;
    const w = this.weights;
    for (let it = 0; it < iterations; it++) {
      this.transferErrors(out, src, dst, n);
      const sigma = 1.4826 * this.median(n);
      const scale = Math.max(minScale, c * sigma);
      for (let i = 0; i < n; i++) {
        const t = this.residual[i] / scale;
        w[i] = 1 / (1 + t * t);
      }
      if (!this.fit(src, dst, n, out, w)) return Number.NaN;
    }
    return this.transferErrors(out, src, dst, n);
  }

  /** Fills `residuals` with |H src_i - dst_i| and returns their RMS. */
  transferErrors(h: Homography, src: ArrayLike<number>, dst: ArrayLike<number>, n: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = src[2 * i];
      const y = src[2 * i + 1];
      const z = h[6] * x + h[7] * y + h[8];
      const ex = (h[0] * x + h[1] * y + h[2]) / z - dst[2 * i];
      const ey = (h[3] * x + h[4] * y + h[5]) / z - dst[2 * i + 1];
      const e = Math.sqrt(ex * ex + ey * ey);
      this.residual[i] = Number.isFinite(e) ? e : Number.POSITIVE_INFINITY;
      sum += e * e;
    }
    return Math.sqrt(sum / n);
  }

  /** Median of the first n residuals (quickselect on a scratch copy, no allocation). */
  private median(n: number): number {
    const s = this.scratch;
    for (let i = 0; i < n; i++) s[i] = this.residual[i];
    const mid = n >> 1;
    const hi = select(s, 0, n - 1, mid);
    if (n % 2 === 1) return hi;
    let lo = s[0];
    for (let i = 1; i < mid; i++) if (s[i] > lo) lo = s[i];
    return 0.5 * (lo + hi);
  }

  private checkCount(src: ArrayLike<number>, dst: ArrayLike<number>, n: number): void {
    if (!Number.isInteger(n) || n < 4 || n > this.capacity || src.length < 2 * n || dst.length < 2 * n) {
      throw new LivecheckError('invalid-argument', 'homography fit: point count out of range', {
        n,
        capacity: this.capacity,
        srcLength: src.length,
        dstLength: dst.length,
      });
    }
  }

  private normalise(p: ArrayLike<number>, n: number, weights: ArrayLike<number> | undefined, isSrc: boolean): boolean {
    let sw = 0;
    let cx = 0;
    let cy = 0;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      if (!(w > 0)) continue;
      sw += w;
      cx += w * p[2 * i];
      cy += w * p[2 * i + 1];
    }
    if (!(sw > 0)) return false;
    cx /= sw;
    cy /= sw;
    let md = 0;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      if (!(w > 0)) continue;
      md += w * Math.hypot(p[2 * i] - cx, p[2 * i + 1] - cy);
    }
    md /= sw;
    if (!(md > 0) || !Number.isFinite(md)) return false;
    const s = Math.SQRT2 / md;
    if (isSrc) {
      this.sx = s;
      this.scx = cx;
      this.scy = cy;
    } else {
      this.dx = s;
      this.dcx = cx;
      this.dcy = cy;
    }
    return true;
  }

  /** H = Td^-1 Hn Ts, with Ts = [s 0 -s cx; 0 s -s cy; 0 0 1]. */
  private denormalise(hn: Float64Array, out: Homography): void {
    const s = this.sx,
      tx = -s * this.scx,
      ty = -s * this.scy;
    // M = Hn * Ts
    const m0 = hn[0] * s,
      m1 = hn[1] * s,
      m2 = hn[0] * tx + hn[1] * ty + hn[2];
    const m3 = hn[3] * s,
      m4 = hn[4] * s,
      m5 = hn[3] * tx + hn[4] * ty + hn[5];
    const m6 = hn[6] * s,
      m7 = hn[7] * s,
      m8 = hn[6] * tx + hn[7] * ty + hn[8];
    // Td^-1 = [1/d 0 cx; 0 1/d cy; 0 0 1]
    const id = 1 / this.dx,
      cx = this.dcx,
      cy = this.dcy;
    out[0] = id * m0 + cx * m6;
    out[1] = id * m1 + cx * m7;
    out[2] = id * m2 + cx * m8;
    out[3] = id * m3 + cy * m6;
    out[4] = id * m4 + cy * m7;
    out[5] = id * m5 + cy * m8;
    out[6] = m6;
    out[7] = m7;
    out[8] = m8;
    let norm = 0;
    for (let i = 0; i < 9; i++) norm += out[i] * out[i];
    norm = Math.sqrt(norm) * (out[8] < 0 ? -1 : 1);
    for (let i = 0; i < 9; i++) out[i] /= norm;
  }
}

/** Maps (x, y) through H; writes the image point into out[0], out[1]. */
export function applyHomography(h: ArrayLike<number>, x: number, y: number, out: { 0: number; 1: number }): void {
  const z = h[6] * x + h[7] * y + h[8];
  out[0] = (h[0] * x + h[1] * y + h[2]) / z;
  out[1] = (h[3] * x + h[4] * y + h[5]) / z;
}

/**
 * Out-of-plane tilt (radians) of the plane motion H describes, measured at (x, y): the local linear map of H there
 * has singular values s1 >= s2, and a plane turned by theta under (weak) perspective is foreshortened by cos theta
 * = s2 / s1. Isotropic zoom and in-plane rotation give 0. Used as the pose change a homography implies.
 */
export function homographyTilt(h: ArrayLike<number>, x: number, y: number): number {
  const z = h[6] * x + h[7] * y + h[8];
  const u = (h[0] * x + h[1] * y + h[2]) / z;
  const v = (h[3] * x + h[4] * y + h[5]) / z;
  // Jacobian of (u, v) at (x, y)
  const a = (h[0] - u * h[6]) / z,
    b = (h[1] - u * h[7]) / z;
  const c = (h[3] - v * h[6]) / z,
    d = (h[4] - v * h[7]) / z;
  return tiltOfLinear(a, b, c, d);
}

/**
 * Cyclic Jacobi on a symmetric n x n matrix (destroyed: its diagonal ends as the eigenvalues). Eigenvectors go to
 * the columns of `vecs`; returns the column index of the smallest (pick = -1) or largest (pick = 1) eigenvalue.
 */
function jacobiEigen(a: Float64Array, vecs: Float64Array, n: number, pick: -1 | 1): number {
  vecs.fill(0);
  for (let i = 0; i < n; i++) vecs[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p] * a[p * n + p];
      for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = vecs[k * n + p];
          const vkq = vecs[k * n + q];
          vecs[k * n + p] = c * vkp - s * vkq;
          vecs[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (pick * (a[i * n + i] - a[best * n + best]) > 0) best = i;
  return best;
}

/** Collinear points leave a second (near) zero eigenvalue: the solution is not unique. */
function isCollinear(eig: Float64Array, k: number): boolean {
  let max = 0;
  let second = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 9; i++) {
    const v = Math.abs(eig[i * 9 + i]);
    if (v > max) max = v;
    if (i !== k && v < second) second = v;
  }
  return second <= 1e-12 * max;
}

/** Hoare quickselect: the k-th smallest of a[lo..hi] (partially reorders a). */
function select(a: Float64Array, lo: number, hi: number, k: number): number {
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Out-of-plane tilt (radians) implied by the least-squares affine map src -> dst (flat xy arrays): acos(s2 / s1)
 * of its linear part. Six parameters instead of eight, so landmark jitter fakes less tilt than the homography's
 * local linear map does; weak perspective is affine, so this is the plane's turn in that model.
 */
export function affineTilt(src: ArrayLike<number>, dst: ArrayLike<number>, n: number): number {
  // centre both sets, then solve the 2x2 normal equations for each output row
  let sx = 0,
    sy = 0,
    du = 0,
    dv = 0;
  for (let i = 0; i < n; i++) {
    sx += src[2 * i];
    sy += src[2 * i + 1];
    du += dst[2 * i];
    dv += dst[2 * i + 1];
  }
  sx /= n;
  sy /= n;
  du /= n;
  dv /= n;
  let xx = 0,
    xy = 0,
    yy = 0,
    ux = 0,
    uy = 0,
    vx = 0,
    vy = 0;
  for (let i = 0; i < n; i++) {
    const x = src[2 * i] - sx,
      y = src[2 * i + 1] - sy,
      u = dst[2 * i] - du,
      v = dst[2 * i + 1] - dv;
    xx += x * x;
    xy += x * y;
    yy += y * y;
    ux += u * x;
    uy += u * y;
    vx += v * x;
    vy += v * y;
  }
  const det = xx * yy - xy * xy;
  if (!(Math.abs(det) > 0)) return Number.NaN;
  const a = (ux * yy - uy * xy) / det,
    b = (uy * xx - ux * xy) / det;
  const c = (vx * yy - vy * xy) / det,
    d = (vy * xx - vx * xy) / det;
  return tiltOfLinear(a, b, c, d);
}

/** acos(s2 / s1) of the 2x2 map [[a b] [c d]] (closed-form singular values). */
function tiltOfLinear(a: number, b: number, c: number, d: number): number {
  const e = (a + d) / 2,
    f = (a - d) / 2,
    g = (c + b) / 2,
    k = (c - b) / 2;
  const q = Math.hypot(e, k),
    r = Math.hypot(f, g);
  const s1 = q + r,
    s2 = Math.abs(q - r);
  if (!(s1 > 0)) return Number.NaN;
  return Math.acos(Math.min(1, s2 / s1));
}

/**
 * Out-of-plane rotation (radians) between two 3D point sets (flat xyz, same order): the best rotation mapping `a` onto
 * `b` after removing centroids and scale (Horn's quaternion method), measured as the angle its viewing axis turns,
 * so a turn or nod counts and an in-plane roll does not. `work` needs 32 entries.
 */
export function outOfPlaneRotation(a: ArrayLike<number>, b: ArrayLike<number>, n: number, work: Float64Array): number {
  let ax = 0,
    ay = 0,
    az = 0,
    bx = 0,
    by = 0,
    bz = 0;
  for (let i = 0; i < n; i++) {
    ax += a[3 * i];
    ay += a[3 * i + 1];
    az += a[3 * i + 2];
    bx += b[3 * i];
    by += b[3 * i + 1];
    bz += b[3 * i + 2];
  }
  ax /= n;
  ay /= n;
  az /= n;
  bx /= n;
  by /= n;
  bz /= n;
  let sxx = 0,
    sxy = 0,
    sxz = 0,
    syx = 0,
    syy = 0,
    syz = 0,
    szx = 0,
    szy = 0,
    szz = 0;
  for (let i = 0; i < n; i++) {
    const x = a[3 * i] - ax,
      y = a[3 * i + 1] - ay,
      z = a[3 * i + 2] - az;
    const u = b[3 * i] - bx,
      v = b[3 * i + 1] - by,
      w = b[3 * i + 2] - bz;
    sxx += x * u;
    sxy += x * v;
    sxz += x * w;
    syx += y * u;
    syy += y * v;
    syz += y * w;
    szx += z * u;
    szy += z * v;
    szz += z * w;
  }
  const m = work.subarray(0, 16);
  m[0] = sxx + syy + szz;
  m[1] = syz - szy;
  m[2] = szx - sxz;
  m[3] = sxy - syx;
  m[5] = sxx - syy - szz;
  m[6] = sxy + syx;
  m[7] = szx + sxz;
  m[10] = -sxx + syy - szz;
  m[11] = syz + szy;
  m[15] = -sxx - syy + szz;
  m[4] = m[1];
  m[8] = m[2];
  m[12] = m[3];
  m[9] = m[6];
  m[13] = m[7];
  m[14] = m[11];
  const vecs = work.subarray(16, 32);
  const k = jacobiEigen(m, vecs, 4, 1);
  const q0 = vecs[k],
    qx = vecs[4 + k],
    qy = vecs[8 + k],
    qz = vecs[12 + k];
  const norm = q0 * q0 + qx * qx + qy * qy + qz * qz;
  if (!(norm > 0)) return Number.NaN;
  // r22 of the rotation: cosine of the angle between the two viewing axes
  const r22 = (q0 * q0 - qx * qx - qy * qy + qz * qz) / norm;
  return Math.acos(Math.max(-1, Math.min(1, r22)));
}

import { describe, expect, it } from 'vitest';
import { HomographyFitter, applyHomography, homographyTilt, outOfPlaneRotation } from '../../src/decision/homography.js';
import { isLivecheckError } from '../../src/errors.js';
import { mulberry32 } from './synthetic-head.js';

/** A random, well-conditioned homography: similarity + shear + mild projective part, in pixel units. */
function randomHomography(rand: () => number): Float64Array {
  const a = (rand() - 0.5) * 1.2;
  const s = 0.6 + rand();
  const h = new Float64Array([
    s * Math.cos(a) + (rand() - 0.5) * 0.3,
    -s * Math.sin(a) + (rand() - 0.5) * 0.3,
    (rand() - 0.5) * 400,
    s * Math.sin(a) + (rand() - 0.5) * 0.3,
    s * Math.cos(a) + (rand() - 0.5) * 0.3,
    (rand() - 0.5) * 400,
    (rand() - 0.5) * 1e-3,
    (rand() - 0.5) * 1e-3,
    1,
  ]);
  return h;
}

function warp(h: ArrayLike<number>, src: Float64Array, n: number): Float64Array {
  const dst = new Float64Array(2 * n);
  const p: [number, number] = [0, 0];
  for (let i = 0; i < n; i++) {
    applyHomography(h, src[2 * i], src[2 * i + 1], p);
    dst[2 * i] = p[0];
    dst[2 * i + 1] = p[1];
  }
  return dst;
}

describe('HomographyFitter', () => {
  it('recovers random homographies exactly from noise-free planar points', () => {
    const rand = mulberry32(7);
    const fitter = new HomographyFitter(200);
    const h = new Float64Array(9);
    for (let trial = 0; trial < 50; trial++) {
      const n = 4 + Math.floor(rand() * 150);
      const src = new Float64Array(2 * n);
      for (let i = 0; i < 2 * n; i++) src[i] = 100 + rand() * 440;
      const truth = randomHomography(rand);
      const dst = warp(truth, src, n);
      expect(fitter.fit(src, dst, n, h)).toBe(true);
      expect(fitter.transferErrors(h, src, dst, n)).toBeLessThan(1e-6);
      // same matrix up to scale (both normalised to unit norm, h33 > 0)
      let norm = 0;
      for (let i = 0; i < 9; i++) norm += truth[i] * truth[i];
      norm = Math.sqrt(norm);
      for (let i = 0; i < 9; i++) expect(h[i]).toBeCloseTo(truth[i] / norm, 8);
      // and it predicts points it never saw
      const probe: [number, number] = [0, 0];
      const expected: [number, number] = [0, 0];
      applyHomography(h, 321, 123, probe);
      applyHomography(truth, 321, 123, expected);
      expect(Math.hypot(probe[0] - expected[0], probe[1] - expected[1])).toBeLessThan(1e-6);
    }
  });

  it('the robust fit ignores a minority of gross outliers', () => {
    const rand = mulberry32(11);
    const n = 100;
    const src = new Float64Array(2 * n);
    for (let i = 0; i < 2 * n; i++) src[i] = rand() * 400;
    const truth = randomHomography(rand);
    const dst = warp(truth, src, n);
    for (let i = 0; i < 15; i++) {
      dst[2 * i] += 30 + rand() * 40;
      dst[2 * i + 1] -= 30 + rand() * 40;
    }
    const fitter = new HomographyFitter(n);
    const h = new Float64Array(9);
    fitter.fit(src, dst, n, h);
    const plainInlierError = fitter.transferErrors(h, src.subarray(30), dst.subarray(30), n - 15);
    expect(plainInlierError).toBeGreaterThan(1); // least squares is dragged by the outliers
    fitter.fitRobust(src, dst, n, h, { iterations: 20 });
    for (let i = 0; i < 15; i++) expect(fitter.residuals[i]).toBeGreaterThan(30);
    expect(fitter.transferErrors(h, src.subarray(30), dst.subarray(30), n - 15)).toBeLessThan(1e-3);
  });

  it('reports degenerate (collinear) input instead of a made-up fit', () => {
    const fitter = new HomographyFitter(10);
    const src = new Float64Array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    const h = new Float64Array(9);
    expect(fitter.fit(src, src, 5, h)).toBe(false);
  });

  it('rejects too few points with a typed error', () => {
    const fitter = new HomographyFitter(10);
    const h = new Float64Array(9);
    const pts = new Float64Array(6);
    try {
      fitter.fit(pts, pts, 3, h);
      expect.unreachable();
    } catch (e) {
      expect(isLivecheckError(e, 'invalid-argument')).toBe(true);
    }
  });

  it('tilt: zero for similarity, acos(s2/s1) for a foreshortening', () => {
    const a = 0.7;
    const sim = [2 * Math.cos(a), -2 * Math.sin(a), 5, 2 * Math.sin(a), 2 * Math.cos(a), -3, 0, 0, 1];
    expect(homographyTilt(sim, 10, 20)).toBeCloseTo(0, 6);
    const turned = [Math.cos(0.3), 0, 0, 0, 1, 0, 0, 0, 1]; // plane turned 0.3 rad about the vertical axis
    expect(homographyTilt(turned, 10, 20)).toBeCloseTo(0.3, 9);
  });
});

describe('outOfPlaneRotation', () => {
  const rot = (yaw: number, pitch: number, roll: number, p: number[]) => {
    const [cy, sy, cp, sp, cr, sr] = [Math.cos(yaw), Math.sin(yaw), Math.cos(pitch), Math.sin(pitch), Math.cos(roll), Math.sin(roll)];
    let [x, y, z] = p;
    [x, z] = [cy * x + sy * z, -sy * x + cy * z]; // yaw about y
    [y, z] = [cp * y - sp * z, sp * y + cp * z]; // pitch about x
    [x, y] = [cr * x - sr * y, sr * x + cr * y]; // roll about z
    return [x, y, z];
  };

  it('measures turns and nods, ignores roll, scale and translation', () => {
    const rand = mulberry32(3);
    const n = 30;
    const a = new Float64Array(3 * n);
    for (let i = 0; i < 3 * n; i++) a[i] = (rand() - 0.5) * 100;
    const work = new Float64Array(32);
    const moved = (yaw: number, pitch: number, roll: number) => {
      const b = new Float64Array(3 * n);
      for (let i = 0; i < n; i++) {
        const [x, y, z] = rot(yaw, pitch, roll, [a[3 * i], a[3 * i + 1], a[3 * i + 2]]);
        b.set([2 * x + 40, 2 * y - 7, 2 * z + 3], 3 * i);
      }
      return b;
    };
    expect(outOfPlaneRotation(a, moved(0.3, 0, 0), n, work)).toBeCloseTo(0.3, 9);
    expect(outOfPlaneRotation(a, moved(0, -0.2, 0), n, work)).toBeCloseTo(0.2, 9);
    expect(outOfPlaneRotation(a, moved(0, 0, 0.8), n, work)).toBeCloseTo(0, 7);
    expect(outOfPlaneRotation(a, moved(0.3, 0, 0.8), n, work)).toBeCloseTo(0.3, 9);
  });
});

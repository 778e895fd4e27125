// Measures a canonical face from real meshes: generalized Procrustes analysis (align every mesh to the running mean
// with a similarity fit, average, repeat), then made left/right symmetric, scaled to a 90-unit outer-eye-corner span
// and rotated so the meshes' average pitch is zero (the average portrait faces the camera). Used to replace the
// analytic table in canonical-face.ts with one measured on FaceMesh output, so that the canonical face has the
// model's own depth scale and proportions.

import { LivecheckError } from '../errors.js';
import type { Point3 } from '../types.js';
import type { CanonicalPoint } from './canonical-face.js';
import { MIRROR_PAIRS } from '../face/landmarks.js';
import { PoseFitter, createHeadPose, rotationFromEuler } from './pose.js';

export interface MeasureCanonicalOptions {
  iterations?: number;
  /** Distance between the outer eye corners (33, 263) in the result. */
  eyeSpan?: number;
}

/**
 * A canonical face with the indices and weights of `template`, measured from `meshes` (468+ points each, roughly
 * frontal). `template` also gives the starting shape and orientation.
 */
export function measureCanonicalFace(meshes: ReadonlyArray<readonly Point3[]>, template: readonly CanonicalPoint[], options: MeasureCanonicalOptions = {}): CanonicalPoint[] {
  const { iterations = 10, eyeSpan = 90 } = options;
  if (meshes.length < 3) throw new LivecheckError('invalid-argument', 'measuring a canonical face needs at least 3 meshes', { meshes: meshes.length });
  const idx = template.map((c) => c.index);
  const pos = new Map(idx.map((v, i) => [v, i]));
  const partner = idx.map((v) => {
    const pair = MIRROR_PAIRS.find(([a, b]) => a === v || b === v);
    const other = pair ? (pair[0] === v ? pair[1] : pair[0]) : v;
    const j = pos.get(other);
    if (j === undefined) throw new LivecheckError('invalid-argument', `canonical point ${v} has its mirror partner ${other} missing from the template`);
    return j;
  });
  let mean: CanonicalPoint[] = template.map((c) => ({ index: c.index, point: [c.point[0], c.point[1], c.point[2]], weight: c.weight }));
  const pose = createHeadPose();
  let pitchSum = 0;
  let used = 0;
  for (let it = 0; it < iterations; it++) {
    const fitter = new PoseFitter(mean);
    const acc = idx.map(() => [0, 0, 0]);
    used = 0;
    pitchSum = 0;
    for (const mesh of meshes) {
      if (!fitter.fit(mesh, pose)) continue;
      const r = pose.rotation,
        t = pose.translation,
        inv = 1 / pose.scale;
      for (let i = 0; i < idx.length; i++) {
        const p = mesh[idx[i]];
        const x = p[0] - t[0],
          y = p[1] - t[1],
          z = p[2] - t[2];
        acc[i][0] += (r[0] * x + r[3] * y + r[6] * z) * inv;
        acc[i][1] += (r[1] * x + r[4] * y + r[7] * z) * inv;
        acc[i][2] += (r[2] * x + r[5] * y + r[8] * z) * inv;
      }
      pitchSum += pose.pitchDeg;
      used++;
    }
    if (used < 3) throw new LivecheckError('invalid-argument', 'fewer than 3 meshes could be fitted', { used });
    const avg = acc.map((a) => [a[0] / used, a[1] / used, a[2] / used]);
    // symmetric: average each point with its mirrored partner; midline points get x = 0
    const sym = avg.map((a, i) => {
      const b = avg[partner[i]];
      return [0.5 * (a[0] - b[0]), 0.5 * (a[1] + b[1]), 0.5 * (a[2] + b[2])];
    });
    // origin between the outer eye corners, span = eyeSpan
    const r33 = pos.get(33),
      l263 = pos.get(263);
    if (r33 === undefined || l263 === undefined) throw new LivecheckError('invalid-argument', 'the template must contain the outer eye corners 33 and 263');
    const o = [0, 0.5 * (sym[r33][1] + sym[l263][1]), 0.5 * (sym[r33][2] + sym[l263][2])];
    const k = eyeSpan / Math.abs(sym[l263][0] - sym[r33][0]);
    mean = mean.map((c, i) => ({ index: c.index, weight: c.weight, point: [(sym[i][0] - o[0]) * k, (sym[i][1] - o[1]) * k, (sym[i][2] - o[2]) * k] }));
  }
  // zero pitch = the meshes' average pitch (their yaw and roll average out by symmetry)
  const x = rotationFromEuler(0, pitchSum / used, 0);
  return mean.map((c) => {
    const [px, py, pz] = c.point;
    return { index: c.index, weight: c.weight, point: [x[0] * px + x[1] * py + x[2] * pz, x[3] * px + x[4] * py + x[5] * pz, x[6] * px + x[7] * py + x[8] * pz] };
  });
}

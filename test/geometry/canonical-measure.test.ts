import { describe, expect, it } from 'vitest';
import { ANALYTIC_CANONICAL_FACE } from '../../src/geometry/canonical-face.js';
import { measureCanonicalFace } from '../../src/geometry/canonical-measure.js';
import { PoseFitter, createHeadPose } from '../../src/geometry/pose.js';
import { NEUTRAL, SyntheticFace, mulberry32 } from '../helpers/synthetic-face.js';

describe('measureCanonicalFace', () => {
  // a person with clearly different proportions from the analytic shape
  const face = new SyntheticFace({ seed: 5, width: 0.9, height: 1.15, depth: 1.3, jitterMm: 2.5 });
  const rand = mulberry32(3);
  const meshes = Array.from({ length: 40 }, (_, i) =>
    face.landmarks({ ...NEUTRAL, yawDeg: (rand() - 0.5) * 20, pitchDeg: (rand() - 0.5) * 16, rollDeg: (rand() - 0.5) * 20, pxPerMm: 1 + rand(), noisePx: 0.4 }, i + 1),
  );

  it('learns the shape: lower residual and absolute angles within 1.5 deg on new views of that face', () => {
    const measured = measureCanonicalFace(meshes, ANALYTIC_CANONICAL_FACE);
    const before = new PoseFitter(ANALYTIC_CANONICAL_FACE),
      after = new PoseFitter(measured);
    const p = createHeadPose(),
      q = createHeadPose();
    for (const [yaw, pitch, roll] of [
      [25, 0, 0],
      [-20, 15, 5],
      [0, -18, -10],
      [10, 10, 10],
    ]) {
      const lm = face.landmarks({ ...NEUTRAL, yawDeg: yaw, pitchDeg: pitch, rollDeg: roll, noisePx: 0.4 }, 999);
      before.fit(lm, p);
      after.fit(lm, q);
      expect(q.residual).toBeLessThan(p.residual / 2);
      expect(Math.abs(q.yawDeg - yaw)).toBeLessThan(1.5);
      expect(Math.abs(q.pitchDeg - pitch)).toBeLessThan(1.5);
      expect(Math.abs(q.rollDeg - roll)).toBeLessThan(1.5);
    }
  });

  it('returns a symmetric face with a 90-unit eye span, origin between the outer eye corners', () => {
    const m = measureCanonicalFace(meshes, ANALYTIC_CANONICAL_FACE);
    const at = (i: number) => m.find((c) => c.index === i)!.point;
    expect(at(263)[0] - at(33)[0]).toBeCloseTo(90, 6);
    expect(at(263)[0] + at(33)[0]).toBeCloseTo(0, 6);
    expect(at(133)[0]).toBeCloseTo(-at(362)[0], 6);
    expect(at(133)[2]).toBeCloseTo(at(362)[2], 6);
    expect(at(1)[0]).toBeCloseTo(0, 6);
    expect(m.map((c) => c.weight)).toEqual(ANALYTIC_CANONICAL_FACE.map((c) => c.weight));
  });

  it('needs at least 3 meshes and complete mirror pairs', () => {
    expect(() => measureCanonicalFace(meshes.slice(0, 2), ANALYTIC_CANONICAL_FACE)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() =>
      measureCanonicalFace(
        meshes,
        ANALYTIC_CANONICAL_FACE.filter((c) => c.index !== 263),
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});

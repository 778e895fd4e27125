import { describe, expect, it } from 'vitest';
import { CANONICAL_FACE } from '../../src/geometry/canonical-face.js';
import { PoseFitter, createHeadPose, eulerFromRotation, rotationFromEuler } from '../../src/geometry/pose.js';
import { NEUTRAL, SyntheticFace, mirrorLandmarks } from '../helpers/synthetic-face.js';

const identities = [
  new SyntheticFace(),
  new SyntheticFace({ seed: 99, width: 0.93, height: 1.08, depth: 0.9, jitterMm: 2 }),
  new SyntheticFace({ seed: 3, width: 1.0, height: 1.0, depth: 1.25, jitterMm: 1 }),
];

function multiply(a: number[], b: number[]): number[] {
  const out = new Array(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

describe('euler <-> rotation', () => {
  it('round-trips angles and produces orthonormal matrices', () => {
    for (const [y, p, r] of [
      [0, 0, 0],
      [30, -20, 10],
      [-45, 25, -30],
      [10, 5, 170],
    ]) {
      const m = rotationFromEuler(y, p, r);
      const back = eulerFromRotation(m);
      expect(back.yawDeg).toBeCloseTo(y, 9);
      expect(back.pitchDeg).toBeCloseTo(p, 9);
      expect(back.rollDeg).toBeCloseTo(r, 9);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          const dot = m[i * 3] * m[j * 3] + m[i * 3 + 1] * m[j * 3 + 1] + m[i * 3 + 2] * m[j * 3 + 2];
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
        }
    }
  });

  it('follows the documented signs: yaw>0 nose to +x, pitch>0 nose up, roll>0 clockwise', () => {
    const nose = [0, 0, -1];
    const apply = (m: number[], v: number[]) => [0, 1, 2].map((i) => m[i * 3] * v[0] + m[i * 3 + 1] * v[1] + m[i * 3 + 2] * v[2]);
    expect(apply(rotationFromEuler(20, 0, 0), nose)[0]).toBeGreaterThan(0.3);
    expect(apply(rotationFromEuler(0, 20, 0), nose)[1]).toBeLessThan(-0.3);
    // clockwise on screen with y down: +x axis turns toward +y
    expect(apply(rotationFromEuler(0, 0, 20), [1, 0, 0])[1]).toBeGreaterThan(0.3);
  });
});

describe('PoseFitter', () => {
  const fitter = new PoseFitter(CANONICAL_FACE);

  // The "true" pose of a face whose shape differs from the canonical one is its pose relative to its own frontal
  // view: a person's frontal mesh fits the canonical face with a small constant offset (their own shape), which the
  // challenge removes with a per-session baseline. So the expected rotation is R(known) * R(fit of the frontal view).
  it('recovers yaw up to 30 deg and pitch up to 20 deg within 3 deg on faces that differ from the canonical one', () => {
    const pose = createHeadPose();
    const frontal = createHeadPose();
    let worst = 0;
    for (const [k, face] of identities.entries()) {
      expect(fitter.fit(face.landmarks(NEUTRAL), frontal)).toBe(true);
      for (let yaw = -30; yaw <= 30; yaw += 5) {
        for (let pitch = -20; pitch <= 20; pitch += 5) {
          for (const roll of [-15, 0, 12]) {
            const lm = face.landmarks({ ...NEUTRAL, yawDeg: yaw, pitchDeg: pitch, rollDeg: roll, noisePx: 0.6 }, yaw * 1000 + pitch * 10 + roll + k);
            expect(fitter.fit(lm, pose)).toBe(true);
            const want = eulerFromRotation(multiply(rotationFromEuler(yaw, pitch, roll), frontal.rotation));
            const err = Math.max(Math.abs(pose.yawDeg - want.yawDeg), Math.abs(pose.pitchDeg - want.pitchDeg), Math.abs(pose.rollDeg - want.rollDeg));
            worst = Math.max(worst, err);
            expect(err, `identity ${k} yaw ${yaw} pitch ${pitch} roll ${roll}: got ${pose.yawDeg.toFixed(2)}, ${pose.pitchDeg.toFixed(2)}, ${pose.rollDeg.toFixed(2)}`).toBeLessThanOrEqual(3);
          }
        }
      }
    }
    // exact recovery would be suspicious: the faces differ from the canonical one and carry noise
    expect(worst).toBeGreaterThan(0.01);
  });

  it('gives absolute angles within 3 deg for a face of average proportions (no baseline)', () => {
    const pose = createHeadPose();
    for (let yaw = -30; yaw <= 30; yaw += 10) {
      for (let pitch = -20; pitch <= 20; pitch += 10) {
        const lm = identities[0].landmarks({ ...NEUTRAL, yawDeg: yaw, pitchDeg: pitch, rollDeg: 5, noisePx: 0.5 }, yaw + pitch);
        fitter.fit(lm, pose);
        expect(Math.abs(pose.yawDeg - yaw)).toBeLessThanOrEqual(3);
        expect(Math.abs(pose.pitchDeg - pitch)).toBeLessThanOrEqual(3);
        expect(Math.abs(pose.rollDeg - 5)).toBeLessThanOrEqual(3);
      }
    }
  });

  it('recovers scale and translation', () => {
    const pose = createHeadPose();
    const lm = identities[2].landmarks({ ...NEUTRAL, pxPerMm: 2.5, centerX: 100, centerY: 400, yawDeg: 10 });
    expect(fitter.fit(lm, pose)).toBe(true);
    expect(pose.scale).toBeGreaterThan(2.5 * 0.9);
    expect(pose.scale).toBeLessThan(2.5 * 1.1);
    expect(Math.abs(pose.translation[0] - 100)).toBeLessThan(10);
    expect(Math.abs(pose.translation[1] - 400)).toBeLessThan(10);
  });

  it('mirroring the image negates yaw and roll and keeps pitch', () => {
    const a = createHeadPose();
    const b = createHeadPose();
    for (const [yaw, pitch, roll] of [
      [25, 10, 8],
      [-18, -12, -5],
      [5, 18, 14],
    ]) {
      const lm = identities[0].landmarks({ ...NEUTRAL, yawDeg: yaw, pitchDeg: pitch, rollDeg: roll, noisePx: 0.4 }, 5);
      fitter.fit(lm, a);
      fitter.fit(mirrorLandmarks(lm, 640), b);
      expect(b.yawDeg).toBeCloseTo(-a.yawDeg, 6);
      expect(b.rollDeg).toBeCloseTo(-a.rollDeg, 6);
      expect(b.pitchDeg).toBeCloseTo(a.pitchDeg, 6);
    }
  });

  it('reports a larger residual for a mesh that is not the canonical shape', () => {
    const pose = createHeadPose();
    const lm = identities[0].landmarks(NEUTRAL);
    fitter.fit(lm, pose);
    const good = pose.residual;
    const broken = lm.map((p) => [...p] as [number, number, number]);
    broken[1] = [broken[1][0] + 40, broken[1][1] - 30, broken[1][2]]; // nose tip displaced
    fitter.fit(broken, pose);
    expect(pose.residual).toBeGreaterThan(good * 2);
  });

  it('refuses incomplete or non-finite meshes', () => {
    const pose = createHeadPose();
    expect(fitter.fit(identities[0].landmarks(NEUTRAL).slice(0, 100), pose)).toBe(false);
    const lm = identities[0].landmarks(NEUTRAL);
    lm[33] = [NaN, 0, 0];
    expect(fitter.fit(lm, pose)).toBe(false);
    expect(() => new PoseFitter(CANONICAL_FACE.slice(0, 3))).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});

// Pure parts of the match: the similarity alignment recovers a known transform; distances and the decision.
import { describe, expect, it } from 'vitest';
import { MATCH_TEMPLATE, alignToImage, alignmentPoints } from '../../src/match/index.js';
import { descriptorDistance, matchDescriptors, CALIBRATED_FACE_MATCH } from '../../src/decision/face-match.js';
import type { Point3 } from '../../src/types.js';

describe('alignToImage', () => {
  it('recovers a rotation + scale + shift from the template points exactly', () => {
    const angle = 0.3,
      scale = 2.5,
      tx = 100,
      ty = 40;
    const pts = new Float64Array(6);
    MATCH_TEMPLATE.forEach(([u, v], i) => {
      pts[2 * i] = scale * (Math.cos(angle) * u - Math.sin(angle) * v) + tx;
      pts[2 * i + 1] = scale * (Math.sin(angle) * u + Math.cos(angle) * v) + ty;
    });
    const m = alignToImage(pts);
    expect(m[0]).toBeCloseTo(scale * Math.cos(angle), 9);
    expect(m[3]).toBeCloseTo(scale * Math.sin(angle), 9);
    expect(m[2]).toBeCloseTo(tx, 9);
    expect(m[5]).toBeCloseTo(ty, 9);
  });

  it('takes iris centres and inner-lip points from 478 landmarks, image-left eye first', () => {
    const lm: Point3[] = Array.from({ length: 478 }, () => [0, 0, 0]);
    lm[468] = [300, 100, 0]; // this eye is on the image right
    lm[473] = [200, 100, 0];
    for (const i of [13, 14, 61, 291]) lm[i] = [250, 180, 0];
    expect(Array.from(alignmentPoints(lm))).toEqual([200, 100, 300, 100, 250, 180]);
    expect(() => alignmentPoints(lm.slice(0, 100))).toThrow(/468/);
  });

  it('rejects coincident points', () => {
    expect(() => alignToImage(new Float64Array(6).fill(5))).toThrow(/degenerate/);
  });
});

describe('descriptor distance and decision', () => {
  it('is Euclidean and feeds decideFaceMatch', () => {
    const a = new Float32Array(128),
      b = new Float32Array(128);
    b[0] = 0.3;
    b[1] = 0.4;
    expect(descriptorDistance(a, b)).toBeCloseTo(0.5, 6);
    expect(matchDescriptors(a, a, null, CALIBRATED_FACE_MATCH).verdict).toBe('match');
    expect(matchDescriptors(a, b, null, CALIBRATED_FACE_MATCH).verdict).toBe('review'); // 0.5: between match and large difference
    b[2] = 1;
    expect(matchDescriptors(a, b, null, CALIBRATED_FACE_MATCH).reasons[0].code).toBe('large-difference');
    expect(() => descriptorDistance(a, new Float32Array(64))).toThrow(/lengths/);
  });
});

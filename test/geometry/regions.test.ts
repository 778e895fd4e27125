import { describe, expect, it } from 'vitest';
import { faceRegionBoxes } from '../../src/geometry/regions.js';
import type { Box, Point3 } from '../../src/types.js';
import { NEUTRAL, SyntheticFace } from '../helpers/synthetic-face.js';

const inside = (b: Box, p: Point3) => p[0] >= b.x && p[0] <= b.x + b.width && p[1] >= b.y && p[1] <= b.y + b.height;
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('faceRegionBoxes', () => {
  const face = new SyntheticFace();

  it('boxes the eyes, the mouth and the cheeks without overlapping each other', () => {
    const lm = face.landmarks({ ...NEUTRAL, yawDeg: 10, rollDeg: 5 });
    const r = faceRegionBoxes(lm, 640, 480);
    for (const i of [33, 133, 160, 158, 144, 153, 468]) expect(inside(r.rightEye, lm[i]), `right eye ${i}`).toBe(true);
    for (const i of [263, 362, 387, 385, 373, 380, 473]) expect(inside(r.leftEye, lm[i]), `left eye ${i}`).toBe(true);
    for (const i of [61, 291, 13, 14, 0, 17]) expect(inside(r.mouth, lm[i]), `mouth ${i}`).toBe(true);
    expect(inside(r.rightCheek, lm[205])).toBe(true);
    expect(inside(r.leftCheek, lm[425])).toBe(true);
    const all = [r.rightEye, r.leftEye, r.mouth, r.rightCheek, r.leftCheek];
    for (let a = 0; a < all.length; a++) for (let b = a + 1; b < all.length; b++) expect(overlap(all[a], all[b]), `${a} ${b}`).toBe(false);
    // the image-left eye box is the right eye on an unmirrored frame
    expect(r.rightEye.x).toBeLessThan(r.leftEye.x);
  });

  it('clips to the frame with integer bounds', () => {
    const r = faceRegionBoxes(face.landmarks({ ...NEUTRAL, centerX: 5 }), 640, 480);
    expect(r.rightEye.x).toBe(0);
    for (const b of Object.values(r)) {
      for (const v of [b.x, b.y, b.width, b.height]) expect(Number.isInteger(v)).toBe(true);
      expect(b.x + b.width).toBeLessThanOrEqual(640);
    }
    const gone = faceRegionBoxes(face.landmarks({ ...NEUTRAL, centerX: -500 }), 640, 480);
    expect(gone.mouth.width).toBe(0);
  });
});

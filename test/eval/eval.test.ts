// The attack suite end to end on a subset (one presentation per species, real clips and variants through the engine):
// the metrics are recomputed here from the per-presentation verdicts, never compared with fixed rates. The pure
// pieces (challenge outcome from detected actions, threshold tuning on the tuning split) are checked on plain data.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { dataDir, ensureVariants, repoRoot } from '../helpers/data.js';
import { requireModels } from '../face/engine.js';
import {
  presentations,
  recordPresentation,
  judge,
  metricsReport,
  outcomeFromDetected,
  createRecognizer,
  kernelsOnly,
  MODEL_FEATURES,
  EVAL_VARIANTS,
  type JudgedPresentation,
  type Presentation,
} from '../../tools/eval/eval.js';
import { PassiveModels } from '../../tools/eval/passive-models.js';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/decision/identity.js';
import { activeSignal } from '../../src/decision/index.js';

const detected = (...types: string[]) => types.map((type, i) => ({ type, startMs: i * 1000, endMs: i * 1000 + 300, peak: 0.7 })) as never;

describe('challenge outcome from the detector', () => {
  it('a live window that performed the plan in order is live', () => {
    const o = outcomeFromDetected(['mouth-open', 'blink'], detected('mouth-open', 'smile', 'blink', 'mouth-open'));
    expect(o.orderMatched).toBe(true);
    expect(o.actions.map((a) => a.action)).toEqual(['mouth-open', 'blink']);
    expect(activeSignal(o).verdict).toBe('live');
  });
  it('the same recording against a reversed plan is a spoof (wrong order)', () => {
    const o = outcomeFromDetected(['blink', 'mouth-open'], detected('mouth-open', 'blink'));
    expect(o.orderMatched).toBe(false);
    expect(activeSignal(o).verdict).toBe('spoof');
  });
  it('an action never shown leaves the challenge incomplete (unsure), never live', () => {
    const o = outcomeFromDetected(['turn-left', 'blink'], detected('blink'));
    expect(activeSignal(o).verdict).not.toBe('live');
  });
});

describe('presentations', () => {
  it('every species in both splits, live plans from the labels, replays against a different order', async () => {
    const ps = await presentations(dataDir, Object.fromEntries(EVAL_VARIANTS.map((v) => [v, `/x/${v}.mp4`])), join(repoRoot, 'test/challenge/fixtures/video-labels.json'));
    for (const split of ['tuning', 'held-out']) {
      const species = new Set(ps.filter((p) => p.split === split).map((p) => p.species));
      expect([...species].sort()).toEqual(['bona-fide', 'identity-swap', 'print', 'screen-replay', 'static-photo', 'video-replay']);
    }
    // APCER means something only over several attacks: at least 4 per species and split, each from its own variant
    for (const species of ['print', 'screen-replay', 'static-photo', 'identity-swap']) {
      for (const split of ['tuning', 'held-out']) {
        const attacks = ps.filter((p) => p.species === species && p.split === split);
        expect(attacks.length, `${species} ${split}`).toBeGreaterThanOrEqual(4);
        expect(new Set(attacks.map((p) => p.path)).size).toBe(attacks.length);
      }
    }
    for (const r of ps.filter((p) => p.species === 'video-replay')) {
      const live = ps.find((p) => p.id === r.sameFramesAs)!;
      expect(live.species).toBe('bona-fide');
      expect(r.plan).not.toEqual(live.plan);
      expect(live.plan.length).toBeGreaterThan(0);
    }
  });
});

describe('eval subset on real data', () => {
  const ids = ['live-cap13-330', 'replay-cap13-330', 'print-0', 'screen-replay-0', 'static-photo-0', 'identity-swap-500'];
  let judged: JudgedPresentation[] = [];

  beforeAll(async () => {
    requireModels();
    const variants: Record<string, string> = {};
    for (const v of await ensureVariants(EVAL_VARIANTS)) variants[v.name] = v.path;
    const all = await presentations(dataDir, variants, join(repoRoot, 'test/challenge/fixtures/video-labels.json'));
    const ps: Presentation[] = ids.map((id) => all.find((p) => p.id === id)!);
    const modelDir = join(repoRoot, 'models');
    const models = await PassiveModels.create(modelDir);
    const recognizer = await createRecognizer(modelDir);
    const recs = new Map();
    try {
      for (const p of ps) if (!p.sameFramesAs) recs.set(p.id, await recordPresentation(p, { modelDir }, models, recognizer));
    } finally {
      await models.close();
      await recognizer.close();
    }
    judged = ps.map((p) => judge(p, recs.get(p.sameFramesAs ?? p.id)));
  }, 600_000);

  it('every presentation was seen by the engine and judged by three signals', () => {
    expect(judged.map((j) => j.id)).toEqual(ids);
    for (const j of judged) {
      expect(j.frames).toBeGreaterThan(60);
      expect(j.framesWithFace).toBeGreaterThan(0.8 * j.frames);
      for (const s of Object.values(j.signals)) expect(s.reasons.length).toBeGreaterThan(0);
    }
  });

  it('the live window did what its plan says, the replay of it breaks the order', () => {
    const live = judged.find((j) => j.id === 'live-cap13-330')!;
    expect(live.plan).toEqual(['mouth-open', 'blink']); // from the hand labels
    expect(live.signals.active.verdict).not.toBe('spoof');
    const replay = judged.find((j) => j.id === 'replay-cap13-330')!;
    expect(replay.signals.active.verdict).toBe('spoof');
    expect(replay.verdict).not.toBe('pass');
  });

  it('the identity swap (franck, then cap13 from 3 s) fails as identity-changed; the live window keeps its identity', () => {
    const swap = judged.find((j) => j.id === 'identity-swap-500')!;
    expect(swap.identity.verdict).toBe('changed');
    expect(swap.verdict).toBe('fail');
    expect(swap.reasons[0]).toBe('identity-changed');
    // the person changes at 3 s of the variant (frame timestamps count from the file's start): not before the cut,
    // and within a few readings (every 5th frame) after it
    expect(swap.identity.changedAtMs).toBeGreaterThanOrEqual(3000);
    expect(swap.identity.changedAtMs).toBeLessThan(3500);
    expect(swap.identity.distance).toBeGreaterThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    for (const j of judged.filter((x) => x.species !== 'identity-swap')) {
      expect(j.identity.verdict, j.id).toBe('unchanged');
      expect(j.identity.distance!, j.id).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
      expect(j.reasons).not.toContain('identity-changed');
    }
  });

  it('APCER per species and BPCER match the per-presentation verdicts', () => {
    const m = metricsReport(judged);
    const live = judged.filter((j) => j.species === 'bona-fide');
    expect(m.bona_fide.presentations).toBe(live.length);
    expect(m.bona_fide.rejected).toBe(live.filter((j) => j.verdict !== 'pass').length);
    expect(m.bona_fide.review).toBe(live.filter((j) => j.verdict === 'review').length);
    expect(m.bpcer).toBe(live.filter((j) => j.verdict !== 'pass').length / live.length);
    const species = [...new Set(judged.filter((j) => j.species !== 'bona-fide').map((j) => j.species))].sort();
    expect(Object.keys(m.apcer).sort()).toEqual(species);
    for (const s of species) {
      const attacks = judged.filter((j) => j.species === s);
      const a = m.apcer[s];
      expect(a.attacks).toBe(attacks.length);
      expect(a.accepted).toBe(attacks.filter((j) => j.verdict === 'pass').length);
      expect(a.review).toBe(attacks.filter((j) => j.verdict === 'review').length);
      expect(a.fail).toBe(attacks.filter((j) => j.verdict === 'fail').length);
      expect(a.rate).toBe(a.accepted / a.attacks);
    }
  });
});

// The attack suite end to end on a subset (real clips and variants through the product's attempt pipeline): the
// metrics are recomputed here from the per-presentation verdicts, never compared with fixed rates; a presentation
// played straight through gets the same verdict and reasons from `analyzeVideo` (what `livecheck analyze` runs).
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { dataDir, ensureVariants, repoRoot } from '../helpers/data.js';
import { requireModels } from '../face/engine.js';
import { presentations, presentationPlan, runPresentation, metricsReport, EVAL_VARIANTS, type JudgedPresentation, type Presentation } from '../../tools/eval/eval.js';
import { openChipDescriber } from '../../src/node/attempt.js';
import { createNodeReanalyzer } from '../../src/node/reanalyzer.js';
import { analyzeVideo } from '../../src/node/analyze.js';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/decision/identity.js';
import { DEFAULT_CHALLENGE_CONFIG } from '../../src/challenge/config.js';

describe('presentations', () => {
  it('every species in both splits, live plans from the labels and performed on prompt, replays against a different order', async () => {
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
        for (const a of attacks) expect(a.performed).toBeUndefined(); // an attack does not answer prompts
      }
    }
    for (const live of ps.filter((p) => p.species === 'bona-fide')) {
      expect(live.performed!.map((s) => s.action)).toEqual(live.plan);
      for (const s of live.performed!) expect(s.end).toBeGreaterThanOrEqual(s.start);
    }
    for (const r of ps.filter((p) => p.species === 'video-replay')) {
      const live = ps.find((p) => p.id === r.replays)!;
      expect(live.species).toBe('bona-fide');
      expect(r.plan).not.toEqual(live.plan);
      expect(r.performed).toBeUndefined();
      expect([r.path, r.startMs, r.durationMs]).toEqual([live.path, live.startMs, live.durationMs]);
    }
  });
});

describe('eval subset on real data', () => {
  const ids = ['live-franck-700', 'replay-franck-700', 'print-0', 'static-photo-0', 'identity-swap-500'];
  let ps: Presentation[] = [];
  let judged: JudgedPresentation[] = [];

  beforeAll(async () => {
    requireModels();
    const variants: Record<string, string> = {};
    for (const v of await ensureVariants(EVAL_VARIANTS)) variants[v.name] = v.path;
    const all = await presentations(dataDir, variants, join(repoRoot, 'test/challenge/fixtures/video-labels.json'));
    ps = ids.map((id) => all.find((p) => p.id === id)!);
    const modelDir = join(repoRoot, 'models');
    const describer = (await openChipDescriber(modelDir))!;
    const server = await createNodeReanalyzer({ modelDir });
    try {
      for (const p of ps) judged.push(await runPresentation(p, { modelDir, kernelDir: join(repoRoot, 'build'), describer, server }));
    } finally {
      await describer.close();
      await server.close();
    }
  }, 600_000);

  it('every presentation was judged by the attempt: three signals, the identity check, the challenge outcome', () => {
    expect(judged.map((j) => j.id)).toEqual(ids);
    for (const j of judged) {
      expect(j.frames).toBeGreaterThan(0); // an attempt can end in its first frames (a rejection during calibration)
      expect(j.framesWithFace).toBeGreaterThan(0.8 * j.frames);
      for (const s of [j.signals.active!, j.signals.passive, j.signals.motion]) expect(s.reasons.length).toBeGreaterThan(0);
      expect(j.reasons.length).toBeGreaterThan(0);
    }
  });

  it('the performed live window answers each prompt after a human reaction time and passes; played straight through against another order it does not', () => {
    const live = judged.find((j) => j.id === 'live-franck-700')!;
    expect(live.plan).toEqual(['blink']); // from the hand labels
    expect(live.challenge.outcome).toBe('completed');
    expect(live.challenge.actions.map((a) => a.action)).toEqual(live.plan);
    for (const a of live.challenge.actions) expect(a.latencyMs).toBeGreaterThanOrEqual(DEFAULT_CHALLENGE_CONFIG.minLatencyMs);
    expect(live.verdict).toBe('pass');
    const replay = judged.find((j) => j.id === 'replay-franck-700')!;
    expect(replay.challenge.outcome).not.toBe('completed');
    expect(replay.verdict).not.toBe('pass');
  });

  it('no attack passes', () => {
    for (const j of judged.filter((x) => x.species !== 'bona-fide')) expect(j.verdict, j.id).not.toBe('pass');
  });

  it('the server path: each attempt recorded its bundle, and the server judged it from the decoded video as the client did', () => {
    for (const j of judged) {
      expect(j.server, j.id).not.toBeNull();
      // binding checks pass for the product's own bundles; only what the video shows can differ
      for (const c of ['format', 'version', 'chain', 'nonce', 'plan', 'document', 'timestamps', 'video', 'keyframes', 'video-reanalysis']) expect(j.server!.failedChecks, j.id).not.toContain(c);
      expect(j.server!.bundleBytes).toBeLessThan(1e6);
      if (j.species !== 'bona-fide') expect(j.server!.verdict, j.id).not.toBe('pass');
    }
    const live = judged.find((j) => j.id === 'live-franck-700')!;
    expect(live.server!.verdict).toBe('pass');
    // the server's own signals, from the decoded video: all three live for the live window
    expect(live.server!.signals).toEqual({ active: 'live', passive: 'live', motion: 'live' });
    expect(live.server!.passiveFused).toBeGreaterThan(0);
    expect(judged.find((j) => j.id === 'identity-swap-500')!.server!.reasons).toContain('identity-changed');
  });

  it('the identity swap (franck, then cap13 from 3 s) fails as identity-changed; the live window keeps its identity', () => {
    const swap = judged.find((j) => j.id === 'identity-swap-500')!;
    expect(swap.identity.verdict).toBe('changed');
    expect(swap.verdict).toBe('fail');
    expect(swap.reasons[0]).toBe('identity-changed');
    // the person changes at 3 s of the variant (frame timestamps count from the file's start): not before the cut,
    // and within a few readings after it
    expect(swap.identity.changedAtMs).toBeGreaterThanOrEqual(3000);
    expect(swap.identity.changedAtMs).toBeLessThan(3600);
    expect(swap.identity.distance).toBeGreaterThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    const live = judged.find((j) => j.id === 'live-franck-700')!;
    expect(live.identity.verdict).toBe('unchanged');
    expect(live.identity.distance!).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
  });

  it('a presentation played straight through gets the same verdict and reasons from analyzeVideo (livecheck analyze)', async () => {
    for (const id of ['print-0', 'identity-swap-500']) {
      const p = ps.find((q) => q.id === id)!;
      const j = judged.find((q) => q.id === id)!;
      const report = await analyzeVideo(p.path, { plan: await presentationPlan(p), startMs: p.startMs, maxFrames: j.frames, identity: true, modelDir: join(repoRoot, 'models') });
      expect(report.frames, id).toBe(j.frames);
      expect(report.verdict, id).toBe(j.verdict);
      expect(
        report.reasons!.map((r) => r.code),
        id,
      ).toEqual(j.reasons);
    }
  }, 300_000);

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

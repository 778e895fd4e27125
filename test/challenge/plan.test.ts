import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHALLENGE_ACTIONS, turnYawSign } from '../../src/challenge/actions.js';
import type { ChallengeAction } from '../../src/challenge/actions.js';
import { EXCHANGE_SCRIPT, planFromNonce, type PlanOptions } from '../../src/challenge/plan.js';

const nonce = 'server-nonce-0123456789abcdef';

describe('planFromNonce', () => {
  it('is deterministic for a nonce and binds the nonce digest', async () => {
    const a = await planFromNonce(nonce, { actions: 'random', count: 4 });
    const b = await planFromNonce(nonce, { actions: 'random', count: 4 });
    expect(a).toEqual(b);
    expect(a.nonceDigest).toBe(createHash('sha256').update(nonce).digest('hex'));
    expect(await planFromNonce(new TextEncoder().encode(nonce), { actions: 'random', count: 4 })).toEqual(a);
  });

  it('different nonces give different plans', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      seen.add((await planFromNonce(`${nonce}-${i}`, { actions: 'random', count: 4 })).steps.map((s) => s.action).join(','));
    }
    expect(seen.size).toBeGreaterThan(30);
  });

  it('never repeats an action twice in a row and respects allowed/exclude', async () => {
    for (let i = 0; i < 300; i++) {
      const p = await planFromNonce(new Uint8Array(randomBytes(16)), { actions: 'random', count: 8, allowed: ['blink', 'turn-left', 'nod', 'smile'], exclude: ['smile'] });
      expect(p.steps).toHaveLength(8);
      for (let k = 0; k < p.steps.length; k++) {
        expect(['blink', 'turn-left', 'nod']).toContain(p.steps[k].action);
        if (k) expect(p.steps[k].action).not.toBe(p.steps[k - 1].action);
      }
    }
  });

  it('chooses actions without bias (chi-square over many nonces)', async () => {
    // first action should be uniform over 6 (fixed nonces, so the test is reproducible)
    const first = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const p = await planFromNonce(`deterministic-nonce-${i}`, { actions: 'random', count: 2 });
      first.set(p.steps[0].action, (first.get(p.steps[0].action) ?? 0) + 1);
    }
    const expected = n / CHALLENGE_ACTIONS.length;
    let chi2 = 0;
    for (const a of CHALLENGE_ACTIONS) chi2 += ((first.get(a) ?? 0) - expected) ** 2 / expected;
    // 5 degrees of freedom: P(chi2 > 20.5) = 0.001
    expect(chi2).toBeLessThan(20.5);
  });

  it('uses the default holds, and scripts keep their order and holds', async () => {
    const p = await planFromNonce(nonce, { script: EXCHANGE_SCRIPT });
    expect(p.mode).toBe('script');
    expect(p.steps.map(({ action, holdMs }) => ({ action, holdMs }))).toEqual([
      { action: 'blink', holdMs: 0 },
      { action: 'turn-left', holdMs: 1800 },
      { action: 'turn-right', holdMs: 1800 },
      { action: 'mouth-open', holdMs: 300 },
    ]);
    const two = (await planFromNonce(nonce, { script: ['nod', { action: 'turn-right', holdMs: 500 }] })).steps;
    expect(two.map(({ action, holdMs }) => ({ action, holdMs }))).toEqual([
      { action: 'nod', holdMs: 0 },
      { action: 'turn-right', holdMs: 500 },
    ]);
    // the gaps come from the nonce, not from the script: the same nonce gives the same gaps in both modes
    expect(two[0].gapMs).toBe(p.steps[0].gapMs);
    expect(p.steps[1].gapMs).toBe(two[1].gapMs);
    expect((await planFromNonce(nonce, { actions: 'random', count: 4 })).steps.map((st) => st.gapMs)).toEqual(p.steps.map((st) => st.gapMs));
    // maxGapMs scales them; 0 turns them off
    const wide = await planFromNonce(nonce, { script: EXCHANGE_SCRIPT, maxGapMs: 4000 });
    expect(wide.steps.map((st) => st.gapMs)).toEqual(p.steps.map((st) => 2 * st.gapMs));
    expect((await planFromNonce(nonce, { script: EXCHANGE_SCRIPT, maxGapMs: 0 })).steps.map((st) => st.gapMs)).toEqual([0, 0, 0, 0]);
  });

  it('rejects bad input with typed errors', async () => {
    const invalid = expect.objectContaining({ code: 'invalid-argument' });
    await expect(planFromNonce('short', { actions: 'random', count: 2 })).rejects.toThrow(invalid);
    await expect(planFromNonce(nonce, { actions: 'random', count: 0 })).rejects.toThrow(invalid);
    await expect(planFromNonce(nonce, { actions: 'random', count: 2.5 })).rejects.toThrow(invalid);
    await expect(planFromNonce(nonce, { actions: 'random', count: 2, allowed: ['blink'] })).rejects.toThrow(invalid);
    await expect(planFromNonce(nonce, { actions: 'random', count: 1, allowed: ['blink'], exclude: ['blink'] })).rejects.toThrow(invalid);
    await expect(planFromNonce(nonce, { actions: 'random', count: 1, allowed: ['jump' as never] })).rejects.toThrow(invalid);
    await expect(planFromNonce(nonce, { script: [] })).rejects.toThrow(invalid);
    await expect(planFromNonce(nonce, { script: [{ action: 'nod', holdMs: -1 }] })).rejects.toThrow(invalid);
    for (const maxGapMs of [-1, NaN, Infinity, 10_001]) await expect(planFromNonce(nonce, { script: ['nod'], maxGapMs })).rejects.toThrow(invalid);
    expect((await planFromNonce(nonce, { actions: 'random', count: 1, allowed: ['blink'] })).steps).toEqual([
      { action: 'blink', holdMs: 0, gapMs: (await planFromNonce(nonce, { script: ['nod'] })).steps[0].gapMs },
    ]);
  });
});

// Plans a server recomputes from a nonce must never change across releases (an evidence bundle recorded against an
// older build would fail its plan check). These were captured from the derivation as it stood (SHA-256 counter mode,
// one byte per choice, rejection sampling) and pin it: nonce digest, every action and every hold.
const HOLD: Record<ChallengeAction, number> = { blink: 0, 'turn-left': 1800, 'turn-right': 1800, 'mouth-open': 300, nod: 0, smile: 500 };
const GOLDEN: Array<{ nonce: string | Uint8Array; options: PlanOptions; digest: string; actions: ChallengeAction[]; holds?: Partial<Record<ChallengeAction, number>> }> = [
  {
    nonce: 'server-nonce-0123456789abcdef',
    options: { actions: 'random', count: 4 },
    digest: '6621669f67001a5b2a56c867d16f7e59bced53909e4abce15e95d8385e40970f',
    actions: ['nod', 'turn-right', 'smile', 'mouth-open'],
  },
  {
    nonce: 'golden-nonce-000000000000001',
    options: { actions: 'random', count: 16 },
    digest: '435334c16a41210f7992cfdd7ef6330cfd8bca3c9b0e9438c25671e83bc9428a',
    actions: ['turn-left', 'smile', 'mouth-open', 'turn-left', 'smile', 'turn-right', 'turn-left', 'turn-right', 'nod', 'mouth-open', 'turn-right', 'blink', 'nod', 'turn-left', 'nod', 'blink'],
  },
  {
    nonce: 'golden-nonce-000000000000002',
    options: { actions: 'random', count: 3 },
    digest: '517a99ba6d5347c35884854e05e6b08abb16fb005e370b3e197942b73c0ff64a',
    actions: ['smile', 'blink', 'nod'],
  },
  {
    nonce: 'golden-nonce-000000000000003',
    options: { actions: 'random', count: 8, allowed: ['blink', 'turn-left', 'nod', 'smile'], exclude: ['smile'] },
    digest: 'c54d269bcaae49b59084092139be80c7566cbfaf93594d4577ff26a02081606a',
    actions: ['turn-left', 'blink', 'turn-left', 'blink', 'nod', 'turn-left', 'nod', 'turn-left'],
  },
  {
    nonce: 'golden-nonce-000000000000004',
    options: { actions: 'random', count: 5, holdMs: { nod: 700 } },
    digest: 'f05769303e1f79ee2eded50b9f49d8b68907a3606dd0b0072f9cecb2328bfd5d',
    actions: ['blink', 'turn-right', 'turn-left', 'mouth-open', 'nod'],
    holds: { nod: 700 },
  },
  {
    nonce: Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff),
    options: { actions: 'random', count: 6 },
    digest: '83b7a8ed859053c81d818870fab1f8b1ae44d06a98a9665d369a8fd7d2838ded',
    actions: ['blink', 'mouth-open', 'blink', 'mouth-open', 'nod', 'turn-right'],
  },
];

describe('planFromNonce derivation is frozen', () => {
  it('gives the recorded plans for fixed nonces', async () => {
    for (const g of GOLDEN) {
      const p = await planFromNonce(g.nonce, g.options);
      expect({ ...p, steps: p.steps.map(({ action, holdMs }) => ({ action, holdMs })) }).toEqual({
        nonceDigest: g.digest,
        mode: 'random',
        steps: g.actions.map((action) => ({ action, holdMs: g.holds?.[action] ?? HOLD[action] })),
      });
    }
  });

  it('gives the recorded plans for 2000 more nonces (one digest over all of them)', async () => {
    const h = createHash('sha256');
    for (let i = 0; i < 2000; i++) {
      const p = await planFromNonce(`fingerprint-nonce-${i}`, { actions: 'random', count: 16 });
      h.update(`${p.nonceDigest}:${p.steps.map((s) => s.action).join(',')}\n`);
    }
    expect(h.digest('hex')).toBe('67489b783b7415f478a39f0d9b548f45205b450cac47b4d30bca449f14bc2fe3');
  });

  // re-pinned when the first prompt gained a gap of its own (0.3.0): every bundle's plan check moved with it
  it('gives the recorded prompt gaps for 2000 nonces (one digest over all of them)', async () => {
    const h = createHash('sha256');
    for (let i = 0; i < 2000; i++) {
      const p = await planFromNonce(`fingerprint-nonce-${i}`, { actions: 'random', count: 16 });
      h.update(`${p.steps.map((s) => s.gapMs).join(',')}\n`);
    }
    expect(h.digest('hex')).toBe('5cbfef34e1d02ba35b71431b1d0ae77187a04717ba96109b898a421c9b39c534');
  });
});

describe('turn direction', () => {
  it("turn-left is the person's left: +yaw (nose to the image's right) unmirrored, -yaw mirrored", () => {
    expect(turnYawSign('turn-left', false)).toBe(1);
    expect(turnYawSign('turn-left', true)).toBe(-1);
    expect(turnYawSign('turn-right', false)).toBe(-1);
    expect(turnYawSign('turn-right', true)).toBe(1);
  });
});

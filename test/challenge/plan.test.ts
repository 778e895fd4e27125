import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHALLENGE_ACTIONS, turnYawSign } from '../../src/challenge/actions.js';
import { EXCHANGE_SCRIPT, planFromNonce } from '../../src/challenge/plan.js';
import { sha256Hex } from '../../src/util/sha256.js';

const nonce = 'server-nonce-0123456789abcdef';

describe('planFromNonce', () => {
  it('is deterministic for a nonce and binds the nonce digest', () => {
    const a = planFromNonce(nonce, { actions: 'random', count: 4 });
    const b = planFromNonce(nonce, { actions: 'random', count: 4 });
    expect(a).toEqual(b);
    expect(a.nonceDigest).toBe(sha256Hex(nonce));
    expect(planFromNonce(new TextEncoder().encode(nonce), { actions: 'random', count: 4 })).toEqual(a);
  });

  it('different nonces give different plans', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      seen.add(planFromNonce(`${nonce}-${i}`, { actions: 'random', count: 4 }).steps.map((s) => s.action).join(','));
    }
    expect(seen.size).toBeGreaterThan(30);
  });

  it('never repeats an action twice in a row and respects allowed/exclude', () => {
    for (let i = 0; i < 300; i++) {
      const p = planFromNonce(new Uint8Array(randomBytes(16)), { actions: 'random', count: 8, allowed: ['blink', 'turn-left', 'nod', 'smile'], exclude: ['smile'] });
      expect(p.steps).toHaveLength(8);
      for (let k = 0; k < p.steps.length; k++) {
        expect(['blink', 'turn-left', 'nod']).toContain(p.steps[k].action);
        if (k) expect(p.steps[k].action).not.toBe(p.steps[k - 1].action);
      }
    }
  });

  it('chooses actions without bias (chi-square over many nonces)', () => {
    // first action should be uniform over 6 (fixed nonces, so the test is reproducible)
    const first = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const p = planFromNonce(`deterministic-nonce-${i}`, { actions: 'random', count: 2 });
      first.set(p.steps[0].action, (first.get(p.steps[0].action) ?? 0) + 1);
    }
    const expected = n / CHALLENGE_ACTIONS.length;
    let chi2 = 0;
    for (const a of CHALLENGE_ACTIONS) chi2 += ((first.get(a) ?? 0) - expected) ** 2 / expected;
    // 5 degrees of freedom: P(chi2 > 20.5) = 0.001
    expect(chi2).toBeLessThan(20.5);
  });

  it('uses the default holds, and scripts keep their order and holds', () => {
    const p = planFromNonce(nonce, { script: EXCHANGE_SCRIPT });
    expect(p.mode).toBe('script');
    expect(p.steps).toEqual([
      { action: 'blink', holdMs: 0 },
      { action: 'turn-left', holdMs: 1800 },
      { action: 'turn-right', holdMs: 1800 },
      { action: 'mouth-open', holdMs: 300 },
    ]);
    expect(planFromNonce(nonce, { script: ['nod', { action: 'turn-right', holdMs: 500 }] }).steps).toEqual([
      { action: 'nod', holdMs: 0 },
      { action: 'turn-right', holdMs: 500 },
    ]);
  });

  it('rejects bad input with typed errors', () => {
    const invalid = expect.objectContaining({ code: 'invalid-argument' });
    expect(() => planFromNonce('short', { actions: 'random', count: 2 })).toThrow(invalid);
    expect(() => planFromNonce(nonce, { actions: 'random', count: 0 })).toThrow(invalid);
    expect(() => planFromNonce(nonce, { actions: 'random', count: 2.5 })).toThrow(invalid);
    expect(() => planFromNonce(nonce, { actions: 'random', count: 2, allowed: ['blink'] })).toThrow(invalid);
    expect(() => planFromNonce(nonce, { actions: 'random', count: 1, allowed: ['blink'], exclude: ['blink'] })).toThrow(invalid);
    expect(() => planFromNonce(nonce, { actions: 'random', count: 1, allowed: ['jump' as never] })).toThrow(invalid);
    expect(() => planFromNonce(nonce, { script: [] })).toThrow(invalid);
    expect(() => planFromNonce(nonce, { script: [{ action: 'nod', holdMs: -1 }] })).toThrow(invalid);
    expect(planFromNonce(nonce, { actions: 'random', count: 1, allowed: ['blink'] }).steps).toEqual([{ action: 'blink', holdMs: 0 }]);
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

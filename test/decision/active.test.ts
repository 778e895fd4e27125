import { describe, expect, it } from 'vitest';
import { activeSignal, challengeOutcomeFromSession, type ActionOutcome, type ChallengeOutcome } from '../../src/decision/active.js';
import { DEFAULT_ACTIVE_CONFIG } from '../../src/decision/config.js';

const human: Record<string, Omit<ActionOutcome, 'action'>> = {
  blink: { ok: true, latencyMs: 420, amplitude: 0.8, holdMs: 150, closureVelocity: 9, smoothness: 0.9 },
  'turn-left': { ok: true, latencyMs: 610, amplitude: 19, holdMs: 1800, smoothness: 0.85 },
  'turn-right': { ok: true, latencyMs: 540, amplitude: 17, holdMs: 1800, smoothness: 0.8 },
  'mouth-open': { ok: true, latencyMs: 480, amplitude: 0.5, holdMs: 400, smoothness: 0.9 },
};
const plan = ['blink', 'turn-left', 'turn-right', 'mouth-open'];
const performed = (overrides: Partial<ActionOutcome>[] = []): ChallengeOutcome => ({
  plan,
  actions: plan.map((action, i) => ({ action, ...human[action], ...(overrides[i] ?? {}) })),
  orderMatched: true,
});
const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

describe('active signal', () => {
  it('the exchange flow performed in order with human dynamics is live', () => {
    const r = activeSignal(performed());
    expect(r.verdict).toBe('live');
    expect(r.score).toBeGreaterThanOrEqual(0.65);
    expect(codes(r)).toEqual(['challenge-performed']);
  });

  it('actions in an order the nonce did not ask for (video replay) are a spoof', () => {
    const replay: ChallengeOutcome = { ...performed(), orderMatched: false };
    const r = activeSignal(replay);
    expect(r.verdict).toBe('spoof');
    expect(codes(r)).toContain('wrong-order');
    expect(r.score).toBeLessThanOrEqual(0.35);
    // the engine's per-action record alone also reveals it
    const swapped: ChallengeOutcome = { plan, actions: [performed().actions[0], performed().actions[2], performed().actions[1]], orderMatched: true };
    expect(activeSignal(swapped).verdict).toBe('spoof');
  });

  it('a response faster than human reaction is a spoof, with the measured latency', () => {
    const r = activeSignal(performed([{}, { latencyMs: 60 }]));
    expect(r.verdict).toBe('spoof');
    const fast = r.reasons.find((x) => x.code === 'impossibly-fast');
    expect(fast?.value).toBe(60);
    expect(fast?.threshold).toBe(DEFAULT_ACTIVE_CONFIG.minLatencyMs);
    // just above the limit is human
    expect(activeSignal(performed([{}, { latencyMs: DEFAULT_ACTIVE_CONFIG.minLatencyMs + 1 }])).verdict).toBe('live');
  });

  it('an eyelid closure faster than physiology is a spoof', () => {
    expect(activeSignal(performed([{ closureVelocity: 80 }])).verdict).toBe('spoof');
  });

  it('a timeout or a partial challenge is unsure, not spoof', () => {
    const timeout = activeSignal(performed([{}, {}, { ok: false, reason: 'timeout', latencyMs: null, amplitude: 4, holdMs: null }]));
    expect(timeout.verdict).toBe('unsure');
    expect(codes(timeout)).toContain('action-timeout');
    const partial = activeSignal({ plan, actions: performed().actions.slice(0, 2), orderMatched: true });
    expect(partial.verdict).toBe('unsure');
    expect(partial.reasons.find((x) => x.code === 'incomplete')?.value).toBe(2);
  });

  it('engine failures that mean an attack are spoof; jerky or slow motion is unsure', () => {
    expect(activeSignal(performed([{ ok: false, reason: 'wrong-action' }])).verdict).toBe('spoof');
    expect(activeSignal(performed([{}, { smoothness: 0.1 }])).verdict).toBe('unsure');
    expect(activeSignal(performed([{}, { latencyMs: 9000 }])).verdict).toBe('unsure');
    expect(activeSignal(performed([{}, { amplitude: 85 }])).verdict).toBe('unsure');
  });

  it('no plan: unsure', () => {
    expect(activeSignal({ plan: [], actions: [], orderMatched: true }).verdict).toBe('unsure');
  });

  it('thresholds come from the config', () => {
    const strict = { ...DEFAULT_ACTIVE_CONFIG, minLatencyMs: 500 };
    expect(activeSignal(performed(), strict).verdict).toBe('spoof'); // the 420 ms blink is now "too fast"
  });
});

describe('binding to the challenge engine (src/challenge)', () => {
  it('maps a completed session to a live outcome, and a failed step to its reason', () => {
    const plan = {
      nonceDigest: 'x',
      mode: 'script' as const,
      steps: [
        { action: 'blink' as const, holdMs: 0, gapMs: 0 },
        { action: 'turn-left' as const, holdMs: 1800, gapMs: 0 },
      ],
    };
    const results = [
      { step: 0, action: 'blink' as const, latencyMs: 400, amplitude: 0.9, durationMs: 300, heldMs: 120, peakSpeed: 6, blink: { closingMs: 90, closedMs: 120, reopeningMs: 150 } },
      { step: 1, action: 'turn-left' as const, latencyMs: 550, amplitude: 18, durationMs: 700, heldMs: 1800, peakSpeed: 60 },
    ];
    const outcome = challengeOutcomeFromSession(plan, results);
    expect(outcome.plan).toEqual(['blink', 'turn-left']);
    expect(outcome.actions[0].closureVelocity).toBeCloseTo(10, 6);
    expect(activeSignal(outcome).verdict).toBe('live');
    const failed = challengeOutcomeFromSession(plan, results.slice(0, 1), { step: 1, action: 'turn-left', reason: 'no-response' });
    expect(activeSignal(failed).verdict).toBe('unsure');
    const tooFast = challengeOutcomeFromSession(plan, results.slice(0, 1), { step: 1, action: 'turn-left', reason: 'too-fast' });
    expect(activeSignal(tooFast).verdict).toBe('spoof');
    expect(activeSignal(challengeOutcomeFromSession(plan, results, null, { orderMatched: false })).verdict).toBe('spoof');
  });
});

import { describe, expect, it } from 'vitest';
import { decideFaceMatch, decideLiveness, SIGNAL_NAMES, type LivenessVerdict } from '../../src/decision/consensus.js';
import { DEFAULT_FACE_MATCH_CONFIG } from '../../src/decision/config.js';
import type { SignalResult, SignalVerdict } from '../../src/decision/signal.js';

const VERDICTS: SignalVerdict[] = ['live', 'spoof', 'unsure'];
const signal = (verdict: SignalVerdict): SignalResult => ({
  verdict,
  score: verdict === 'live' ? 0.9 : verdict === 'spoof' ? 0.1 : 0.5,
  reasons: [{ code: `test-${verdict}`, message: verdict }],
});

/** The rule, written out independently of the implementation. */
function expected(vs: SignalVerdict[]): LivenessVerdict {
  if (vs[0] === 'live' && vs[1] === 'live' && vs[2] === 'live') return 'pass';
  if (vs[0] === 'spoof' && vs[1] === 'spoof' && vs[2] === 'spoof') return 'fail';
  return 'review';
}

describe('consensus', () => {
  it('truth table: every combination of live / spoof / unsure over the three signals', () => {
    let rows = 0;
    const seen: Record<LivenessVerdict, number> = { pass: 0, fail: 0, review: 0 };
    for (const a of VERDICTS)
      for (const p of VERDICTS)
        for (const m of VERDICTS) {
          const d = decideLiveness({ active: signal(a), passive: signal(p), motion: signal(m) });
          expect(d.verdict, `${a}/${p}/${m}`).toBe(expected([a, p, m]));
          // each signal's score, verdict and reasons travel with the decision
          expect(d.signals.active?.verdict).toBe(a);
          expect(d.signals.passive?.reasons[0].code).toBe(`test-${p}`);
          expect(d.signals.motion?.score).toBe(signal(m).score);
          for (const name of SIGNAL_NAMES) expect(d.reasons.map((r) => r.code)).toContain(`${name}-${d.signals[name]!.verdict}`);
          seen[d.verdict]++;
          rows++;
        }
    expect(rows).toBe(27);
    expect(seen).toEqual({ pass: 1, fail: 1, review: 25 });
  });

  it('names the kind of review: dissent vs unsure', () => {
    const dissent = decideLiveness({ active: signal('live'), passive: signal('spoof'), motion: signal('live') });
    expect(dissent.reasons.map((r) => r.code)).toContain('signals-disagree');
    const unsure = decideLiveness({ active: signal('live'), passive: signal('unsure'), motion: signal('live') });
    expect(unsure.reasons.map((r) => r.code)).toContain('signals-unsure');
  });

  it('a missing required signal can never pass', () => {
    const d = decideLiveness({ passive: signal('live'), motion: signal('live') });
    expect(d.verdict).toBe('review');
    expect(d.signals.active).toBeNull();
    expect(d.reasons.map((r) => r.code)).toContain('active-missing');
    // an integrator who runs no challenge can say so explicitly
    const noActive = decideLiveness({ passive: signal('live'), motion: signal('live') }, { requiredSignals: ['passive', 'motion'] });
    expect(noActive.verdict).toBe('pass');
    expect(decideLiveness({}, { requiredSignals: [] }).verdict).toBe('review');
  });
});

describe('face match', () => {
  const c = DEFAULT_FACE_MATCH_CONFIG;
  it('close: match; unclear: review; a large difference: review, not a hard fail', () => {
    expect(decideFaceMatch({ distance: c.matchMax - 0.01 }).verdict).toBe('match');
    expect(decideFaceMatch({ distance: (c.matchMax + c.largeDifferenceMin) / 2 }).verdict).toBe('review');
    const large = decideFaceMatch({ distance: c.largeDifferenceMin + 0.5 });
    expect(large.verdict).toBe('review');
    expect(large.reasons[0].code).toBe('large-difference');
  });

  it('no-match only when the integrator opts in', () => {
    expect(decideFaceMatch({ distance: 2 }, { ...c, largeDifference: 'no-match' }).verdict).toBe('no-match');
  });

  it('missing or poor comparisons are never a match', () => {
    expect(decideFaceMatch({ distance: null }).verdict).toBe('review');
    expect(decideFaceMatch({ distance: Number.NaN }).verdict).toBe('review');
    expect(decideFaceMatch({ distance: 0.1, quality: 0.1 }).verdict).toBe('review');
  });
});

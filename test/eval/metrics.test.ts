import { describe, expect, it } from 'vitest';
import { BONA_FIDE, metricsAt, padMetrics, tuneThreshold, type PresentationOutcome, type ScoredPresentation } from '../../tools/eval/metrics.js';
import { isLivecheckError } from '../../src/errors.js';

const many = (n: number, o: PresentationOutcome): PresentationOutcome[] => Array.from({ length: n }, () => o);

describe('ISO/IEC 30107-3 metrics', () => {
  it('APCER per species and BPCER, with counts, on hand-made outcomes', () => {
    const outcomes = [
      ...many(18, { species: BONA_FIDE, verdict: 'pass' }),
      ...many(1, { species: BONA_FIDE, verdict: 'review' }),
      ...many(1, { species: BONA_FIDE, verdict: 'fail' }),
      ...many(9, { species: 'print', verdict: 'fail' }),
      ...many(1, { species: 'print', verdict: 'pass' }),
      ...many(3, { species: 'screen-replay', verdict: 'review' }),
      ...many(5, { species: 'screen-replay', verdict: 'fail' }),
    ];
    const m = padMetrics(outcomes);
    expect(m.bpcer).toEqual({ rate: 0.1, errors: 2, review: 1, presentations: 20 });
    expect(m.apcer.print).toEqual({ rate: 0.1, errors: 1, review: 0, attacks: 10 });
    // a review is not an acceptance
    expect(m.apcer['screen-replay']).toEqual({ rate: 0, errors: 0, review: 3, attacks: 8 });
    expect(m.maxApcer).toBe(0.1);
  });

  it('no presentations: null rates, not 0', () => {
    const m = padMetrics([]);
    expect(m.bpcer.rate).toBeNull();
    expect(m.maxApcer).toBeNull();
    expect(m.apcer).toEqual({});
  });

  it('rejects an unknown verdict', () => {
    expect(() => padMetrics([{ species: 'print', verdict: 'maybe' as 'pass' }])).toThrow();
  });
});

describe('threshold tuning', () => {
  const tuning: ScoredPresentation[] = [
    ...[0.9, 0.8, 0.75, 0.7, 0.4].map((score) => ({ species: BONA_FIDE, score, split: 'tuning' as const })),
    ...[0.1, 0.3, 0.5].map((score) => ({ species: 'print', score, split: 'tuning' as const })),
    ...[0.2, 0.6].map((score) => ({ species: 'screen-replay', score, split: 'tuning' as const })),
  ];

  it('picks the lowest-BPCER threshold with APCER 0 on every tuning species, with a margin', () => {
    const t = tuneThreshold(tuning);
    expect(t.threshold).toBeCloseTo(0.65, 10); // between the worst attack (0.6) and the next score (0.7)
    expect(t.tuning.maxApcer).toBe(0);
    expect(t.tuning.bpcer).toEqual({ rate: 0.2, errors: 1, review: 0, presentations: 5 });
  });

  it('allows a configured APCER', () => {
    const t = tuneThreshold(tuning, { maxApcer: 0.5 });
    expect(t.threshold).toBeCloseTo(0.35, 10); // below that print would reach 2/3
    expect(t.tuning.apcer.print.errors).toBe(1);
    expect(t.tuning.apcer['screen-replay'].rate).toBe(0.5);
    expect(t.tuning.bpcer.rate).toBe(0);
  });

  it('never looks at the held-out split, and reports it separately', () => {
    const heldOutA: ScoredPresentation[] = [
      { species: BONA_FIDE, score: 0.66, split: 'held-out' },
      { species: 'print', score: 0.64, split: 'held-out' },
    ];
    const heldOutB: ScoredPresentation[] = [
      { species: BONA_FIDE, score: 0.01, split: 'held-out' },
      { species: 'print', score: 0.99, split: 'held-out' },
    ];
    const a = tuneThreshold([...tuning, ...heldOutA]);
    const b = tuneThreshold([...tuning, ...heldOutB]);
    expect(a.threshold).toBe(b.threshold);
    expect(a.heldOut.bpcer.rate).toBe(0);
    expect(a.heldOut.apcer.print.rate).toBe(0);
    expect(b.heldOut.bpcer.rate).toBe(1);
    expect(b.heldOut.apcer.print.rate).toBe(1);
    expect(b.tuning).toEqual(a.tuning);
  });

  it('metricsAt accepts score >= threshold', () => {
    const m = metricsAt(
      [
        { species: BONA_FIDE, score: 0.5 },
        { species: 'print', score: 0.5 },
      ],
      0.5,
    );
    expect(m.bpcer.rate).toBe(0);
    expect(m.apcer.print.rate).toBe(1);
  });

  it('needs tuning samples and finite scores', () => {
    try {
      tuneThreshold([{ species: BONA_FIDE, score: 1, split: 'held-out' }]);
      expect.unreachable();
    } catch (e) {
      expect(isLivecheckError(e, 'invalid-argument')).toBe(true);
    }
    expect(() => tuneThreshold([{ species: BONA_FIDE, score: Number.NaN, split: 'tuning' }])).toThrow();
  });
});

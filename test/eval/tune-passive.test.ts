// The passive threshold the eval's tuning part suggests, on plain data: passive.liveMin chosen as a print/screen
// detector on the tuning split only (midpoint between the highest print/screen fused score and the lowest live score
// above it; an artefact-vetoed presentation counts as 0). Reported beside the shipped default, never applied.
import { describe, expect, it } from 'vitest';
import { tunePassive, type JudgedPresentation, type Species } from '../../tools/eval/eval.js';
import type { Split } from '../../tools/eval/metrics.js';
import { DEFAULT_DECISION_CONFIG } from '../../src/decision/index.js';

function judged(entries: Array<[string, Species, Split, number]>): JudgedPresentation[] {
  return entries.map(([id, species, split, passiveFused]) => ({ id, species, split, passiveFused }) as JudgedPresentation);
}

describe('tunePassive', () => {
  it('sits midway between the highest print/screen score and the lowest live score above it, tuning split only', () => {
    const all = judged([
      ['live-a', 'bona-fide', 'tuning', 0.95],
      ['live-b', 'bona-fide', 'tuning', 0.9],
      ['print-a', 'print', 'tuning', 0.8], // binds
      ['screen-a', 'screen-replay', 'tuning', 0], // vetoed by an artefact
      ['static-a', 'static-photo', 'tuning', 0.99], // no artefact to see: not the passive signal's species
      ['live-held', 'bona-fide', 'held-out', 0.5], // never looked at
      ['print-held', 'print', 'held-out', 0.99],
    ]);
    const t = tunePassive(all);
    expect(t.liveMin).toBeCloseTo((0.8 + 0.9) / 2, 10);
    expect(t.default).toBe(DEFAULT_DECISION_CONFIG.passive.liveMin);
    expect(t.samples).toBe(4);
    // the held-out split moves nothing
    expect(tunePassive(all.filter((j) => j.split === 'tuning')).liveMin).toBeCloseTo(t.liveMin, 10);
  });

  it('a print that scores above every live window pushes liveMin above all of them', () => {
    const t = tunePassive(
      judged([
        ['live-a', 'bona-fide', 'tuning', 0.7],
        ['print-a', 'print', 'tuning', 0.95],
      ]),
    );
    expect(t.liveMin).toBeGreaterThan(0.95);
  });

  it('without tuning presentations of those species it suggests the shipped value', () => {
    const t = tunePassive(judged([['static-a', 'static-photo', 'tuning', 0.99]]));
    expect(t).toEqual({ liveMin: DEFAULT_DECISION_CONFIG.passive.liveMin, default: DEFAULT_DECISION_CONFIG.passive.liveMin, samples: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_DECISION_CONFIG, resolveDecisionConfig } from '../../src/decision/config.js';
import { isLivecheckError } from '../../src/errors.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isLivecheckError(e) ? e.code : 'not-a-livecheck-error';
  }
  return undefined;
}

describe('decision config', () => {
  it('defaults when nothing is given; partial overrides keep the rest', () => {
    expect(resolveDecisionConfig()).toEqual(DEFAULT_DECISION_CONFIG);
    const c = resolveDecisionConfig({ motion: { minPoseChangeDeg: 12 }, passive: { features: { moire: { weight: 2 } } } });
    expect(c.motion.minPoseChangeDeg).toBe(12);
    expect(c.motion.flatParallaxMax).toBe(DEFAULT_DECISION_CONFIG.motion.flatParallaxMax);
    expect(c.passive.features.moire).toEqual({ kind: 'artefact', weight: 2, floor: 0 });
    expect(c.passive.features.flicker).toEqual(DEFAULT_DECISION_CONFIG.passive.features.flicker);
  });

  it('rejects bad values with invalid-argument', () => {
    expect(code(() => resolveDecisionConfig({ motion: { minPoseChangeDeg: Number.NaN } }))).toBe('invalid-argument');
    expect(code(() => resolveDecisionConfig({ active: { minLatencyMs: -1 } }))).toBe('invalid-argument');
    expect(code(() => resolveDecisionConfig({ motion: { flatParallaxMax: 0.2, liveParallaxMin: 0.1 } }))).toBe('invalid-argument');
    expect(code(() => resolveDecisionConfig({ passive: { liveMin: 1.5 } }))).toBe('invalid-argument');
    expect(code(() => resolveDecisionConfig({ passive: { features: { flicker: { floor: 1 } } } }))).toBe('invalid-argument');
    expect(code(() => resolveDecisionConfig({ faceMatch: { largeDifference: 'fail' as 'review' } }))).toBe('invalid-argument');
    expect(code(() => resolveDecisionConfig({ consensus: { requiredSignals: ['texture' as 'passive'] } }))).toBe('invalid-argument');
    expect(code(() => resolveDecisionConfig({ motion: { typo: 1 } as object }))).toBe('invalid-argument');
  });
});

// The public entry exports the pure modules and the engine, and importing it touches no browser global.
import { describe, expect, it } from 'vitest';

describe('livecheck entry', () => {
  it('imports without window / document / navigator and exports the engine and the pure modules', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const m = await import('../../src/index.js');
    for (const name of ['LivenessEngine', 'FrameInterpreter', 'FaceRegionMeter', 'FaceGeometryEstimator', 'GuidanceTracker', 'ChallengeSession', 'ActionDetector', 'planFromNonce', 'LivecheckError']) {
      expect(typeof (m as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});

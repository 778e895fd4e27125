// The public entry is the browser API and nothing else, and importing it touches no browser global. The whole
// surface, names and signatures, is api/livecheck.api.md (checked by `npm run check:api`).
import { describe, expect, it } from 'vitest';

describe('livecheck entry', () => {
  it('imports without window / document / navigator and exports the browser API only', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const m = (await import('../../src/index.js')) as Record<string, unknown>;
    for (const name of ['createLivenessCheck', 'openCamera', 'LivecheckError', 'isLivecheckError', 'AttemptPolicy', 'WebStorageAttemptStore', 'serializeEvidence']) {
      expect(typeof m[name], name).toBe('function');
    }
    for (const name of ['GUIDANCE', 'CHALLENGE_ACTIONS', 'ACTION_PROMPTS']) expect(typeof m[name], name).toBe('object');
    // engine internals stay internal
    for (const name of ['LivenessEngine', 'FrameInterpreter', 'Attempt', 'ChallengeSession', 'planFromNonce', 'LivenessCheck']) expect(name in m, name).toBe(false);
    expect(Object.keys(m).length).toBeLessThanOrEqual(15);
  });
});

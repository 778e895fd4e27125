// `--config file.json` for analyze and verify: the thresholds reach the attempt's settings, validated before any
// video is read, and they change the evidence's configHash (so a server replays with exactly them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attemptConfigHash } from '../../src/attempt/config.js';
import { readAttemptConfig } from '../../src/node/analyze.js';

const dir = mkdtempSync(join(tmpdir(), 'livecheck-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readAttemptConfig (--config)', () => {
  it('reads decision, guidance, challenge and action thresholds; they change the configHash', async () => {
    const config = await readAttemptConfig(file('ok.json', JSON.stringify({ decision: { passive: { liveMin: 0.8 } }, challenge: { responseTimeoutMs: 9000 } })));
    expect(config.decision).toEqual({ passive: { liveMin: 0.8 } });
    expect(await attemptConfigHash(config)).not.toBe(await attemptConfigHash({}));
    // the defaults written out hash as the defaults
    expect(await attemptConfigHash({ decision: {} })).toBe(await attemptConfigHash({}));
  });

  it('an unknown key, an unknown threshold, a bad value, or not JSON is invalid-argument naming it', async () => {
    await expect(readAttemptConfig(file('key.json', '{"thresholds": {}}'))).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/thresholds/) });
    await expect(readAttemptConfig(file('deep.json', '{"decision": {"passive": {"liveMinn": 0.5}}}'))).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/liveMinn/) });
    await expect(readAttemptConfig(file('value.json', '{"decision": {"passive": {"liveMin": -1}}}'))).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(readAttemptConfig(file('text.json', 'not json'))).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(readAttemptConfig(file('array.json', '[]'))).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

// The server's replay agrees with the live engine on every real clip and synthetic variant: each is analysed as
// `livecheck analyze --evidence` runs it (a random two-action plan per clip), and the bundle's claim (challenge
// events at their frame times, signal verdicts and scores, verdict) must be exactly what the recorded frames replay
// to. Catches drift between the engine and the records (an engine input that is not recorded, a rounded threshold
// input). About 15 s per clip on 2 shared cores.
import { describe, expect, it } from 'vitest';
import { captureVideo } from '../../src/node/analyze.js';
import { planFromNonce } from '../../src/challenge/plan.js';
import { serializeEvidence } from '../../src/evidence/index.js';
import { verifyEvidence } from '../../src/server/index.js';
import { ensureVariants } from '../helpers/data.js';
import { MIN, UPLOADED_AT, documentFor } from './capture.js';

const CLIPS = [
  'clean-franck',
  'clean-cap13',
  'clean-cap12',
  'dark',
  'bright',
  'backlit',
  'defocus',
  'motion-blur',
  'flicker',
  'light-switch',
  'shake',
  'background-motion',
  'color-cast',
  'color-cast-blue',
  'uneven-light',
  'face-swap',
  'print',
  'screen-replay',
  'static-photo',
] as const;

describe('replay agrees with the live engine', () => {
  for (const clip of CLIPS) {
    it(clip, async () => {
      const [v] = await ensureVariants([clip]);
      const nonce = `sweep-nonce-${clip}-0123456789`;
      const plan = await planFromNonce(nonce, { actions: 'random', count: 2 });
      const document = await documentFor(clip);
      const { report, evidence } = await captureVideo(v.path, { plan, evidence: { nonce, document, startedAt: UPLOADED_AT + 3 * MIN } });
      const r = await verifyEvidence(serializeEvidence(evidence), { nonce, document, now: UPLOADED_AT + 6 * MIN, planFromNonce: () => plan.steps });
      expect(r.checks.filter((c) => !c.ok && !c.skipped).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
      expect(r.decision?.verdict).toBe(report.verdict);
    }, 300_000);
  }
});

// The server's re-analysis of the capture video agrees with the client on real clips and synthetic variants: each
// is analysed as `livecheck analyze --evidence` runs it (a random two-action plan per clip, the capture video
// encoded by the Node host), then verified as the server does (the video decoded by ffmpeg, the whole engine run on
// it). Every binding check passes, the server's verdict is the client's, and no attack passes at the server. About
// 25 s per clip on 2 shared cores.
import { afterAll, describe, expect, it } from 'vitest';
import { captureVideo } from '../../src/node/analyze.js';
import { planFromNonce } from '../../src/challenge/plan.js';
import { serializeEvidence } from '../../src/evidence/index.js';
import { verifyEvidence } from '../../src/server/index.js';
import { ensureVariants } from '../helpers/data.js';
import { MIN, UPLOADED_AT, documentFor, serverReanalyzer } from './capture.js';

const CLIPS = ['clean-franck', 'clean-cap13', 'dark', 'flicker', 'shake', 'face-swap', 'print', 'screen-replay', 'static-photo'] as const;
const ATTACKS = new Set<string>(['face-swap', 'print', 'screen-replay', 'static-photo']);

afterAll(async () => {
  await (await serverReanalyzer()).close();
});

describe('the server, from the video, agrees with the client', () => {
  for (const clip of CLIPS) {
    it(clip, async () => {
      const [v] = await ensureVariants([clip]);
      const nonce = `sweep-nonce-${clip}-0123456789`;
      const plan = await planFromNonce(nonce, { actions: 'random', count: 2 });
      const document = await documentFor(clip);
      const { report, evidence } = await captureVideo(v.path, { plan, evidence: { nonce, document, startedAt: UPLOADED_AT + 3 * MIN } });
      const server = await serverReanalyzer();
      const r = await verifyEvidence(serializeEvidence(evidence), { nonce, document, now: UPLOADED_AT + 6 * MIN, planFromNonce: () => plan.steps, reanalyzeVideo: (c) => server.reanalyzeVideo(c) });
      const checks = Object.fromEntries(r.checks.map((c) => [c.name, c.ok ? 'ok' : c.detail]));
      console.log(`${clip}: client ${report.verdict}, server ${r.verdict}; ${JSON.stringify(r.reasons.map((x) => x.code))}; agreement ${checks['client-agreement']}`);
      for (const name of ['format', 'version', 'chain', 'nonce', 'plan', 'document', 'timestamps', 'video', 'keyframes', 'video-reanalysis'])
        expect(checks[name], `${name}: ${JSON.stringify(checks)}`).toBe('ok');
      expect(r.verdict).toBe(report.verdict);
      if (ATTACKS.has(clip)) expect(r.verdict).not.toBe('pass');
    }, 300_000);
  }
});

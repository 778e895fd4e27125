// ID photo match on the server: a real capture of franck (test/evidence/capture.ts) against document photos. The
// franck still is the same person (a frame of the same recording at 720x576); grace_hopper and the astronaut are not.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { createNodeReanalyzer, type NodeReanalyzer } from '../../src/node/reanalyzer.js';
import { verifyEvidence } from '../../src/verify/evidence.js';
import { decodeImage } from '../../src/node/media.js';
import { CALIBRATED_FACE_MATCH } from '../../src/decision/face-match.js';
import type { EvidenceBundle } from '../../src/evidence/index.js';
import { recordCapture, documentFor, PLAN, UPLOADED_AT, MIN } from '../evidence/capture.js';
import { data, repoRoot, requireData } from '../helpers/data.js';

describe('ID photo match (server side, Node)', () => {
  let server: NodeReanalyzer;
  let bundle: EvidenceBundle;
  beforeAll(async () => {
    requireData(data.franckStills, data.graceHopper, data.astronaut, data.franckMp4);
    server = await createNodeReanalyzer({ modelDir: join(repoRoot, 'models'), numThreads: 1 });
    const document = await documentFor('franck');
    bundle = await recordCapture({ nonce: 'match-test-nonce-0001', document });
    // the capture is bound to its session and its keyframes to its video (the binding checks all pass)
    const report = await verifyEvidence(bundle, { nonce: 'match-test-nonce-0001', document, plan: PLAN, now: UPLOADED_AT + 10 * MIN });
    expect(
      report.checks.filter((c) => !c.ok && !c.skipped),
      JSON.stringify(report.checks),
    ).toEqual([]);
  }, 300_000);
  afterAll(async () => {
    await server?.close();
  });

  it('the same person on the document photo matches; other people do not', async () => {
    const same = await server.matchDocument(bundle, decodeImage(data.franckStills[3]));
    const others = [await server.matchDocument(bundle, decodeImage(data.graceHopper)), await server.matchDocument(bundle, decodeImage(data.astronaut))];
    console.log(
      `franck ${same.distance?.toFixed(3)} ${same.verdict}; grace_hopper ${others[0].distance?.toFixed(3)} ${others[0].verdict}; astronaut ${others[1].distance?.toFixed(3)} ${others[1].verdict}`,
    );
    expect(same.verdict).toBe('match');
    expect(same.keyframe).not.toBeNull();
    for (const o of others) {
      expect(o.verdict).not.toBe('match');
      expect(o.distance).toBeGreaterThan(CALIBRATED_FACE_MATCH.matchMax);
    }
  }, 300_000);

  it('a document photo without a face is sent to review, never matched', async () => {
    const blank = { width: 200, height: 200, data: new Uint8Array(200 * 200 * 4).fill(128) };
    const r = await server.matchDocument(bundle, blank);
    expect(r.verdict).toBe('review');
    expect(r.distance).toBeNull();
  }, 120_000);
});

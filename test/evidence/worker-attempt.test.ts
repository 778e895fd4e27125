// The worker's evidence attempt (src/worker/decision.ts EvidenceAttempt) on a real clip through the Node engine, for
// the path the browser test does not take: the stream stops before the attempt ends (LivenessCheck.stop ->
// worker finish). The decision it returns must be the one verifyEvidence replays from the sealed bundle, and frames
// after the stop are not evidence. Keyframe JPEGs come from jpeg-js here (the worker uses OffscreenCanvas).
import { describe, expect, it } from 'vitest';
import { planFromNonce } from '../../src/challenge/plan.js';
import { createNodeEngine } from '../../src/engine/node.js';
import { serializeEvidence } from '../../src/evidence/index.js';
import { sha256 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { decodeVideo } from '../../src/node/media.js';
import { verifyEvidence } from '../../src/server/index.js';
import { EvidenceAttempt } from '../../src/worker/decision.js';
import { data, requireData } from '../helpers/data.js';
import { documentFor, encodeJpeg } from './capture.js';

const NONCE = 'worker-attempt-stop-0123456789abcdef';

describe('EvidenceAttempt (worker) when the stream stops first', () => {
  it('close() decides what the server replays; the bundle verifies; later frames are not recorded', async () => {
    requireData(data.franckMp4);
    // one step: its keyframe falls due at frame 25 without the step done (a stop before a step's keyframe leaves the
    // bundle without it, and verifyEvidence's `keyframes` check fails)
    const plan = await planFromNonce(NONCE, { script: ['turn-left'] });
    const document = await documentFor('Franck', Date.now() - 60_000);
    const engine = await createNodeEngine({ plan });
    const attempt = await EvidenceAttempt.start({ nonce: NONCE, document }, plan, {}, encodeJpeg);
    let decided = null;
    let afterClose = 0;
    let n = 0;
    try {
      for await (const f of decodeVideo(data.franckMp4, { startMs: 2000, maxFrames: 40 })) {
        const r = await engine.analyzeFrame(f, f.timestampMs);
        const face = r.face;
        const passive = face ? engine.kernels.passiveFeatures(face.box) : null;
        const pixels = { sha256: toHex(await sha256(f.data)) };
        if (n++ === 30) decided = await attempt.close(); // the page's stop(): 30 frames in, the attempt still running
        const d = await attempt.push(f, r, passive, pixels);
        expect(d).toBeNull();
        if (decided) afterClose++;
      }
    } finally {
      await engine.close();
    }
    expect(attempt.attemptEnded).toBe(false);
    expect(decided).not.toBeNull();
    expect(afterClose).toBe(10);
    const bundle = await attempt.evidence()!;
    expect(bundle.records.filter((r) => r.type === 'frame').length).toBe(30);
    const result = bundle.records.find((r) => r.type === 'result');
    expect(result && result.type === 'result' && result.challenge.ended).toBeNull();
    const report = await verifyEvidence(serializeEvidence(bundle), { nonce: NONCE, document, planFromNonce: () => plan.steps });
    // no reanalyze given: those two are skipped, every other check passes
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name).sort()).toEqual(['face-consistency', 'reanalysis']);
    expect(report.decision?.verdict).toBe(decided!.verdict);
    // the attempt did not end: nothing passes without the challenge done
    expect(decided!.verdict).not.toBe('pass');
  }, 180_000);
});

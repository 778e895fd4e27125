// An attempt recording evidence (src/attempt, as the browser worker runs it) on a real clip through the Node engine,
// for the path the browser test does not take: the stream stops before the attempt ends (LivenessCheck.stop ->
// worker finish -> Attempt.finish). The decision it returns must be the one the server reaches on the sealed bundle's
// video, and frames after the stop are neither records nor video. Keyframe JPEGs come from jpeg-js here (the worker
// uses OffscreenCanvas), the video from the Node host's encoder (the worker uses WebCodecs).
import { describe, expect, it } from 'vitest';
import { planFromNonce } from '../../src/challenge/plan.js';
import { createNodeEngine } from '../../src/node/engine.js';
import { serializeEvidence } from '../../src/evidence/index.js';
import { decodeVideo } from '../../src/node/media.js';
import { verifyEvidence } from '../../src/server/index.js';
import { data, requireData } from '../helpers/data.js';
import { NodeCaptureVideoEncoder } from '../../src/node/capture-video.js';
import { documentFor, encodeJpeg, serverReanalyzer } from './capture.js';

const NONCE = 'worker-attempt-stop-0123456789abcdef';

describe('an attempt recording evidence when the stream stops first', () => {
  it('close() decides what the server decides from the video; later frames are not recorded', async () => {
    requireData(data.franckMp4);
    // one step: its keyframe falls due at frame 25 without the step done (a stop before a step's keyframe leaves the
    // bundle without it, and verifyEvidence's `keyframes` check fails)
    const plan = await planFromNonce(NONCE, { script: ['turn-left'] });
    const document = await documentFor('Franck', Date.now() - 60_000);
    let encoder: Promise<NodeCaptureVideoEncoder> | null = null;
    const video = async () => (encoder ? (await encoder).finish() : { missing: 'no frame' });
    const engine = await createNodeEngine({ plan, evidence: { nonce: NONCE, document, encodeJpeg, video } });
    const attempt = engine.attempt;
    let decided = null;
    let afterClose = 0;
    let n = 0;
    try {
      for await (const f of decodeVideo(data.franckMp4, { startMs: 2000, maxFrames: 40 })) {
        if (n++ === 30) decided = (await attempt.finish()).decision; // the page's stop(): 30 frames in, the attempt still running
        if (!attempt.ended) {
          encoder ??= NodeCaptureVideoEncoder.open(f.width, f.height);
          (await encoder).encode(f, f.timestampMs);
        }
        const r = await engine.analyzeFrame(f, f.timestampMs);
        expect(r.decision).toBeNull();
        if (decided) afterClose++;
      }
    } finally {
      await engine.close();
    }
    expect(attempt.signals().decision.verdict).toBe(decided!.verdict);
    expect(decided).not.toBeNull();
    expect(afterClose).toBe(10);
    const bundle = await attempt.evidence()!;
    expect(bundle.records.filter((r) => r.type === 'frame').length).toBe(30);
    const result = bundle.records.find((r) => r.type === 'result');
    expect(result && result.type === 'result' && result.challenge.ended).toBeNull();
    const record = bundle.records.find((r) => r.type === 'video');
    expect(record?.type === 'video' && record.chunks.length).toBe(30);
    const server = await serverReanalyzer();
    const report = await verifyEvidence(serializeEvidence(bundle), { nonce: NONCE, document, planFromNonce: () => plan.steps, reanalyzeVideo: (c) => server.reanalyzeVideo(c) });
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    expect(report.verdict).toBe(decided!.verdict);
    // the attempt did not end: nothing passes without the challenge done
    expect(decided!.verdict).not.toBe('pass');
  }, 180_000);
});

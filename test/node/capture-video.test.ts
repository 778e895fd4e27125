// The Node host's capture video (ffmpeg libvpx -> IVF -> mediabunny WebM) read back with readCaptureVideo, on real
// frames (90 frames of franck.mp4 at 640x480) at irregular times: every packet is its chunk byte for byte, at its
// analysed frame's time; ffmpeg decodes the file to the same frames, at the same times, close to the input. Hostile
// bytes given to readCaptureVideo end in a typed `decode-failed`, quickly.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLivecheckError, type LivecheckError } from '../../src/errors.js';
import { readCaptureVideo } from '../../src/evidence/video-read.js';
import type { CaptureVideo } from '../../src/evidence/video.js';
import { NodeCaptureVideoEncoder } from '../../src/node/capture-video.js';
import { type DecodedImage, decodeVideo } from '../../src/node/media.js';
import { data, requireData } from '../helpers/data.js';

const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 90;
/** Analysed frames' times: 33.3 ms steps with a deterministic jitter of up to +-4 ms, from an arbitrary start. */
const times = Array.from({ length: FRAMES }, (_, i) => 12345.6 + i * 33.3 + 4 * Math.sin(i * 1.7));

let dir: string;
let input: DecodedImage[];
let video: CaptureVideo;
let encodeMs: number;

/** PSNR of two RGBA images over R, G and B, dB. */
function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if ((i & 3) === 3) continue;
    const d = a[i] - b[i];
    se += d * d;
    n++;
  }
  return 10 * Math.log10((255 * 255) / (se / n));
}

async function failure(run: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const t = performance.now();
  try {
    await run();
    return { error: null, ms: performance.now() - t };
  } catch (error) {
    return { error, ms: performance.now() - t };
  }
}

beforeAll(async () => {
  requireData(data.franckMp4, data.astronaut);
  dir = mkdtempSync(join(tmpdir(), 'livecheck-capture-video-'));
  input = [];
  for await (const f of decodeVideo(data.franckMp4, { width: WIDTH, height: HEIGHT, maxFrames: FRAMES })) input.push(f);
  const t = performance.now();
  const encoder = await NodeCaptureVideoEncoder.open(WIDTH, HEIGHT);
  // as a capture does: encode() is never awaited, finish() once at the end
  input.forEach((f, i) => encoder.encode(f, times[i]));
  video = await encoder.finish();
  encodeMs = performance.now() - t;
  writeFileSync(join(dir, 'capture.webm'), video.data);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('NodeCaptureVideoEncoder', () => {
  it('encodes every frame into one chunk, at its analysed time, the first a key frame', () => {
    expect(input.length).toBe(FRAMES);
    expect(video).toMatchObject({ mime: 'video/webm', codec: 'vp8', width: WIDTH, height: HEIGHT });
    expect(video.chunks.length).toBe(FRAMES);
    expect(video.chunks.map((c) => c.t)).toEqual(times);
    // a key frame every 75 frames (the default), no others
    expect(video.chunks.map((c, i) => (c.key ? i : -1)).filter((i) => i >= 0)).toEqual([0, 75]);
    for (const c of video.chunks) expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
    const seconds = (times[FRAMES - 1] - times[0] + 33.3) / 1000;
    console.log(
      `capture video: ${FRAMES} frames ${WIDTH}x${HEIGHT} in ${encodeMs.toFixed(0)} ms (${(encodeMs / FRAMES).toFixed(2)} ms/frame), ` +
        `${video.data.length} bytes (${((video.data.length * 8) / seconds / 1000).toFixed(0)} kbit/s, ${(video.data.length / seconds).toFixed(0)} B/s)`,
    );
    // ~400 kbit/s asked for: the file is within a factor of two of it
    expect((video.data.length * 8) / seconds).toBeGreaterThan(200_000);
    expect((video.data.length * 8) / seconds).toBeLessThan(800_000);
  });

  it('writes the chunks as the file packets, byte for byte, in order, at the chunks times (ms in the container)', async () => {
    const read = await readCaptureVideo(video.data);
    expect(read).toMatchObject({ mime: 'video/webm', codec: 'vp8', width: WIDTH, height: HEIGHT });
    expect(read.packets.length).toBe(FRAMES);
    read.packets.forEach((p, i) => {
      const c = video.chunks[i];
      expect({ key: p.key, bytes: p.bytes, sha256: p.sha256 }, `packet ${i}`).toEqual({ key: c.key, bytes: c.bytes, sha256: c.sha256 });
      // WebM stores whole milliseconds
      expect(Math.abs(p.t - c.t), `packet ${i}: ${p.t} vs ${c.t}`).toBeLessThanOrEqual(0.5);
    });
    expect(read.packets[0].key).toBe(true);
  });

  it('decodes with ffmpeg to the same frames at the same (absolute) times, close to the input', async () => {
    const out: Array<{ t: number; psnr: number }> = [];
    let i = 0;
    for await (const f of decodeVideo(join(dir, 'capture.webm'), { timing: 'source' })) {
      expect([f.width, f.height]).toEqual([WIDTH, HEIGHT]);
      out.push({ t: f.timestampMs, psnr: psnr(f.data, input[i++].data) });
    }
    expect(out.length).toBe(FRAMES);
    // 'source' timing: the container's own presentation times, not rebased to the first frame
    out.forEach((f, k) => expect(Math.abs(f.t - times[k]), `frame ${k}: ${f.t} vs ${times[k]}`).toBeLessThanOrEqual(0.5));
    const mean = out.reduce((s, f) => s + f.psnr, 0) / out.length;
    const worst = Math.min(...out.map((f) => f.psnr));
    console.log(`capture video PSNR vs input: mean ${mean.toFixed(2)} dB, worst ${worst.toFixed(2)} dB`);
    expect(mean).toBeGreaterThan(28);
    expect(worst).toBeGreaterThan(24);
  });

  it('keeps a key frame exactly every keyEvery frames', async () => {
    const encoder = await NodeCaptureVideoEncoder.open(WIDTH, HEIGHT, { keyEvery: 20, bitrate: 200_000 });
    input.slice(0, 45).forEach((f, i) => encoder.encode(f, i * 40));
    const v = await encoder.finish();
    expect(v.chunks.map((c, i) => (c.key ? i : -1)).filter((i) => i >= 0)).toEqual([0, 20, 40]);
    expect((await readCaptureVideo(v.data)).packets.map((p) => p.key)).toEqual(v.chunks.map((c) => c.key));
  });

  it('fails with invalid-frame-size for a frame of another size, ffmpeg-missing without ffmpeg', async () => {
    const encoder = await NodeCaptureVideoEncoder.open(WIDTH, HEIGHT);
    encoder.encode(input[0], 0);
    encoder.encode({ width: 320, height: 240, data: new Uint8Array(320 * 240 * 4) }, 33);
    await expect(encoder.finish()).rejects.toMatchObject({ code: 'invalid-frame-size' });
    await expect(NodeCaptureVideoEncoder.open(WIDTH, HEIGHT, { ffmpegPath: join(dir, 'no-such-ffmpeg') })).rejects.toMatchObject({ code: 'ffmpeg-missing' });
    await expect(NodeCaptureVideoEncoder.open(0, HEIGHT)).rejects.toMatchObject({ code: 'invalid-frame-size' });
  });

  it('reports ffmpeg failing, with its stderr', async () => {
    const fake = join(dir, 'failing-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\necho "libvpx: out of luck" >&2\nexit 3\n', { mode: 0o755 });
    const encoder = await NodeCaptureVideoEncoder.open(WIDTH, HEIGHT, { ffmpegPath: fake });
    input.slice(0, 5).forEach((f, i) => encoder.encode(f, i * 33));
    const { error } = await failure(() => encoder.finish());
    expect(isLivecheckError(error, 'encode-failed'), String(error)).toBe(true);
    expect((error as LivecheckError).detail).toMatchObject({ reason: 'ffmpeg-error', exitCode: 3, stderr: 'libvpx: out of luck' });
  });

  it('refuses a stream that lost a frame', async () => {
    // the real ffmpeg, with frame 1 dropped before the encoder
    const dropping = join(dir, 'dropping-ffmpeg');
    writeFileSync(dropping, '#!/bin/bash\nexec ffmpeg "${@:1:$#-1}" -vf "select=not(eq(n\\,1))" "${@: -1}"\n', { mode: 0o755 });
    const encoder = await NodeCaptureVideoEncoder.open(WIDTH, HEIGHT, { ffmpegPath: dropping });
    input.slice(0, 10).forEach((f, i) => encoder.encode(f, i * 33));
    const { error } = await failure(() => encoder.finish());
    expect(isLivecheckError(error, 'encode-failed'), String(error)).toBe(true);
    expect((error as LivecheckError).detail).toMatchObject({ reason: 'frame-count', frames: 10, packets: 9 });
  });
});

describe('readCaptureVideo on hostile bytes', () => {
  async function expectDecodeFailed(bytes: Uint8Array, reason?: string): Promise<void> {
    const { error, ms } = await failure(() => readCaptureVideo(bytes));
    expect(isLivecheckError(error, 'decode-failed'), String(error)).toBe(true);
    if (reason) expect((error as LivecheckError).detail?.reason).toBe(reason);
    expect(ms).toBeLessThan(3000);
  }

  it('refuses empty, random, a PNG, and a file cut to 100 bytes', async () => {
    await expectDecodeFailed(new Uint8Array(0), 'not-a-container');
    let seed = 7;
    const random = Uint8Array.from({ length: 1024 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    await expectDecodeFailed(random, 'not-a-container');
    await expectDecodeFailed(new Uint8Array(readFileSync(data.astronaut)), 'not-a-container');
    await expectDecodeFailed(video.data.slice(0, 100));
  });

  it('refuses a file cut short, wherever the cut', async () => {
    // the Segment's size says how long the file is; mediabunny alone would read the clusters the cut leaves whole
    // (none when the cut falls in the first, which holds frames 0-74 here)
    for (const keep of [0.5, 0.9, 0.999]) await expectDecodeFailed(video.data.slice(0, Math.floor(video.data.length * keep)), 'truncated');
  });

  it('reads or refuses a file with bytes overwritten, never anything else, quickly', async () => {
    // 200 deterministic corruptions (half in the headers): a LivecheckError decode-failed or packets, each in < 1 s
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const outcomes = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const bytes = video.data.slice();
      for (let j = 0, n = 1 + Math.floor(random() * 8); j < n; j++) bytes[Math.floor(random() * (k % 2 ? 400 : bytes.length))] = Math.floor(random() * 256);
      const { error, ms } = await failure(() => readCaptureVideo(bytes));
      if (error !== null) expect(isLivecheckError(error, 'decode-failed'), String(error)).toBe(true);
      outcomes.add(error === null ? 'read' : String((error as LivecheckError).detail?.reason));
      expect(ms).toBeLessThan(1000);
    }
    // the corruptions reach both paths
    expect(outcomes.has('read')).toBe(true);
    expect(outcomes.size).toBeGreaterThan(2);
  });

  it('refuses more packets than allowed', async () => {
    const { error } = await failure(() => readCaptureVideo(video.data, { maxPackets: 50 }));
    expect(isLivecheckError(error, 'decode-failed'), String(error)).toBe(true);
    expect((error as LivecheckError).detail?.reason).toBe('too-many-packets');
    expect((await readCaptureVideo(video.data, { maxPackets: FRAMES })).packets.length).toBe(FRAMES);
  });
});

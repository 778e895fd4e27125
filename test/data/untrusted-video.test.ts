// Decoding a video nobody vouches for (a capture uploaded to a server): `limits` bound the file size, the frame size
// (read from the header, before anything is decoded), the frame count and the time. Hostile and broken files (not a
// video, no video stream, 100k frames, 16000x16000, truncated) end in a typed `decode-failed` naming the reason, in
// bounded time and memory: the memory is measured in a child process that decodes with the built package.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLivecheckError } from '../../src/errors.js';
import { decodeVideo, probeVideo, type VideoLimits } from '../../src/node/media.js';
import { repoRoot } from '../helpers/data.js';

const dir = join(repoRoot, '.cache', 'test-video');
const file = (name: string) => join(dir, name);
const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: 'pipe' });

/** Generated once and kept in .cache/test-video (the 16000x16000 frame takes ~5 s and ~1.4 GB to make). */
function make(name: string, args: string[]): void {
  if (existsSync(file(name))) return;
  const tmp = file(`tmp-${name}`); // same extension: ffmpeg picks the container by it
  ffmpeg(...args, tmp);
  renameSync(tmp, file(name));
}

/** The limits a verification server would set for a 10 s capture. */
const SERVER: VideoLimits = { maxFileBytes: 4 << 20, maxPixels: 1280 * 720, maxFrames: 1000, timeoutMs: 20_000 };

async function outcome(path: string, limits: VideoLimits = SERVER): Promise<{ frames: number; code?: string; reason?: unknown; ms: number }> {
  const t = Date.now();
  let frames = 0;
  try {
    for await (const _ of decodeVideo(path, { limits, reuse: true })) frames++;
    return { frames, ms: Date.now() - t };
  } catch (e) {
    if (!isLivecheckError(e)) throw e;
    return { frames, code: e.code, reason: e.detail?.reason, ms: Date.now() - t };
  }
}

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  make('ok.webm', ['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=25', '-t', '2', '-c:v', 'libvpx', '-b:v', '400k']);
  make('many.mkv', ['-f', 'lavfi', '-i', 'testsrc=size=16x16:rate=1000', '-t', '100', '-c:v', 'libx264', '-preset', 'ultrafast']);
  make('many.mp4', ['-f', 'lavfi', '-i', 'testsrc=size=16x16:rate=1000', '-t', '100', '-c:v', 'libx264', '-preset', 'ultrafast']);
  make('big.mkv', ['-f', 'lavfi', '-i', 'color=black:s=16000x16000:d=0.04', '-frames:v', '1', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p']);
  make('audio.webm', ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus']);
  writeFileSync(file('noise.webm'), Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 2654435761) >>> 24)));
  const ok = readFileSync(file('ok.webm'));
  writeFileSync(file('truncated.webm'), ok.subarray(0, ok.length >> 1));
  // a y4m whose header claims 16384x16384 (1 GB of RGBA per frame) and holds a few bytes
  writeFileSync(file('big.y4m'), 'YUV4MPEG2 W16384 H16384 F25:1 Ip A1:1 C420jpeg\nFRAME\n\0\0\0\0');
}, 120_000);

describe('decoding an untrusted video', () => {
  it('a normal capture decodes within the server limits', async () => {
    const r = await outcome(file('ok.webm'));
    expect(r).toMatchObject({ frames: 50 });
    expect(r.code).toBeUndefined();
  });

  it('16000x16000 (ffmpeg) and 16384x16384 (y4m) are refused from the header, before decoding', async () => {
    for (const name of ['big.mkv', 'big.y4m']) {
      const r = await outcome(file(name));
      expect(r, name).toMatchObject({ frames: 0, code: 'decode-failed', reason: 'frame-too-large' });
      expect(r.ms, name).toBeLessThan(5000);
    }
    // the probe alone says the same
    const e = await probeVideo(file('big.mkv'), { limits: SERVER }).catch((x) => x);
    expect(isLivecheckError(e, 'decode-failed') && e.detail?.reason).toBe('frame-too-large');
  });

  it('100k frames: refused from the container when it states the count, cut at the limit when it does not', async () => {
    const stated = await outcome(file('many.mp4'));
    expect(stated).toMatchObject({ frames: 0, code: 'decode-failed', reason: 'too-many-frames' });
    const unstated = await outcome(file('many.mkv'));
    expect(unstated).toMatchObject({ frames: 1000, code: 'decode-failed', reason: 'too-many-frames' });
    // without the limit the same file decodes (it is only long, not broken): maxFrames cuts without an error
    let n = 0;
    for await (const _ of decodeVideo(file('many.mkv'), { maxFrames: 20, reuse: true })) n++;
    expect(n).toBe(20);
  });

  it('not a video, no video stream, a truncated file: decode-failed, never a hang', async () => {
    for (const name of ['noise.webm', 'audio.webm']) {
      const r = await outcome(file(name));
      expect(r, name).toMatchObject({ frames: 0, code: 'decode-failed' });
    }
    const t = await outcome(file('truncated.webm'));
    // whatever ffmpeg could read of the first half, and an error or the end: bounded, typed, fewer frames than the whole
    expect(t.frames).toBeLessThan(50);
    if (t.code) expect(t.code).toBe('decode-failed');
  });

  it('a file over the size limit is refused before it is read; a slow decode is stopped at the time limit', async () => {
    expect(await outcome(file('ok.webm'), { ...SERVER, maxFileBytes: 1000 })).toMatchObject({ frames: 0, code: 'decode-failed', reason: 'file-too-large' });
    const slow = await outcome(file('many.mkv'), { timeoutMs: 300 });
    expect(slow).toMatchObject({ code: 'decode-failed', reason: 'timeout' });
    expect(slow.ms).toBeLessThan(3000);
  });

  it("timing 'source': every frame the file holds, once, with its own time (no rate conversion)", async () => {
    const times: number[] = [];
    for await (const f of decodeVideo(file('ok.webm'), { timing: 'source', limits: SERVER, reuse: true })) times.push(f.timestampMs);
    expect(times).toEqual(Array.from({ length: 50 }, (_, i) => i * 40));
    // the constant-rate default resamples: asked for 10 fps it yields a fifth of them
    let n = 0;
    for await (const _ of decodeVideo(file('ok.webm'), { fps: 10, reuse: true })) n++;
    expect(n).toBe(20);
    const e = await decodeVideo(file('ok.webm'), { timing: 'source', fps: 10 })
      [Symbol.asyncIterator]()
      .next()
      .catch((x: unknown) => x);
    expect(isLivecheckError(e, 'invalid-argument')).toBe(true);
  });

  it('bad limits are invalid-argument', async () => {
    for (const limits of [{ maxPixels: 0 }, { maxFrames: 1.5 }, { timeoutMs: -1 }, { maxFileBytes: Number.NaN }]) {
      expect(await outcome(file('ok.webm'), limits as VideoLimits), JSON.stringify(limits)).toMatchObject({ code: 'invalid-argument' });
    }
  });

  it('peak memory stays bounded on the hostile files (measured in a child process with the built package)', () => {
    const dist = join(repoRoot, 'dist', 'node.js');
    expect(existsSync(dist), 'build first: npm run build').toBe(true);
    const script = `
      const { decodeVideo } = await import(${JSON.stringify(dist)});
      const out = {};
      for (const name of ['big.mkv', 'big.y4m', 'many.mkv', 'many.mp4', 'noise.webm', 'truncated.webm']) {
        let frames = 0, reason = null;
        try { for await (const _ of decodeVideo(${JSON.stringify(dir)} + '/' + name, { limits: ${JSON.stringify(SERVER)}, reuse: true })) frames++; }
        catch (e) { reason = e.detail?.reason ?? e.code; }
        out[name] = { frames, reason };
      }
      out.maxRssMb = process.resourceUsage().maxRSS / 1024;
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out['big.mkv'].reason).toBe('frame-too-large');
    expect(out['many.mkv']).toEqual({ frames: 1000, reason: 'too-many-frames' });
    // the Node process, decoding with the server limits: a 1280x720 RGBA frame is 3.7 MB; measured ~100 MB in all
    expect(out.maxRssMb).toBeLessThan(250);
  }, 90_000);
});

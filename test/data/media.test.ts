// Real data is present and intact, and src/node/media.ts decodes it the way an independent decoder (ffmpeg) does.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLivecheckError } from '../../src/errors.js';
import { decodeImage, decodeVideo, i420ToRgba, probeVideo, rgbaToI420, writeY4m } from '../../src/node/media.js';
import type { DecodedImage as RgbaImage, RgbaVideoFrame } from '../../src/node/media.js';
import { data, dataDir, dataPath, repoRoot, requireData } from '../helpers/data.js';

let tmp: string;
beforeAll(() => {
  requireData(data.astronaut, data.graceHopper, data.solvay, data.hdrRoom, data.franckMp4);
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-media-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What ffmpeg makes of the same file, as RGBA8: the independent reference. */
function ffmpegRgba(path: string, extra: string[] = []): Uint8Array {
  return execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, ...extra, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], {
    maxBuffer: 64 << 20,
  });
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if ((i & 3) === 3) continue; // alpha
    se += (a[i] - b[i]) ** 2;
    n++;
  }
  return 10 * Math.log10((255 * 255) / (se / n));
}

function lumaStats(img: RgbaImage): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  const n = img.width * img.height;
  for (let p = 0; p < n * 4; p += 4) {
    const y = 0.299 * img.data[p] + 0.587 * img.data[p + 1] + 0.114 * img.data[p + 2];
    s += y;
    s2 += y * y;
  }
  const mean = s / n;
  return { mean, std: Math.sqrt(s2 / n - mean * mean) };
}

async function collect(it: AsyncIterable<RgbaVideoFrame>): Promise<RgbaVideoFrame[]> {
  const out: RgbaVideoFrame[] = [];
  for await (const f of it) out.push(f);
  return out;
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return isLivecheckError(e) ? e.code : `not a LivecheckError: ${String(e)}`;
  }
  return 'no error';
}

describe('data manifest', () => {
  it('every listed file exists and matches its SHA-256', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'tools', 'data-manifest.json'), 'utf8')) as {
      sources: Array<{ id: string; licence: string; files: Record<string, string> }>;
    };
    let count = 0;
    for (const source of manifest.sources) {
      expect(source.licence, source.id).toMatch(/\S/);
      for (const [rel, hash] of Object.entries(source.files)) {
        expect(hash, rel).toMatch(/^[0-9a-f]{64}$/);
        const actual = createHash('sha256')
          .update(readFileSync(join(dataDir, rel)))
          .digest('hex');
        expect(actual, rel).toBe(hash);
        count++;
      }
    }
    expect(count).toBeGreaterThan(50);
  });

  it('the test helper fails (never skips) on missing data and says how to get it', () => {
    expect(() => requireData(data.astronaut, join(dataDir, 'photos', 'no-such.png'))).toThrow(/photos\/no-such\.png[\s\S]*npm run setup:data/);
    expect(() => dataPath('photos/no-such.png')).toThrow(/npm run setup:data/);
    expect(dataPath('photos/astronaut.png')).toBe(data.astronaut);
  });

  it('the fetch script itself verifies and is idempotent', () => {
    const out = execFileSync('node', [join(repoRoot, 'tools', 'fetch-data.mjs'), '--verify'], { encoding: 'utf8' });
    expect(out).toMatch(/ok: \d+ files verified/);
  });
});

describe('decodeImage', () => {
  it('decodes the astronaut PNG to 512x512 RGBA, identical to ffmpeg', () => {
    const img = decodeImage(data.astronaut);
    expect([img.width, img.height]).toEqual([512, 512]);
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(img.data.length).toBe(512 * 512 * 4);
    const { mean, std } = lumaStats(img);
    expect(mean).toBeGreaterThan(60);
    expect(mean).toBeLessThan(200);
    expect(std).toBeGreaterThan(30); // a photo, not a flat fill
    expect(Buffer.compare(Buffer.from(img.data), ffmpegRgba(data.astronaut))).toBe(0);
  });

  it('converts greyscale and 16-bit PNGs to RGBA8', () => {
    const grey = decodeImage(data.solvay); // 8-bit greyscale
    expect([grey.width, grey.height]).toEqual([1280, 926]);
    for (let p = 0; p < grey.data.length; p += 4 * 997) {
      expect(grey.data[p + 1]).toBe(grey.data[p]);
      expect(grey.data[p + 2]).toBe(grey.data[p]);
      expect(grey.data[p + 3]).toBe(255);
    }
    expect(meanAbsDiff(grey.data, ffmpegRgba(data.solvay))).toBe(0);

    const deep = decodeImage(data.hdrRoom); // 16-bit RGB
    expect([deep.width, deep.height]).toEqual([676, 449]);
    const ref = ffmpegRgba(data.hdrRoom);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - deep.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(1); // 16 -> 8 bit rounding may differ by one
  });

  it('decodes JPEGs close to ffmpeg (decoders differ only in IDCT rounding and chroma upsampling)', () => {
    const img = decodeImage(data.graceHopper);
    expect([img.width, img.height]).toEqual([512, 600]);
    expect(psnr(img.data, ffmpegRgba(data.graceHopper))).toBeGreaterThan(35);
  });

  it('fails with decode-failed on missing, truncated and non-image files', async () => {
    expect(await codeOf(() => decodeImage(join(tmp, 'nope.png')))).toBe('decode-failed');
    const png = readFileSync(data.astronaut);
    writeFileSync(join(tmp, 'half.png'), png.subarray(0, png.length >> 1));
    expect(await codeOf(() => decodeImage(join(tmp, 'half.png')))).toBe('decode-failed');
    const jpg = readFileSync(data.graceHopper);
    writeFileSync(join(tmp, 'half.jpg'), jpg.subarray(0, jpg.length >> 1));
    expect(await codeOf(() => decodeImage(join(tmp, 'half.jpg')))).toBe('decode-failed');
    writeFileSync(join(tmp, 'text.png'), 'hello');
    expect(await codeOf(() => decodeImage(join(tmp, 'text.png')))).toBe('decode-failed');
  });
});

describe('BT.601 limited-range conversion', () => {
  it('I420 -> RGBA matches the float formula within one level', () => {
    // 64x2 pixels, one (Y, U, V) per 2x2 block, covering the legal range (and a bit beyond, which must clamp).
    const w = 64;
    const y = new Uint8Array(w * 2);
    const u = new Uint8Array(w / 2);
    const v = new Uint8Array(w / 2);
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let b = 0; b < w / 2; b++) {
      const yy = rand();
      for (const i of [2 * b, 2 * b + 1, w + 2 * b, w + 2 * b + 1]) y[i] = yy;
      u[b] = rand();
      v[b] = rand();
    }
    const out = new Uint8Array(w * 2 * 4);
    i420ToRgba(y, u, v, w, 2, out);
    const clamp = (x: number): number => Math.min(255, Math.max(0, x));
    for (let b = 0; b < w / 2; b++) {
      const c = 1.164383 * (y[2 * b] - 16);
      const d = u[b] - 128;
      const e = v[b] - 128;
      const expected = [clamp(c + 1.596027 * e), clamp(c - 0.391762 * d - 0.812968 * e), clamp(c + 2.017232 * d)];
      for (const px of [2 * b, w + 2 * b + 1]) {
        for (let ch = 0; ch < 3; ch++) expect(Math.abs(out[px * 4 + ch] - expected[ch]), `block ${b} ch ${ch}`).toBeLessThanOrEqual(1);
        expect(out[px * 4 + 3]).toBe(255);
      }
    }
  });

  it('RGBA -> I420 inverts it on flat colours within one level', () => {
    const rgba = new Uint8Array(4 * 4 * 4);
    const y = new Uint8Array(16);
    const u = new Uint8Array(4);
    const v = new Uint8Array(4);
    const back = new Uint8Array(rgba.length);
    for (const [r, g, b] of [
      [0, 0, 0],
      [255, 255, 255],
      [200, 40, 90],
      [30, 160, 220],
      [128, 128, 128],
    ]) {
      for (let p = 0; p < 16; p++) rgba.set([r, g, b, 255], p * 4);
      rgbaToI420(rgba, 4, 4, y, u, v);
      i420ToRgba(y, u, v, 4, 4, back);
      for (let i = 0; i < rgba.length; i++) expect(Math.abs(back[i] - rgba[i]), `${r},${g},${b}`).toBeLessThanOrEqual(2);
    }
    rgbaToI420(rgba.fill(255), 4, 4, y, u, v);
    expect([y[0], u[0], v[0]]).toEqual([235, 128, 128]); // white is limited-range 235, neutral chroma
  });
});

describe('y4m', () => {
  it('round-trips RGBA -> y4m -> RGBA within 4:2:0 tolerance, with frame-rate timestamps', async () => {
    const src = decodeImage(data.astronaut);
    // Three distinct frames: the photo, its mirror image and a darker copy.
    const mirror = new Uint8Array(src.data.length);
    const dark = new Uint8Array(src.data.length);
    for (let y = 0; y < 512; y++) {
      for (let x = 0; x < 512; x++) {
        const a = (y * 512 + x) * 4;
        const b = (y * 512 + (511 - x)) * 4;
        for (let c = 0; c < 4; c++) {
          mirror[a + c] = src.data[b + c];
          dark[a + c] = c === 3 ? 255 : src.data[a + c] >> 1;
        }
      }
    }
    const frames = [src.data, mirror, dark].map((d) => ({ width: 512, height: 512, data: d }));
    const path = join(tmp, 'clip.y4m');
    expect(await writeY4m(path, frames, 30)).toBe(3);
    expect(readFileSync(path).subarray(0, 40).toString('latin1')).toMatch(/^YUV4MPEG2 W512 H512 F30:1 /);

    const info = await probeVideo(path);
    expect(info).toMatchObject({ width: 512, height: 512, fps: 30, frames: 3 });
    const back = await collect(decodeVideo(path));
    expect(back.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(back.map((f) => f.timestampMs)).toEqual([0, 1000 / 30, 2000 / 30]);
    for (let i = 0; i < 3; i++) {
      expect(meanAbsDiff(back[i].data, frames[i].data)).toBeLessThan(3);
      expect(psnr(back[i].data, frames[i].data)).toBeGreaterThan(30);
    }
    // Frames stay distinguishable (no frame mix-up).
    expect(meanAbsDiff(back[1].data, frames[0].data)).toBeGreaterThan(10);
    // ffmpeg reads our file as the same picture (checks header and plane layout independently).
    expect(psnr(ffmpegRgba(path), back[0].data)).toBeGreaterThan(35);
  });

  it('handles odd sizes, startMs, maxFrames and buffer reuse', async () => {
    const w = 101;
    const h = 75;
    const frames = Array.from({ length: 10 }, (_, i) => {
      const d = new Uint8Array(w * h * 4);
      for (let p = 0; p < w * h; p++) {
        d[p * 4] = 60 + (p % w) + i; // gentle gradient: 4:2:0 chroma averaging stays exact enough
        d[p * 4 + 1] = 40 + i * 10;
        d[p * 4 + 2] = 200 - i * 10;
        d[p * 4 + 3] = 255;
      }
      return { width: w, height: h, data: d };
    });
    const path = join(tmp, 'odd.y4m');
    await writeY4m(path, frames, 25);
    const seen: RgbaVideoFrame[] = [];
    const greens: number[] = [];
    for await (const f of decodeVideo(path, { startMs: 200, maxFrames: 3, reuse: true })) {
      seen.push(f);
      greens.push(f.data[1]);
    }
    expect(seen.length).toBe(3);
    expect(seen[0]).toBe(seen[2]); // same object, no per-frame allocation
    expect(seen[2].timestampMs).toBe(280);
    // frames 5, 6, 7 of the clip: green was 40 + i * 10 (round trip within 2)
    greens.forEach((g, k) => expect(Math.abs(g - (40 + (5 + k) * 10))).toBeLessThanOrEqual(2));
  });

  it('a truncated y4m fails with decode-failed after its complete frames', async () => {
    const path = join(tmp, 'clip.y4m');
    const bytes = readFileSync(path);
    const cut = join(tmp, 'cut.y4m');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    const got: number[] = [];
    const code = await codeOf(
      (async () => {
        for await (const f of decodeVideo(cut)) got.push(f.index);
      })(),
    );
    expect(code).toBe('decode-failed');
    expect(got).toEqual([0, 1]);
  });
});

describe('decodeVideo with ffmpeg', () => {
  it('probes franck.mp4 as 360x288, 24 fps, 200 s', async () => {
    const info = await probeVideo(data.franckMp4);
    expect(info.width).toBe(360);
    expect(info.height).toBe(288);
    expect(info.fps).toBe(24);
    expect(info.frames).toBe(4800);
    expect(info.durationMs).toBeCloseTo(200_000, -1);
  });

  it('decodes franck.mp4 to 360x288 RGBA frames with 24 fps timestamps, and seeks exactly', async () => {
    const frames = await collect(decodeVideo(data.franckMp4, { maxFrames: 49 }));
    expect(frames.length).toBe(49);
    for (const f of frames) {
      expect([f.width, f.height, f.data.length]).toEqual([360, 288, 360 * 288 * 4]);
    }
    expect(frames.map((f) => f.timestampMs)).toEqual(frames.map((_, i) => (i * 1000) / 24));
    const { mean, std } = lumaStats(frames[0]);
    expect(mean).toBeGreaterThan(40);
    expect(std).toBeGreaterThan(15);
    // a talking head: consecutive frames differ a little, a second apart more
    expect(meanAbsDiff(frames[0].data, frames[1].data)).toBeGreaterThan(0);
    expect(meanAbsDiff(frames[0].data, frames[48].data)).toBeGreaterThan(meanAbsDiff(frames[0].data, frames[1].data));
    // Frame 48 by seeking to 2 s is the same picture as frame 48 decoded from the start.
    const [seeked] = await collect(decodeVideo(data.franckMp4, { startMs: 2000, maxFrames: 1 }));
    expect(seeked.timestampMs).toBe(2000);
    expect(meanAbsDiff(seeked.data, frames[48].data)).toBe(0);
  });

  it('scales keeping the aspect ratio and resamples the frame rate', async () => {
    const frames = await collect(decodeVideo(data.franckMp4, { width: 640, fps: 12, maxFrames: 4, reuse: true }));
    expect(frames.length).toBe(4);
    expect([frames[0].width, frames[0].height]).toEqual([640, 512]);
    expect(frames[3].timestampMs).toBe(250);
  });

  it('stops ffmpeg when the consumer breaks early', async () => {
    let n = 0;
    for await (const f of decodeVideo(data.franckMp4)) {
      expect(f.index).toBe(n);
      if (++n === 3) break;
    }
    expect(n).toBe(3);
  });

  it('fails with decode-failed on missing and truncated files', async () => {
    expect(await codeOf(collect(decodeVideo(join(tmp, 'nope.mp4'))))).toBe('decode-failed');
    expect(await codeOf(probeVideo(join(tmp, 'nope.mp4')))).toBe('decode-failed');
    const mp4 = readFileSync(data.franckMp4);
    writeFileSync(join(tmp, 'half.mp4'), mp4.subarray(0, mp4.length >> 1));
    expect(await codeOf(collect(decodeVideo(join(tmp, 'half.mp4'))))).toBe('decode-failed');
  });

  it('refuses bad options with invalid-argument', async () => {
    for (const opts of [{ width: 0 }, { height: 10.5 }, { maxFrames: -1 }, { fps: 0 }, { fps: NaN }, { startMs: -5 }]) {
      expect(await codeOf(collect(decodeVideo(data.franckMp4, opts))), JSON.stringify(opts)).toBe('invalid-argument');
    }
  });

  it('fails with ffmpeg-missing when ffmpeg is not on the PATH (y4m still decodes)', async () => {
    const saved = process.env.PATH;
    const savedFf = process.env.FFMPEG_PATH;
    process.env.PATH = join(tmp, 'empty-bin');
    delete process.env.FFMPEG_PATH;
    try {
      expect(await codeOf(collect(decodeVideo(data.franckMp4, { maxFrames: 1 })))).toBe('ffmpeg-missing');
      expect(await codeOf(probeVideo(data.franckMp4))).toBe('ffmpeg-missing');
      expect((await collect(decodeVideo(join(tmp, 'clip.y4m')))).length).toBe(3);
    } finally {
      process.env.PATH = saved;
      if (savedFf !== undefined) process.env.FFMPEG_PATH = savedFf;
    }
  });
});

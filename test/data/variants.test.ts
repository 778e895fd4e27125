// Every synthetic variant exists with its declared size, rate and length, and carries the condition it claims,
// measured against the clean clip of the same segment with cheap image statistics.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeVideo, probeVideo } from '../../src/node/media.js';
import type { RgbaVideoFrame } from '../../src/node/media.js';
import { data, ensureVariants, requireData, variantNames } from '../helpers/data.js';
import type { VariantEntry } from '../helpers/data.js';

const W = 640;
const H = 480;

interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}
const FULL: Region = { x: 0, y: 0, w: W, h: H };
// Where the face is in the clean clips at 640x480 (checked by eye; generous margins inside the face).
const CAP13_FACE: Region = { x: 250, y: 150, w: 150, h: 200 };
const FRANCK_FACE: Region = { x: 230, y: 110, w: 180, h: 230 };
// franck's blue backdrop beside his head.
const FRANCK_BACKDROP: Region[] = [
  { x: 20, y: 20, w: 140, h: 180 },
  { x: 500, y: 20, w: 130, h: 180 },
];

/** Per-frame luma (BT.601) and mean RGB. */
interface Frame {
  index: number;
  timestampMs: number;
  luma: Uint8Array;
  rgb: [number, number, number];
}

let variants: Map<string, VariantEntry>;
const cache = new Map<string, Frame[]>();

function toFrame(f: RgbaVideoFrame): Frame {
  const luma = new Uint8Array(f.width * f.height);
  let r = 0;
  let g = 0;
  let b = 0;
  for (let i = 0, p = 0; i < luma.length; i++, p += 4) {
    luma[i] = (77 * f.data[p] + 150 * f.data[p + 1] + 29 * f.data[p + 2] + 128) >> 8;
    r += f.data[p];
    g += f.data[p + 1];
    b += f.data[p + 2];
  }
  const n = luma.length;
  return { index: f.index, timestampMs: f.timestampMs, luma, rgb: [r / n, g / n, b / n] };
}

/**
 * The first `count` frames of a variant (default all). The clean references are decoded whole once and kept (they
 * are compared against many times); the others are decoded as far as a test needs, and not kept.
 */
async function framesOf(name: string, count?: number): Promise<Frame[]> {
  const keep = name.startsWith('clean-');
  let frames = cache.get(name);
  if (!frames) {
    frames = [];
    const opts = { reuse: true, ...(count !== undefined && !keep ? { maxFrames: count } : {}) };
    for await (const f of decodeVideo(variants.get(name)!.path, opts)) frames.push(toFrame(f));
    if (keep) cache.set(name, frames);
  }
  return count === undefined ? frames : frames.slice(0, count);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function std(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

function regionMean(luma: Uint8Array, r: Region): number {
  let s = 0;
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) s += luma[y * W + x];
  return s / (r.w * r.h);
}

/**
 * 2x2 block means (320x240). Detail measures run on this: at full size they would mostly see the +-1 rounding noise
 * of YUV -> RGB -> luma, and the clips are upscaled from 360-400 px sources anyway.
 */
function half(luma: Uint8Array): Float64Array {
  const w = W / 2;
  const out = new Float64Array(w * (H / 2));
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(y >> 1) * w + (x >> 1)] += luma[y * W + x] / 4;
  return out;
}

/** Variance of the Laplacian of the half-size image: the classic focus measure (edges dominate, flat noise does not). */
function laplacian(luma: Uint8Array): number {
  const l = half(luma);
  const w = W / 2;
  let s = 0;
  for (let y = 1; y < H / 2 - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      s += (4 * l[i] - l[i - 1] - l[i + 1] - l[i - w] - l[i + w]) ** 2;
    }
  }
  return s / ((w - 2) * (H / 2 - 2));
}

/** Horizontal and vertical gradient energy of the half-size image. */
function gradients(luma: Uint8Array): { gx: number; gy: number } {
  const l = half(luma);
  const w = W / 2;
  let gx = 0;
  let gy = 0;
  for (let y = 0; y < H / 2 - 1; y++) {
    for (let x = 0; x < w - 1; x++) {
      const i = y * w + x;
      gx += (l[i + 1] - l[i]) ** 2;
      gy += (l[i + w] - l[i]) ** 2;
    }
  }
  return { gx, gy };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array, r: Region = FULL): number {
  let s = 0;
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) s += Math.abs(a[y * W + x] - b[y * W + x]);
  return s / (r.w * r.h);
}

/** Whole-frame translation between two frames (integer px), from column and row luma profiles. */
function shift(a: Uint8Array, b: Uint8Array): { dx: number; dy: number } {
  const profile = (l: Uint8Array, cols: boolean): Float64Array => {
    const p = new Float64Array(cols ? W : H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) p[cols ? x : y] += l[y * W + x];
    return p;
  };
  const best = (pa: Float64Array, pb: Float64Array): number => {
    const max = 16;
    let bestD = 0;
    let bestCost = Infinity;
    for (let d = -max; d <= max; d++) {
      let cost = 0;
      for (let i = max; i < pa.length - max; i++) cost += Math.abs(pa[i] - pb[i + d]);
      if (cost < bestCost) {
        bestCost = cost;
        bestD = d;
      }
    }
    return bestD;
  };
  return { dx: best(profile(a, true), profile(b, true)), dy: best(profile(a, false), profile(b, false)) };
}

function clippedFraction(luma: Uint8Array, level: number): number {
  let n = 0;
  for (const v of luma) if (v >= level) n++;
  return n / luma.length;
}

function argmax(values: number[]): number {
  return values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
}

beforeAll(async () => {
  requireData(data.franckMp4, data.cap13Mp4, data.cap12Mp4, data.vtest, data.hdrRoom, data.franckStills);
  const entries = await ensureVariants(undefined, { log: (m) => process.stdout.write(`[variants] ${m}\n`) });
  variants = new Map(entries.map((e) => [e.name, e]));
}, 600_000); // first run builds every variant: ~75 s on an idle 2-core machine, much more when it is shared

describe('variant files', () => {
  it('the manifest lists every variant with a description and its sources', () => {
    expect([...variants.keys()]).toEqual(variantNames());
    for (const name of [
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
      'uneven-light',
      'print',
      'screen-replay',
      'static-photo',
      'face-swap',
    ]) {
      const e = variants.get(name);
      expect(e, name).toBeDefined();
      expect(e!.description.length, name).toBeGreaterThan(10);
      expect(e!.sources.length, name).toBeGreaterThan(0);
      expect(e!.live, name).toBe(e!.species === 'clean' || e!.species === 'degradation');
    }
  });

  it.each(variantNames())('%s has the declared size, frame rate and length', async (name) => {
    const e = variants.get(name)!;
    expect([e.width, e.height]).toEqual([W, H]);
    expect(e.durationMs).toBeGreaterThanOrEqual(3000);
    expect(e.durationMs).toBeLessThanOrEqual(8000);
    const info = await probeVideo(e.path);
    expect([info.width, info.height]).toEqual([e.width, e.height]);
    expect(info.fps).toBeCloseTo(e.fps, 6);
    expect(info.frames).toBe(e.frames); // from the mp4 sample table
    const [first] = await collectFrames(decodeVideo(e.path, { maxFrames: 1 }));
    expect([first.luma.length, first.timestampMs]).toEqual([W * H, 0]);
  });
});

describe('y4m copies (for the Chromium fake camera)', () => {
  it('decode natively to the same picture as the mp4 decoded by ffmpeg', async () => {
    const [e] = await ensureVariants(['light-switch'], { y4m: true });
    expect(e.y4mPath).toMatch(/light-switch\.y4m$/);
    const info = await probeVideo(e.y4mPath!);
    expect(info).toMatchObject({ width: W, height: H, fps: e.fps, frames: e.frames });
    const fromY4m = await collectFrames(decodeVideo(e.y4mPath!, { startMs: 2000, maxFrames: 40 }));
    const fromMp4 = await collectFrames(decodeVideo(e.path, { startMs: 2000, maxFrames: 40 }));
    expect(fromY4m.map((f) => f.timestampMs)).toEqual(fromMp4.map((f) => f.timestampMs));
    // Same YUV planes, two YUV -> RGB conversions: ffmpeg's swscale runs 1-2 levels low on coloured pixels (ours
    // matches the float BT.601 formula, see media.test.ts), hence a tolerance of 2 rather than 1.
    for (const i of [0, 20, 39]) expect(meanAbsDiff(fromY4m[i].luma, fromMp4[i].luma)).toBeLessThan(2);
    // and the step in brightness is in the same frame
    expect(meanAbsDiff(fromY4m[24].luma, fromY4m[26].luma)).toBeGreaterThan(10 * meanAbsDiff(fromY4m[20].luma, fromY4m[22].luma));
  });
});

describe('clean clips are the declared source segments', () => {
  it.each([
    ['clean-cap13', data.cap13Mp4],
    ['clean-cap12', data.cap12Mp4],
  ])('%s frame 0 matches its source', async (name, source) => {
    const e = variants.get(name)!;
    const startMs = e.sources[0].startMs!;
    const [ref] = await collectFrames(decodeVideo(source, { startMs, width: W, height: H, maxFrames: 1 }));
    const [first] = await framesOf(name);
    expect(meanAbsDiff(first.luma, ref.luma)).toBeLessThan(2);
    // and not just any frame of the same scene
    const [later] = await collectFrames(decodeVideo(source, { startMs: startMs + 4000, width: W, height: H, maxFrames: 1 }));
    expect(meanAbsDiff(first.luma, later.luma)).toBeGreaterThan(2 * meanAbsDiff(first.luma, ref.luma));
  });

  it('clean-franck frame 0 matches franck.mp4 at 18 s, scaled to 640x512 and cropped', async () => {
    const [src] = await collectFrames(decodeVideo(data.franckMp4, { startMs: 18_000, width: 640, height: 512, maxFrames: 1 }));
    const [first] = await framesOf('clean-franck');
    const cropped = src.luma.subarray(16 * W, (16 + H) * W);
    expect(meanAbsDiff(first.luma, cropped)).toBeLessThan(2);
  });
});

async function collectFrames(it: AsyncIterable<RgbaVideoFrame>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of it) out.push(toFrame(f));
  return out;
}

describe('degradations carry their condition', () => {
  it('dark: much lower luma and more temporal noise than the clean clip', async () => {
    const [dark, clean] = [await framesOf('dark', 41), await framesOf('clean-cap13', 41)];
    const lumaDark = mean(dark.map((f) => regionMean(f.luma, FULL)));
    const lumaClean = mean(clean.map((f) => regionMean(f.luma, FULL)));
    expect(lumaDark).toBeLessThan(0.4 * lumaClean);
    // frame-to-frame change: noise dominates in the dark clip even though its signal is 0.22x
    const change = (fs: Frame[]): number => mean(fs.slice(1, 40).map((f, i) => meanAbsDiff(f.luma, fs[i].luma, CAP13_FACE)));
    expect(change(dark)).toBeGreaterThan(1.5 * change(clean));
  });

  it('bright: higher luma and a large clipped area', async () => {
    const [bright, clean] = [await framesOf('bright', 51), await framesOf('clean-cap13')];
    expect(regionMean(bright[50].luma, FULL)).toBeGreaterThan(regionMean(clean[50].luma, FULL) + 50);
    expect(clippedFraction(bright[50].luma, 250)).toBeGreaterThan(0.3);
    expect(clippedFraction(clean[50].luma, 250)).toBeLessThan(0.05);
  });

  it('backlit: face darker than a near-white surround (the clean backdrop is darker than the face)', async () => {
    const [backlit, clean] = [await framesOf('backlit', 31), await framesOf('clean-franck')];
    const ratio = (f: Frame): number => regionMean(f.luma, FRANCK_FACE) / mean(FRANCK_BACKDROP.map((r) => regionMean(f.luma, r)));
    expect(ratio(clean[30])).toBeGreaterThan(1);
    expect(ratio(backlit[30])).toBeLessThan(0.6);
    expect(mean(FRANCK_BACKDROP.map((r) => regionMean(backlit[30].luma, r)))).toBeGreaterThan(220);
  });

  it('defocus: far less high-frequency energy', async () => {
    const [blurred, clean] = [await framesOf('defocus'), await framesOf('clean-cap13')];
    for (const i of [0, 75, 149]) {
      expect(laplacian(blurred[i].luma)).toBeLessThan(0.2 * laplacian(clean[i].luma));
    }
  });

  it('motion-blur: horizontal detail lost (not vertical) and the camera pans', async () => {
    const [blurred, clean] = [await framesOf('motion-blur', 101), await framesOf('clean-cap13')];
    const anisotropy = (f: Frame): number => {
      const { gx, gy } = gradients(f.luma);
      return gx / gy;
    };
    // horizontal/vertical energy: ~0.9 on the clean clip, about half that with a horizontal blur
    const frames = [20, 40, 60, 80, 100];
    expect(mean(frames.map((i) => anisotropy(blurred[i])))).toBeLessThan(0.7 * mean(frames.map((i) => anisotropy(clean[i]))));
    const pans = blurred.slice(1, 60).map((f, i) => Math.abs(shift(blurred[i].luma, f.luma).dx));
    expect(Math.max(...pans)).toBeGreaterThanOrEqual(3);
  });

  it('flicker: frame brightness jumps from frame to frame', async () => {
    const [flicker, clean] = [await framesOf('flicker'), await framesOf('clean-cap13')];
    const jumps = (fs: Frame[]): number => std(fs.slice(1).map((f, i) => regionMean(f.luma, FULL) - regionMean(fs[i].luma, FULL)));
    expect(jumps(flicker)).toBeGreaterThan(8);
    expect(jumps(flicker)).toBeGreaterThan(5 * jumps(clean));
  });

  it('light-switch: one step down in brightness at the declared time', async () => {
    const e = variants.get('light-switch')!;
    const frames = await framesOf('light-switch');
    const switchFrame = Math.round(((e.params.switchAtMs as number) * e.fps) / 1000);
    const luma = frames.map((f) => regionMean(f.luma, FULL));
    expect(mean(luma.slice(switchFrame + 2))).toBeLessThan(0.6 * mean(luma.slice(0, switchFrame - 2)));
    const steps = luma.slice(1).map((v, i) => Math.abs(v - luma[i]));
    expect(Math.abs(argmax(steps) + 1 - switchFrame)).toBeLessThanOrEqual(1);
    const clean = (await framesOf('clean-cap13')).map((f) => regionMean(f.luma, FULL));
    expect(mean(clean.slice(switchFrame + 2)) / mean(clean.slice(0, switchFrame - 2))).toBeGreaterThan(0.9);
  });

  it('shake: the whole frame moves by a few pixels between frames', async () => {
    const [shaky, clean] = [await framesOf('shake', 81), await framesOf('clean-cap13')];
    const motion = (fs: Frame[]): number[] =>
      fs.slice(1, 80).map((f, i) => {
        const s = shift(fs[i].luma, f.luma);
        return Math.hypot(s.dx, s.dy);
      });
    expect(mean(motion(shaky))).toBeGreaterThan(1);
    expect(Math.max(...motion(shaky))).toBeGreaterThanOrEqual(2);
    expect(mean(motion(clean))).toBeLessThan(0.3);
  });

  it('background-motion: the background changes far more than in the clean clip, the face does not', async () => {
    const [moving, clean] = [await framesOf('background-motion'), await framesOf('clean-franck')];
    const lag = 24; // one second
    const sides: Region[] = [
      { x: 0, y: 0, w: 170, h: 300 },
      { x: 480, y: 0, w: 160, h: 300 },
    ];
    const bgChange = (fs: Frame[]): number => mean(fs.slice(lag).map((f, i) => mean(sides.map((r) => meanAbsDiff(f.luma, fs[i].luma, r)))));
    const faceChange = (fs: Frame[]): number => mean(fs.slice(lag).map((f, i) => meanAbsDiff(f.luma, fs[i].luma, FRANCK_FACE)));
    expect(bgChange(moving)).toBeGreaterThan(3 * bgChange(clean));
    expect(faceChange(moving)).toBeLessThan(2 * faceChange(clean) + 1);
  });

  it('color-cast: red and blue casts shift the R/B balance strongly', async () => {
    const rb = (f: Frame): number => f.rgb[0] / f.rgb[2];
    const clean = rb((await framesOf('clean-cap13'))[60]);
    expect(rb((await framesOf('color-cast', 61))[60])).toBeGreaterThan(1.8 * clean);
    expect(rb((await framesOf('color-cast-blue', 61))[60])).toBeLessThan(clean / 1.8);
  });

  it('uneven-light: one half of the face much darker than the other', async () => {
    const balance = (f: Frame): number => {
      const half = CAP13_FACE.w / 2;
      const l = regionMean(f.luma, { ...CAP13_FACE, w: half });
      const r = regionMean(f.luma, { ...CAP13_FACE, x: CAP13_FACE.x + half, w: half });
      return (l - r) / (l + r);
    };
    expect(balance((await framesOf('uneven-light', 61))[60])).toBeGreaterThan(0.3);
    expect(Math.abs(balance((await framesOf('clean-cap13'))[60]))).toBeLessThan(0.15);
  });
});

describe('attacks carry their cues', () => {
  /** Pixels of franck's blue backdrop (only the photo carries it in the print attack). */
  function bluePixels(f: Frame, rgba: Uint8Array): { count: number; cx: number; cy: number } {
    let n = 0;
    let sx = 0;
    let sy = 0;
    for (let i = 0, p = 0; i < W * H; i++, p += 4) {
      if (rgba[p + 2] > 160 && rgba[p + 2] > rgba[p] + 90 && rgba[p + 2] > rgba[p + 1] + 40) {
        n++;
        sx += i % W;
        sy += (i / W) | 0;
      }
    }
    void f;
    return { count: n, cx: sx / n, cy: sy / n };
  }

  it('print: static room, a rigid photo that moves over it', async () => {
    const e = variants.get('print')!;
    const stats: Array<{ count: number; cx: number; cy: number }> = [];
    const lumas: Uint8Array[] = [];
    for await (const f of decodeVideo(e.path, { fps: 5, reuse: true })) {
      const frame = toFrame(f);
      lumas.push(frame.luma);
      stats.push(bluePixels(frame, f.data));
    }
    // the room corner never changes beyond camera noise
    const corner: Region = { x: 0, y: 400, w: 90, h: 80 };
    expect(Math.max(...lumas.slice(1).map((l) => meanAbsDiff(l, lumas[0], corner)))).toBeLessThan(4);
    // the photo's content (its blue backdrop) keeps its area (rigid) but travels
    const counts = stats.map((s) => s.count);
    expect(Math.min(...counts)).toBeGreaterThan(20_000);
    expect(Math.min(...counts) / Math.max(...counts)).toBeGreaterThan(0.85);
    const travel = Math.max(...stats.map((s) => Math.hypot(s.cx - stats[0].cx, s.cy - stats[0].cy)));
    expect(travel).toBeGreaterThan(15);
  });

  it('screen-replay: dark bezel around the screen and a moire grating on its picture', async () => {
    const e = variants.get('screen-replay')!;
    const [originX, originY] = e.params.screenOriginPx as [number, number];
    const bezel = e.params.bezelPx as number;
    const [sw, sh] = e.params.screenPx as [number, number];
    const moire = e.params.moire as { fine: [number, number]; coarse: [number, number]; depth: number };
    const [frame] = await framesOf('screen-replay'); // t = 0: the screen sits exactly at its declared origin
    const topBezel = regionMean(frame.luma, { x: originX, y: originY - bezel + 3, w: sw, h: bezel - 6 });
    const above = regionMean(frame.luma, { x: originX, y: 5, w: sw, h: 30 });
    expect(topBezel).toBeLessThan(40);
    expect(above).toBeGreaterThan(topBezel + 60);

    // Projection of the screen's luma on the grating, relative to its mean: ~depth on the replay, ~0 on the clean clip.
    const gratingDepth = (luma: Uint8Array, ox: number, oy: number): number => {
      let dot = 0;
      let norm = 0;
      let sum = 0;
      for (let y = 0; y < sh; y++) {
        for (let x = 0; x < sw; x++) {
          const p = Math.sin(moire.fine[0] * x + moire.fine[1] * y) * Math.sin(moire.coarse[0] * x + moire.coarse[1] * y);
          const v = luma[(oy + y) * W + ox + x];
          dot += v * p;
          norm += p * p;
          sum += v;
        }
      }
      return dot / norm / (sum / (sw * sh));
    };
    const replay = gratingDepth(frame.luma, originX, originY);
    const clean = gratingDepth((await framesOf('clean-cap13'))[0].luma, originX, originY);
    expect(replay).toBeGreaterThan(moire.depth / 3);
    expect(Math.abs(clean)).toBeLessThan(moire.depth / 10);
  });

  it('static-photo: nothing moves beyond a pixel of jitter, unlike the live clip', async () => {
    const [still, live] = [await framesOf('static-photo', 141), await framesOf('clean-franck')];
    // compare 16x16 block means, so a pixel of jitter does not count as motion
    const blocks = (l: Uint8Array): Float64Array => {
      const b = new Float64Array((W / 16) * (H / 16));
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) b[((y / 16) | 0) * (W / 16) + ((x / 16) | 0)] += l[y * W + x] / 256;
      return b;
    };
    const change = (fs: Frame[]): number => {
      const a = blocks(fs[0].luma);
      return Math.max(
        ...[24, 60, 100, 140].map((k) => {
          const b = blocks(fs[k].luma);
          return mean(Array.from(a, (v, i) => Math.abs(v - b[i])));
        }),
      );
    };
    expect(change(still)).toBeLessThan(2);
    expect(change(live)).toBeGreaterThan(2 * change(still));
  });

  it('face-swap: a hard cut to a different scene at the declared frame', async () => {
    const e = variants.get('face-swap')!;
    const frames = await framesOf('face-swap');
    const cut = e.params.switchAtFrame as number;
    const cuts = frames.slice(1).map((f, i) => meanAbsDiff(f.luma, frames[i].luma));
    expect(argmax(cuts) + 1).toBe(cut);
    const others = cuts.filter((_, i) => i + 1 !== cut).sort((a, b) => a - b);
    expect(cuts[cut - 1]).toBeGreaterThan(5 * others[others.length >> 1]);
    // first half: franck's blue backdrop; second half: cap13's warm room
    const blueness = (f: Frame): number => f.rgb[2] / f.rgb[0];
    expect(mean(frames.slice(0, cut).map(blueness))).toBeGreaterThan(1.3);
    expect(mean(frames.slice(cut).map(blueness))).toBeLessThan(0.9);
  });
});

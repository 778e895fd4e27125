// Face counts on real photos: single portraits, group photos, Solvay 1927 against its ground truth, and no-face images.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceTracker } from '../../src/face/index.js';
import { boxIou } from '../../src/face/crop.js';
import { createTracker, data, loadImage } from './engine.js';

let tracker: FaceTracker;
beforeAll(async () => {
  tracker = await createTracker();
});
afterAll(async () => {
  await tracker?.close();
});

const boxOf = (f: { box: { x: number; y: number; width: number; height: number } }) => [f.box.x, f.box.y, f.box.width, f.box.height];

describe('single portraits: exactly one face', () => {
  const portraits = [['astronaut', data.astronaut], ['grace_hopper', data.graceHopper], ...['jesper', 'jesper_2', 'anne_helene', 'new_wave_2', 'new_wave_1'].map((n) => [n, data.kphotoalbum(n)])];
  it.each(portraits)('%s', async (_name, path) => {
    const img = loadImage(path);
    const r = await tracker.detectImage(img);
    expect(r.faceCount).toBe(1);
    const [f] = r.faces;
    expect(f.score).toBeGreaterThan(0.5);
    expect(f.landmarks).toHaveLength(468 + 10);
    expect(f.eyeContours?.right).toHaveLength(71);
    // every mesh point inside (or just outside) the image, and the box inside the image
    expect(f.box.width).toBeGreaterThan(20);
    for (const [x, y] of f.landmarks.slice(0, 468)) {
      expect(x).toBeGreaterThan(-0.2 * img.width);
      expect(y).toBeGreaterThan(-0.2 * img.height);
    }
    // iris centres sit between their eye corners
    const [re, le] = [f.landmarks[468], f.landmarks[473]];
    const between = (p: number[], a: number[], b: number[]) => {
      const t = ((p[0] - a[0]) * (b[0] - a[0]) + (p[1] - a[1]) * (b[1] - a[1])) / ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2);
      return t > 0 && t < 1;
    };
    expect(between(re, f.landmarks[33], f.landmarks[133])).toBe(true);
    expect(between(le, f.landmarks[362], f.landmarks[263])).toBe(true);
  });
});

describe('group photos: the right number of faces', () => {
  // counted by eye on the photos (see README): 3, 3, 3, 4, 5, 4 people, all faces visible
  const expected = [3, 3, 3, 4, 5, 4];
  it.each(expected.map((n, i) => [i + 1, n]))('face-api sample%i.jpg has %i faces', async (i, n) => {
    const img = loadImage(data.faceApiSamples[i - 1]);
    const r = await tracker.detectImage(img, { tileSize: 960 });
    expect(r.faceCount).toBe(n);
    // distinct faces, not one face reported twice
    for (let a = 0; a < r.faces.length; a++) for (let b = a + 1; b < r.faces.length; b++) expect(boxIou(boxOf(r.faces[a]), boxOf(r.faces[b]))).toBeLessThan(0.2);
  });

  it('kphotoalbum qt-logo.jpg has 3 faces', async () => {
    const r = await tracker.detectImage(loadImage(data.kphotoalbum('qt-logo')));
    expect(r.faceCount).toBe(3);
  });

  it('Solvay 1927: at least 25 of the 30 ground-truth faces found at IoU >= 0.3, and no face outside them', async () => {
    // ViSP ground truth: "detection_i" then 4 corners as "row col" lines
    const lines = readFileSync(data.solvayGt, 'utf8').trim().split(/\r?\n/);
    const truth: number[][] = [];
    for (let i = 0; i < lines.length; i += 5) {
      const pts = lines.slice(i + 1, i + 5).map((l) => l.trim().split(/\s+/).map(Number));
      const rows = pts.map((p) => p[0]),
        cols = pts.map((p) => p[1]);
      truth.push([Math.min(...cols), Math.min(...rows), Math.max(...cols) - Math.min(...cols), Math.max(...rows) - Math.min(...rows)]);
    }
    expect(truth).toHaveLength(30);
    const r = await tracker.detectImage(loadImage(data.solvay), { tileSize: 200 });
    const found = r.faces.map(boxOf);
    const matched = truth.filter((t) => found.some((f) => boxIou(t, f) >= 0.3)).length;
    expect(matched).toBeGreaterThanOrEqual(25);
    const unmatched = found.filter((f) => !truth.some((t) => boxIou(t, f) >= 0.3)).length;
    expect(unmatched).toBeLessThanOrEqual(2);
  });
});

describe('no face', () => {
  it.each(['grand_canyon_3', 'skagen', 'skagen_2', 'sunset', 'snow', 'spiff'])('kphotoalbum %s.jpg (landscape, animal): no face', async (name) => {
    const r = await tracker.detectImage(loadImage(data.kphotoalbum(name)));
    expect(r.faceCount).toBe(0);
    expect(r.faces).toEqual([]);
  });

  it('a background crop of a portrait has no face', async () => {
    const img = loadImage(data.kphotoalbum('jesper_2'));
    // the right 220 px of jesper_2.jpg are a wall and door frame
    const w = 220,
      x0 = img.width - w,
      crop = new Uint8Array(w * img.height * 4);
    for (let y = 0; y < img.height; y++) crop.set(img.data.subarray((y * img.width + x0) * 4, (y * img.width + img.width) * 4), y * w * 4);
    const r = await tracker.detectImage({ width: w, height: img.height, data: crop });
    expect(r.faceCount).toBe(0);
  });
});

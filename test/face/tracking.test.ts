// Tracking on real video (FG-net talking face, franck.mp4): the detector runs once, then the crop follows the mesh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceTracker } from '../../src/face/index.js';
import { decodeVideo, type RgbaVideoFrame } from '../../src/node/media.js';
import { requireData } from '../helpers/data.js';
import { createTracker, data, loadImage } from './engine.js';

let frames: RgbaVideoFrame[] = [];
const trackers: FaceTracker[] = [];
const make = async (o: Parameters<typeof createTracker>[0] = {}) => {
  const t = await createTracker(o);
  trackers.push(t);
  return t;
};

beforeAll(async () => {
  requireData(data.franckMp4);
  for await (const f of decodeVideo(data.franckMp4, { maxFrames: 40 })) frames.push(f);
});
afterAll(async () => {
  await Promise.all(trackers.map((t) => t.close()));
  frames = [];
});

const meanError = (a: number[][], b: number[][], n = 468) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.hypot(a[i][0] - b[i][0], a[i][1] - b[i][1]);
  return s / n;
};

describe('FaceTracker.detect on video', () => {
  it('runs the detector on the first frame only, then tracks from the previous landmarks', async () => {
    const tracker = await make();
    const ran: boolean[] = [],
      tracked: boolean[] = [];
    let last;
    for (const f of frames) {
      last = await tracker.detect(f, f.timestampMs);
      expect(last.faceCount).toBe(1);
      ran.push(last.detectorRan);
      tracked.push(last.faces[0].tracked);
    }
    expect(ran[0]).toBe(true);
    expect(tracked[0]).toBe(false);
    expect(ran.slice(1).every((r) => !r)).toBe(true);
    expect(tracked.slice(1).every((t) => t)).toBe(true);
    // the tracked landmarks on the last frame agree with a fresh detection on that frame
    const fresh = await (await make()).detectImage(frames[frames.length - 1]);
    const a = last!.faces[0].landmarks,
      b = fresh.faces[0].landmarks;
    const interocular = Math.hypot(b[263][0] - b[33][0], b[263][1] - b[33][1]);
    expect(meanError(a, b) / interocular).toBeLessThan(0.03);
    expect(a).toHaveLength(478);
  });

  it('reruns the detector every N frames while fewer than maxFaces are tracked, without doubling the face', async () => {
    const tracker = await make({ maxFaces: 2, redetectEveryFrames: 10, redetectEveryMs: 0 });
    const ran: number[] = [];
    for (const [i, f] of frames.slice(0, 31).entries()) {
      const r = await tracker.detect(f, f.timestampMs);
      if (r.detectorRan) ran.push(i);
      expect(r.faceCount).toBe(1);
    }
    expect(ran).toEqual([0, 10, 20, 30]);
  });

  it('reruns the detector by time as well', async () => {
    const tracker = await make({ maxFaces: 2, redetectEveryFrames: 0, redetectEveryMs: 500 });
    const ran: number[] = [];
    for (const f of frames) if ((await tracker.detect(f, f.timestampMs)).detectorRan) ran.push(Math.round(f.timestampMs));
    // 24 fps: frames at 0, 41.7, ... ms; the detector runs on the first frame at or after each 500 ms
    expect(ran.length).toBe(Math.floor(frames[frames.length - 1].timestampMs / 500) + 1);
    for (let i = 1; i < ran.length; i++) expect(ran[i] - ran[i - 1]).toBeGreaterThanOrEqual(500);
  });

  it('loses the face on a frame without one, and the detector finds it again on the next', async () => {
    const tracker = await make();
    await tracker.detect(frames[0], 0);
    const landscape = loadImage(data.kphotoalbum('skagen'));
    const lost = await tracker.detect(landscape, 40);
    expect(lost.faceCount).toBe(0);
    expect(lost.detectorRan).toBe(true);
    const back = await tracker.detect(frames[1], 80);
    expect(back.detectorRan).toBe(true);
    expect(back.faceCount).toBe(1);
    expect(back.faces[0].tracked).toBe(false);
  });

  it('rejects bad frames and use after close with typed errors', async () => {
    const tracker = await make();
    await expect(tracker.detect({ width: 10, height: 10, data: new Uint8Array(12) }, 0)).rejects.toMatchObject({ code: 'invalid-frame-size' });
    await tracker.close();
    await expect(tracker.detect(frames[0], 0)).rejects.toMatchObject({ code: 'closed' });
  });
});

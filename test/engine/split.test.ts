// The engine's split path (analyzeMesh -> iris -> completeFrame), which the browser worker pipelines across two
// workers, gives analyzeFrame's results frame by frame on a real clip with blinks (franck.mp4, 120 frames), also
// with the next frame staged before this one completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/node/engine.js';
import type { EngineFrameResult, LivenessEngine, MeshStage } from '../../src/engine/engine.js';
import type { EyeBatch } from '../../src/face/tracker.js';
import { decodeVideo, type RgbaVideoFrame } from '../../src/node/media.js';
import { requireModels } from '../face/engine.js';
import { data, requireData } from '../helpers/data.js';

const FRAMES = 120;
let frames: RgbaVideoFrame[] = [];
const engines: LivenessEngine[] = [];

beforeAll(async () => {
  requireData(data.franckMp4);
  requireModels();
  for await (const f of decodeVideo(data.franckMp4, { maxFrames: FRAMES })) frames.push({ ...f, data: f.data.slice() });
}, 120_000);
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  frames = [];
});

// what a frame's consumers read, as plain data (the result object is reused between frames)
const snapshot = (r: EngineFrameResult) =>
  structuredClone({
    t: r.analysis.timestampMs,
    quality: r.analysis.quality,
    face: r.face,
    regions: r.regions,
    geometry: r.geometry,
    guidance: r.guidance,
    challenge: r.challenge,
    actions: r.actions,
    detectorRan: r.detectorRan,
  });

describe('LivenessEngine split path', () => {
  it('analyzeMesh + runIris + completeFrame, one frame of latency, equals analyzeFrame on every frame', async () => {
    const whole = await createNodeEngine(),
      split = await createNodeEngine();
    engines.push(whole, split);
    const expected = [];
    for (const f of frames) expected.push(snapshot(await whole.analyzeFrame(f, f.timestampMs)));
    const slots: Array<{ stage: MeshStage; eyes: EyeBatch }> = [0, 1].map(() => ({ stage: split.createMeshStage(), eyes: split.tracker.createEyeBatch()! }));
    const got = [];
    let pending: (typeof slots)[number] | null = null;
    for (let n = 0; n < frames.length; n++) {
      const slot = slots[n % 2];
      await split.analyzeMesh(frames[n], frames[n].timestampMs, slot.eyes, slot.stage);
      if (pending) got.push(snapshot(await split.completeFrame(pending.stage, pending.eyes)));
      await split.tracker.runIris(slot.eyes);
      pending = slot;
    }
    got.push(snapshot(await split.completeFrame(pending!.stage, pending!.eyes)));
    expect(got).toHaveLength(FRAMES);
    for (let n = 0; n < FRAMES; n++) expect(got[n], `frame ${n}`).toEqual(expected[n]);
    // the clip's blinks came through the iris contours (eye openness), so the comparison covered the iris half
    expect(expected.flatMap((e) => e.actions).length + whole.finish().length).toBeGreaterThan(0);
    expect(expected.every((e) => e.face?.eyeContours && e.face.landmarks.length === 478)).toBe(true);
  }, 300_000);

  it('a stage completes once, and a timestamp not after the newest staged frame is refused', async () => {
    const e = await createNodeEngine();
    engines.push(e);
    const stage = e.createMeshStage(),
      eyes = e.tracker.createEyeBatch()!;
    await e.analyzeMesh(frames[0], 100, eyes, stage);
    await expect(e.analyzeMesh(frames[1], 100, eyes, e.createMeshStage())).rejects.toMatchObject({ code: 'invalid-argument' });
    await e.tracker.runIris(eyes);
    e.completeFrame(stage, eyes);
    expect(() => e.completeFrame(stage, eyes)).toThrow(/filled by analyzeMesh/);
  }, 120_000);
});

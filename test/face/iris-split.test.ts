// The split path ("mesh now, iris later") that lets the browser run Iris in a second worker: detectMesh + an iris run
// on the batch (here, in another IrisModel on its own session, as the iris worker does) + completeIris give exactly
// the points detect gives, frame by frame, also when the next frame is tracked before this one's iris is applied.
// Real webcam clip (cap12: talking, eyes closed).
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceResult, FaceTracker } from '../../src/face/index.js';
import { IrisModel } from '../../src/face/landmarker.js';
import type { OrtModule, OrtSession } from '../../src/face/models.js';
import { createLandmarkSession } from '../../src/face/landmark-session.js';
import { decodeVideo, type RgbaVideoFrame } from '../../src/node/media.js';
import { requireData } from '../helpers/data.js';
import { createTracker, data, landmarkKernels, models } from './engine.js';

let frames: RgbaVideoFrame[] = [];
const trackers: FaceTracker[] = [];
const sessions: OrtSession[] = [];
const make = async () => {
  const t = await createTracker();
  trackers.push(t);
  return t;
};

beforeAll(async () => {
  requireData(data.cap12Mp4);
  for await (const f of decodeVideo(data.cap12Mp4, { maxFrames: 30 })) frames.push({ ...f, data: f.data.slice() });
});
afterAll(async () => {
  await Promise.all([...trackers.map((t) => t.close()), ...sessions.map((s) => s.release())]);
  frames = [];
});

function expectSame(a: FaceResult, b: FaceResult): void {
  expect(b.faceCount).toBe(a.faceCount);
  expect(b.detectorRan).toBe(a.detectorRan);
  for (let i = 0; i < a.faces.length; i++) {
    expect(b.faces[i].landmarks).toEqual(a.faces[i].landmarks);
    expect(b.faces[i].eyeContours).toEqual(a.faces[i].eyeContours);
    expect(b.faces[i].box).toEqual(a.faces[i].box);
    expect(b.faces[i].score).toBe(a.faces[i].score);
  }
}

describe('FaceTracker split iris path', () => {
  it('detectMesh + Iris in a separate model instance + completeIris equals detect, one frame of latency', async () => {
    const whole = await make(),
      split = await make();
    // the "iris worker": its own session and model on the same runtime, fed only the transferred eye crops
    const session = await createLandmarkSession(ort as unknown as OrtModule, readFileSync(models.iris), {}, 'iris.onnx', readFileSync(landmarkKernels));
    sessions.push(session);
    const remote = new IrisModel(ort, session);
    const batches = [split.createEyeBatch()!, split.createEyeBatch()!];
    let pending: { result: FaceResult; expected: FaceResult; slot: number } | null = null;
    let faces = 0,
      withContours = 0;
    for (let n = 0; n < frames.length; n++) {
      const f = frames[n];
      const expected = await whole.detect(f, f.timestampMs);
      const slot = n % 2;
      const result = await split.detectMesh(f, f.timestampMs, batches[slot]);
      // before its iris, a face has the mesh only
      for (const face of result.faces) {
        expect(face.landmarks).toHaveLength(468);
        expect(face.eyeContours).toBeNull();
      }
      // the previous frame's iris completes after this frame was tracked
      if (pending) {
        split.completeIris(pending.result, batches[pending.slot]);
        expectSame(pending.expected, pending.result);
      }
      const b = batches[slot];
      const input = b.input.slice(); // what crosses to the worker
      for (let i = 0; i < b.faces; i++) await remote.inferEyes(input.subarray(i * remote.eyePairLength), b.output.subarray(i * 456));
      pending = { result, expected, slot };
      faces += expected.faceCount;
      withContours += expected.faces.filter((x) => x.eyeContours && x.landmarks.length === 478).length;
    }
    split.completeIris(pending!.result, batches[pending!.slot]);
    expectSame(pending!.expected, pending!.result);
    // the clip has a face in every frame: the comparison covered real eyes, not empty results
    expect(faces).toBe(frames.length);
    expect(withContours).toBe(frames.length);
  });

  it('runIris (in process) gives the same points as detect', async () => {
    const whole = await make(),
      split = await make();
    const eyes = split.createEyeBatch()!;
    for (const f of frames.slice(0, 10)) {
      const expected = await whole.detect(f, f.timestampMs);
      const result = await split.detectMesh(f, f.timestampMs, eyes);
      await split.runIris(eyes);
      split.completeIris(result, eyes);
      expectSame(expected, result);
    }
  });

  it('a batch from another frame (face count differs) is refused, and detectMesh needs a batch when iris is loaded', async () => {
    const split = await make();
    const eyes = split.createEyeBatch()!;
    const f = frames[0];
    await expect(split.detectMesh(f, f.timestampMs, null)).rejects.toMatchObject({ code: 'invalid-argument' });
    const r = await split.detectMesh(f, f.timestampMs + 1, eyes);
    eyes.faces = 0;
    expect(() => split.completeIris(r, eyes)).toThrow(/eye batch holds 0 faces/);
  });
});

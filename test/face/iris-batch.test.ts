// Both eyes in one batch-2 iris run (the shipped iris.onnx has a dynamic batch) give the same points as one run per
// eye, and a file fixed at batch 1 still works (two runs). Real face: grace_hopper, eye crops from the mesh.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfGraph } from '../../tools/convert/convert.js';
import { eyeCrop } from '../../src/face/crop.js';
import { LEFT_EYE, RIGHT_EYE } from '../../src/face/landmarks.js';
import { IrisModel, type Crop } from '../../src/face/landmarker.js';
import { EYE_CONTOUR_POINTS, IRIS_POINTS } from '../../src/face/landmarks.js';
import { createSession, type OrtSession } from '../../src/face/models.js';
import { readTfGraph } from '../../tools/convert/tfjs-graph.js';
import { repoRoot } from '../helpers/data.js';
import { createTracker, data, loadImage, models } from './engine.js';

const frame = () => loadImage(data.graceHopper);
let right: Crop, left: Crop;
const sessions: OrtSession[] = [];

beforeAll(async () => {
  const tracker = await createTracker({ models: { detector: models.detector, mesh: models.mesh } });
  const face = (await tracker.detectImage(frame())).faces[0];
  await tracker.close();
  const pts = Float32Array.from(face.landmarks.flat());
  right = eyeCrop(pts, RIGHT_EYE.outer, RIGHT_EYE.inner, 2.3, face.rotation, { cx: 0, cy: 0, side: 0, angle: 0 });
  left = eyeCrop(pts, LEFT_EYE.inner, LEFT_EYE.outer, 2.3, face.rotation, { cx: 0, cy: 0, side: 0, angle: 0 });
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

async function eyes(model: IrisModel, batched: boolean) {
  const contour = new Float32Array(EYE_CONTOUR_POINTS * 6),
    iris = new Float32Array(IRIS_POINTS * 6);
  const img = frame();
  if (batched) await model.runEyes(img, right, left, contour, iris);
  else {
    await model.run(img, right, false, contour.subarray(0, EYE_CONTOUR_POINTS * 3), iris.subarray(0, IRIS_POINTS * 3));
    await model.run(img, left, true, contour.subarray(EYE_CONTOUR_POINTS * 3), iris.subarray(IRIS_POINTS * 3));
  }
  return { contour, iris };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('iris: both eyes per run', () => {
  it('the shipped file takes a batch of 2, and one batch-2 run matches one run per eye', async () => {
    const session = await createSession(ort, readFileSync(models.iris), {}, 'iris.onnx');
    sessions.push(session);
    const model = new IrisModel(ort, session);
    expect(model.batch).toBe(2);
    const one = await eyes(model, false),
      both = await eyes(model, true);
    // same graph, same inputs: only the batch differs (in pixels of a ~512 px photo)
    expect(maxDiff(both.contour, one.contour)).toBeLessThan(1e-3);
    expect(maxDiff(both.iris, one.iris)).toBeLessThan(1e-3);
    // and the points are the eyes': each iris centre lies inside its eye crop, the right eye left of the left one
    for (const [k, crop] of [
      [0, right],
      [1, left],
    ] as const) {
      expect(Math.hypot(both.iris[k * 15] - crop.cx, both.iris[k * 15 + 1] - crop.cy)).toBeLessThan(crop.side / 2);
    }
    expect(both.iris[0]).toBeLessThan(both.iris[15]);
  });

  it('a file fixed at batch 1 runs the eyes one by one, with the same points', async () => {
    const graph = readTfGraph(join(repoRoot, 'node_modules', '@vladmandic', 'human', 'models', 'iris.json'));
    const fixed = await createSession(ort, convertTfGraph(graph, { weights: 'float16', batch: 1 }).bytes, {}, 'iris-batch1');
    const dynamic = await createSession(ort, readFileSync(models.iris), {}, 'iris.onnx');
    sessions.push(fixed, dynamic);
    const model = new IrisModel(ort, fixed);
    expect(model.batch).toBe(1);
    const a = await eyes(model, true),
      b = await eyes(new IrisModel(ort, dynamic), true);
    expect(maxDiff(a.contour, b.contour)).toBeLessThan(1e-3);
    expect(maxDiff(a.iris, b.iris)).toBeLessThan(1e-3);
  });
});

// The landmark runtime (src/nn/) on the shipped facemesh.onnx and iris.onnx, against onnxruntime-web on the
// same bytes, on real face crops (grace_hopper, astronaut), with the plain-JS reference kernels and the wasm SIMD
// build. FaceMeshModel / IrisModel (src/face/landmarker.ts) run unchanged on the NnSession adapter.
//
// Bounds. Both runtimes compute in float32, in different summation orders (and ORT folds/fuses its own way), over
// ~40 layers: the differences are rounding noise, a few ulp of the activations' magnitude compounded per layer.
// Measured here: <= ~1.1e-4 on mesh coordinates of up to ~160 (crop pixels), i.e. ~7e-7 relative. Bound for raw
// outputs: 1e-5 x the largest |output| of the model (~15x the noise; a wrong weight permutation, padding or
// residual channel moves outputs by whole pixels). Points in image pixels: 0.01 px (they are the raw values times
// the crop's scale, ~1-3 here). Face flag (a probability): 1e-5.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropFromLandmarks, eyeCrop } from '../../src/face/crop.js';
import { LEFT_EYE, RIGHT_EYE } from '../../src/face/landmarks.js';
import { FaceMeshModel, IrisModel, type Crop } from '../../src/face/landmarker.js';
import { EYE_CONTOUR_POINTS, IRIS_POINTS, MESH_POINTS } from '../../src/face/landmarks.js';
import { createSession, type OrtSession } from '../../src/face/models.js';
import { asOrtSession as as, createNnSession, type NnSession } from '../../src/nn/runtime.js';
import { repoRoot } from '../helpers/data.js';
import { createTracker, data, loadImage, models } from '../face/engine.js';

const WASM = join(repoRoot, 'build', 'nn.simd.wasm');
const photos = { graceHopper: data.graceHopper, astronaut: data.astronaut };
const blank = (): Crop => ({ cx: 0, cy: 0, side: 0, angle: 0 });

interface Face {
  frame: ReturnType<typeof loadImage>;
  crop: Crop;
  right: Crop;
  left: Crop;
}
const faces: Record<string, Face> = {};
const orts: OrtSession[] = [];
let ortMesh: OrtSession, ortIris: OrtSession;

beforeAll(async () => {
  if (!existsSync(WASM)) throw new Error(`${WASM} is missing: run \`npm run build:wasm\``);
  const tracker = await createTracker({ models: { detector: models.detector, mesh: models.mesh } });
  for (const [name, path] of Object.entries(photos)) {
    const frame = loadImage(path);
    const face = (await tracker.detectImage(frame)).faces[0];
    const pts = Float32Array.from(face.landmarks.flat());
    faces[name] = {
      frame,
      crop: cropFromLandmarks(pts, MESH_POINTS, 1.5, blank()),
      right: eyeCrop(pts, RIGHT_EYE.outer, RIGHT_EYE.inner, 2.3, face.rotation, blank()),
      left: eyeCrop(pts, LEFT_EYE.inner, LEFT_EYE.outer, 2.3, face.rotation, blank()),
    };
  }
  await tracker.close();
  ortMesh = await createSession(ort, readFileSync(models.mesh), {}, 'facemesh.onnx');
  ortIris = await createSession(ort, readFileSync(models.iris), {}, 'iris.onnx');
  orts.push(ortMesh, ortIris);
});
afterAll(async () => {
  await Promise.all(orts.map((s) => s.release()));
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Raw outputs of both sessions on the same input; returns the worst difference relative to the output scale. */
async function rawDiff(nn: NnSession, session: OrtSession, input: Float32Array, dims: number[]): Promise<{ diff: number; scale: number }> {
  const want = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
  const got = await nn.run({ [nn.inputNames[0]]: { data: input, dims } });
  let diff = 0,
    scale = 0;
  for (const name of session.outputNames) {
    expect(got[name].dims).toEqual(want[name].dims);
    diff = Math.max(diff, maxDiff(got[name].data, want[name].data as Float32Array));
    scale = Math.max(scale, maxAbs(want[name].data as Float32Array));
  }
  return { diff, scale };
}

for (const kernels of ['reference', 'wasm'] as const) {
  describe(`landmark runtime (${kernels} kernels) against onnxruntime`, () => {
    const load = (file: string) => createNnSession(readFileSync(file), kernels === 'reference' ? 'reference' : readFileSync(WASM), file);

    it('facemesh: the adapter looks like the ORT session to FaceMeshModel; points within 0.01 px on real faces', async () => {
      const nn = await load(models.mesh);
      expect(nn.inputNames).toEqual(ortMesh.inputNames);
      expect(nn.outputNames).toEqual(ortMesh.outputNames);
      const ours = new FaceMeshModel(ort, as(nn)),
        theirs = new FaceMeshModel(ort, ortMesh);
      expect([ours.size, ours.batch]).toEqual([theirs.size, theirs.batch]);
      for (const [name, f] of Object.entries(faces)) {
        const a = new Float32Array(MESH_POINTS * 3),
          b = new Float32Array(MESH_POINTS * 3);
        const pa = await ours.run(f.frame, f.crop, a),
          pb = await theirs.run(f.frame, f.crop, b);
        const px = maxDiff(a, b);
        console.log(`[${kernels}] facemesh ${name}: points max |diff| ${px.toExponential(2)} px, flag ${pa.toFixed(5)} vs ${pb.toFixed(5)}`);
        expect(pb).toBeGreaterThan(0.5); // a face: the comparison is on meaningful points
        expect(px).toBeLessThan(0.01);
        expect(Math.abs(pa - pb)).toBeLessThan(1e-5);
        const { diff, scale } = await rawDiff(nn, ortMesh, ours.input, [1, 192, 192, 3]);
        console.log(`[${kernels}] facemesh ${name}: raw max |diff| ${diff.toExponential(2)} of outputs up to ${scale.toFixed(1)}`);
        expect(diff).toBeLessThan(1e-5 * scale);
      }
      await nn.release();
    });

    it('iris: one batch-2 run of both eyes through IrisModel matches ORT, and so does batch 1', async () => {
      const nn = await load(models.iris);
      expect(nn.inputMetadata[0].shape[0]).toBe('batch');
      const ours = new IrisModel(ort, as(nn)),
        theirs = new IrisModel(ort, ortIris);
      expect(ours.batch).toBe(2);
      for (const [name, f] of Object.entries(faces)) {
        const ca = new Float32Array(EYE_CONTOUR_POINTS * 6),
          ia = new Float32Array(IRIS_POINTS * 6);
        const cb = new Float32Array(EYE_CONTOUR_POINTS * 6),
          ib = new Float32Array(IRIS_POINTS * 6);
        await ours.runEyes(f.frame, f.right, f.left, ca, ia);
        await theirs.runEyes(f.frame, f.right, f.left, cb, ib);
        const px = Math.max(maxDiff(ca, cb), maxDiff(ia, ib));
        console.log(`[${kernels}] iris ${name}: points max |diff| ${px.toExponential(2)} px`);
        expect(px).toBeLessThan(0.01);
        for (const batch of [2, 1]) {
          const { diff, scale } = await rawDiff(nn, ortIris, ours.input.subarray(0, batch * 64 * 64 * 3), [batch, 64, 64, 3]);
          console.log(`[${kernels}] iris ${name} batch ${batch}: raw max |diff| ${diff.toExponential(2)} of outputs up to ${scale.toFixed(1)}`);
          expect(diff).toBeLessThan(1e-5 * scale);
        }
      }
      await nn.release();
      await expect(nn.run({ [nn.inputNames[0]]: { data: ours.input, dims: [2, 64, 64, 3] } })).rejects.toThrow(/released/);
    });
  });
}

describe('NnSession input checks', () => {
  it('rejects a wrong shape, and a batch above 1 on a fixed-batch model', async () => {
    const nn = await createNnSession(readFileSync(models.mesh), 'reference', 'facemesh.onnx');
    expect(nn.inputMetadata[0].shape).toEqual([1, 192, 192, 3]);
    await expect(nn.run({ input_1: { data: new Float32Array(2 * 192 * 192 * 3), dims: [2, 192, 192, 3] } })).rejects.toThrow(/invalid|takes/);
    await expect(nn.run({ input_1: { data: new Float32Array(64 * 64 * 3), dims: [1, 64, 64, 3] } })).rejects.toThrow(/takes/);
  });
});

#!/usr/bin/env node
// Where one tracked frame's time goes, step by step (1 thread, process CPU time per call): the tracker's own steps
// re-run by hand on runners of the same models, in interleaved blocks so every step sees the same machine load.
// models.bench.mjs runs `frameSteps` in its 1-thread child (the "tracked frame by step" rows of models.json);
// standalone:
//
//   node bench/lib/frame-steps.mjs [--blocks N] [--ort]   (--ort: FaceMesh and Iris on onnxruntime, not our kernels)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources, repoRoot } from './bundle-sources.mjs';

export const STEP_EXPORTS = ["export { FaceMeshModel, IrisModel } from './src/face/landmarker.ts';", "export { cropFromLandmarks, eyeCrop } from './src/face/crop.ts';"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
};

/**
 * `tracker`: a FaceTracker already tracking the face of `frames`; `mesh` / `iris`: FaceMeshModel / IrisModel on their
 * own sessions of the same files. Returns CPU and wall ms per call of each step (median block), the sum of the
 * steps, and the tracked frame against the two model runs alone (alternating, as in the pipeline): the difference is
 * the per-frame work outside the models.
 */
export async function frameSteps(lc, tracker, mesh, iris, frames, { blocks = 10, perBlock = 20 } = {}) {
  const first = await tracker.detect(frames[0], 0);
  if (first.faceCount !== 1) throw new Error('no face on the first frame');
  const crop = { cx: 0, cy: 0, side: 0, angle: 0 },
    right = { ...crop },
    left = { ...crop };
  const points = Float32Array.from(first.faces[0].landmarks.slice(0, 468).flat());
  const contour = new Float32Array(71 * 6),
    irisPts = new Float32Array(30);
  const crops = () => {
    lc.cropFromLandmarks(points, 468, 1.5, crop);
    lc.eyeCrop(points, 33, 133, 2.3, crop.angle, right);
    lc.eyeCrop(points, 362, 263, 2.3, crop.angle, left);
  };
  crops();
  let fi = 0;
  const next = () => frames[(fi = (fi + 1) % frames.length)];
  let meshOut, irisOut;
  // the runners' internals (protected in TypeScript) are the tracker's steps; keep these names in step with landmarker.ts
  const steps = {
    'FaceMesh: warp 192x192 crop into its input': () => mesh.warp(next(), crop, false, 0),
    'FaceMesh: session.run': async () => {
      meshOut = await mesh.infer(1);
    },
    'FaceMesh: pick outputs, map 468 points': () => {
      mesh.pick(meshOut, 1);
      mesh.mapPoints(0, mesh.pick(meshOut, 1404), 0, 468, points, 0, false);
    },
    'next face crop + eye crops from the points': crops,
    'Iris: warp 2 x 64x64 eye crops into its input': () => {
      const f = next();
      iris.warp(f, right, false, 0);
      iris.warp(f, left, true, 1);
    },
    'Iris: session.run (batch 2)': async () => {
      irisOut = await iris.infer(2);
    },
    'Iris: pick output, map 2 x 76 points': () => {
      iris.mapEye(irisOut, 2, 0, false, contour.subarray(0, 213), irisPts.subarray(0, 15));
      iris.mapEye(irisOut, 2, 1, true, contour.subarray(213), irisPts.subarray(15));
    },
    'result objects (point arrays)': () => tracker.result(false),
  };
  const wholes = {
    'tracked frame (tracker.detect)': () => tracker.detect(next(), 0),
    'FaceMesh + Iris session.run only, alternating': async () => {
      meshOut = await mesh.infer(1);
      irisOut = await iris.infer(2);
    },
  };
  const cases = { ...steps, ...wholes };
  for (const fn of Object.values(cases)) for (let i = 0; i < 10; i++) await fn();
  const cpu = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const wall = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let b = 0; b < blocks; b++) {
    for (const [name, fn] of Object.entries(cases)) {
      const c0 = process.cpuUsage(),
        t0 = performance.now();
      for (let i = 0; i < perBlock; i++) await fn();
      const c = process.cpuUsage(c0);
      cpu[name].push((c.user + c.system) / 1000 / perBlock);
      wall[name].push((performance.now() - t0) / perBlock);
    }
  }
  const row = (name) => ({ cpu_ms: +median(cpu[name]).toFixed(3), wall_ms: +median(wall[name]).toFixed(3) });
  const out = { steps: Object.fromEntries(Object.keys(steps).map((k) => [k, row(k)])) };
  out.sum_of_steps_cpu_ms = +Object.values(out.steps)
    .reduce((s, r) => s + r.cpu_ms, 0)
    .toFixed(3);
  // our own work: every step but the two session.run calls (ORT's JS wrapper and its input/output copies stay in those)
  out.steps_outside_the_runs_cpu_ms = +Object.entries(out.steps)
    .filter(([k]) => !k.includes('session.run'))
    .reduce((s, [, r]) => s + r.cpu_ms, 0)
    .toFixed(3);
  for (const k of Object.keys(wholes)) out[k] = row(k);
  // the same from the other side: the whole frame minus the two runs alone (noisier: a difference of two ~19 ms medians)
  out.outside_the_models_cpu_ms = +(out['tracked frame (tracker.detect)'].cpu_ms - out['FaceMesh + Iris session.run only, alternating'].cpu_ms).toFixed(3);
  out.blocks = `${blocks} interleaved blocks of ${perBlock} calls, median block`;
  return out;
}

export function printSteps(r, log = console.log) {
  log(`tracked frame by step (CPU ms / wall ms per call, ${r.blocks}):`);
  for (const [k, v] of Object.entries(r.steps)) log(`  ${k.padEnd(48)} ${v.cpu_ms.toFixed(3).padStart(7)} ${v.wall_ms.toFixed(3).padStart(7)}`);
  log(`  ${'sum of the steps'.padEnd(48)} ${r.sum_of_steps_cpu_ms.toFixed(3).padStart(7)}`);
  log(`  ${'sum of the steps but the two session.run'.padEnd(48)} ${r.steps_outside_the_runs_cpu_ms.toFixed(3).padStart(7)}`);
  for (const k of ['tracked frame (tracker.detect)', 'FaceMesh + Iris session.run only, alternating'])
    log(`  ${k.padEnd(48)} ${r[k].cpu_ms.toFixed(3).padStart(7)} ${r[k].wall_ms.toFixed(3).padStart(7)}`);
  log(`  ${'outside the models (tracked - runs only)'.padEnd(48)} ${r.outside_the_models_cpu_ms.toFixed(3).padStart(7)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const blocksArg = process.argv.indexOf('--blocks');
  const lc = await bundleSources(
    'frame-steps-entry',
    [
      "export { FaceTracker, createSession } from './src/face/index.ts';",
      "export { createNnSession, asOrtSession } from './src/nn/runtime.ts';",
      ...STEP_EXPORTS,
      "export { decodeVideo } from './src/node/media.ts';",
      "export { data } from './test/helpers/data.ts';",
    ],
    ['onnxruntime-web'],
  );
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const frames = [];
  for await (const f of lc.decodeVideo(lc.data.franckMp4, { startMs: 20_000, maxFrames: 48 })) frames.push(f);
  const model = (n) => join(repoRoot, 'models', `${n}.onnx`);
  // as shipped: FaceMesh and Iris on livecheck's own kernels (--ort: on onnxruntime)
  const onOrt = process.argv.includes('--ort');
  const kernels = join(repoRoot, 'build', 'nn.simd.wasm');
  const session = async (n) => (onOrt ? lc.createSession(ort, model(n)) : lc.asOrtSession(await lc.createNnSession(readFileSync(model(n)), readFileSync(kernels), `${n}.onnx`)));
  const tracker = await lc.FaceTracker.create({ ort, landmarkKernels: onOrt ? null : kernels, models: { detector: model('blazeface'), mesh: model('facemesh'), iris: model('iris') } });
  const mesh = new lc.FaceMeshModel(ort, await session('facemesh'));
  const iris = new lc.IrisModel(ort, await session('iris'));
  printSteps(await frameSteps(lc, tracker, mesh, iris, frames, { blocks: blocksArg >= 0 ? Number(process.argv[blocksArg + 1]) : 10 }));
  await tracker.close();
}

#!/usr/bin/env node
// CPU time per call (process user + system) at 1 thread, in interleaved blocks: the shipped FaceMesh and Iris alone
// against human's tfjs-backend-wasm on the same input, and the tracked pipeline against human's. On a loaded machine
// wall time mostly measures the other processes; the CPU time of a 1-thread run barely moves with load, so this is
// the steadier way to compare two builds of the models, or the two engines, on a shared machine.
//
//   node bench/lib/models-cpu.mjs [--before <dir>] [--blocks N]
//
// --before <dir>: also time an older facemesh.onnx / iris.onnx from <dir> (e.g. built at an older commit with
// `node tools/build-models.mjs --out <dir>` in a git worktree); a batch-1 iris runs once per eye, as it did.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleSources, repoRoot } from './bundle-sources.mjs';
import { ortRun, tfRun } from './graph-runs.mjs';
import { setupHuman } from './human.mjs';

const arg = (k) => {
  const i = process.argv.indexOf(k);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const before = arg('--before');
const BLOCKS = Number(arg('--blocks') ?? 20),
  PER_BLOCK = 10;

const lc = await bundleSources(
  'models-cpu-entry',
  [
    "export { FaceTracker } from './src/face/index.ts';",
    "export { createNnSession, asOrtSession } from './src/nn/runtime.ts';",
    "export { decodeVideo } from './src/node/media.ts';",
    "export { data } from './test/helpers/data.ts';",
  ],
  ['onnxruntime-web', '@vladmandic/human', '@tensorflow/*'],
);
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
const frames = [];
for await (const f of lc.decodeVideo(lc.data.franckMp4, { startMs: 20_000, maxFrames: 48 })) frames.push(f);
const shipped = (n) => join(repoRoot, 'models', `${n}.onnx`);
const old = (n) => join(before, `${n}.onnx`);

const session = (path) => ort.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
// FaceMesh and Iris on livecheck's own kernels (as shipped), or on onnxruntime with `landmarkKernels: null`
const landmarkKernels = join(repoRoot, 'build', 'nn.simd.wasm');
const tracker = async (mesh, iris, kernels = landmarkKernels) => {
  const t = await lc.FaceTracker.create({ ort, landmarkKernels: kernels, models: { detector: shipped('blazeface'), mesh, iris } });
  if ((await t.detect(frames[0], 0)).faceCount !== 1) throw new Error('no face on the first frame');
  return t;
};
const human = await setupHuman(frames);
const { tf, base } = human;
const [tfMesh, tfIris] = await Promise.all([tf.loadGraphModel(`${base}facemesh.json`), tf.loadGraphModel(`${base}iris.json`)]);
const meshIn = Float32Array.from({ length: 192 * 192 * 3 }, (_, i) => ((i * 7919) % 251) / 251);
const pairIn = Float32Array.from({ length: 2 * 64 * 64 * 3 }, (_, i) => ((i * 7907) % 251) / 251);
const eyeIn = pairIn.subarray(0, 64 * 64 * 3);
/** Both eyes as the file allows: one batch-2 run with a dynamic batch, else one run per eye. */
const irisPair = (s) =>
  typeof s.inputMetadata[0].shape[0] === 'number'
    ? async () => {
        await ortRun(ort, s, eyeIn, [1, 64, 64, 3]);
        await ortRun(ort, s, eyeIn, [1, 64, 64, 3]);
      }
    : () => ortRun(ort, s, pairIn, [2, 64, 64, 3]);

let fi = 0;
const next = () => frames[(fi = (fi + 1) % frames.length)];
const cases = {};
const fmNow = await session(shipped('facemesh')),
  irNow = await session(shipped('iris'));
if (before) {
  const fmOld = await session(old('facemesh')),
    irOld = await session(old('iris'));
  cases['facemesh, ORT, before'] = () => ortRun(ort, fmOld, meshIn, [1, 192, 192, 3]);
  cases['iris both eyes, ORT, before'] = irisPair(irOld);
}
const nn = async (n) => lc.asOrtSession(await lc.createNnSession(readFileSync(shipped(n)), readFileSync(landmarkKernels), `${n}.onnx`));
const fmNn = await nn('facemesh'),
  irNn = await nn('iris');
cases['facemesh, livecheck kernels'] = () => ortRun(ort, fmNn, meshIn, [1, 192, 192, 3]);
cases['facemesh, ORT'] = () => ortRun(ort, fmNow, meshIn, [1, 192, 192, 3]);
cases['facemesh, tfjs-wasm'] = () => tfRun(tf, tfMesh, meshIn, [1, 192, 192, 3]);
cases['iris both eyes, livecheck kernels'] = () => ortRun(ort, irNn, pairIn, [2, 64, 64, 3]);
cases['iris both eyes, ORT'] = irisPair(irNow);
cases['iris both eyes (batch 2), tfjs-wasm'] = () => tfRun(tf, tfIris, pairIn, [2, 64, 64, 3]);
const trackers = [];
if (before) {
  const t = await tracker(old('facemesh'), old('iris'));
  trackers.push(t);
  cases['tracked frame, livecheck, before'] = () => t.detect(next(), 0);
}
const now = await tracker(shipped('facemesh'), shipped('iris'));
trackers.push(now);
cases['tracked frame, livecheck'] = () => now.detect(next(), 0);
const onOrt = await tracker(shipped('facemesh'), shipped('iris'), null);
trackers.push(onOrt);
cases['tracked frame, livecheck on onnxruntime'] = () => onOrt.detect(next(), 0);
cases['tracked frame, human'] = human.tracked;

for (const fn of Object.values(cases)) for (let i = 0; i < 5; i++) await fn();
const cpu = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let b = 0; b < BLOCKS; b++) {
  for (const [name, fn] of Object.entries(cases)) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < PER_BLOCK; i++) await fn();
    const c = process.cpuUsage(c0);
    cpu[name].push((c.user + c.system) / 1000 / PER_BLOCK);
  }
}
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * p)];
};
console.log(`CPU ms per call, 1 thread, ${BLOCKS} interleaved blocks of ${PER_BLOCK} calls (median of blocks, p10):`);
for (const [name, xs] of Object.entries(cpu)) console.log(`  ${name.padEnd(38)} ${quantile(xs, 0.5).toFixed(2).padStart(7)}  ${quantile(xs, 0.1).toFixed(2).padStart(7)}`);
const m = (k) => quantile(cpu[k], 0.5);
console.log(`tracked frame: human / livecheck = ${(m('tracked frame, human') / m('tracked frame, livecheck')).toFixed(2)}x`);
tfMesh.dispose();
tfIris.dispose();
await Promise.all(trackers.map((t) => t.close()));
human.close();

#!/usr/bin/env node
// Benchmark of the face models and the per-frame face pipeline (Node, benchmark.js) on real video frames
// (franck.mp4, 360x288, the FG-net talking face):
//   - livecheck on onnxruntime-web (wasm), 1 and 2 threads: each model alone (blazeface 128, blazeface-back 256,
//     facemesh, iris), the tracked per-frame pipeline (FaceMesh + 2x Iris from the previous landmarks: the steady
//     state) and the detector frame (BlazeFace + orientation check + FaceMesh + 2x Iris);
//   - @vladmandic/human 3.3.6 on @tensorflow/tfjs-backend-wasm over the same frames, configured for the same work:
//     face detector + mesh + iris, the detector skipped on tracked frames (its own box reuse = tracking).
// ORT fixes its thread count when it first loads, so each thread count runs in a child process; human runs in the
// 1-thread process, in rounds alternating with livecheck's pipeline so both see the same load on this shared machine.
// The parent merges the JSON and writes bench/results/models.json.
//
//   npm run bench:models            node bench/models.bench.mjs [--quick]
import Benchmark from 'benchmark';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const FRAMES = 48; // 2 s of video, cycled
const START_MS = 20_000;

function p50(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Runs async cases one after another; each result is { p50_ms, rme, samples } from benchmark.js's per-cycle means. */
async function runSuite(cases) {
  const results = {};
  for (const [name, fn] of Object.entries(cases)) {
    await fn(); // warm-up outside the timing (first-run kernel selection, lazy allocation)
    const bench = new Benchmark(name, {
      defer: true,
      minSamples: quick ? 5 : 30,
      maxTime: quick ? 1 : 4,
      fn: (deferred) => { fn().then(() => deferred.resolve()); },
    });
    await new Promise((done) => { bench.on('complete', done); bench.run({ async: true }); });
    if (bench.error) throw bench.error;
    results[name] = { p50_ms: +(p50(bench.stats.sample) * 1000).toFixed(3), rme: +bench.stats.rme.toFixed(2), samples: bench.stats.sample.length, raw: bench.stats.sample };
    console.error(`  ${name.padEnd(34)} p50 ${results[name].p50_ms.toFixed(2).padStart(8)} ms  ±${results[name].rme.toFixed(1)}%  (${results[name].samples} samples)`);
  }
  return results;
}

async function loadSources() {
  const outfile = join(root, 'build', 'bench', 'models-bench-entry.mjs');
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    stdin: {
      contents: [
        "export { FaceTracker } from './src/face/index.ts';",
        "export { createSession } from './src/face/models.ts';",
        "export { FaceDetector } from './src/face/detector.ts';",
        "export { FaceMeshModel, IrisModel } from './src/face/landmarker.ts';",
        "export { decodeVideo } from './src/node/media.ts';",
        "export { data } from './test/helpers/data.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error',
    external: ['onnxruntime-web', '@vladmandic/human', '@tensorflow/*'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}

async function loadFrames(lc) {
  const frames = [];
  for await (const f of lc.decodeVideo(lc.data.franckMp4, { startMs: START_MS, maxFrames: FRAMES })) frames.push(f);
  return frames;
}

const models = {
  blazeface: join(root, 'models', 'blazeface.onnx'),
  'blazeface-back': join(root, 'models', 'blazeface-back.onnx'),
  facemesh: join(root, 'models', 'facemesh.onnx'),
  iris: join(root, 'models', 'iris.onnx'),
};

// ---- part: livecheck on onnxruntime-web ---------------------------------------------------------------------------
async function partOrt(threads, withHuman) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  const lc = await loadSources();
  const frames = await loadFrames(lc);
  let fi = 0;
  const next = () => frames[(fi = (fi + 1) % frames.length)];
  const tracker = await lc.FaceTracker.create({ ort, models: { detector: models.blazeface, mesh: models.facemesh, iris: models.iris } });
  const first = await tracker.detect(frames[0], 0);
  if (first.faceCount !== 1) throw new Error('no face on the first frame');
  // per-model: a real face crop in each model's input, run through the session as the pipeline does
  const sessions = {};
  for (const [name, path] of Object.entries(models)) sessions[name] = await lc.createSession(ort, path);
  const det = new lc.FaceDetector(ort, sessions.blazeface);
  const detBack = new lc.FaceDetector(ort, sessions['blazeface-back']);
  const mesh = new lc.FaceMeshModel(ort, sessions.facemesh);
  const iris = new lc.IrisModel(ort, sessions.iris);
  const f0 = first.faces[0];
  const crop = { cx: f0.box.x + f0.box.width / 2, cy: f0.box.y + f0.box.height / 2, side: 1.5 * Math.max(f0.box.width, f0.box.height), angle: f0.rotation };
  const eye = { cx: f0.landmarks[468][0], cy: f0.landmarks[468][1], side: 2.3 * Math.hypot(f0.landmarks[133][0] - f0.landmarks[33][0], f0.landmarks[133][1] - f0.landmarks[33][1]), angle: f0.rotation };
  const pts = new Float32Array(468 * 3), c = new Float32Array(71 * 3), ir = new Float32Array(15);
  // tracked steady state: the same tracker, frame after frame; the face never leaves, so the detector never runs
  let detectorRuns = 0;
  const tracked = async () => { const r = await tracker.detect(next(), 0); if (r.detectorRan) detectorRuns++; };
  // detector frame: a fresh search on every call (BlazeFace, orientation check, FaceMesh twice, Iris)
  // (its own engine: detectImage forgets tracked faces, which would restart the tracker above)
  const still = await lc.FaceTracker.create({ ort, models: { detector: models.blazeface, mesh: models.facemesh, iris: models.iris } });
  const detectorFrame = async () => { await still.detectImage(next()); };
  console.error(`livecheck, onnxruntime-web ${ort.env.versions?.web ?? ''} wasm, ${threads} thread(s), ${frames.length} frames ${frames[0].width}x${frames[0].height}`);
  const results = await runSuite({
    blazeface: () => det.detect(next(), { minScore: 0.5 }),
    'blazeface-back': () => detBack.detect(next(), { minScore: 0.5 }),
    facemesh: () => mesh.run(next(), crop, pts),
    iris: () => iris.run(next(), eye, false, c, ir),
    'detector frame (detect + mesh + iris)': detectorFrame,
  });
  const pipeline = 'pipeline (tracked: mesh + iris)';
  if (!withHuman) {
    results[pipeline] = (await runSuite({ [pipeline]: tracked }))[pipeline];
  } else {
    // side by side: alternate rounds of livecheck and human in this one process, so both see the same machine load
    const human = await setupHuman(frames);
    const mine = [], theirs = [];
    for (let round = 0; round < (quick ? 1 : 3); round++) {
      mine.push((await runSuite({ [pipeline]: tracked }))[pipeline]);
      theirs.push((await runSuite({ [`human ${pipeline}`]: human.tracked }))[`human ${pipeline}`]);
    }
    results[pipeline] = mergeRounds(mine);
    results.human = { [pipeline]: mergeRounds(theirs), ...human.stats };
    results.engines = await engineRounds(ort, human, mesh, iris, sessions);
    human.close();
  }
  if (detectorRuns > 0) throw new Error(`the detector ran ${detectorRuns} times during tracking`);
  await tracker.close();
  await still.close();
  for (const r of Object.values(results)) if (r && typeof r === 'object') delete r.raw;
  return results;
}

// ---- part: @vladmandic/human on tfjs-backend-wasm -------------------------------------------------------------------
async function setupHuman(frames) {
  const require = createRequire(import.meta.url);
  // human's exports map has no "./" prefixes, so the node-wasm build is loaded by its path (toolchain.md)
  const humanPath = join(root, 'node_modules', '@vladmandic', 'human', 'dist', 'human.node-wasm.js');
  const tfwasm = require(join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'));
  const { Human } = require(humanPath);
  // human loads models with fetch, which cannot read file:// in Node: serve its models folder on 127.0.0.1
  const modelDir = join(root, 'node_modules', '@vladmandic', 'human', 'models');
  const server = createServer((req, res) => {
    const file = join(modelDir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(modelDir) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}/`;
  const human = new Human({
    backend: 'wasm',
    wasmPath: pathToFileURL(join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')).href + '/',
    modelBasePath: base,
    debug: false,
    async: true,
    warmup: 'none',
    // cacheSensitivity is human's gate for reusing the previous face boxes (its tracking): 0 would force its detector
    // on every frame. A frame-difference limit this large always allows the reuse; mesh + iris still run every call.
    cacheSensitivity: 1000,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: true, maxDetected: 1, skipFrames: 1_000_000, skipTime: 1e12, minConfidence: 0.2 },
      mesh: { enabled: true },
      iris: { enabled: true },
      attention: { enabled: false },
      emotion: { enabled: false }, description: { enabled: false }, antispoof: { enabled: false }, liveness: { enabled: false },
    },
    body: { enabled: false }, hand: { enabled: false }, object: { enabled: false }, gesture: { enabled: false }, segmentation: { enabled: false },
  });
  await human.load();
  // RGB tensors are made before timing: the conversion is not the models' work
  const tensors = frames.map((f) => {
    const rgb = new Int32Array(f.width * f.height * 3);
    for (let i = 0, j = 0; i < f.data.length; i += 4, j += 3) { rgb[j] = f.data[i]; rgb[j + 1] = f.data[i + 1]; rgb[j + 2] = f.data[i + 2]; }
    return human.tf.tensor4d(rgb, [1, f.height, f.width, 3], 'int32');
  });
  let ti = 0;
  const next = () => tensors[(ti = (ti + 1) % tensors.length)];
  const first = await human.detect(tensors[0]);
  if (first.face.length !== 1 || first.face[0].mesh.length < 468) throw new Error(`human found ${first.face.length} faces`);
  const stats = { lost: 0, meshPoints: first.face[0].mesh.length, backend: `tfjs-backend-wasm ${human.tf.version_core}, threads ${tfwasm.getThreadsCount?.() ?? 'unknown'}` };
  const tracked = async () => { const r = await human.detect(next()); if (r.face.length !== 1) stats.lost++; };
  console.error(`human ${human.version}, tfjs ${human.tf.version_core} ${human.tf.getBackend()} (threads: ${tfwasm.getThreadsCount?.() ?? '?'})`);
  const close = () => { tensors.forEach((t) => t.dispose()); server.close(); };
  return { tracked, stats, close, tf: human.tf, base };
}

// ---- the same graphs alone, ORT vs human's engine ------------------------------------------------------------------
/**
 * The model runs alone (no warp, no mapping) on one real crop each, ORT against tfjs-backend-wasm (human's engine,
 * human's own tfjs build) on the same input values, alternating rounds. Iris also as human runs it: both eyes in one
 * batch-2 call (its iris.ts concatenates the two crops), and the same on ORT with a batch-2 conversion of the graph.
 */
async function engineRounds(ort, human, mesh, iris, sessions) {
  const { tf, base } = human;
  const [tfMesh, tfIris] = await Promise.all([tf.loadGraphModel(`${base}facemesh.json`), tf.loadGraphModel(`${base}iris.json`)]);
  const { convertTfGraph, readTfGraph } = await import(pathToFileURL(join(root, 'build', 'tools', 'convert.mjs')).href);
  const iris2 = await ort.InferenceSession.create(
    convertTfGraph(readTfGraph(join(root, 'node_modules', '@vladmandic', 'human', 'models', 'iris.json')), { weights: 'float16', batch: 2 }).bytes,
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 },
  );
  // the crops the pipeline's own runners warped for the first frame (their preallocated inputs)
  const meshIn = Float32Array.from(mesh.input), irisIn = Float32Array.from(iris.input);
  const irisPair = new Float32Array(irisIn.length * 2);
  irisPair.set(irisIn);
  irisPair.set(irisIn, irisIn.length);
  const ortRun = (s, data, shape) => s.run({ [s.inputNames[0]]: new ort.Tensor('float32', data, shape) });
  const tfRun = async (model, data, shape) => {
    const x = tf.tensor(data, shape);
    const out = model.execute(x);
    const outs = Array.isArray(out) ? out : [out];
    for (const t of outs) await t.data();
    tf.dispose([x, ...outs]);
  };
  const cases = {
    'facemesh: ORT': () => ortRun(sessions.facemesh, meshIn, [1, 192, 192, 3]),
    'facemesh: tfjs-wasm': () => tfRun(tfMesh, meshIn, [1, 192, 192, 3]),
    'iris both eyes, 2 runs: ORT': async () => { await ortRun(sessions.iris, irisIn, [1, 64, 64, 3]); await ortRun(sessions.iris, irisIn, [1, 64, 64, 3]); },
    'iris both eyes, 1 batch-2 run: ORT': () => ortRun(iris2, irisPair, [2, 64, 64, 3]),
    'iris both eyes, 1 batch-2 run: tfjs-wasm': () => tfRun(tfIris, irisPair, [2, 64, 64, 3]),
  };
  const rounds = [];
  for (let round = 0; round < (quick ? 1 : 2); round++) rounds.push(await runSuite(cases));
  const merged = {};
  for (const name of Object.keys(cases)) merged[name] = mergeRounds(rounds.map((r) => r[name]));
  tfMesh.dispose();
  tfIris.dispose();
  await iris2.release();
  return merged;
}

// ---- ORT's own profile: kernel time by op kind --------------------------------------------------------------------
/** One model, 1 thread, `enableProfiling`: ORT writes its trace to stdout when profiling ends (this child's stdout). */
async function partProfile(name) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(readFileSync(models[name]), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3, enableProfiling: true });
  const shape = [1, name === 'iris' ? 64 : name === 'blazeface' ? 128 : name === 'blazeface-back' ? 256 : 192, 0, 3];
  shape[2] = shape[1];
  const x = new ort.Tensor('float32', new Float32Array(shape[1] * shape[2] * 3).fill(0.5), shape);
  for (let i = 0; i < (quick ? 5 : 30); i++) await session.run({ [session.inputNames[0]]: x });
  session.endProfiling();
}

/** Per node the median kernel time over the profiled runs, summed by kind (1x1 conv, 1x1 conv + residual add, ...). */
function summariseProfile(text) {
  const events = JSON.parse(text.slice(text.indexOf('['), text.lastIndexOf(']') + 1)).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const nodes = new Map();
  for (const e of events) {
    if (!nodes.has(e.name)) nodes.set(e.name, { args: e.args, us: [] });
    nodes.get(e.name).us.push(e.dur);
  }
  const kinds = {};
  let total = 0;
  for (const { args, us } of nodes.values()) {
    let kind = args.op_name;
    if (kind === 'Conv' || kind === 'FusedConv') {
      const [o, i, kh, kw] = args.input_type_shape[1].float;
      kind = `${i === 1 && o > 1 ? 'depthwise' : 'conv'} ${kh}x${kw}${args.op_name === 'FusedConv' ? ' + add' : ''}`;
    }
    const ms = p50(us) / 1000;
    total += ms;
    kinds[kind] ??= { nodes: 0, ms: 0 };
    kinds[kind].nodes++;
    kinds[kind].ms += ms;
  }
  const byKind = Object.fromEntries(Object.entries(kinds).sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, { nodes: v.nodes, ms: +v.ms.toFixed(3) }]));
  const ops = [...new Set(events.map((e) => e.args.op_name))].sort();
  return { kernel_ms: +total.toFixed(3), nodes: nodes.size, ops_after_ort_optimisation: ops, by_kind: byKind };
}

/** Merges rounds of the same case: p50 over all samples, the worst round's rme, and each round's p50. */
function mergeRounds(rounds) {
  const raw = rounds.flatMap((r) => r.raw);
  return { p50_ms: +(p50(raw) * 1000).toFixed(3), rme: Math.max(...rounds.map((r) => r.rme)), samples: raw.length, rounds_p50_ms: rounds.map((r) => r.p50_ms) };
}

// ---- parent: run the parts, merge, write ---------------------------------------------------------------------------
async function main() {
  const part = process.argv.indexOf('--part');
  if (part >= 0) {
    const which = process.argv[part + 1];
    if (which.startsWith('profile:')) return partProfile(which.slice('profile:'.length));
    const result = await partOrt(which === 'ort1+human' ? 1 : Number(which.replace('ort', '')), which === 'ort1+human');
    process.stdout.write(JSON.stringify(result));
    return;
  }
  for (const p of Object.values(models)) if (!existsSync(p)) throw new Error(`${p} missing: run \`npm run build:models\``);
  const run = (name) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--part', name, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }).toString());
  const ort1 = run('ort1+human');
  const ort2 = run('ort2');
  const profiles = {};
  for (const m of ['facemesh', 'iris']) {
    const text = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--part', `profile:${m}`, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).toString();
    profiles[m] = summariseProfile(text);
    console.error(`profile ${m}: ${profiles[m].kernel_ms} ms in kernels: ${Object.entries(profiles[m].by_kind).map(([k, v]) => `${k} ${v.ms.toFixed(2)}`).join(', ')}`);
  }
  const human = ort1.human;
  const pipeline = 'pipeline (tracked: mesh + iris)';
  const report = {
    description: 'p50 = median of benchmark.js per-cycle means (ms); rme = relative margin of error (%). Real frames: franck.mp4 360x288 from 20 s, 48 frames cycled. Node, shared 2-core VM.',
    node: process.version,
    date: new Date().toISOString(),
    pipeline: {
      livecheck: ort1[pipeline],
      livecheck_2_threads: ort2[pipeline],
      human: { ...human[pipeline], backend: human.backend, meshPoints: human.meshPoints, framesWithoutFace: human.lost },
      speedup_vs_human: +(human[pipeline].p50_ms / ort1[pipeline].p50_ms).toFixed(2),
      speedup_vs_human_2_threads: +(human[pipeline].p50_ms / ort2[pipeline].p50_ms).toFixed(2),
    },
    // what each side runs per tracked frame, so the ratio compares the same work
    work: {
      livecheck: 'FaceMesh 192x192 (468 points + face flag), then Iris 64x64 once per eye (2 runs, the left eye mirrored); detector skipped while tracking',
      human: 'human 3.3.6 facemesh 192x192 (468 points), then iris 64x64 for both eyes in one batch-2 run (its iris.ts concatenates the crops), 478 points out; its BlazeFace skipped on tracked frames (skipFrames, cacheSensitivity); attention mesh off',
    },
    'same graphs alone (ORT vs tfjs-backend-wasm, 1 thread, one real crop, alternating rounds)': ort1.engines,
    'ORT profile (1 thread; per-node median kernel time summed by kind, ms)': profiles,
    'detector frame': { livecheck: ort1['detector frame (detect + mesh + iris)'], livecheck_2_threads: ort2['detector frame (detect + mesh + iris)'] },
  };
  for (const m of Object.keys(models)) {
    report[m] = { file: `models/${m}.onnx`, bytes: readFileSync(models[m]).length, ort_1_thread: ort1[m], ort_2_threads: ort2[m] };
  }
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'models.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`tracked pipeline p50: livecheck ${report.pipeline.livecheck.p50_ms} ms (1 thread), ${report.pipeline.livecheck_2_threads.p50_ms} ms (2 threads); human ${report.pipeline.human.p50_ms} ms -> ${report.pipeline.speedup_vs_human}x / ${report.pipeline.speedup_vs_human_2_threads}x`);
  console.log('wrote bench/results/models.json');
}

main().catch((e) => { console.error(e); process.exit(1); });

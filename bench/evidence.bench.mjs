#!/usr/bin/env node
// bench:evidence — the evidence chain's cost (benchmark.js): appending one analysed frame (SHA-256 of a 640x480 RGBA
// frame + canonical JSON of its record with 478 landmarks, chained) and server-side verifyEvidence of a 10 s capture
// at 30 fps (300 frames, 3 keyframes), without and with the real reanalyzer (FaceTracker + FaceRecognitionNet on the
// keyframes). The frame is a real franck frame scaled to 640x480 with its real landmarks. Writes
// bench/results/evidence.json.
import Benchmark from 'benchmark';
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function loadSources() {
  const outfile = join(root, 'build', 'bench', 'evidence-bench-entry.mjs');
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    stdin: {
      contents: [
        "export { FaceTracker } from './src/face/index.ts';",
        "export { EvidenceRecorder, serializeEvidence } from './src/evidence/index.ts';",
        "export { verifyEvidence } from './src/server/verify.ts';",
        "export { createNodeReanalyzer } from './src/server/node.ts';",
        "export { nodeJpegEncoder } from './src/node/verify.ts';",
        "export { decodeVideo } from './src/node/media.ts';",
        "export { data } from './test/helpers/data.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error',
    external: ['onnxruntime-web', 'jpeg-js'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const row = (b) => ({ p50_ms: Math.round(median(b.stats.sample) * 1e7) / 1e4, rme: Math.round(b.stats.rme * 100) / 100, samples: b.stats.sample.length });

function run(name, fn, options = {}) {
  return new Promise((done) => {
    const bench = new Benchmark(name, { defer: true, fn: (d) => fn().then(() => d.resolve()), minSamples: 10, maxTime: 4, ...options });
    bench.on('complete', () => { const r = row(bench); console.log(`${name}: p50 ${r.p50_ms} ms ±${r.rme}% (${r.samples} samples)`); done(r); });
    bench.on('error', (e) => { throw e.target.error; });
    bench.run({ async: true });
  });
}

const src = await loadSources();
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const models = (n) => join(root, 'models', `${n}.onnx`);

// one real frame at 640x480 and its landmarks
let frame;
for await (const f of src.decodeVideo(src.data.franckMp4, { startMs: 5000, maxFrames: 1, width: 640, height: 480 })) frame = { width: f.width, height: f.height, data: new Uint8Array(f.data) };
const tracker = await src.FaceTracker.create({ ort, models: { detector: models('blazeface'), mesh: models('facemesh'), iris: models('iris') }, numThreads: 1 });
const [face] = (await tracker.detectImage(frame, { maxFaces: 1 })).faces;
await tracker.close();
if (!face || face.landmarks.length !== 478) throw new Error('bench: no 478-landmark face in the benchmark frame');
const quality = { entropy: 7.1, faceEntropy: 6.8, faceLuma: 120.5, frameLuma: 110.2, faceLumaStd: 30.1, darkClipped: 0.001, brightClipped: 0.002, faceToSurround: 1.1, leftRightBalance: 0.98, meanRgb: [120, 110, 100], focus: 55.5, focusNormalized: 0.7, motion: null };
const analysis = (t) => ({ timestampMs: t, width: 640, height: 480, quality, faces: [{ box: face.box, score: face.score, landmarks: face.landmarks, rotation: face.rotation, tracked: true }] });

const nonce = 'bench-nonce-0123456789abcdef';
const plan = [{ action: 'blink' }, { action: 'turn-left' }, { action: 'smile' }];
const uploadedAt = Date.UTC(2026, 10, 23, 9, 0, 0);
const document = { metadataHash: 'a'.repeat(64), uploadedAt };
const encodeJpeg = await src.nodeJpegEncoder();

const results = {};
{
  let clock = uploadedAt + 60_000;
  const recorder = await src.EvidenceRecorder.start({ nonce, plan, document, clock: () => clock, encodeJpeg });
  let t = 0;
  results['appendFrame 640x480 + 478 landmarks'] = await run('appendFrame 640x480 + 478 landmarks', () => { t += 33.3; clock += 33; return recorder.appendFrame(analysis(t), frame.data); });
}

// a 10 s capture: 300 frames at 30 fps, a keyframe per plan step
let clock = uploadedAt + 60_000;
const recorder = await src.EvidenceRecorder.start({ nonce, plan, document, clock: () => clock, encodeJpeg });
for (let i = 0; i < 300; i++) {
  clock += 33;
  await recorder.appendFrame(analysis(i * 33.3), frame.data);
  if (i === 75 || i === 150 || i === 225) await recorder.addKeyframe(plan[(i / 75) - 1].action, frame);
}
const text = src.serializeEvidence(await recorder.finish());
const options = { nonce, document, now: clock + 1000, planFromNonce: () => plan };
const check = async (report) => { if (!report.ok) throw new Error(`bench: bundle did not verify: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`); };
// without a reanalyzer the two face checks are skipped; every other check must pass
await check(await src.verifyEvidence(text, options).then((r) => ({ ok: r.checks.filter((c) => !c.skipped).every((c) => c.ok), checks: r.checks })));
results['verifyEvidence 10 s (300 frames), no reanalysis'] = await run('verifyEvidence 10 s (300 frames), no reanalysis', () => src.verifyEvidence(text, options));
const reanalyzer = await src.createNodeReanalyzer({ modelDir: join(root, 'models'), numThreads: 1 });
await check(await src.verifyEvidence(text, { ...options, reanalyze: reanalyzer.reanalyze }));
results['verifyEvidence 10 s (300 frames), 3 keyframes re-analysed'] = await run('verifyEvidence 10 s (300 frames), 3 keyframes re-analysed', () => src.verifyEvidence(text, { ...options, reanalyze: reanalyzer.reanalyze }), { minSamples: 5, maxTime: 8 });
await reanalyzer.close();

const out = {
  context: { node: process.version, cpus: os.cpus().length, load: os.loadavg().map((l) => Math.round(l * 10) / 10), bundleBytes: text.length, date: new Date().toISOString() },
  ...results,
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'evidence.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/evidence.json');

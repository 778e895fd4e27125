#!/usr/bin/env node
// bench:evidence — the evidence chain's cost (benchmark.js): appending one analysed frame (SHA-256 of a 640x480 RGBA
// frame + canonical JSON of its record with 478 landmarks, eye contours, region cues and passive scores, chained),
// the server's replay of a 10 s capture (challenge, signals, verdict re-derived from 300 frame records) and the whole
// verifyEvidence of that capture (300 frames, 3 keyframes), without and with the real reanalyzer (FaceTracker +
// FaceRecognitionNet on the keyframes). The frame is a real franck frame scaled to 640x480 with its real landmarks. Writes
// bench/results/evidence.json.
import Benchmark from 'benchmark';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './lib/bundle-sources.mjs';
import os from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function loadSources() {
  return bundleSources(
    'evidence-bench-entry',
    [
      "export { FaceTracker } from './src/face/index.ts';",
      "export { EvidenceRecorder, serializeEvidence } from './src/evidence/index.ts';",
      "export { Attempt } from './src/attempt/attempt.ts';",
      "export { attemptConfigHash } from './src/attempt/config.ts';",
      "export { replayEvidence } from './src/attempt/replay.ts';",
      "export { planFromNonce } from './src/challenge/plan.ts';",
      "export { verifyEvidence } from './src/verify/evidence.ts';",
      "export { createNodeReanalyzer } from './src/node/reanalyzer.ts';",
      "export { nodeJpegEncoder } from './src/node/attempt.ts';",
      "export { decodeVideo } from './src/node/media.ts';",
      "export { data } from './test/helpers/data.ts';",
    ],
    ['onnxruntime-web', 'jpeg-js'],
  );
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const row = (b) => ({ p50_ms: Math.round(median(b.stats.sample) * 1e7) / 1e4, rme: Math.round(b.stats.rme * 100) / 100, samples: b.stats.sample.length });

function run(name, fn, options = {}) {
  return new Promise((done) => {
    const bench = new Benchmark(name, { defer: true, fn: (d) => fn().then(() => d.resolve()), minSamples: 10, maxTime: 4, ...options });
    bench.on('complete', () => {
      const r = row(bench);
      console.log(`${name}: p50 ${r.p50_ms} ms ±${r.rme}% (${r.samples} samples)`);
      done(r);
    });
    bench.on('error', (e) => {
      throw e.target.error;
    });
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
const quality = {
  entropy: 7.1,
  faceEntropy: 6.8,
  faceLuma: 120.5,
  frameLuma: 110.2,
  faceLumaStd: 30.1,
  darkClipped: 0.001,
  brightClipped: 0.002,
  faceToSurround: 1.1,
  leftRightBalance: 0.98,
  meanRgb: [120, 110, 100],
  focus: 55.5,
  focusNormalized: 0.7,
  motion: null,
};
const analysis = (t) => ({
  timestampMs: t,
  width: 640,
  height: 480,
  quality,
  faces: [{ box: face.box, score: face.score, landmarks: face.landmarks, rotation: face.rotation, tracked: true, eyeContours: face.eyeContours }],
});
// what else a frame record carries (format 2): region cues and passive scores, at their real sizes
const extras = {
  regions: {
    rightEye: { lumaMean: 80.1, lumaStd: 20.2, specularFraction: 0 },
    leftEye: { lumaMean: 81.3, lumaStd: 21.4, specularFraction: 0 },
    mouth: { lumaMean: 100.5, lumaStd: 15.6, skinToneDistance: 0.02 },
    cheeks: { lumaMean: 130.7, lumaStd: 12.8 },
    chin: { lumaStd: 14.9 },
  },
  passive: { moire: 0.01, flicker: 0.05, deviceBorder: 0, specular: 0 },
};

const nonce = 'bench-nonce-0123456789abcdef';
const challenge = await src.planFromNonce(nonce, { script: ['blink', 'turn-left', 'smile'] });
const plan = challenge.steps;
const uploadedAt = Date.UTC(2026, 10, 23, 9, 0, 0);
const document = { metadataHash: 'a'.repeat(64), uploadedAt };
const encodeJpeg = await src.nodeJpegEncoder();
const configHash = await src.attemptConfigHash({});

const results = {};
{
  let clock = uploadedAt + 60_000;
  const recorder = await src.EvidenceRecorder.start({ nonce, plan, document, clock: () => clock, encodeJpeg, configHash });
  let t = 0;
  results['appendFrame 640x480 + 478 landmarks'] = await run('appendFrame 640x480 + 478 landmarks', () => {
    t += 33.3;
    clock += 33;
    return recorder.appendFrame(analysis(t), frame.data, extras);
  });
}

// a 10 s capture: 300 frames at 30 fps, a keyframe per plan step; the claim is what the attempt pipeline decides live
// on the same frames, so the replay checks pass
let clock = uploadedAt + 60_000;
const recorder = await src.EvidenceRecorder.start({ nonce, plan, document, clock: () => clock, encodeJpeg, configHash });
const attempt = await src.Attempt.start({ plan: challenge });
for (let i = 0; i < 300; i++) {
  clock += 33;
  const a = analysis(i * 33.3);
  await attempt.push({ analysis: a, face: a.faces[0], regions: extras.regions, passive: extras.passive });
  await recorder.appendFrame(a, frame.data, extras);
  if (i === 75 || i === 150 || i === 225) await recorder.addKeyframe(plan[i / 75 - 1].action, frame);
}
const bundle = await recorder.finish(attempt.claim(await attempt.finish()));
const text = src.serializeEvidence(bundle);
const options = { nonce, document, now: clock + 1000, planFromNonce: () => plan };
const check = async (report) => {
  if (!report.ok) throw new Error(`bench: bundle did not verify: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`);
};
// without a reanalyzer the two face checks are skipped; every other check must pass
await check(await src.verifyEvidence(text, options).then((r) => ({ ok: r.checks.filter((c) => !c.skipped).every((c) => c.ok), checks: r.checks })));
results['replay 10 s (300 frames): challenge, signals, verdict'] = await run('replay 10 s (300 frames): challenge, signals, verdict', async () => src.replayEvidence(bundle));
results['verifyEvidence 10 s (300 frames), no reanalysis'] = await run('verifyEvidence 10 s (300 frames), no reanalysis', () => src.verifyEvidence(text, options));
const reanalyzer = await src.createNodeReanalyzer({ modelDir: join(root, 'models'), numThreads: 1 });
await check(await src.verifyEvidence(text, { ...options, reanalyze: reanalyzer.reanalyze }));
results['verifyEvidence 10 s (300 frames), 3 keyframes re-analysed'] = await run(
  'verifyEvidence 10 s (300 frames), 3 keyframes re-analysed',
  () => src.verifyEvidence(text, { ...options, reanalyze: reanalyzer.reanalyze }),
  { minSamples: 5, maxTime: 8 },
);
await reanalyzer.close();

const out = {
  context: { node: process.version, cpus: os.cpus().length, load: os.loadavg().map((l) => Math.round(l * 10) / 10), bundleBytes: text.length, date: new Date().toISOString() },
  ...results,
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'evidence.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/evidence.json');

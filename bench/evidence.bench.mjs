#!/usr/bin/env node
// bench:evidence — what the evidence costs, on a real 10 s capture at 640x480 (franck.mp4 from 43 s, scaled as the
// browser test feeds it) recorded as `livecheck analyze --evidence` records it (frame records, keyframes, the capture
// video encoded by the Node host). Reports the bundle's size, appending one frame record (benchmark.js), the binding
// checks alone (format, chain, the video demuxed and matched packet by packet), and the server's whole verification
// (ffmpeg decode + the engine re-run on every frame): wall and CPU time (this process and its ffmpeg children, from
// /proc), p50 and p90, decode and re-analysis apart. Writes bench/results/evidence.json with
// { "verify_10s": { "cpu_ms_p50", "wall_ms_p50", ... }, "bundle_bytes_10s", ... }.
import Benchmark from 'benchmark';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './lib/bundle-sources.mjs';
import os from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.LIVECHECK_BENCH_RUNS ?? 5);

const src = await bundleSources(
  'evidence-bench-entry',
  [
    "export { EvidenceRecorder, serializeEvidence } from './src/evidence/index.ts';",
    "export { attemptConfigHash } from './src/attempt/config.ts';",
    "export { planFromNonce } from './src/challenge/plan.ts';",
    "export { verifyEvidence } from './src/verify/evidence.ts';",
    "export { createNodeReanalyzer } from './src/node/reanalyzer.ts';",
    "export { captureVideo } from './src/node/analyze.ts';",
    "export { decodeVideo } from './src/node/media.ts';",
    "export { data } from './test/helpers/data.ts';",
  ],
  ['onnxruntime-web', 'jpeg-js', 'mediabunny'],
);
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (x) => Math.round(x);

/** CPU time of this process and its waited-for children (ffmpeg), ms, from /proc/self/stat. */
function cpuMs() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime stime cutime cstime
  return (ticks * 1000) / 100;
}

async function timed(fn) {
  const c0 = cpuMs();
  const t0 = performance.now();
  const out = await fn();
  return { out, wall: performance.now() - t0, cpu: cpuMs() - c0 };
}

function summary(samples) {
  const wall = samples.map((s) => s.wall);
  const cpu = samples.map((s) => s.cpu);
  return { cpu_ms_p50: ms(quantile(cpu, 0.5)), cpu_ms_p90: ms(quantile(cpu, 0.9)), wall_ms_p50: ms(quantile(wall, 0.5)), wall_ms_p90: ms(quantile(wall, 0.9)), runs: samples.length };
}

// the capture: up to 10 s at 640x480, a turn to the left after the first prompt
const tmp = mkdtempSync(join(tmpdir(), 'livecheck-bench-evidence-'));
const clip = join(tmp, 'clip.y4m');
execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', [
  ...['-nostdin', '-v', 'error', '-y', '-ss', '43', '-t', '10', '-i', src.data.franckMp4],
  ...['-vf', 'scale=640:512:flags=bicubic,crop=640:480,setsar=1', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', clip],
]);
const nonce = 'bench-nonce-0123456789abcdef';
// three steps: the clip answers the first two, and the attempt runs until the third one's response times out
const plan = await src.planFromNonce(nonce, {
  script: [
    { action: 'turn-left', holdMs: 0 },
    { action: 'smile', holdMs: 0 },
    { action: 'turn-right', holdMs: 0 },
  ],
});
const uploadedAt = Date.UTC(2026, 10, 23, 9, 0, 0);
const document = { metadataHash: 'a'.repeat(64), uploadedAt };
const capture = await src.captureVideo(clip, { plan, identity: true, evidence: { nonce, document, startedAt: uploadedAt + 60_000 } });
const text = src.serializeEvidence(capture.evidence);
const frames = capture.evidence.records.filter((r) => r.type === 'frame');
const seconds = (frames.at(-1).t - frames[0].t) / 1000 + 1 / 30;
const video = capture.evidence.records.find((r) => r.type === 'video');
console.log(`capture: ${frames.length} frames (${seconds.toFixed(1)} s), bundle ${text.length} bytes (video ${video.bytes}), client verdict ${capture.report.verdict}`);
const options = { nonce, document, now: uploadedAt + 120_000, planFromNonce: () => plan.steps, replay: { identity: {} } };

const results = {};
{
  const configHash = await src.attemptConfigHash({});
  const recorder = await src.EvidenceRecorder.start({ nonce, plan: plan.steps, document, configHash });
  const face = {
    box: { x: 200, y: 120, width: 220, height: 260 },
    score: 0.97,
    landmarks: Array.from({ length: 478 }, (_, i) => [200 + (i % 40) * 5.5, 120 + Math.floor(i / 40) * 21.7, 0]),
    rotation: 0,
    tracked: true,
  };
  let t = 0;
  results['appendFrame (one frame record)'] = await new Promise((done) => {
    const b = new Benchmark('appendFrame', {
      defer: true,
      minSamples: 10,
      maxTime: 3,
      fn: (d) => recorder.appendFrame({ timestampMs: (t += 33.3), width: 640, height: 480, quality: {}, faces: [face] }).then(() => d.resolve()),
    });
    b.on('complete', () => done({ p50_ms: Math.round(quantile(b.stats.sample, 0.5) * 1e7) / 1e4, rme: Math.round(b.stats.rme * 100) / 100, samples: b.stats.sample.length }));
    b.run({ async: true });
  });
  console.log(`appendFrame: ${JSON.stringify(results['appendFrame (one frame record)'])}`);
}

// the binding checks alone (no reanalyzer): shape, chain, nonce, plan, document, clock, the video matched to the records
const binding = [];
for (let i = 0; i < RUNS; i++) binding.push(await timed(() => src.verifyEvidence(text, options)));
const bound = binding[0].out.checks.filter((c) => !c.ok && !c.skipped);
if (bound.length) throw new Error(`bench: the capture does not bind: ${JSON.stringify(bound)}`);
results.binding_checks_10s = summary(binding);

// decoding the video alone, as the server does (ffmpeg, source timing)
const file = join(tmp, 'capture.webm');
writeFileSync(file, Buffer.from(video.data, 'base64'));
const decode = [];
for (let i = 0; i < RUNS; i++) {
  decode.push(
    await timed(async () => {
      let n = 0;
      for await (const _ of src.decodeVideo(file, { timing: 'source', reuse: true })) n++;
      return n;
    }),
  );
}
results.decode_10s = summary(decode);

// the whole verification: binding checks, decode, the engine on every frame (the reanalyzer's engine made once)
// A server is long-lived: its first capture also pays for compiling the wasm and warming the models, reported apart
// (verify_10s_first); verify_10s is the steady state over the next RUNS captures.
const reanalyzer = await src.createNodeReanalyzer({ modelDir: join(root, 'models'), numThreads: 1 });
const verifyOnce = () => timed(() => src.verifyEvidence(text, { ...options, reanalyzeVideo: (c) => reanalyzer.reanalyzeVideo(c) }));
const first = await verifyOnce();
const verify = [];
for (let i = 0; i < RUNS; i++) verify.push(await verifyOnce());
await reanalyzer.close();
const report = verify[0].out;
results.verify_10s = summary(verify);
results.verify_10s_first = { cpu_ms: ms(first.cpu), wall_ms: ms(first.wall) };
results.reanalysis_10s = { cpu_ms_p50: results.verify_10s.cpu_ms_p50 - results.decode_10s.cpu_ms_p50 - results.binding_checks_10s.cpu_ms_p50 };
results.bundle_bytes_10s = Math.round((text.length / seconds) * 10);
results.verdict = { client: capture.report.verdict, server: report.verdict, failed: report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`) };
console.log(JSON.stringify(results, null, 1));
rmSync(tmp, { recursive: true, force: true });

const out = {
  context: {
    node: process.version,
    cpus: os.cpus().length,
    load: os.loadavg().map((l) => Math.round(l * 10) / 10),
    frames: frames.length,
    seconds,
    bundleBytes: text.length,
    videoBytes: video.bytes,
    date: new Date().toISOString(),
  },
  ...results,
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'evidence.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/evidence.json');

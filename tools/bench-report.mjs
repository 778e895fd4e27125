#!/usr/bin/env node
// docs:bench — renders bench/results/*.json as Markdown, so the figures in the docs are the figures on disk.
//
//   node tools/bench-report.mjs            writes docs/benchmarks.md and the marked blocks in README.md
//                                          (<!-- bench:start --> ... <!-- bench:end -->) and docs/evaluation.md
//                                          (<!-- eval:start --> ... <!-- eval:end -->)
//   node tools/bench-report.mjs --check    writes nothing; exits 1 when any of those differs from what it would write
//   --root DIR                             work on another checkout (the test uses a scratch copy)
//
// Plain Node ESM, no dependencies. Output is deterministic: it depends only on the JSON files (no clock, no machine).
// A result file that is missing or unreadable renders as "not measured", never as an error.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const check = args.includes('--check');
const rootArg = args.indexOf('--root');
const root = rootArg >= 0 ? resolve(args[rootArg + 1] ?? '.') : resolve(dirname(fileURLToPath(import.meta.url)), '..');
const unknownArgs = args.filter((a, i) => a !== '--check' && a !== '--root' && !(rootArg >= 0 && i === rootArg + 1));
if (unknownArgs.length) {
  console.error(`bench-report: unknown argument ${unknownArgs[0]}\nusage: node tools/bench-report.mjs [--check] [--root DIR]`);
  process.exit(2);
}
const resultsDir = join(root, 'bench', 'results');

// ---------- reading ----------

/** The parsed result file, or null when it is missing or not JSON (the section then says "not measured"). */
function load(name) {
  const file = join(resultsDir, name);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
const get = (o, ...path) => path.reduce((x, k) => (x === null || x === undefined ? undefined : x[k]), o);
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

// ---------- formatting ----------

/** ms with three significant-ish decimals: 0.511, 9.46, 19.3, 414.7. */
function ms(v) {
  if (!isNum(v)) return '–';
  if (v >= 100) return v.toFixed(1);
  if (v >= 10) return v.toFixed(2);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}
const ratio = (a, b) => (isNum(a) && isNum(b) && b > 0 ? `${(a / b).toFixed(1)}x` : '–');
const x2 = (v) => (isNum(v) ? `${v.toFixed(2)}x` : '–');
const rme = (v) => (isNum(v) ? `±${v.toFixed(1)}%` : '');
const withRme = (r) => (r && isNum(r.p50_ms) ? `${ms(r.p50_ms)} (${rme(r.rme)})` : '–');
const num = (v, d = 3) => (isNum(v) ? String(Math.round(v * 10 ** d) / 10 ** d) : '–');
const frac = (a, b) => `${a}/${b}`;
const day = (iso) => (typeof iso === 'string' ? iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC') : 'date not recorded');
function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
const notMeasured = (file, command) => `_Not measured: \`bench/results/${file}\` is missing or unreadable. Run \`${command}\` to produce it._`;

// ---------- sections of docs/benchmarks.md ----------

const KERNEL_ROWS = [
  ['pass', 'whole quality pass (luma, pyramid, entropy, luminance, focus, background motion)'],
  ['luma', 'luma + 2x2 pyramid level'],
  ['entropy', 'histogram + entropy'],
  ['luminance', 'face luminance, left/right balance, mean RGB'],
  ['focus', 'Laplacian focus'],
  ['flow', 'Lucas-Kanade flow, 100 points'],
  ['passive', 'passive artefact features (moire, flicker, device border, specular)'],
];

function kernelsSection() {
  const k = load('kernels.json');
  const a = load('kernels.agreement.json');
  const out = [
    '## Quality kernels: `npm run bench:kernels`',
    '',
    'The per-frame image kernels (`src/quality/`, AssemblyScript compiled to wasm SIMD and to scalar wasm) against a',
    'plain-JavaScript version of the same algorithms and against OpenCV.js 4.12. benchmark.js, one thread; figures are the',
    "p50 of benchmark.js's per-cycle samples in ms, with the relative margin of error (rme). The run fails if the",
    "contenders' results disagree (the agreement checks below).",
    '',
  ];
  if (!k) return [...out, notMeasured('kernels.json', 'npm run bench:kernels')].join('\n');
  const cond = [];
  if (a) cond.push(`Node ${a.node ?? '?'}`, `run ${day(a.date)}`, `frames: ${a.frames ?? 'not recorded'}`, a.quick ? 'quick run' : 'full run');
  else cond.push('conditions not recorded (`kernels.agreement.json` missing)');
  out.push(`Conditions (from \`kernels.agreement.json\`): ${cond.join('; ')}. The JSON does not record the machine load.`, '');
  for (const size of Object.keys(k)) {
    const rows = [];
    for (const [key, label] of KERNEL_ROWS) {
      const r = k[size]?.[key];
      if (!r) continue;
      rows.push([
        label,
        withRme(r['livecheck-simd']),
        withRme(r['livecheck-scalar']),
        withRme(r.js),
        withRme(r.opencv),
        `**${ratio(r.opencv?.p50_ms, r['livecheck-simd']?.p50_ms)}**`,
        ratio(r['livecheck-scalar']?.p50_ms, r['livecheck-simd']?.p50_ms),
      ]);
    }
    out.push(`### ${size}`, '', table(['kernel', 'livecheck SIMD', 'livecheck scalar', 'plain JS', 'OpenCV.js', 'OpenCV.js / SIMD', 'scalar / SIMD'], rows), '');
  }
  if (a?.agreement) {
    out.push('### Agreement checks', '');
    const sizes = Object.keys(a.agreement);
    const names = [...new Set(sizes.flatMap((s) => Object.keys(a.agreement[s].checks ?? {})))];
    out.push(
      table(
        ['check', ...sizes],
        names.map((n) => [n, ...sizes.map((s) => (a.agreement[s].checks?.[n] === true ? 'pass' : a.agreement[s].checks?.[n] === false ? '**FAIL**' : '–'))]),
      ),
      '',
    );
  }
  return out.join('\n');
}

function modelsSection() {
  const m = load('models.json');
  const out = [
    '## Face models: `npm run bench:models`',
    '',
    'A tracked video frame (FaceMesh 192x192, then Iris 64x64 on both eyes in one batch-2 run, crops included, no',
    "detector) on livecheck's own wasm SIMD landmark runtime, on onnxruntime-web (the fallback) at 1 and 2 threads, and",
    'in `@vladmandic/human` on tfjs-backend-wasm. The same `.onnx` files, converted from the same TFJS weights, feed both',
    "of livecheck's runtimes. The sides run in alternating rounds, one process working at a time. `node bench/models.bench.mjs",
    '--quick` is a shorter run.',
    '',
  ];
  if (!m) return [...out, notMeasured('models.json', 'npm run bench:models')].join('\n');
  out.push(`Conditions: Node ${m.node ?? '?'}; run ${day(m.date)}; ${m.runtime_s ?? '?'} s. Work per frame, as recorded:`, '');
  if (m.work) for (const [side, w] of Object.entries(m.work)) out.push(`- ${side}: ${w}`);
  out.push('');
  const p = m.pipeline;
  if (p) {
    const sides = [
      ['livecheck', 'livecheck, own kernels (default)'],
      ['livecheck_on_onnxruntime', 'livecheck on onnxruntime-web, 1 thread'],
      ['livecheck_on_onnxruntime_2_threads', 'livecheck on onnxruntime-web, 2 threads'],
      ['human', `human (${p.human?.backend ?? 'tfjs-backend-wasm'})`],
    ];
    out.push(
      '### Tracked frame',
      '',
      table(
        ['side', 'p50 ms (rme)', 'rounds p50 ms', 'CPU ms per frame'],
        sides.filter(([key]) => p[key]).map(([key, label]) => [label, withRme(p[key]), (p[key].rounds_p50_ms ?? []).map(ms).join(', '), ms(p[key].cpu_ms_per_frame)]),
      ),
      '',
    );
    const il = p.cpu_time_1_thread_interleaved;
    out.push(
      table(
        ['speed-up over human', 'ratio'],
        [
          ['wall time, both 1 thread (headline)', `**${x2(p.speedup_vs_human)}**`],
          ['CPU time per frame, both 1 thread', x2(p.speedup_vs_human_cpu_time_1_thread)],
          [`CPU time, interleaved in one process (${il?.blocks ?? 'blocks'}): ${ms(il?.livecheck_cpu_ms)} vs ${ms(il?.human_cpu_ms)} ms`, x2(il?.speedup_vs_human_cpu_time)],
          ['onnxruntime-web fallback, 1 thread', x2(p.speedup_vs_human_on_onnxruntime)],
          ['onnxruntime-web fallback, 2 threads', x2(p.speedup_vs_human_on_onnxruntime_2_threads)],
        ],
      ),
      '',
    );
  }
  const alone = Object.entries(m).find(([key]) => key.startsWith('same graphs alone'));
  if (alone) {
    out.push(
      `### The graphs alone (${alone[0].replace(/^same graphs alone \(|\)$/g, '')})`,
      '',
      table(
        ['graph: runtime', 'p50 ms (rme)'],
        Object.entries(alone[1]).map(([name, r]) => [name, withRme(r)]),
      ),
      '',
    );
  }
  const steps = Object.entries(m).find(([key]) => key.startsWith('tracked frame by step'));
  if (steps) {
    const s = steps[1];
    out.push(
      `### Where a tracked frame's time goes (${steps[0].replace(/^tracked frame by step \(|\)$/g, '')}; ${s.blocks ?? ''})`,
      '',
      table(
        ['step', 'CPU ms'],
        [
          ...Object.entries(s.steps ?? {}).map(([name, r]) => [name, ms(r.cpu_ms)]),
          ['**work outside the two model runs**', `**${ms(s.steps_outside_the_runs_cpu_ms)}**`],
          ['the whole tracked frame', ms(s['tracked frame (tracker.detect)']?.cpu_ms)],
          ['the two model runs alone, alternating', ms(s['FaceMesh + Iris session.run only, alternating']?.cpu_ms)],
        ],
      ),
      '',
    );
  }
  const models = ['blazeface', 'blazeface-back', 'facemesh', 'iris'].filter((n) => m[n]);
  if (models.length) {
    out.push(
      '### Each model alone',
      '',
      table(
        ['model', 'file size', 'onnxruntime-web, 1 thread', 'onnxruntime-web, 2 threads', 'livecheck kernels'],
        models.map((n) => [
          `${m[n].case ?? n} (\`${m[n].file ?? ''}\`)`,
          isNum(m[n].bytes) ? `${(m[n].bytes / 1e6).toFixed(2)} MB` : '–',
          withRme(m[n].ort_1_thread),
          withRme(m[n].ort_2_threads),
          m[n].livecheck_kernels ? withRme(m[n].livecheck_kernels) : 'runs on onnxruntime',
        ]),
      ),
      '',
    );
  }
  if (m['detector frame']) {
    const d = m['detector frame'];
    out.push(
      `A frame that runs the detector as well (the face was lost, or the periodic re-detection): ${withRme(d.livecheck)} ms at 1 thread, ${withRme(d.livecheck_2_threads)} ms at 2 threads.`,
      '',
    );
  }
  if (m.description) out.push('<details><summary>How the JSON describes the run</summary>', '', `> ${m.description}`, '', '</details>', '');
  return out.join('\n');
}

function nnSection() {
  const n = load('nn-kernels.json');
  const out = [
    '## Landmark kernels: `npm run bench:nn`',
    '',
    "The layers FaceMesh and Iris are made of, on livecheck's NHWC float32 wasm SIMD kernels (`nn.simd.wasm`), on",
    "onnxruntime-web's wasm build and in plain JavaScript (`src/nn/reference.ts`, the tests' oracle). p50 ms and",
    "GMAC/s (billions of multiply-adds per second) of benchmark.js's samples, with rme. The run fails if the three disagree.",
    "Bias, residual and PReLU are fused into livecheck's convolutions; onnxruntime runs them as separate nodes, which",
    'this table does not count. `--quick` is a smoke run.',
    '',
  ];
  if (!n) return [...out, notMeasured('nn-kernels.json', 'npm run bench:nn')].join('\n');
  out.push(`Conditions: Node ${n.machine ?? 'not recorded'}; each layer chained ${n.chain ?? '?'} times where it keeps its shape. The JSON records no date or load.`, '');
  const rows = Object.entries(n.shapes ?? {}).map(([shape, s]) => {
    const r = s.results ?? {};
    const cell = (x) => (x ? `${num(x.gmacs, 2)} (${ms(x.p50_ms)} ms, ${rme(x.rme)})` : '–');
    return [
      shape,
      isNum(s.macs) ? (s.macs / 1e6).toFixed(2) : '–',
      cell(r.livecheck),
      cell(r['ort-wasm']),
      cell(r['plain-js']),
      `**${ratio(r['ort-wasm']?.p50_ms, r.livecheck?.p50_ms)}**`,
      s.agree === true ? 'yes' : s.agree === false ? '**no**' : '–',
    ];
  });
  out.push(table(['layer', 'M MACs', 'livecheck GMAC/s', 'onnxruntime-web GMAC/s', 'plain JS GMAC/s', 'onnxruntime / livecheck time', 'results agree'], rows), '');
  return out.join('\n');
}

function e2eRow(label, r) {
  return [
    label,
    `${r.threads ?? '?'} ORT thread${r.threads === 1 ? '' : 's'}, Iris ${r.iris_worker ? 'in its own worker' : 'in the main worker'}, landmarks on ${r.landmark_runtime ?? '?'}`,
    num(r.load_average_1min, 1),
    `**${num(r.fps_analyzed, 1)}**`,
    `${r.frames_dropped ?? '–'} / ${r.window_seconds ?? '?'} s`,
    `${ms(r.worker_ms_per_frame_p50)} (${ms(r.profile?.worker_ms_p90)})`,
    ms(r.main_thread_ms_per_frame_p50),
    `${r.frames_with_face ?? '–'} / ${r.frames_analyzed ?? '–'}`,
  ];
}

function e2eSection() {
  const e = load('e2e.json');
  const out = [
    '## In the browser: `npm run bench:e2e`',
    '',
    "The demo's whole pipeline in headless Chromium: `openCamera` → `<video>` → `createLivenessCheck().start(video)`,",
    "guidance only, the demo's mesh overlay drawn on every frame, served with COOP/COEP and the strict CSP. The fake camera",
    'plays a real webcam clip upscaled to 640x480 at 30 fps, so 30 fps analysed is the ceiling. It measures the default',
    'configuration, then the other thread count right after, then the default recording evidence (a challenge the clip',
    'does not answer, so the attempt lasts the window: frame records, keyframes and the capture video encoded in the',
    'worker). Options: `--seconds`, `--warmup`, `--threads N`, `--iris-worker 0|1`, `--no-evidence`, and `--ab N` for N',
    'alternating rounds of all four thread / Iris configurations.',
    '',
  ];
  if (!e) return [...out, notMeasured('e2e.json', 'npm run bench:e2e')].join('\n');
  out.push(
    `Run ${day(e.date)} with \`${e.command ?? 'npm run bench:e2e'}\`; wasm SIMD ${e.simd ? 'on' : 'off'}; crossOriginIsolated ${e.cross_origin_isolated ? 'yes' : 'no'}; errors ${e.errors ?? '–'}.`,
    '',
  );
  const rows = [e2eRow('default', e)];
  if (e.other_threads) rows.push(e2eRow('other thread count', e.other_threads));
  if (e.with_evidence) rows.push(e2eRow('default, recording evidence (video encoded in the worker)', e.with_evidence));
  out.push(table(['run', 'configuration', 'load (1 min)', 'fps analysed', 'frames dropped', 'worker ms p50 (p90)', 'main thread ms p50', 'frames with a face'], rows), '');
  const stages = e.profile?.stages_ms_p50;
  if (stages) {
    const other = e.other_threads?.profile?.stages_ms_p50 ?? {};
    out.push(
      "Where a frame's time goes in the main worker (the profiling build `dist/dev/worker.js`, medians in ms; `iris_wait` is the wait for the Iris",
      "worker, so the worker's ms per frame is latency, not throughput):",
      '',
      table(
        ['stage', 'default', 'other thread count'],
        Object.keys(stages).map((s) => [s, ms(stages[s]), ms(other[s])]),
      ),
      '',
    );
  }
  if (e.description) out.push('<details><summary>How the JSON describes the run</summary>', '', `> ${e.description}`, '', '</details>', '');
  return out.join('\n');
}

function evidenceSection() {
  const v = load('evidence.json');
  const out = [
    '## Evidence: `npm run bench:evidence`',
    '',
    'What the evidence costs on a real 10 s capture at 640x480 recorded as `livecheck analyze --evidence` records it:',
    "the bundle's size (records, keyframes, the capture video), appending one frame record on the client, and on the",
    'server the binding checks alone, decoding the video, and the whole verification (the engine re-run on every',
    'decoded frame). CPU time is this process and its ffmpeg children, on one core each.',
    '',
  ];
  if (!v) return [...out, notMeasured('evidence.json', 'npm run bench:evidence')].join('\n');
  const c = v.context ?? {};
  out.push(
    `Conditions: Node ${c.node ?? '?'}, ${c.cpus ?? '?'} CPUs, load ${Array.isArray(c.load) ? c.load.map((l) => num(l, 1)).join(' / ') : '?'} (1 / 5 / 15 min), run ${day(c.date)}; the capture is ${c.frames ?? '?'} frames (${num(c.seconds, 1)} s), its bundle ${isNum(c.bundleBytes) ? (c.bundleBytes / 1e6).toFixed(2) : '?'} MB (video ${isNum(c.videoBytes) ? (c.videoBytes / 1e6).toFixed(2) : '?'} MB); per 10 s: **${isNum(v.bundle_bytes_10s) ? (v.bundle_bytes_10s / 1e6).toFixed(2) : '?'} MB** (target 1 MB).`,
    '',
  );
  const step = (name, r) => [name, r ? `**${ms(r.cpu_ms_p50)}** / ${ms(r.cpu_ms_p90)}` : '–', r ? `${ms(r.wall_ms_p50)} / ${ms(r.wall_ms_p90)}` : '–', String(r?.runs ?? '–')];
  out.push(
    table(
      ['step (10 s capture)', 'CPU ms p50 / p90', 'wall ms p50 / p90', 'runs'],
      [
        step('binding checks (shape, chain, video demuxed and matched)', v.binding_checks_10s),
        step('decode the video (ffmpeg)', v.decode_10s),
        step('whole verification, steady state (target: 3000 ms CPU)', v.verify_10s),
      ],
    ),
    '',
    ...(v.verify_10s_first
      ? [`The server's first capture after start (compiling the wasm, warming the models) took ${ms(v.verify_10s_first.cpu_ms)} ms CPU, ${ms(v.verify_10s_first.wall_ms)} ms wall.`, '']
      : []),
    `Appending one frame record: ${ms(v['appendFrame (one frame record)']?.p50_ms)} ms p50. Verdicts on this capture: client ${v.verdict?.client ?? '?'}, server ${v.verdict?.server ?? '?'}.`,
    '',
  );
  return out.join('\n');
}

function serverSection() {
  const v = load('server.json');
  const out = [
    '## The verification service: `npm run bench:server`',
    '',
    'Clients each submit a real capture made against their own session (3 s at 640x480, recorded as `livecheck analyze',
    '--evidence` records it) to `livecheck serve` replicas sharing one redis-server (the built CLI, one verification thread',
    'each), all at once; a 503 is retried after its Retry-After, the wait counted in its latency. Lost: a session without',
    'its result stored; double-counted: a subject with more than one attempt recorded.',
    '',
  ];
  if (!v) return [...out, notMeasured('server.json', 'npm run bench:server')].join('\n');
  const c = v.context ?? {};
  out.push(`Conditions: Node ${c.node ?? '?'}, ${c.cpus ?? '?'} CPUs, run ${day(c.date)}.`, '');
  const row = (r) =>
    r
      ? [
          String(r.replicas),
          String(r.clients),
          `**${num(r.verifications_per_min_per_core, 1)}**`,
          `${r.latency_ms_p50} / ${r.latency_ms_p99}`,
          String(r.retried_503),
          String(r.lost),
          String(r.double_counted),
          num(r.load, 1),
        ]
      : ['–', '–', '–', '–', '–', '–', '–', '–'];
  out.push(table(['replicas', 'clients', 'verifications / min / core', 'latency ms p50 / p99', '503 retried', 'lost', 'double-counted', 'load'], [row(v.replicas_1), row(v.replicas_3)]), '');
  return out.join('\n');
}

const SPECIES = [
  ['print', 'print'],
  ['screen-replay', 'screen replay'],
  ['static-photo', 'static photo'],
  ['identity-swap', 'identity swap'],
  ['video-replay', 'video replay'],
];

function apcerCell(a) {
  if (!a) return '–';
  const parts = [];
  if (a.review) parts.push(`${a.review} review`);
  if (a.fail) parts.push(`${a.fail} fail`);
  return `${a.accepted}/${a.attacks}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function bpcerCell(part) {
  const b = part?.bona_fide;
  return b ? `${num(part.bpcer, 3)} (${frac(b.rejected, b.presentations)})` : '–';
}

/** The attack-suite figures of one result file: BPCER, APCER per species and part, signals per species, identity margins. */
function evalFigures(j, heading, full = true) {
  const out = [`${heading}`, ''];
  const run = j.run ?? {};
  out.push(
    `${run.presentations ?? '?'} presentations; ${run.seconds ?? '?'} s on ${run.cores ?? '?'} cores at load ${num(run.load, 1)}, Node ${run.node ?? '?'}, run ${day(run.date)}. Every verdict with the shipped thresholds (\`passive.liveMin\` ${j.tuned?.['passive.liveMin (shipped, used for every verdict here)'] ?? '?'}; the tuning part alone would choose ${num(j.tuned?.['passive.liveMin (suggested by the tuning part, not applied)'], 3)}).`,
    '',
  );
  out.push('An attack counts as accepted only on `pass`; cells are accepted / attacks, with how the rest ended.', '');
  out.push(
    table(
      ['part', 'BPCER (non-pass / live)', ...SPECIES.map(([, label]) => label)],
      [
        ['tuning', j.tuning],
        ['held-out', j['held-out']],
        ['both', j.all],
        // the server path: verifyEvidence's verdicts from the decoded capture video
        ['server: tuning', j.server?.tuning],
        ['server: held-out', j.server?.['held-out']],
      ]
        .filter(([, p]) => p)
        .map(([name, p]) => [name, bpcerCell(p), ...SPECIES.map(([key]) => apcerCell(p.apcer?.[key]))]),
    ),
    '',
  );
  if (j.server) {
    const d = j.server.disagreements ?? [];
    const rb = j.server.rebound;
    out.push(
      `The server rows are the verdicts \`verifyEvidence\` gave each attempt's evidence bundle from its decoded capture video (${num(j.server.verify_ms_p50 / 1000, 1)} s per verification p50; bundles up to ${num(j.server.bundle_bytes_max / 1e6, 2)} MB). ${d.length === 0 ? 'The server agreed with the client on every presentation.' : `Server and client differ on ${d.length}: ${d.map((x) => `${x.id} (client ${x.client}, server ${x.server})`).join('; ')}.`}${rb ? ` Live bundles the server passed, re-bound to new nonces with the same actions and re-chained: ${rb.passed} of ${rb.attempts} still pass (one-action plans, timed by the gap before their only prompt: ${rb['one action']?.passed ?? '–'} of ${rb['one action']?.attempts ?? '–'}; two or more actions: ${rb['two or more actions']?.passed ?? '–'} of ${rb['two or more actions']?.attempts ?? '–'}).` : ''}`,
      '',
    );
  }
  if (!full) return out.join('\n');
  if (Array.isArray(j.presentations)) {
    const counts = new Map();
    for (const p of j.presentations) {
      const species = p.species === 'bona-fide' ? 'live' : p.species;
      if (!counts.has(species)) counts.set(species, { n: 0, active: {}, passive: {}, motion: {} });
      const c = counts.get(species);
      c.n++;
      for (const s of ['active', 'passive', 'motion']) {
        const v = p.signals?.[s]?.verdict ?? 'missing';
        c[s][v] = (c[s][v] ?? 0) + 1;
      }
    }
    const cell = (o) => `${o.live ?? 0} / ${o.unsure ?? 0} / ${o.spoof ?? 0}${o.missing ? ` (+${o.missing} missing)` : ''}`;
    // the server's passive signal, on the decoded video
    const serverPassive = new Map();
    for (const p of j.presentations) {
      if (!p.server) continue;
      const species = p.species === 'bona-fide' ? 'live' : p.species;
      const o = serverPassive.get(species) ?? {};
      const v = p.server.signals?.passive ?? 'missing';
      o[v] = (o[v] ?? 0) + 1;
      serverPassive.set(species, o);
    }
    const withServer = serverPassive.size > 0;
    out.push(
      `Signal verdicts over both parts (live / unsure / spoof)${withServer ? "; the last column is the server's passive signal, measured on the decoded capture video (missing: the server reached no decision of its own, because a check such as the camera-injection cues did not pass)" : ''}:`,
      '',
      table(
        ['species', 'active', 'passive', 'motion', ...(withServer ? ['server passive'] : [])],
        [...counts].map(([species, c]) => [`${species} (${c.n})`, cell(c.active), cell(c.passive), cell(c.motion), ...(withServer ? [cell(serverPassive.get(species) ?? {})] : [])]),
      ),
      '',
    );
    // how the product's challenge session ended each presentation: completed, or the rule that ended it
    const ends = new Map();
    for (const p of j.presentations) {
      const species = p.species === 'bona-fide' ? 'live' : p.species;
      const c = p.challenge;
      // not-ready: the session never calibrated; name what blocked it (the code blocking most frames)
      const blocked = Object.entries(c?.blockedBeforePrompt ?? {}).sort((a, b) => b[1] - a[1])[0]?.[0];
      const why = c?.reason === 'not-ready' && blocked ? ` (${blocked})` : '';
      const key = !c ? 'unknown' : c.outcome === 'completed' ? 'completed' : c.outcome ? `${c.outcome}: ${c.reason}${why}` : 'still open at the end of the footage';
      if (!ends.has(species)) ends.set(species, new Map());
      ends.get(species).set(key, (ends.get(species).get(key) ?? 0) + 1);
    }
    out.push(
      'How the challenge session ended (both parts):',
      '',
      table(
        ['species', 'endings'],
        [...ends].map(([species, m]) => [
          species,
          [...m]
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `${k} ${n}`)
            .join('; '),
        ]),
      ),
      '',
    );
  }
  const id = j.identity;
  if (id) {
    const rows = ['tuning', 'held-out']
      .filter((p) => id[p])
      .map((p) => [
        p,
        num(id[p].live?.maxDistance),
        num(id[p]['identity-swap']?.minDistance),
        `${num(id[p].margin?.below)} / ${num(id[p].margin?.above)}`,
        `${id[p]['identity-swap']?.changed ?? '–'}/${id[p]['identity-swap']?.presentations ?? '–'}`,
      ]);
    const threshold = id['held-out']?.threshold ?? id.tuning?.threshold;
    out.push(
      `Identity continuity (threshold ${threshold ?? '?'}; the distance is the largest held over consecutive readings):`,
      '',
      table(['part', 'live: largest', 'identity swap: smallest', 'margin below / above', 'swaps caught'], rows),
      '',
    );
  }
  return out.join('\n');
}

function evalSection() {
  const e = load('eval.json');
  const out = [
    '## Attack suite: `npm run eval`',
    '',
    'Not a speed benchmark: the liveness decision on presentations built from real clips and photos (live windows,',
    'prints, screen replays, static photos, identity swaps, replayed videos), split into a tuning and a held-out part,',
    "each run through the product's attempt pipeline with the shipped thresholds. See [evaluation.md](evaluation.md).",
    '',
  ];
  out.push(e ? evalFigures(e, '### `eval.json`', false) : notMeasured('eval.json', 'npm run eval'), '');
  return out.join('\n');
}

// ---------- the README summary ----------

function summaryTable() {
  const k = load('kernels.json');
  const m = load('models.json');
  const e = load('e2e.json');
  const v = load('evidence.json');
  const ko = load('eval.json');
  const rows = [];
  const pass = k?.['640x480']?.pass;
  rows.push([
    'Quality kernels, whole pass at 640x480 (`bench:kernels`)',
    pass ? `${ms(pass['livecheck-simd']?.p50_ms)} ms vs OpenCV.js ${ms(pass.opencv?.p50_ms)} ms: **${ratio(pass.opencv?.p50_ms, pass['livecheck-simd']?.p50_ms)}**` : 'not measured',
    'Node, 1 thread, real frames',
  ]);
  const p = m?.pipeline;
  rows.push([
    'Tracked landmark frame, FaceMesh + Iris (`bench:models`)',
    p
      ? `${ms(p.livecheck?.p50_ms)} ms vs human ${ms(p.human?.p50_ms)} ms: **${x2(p.speedup_vs_human)}** (CPU time interleaved ${x2(p.cpu_time_1_thread_interleaved?.speedup_vs_human_cpu_time)})`
      : 'not measured',
    'Node, 1 thread each',
  ]);
  rows.push([
    'Browser end to end, 640x480 camera at 30 fps (`bench:e2e`)',
    e
      ? `**${num(e.fps_analyzed, 1)} fps** analysed, ${e.frames_dropped} dropped in ${e.window_seconds} s; main thread ${ms(e.main_thread_ms_per_frame_p50)} ms/frame p50${e.with_evidence ? `; recording evidence **${num(e.with_evidence.fps_analyzed, 1)} fps**, ${e.with_evidence.frames_dropped} dropped, main ${ms(e.with_evidence.main_thread_ms_per_frame_p50)} ms` : ''}`
      : 'not measured',
    e ? `headless Chromium, defaults, load ${num(e.load_average_1min, 1)}` : '',
  ]);
  rows.push([
    'Evidence (`bench:evidence`)',
    v?.verify_10s
      ? `server verification of a 10 s capture **${ms(v.verify_10s.cpu_ms_p50)} ms CPU** (${ms(v.verify_10s.wall_ms_p50)} ms wall); bundle ${num(v.bundle_bytes_10s / 1e6, 2)} MB per 10 s`
      : 'not measured',
    v ? `Node, load ${num(v.context?.load?.[0], 1)}` : '',
  ]);
  rows.push([
    'Attack suite, the product path (`eval`)',
    ko
      ? `BPCER ${frac(ko.all?.bona_fide?.rejected, ko.all?.bona_fide?.presentations)}; attacks accepted ${SPECIES.reduce((s, [key]) => s + (ko.all?.apcer?.[key]?.accepted ?? 0), 0)}/${SPECIES.reduce((s, [key]) => s + (ko.all?.apcer?.[key]?.attacks ?? 0), 0)}`
      : 'not measured',
    ko ? `${ko.run?.presentations} presentations, tuning + held-out` : '',
  ]);
  return [
    table(['benchmark', 'result', 'conditions'], rows),
    '',
    'Generated from `bench/results/*.json` by `npm run docs:bench`; details and conditions in [docs/benchmarks.md](docs/benchmarks.md).',
  ].join('\n');
}

// ---------- assembling ----------

const KNOWN = new Set(['kernels.json', 'kernels.agreement.json', 'models.json', 'nn-kernels.json', 'e2e.json', 'evidence.json', 'eval.json', 'server.json']);

function benchmarksDoc() {
  const files = existsSync(resultsDir)
    ? readdirSync(resultsDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  const unknown = files.filter((f) => !KNOWN.has(f));
  const parts = [
    '# Benchmarks',
    '',
    '<!-- Generated by tools/bench-report.mjs from bench/results/*.json. Do not edit: run `npm run docs:bench`. -->',
    '',
    'Every figure on this page is read from a result file in `bench/results/`, written by the command named in each',
    'section; `npm run docs:bench` regenerates this page and the summary in the README, and `node tools/bench-report.mjs',
    '--check` (run by the test suite) fails when they are out of date. The conditions shown are the ones the result file',
    'records. Most runs were made on a 2-core virtual machine that other jobs were sharing, so single figures can be off',
    'by tens of percent; the ratios between contenders measured in alternating rounds are steadier than the absolute times.',
    'A section whose result file is missing says "not measured".',
    '',
    '| command | result file | what it measures |',
    '| --- | --- | --- |',
    '| `npm run bench:kernels` | `kernels.json`, `kernels.agreement.json` | quality kernels vs plain JS and OpenCV.js |',
    '| `npm run bench:models` | `models.json` | the tracked landmark frame vs `@vladmandic/human`; each model |',
    '| `npm run bench:nn` | `nn-kernels.json` | the landmark runtime layer by layer vs onnxruntime-web |',
    '| `npm run bench:e2e` | `e2e.json` | the browser pipeline: fps analysed, frames dropped, main-thread cost |',
    '| `npm run bench:evidence` | `evidence.json` | bundle size, recording a frame, verifying a 10 s capture from its video |',
    '| `npm run bench:server` | `server.json` | the verification service under load, 1 and 3 replicas on Redis |',
    '| `npm run eval` | `eval.json` | the attack suite (APCER, BPCER) |',
    '| `npm run bench` | | kernels, models and evidence in one go |',
    '',
    kernelsSection(),
    modelsSection(),
    nnSection(),
    e2eSection(),
    evidenceSection(),
    serverSection(),
    evalSection(),
  ];
  if (unknown.length) parts.push('## Other result files', '', 'These files have no renderer in `tools/bench-report.mjs` yet:', '', ...unknown.map((f) => `- \`bench/results/${f}\``), '');
  return `${parts
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** `text` with the block between the two markers replaced by `body`; null when the markers are not there. */
function replaceBlock(text, name, body) {
  const start = `<!-- ${name}:start -->`,
    end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start),
    j = text.indexOf(end);
  if (i < 0 || j < i) return null;
  return `${text.slice(0, i + start.length)}\n<!-- Generated by tools/bench-report.mjs: run \`npm run docs:bench\`. -->\n${body}\n${text.slice(j)}`;
}

const targets = [];
targets.push({ file: 'docs/benchmarks.md', want: () => benchmarksDoc() });
targets.push({ file: 'README.md', block: 'bench', body: () => summaryTable() });
targets.push({
  file: 'docs/evaluation.md',
  block: 'eval',
  body: () => {
    const e = load('eval.json');
    return (e ? evalFigures(e, '**The product path** (`bench/results/eval.json`)') : notMeasured('eval.json', 'npm run eval')).replace(/\n{3,}/g, '\n\n').trimEnd();
  },
});

let stale = 0;
for (const t of targets) {
  const path = join(root, t.file);
  const have = existsSync(path) ? readFileSync(path, 'utf8') : null;
  let want;
  if (t.block) {
    if (have === null) {
      console.error(`bench-report: ${t.file} is missing`);
      stale++;
      continue;
    }
    want = replaceBlock(have, t.block, t.body());
    if (want === null) {
      console.error(`bench-report: ${t.file} has no <!-- ${t.block}:start --> ... <!-- ${t.block}:end --> block`);
      stale++;
      continue;
    }
  } else want = t.want();
  if (have === want) continue;
  if (check) {
    console.error(`bench-report: ${t.file} is out of date with bench/results/*.json (run npm run docs:bench)`);
    stale++;
  } else {
    writeFileSync(path, want);
    console.log(`bench-report: wrote ${t.file}`);
  }
}
if (check && stale === 0) console.log('bench-report: docs are current with bench/results/*.json');
process.exit(stale ? 1 : 0);

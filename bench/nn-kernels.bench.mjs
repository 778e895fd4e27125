#!/usr/bin/env node
// Speed probe of the landmark runtime's convolution kernels (Node, one thread, benchmark.js) on the shapes FaceMesh
// and Iris run: livecheck wasm SIMD (build/nn.simd.wasm), the plain-JS reference (src/nn/reference.ts) and
// onnxruntime-web 1.30 (wasm, 1 thread) running the same Conv as a small ONNX model. ORT runs a chain of CHAIN
// identical convs per session.run (where the shape allows) so that its per-run overhead is spread; times are per
// conv. Checks that the three agree, prints p50 ms, GMAC/s and rme, writes bench/results/nn-kernels.json.
//
//   npm run bench:nn                 all shapes
//   node bench/nn-kernels.bench.mjs --quick
import Benchmark from 'benchmark';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { bundleSources, repoRoot as root } from './lib/bundle-sources.mjs';

const quick = process.argv.includes('--quick');
const CHAIN = 8;

// [label, kind, n, h, w, cin, cout, k, stride, pad]
const SHAPES = [
  ['conv1x1 48x48 32->32', 'conv', 1, 48, 48, 32, 32, 1, 1, 0],
  ['conv1x1 24x24 64->64', 'conv', 1, 24, 24, 64, 64, 1, 1, 0],
  ['conv1x1 12x12 128->128', 'conv', 1, 12, 12, 128, 128, 1, 1, 0],
  ['conv1x1 2x16x16 64->64 (iris)', 'conv', 2, 16, 16, 64, 64, 1, 1, 0],
  ['dw3x3/1 48x48x32', 'dw', 1, 48, 48, 32, 32, 3, 1, 1],
  ['dw3x3/1 24x24x64', 'dw', 1, 24, 24, 64, 64, 3, 1, 1],
  ['dw3x3/1 12x12x128', 'dw', 1, 12, 12, 128, 128, 3, 1, 1],
  ['dw3x3/2 48x48x32', 'dw', 1, 48, 48, 32, 32, 3, 2, 0],
  ['conv3x3/2 192x192 3->16', 'conv', 1, 192, 192, 3, 16, 3, 2, 0],
  ['conv2x2/2 24x24 64->128', 'conv', 1, 24, 24, 64, 128, 2, 2, 0],
];

async function loadSources() {
  const wasmPath = join(root, 'build', 'nn.simd.wasm');
  if (!existsSync(wasmPath)) throw new Error('build/nn.simd.wasm missing: run `npm run build:wasm`');
  const lib = await bundleSources('nn-kernels-bench-entry', [
    "export { ReferenceKernels } from './src/nn/reference.ts';",
    "export { encodeModel, IR_VERSION } from './tools/convert/onnx.ts';",
    "export { DataType } from './src/nn/onnx-schema.ts';",
  ]);
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
  return { lib, wasm: instance.exports };
}

function p50(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Alternating rounds (shared machine): each round runs every contender; the result is the median of round p50s. */
async function measure(cases, rounds) {
  const got = Object.fromEntries(Object.keys(cases).map((k) => [k, { p50: [], rme: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, { fn, async, per }] of Object.entries(cases)) {
      await new Promise((done) => {
        const b = new Benchmark(name, {
          ...(async ? { defer: true, fn: (d) => fn().then(() => d.resolve()) } : { fn }),
          minSamples: quick ? 5 : 15,
          maxTime: quick ? 0.2 : 0.6,
          initCount: 1,
          onError(e) {
            console.error(name, e.message ?? e);
          },
          onComplete() {
            if (this.error) console.error(name, this.error);
            got[name].p50.push((p50(this.stats.sample) * 1000) / per);
            got[name].rme.push(this.stats.rme);
            done();
          },
        });
        b.run({ async: true });
      });
    }
  }
  return Object.fromEntries(Object.entries(got).map(([k, v]) => [k, { p50_ms: p50(v.p50), rme: p50(v.rme) }]));
}

function f32Bytes(a) {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A chain of `count` identical convs (NCHW, ONNX layout) as one model. */
function onnxConv(lib, s, wOihw, bias, count) {
  const [, kind, n, h, w, cin, cout, k, stride, pad] = s;
  const group = kind === 'dw' ? cin : 1;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const nodes = [];
  for (let i = 0; i < count; i++) {
    nodes.push({
      op: 'Conv',
      name: `conv${i}`,
      inputs: [i ? `t${i}` : 'x', 'w', 'b'],
      outputs: [i === count - 1 ? 'y' : `t${i + 1}`],
      attrs: {
        kernel_shape: { kind: 'ints', value: [k, k] },
        strides: { kind: 'ints', value: [stride, stride] },
        pads: { kind: 'ints', value: [pad, pad, pad, pad] },
        group: { kind: 'int', value: group },
      },
    });
  }
  return lib.encodeModel({
    graphName: 'probe',
    opset: 13,
    producer: 'livecheck-bench',
    producerVersion: '0',
    docString: '',
    metadata: {},
    nodes,
    initializers: [
      { name: 'w', type: lib.DataType.FLOAT, dims: [cout, cin / group, k, k], raw: f32Bytes(wOihw) },
      { name: 'b', type: lib.DataType.FLOAT, dims: [cout], raw: f32Bytes(bias) },
    ],
    inputs: [{ name: 'x', type: lib.DataType.FLOAT, shape: [n, cin, h, w] }],
    outputs: [{ name: 'y', type: lib.DataType.FLOAT, shape: [n, cout, oh, oh] }],
  });
}

async function main() {
  const { lib, wasm } = await loadSources();
  const ref = new lib.ReferenceKernels(wasm.memory);
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const report = { machine: `${process.version}, one thread`, chain: CHAIN, shapes: {} };
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296 - 0.5;
  console.log(`${'shape'.padEnd(32)} ${'contender'.padEnd(12)} ${'p50 ms'.padStart(9)} ${'GMAC/s'.padStart(7)} ${'rme %'.padStart(6)}`);
  for (const s of SHAPES) {
    const [label, kind, n, h, w, cin, cout, k, stride, pad] = s;
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const macs = n * oh * oh * cout * k * k * (kind === 'dw' ? 1 : cin);
    // Layout in wasm memory: x, packed weights, bias, y (wasm), y (reference).
    const xN = n * h * w * cin,
      yN = n * oh * oh * cout;
    const panels = Math.ceil(cout / 8);
    const wN = kind === 'dw' ? k * k * cin : panels * k * k * cin * 8;
    let top = (wasm.heapBase() + 15) & ~15;
    const take = (floats) => {
      const p = top;
      top += ((floats + 7) & ~7) * 4;
      return p;
    };
    const x = take(xN),
      wp = take(wN),
      bp = take(panels * 8),
      yW = take(yN),
      yR = take(yN);
    if (top > wasm.memory.buffer.byteLength) wasm.memory.grow(Math.ceil((top - wasm.memory.buffer.byteLength) / 65536));
    const m = new Float32Array(wasm.memory.buffer);
    const xNchw = new Float32Array(xN),
      wOihw = new Float32Array(cout * (kind === 'dw' ? 1 : cin) * k * k),
      bias = new Float32Array(cout);
    for (let i = 0; i < xN; i++) m[(x >> 2) + i] = rnd();
    for (let b = 0; b < n; b++)
      for (let yy = 0; yy < h; yy++)
        for (let xx = 0; xx < w; xx++)
          for (let c = 0; c < cin; c++) {
            xNchw[((b * cin + c) * h + yy) * w + xx] = m[(x >> 2) + ((b * h + yy) * w + xx) * cin + c];
          }
    for (let i = 0; i < wOihw.length; i++) wOihw[i] = rnd() * 0.2;
    for (let i = 0; i < cout; i++) bias[i] = rnd();
    m.fill(0, wp >> 2, (wp >> 2) + wN);
    m.fill(0, bp >> 2, (bp >> 2) + panels * 8);
    m.set(bias, bp >> 2);
    for (let o = 0; o < cout; o++)
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++) {
          if (kind === 'dw') m[(wp >> 2) + (ky * k + kx) * cin + o] = wOihw[(o * k + ky) * k + kx];
          else for (let c = 0; c < cin; c++) m[(wp >> 2) + ((((o >> 3) * k + ky) * k + kx) * cin + c) * 8 + (o & 7)] = wOihw[((o * cin + c) * k + ky) * k + kx];
        }
    const run = (kern, y) =>
      kind === 'dw' ? kern.depthwise(x, n, h, w, cin, k, k, stride, pad, pad, oh, oh, wp, bp, y, 0, 0, 0) : kern.conv(x, n, h, w, cin, k, k, stride, pad, pad, oh, oh, wp, bp, cout, y, 0, 0, 0);
    // ORT chains only where the output can feed the next conv.
    const chain = cin === cout && oh === h ? CHAIN : 1;
    const session = await ort.InferenceSession.create(onnxConv(lib, s, wOihw, bias, chain), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const single = chain === 1 ? session : await ort.InferenceSession.create(onnxConv(lib, s, wOihw, bias, 1), { executionProviders: ['wasm'] });
    const feeds = { x: new ort.Tensor('float32', xNchw, [n, cin, h, w]) };

    // Agreement: wasm vs reference (1e-4 relative to the output's scale), ORT (NCHW) vs wasm.
    run(wasm, yW);
    run(ref, yR);
    const mm = new Float32Array(wasm.memory.buffer);
    const yOrt = (await single.run(feeds)).y.data;
    let scale = 0,
      dRef = 0,
      dOrt = 0;
    for (let i = 0; i < yN; i++) scale = Math.max(scale, Math.abs(mm[(yR >> 2) + i]));
    for (let b = 0; b < n; b++)
      for (let p = 0; p < oh * oh; p++)
        for (let c = 0; c < cout; c++) {
          const i = (b * oh * oh + p) * cout + c;
          dRef = Math.max(dRef, Math.abs(mm[(yW >> 2) + i] - mm[(yR >> 2) + i]));
          dOrt = Math.max(dOrt, Math.abs(mm[(yW >> 2) + i] - yOrt[(b * cout + c) * oh * oh + p]));
        }
    const agree = dRef <= 1e-4 * scale && dOrt <= 1e-4 * scale;
    if (!agree) process.exitCode = 1;

    const res = await measure(
      {
        livecheck: { fn: () => run(wasm, yW), per: 1 },
        'plain-js': { fn: () => run(ref, yR), per: 1 },
        'ort-wasm': { fn: () => session.run(feeds), async: true, per: chain },
      },
      quick ? 1 : 3,
    );
    report.shapes[label] = { macs, ortChain: chain, maxDiffVsReference: dRef, maxDiffVsOrt: dOrt, outputScale: scale, agree, results: {} };
    for (const [name, r] of Object.entries(res)) {
      const gmacs = macs / (r.p50_ms * 1e6);
      report.shapes[label].results[name] = { p50_ms: +r.p50_ms.toFixed(4), gmacs: +gmacs.toFixed(2), rme: +r.rme.toFixed(2) };
      console.log(`${label.padEnd(32)} ${name.padEnd(12)} ${r.p50_ms.toFixed(4).padStart(9)} ${gmacs.toFixed(2).padStart(7)} ${r.rme.toFixed(1).padStart(6)}`);
    }
    const sp = res['ort-wasm'].p50_ms / res.livecheck.p50_ms;
    console.log(`${''.padEnd(32)} ${agree ? 'agree' : 'DISAGREE'} (max diff vs ref ${dRef.toExponential(1)}, vs ORT ${dOrt.toExponential(1)}); livecheck ${sp.toFixed(1)}x ORT`);
    await session.release();
    if (single !== session) await single.release();
  }
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, quick ? 'nn-kernels.json.tmp' : 'nn-kernels.json'), JSON.stringify(report, null, 2) + '\n');
}

await main();

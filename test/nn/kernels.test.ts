// The wasm SIMD landmark kernels (build/nn.simd.wasm, assembly/nn/) against the plain-JS reference
// (src/nn/reference.ts) on seeded random tensors, both running over the same wasm memory.
//
// Tolerance for the sums (conv, depthwise, gemm): |wasm - reference| <= 1e-5 * S, where S is the same kernel run on
// absolute values (sum of |x*w| + |bias| + |res|). The wasm kernels accumulate in float32 in another order than the
// reference (float64, rounded once); the rounding error of a reassociated float32 sum of K terms is about
// sqrt(K) * 2^-24 * S (~2e-6 S at K = 1152, the largest here), while a wrong or missing tap errs by about S / K
// (>= 9e-4 S). Elementwise kernels (add, PReLU, pooling, padding) must match exactly; sigmoid to 1e-6 (float32 exp).
// Outputs start as NaN and a NaN guard follows every output, so unwritten or overrun floats fail too.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ReferenceKernels } from '../../src/nn/reference.js';
import { PANEL, roundUp8, type NnKernels } from '../../src/nn/abi.js';
import { mulberry32 } from '../helpers/random.js';
import { repoRoot } from '../helpers/data.js';

const WASM = join(repoRoot, 'build', 'nn.simd.wasm');
const GUARD = 16;

interface Exports extends NnKernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
}

let wasm: Exports;
let ref: ReferenceKernels;
let top = 0;

beforeAll(async () => {
  if (!existsSync(WASM)) throw new Error(`${WASM} is missing: run \`npm run build:wasm\``);
  const { instance } = await WebAssembly.instantiate(readFileSync(WASM), {});
  wasm = instance.exports as unknown as Exports;
  ref = new ReferenceKernels(wasm.memory);
});

const f32 = (): Float32Array => new Float32Array(wasm.memory.buffer);

/** Bump allocation from heapBase (reset per case), 16-byte aligned, growing the memory as needed. */
function alloc(floats: number): number {
  const ptr = top;
  top += ((floats + GUARD + 3) & ~3) * 4;
  const need = top - wasm.memory.buffer.byteLength;
  if (need > 0) wasm.memory.grow(Math.ceil(need / 65536));
  return ptr;
}
function reset(): void {
  top = wasm.heapBase();
}

function random(ptr: number, count: number, rnd: () => number, lo = -1, hi = 1): void {
  const m = f32();
  for (let i = 0; i < count; i++) m[(ptr >> 2) + i] = lo + (hi - lo) * rnd();
}
function absCopy(src: number, count: number): number {
  const dst = alloc(count);
  const m = f32();
  for (let i = 0; i < count; i++) m[(dst >> 2) + i] = Math.abs(m[(src >> 2) + i]);
  return dst;
}
/** NaN over the output and its guard. */
function output(count: number): number {
  const ptr = alloc(count);
  f32().fill(NaN, ptr >> 2, (ptr >> 2) + count + GUARD);
  return ptr;
}

function expectClose(label: string, got: number, want: number, scale: number, count: number, rel: number): void {
  const m = f32();
  for (let i = 0; i < count; i++) {
    const g = m[(got >> 2) + i],
      w = m[(want >> 2) + i];
    const tol = rel * (scale ? m[(scale >> 2) + i] : Math.max(1, Math.abs(w)));
    const err = Math.abs(g - w);
    if (!(err <= tol)) throw new Error(`${label}: [${i}] wasm ${g} vs reference ${w} (tolerance ${tol})`);
  }
  for (let i = count; i < count + GUARD; i++) {
    if (!Number.isNaN(m[(got >> 2) + i])) throw new Error(`${label}: wrote past the output (float ${i})`);
  }
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number | [number, number];
  stride: number;
  padT: number;
  padL: number;
  oh?: number;
  ow?: number;
  resC?: number;
  slope?: boolean;
}

/** SAME-style output size unless given: ceil((h + padT - kh) / stride) + 1 with the bottom padding implied. */
const outSize = (h: number, k: number, s: number, pad: number): number => Math.floor((h + 2 * pad - k) / s) + 1;

function runConv(c: ConvCase, seed: number, depthwise: boolean): void {
  reset();
  const rnd = mulberry32(seed);
  const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
  const oh = c.oh ?? outSize(c.h, kh, c.stride, c.padT),
    ow = c.ow ?? outSize(c.w, kw, c.stride, c.padL);
  const cout = depthwise ? c.cin : c.cout;
  const resC = c.resC ?? 0;
  const xN = c.n * c.h * c.w * c.cin;
  const wN = depthwise ? kh * kw * c.cin : (roundUp8(c.cout) / PANEL) * kh * kw * c.cin * PANEL;
  const yN = c.n * oh * ow * cout,
    rN = c.n * oh * ow * resC;
  const x = alloc(xN),
    wp = alloc(wN),
    bias = alloc(roundUp8(cout)),
    slope = alloc(roundUp8(cout));
  const res = resC ? alloc(rN) : 0;
  random(x, xN, rnd);
  random(wp, wN, rnd);
  random(bias, roundUp8(cout), rnd);
  random(slope, roundUp8(cout), rnd, 0, 0.5);
  if (!depthwise) {
    // The padded lanes of the last panel are zero by contract.
    const m = f32();
    for (let p = cout; p < roundUp8(cout); p++) {
      const base = (wp >> 2) + (p >> 3) * kh * kw * c.cin * PANEL;
      for (let i = 0; i < kh * kw * c.cin; i++) m[base + i * PANEL + (p & 7)] = 0;
    }
  }
  if (res) random(res, rN, rnd);
  const sl = c.slope ? slope : 0;
  const yW = output(yN),
    yR = output(yN),
    scale = output(yN);
  const ax = absCopy(x, xN),
    aw = absCopy(wp, wN),
    ab = absCopy(bias, roundUp8(cout)),
    ar = res ? absCopy(res, rN) : 0;
  const args = (xx: number, ww: number, bb: number, yy: number, rr: number, ss: number) =>
    depthwise
      ? ([xx, c.n, c.h, c.w, c.cin, kh, kw, c.stride, c.padT, c.padL, oh, ow, ww, bb, yy, rr, resC, ss] as const)
      : ([xx, c.n, c.h, c.w, c.cin, kh, kw, c.stride, c.padT, c.padL, oh, ow, ww, bb, cout, yy, rr, resC, ss] as const);
  const call = (k: NnKernels, a: readonly number[]) => (depthwise ? (k.depthwise as (...v: number[]) => void)(...a) : (k.conv as (...v: number[]) => void)(...a));
  call(wasm, args(x, wp, bias, yW, res, sl));
  call(ref, args(x, wp, bias, yR, res, sl));
  call(ref, args(ax, aw, ab, scale, ar, 0));
  expectClose(`${depthwise ? 'depthwise' : 'conv'} ${JSON.stringify(c)}`, yW, yR, scale, yN, 1e-5);
}

describe('conv', () => {
  const cases: ConvCase[] = [
    // 1x1 stride 1: the GEMM path, model-like shapes, odd pixel counts, cout % 8 == 4, residual and slope.
    { n: 1, h: 48, w: 48, cin: 32, cout: 32, k: 1, stride: 1, padT: 0, padL: 0, slope: true, resC: 32 },
    { n: 1, h: 24, w: 24, cin: 64, cout: 64, k: 1, stride: 1, padT: 0, padL: 0 },
    { n: 1, h: 12, w: 12, cin: 128, cout: 128, k: 1, stride: 1, padT: 0, padL: 0, slope: true },
    { n: 2, h: 16, w: 16, cin: 64, cout: 64, k: 1, stride: 1, padT: 0, padL: 0, slope: true, resC: 64 },
    { n: 1, h: 3, w: 3, cin: 16, cout: 8, k: 1, stride: 1, padT: 0, padL: 0, slope: true },
    { n: 1, h: 5, w: 7, cin: 12, cout: 12, k: 1, stride: 1, padT: 0, padL: 0, resC: 8, slope: true },
    { n: 2, h: 3, w: 5, cin: 3, cout: 4, k: 1, stride: 1, padT: 0, padL: 0 },
    { n: 1, h: 6, w: 6, cin: 16, cout: 36, k: 1, stride: 1, padT: 0, padL: 0, resC: 16, slope: true },
    { n: 1, h: 1, w: 1, cin: 1152, cout: 20, k: 1, stride: 1, padT: 0, padL: 0 },
    // First layers: 3x3 stride 2 on 3 channels, both TF SAME paddings.
    { n: 1, h: 64, w: 64, cin: 3, cout: 16, k: 3, stride: 2, padT: 0, padL: 0, slope: true },
    { n: 1, h: 33, w: 31, cin: 3, cout: 24, k: 3, stride: 2, padT: 1, padL: 1, slope: true },
    { n: 2, h: 16, w: 16, cin: 3, cout: 12, k: 3, stride: 2, padT: 0, padL: 0 },
    // 2x2 stride 2 (the downsampling convs), with residual into part of the channels.
    { n: 1, h: 12, w: 12, cin: 32, cout: 64, k: 2, stride: 2, padT: 0, padL: 0, resC: 32, slope: true },
    { n: 2, h: 9, w: 9, cin: 64, cout: 128, k: 2, stride: 2, padT: 0, padL: 0, oh: 5, ow: 5 },
    // Other shapes must be correct: 3x3 and 5x5 stride 1 SAME, rectangular, filter larger than the image.
    { n: 1, h: 5, w: 7, cin: 8, cout: 12, k: 3, stride: 1, padT: 1, padL: 1, resC: 4, slope: true },
    { n: 2, h: 9, w: 10, cin: 4, cout: 8, k: 5, stride: 1, padT: 2, padL: 2, slope: true },
    { n: 1, h: 7, w: 9, cin: 8, cout: 16, k: [3, 1], stride: 1, padT: 1, padL: 0 },
    { n: 1, h: 2, w: 2, cin: 8, cout: 8, k: 3, stride: 1, padT: 1, padL: 1 },
    { n: 1, h: 8, w: 8, cin: 16, cout: 20, k: 3, stride: 3, padT: 1, padL: 2, slope: true },
    { n: 1, h: 10, w: 10, cin: 128, cout: 8, k: 3, stride: 1, padT: 1, padL: 1 },
  ];
  cases.forEach((c, i) =>
    test(`${c.n}x${c.h}x${c.w}x${c.cin} -> ${c.cout}, ${JSON.stringify(c.k)} /${c.stride} pad ${c.padT},${c.padL}${c.resC ? ` res ${c.resC}` : ''}${c.slope ? ' prelu' : ''}`, () => {
      runConv(c, 1000 + i, false);
    }),
  );
});

describe('depthwise', () => {
  const cases: ConvCase[] = [
    { n: 1, h: 48, w: 48, cin: 32, cout: 0, k: 3, stride: 1, padT: 1, padL: 1, slope: true },
    { n: 1, h: 48, w: 48, cin: 32, cout: 0, k: 3, stride: 2, padT: 0, padL: 0, oh: 24, ow: 24 },
    { n: 1, h: 24, w: 24, cin: 64, cout: 0, k: 3, stride: 2, padT: 1, padL: 1, resC: 32, slope: true },
    { n: 2, h: 16, w: 16, cin: 64, cout: 0, k: 3, stride: 1, padT: 1, padL: 1, resC: 64, slope: true },
    { n: 1, h: 5, w: 7, cin: 4, cout: 0, k: 3, stride: 1, padT: 1, padL: 1, resC: 4 },
    { n: 1, h: 23, w: 21, cin: 8, cout: 0, k: 3, stride: 2, padT: 1, padL: 1, resC: 4, slope: true },
    { n: 2, h: 9, w: 9, cin: 8, cout: 0, k: 3, stride: 2, padT: 0, padL: 0, oh: 5, ow: 5, slope: true },
    { n: 1, h: 2, w: 2, cin: 8, cout: 0, k: 3, stride: 1, padT: 1, padL: 1 },
    { n: 1, h: 1, w: 1, cin: 12, cout: 0, k: 3, stride: 1, padT: 1, padL: 1 },
    { n: 1, h: 11, w: 6, cin: 16, cout: 0, k: 5, stride: 1, padT: 2, padL: 2, slope: true },
    { n: 1, h: 12, w: 12, cin: 128, cout: 0, k: 3, stride: 1, padT: 0, padL: 0 },
  ];
  cases.forEach((c, i) =>
    test(`${c.n}x${c.h}x${c.w}x${c.cin}, ${c.k}x${c.k} /${c.stride} pad ${c.padT},${c.padL}${c.resC ? ` res ${c.resC}` : ''}${c.slope ? ' prelu' : ''}`, () => {
      runConv(c, 2000 + i, true);
    }),
  );
});

describe('elementwise', () => {
  test('maxpool: 2x2 stride 2, odd sizes (window past the edge), padding, batch 2', () => {
    const cases = [
      [1, 48, 48, 32, 2, 2, 0, 0],
      [2, 5, 7, 8, 2, 2, 0, 0],
      [1, 6, 6, 4, 3, 2, 1, 1],
      [1, 1, 1, 4, 2, 2, 0, 0],
    ];
    for (const [n, h, w, c, k, s, pt, pl] of cases) {
      reset();
      const rnd = mulberry32(h * 31 + c);
      // Bottom/right padding implied: the last window may hang past the edge.
      const oh = Math.ceil((h + pt - k) / s) + 1,
        ow = Math.ceil((w + pl - k) / s) + 1;
      const x = alloc(n * h * w * c);
      random(x, n * h * w * c, rnd);
      const count = n * oh * ow * c;
      const yW = output(count),
        yR = output(count);
      wasm.maxpool(x, n, h, w, c, k, s, pt, pl, oh, ow, yW);
      ref.maxpool(x, n, h, w, c, k, s, pt, pl, oh, ow, yR);
      expectClose(`maxpool ${[n, h, w, c, k, s, pt, pl]}`, yW, yR, 0, count, 0);
    }
  });

  test('add, prelu (in place too), padChannels (in place too)', () => {
    reset();
    const rnd = mulberry32(7);
    const a = alloc(1024),
      b = alloc(1024);
    random(a, 1024, rnd);
    random(b, 1024, rnd);
    let yW = output(1024),
      yR = output(1024);
    wasm.add(a, b, yW, 1024);
    ref.add(a, b, yR, 1024);
    expectClose('add', yW, yR, 0, 1024, 0);

    const slope = alloc(16);
    random(slope, 16, rnd, 0, 0.5);
    yW = output(1024);
    yR = output(1024);
    wasm.prelu(a, slope, 64, 16, yW);
    ref.prelu(a, slope, 64, 16, yR);
    expectClose('prelu', yW, yR, 0, 1024, 0);
    const inPlace = alloc(1024);
    f32().copyWithin(inPlace >> 2, a >> 2, (a >> 2) + 1024);
    f32().fill(NaN, (inPlace >> 2) + 1024, (inPlace >> 2) + 1024 + GUARD);
    wasm.prelu(inPlace, slope, 64, 16, inPlace);
    expectClose('prelu in place', inPlace, yR, 0, 1024, 0);

    for (const [pixels, cin, cout] of [
      [37, 3, 4],
      [16, 16, 32],
      [5, 12, 16],
      [9, 8, 8],
    ]) {
      reset();
      const x = alloc(pixels * cout);
      random(x, pixels * cin, rnd);
      const pW = output(pixels * cout),
        pR = output(pixels * cout);
      wasm.padChannels(x, pixels, cin, cout, pW);
      ref.padChannels(x, pixels, cin, cout, pR);
      expectClose(`padChannels ${pixels}x${cin}->${cout}`, pW, pR, 0, pixels * cout, 0);
      // In place: y starts where x starts.
      const inPlace = alloc(pixels * cout);
      f32().copyWithin(inPlace >> 2, x >> 2, (x >> 2) + pixels * cin);
      f32().fill(NaN, (inPlace >> 2) + pixels * cout, (inPlace >> 2) + pixels * cout + GUARD);
      wasm.padChannels(inPlace, pixels, cin, cout, inPlace);
      expectClose(`padChannels in place ${pixels}x${cin}->${cout}`, inPlace, pR, 0, pixels * cout, 0);
    }
  });

  test('gemm: the landmark heads (1404, 213, 15 columns), batch 2, k not a multiple of 4', () => {
    for (const [rows, k, cols] of [
      [1, 288, 1404],
      [2, 512, 213],
      [1, 1152, 15],
      [2, 7, 3],
      [1, 4, 1],
    ]) {
      reset();
      const rnd = mulberry32(rows * 1000 + cols);
      const x = alloc(rows * k),
        wt = alloc(cols * k),
        bias = alloc(roundUp8(cols));
      random(x, rows * k, rnd);
      random(wt, cols * k, rnd);
      random(bias, roundUp8(cols), rnd);
      const yW = output(rows * cols),
        yR = output(rows * cols),
        scale = output(rows * cols);
      wasm.gemm(x, rows, k, wt, bias, cols, yW);
      ref.gemm(x, rows, k, wt, bias, cols, yR);
      ref.gemm(absCopy(x, rows * k), rows, k, absCopy(wt, cols * k), absCopy(bias, roundUp8(cols)), cols, scale);
      expectClose(`gemm ${rows}x${k} -> ${cols}`, yW, yR, scale, rows * cols, 1e-5);
    }
  });

  test('sigmoid', () => {
    reset();
    const x = alloc(37);
    random(x, 37, mulberry32(3), -12, 12);
    const yW = output(37),
      yR = output(37);
    wasm.sigmoid(x, 37, yW);
    ref.sigmoid(x, 37, yR);
    expectClose('sigmoid', yW, yR, 0, 37, 1e-6);
  });
});

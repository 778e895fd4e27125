// The NHWC planner (src/nn/plan.ts) on tiny hand-built ONNX graphs (encoded with the converter's encoder),
// each run through our runtime (reference and wasm kernels) and through onnxruntime-web on the same bytes. Also:
// what fuses into what, the arena never lets two live tensors share bytes, and ops it cannot map are named.
//
// Tolerance: these graphs are one or two sums of at most 72 products of values in [-1, 1]; float32 in another
// summation order than ORT differs by a few ulp of the sum's magnitude (<= ~1e-5 here); bound 1e-4 absolute.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { isLivecheckError } from '../../src/errors.js';
import { DataType } from '../../src/nn/onnx-schema.js';
import { readOnnx } from '../../src/nn/onnx.js';
import { planModel, type Plan, type Ref, type Step } from '../../src/nn/plan.js';
import { createNnSession } from '../../src/nn/runtime.js';
import { encodeHalf } from '../../tools/convert/half.js';
import { encodeModel, type OnnxAttr, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../../tools/convert/onnx.js';
import { repoRoot } from '../helpers/data.js';
import { mulberry32 } from '../helpers/random.js';

ort.env.wasm.numThreads = 1;
const WASM = join(repoRoot, 'build', 'nn.simd.wasm');
const rand = mulberry32(7);
const randoms = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

const f32 = (name: string, dims: number[], values: Float32Array): OnnxTensor => ({ name, type: DataType.FLOAT, dims, raw: new Uint8Array(values.buffer.slice(0)) });
const f16 = (name: string, dims: number[], values: Float32Array): OnnxTensor => ({ name, type: DataType.FLOAT16, dims, raw: encodeHalf(values) });
const i64 = (name: string, values: number[]): OnnxTensor => ({ name, type: DataType.INT64, dims: [values.length], raw: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
const ints = (value: number[]): OnnxAttr => ({ kind: 'ints', value });
const int = (value: number): OnnxAttr => ({ kind: 'int', value });
const node = (op: string, inputs: string[], outputs: string[], attrs?: Record<string, OnnxAttr>): OnnxNode => ({ op, name: outputs[0], inputs, outputs, attrs });
const io = (name: string, shape: (number | string)[]): OnnxValueInfo => ({ name, type: DataType.FLOAT, shape });
const toNchw = node('Transpose', ['x'], ['xc'], { perm: ints([0, 3, 1, 2]) });
const toNhwc = (from: string, to: string) => node('Transpose', [from], [to], { perm: ints([0, 2, 3, 1]) });

function model(nodes: OnnxNode[], initializers: OnnxTensor[], inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): Uint8Array {
  return encodeModel({ graphName: 't', opset: 13, producer: 'test', producerVersion: '0', docString: '', nodes, initializers, inputs, outputs, metadata: {} });
}

/** Runs `bytes` on ORT and on our runtime (both kernel sets) for a random NHWC input; returns the worst difference. */
async function compare(bytes: Uint8Array, dims: number[]): Promise<number> {
  const x = randoms(dims.reduce((a, b) => a * b, 1));
  const o = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const want = await o.run({ [o.inputNames[0]]: new ort.Tensor('float32', x, dims) });
  await o.release();
  let worst = 0;
  for (const kernels of ['reference', readFileSync(WASM)] as const) {
    const nn = await createNnSession(bytes, kernels, 'tiny.onnx');
    const got = await nn.run({ [nn.inputNames[0]]: { data: x, dims } });
    for (const name of o.outputNames) {
      expect(got[name].dims).toEqual(want[name].dims);
      const a = got[name].data,
        b = want[name].data as Float32Array;
      expect(a.length).toBe(b.length);
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
  }
  return worst;
}

const ops = (p: Plan) => p.steps.map((s) => s.op);
const planOf = (bytes: Uint8Array) => planModel(readOnnx(bytes, 'tiny.onnx'));

describe('planner on tiny graphs, against onnxruntime', () => {
  it('wasm kernels are built', () => expect(existsSync(WASM), `${WASM}: run npm run build:wasm`).toBe(true));

  it('Conv -> Add(residual) -> PRelu is one conv call; fp16 weights behind a Cast fold', async () => {
    const bytes = model(
      [
        toNchw,
        node('Cast', ['w16'], ['w'], { to: int(DataType.FLOAT) }),
        node('Conv', ['xc', 'w', 'b'], ['c'], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), strides: ints([1, 1]) }),
        node('Add', ['xc', 'c'], ['a']),
        node('PRelu', ['a', 's'], ['p']),
        toNhwc('p', 'y'),
      ],
      [f16('w16', [8, 8, 3, 3], randoms(576, 0.3)), f32('b', [8], randoms(8)), f32('s', [1, 8, 1, 1], randoms(8, 0.5))],
      [io('x', [1, 6, 5, 8])],
      [io('y', [1, 6, 5, 8])],
    );
    const plan = planOf(bytes);
    expect(ops(plan)).toEqual(['conv']);
    const conv = plan.steps[0] as Extract<Step, { op: 'conv' }>;
    expect([conv.res !== null, conv.resC, conv.slope !== null, conv.padT, conv.padL, conv.oh, conv.ow]).toEqual([true, 8, true, 1, 1, 6, 5]);
    expect(await compare(bytes, [1, 6, 5, 8])).toBeLessThan(1e-4);
  });

  it("MaxPool -> channel Pad -> Add becomes the conv's narrower residual (resC); depthwise stride 2 with TF padding", async () => {
    const bytes = model(
      [
        toNchw,
        node('MaxPool', ['xc'], ['m'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }),
        node('Pad', ['m', 'pads'], ['mp'], { mode: { kind: 'string', value: 'constant' } }),
        node('Conv', ['xc', 'dw', 'db'], ['d'], { kernel_shape: ints([3, 3]), pads: ints([0, 0, 1, 1]), strides: ints([2, 2]), group: int(8) }),
        node('Conv', ['d', 'pw', 'pb'], ['c'], { kernel_shape: ints([1, 1]) }),
        node('Add', ['mp', 'c'], ['a']),
        node('PRelu', ['a', 's'], ['p']),
        toNhwc('p', 'y'),
      ],
      [
        i64('pads', [0, 0, 0, 0, 0, 8, 0, 0]),
        f32('dw', [8, 1, 3, 3], randoms(72, 0.5)),
        f32('db', [8], randoms(8)),
        f32('pw', [16, 8, 1, 1], randoms(128, 0.5)),
        f32('pb', [16], randoms(16)),
        f32('s', [16, 1, 1], randoms(16, 0.5)),
      ],
      [io('x', [1, 8, 8, 8])],
      [io('y', [1, 4, 4, 16])],
    );
    const plan = planOf(bytes);
    expect(ops(plan)).toEqual(['maxpool', 'depthwise', 'conv']);
    const [, dw, pw] = plan.steps as [Step, Extract<Step, { op: 'depthwise' }>, Extract<Step, { op: 'conv' }>];
    expect([dw.stride, dw.padT, dw.padL, dw.oh, dw.ow]).toEqual([2, 0, 0, 4, 4]);
    expect([pw.resC, pw.cout]).toEqual([8, 16]);
    expect(await compare(bytes, [1, 8, 8, 8])).toBeLessThan(1e-4);
  });

  it('depthwise stride 2 on odd sizes, symmetric and bottom/right-only padding', async () => {
    for (const pads of [
      [1, 1, 1, 1],
      [0, 0, 1, 1],
      [1, 0, 0, 1],
    ]) {
      const bytes = model(
        [toNchw, node('Conv', ['xc', 'dw'], ['d'], { kernel_shape: ints([3, 3]), pads: ints(pads), strides: ints([2, 2]), group: int(4) }), toNhwc('d', 'y')],
        [f32('dw', [4, 1, 3, 3], randoms(36))],
        [io('x', [1, 7, 9, 4])],
        [io('y', [1, Math.floor((7 + pads[0] + pads[2] - 3) / 2) + 1, Math.floor((9 + pads[1] + pads[3] - 3) / 2) + 1, 4])],
      );
      const dw = planOf(bytes).steps[0] as Extract<Step, { op: 'depthwise' }>;
      expect([dw.op, dw.padT, dw.padL]).toEqual(['depthwise', pads[0], pads[1]]);
      expect(await compare(bytes, [1, 7, 9, 4])).toBeLessThan(1e-4);
    }
  });

  it('NCHW flatten -> Gemm reads the NHWC tensor through permuted weights; Sigmoid, Concat of two heads, dynamic batch', async () => {
    const bytes = model(
      [
        toNchw,
        node('Conv', ['xc', 'w', 'b'], ['c'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }),
        node('Reshape', ['c', 'flat'], ['f']),
        node('Gemm', ['f', 'g1', 'g1b'], ['h1'], { transB: int(1) }),
        node('Gemm', ['f', 'g2', 'g2b'], ['h2'], { transB: int(0) }),
        node('Sigmoid', ['h2'], ['h2s']),
        node('Reshape', ['h1', 'four1'], ['h1r']),
        node('Reshape', ['h2s', 'four2'], ['h2r']),
        node('Concat', ['h1r', 'h2r'], ['cat'], { axis: int(3) }),
        node('Identity', ['cat'], ['y']),
      ],
      [
        f32('w', [8, 4, 2, 2], randoms(128, 0.5)),
        f32('b', [8], randoms(8)),
        i64('flat', [-1, 72]),
        f32('g1', [13, 72], randoms(936, 0.2)),
        f32('g1b', [13], randoms(13)),
        f32('g2', [72, 3], randoms(216, 0.2)),
        f32('g2b', [3], randoms(3)),
        i64('four1', [-1, 1, 1, 13]),
        i64('four2', [-1, 1, 1, 3]),
      ],
      [io('x', ['batch', 6, 6, 4])],
      [io('y', ['batch', 1, 1, 16])],
    );
    const plan = planOf(bytes);
    expect(plan.dynamicBatch).toBe(true);
    expect(ops(plan)).toEqual(['conv', 'gemm', 'gemm', 'sigmoid', 'concat']);
    expect(await compare(bytes, [1, 6, 6, 4])).toBeLessThan(1e-4);
    expect(await compare(bytes, [3, 6, 6, 4])).toBeLessThan(1e-4);
  });

  it('an unfusable Add, PRelu and Pad run standalone', async () => {
    const bytes = model(
      [
        toNchw,
        node('Conv', ['xc', 'w'], ['c'], { kernel_shape: ints([1, 1]) }),
        node('Add', ['c', 'xc'], ['a']), // c also feeds the output: not fusable
        node('PRelu', ['a', 's'], ['p']),
        node('Pad', ['p', 'pads'], ['q']),
        toNhwc('q', 'y'),
        toNhwc('c', 'y2'),
      ],
      [f32('w', [4, 4, 1, 1], randoms(16)), f32('s', [1], Float32Array.of(0.25)), i64('pads', [0, 0, 0, 0, 0, 4, 0, 0])],
      [io('x', [1, 3, 3, 4])],
      [io('y', [1, 3, 3, 8]), io('y2', [1, 3, 3, 4])],
    );
    expect(ops(planOf(bytes))).toEqual(['conv', 'add', 'prelu', 'padChannels']);
    expect(await compare(bytes, [1, 3, 3, 4])).toBeLessThan(1e-4);
  });

  it('names the op it cannot map (the caller falls back to onnxruntime)', () => {
    const bytes = model([toNchw, node('Softmax', ['xc'], ['s']), toNhwc('s', 'y')], [], [io('x', [1, 2, 2, 4])], [io('y', [1, 2, 2, 4])]);
    let err: unknown;
    try {
      planOf(bytes);
    } catch (e) {
      err = e;
    }
    expect(isLivecheckError(err, 'unsupported-op')).toBe(true);
    expect((err as Error).message).toMatch(/tiny\.onnx.*Softmax/);
    const grouped = model(
      [toNchw, node('Conv', ['xc', 'w'], ['c'], { kernel_shape: ints([1, 1]), group: int(2) }), toNhwc('c', 'y')],
      [f32('w', [4, 2, 1, 1], randoms(8))],
      [io('x', [1, 2, 2, 4])],
      [io('y', [1, 2, 2, 4])],
    );
    expect(() => planOf(grouped)).toThrow(/Conv.*group 2/);
  });
});

describe('ONNX reader', () => {
  it('reads negative int attributes (10-byte varints), fp16 and int64 initializers and a symbolic batch', () => {
    const bytes = model(
      [node('Concat', ['x', 'x'], ['y'], { axis: int(-1), perm: ints([-1, 3, 2 ** 40]) })],
      [f16('h', [3], Float32Array.of(0.5, -2, 65504)), i64('s', [-1, 288, -(2 ** 40)])],
      [io('x', ['batch', 2])],
      [io('y', ['batch', 4])],
    );
    const g = readOnnx(bytes, 'tiny.onnx');
    const attrs = g.nodes[0].attributes;
    expect(attrs.get('axis')).toEqual({ kind: 'int', value: -1 });
    expect(attrs.get('perm')).toEqual({ kind: 'ints', value: [-1, 3, 2 ** 40] });
    expect([...(g.initializers.get('h')!.values as Float32Array)]).toEqual([0.5, -2, 65504]);
    expect(g.initializers.get('s')!.values).toEqual([-1, 288, -(2 ** 40)]);
    expect(g.inputs[0].shape).toEqual(['batch', 2]);
  });

  it('a truncated file is model-corrupt, naming the file', () => {
    const bytes = readFileSync(join(repoRoot, 'models', 'iris.onnx'));
    let err: unknown;
    try {
      readOnnx(bytes.subarray(0, bytes.length - 1000), 'iris.onnx');
    } catch (e) {
      err = e;
    }
    expect(isLivecheckError(err, 'model-corrupt')).toBe(true);
    expect((err as Error).message).toContain('iris.onnx');
  });
});

describe('arena of the shipped models', () => {
  for (const file of ['facemesh.onnx', 'iris.onnx']) {
    it(`${file}: tensors alive at the same step never share bytes, and reuse keeps the arena small`, () => {
      const plan = planModel(readOnnx(readFileSync(join(repoRoot, 'models', file)), file));
      // lifetimes recomputed here from the steps: written at first write, read until the last read
      const first = new Map<number, number>(),
        last = new Map<number, number>();
      const touch = (r: Ref, i: number, write: boolean) => {
        if (!r || !('tensor' in r)) return;
        if (write && !first.has(r.tensor)) first.set(r.tensor, i);
        last.set(r.tensor, i);
      };
      plan.steps.forEach((s, i) => {
        const reads: Ref[] = s.op === 'add' ? [s.a, s.b] : s.op === 'concat' ? s.xs : s.op === 'conv' || s.op === 'depthwise' ? [s.x, s.res] : [s.x];
        reads.forEach((r) => touch(r, i, false));
        touch(s.y, i, true);
      });
      first.set(plan.inputs[0].tensor, -1);
      for (const o of plan.outputs) last.set(o.tensor, plan.steps.length);
      const live = [...first.keys()];
      let total = 0;
      for (const a of live) {
        total += plan.sizes[a];
        for (const b of live) {
          if (a >= b || first.get(a)! > last.get(b)! || first.get(b)! > last.get(a)!) continue;
          const disjoint = plan.offsets[a] + plan.sizes[a] <= plan.offsets[b] || plan.offsets[b] + plan.sizes[b] <= plan.offsets[a];
          expect(disjoint, `tensors ${a} and ${b}`).toBe(true);
        }
      }
      // facemesh's floor: its three largest tensors (conv input, residual, output at 96x96x16) live at once
      expect(plan.arenaFloats).toBeLessThanOrEqual(total / 3);
    });
  }
});

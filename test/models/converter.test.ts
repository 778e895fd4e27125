// The converter on its own: a synthetic TFJS graph that uses every weight encoding and the ops the five shipped
// models do not (asymmetric SAME padding on odd sizes, AvgPool, Concat on channels, const-folded
// Shape/StridedSlice/Pack, MatMul, Softmax, Squeeze, AddN, Mean, ExpandDims, 4-D outputs), checked against tfjs; typed errors; float16.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, test } from 'vitest';
import { LivecheckError } from '../../src/errors.js';
import { convertTfGraph } from '../../tools/convert/convert.js';
import { encodeHalf, floatToHalf, halfToFloat } from '../../tools/convert/half.js';
import { parseTfGraph, readTfGraph } from '../../tools/convert/tfjs-graph.js';
import { loadTfjs, maxAbs, maxAbsDiff, ortSession, runOrt, runTfjs, seededUniform } from './harness.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
const str = (s: string) => ({ s: b64(s) });

type Encoding = 'float32' | 'float16' | 'uint8' | 'int32';
interface Weight {
  name: string;
  shape: number[];
  values: number[];
  encoding: Encoding;
}

/** Encodes weights the way tfjs-converter writes them; returns the manifest entries and one shard. */
function packWeights(weights: Weight[]) {
  const specs: unknown[] = [];
  const parts: Uint8Array[] = [];
  for (const w of weights) {
    if (w.encoding === 'float32' || w.encoding === 'int32') {
      const arr = w.encoding === 'float32' ? Float32Array.from(w.values) : Int32Array.from(w.values);
      parts.push(new Uint8Array(arr.buffer));
      specs.push({ name: w.name, shape: w.shape, dtype: w.encoding });
    } else if (w.encoding === 'float16') {
      parts.push(encodeHalf(Float32Array.from(w.values)));
      specs.push({ name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } });
    } else {
      const min = Math.min(...w.values);
      const scale = (Math.max(...w.values) - min) / 255 || 1;
      parts.push(Uint8Array.from(w.values, (v) => Math.round((v - min) / scale)));
      specs.push({ name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'uint8', min, scale } });
    }
  }
  const shard = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    shard.set(p, off);
    off += p.length;
  }
  return { specs, shard };
}

function rand(seed: number, shape: number[], lo = -1, hi = 1): number[] {
  return Array.from(
    seededUniform(
      seed,
      shape.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
  );
}

const INPUT: [number, number, number, number] = [1, 15, 13, 3];

/** A small graph, built like tfjs-converter output (NHWC, fused ops, base64 string attrs). */
function syntheticModel() {
  const weights: Weight[] = [
    { name: 'w1', shape: [3, 3, 3, 8], values: rand(1, [3, 3, 3, 8]), encoding: 'uint8' },
    { name: 'b1', shape: [8], values: rand(2, [8]), encoding: 'float32' },
    { name: 'dw', shape: [3, 3, 8, 2], values: rand(3, [3, 3, 8, 2]), encoding: 'float16' },
    { name: 'alpha', shape: [1, 1, 16], values: rand(4, [16], 0, 0.5), encoding: 'float32' },
    { name: 'chanpad', shape: [4, 2], values: [0, 0, 0, 0, 0, 0, 3, 5], encoding: 'int32' },
    { name: 'w2', shape: [1, 1, 16, 16], values: rand(5, [1, 1, 16, 16]), encoding: 'float32' },
    { name: 'scale', shape: [16], values: rand(6, [16], 0.5, 2), encoding: 'float32' },
    { name: 'offset', shape: [1, 1, 1, 16], values: rand(7, [16]), encoding: 'float16' },
    { name: 'axis', shape: [], values: [-1], encoding: 'int32' },
    { name: 'begin', shape: [1], values: [0], encoding: 'int32' },
    { name: 'end', shape: [1], values: [1], encoding: 'int32' },
    { name: 'stride', shape: [1], values: [1], encoding: 'int32' },
    { name: 'minus1', shape: [], values: [-1], encoding: 'int32' },
    { name: 'wf', shape: [128, 5], values: rand(8, [128, 5]), encoding: 'uint8' },
    { name: 'bf', shape: [5], values: rand(9, [5]), encoding: 'float32' },
    { name: 'hw', shape: [2], values: [1, 2], encoding: 'int32' },
  ];
  const conv = { T: { type: 'DT_FLOAT' }, data_format: str('NHWC'), dilations: ints(1, 1, 1, 1), explicit_paddings: { list: {} } };
  const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });
  const nodes = [
    node('image', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '15' }, { size: '13' }, { size: '3' }] } } }),
    ...weights.map((w) => node(w.name, 'Const', [], { dtype: { type: w.encoding === 'int32' ? 'DT_INT32' : 'DT_FLOAT' }, value: { tensor: {} } })),
    node('c1', '_FusedConv2D', ['image', 'w1', 'b1'], {
      ...conv,
      strides: ints(1, 2, 2, 1),
      padding: str('SAME'),
      num_args: { i: '1' },
      fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } },
    }),
    node('d1', 'DepthwiseConv2dNative', ['c1', 'dw'], { ...conv, strides: ints(1, 2, 2, 1), padding: str('SAME') }),
    node('p1', 'Prelu', ['d1', 'alpha']),
    node('m1', 'MaxPool', ['p1'], { ...conv, ksize: ints(1, 3, 3, 1), strides: ints(1, 2, 2, 1), padding: str('SAME') }),
    node('pad', 'Pad', ['c1', 'chanpad'], { T: { type: 'DT_FLOAT' }, Tpaddings: { type: 'DT_INT32' } }),
    node('c2', 'Conv2D', ['pad', 'w2'], { ...conv, strides: ints(1, 2, 2, 1), padding: str('VALID') }),
    node('a1', 'AddV2', ['c2', 'p1']),
    node('mul', 'Mul', ['a1', 'scale']),
    node('sub', 'Sub', ['mul', 'offset']),
    node('av', 'AvgPool', ['sub'], { ...conv, ksize: ints(1, 2, 2, 1), strides: ints(1, 2, 2, 1), padding: str('VALID') }),
    node('cat', 'ConcatV2', ['av', 'm1', 'axis'], { N: { i: '2' }, T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' } }),
    node('th', 'Tanh', ['cat']),
    node('sh', 'Shape', ['th'], { out_type: { type: 'DT_INT32' } }),
    node('batch', 'StridedSlice', ['sh', 'begin', 'end', 'stride'], {
      begin_mask: { i: '0' },
      end_mask: { i: '0' },
      ellipsis_mask: { i: '0' },
      new_axis_mask: { i: '0' },
      shrink_axis_mask: { i: '1' },
      Index: { type: 'DT_INT32' },
      T: { type: 'DT_INT32' },
    }),
    node('newshape', 'Pack', ['batch', 'minus1'], { N: { i: '2' }, axis: { i: '0' }, T: { type: 'DT_INT32' } }),
    node('flat', 'Reshape', ['th', 'newshape'], { T: { type: 'DT_FLOAT' }, Tshape: { type: 'DT_INT32' } }),
    node('fc', '_FusedMatMul', ['flat', 'wf', 'bf'], {
      transpose_a: { b: false },
      transpose_b: { b: false },
      num_args: { i: '1' },
      fused_ops: { list: { s: [b64('BiasAdd')] } },
    }),
    node('sm', 'Softmax', ['fc']),
    node('sum3', 'AddN', ['c2', 'p1', 'a1'], { N: { i: '3' }, T: { type: 'DT_FLOAT' } }),
    node('sig', 'Sigmoid', ['sum3']),
    node('gap', 'Mean', ['sub', 'hw'], { keep_dims: { b: false }, Tidx: { type: 'DT_INT32' } }),
    node('gap3', 'ExpandDims', ['gap', 'axis'], { Tdim: { type: 'DT_INT32' } }),
    node('chanmean', 'Mean', ['c1', 'axis'], { keep_dims: { b: true }, Tidx: { type: 'DT_INT32' } }),
    node('sq', 'Squeeze', ['m1'], { squeeze_dims: ints(0) }),
    node('Identity', 'Identity', ['sm']),
    node('Identity_1', 'Identity', ['sig']),
    node('Identity_2', 'Identity', ['sq']),
    node('Identity_3', 'Identity', ['gap3']),
    node('Identity_4', 'Identity', ['chanmean']),
  ];
  const { specs, shard } = packWeights(weights);
  const json = {
    format: 'graph-model',
    generatedBy: 'test',
    convertedBy: 'test',
    modelTopology: { node: nodes, library: {}, versions: {} },
    weightsManifest: [{ paths: ['synthetic.bin'], weights: specs }],
    signature: {
      inputs: { image: { name: 'image:0', dtype: 'DT_FLOAT', tensorShape: { dim: INPUT.map((d, i) => ({ size: String(i ? d : -1) })) } } },
      outputs: {
        probs: { name: 'Identity:0', dtype: 'DT_FLOAT' },
        feature: { name: 'Identity_1:0', dtype: 'DT_FLOAT' },
        pooled: { name: 'Identity_2:0', dtype: 'DT_FLOAT' },
        gap: { name: 'Identity_3:0', dtype: 'DT_FLOAT' },
        chanmean: { name: 'Identity_4:0', dtype: 'DT_FLOAT' },
      },
    },
  };
  return { json, shard };
}

describe('synthetic graph vs tfjs', () => {
  test('all weight encodings and the extra ops convert, with float32, float16 and uint8 weights', async () => {
    const { json, shard } = syntheticModel();
    const graph = parseTfGraph(json, [shard], 'synthetic.json');
    await tf.setBackend('cpu');
    const model = await tf.loadGraphModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
        weightData: shard.slice().buffer,
        signature: json.signature,
      }),
    });
    const input = seededUniform(
      42,
      INPUT.reduce((a, b) => a * b, 1),
      0,
      1,
    );
    const ref = runTfjs(model, graph, input, INPUT);
    expect(Object.keys(ref).sort()).toEqual(['chanmean', 'feature', 'gap', 'pooled', 'probs']);

    const f32 = convertTfGraph(graph, { weights: 'float32' });
    expect(f32.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['chanmean', [1, 8, 7, 1]],
      ['feature', [1, 4, 4, 16]],
      ['gap', [1, 16, 1]],
      ['pooled', [2, 2, 16]],
      ['probs', [1, 5]],
    ]);
    const got32 = await runOrt(await ortSession(f32.bytes), input, INPUT);
    // float16 for every float tensor (compactMinElements 1) so the test also covers small ones.
    const f16 = convertTfGraph(graph, { weights: 'float16', compactMinElements: 1 });
    expect(f16.weightBytes.FLOAT16).toBeGreaterThan(0);
    const got16 = await runOrt(await ortSession(f16.bytes), input, INPUT);
    const u8 = convertTfGraph(graph, { weights: 'uint8', compactMinElements: 1 });
    expect(u8.model.nodes.filter((n) => n.op === 'DequantizeLinear').length).toBeGreaterThan(4);
    const got8 = await runOrt(await ortSession(u8.bytes), input, INPUT);
    for (const k of Object.keys(ref)) {
      console.log(
        `synthetic ${k}: float32 ${maxAbsDiff(ref[k], got32[k]).toExponential(2)}, float16 ${maxAbsDiff(ref[k], got16[k]).toExponential(2)}, uint8 ${maxAbsDiff(ref[k], got8[k]).toExponential(2)}, max ${maxAbs(ref[k]).toFixed(3)}`,
      );
      // uint8: half a quantisation step per weight (range/510), accumulated over ~100-term sums: about 1% of scale.
      expect(maxAbsDiff(ref[k], got8[k]), `${k} uint8`).toBeLessThanOrEqual(0.02 * Math.max(1, maxAbs(ref[k])));
      expect(maxAbsDiff(ref[k], got32[k]), `${k} float32`).toBeLessThanOrEqual(1e-5 + 2e-6 * maxAbs(ref[k]));
      // The graph's weights were rounded to float16 once already (dw, offset) or are 8-bit: re-rounding the rest to
      // float16 moves outputs by about one float16 step of their scale.
      expect(maxAbsDiff(ref[k], got16[k]), `${k} float16`).toBeLessThanOrEqual(2.5e-4 + 2e-3 * maxAbs(ref[k]));
    }
    // The constant Shape/StridedSlice/Pack chain folded away: no Shape-like node survives.
    expect(f32.model.nodes.map((n) => n.op)).not.toContain('Shape');
    expect(f32.tfOps.Pack).toBe(1);
    model.dispose();
  });

  test('a real graph beyond the shipped five (human emotion: global Mean pooling) matches tfjs', async () => {
    const path = 'node_modules/@vladmandic/human/models/emotion.json';
    const graph = readTfGraph(path);
    const shape = [1, 64, 64, 1];
    const input = seededUniform(3, 64 * 64, 0, 1);
    const tfm = await loadTfjs(path);
    const ref = runTfjs(tfm, graph, input, shape);
    tfm.dispose();
    const got = await runOrt(await ortSession(convertTfGraph(graph, { weights: 'float32' }).bytes), input, shape);
    for (const k of Object.keys(ref)) expect(maxAbsDiff(ref[k], got[k]), k).toBeLessThanOrEqual(2.5e-4 + 2e-6 * maxAbs(ref[k]));
  });

  test('an op the converter does not know fails loudly, naming the op and the node', () => {
    const { json, shard } = syntheticModel();
    const th = json.modelTopology.node.find((n) => n.name === 'th')!;
    th.op = 'Atanh';
    const graph = parseTfGraph(json, [shard], 'synthetic.json');
    let err: unknown;
    try {
      convertTfGraph(graph);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LivecheckError);
    expect((err as LivecheckError).code).toBe('unsupported-op');
    expect((err as LivecheckError).message).toContain('"Atanh"');
    expect((err as LivecheckError).message).toContain('"th"');
    expect((err as LivecheckError).detail).toEqual({ op: 'Atanh', node: 'th' });
  });

  test('an unknown fused activation fails loudly too', () => {
    const { json, shard } = syntheticModel();
    const c1 = json.modelTopology.node.find((n) => n.name === 'c1')! as { attr: Record<string, unknown> };
    c1.attr.fused_ops = { list: { s: [b64('BiasAdd'), b64('Gelu')] } };
    expect(() => convertTfGraph(parseTfGraph(json, [shard], 'synthetic.json'))).toThrowError(/_FusedConv2D at node "c1": fused op Gelu/);
  });
});

describe('typed errors for missing and corrupt model files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'livecheck-convert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(LivecheckError);
      return { code: (e as LivecheckError).code, message: (e as LivecheckError).message, file: (e as LivecheckError).detail?.file };
    }
    throw new Error('expected a throw');
  };

  test('missing model.json: model-missing naming the file', () => {
    const file = join(dir, 'nope.json');
    expect(codeOf(() => readTfGraph(file))).toEqual({ code: 'model-missing', message: expect.stringContaining(file), file });
  });

  test('missing weight shard: model-missing naming the shard', () => {
    const { json } = syntheticModel();
    const file = join(dir, 'noshard.json');
    writeFileSync(file, JSON.stringify(json));
    const shard = join(dir, 'synthetic.bin');
    expect(codeOf(() => readTfGraph(file))).toEqual({ code: 'model-missing', message: expect.stringContaining(shard), file: shard });
  });

  test('truncated shard, bad JSON, not a graph model: model-corrupt naming the file', () => {
    const { json, shard } = syntheticModel();
    const file = join(dir, 'model.json');
    writeFileSync(file, JSON.stringify(json));
    writeFileSync(join(dir, 'synthetic.bin'), shard.subarray(0, shard.length - 7));
    expect(codeOf(() => readTfGraph(file))).toMatchObject({ code: 'model-corrupt', file });
    writeFileSync(join(dir, 'synthetic.bin'), shard);
    expect(readTfGraph(file).consts.size).toBeGreaterThan(0);

    writeFileSync(file, '{"format": "graph-model", "modelTop');
    expect(codeOf(() => readTfGraph(file))).toMatchObject({ code: 'model-corrupt', file, message: expect.stringContaining(file) });
    writeFileSync(file, JSON.stringify({ weightsManifest: [] }));
    expect(codeOf(() => readTfGraph(file))).toMatchObject({ code: 'model-corrupt', file });
  });
});

describe('float16', () => {
  test('every finite half survives half -> float -> half exactly', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue; // inf / NaN
      if (floatToHalf(halfToFloat(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  test('rounds to nearest even, overflows to infinity, keeps subnormals', () => {
    expect(halfToFloat(floatToHalf(1 + 2 ** -11))).toBe(1); // tie -> even (1.0)
    expect(halfToFloat(floatToHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie -> even (up)
    expect(halfToFloat(floatToHalf(1 + 2 ** -11 + 2 ** -20))).toBe(1 + 2 ** -10); // above the tie
    expect(halfToFloat(floatToHalf(70000))).toBe(Infinity);
    expect(halfToFloat(floatToHalf(-65504))).toBe(-65504);
    expect(halfToFloat(floatToHalf(2 ** -24))).toBe(2 ** -24);
    expect(halfToFloat(floatToHalf(2 ** -26))).toBe(0);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });

  test('the shipped FaceMesh weights were float16 already, so storing them as float16 loses nothing', () => {
    const graph = readTfGraph('node_modules/@vladmandic/human/models/facemesh.json');
    const stored = [...graph.consts.values()].filter((c) => c.dtype === 'float32');
    expect(stored.every((c) => c.storage === 'float16')).toBe(true);
    for (const c of stored) {
      const back = new Float32Array(c.data.length);
      const half = encodeHalf(c.data as Float32Array);
      const dv = new DataView(half.buffer);
      for (let i = 0; i < back.length; i++) back[i] = halfToFloat(dv.getUint16(i * 2, true));
      expect(maxAbsDiff(back, c.data)).toBe(0);
    }
  });
});

/**
 * TFJS graph -> ONNX (opset 13). TF graphs are NHWC; ONNX Conv/MaxPool are NCHW. Every value keeps its
 * logical TF shape, and the converter materialises the physical layout a consumer needs (NHWC or NCHW)
 * lazily, caching each transposed view, so a conv chain runs in NCHW with no transposes between layers and
 * only Reshape/Softmax/outputs pay for going back to NHWC. Shapes are static (batch fixed, default 1), so
 * SAME padding is written out explicitly and Shape/StridedSlice/Pack over constants fold away.
 */
import { LivecheckError } from '../../src/errors.js';
import { DataType, type DataTypeCode } from '../../src/nn/onnx-schema.js';
import { encodeHalf } from './half.js';
import { encodeModel } from './onnx.js';
import type { OnnxAttr, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx.js';
import { attrBool, attrFloat, attrInt, attrInts, attrShape, attrString, attrStrings } from './tfjs-graph.js';
import type { TfConst, TfDtype, TfGraph, TfNode } from './tfjs-graph.js';

/**
 * float32: as read. float16: rounded to binary16 + Cast (lossless for graphs stored as float16). uint8: affine 8-bit
 * + DequantizeLinear, per output channel for conv filters (per tensor otherwise): a quarter of float32, lossy.
 */
export type WeightEncoding = 'float32' | 'float16' | 'uint8';

export interface ConvertOptions {
  /** How float weights are stored. float16 halves the file (Cast nodes restore float32 at load); uint8 quarters it. */
  weights?: WeightEncoding;
  /** Float tensors smaller than this stay float32 even in float16 mode (biases, PReLU slopes: tiny, and they set offsets). */
  compactMinElements?: number;
  /**
   * Batch size for the graph's dynamic (-1) batch dimension: a fixed number (default 1), or `dynamic` to leave it
   * to run time (the iris model runs both eyes in one batch-2 call, and one eye at batch 1). A dynamic batch fails
   * loudly on ops that would bake the batch size in (Shape, a Reshape across the batch axis).
   */
  batch?: number | 'dynamic';
  /**
   * Signature outputs to keep (default: all). The graph is converted from its outputs backwards, so a dropped
   * output's own branch (FaceMesh's lip contours) is never written: ORT runs every node of a graph,
   * fetched or not.
   */
  outputs?: readonly string[];
  graphName?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export interface ConvertedTensorInfo {
  name: string;
  /** -1 for a dynamic batch. */
  shape: number[];
  type: 'float32' | 'int64';
}

export interface ConvertResult {
  model: OnnxModel;
  bytes: Uint8Array;
  inputs: ConvertedTensorInfo[];
  outputs: ConvertedTensorInfo[];
  /** TF op -> count among the converted (reachable) nodes. */
  tfOps: Record<string, number>;
  /** Bytes of initializer payload by ONNX element type name. */
  weightBytes: Record<string, number>;
}

/** Ops the converter implements (Const and Placeholder included). */
export const SUPPORTED_OPS = [
  'Add',
  'AddN',
  'AddV2',
  'AvgPool',
  'BiasAdd',
  'Cast',
  'ConcatV2',
  'Const',
  'Conv2D',
  'DepthwiseConv2dNative',
  'Elu',
  'Exp',
  'ExpandDims',
  'FusedDepthwiseConv2dNative',
  'Identity',
  'LeakyRelu',
  'MatMul',
  'Max',
  'MaxPool',
  'Maximum',
  'Mean',
  'Min',
  'Minimum',
  'Mul',
  'Neg',
  'Pack',
  'Pad',
  'PadV2',
  'Placeholder',
  'Prelu',
  'RealDiv',
  'Relu',
  'Relu6',
  'Reshape',
  'Rsqrt',
  'Shape',
  'Sigmoid',
  'Softmax',
  'Sqrt',
  'Square',
  'Squeeze',
  'StridedSlice',
  'Sub',
  'Sum',
  'Tanh',
  '_FusedConv2D',
  '_FusedMatMul',
] as const;

type Layout = 'nhwc' | 'nchw';

/** A TF tensor during conversion. */
interface Value {
  shape: number[];
  dtype: TfDtype;
  /** Known at conversion time: no ONNX node computes it. */
  constant?: TfConst;
  /** ONNX tensor names holding this value, by physical layout (rank-4 only; others use 'nhwc' = logical). */
  views: Map<Layout, string>;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
/** Logical NHWC axis -> physical NCHW axis. */
const NCHW_AXIS = [0, 2, 3, 1];

const ints = (value: readonly number[]): OnnxAttr => ({ kind: 'ints', value });
const int = (value: number): OnnxAttr => ({ kind: 'int', value });
const float = (value: number): OnnxAttr => ({ kind: 'float', value });

function unsupported(node: TfNode, why?: string): LivecheckError {
  const msg = why ? `unsupported ${node.op} at node "${node.name}": ${why}` : `unsupported op "${node.op}" at node "${node.name}"`;
  return new LivecheckError('unsupported-op', msg, { op: node.op, node: node.name });
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Transposes a dense row-major array. */
function transposeData<T extends Float32Array | Int32Array>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += idx[k] * inStrides[perm[k]];
    out[o] = data[src];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

function broadcastShape(a: readonly number[], b: readonly number[], node: TfNode): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw unsupported(node, `shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

/** Elementwise op over two constants with numpy broadcasting (small tensors only: shapes, scalars). */
function foldBinary(a: TfConst, b: TfConst, shape: number[], f: (x: number, y: number) => number): TfConst {
  const n = numel(shape);
  const isInt = a.dtype === 'int32' && b.dtype === 'int32';
  const data = isInt ? new Int32Array(n) : new Float32Array(n);
  const rank = shape.length;
  const index = (c: TfConst, flat: number) => {
    let rem = flat;
    let off = 0;
    let stride = 1;
    const cr = c.shape.length;
    for (let i = rank - 1; i >= 0; i--) {
      const coord = rem % shape[i];
      rem = Math.floor(rem / shape[i]);
      const ci = i - (rank - cr);
      if (ci >= 0) {
        const dim = c.shape[ci];
        off += (dim === 1 ? 0 : coord) * stride;
        stride *= dim;
      }
    }
    return off;
  };
  for (let i = 0; i < n; i++) data[i] = f(a.data[index(a, i)], b.data[index(b, i)]);
  return { dtype: isInt ? 'int32' : 'float32', shape, data, storage: isInt ? 'int32' : 'float32' };
}

/**
 * Affine uint8 quantisation of `channels` blocks of `inner` values (any outer dims repeat the pattern): the range
 * always includes 0 so zero stays exact (padding, pruned weights), and the zero point is an integer as ONNX needs.
 */
export function quantizeUint8(data: Float32Array, channels: number, inner: number) {
  const scale = new Float32Array(channels);
  const zero = new Uint8Array(channels);
  const lo = new Float32Array(channels);
  const hi = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    lo[c] = Math.min(lo[c], data[i]);
    hi[c] = Math.max(hi[c], data[i]);
  }
  for (let c = 0; c < channels; c++) {
    scale[c] = hi[c] > lo[c] ? (hi[c] - lo[c]) / 255 : 1;
    zero[c] = Math.min(255, Math.max(0, Math.round(-lo[c] / scale[c])));
  }
  const q = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    q[i] = Math.min(255, Math.max(0, Math.round(data[i] / scale[c]) + zero[c]));
  }
  return { q, scale, zero };
}

class Converter {
  private readonly nodes: OnnxNode[] = [];
  private readonly inits: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly values = new Map<string, Value>();
  private readonly constViews = new Map<string, string>();
  readonly tfOps: Record<string, number> = {};
  private readonly weights: WeightEncoding;
  private readonly compactMin: number;
  /** The batch size shapes are tracked with (1 for a dynamic batch: only the interface and Reshape targets differ). */
  private readonly batch: number;
  private readonly dynamicBatch: boolean;
  private readonly keepOutputs: readonly string[] | undefined;

  constructor(
    private readonly g: TfGraph,
    opts: ConvertOptions,
  ) {
    this.keepOutputs = opts.outputs;
    this.weights = opts.weights ?? 'float32';
    this.compactMin = opts.compactMinElements ?? 1024;
    this.dynamicBatch = opts.batch === 'dynamic';
    this.batch = typeof opts.batch === 'number' ? opts.batch : 1;
    for (const e of [...g.inputs, ...g.outputs]) this.used.add(e.key);
  }

  private uniq(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}__${k}`;
    this.used.add(name);
    return name;
  }

  private emit(op: string, name: string, inputs: string[], attrs?: Record<string, OnnxAttr>, output?: string): string {
    const out = output ?? this.uniq(name);
    this.nodes.push({ op, name: this.uniq(`${name}/${op}`), inputs, outputs: [out], attrs });
    return out;
  }

  // ---- initializers ----

  private addInit(base: string, type: DataTypeCode, dims: readonly number[], raw: Uint8Array): string {
    const name = this.uniq(base);
    this.inits.push({ name, type, dims: dims.slice(), raw });
    return name;
  }

  /**
   * Float weights, compacted as the options say when the tensor is big enough to matter. `channelAxis` is the
   * output-channel axis of a conv filter: uint8 then gets one scale per channel (filters differ in range by 100x).
   */
  private floatInit(base: string, data: Float32Array, dims: readonly number[], channelAxis?: number): string {
    if (this.weights === 'float16' && data.length >= this.compactMin) {
      const half = this.addInit(`${base}__f16`, DataType.FLOAT16, dims, encodeHalf(data));
      return this.emit('Cast', base, [half], { to: int(DataType.FLOAT) });
    }
    if (this.weights === 'uint8' && data.length >= this.compactMin) {
      const channels = channelAxis === undefined ? 1 : dims[channelAxis];
      const inner = channelAxis === undefined ? data.length : numel(dims.slice(channelAxis + 1));
      const { q, scale, zero } = quantizeUint8(data, channels, inner);
      const qName = this.addInit(`${base}__u8`, DataType.UINT8, dims, q);
      const perAxis = channelAxis !== undefined;
      const sName = this.addInit(`${base}__scale`, DataType.FLOAT, perAxis ? [channels] : [], new Uint8Array(scale.buffer));
      const zName = this.addInit(`${base}__zero`, DataType.UINT8, perAxis ? [channels] : [], zero);
      return this.emit('DequantizeLinear', base, [qName, sName, zName], perAxis ? { axis: int(channelAxis) } : undefined);
    }
    return this.addInit(base, DataType.FLOAT, dims, new Uint8Array(data.slice().buffer));
  }

  private int64Init(base: string, values: ArrayLike<number>, dims: readonly number[]): string {
    const b = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) b[i] = BigInt(values[i]);
    return this.addInit(base, DataType.INT64, dims, new Uint8Array(b.buffer));
  }

  /** A constant as an ONNX tensor in the given layout (rank < 4 constants are padded to rank 4 for NCHW broadcasting). */
  private constTensor(tfName: string, c: TfConst, layout: Layout): string {
    const key = `${tfName}|${layout}`;
    const hit = this.constViews.get(key);
    if (hit) return hit;
    let data = c.data;
    let dims = c.shape;
    if (layout === 'nchw') {
      const padded = [...new Array(Math.max(0, 4 - dims.length)).fill(1), ...dims];
      data = transposeData(data, padded, TO_NCHW);
      dims = TO_NCHW.map((p) => padded[p]);
    }
    const name = c.dtype === 'float32' ? this.floatInit(tfName, data as Float32Array, dims) : this.int64Init(tfName, data, dims);
    this.constViews.set(key, name);
    return name;
  }

  // ---- values ----

  private value(name: string): Value {
    const hit = this.values.get(name);
    if (hit) return hit;
    const c = this.g.consts.get(name);
    const node = this.g.nodes.get(name);
    if (!node) {
      if (c) return this.setConst(name, c);
      throw new LivecheckError('model-corrupt', `${this.g.source}: tensor "${name}" is used but never defined`, { file: this.g.source });
    }
    this.convertNode(node);
    const v = this.values.get(name);
    if (!v) throw unsupported(node, 'produced no value');
    return v;
  }

  private setConst(name: string, c: TfConst): Value {
    const v: Value = { shape: c.shape.slice(), dtype: c.dtype, constant: c, views: new Map() };
    this.values.set(name, v);
    return v;
  }

  private setValue(name: string, onnx: string, shape: number[], layout: Layout, dtype: TfDtype = 'float32'): Value {
    const v: Value = { shape, dtype, views: new Map([[shape.length === 4 ? layout : 'nhwc', onnx]]) };
    this.values.set(name, v);
    return v;
  }

  /** Name of `v` in `layout`, transposing (once) if needed. Constants are materialised as initializers. */
  private view(tfName: string, v: Value, layout: Layout): string {
    if (v.shape.length !== 4) layout = 'nhwc';
    if (v.constant) return this.constTensor(tfName, v.constant, layout === 'nchw' && v.shape.length === 4 ? 'nchw' : 'nhwc');
    const hit = v.views.get(layout);
    if (hit) return hit;
    const [from] = [...v.views.values()];
    const t = this.emit('Transpose', `${tfName}__${layout}`, [from], { perm: ints(layout === 'nchw' ? TO_NCHW : TO_NHWC) });
    v.views.set(layout, t);
    return t;
  }

  /** The layout a value is already available in (NCHW preferred: that is where convs want it). */
  private layoutOf(v: Value): Layout {
    if (v.shape.length !== 4 || v.constant) return 'nhwc';
    return v.views.has('nchw') ? 'nchw' : 'nhwc';
  }

  private constInput(node: TfNode, index: number, what: string): TfConst {
    const v = this.value(node.inputs[index]);
    if (!v.constant) throw unsupported(node, `${what} (input ${index}) must be a constant`);
    return v.constant;
  }

  // ---- conversion ----

  convert(): OnnxModel & { infoIn: ConvertedTensorInfo[]; infoOut: ConvertedTensorInfo[] } {
    const inputs: OnnxValueInfo[] = [];
    for (const e of this.g.inputs) {
      const node = this.g.nodes.get(e.tensor)!;
      if (node.op !== 'Placeholder') throw unsupported(node, 'signature input is not a Placeholder');
      const shape = (attrShape(node, 'shape') ?? e.shape).map((d) => (d < 0 ? this.batch : d));
      if (shape.length === 0 && e.shape.length) shape.push(...e.shape.map((d) => (d < 0 ? this.batch : d)));
      this.count(node);
      this.setValue(e.tensor, e.key, shape, 'nhwc');
      inputs.push({ name: e.key, type: DataType.FLOAT, shape: this.interfaceShape(shape) });
    }
    const outputs: OnnxValueInfo[] = [];
    const keep = this.keepOutputs;
    const unknown = keep?.filter((k) => !this.g.outputs.some((e) => e.key === k)) ?? [];
    if (unknown.length) {
      throw new LivecheckError('invalid-argument', `${this.g.source} has no output ${unknown.join(', ')} (it has ${this.g.outputs.map((e) => e.key).join(', ')})`, { file: this.g.source });
    }
    for (const e of this.g.outputs) {
      if (keep && !keep.includes(e.key)) continue;
      const v = this.value(e.tensor);
      const src = this.view(e.tensor, v, 'nhwc');
      this.emit('Identity', e.key, [src], undefined, e.key);
      outputs.push({ name: e.key, type: v.dtype === 'float32' ? DataType.FLOAT : DataType.INT64, shape: this.interfaceShape(v.shape) });
    }
    const info = (vs: OnnxValueInfo[]): ConvertedTensorInfo[] =>
      vs.map((v) => ({ name: v.name, shape: v.shape.map((d) => (typeof d === 'number' ? d : -1)), type: v.type === DataType.FLOAT ? 'float32' : 'int64' }));
    return {
      graphName: 'graph',
      opset: 13,
      producer: 'livecheck-tfjs2onnx',
      producerVersion: '0.1.0',
      docString: '',
      nodes: this.nodes,
      initializers: this.inits,
      inputs,
      outputs,
      metadata: {},
      infoIn: info(inputs),
      infoOut: info(outputs),
    };
  }

  /** A model input or output's shape: its leading (batch) dimension named when the batch is dynamic. */
  private interfaceShape(shape: readonly number[]): (number | string)[] {
    return this.dynamicBatch && shape.length > 0 ? ['batch', ...shape.slice(1)] : shape.slice();
  }

  /** A Reshape target: with a dynamic batch, 0 (= keep the input's size) on the batch axis, which must survive. */
  private reshapeTarget(node: TfNode, from: readonly number[], to: readonly number[]): number[] {
    if (!this.dynamicBatch) return to.slice();
    if (from[0] !== this.batch || to[0] !== this.batch) throw unsupported(node, 'reshape across the batch axis with a dynamic batch');
    return [0, ...to.slice(1)];
  }

  private count(node: TfNode): void {
    this.tfOps[node.op] = (this.tfOps[node.op] ?? 0) + 1;
  }

  private convertNode(node: TfNode): void {
    this.count(node);
    switch (node.op) {
      case 'Const': {
        const c = this.g.consts.get(node.name);
        if (!c) {
          throw new LivecheckError('model-corrupt', `${this.g.source}: constant "${node.name}" has no weights in the manifest`, {
            file: this.g.source,
          });
        }
        this.setConst(node.name, c);
        return;
      }
      case 'Identity':
      case 'StopGradient': {
        this.values.set(node.name, this.value(node.inputs[0]));
        return;
      }
      case 'Placeholder':
        throw unsupported(node, 'placeholder not listed as a model input');
      case '_FusedConv2D':
      case 'Conv2D':
        return this.conv(node, false);
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return this.conv(node, true);
      case 'MaxPool':
      case 'AvgPool':
        return this.pool(node);
      case 'Pad':
      case 'PadV2':
        return this.pad(node);
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
        return this.binary(node, 'Add', (a, b) => a + b);
      case 'Sub':
        return this.binary(node, 'Sub', (a, b) => a - b);
      case 'Mul':
        return this.binary(node, 'Mul', (a, b) => a * b);
      case 'RealDiv':
        return this.binary(node, 'Div', (a, b) => a / b);
      case 'Maximum':
        return this.binary(node, 'Max', Math.max);
      case 'Minimum':
        return this.binary(node, 'Min', Math.min);
      case 'Prelu':
        return this.binary(node, 'PRelu', (x, a) => (x < 0 ? a * x : x));
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Elu':
      case 'Exp':
      case 'Sqrt':
      case 'Neg':
        return this.unary(node, node.op === 'Neg' ? 'Neg' : node.op);
      case 'Relu6':
      case 'LeakyRelu':
      case 'Rsqrt':
      case 'Square':
        return this.unary(node, node.op);
      case 'Reshape':
        return this.reshape(node);
      case 'Squeeze':
        return this.squeeze(node);
      case 'ExpandDims':
        return this.expandDims(node);
      case 'AddN':
        return this.addN(node);
      case 'Mean':
      case 'Sum':
      case 'Max':
      case 'Min':
        return this.reduce(node);
      case 'ConcatV2':
        return this.concat(node);
      case 'Softmax':
        return this.softmax(node);
      case 'MatMul':
      case '_FusedMatMul':
        return this.matmul(node);
      case 'Shape':
        return this.shapeOf(node);
      case 'StridedSlice':
        return this.stridedSlice(node);
      case 'Pack':
        return this.pack(node);
      case 'Cast':
        return this.cast(node);
      default:
        throw unsupported(node);
    }
  }

  /** Conv2D / depthwise, with TF's fused BiasAdd and activation. */
  private conv(node: TfNode, depthwise: boolean): void {
    const xv = this.value(node.inputs[0]);
    if (xv.shape.length !== 4) throw unsupported(node, `input rank ${xv.shape.length}, expected 4`);
    if ((attrString(node, 'data_format') ?? 'NHWC') !== 'NHWC') throw unsupported(node, 'only NHWC data_format');
    const filter = this.constInput(node, 1, 'filter');
    const [kh, kw, ci, co] = filter.shape;
    const [, h, w, c] = xv.shape;
    if (ci !== c) throw unsupported(node, `filter expects ${ci} channels, input has ${c}`);
    const strides = attrInts(node, 'strides') ?? [1, 1, 1, 1];
    const dil = attrInts(node, 'dilations') ?? [1, 1, 1, 1];
    const [outH, padT, padB] = this.window(node, h, kh, strides[1], dil[1], 1);
    const [outW, padL, padR] = this.window(node, w, kw, strides[2], dil[2], 2);

    // HWIO -> OIHW; depthwise HWCM -> (C*M)1HW with group = C.
    const outC = depthwise ? ci * co : co;
    const weight = depthwise ? transposeData(filter.data as Float32Array, [kh, kw, ci * co], [2, 0, 1]) : transposeData(filter.data as Float32Array, filter.shape, [3, 2, 0, 1]);
    const wDims = depthwise ? [outC, 1, kh, kw] : [co, ci, kh, kw];
    const fused = attrStrings(node, 'fused_ops');
    // PReLU's slope is laid out for a rank-4 value: such a head stays a Conv
    const isHead = !depthwise && outH === 1 && outW === 1 && kh === h && kw === w && padT + padB + padL + padR === 0 && !fused.includes('Prelu');
    const inputs = [
      this.view(node.inputs[0], xv, 'nchw'),
      // a head's filter goes in as the Gemm's 2-D B (same bytes: OIHW flattened per output channel)
      this.floatInit(`${node.inputs[1]}__oihw`, weight, isHead ? [co, ci * kh * kw] : wDims, 0),
    ];

    let k = 0;
    if (fused[k] === 'BiasAdd') {
      const bias = this.constInput(node, 2, 'bias');
      inputs.push(this.floatInit(node.inputs[2], bias.data as Float32Array, [outC]));
      k++;
    }
    if (isHead) return this.headAsGemm(node, inputs, ci * kh * kw, fused.slice(k), [xv.shape[0], 1, 1, co]);
    const attrs: Record<string, OnnxAttr> = {
      kernel_shape: ints([kh, kw]),
      strides: ints([strides[1], strides[2]]),
      dilations: ints([dil[1], dil[2]]),
      pads: ints([padT, padL, padB, padR]),
    };
    if (depthwise) attrs.group = int(ci);
    const shape = [xv.shape[0], outH, outW, outC];
    let out = this.emit('Conv', node.name, inputs, attrs);
    out = this.activation(node, fused.slice(k), out, 2 + k, shape);
    this.setValue(node.name, out, shape, 'nchw');
  }

  /**
   * A conv whose window covers its whole input (the landmark heads: 3x3 -> 1x1 with 1404 filters) is a matrix-vector
   * product. As a Conv, ORT's CPU EP sends it through im2col and an SGEMM with N = 1 (0.6 ms of FaceMesh's ~7); as
   * a Gemm the weights are prepacked once and N becomes the filter count. The NCHW input flattens in the filter's
   * (ci, kh, kw) order, so the OIHW weights serve as B with transB = 1.
   */
  private headAsGemm(node: TfNode, inputs: string[], k: number, activations: string[], shape: number[]): void {
    const [x, weight, bias] = inputs;
    const flatShape = this.reshapeTarget(node, shape, [shape[0], k]);
    const flat = this.emit('Reshape', `${node.name}/flatten`, [x, this.int64Init(`${node.name}/flat_shape`, flatShape, [2])]);
    const gemm = this.emit('Gemm', node.name, bias ? [flat, weight, bias] : [flat, weight], { transB: int(1) });
    const act = this.activation(node, activations, gemm, 0, [shape[0], shape[3]]);
    // [N, co] is [N, 1, 1, co] in either layout
    const out = this.emit('Reshape', `${node.name}/nhwc`, [act, this.int64Init(`${node.name}/out_shape`, this.reshapeTarget(node, shape, shape), [4])]);
    this.setValue(node.name, out, shape, 'nhwc');
  }

  /** Fused activations after a conv or matmul; `argIndex` is where extra args (PReLU slope) start. */
  private activation(node: TfNode, ops: string[], x: string, argIndex: number, shape: number[]): string {
    for (const op of ops) {
      switch (op) {
        case 'Relu':
          x = this.emit('Relu', node.name, [x]);
          break;
        case 'Relu6':
          x = this.emit('Clip', node.name, [x, this.scalar(`${node.name}/zero`, 0), this.scalar(`${node.name}/six`, 6)]);
          break;
        case 'Elu':
          x = this.emit('Elu', node.name, [x]);
          break;
        case 'Sigmoid':
          x = this.emit('Sigmoid', node.name, [x]);
          break;
        case 'LeakyRelu':
          x = this.emit('LeakyRelu', node.name, [x], { alpha: float(attrFloat(node, 'leakyrelu_alpha') ?? 0.2) });
          break;
        case 'Prelu': {
          const alpha = this.constInput(node, argIndex, 'PReLU slope');
          const layout: Layout = shape.length === 4 ? 'nchw' : 'nhwc';
          x = this.emit('PRelu', node.name, [x, this.constTensor(node.inputs[argIndex], alpha, layout)]);
          break;
        }
        default:
          throw unsupported(node, `fused op ${op}`);
      }
    }
    return x;
  }

  private scalar(base: string, value: number): string {
    return this.addInit(base, DataType.FLOAT, [], new Uint8Array(new Float32Array([value]).buffer));
  }

  /** Output size and explicit (before, after) padding for one spatial axis, as TF computes them. */
  private window(node: TfNode, size: number, k: number, s: number, d: number, axis: 1 | 2): [number, number, number] {
    const padding = attrString(node, 'padding') ?? 'VALID';
    const span = (k - 1) * d + 1;
    if (padding === 'SAME') {
      const out = Math.ceil(size / s);
      const need = Math.max(0, (out - 1) * s + span - size);
      return [out, Math.floor(need / 2), need - Math.floor(need / 2)];
    }
    if (padding === 'VALID') return [Math.ceil((size - span + 1) / s), 0, 0];
    if (padding === 'EXPLICIT') {
      const ep = attrInts(node, 'explicit_paddings') ?? [];
      const before = ep[axis * 2] ?? 0;
      const after = ep[axis * 2 + 1] ?? 0;
      return [Math.floor((size + before + after - span) / s) + 1, before, after];
    }
    throw unsupported(node, `padding ${padding}`);
  }

  private pool(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    if (xv.shape.length !== 4) throw unsupported(node, `input rank ${xv.shape.length}, expected 4`);
    const ksize = attrInts(node, 'ksize') ?? [1, 1, 1, 1];
    const strides = attrInts(node, 'strides') ?? [1, 1, 1, 1];
    const [outH, padT, padB] = this.window(node, xv.shape[1], ksize[1], strides[1], 1, 1);
    const [outW, padL, padR] = this.window(node, xv.shape[2], ksize[2], strides[2], 1, 2);
    // TF excludes padding from averages (ONNX count_include_pad=0, the default) and from maxima.
    const out = this.emit(node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', node.name, [this.view(node.inputs[0], xv, 'nchw')], {
      kernel_shape: ints([ksize[1], ksize[2]]),
      strides: ints([strides[1], strides[2]]),
      pads: ints([padT, padL, padB, padR]),
    });
    this.setValue(node.name, out, [xv.shape[0], outH, outW, xv.shape[3]], 'nchw');
  }

  private pad(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    const paddings = this.constInput(node, 1, 'paddings');
    const rank = xv.shape.length;
    if (paddings.data.length !== rank * 2) throw unsupported(node, 'paddings do not match the input rank');
    const layout = this.layoutOf(xv);
    const perm = layout === 'nchw' ? TO_NCHW : [...Array(rank).keys()];
    const pads = new Array<number>(rank * 2);
    perm.forEach((logical, physical) => {
      pads[physical] = paddings.data[logical * 2];
      pads[physical + rank] = paddings.data[logical * 2 + 1];
    });
    const inputs = [this.view(node.inputs[0], xv, layout), this.int64Init(`${node.name}/pads`, pads, [rank * 2])];
    if (node.op === 'PadV2') {
      const cv = this.constInput(node, 2, 'constant value');
      inputs.push(this.scalar(`${node.name}/value`, cv.data[0]));
    }
    const out = this.emit('Pad', node.name, inputs, { mode: { kind: 'string', value: 'constant' } });
    const shape = xv.shape.map((d, i) => d + paddings.data[i * 2] + paddings.data[i * 2 + 1]);
    this.setValue(node.name, out, shape, layout);
  }

  /** Elementwise binary op with broadcasting; constants are laid out to match the other operand. */
  private binary(node: TfNode, op: string, fold: (a: number, b: number) => number): void {
    const [an, bn] = node.inputs;
    const a = this.value(an);
    const b = this.value(bn);
    let shape = broadcastShape(a.shape, b.shape, node);
    if (node.op === 'BiasAdd' || node.op === 'Prelu') shape = a.shape.slice();
    if (a.constant && b.constant) {
      this.values.set(node.name, { shape, dtype: a.dtype, constant: foldBinary(a.constant, b.constant, shape, fold), views: new Map() });
      return;
    }
    // Work in NCHW when a rank-4 operand already is, and the other side is a constant or also rank 4.
    const a4 = a.shape.length === 4 && !a.constant;
    const b4 = b.shape.length === 4 && !b.constant;
    let layout: Layout = 'nhwc';
    if (shape.length === 4) {
      const prefer = a4 ? this.layoutOf(a) : b4 ? this.layoutOf(b) : 'nhwc';
      const otherOk = (v: Value) => v.constant !== undefined || v.shape.length === 4;
      if (prefer === 'nchw' && otherOk(a) && otherOk(b)) layout = 'nchw';
    }
    const operand = (name: string, v: Value) => (v.constant ? this.constTensor(name, v.constant, layout) : this.view(name, v, layout));
    const out = this.emit(op, node.name, [operand(an, a), operand(bn, b)]);
    this.setValue(node.name, out, shape, layout, a.dtype);
  }

  private unary(node: TfNode, op: string): void {
    const xv = this.value(node.inputs[0]);
    if (xv.constant) throw unsupported(node, 'constant input (not folded)');
    const layout = this.layoutOf(xv);
    const x = this.view(node.inputs[0], xv, layout);
    let out: string;
    switch (op) {
      case 'Relu6':
        out = this.emit('Clip', node.name, [x, this.scalar(`${node.name}/zero`, 0), this.scalar(`${node.name}/six`, 6)]);
        break;
      case 'LeakyRelu':
        out = this.emit('LeakyRelu', node.name, [x], { alpha: float(attrFloat(node, 'alpha') ?? 0.2) });
        break;
      case 'Rsqrt':
        out = this.emit('Reciprocal', node.name, [this.emit('Sqrt', node.name, [x])]);
        break;
      case 'Square':
        out = this.emit('Mul', node.name, [x, x]);
        break;
      default:
        out = this.emit(op, node.name, [x]);
    }
    this.setValue(node.name, out, xv.shape.slice(), layout, xv.dtype);
  }

  private reshape(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    const target = Array.from(this.constInput(node, 1, 'shape').data);
    const known = target.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
    const shape = target.map((d) => (d < 0 ? numel(xv.shape) / known : d));
    if (numel(shape) !== numel(xv.shape)) throw unsupported(node, `cannot reshape [${xv.shape}] to [${target}]`);
    if (xv.constant) {
      this.values.set(node.name, { ...xv, shape, constant: { ...xv.constant, shape }, views: new Map() });
      return;
    }
    // Reshape follows TF's row-major NHWC order, so it needs the logical layout.
    const out = this.emit('Reshape', node.name, [this.view(node.inputs[0], xv, 'nhwc'), this.int64Init(`${node.name}/shape`, this.reshapeTarget(node, xv.shape, shape), [shape.length])]);
    this.setValue(node.name, out, shape, 'nhwc', xv.dtype);
  }

  private squeeze(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    const dims = attrInts(node, 'squeeze_dims') ?? attrInts(node, 'axis') ?? [];
    const axes = (dims.length ? dims : xv.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + xv.shape.length : a));
    const shape = xv.shape.filter((_, i) => !axes.includes(i));
    if (xv.constant) {
      this.values.set(node.name, { ...xv, shape, constant: { ...xv.constant, shape }, views: new Map() });
      return;
    }
    const out = this.emit('Squeeze', node.name, [this.view(node.inputs[0], xv, 'nhwc'), this.int64Init(`${node.name}/axes`, axes, [axes.length])]);
    this.setValue(node.name, out, shape, 'nhwc', xv.dtype);
  }

  /** Sum of same-shaped tensors (TF's grappler rewrites residual adds into AddN). */
  private addN(node: TfNode): void {
    const vals = node.inputs.map((x) => this.value(x));
    if (vals.some((v) => v.constant) || vals.some((v) => v.shape.join() !== vals[0].shape.join())) {
      throw unsupported(node, 'only AddN of computed tensors of one shape');
    }
    const layout = vals.every((v) => this.layoutOf(v) === 'nchw') ? 'nchw' : 'nhwc';
    const out = this.emit(
      'Sum',
      node.name,
      node.inputs.map((x, i) => this.view(x, vals[i], layout)),
    );
    this.setValue(node.name, out, vals[0].shape.slice(), layout, vals[0].dtype);
  }

  private expandDims(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    let axis = this.constInput(node, 1, 'axis').data[0];
    if (axis < 0) axis += xv.shape.length + 1;
    const shape = [...xv.shape.slice(0, axis), 1, ...xv.shape.slice(axis)];
    if (xv.constant) {
      this.values.set(node.name, { ...xv, shape, constant: { ...xv.constant, shape }, views: new Map() });
      return;
    }
    const out = this.emit('Unsqueeze', node.name, [this.view(node.inputs[0], xv, 'nhwc'), this.int64Init(`${node.name}/axes`, [axis], [1])]);
    this.setValue(node.name, out, shape, 'nhwc', xv.dtype);
  }

  /** Mean/Sum/Max/Min over constant axes. Stays in NCHW when the surviving axes keep TF's order (e.g. global pooling). */
  private reduce(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    if (xv.constant) throw unsupported(node, 'constant input (not folded)');
    const rank = xv.shape.length;
    const axes = [...new Set(Array.from(this.constInput(node, 1, 'axes').data, (a) => (a < 0 ? a + rank : a)))].sort();
    const keep = attrBool(node, 'keep_dims') ?? false;
    let layout = this.layoutOf(xv);
    // Dropping axes from NCHW leaves TF's order only if C goes too or both H and W go.
    if (layout === 'nchw' && !keep && !(axes.includes(3) || (axes.includes(1) && axes.includes(2)))) layout = 'nhwc';
    const physical = layout === 'nchw' ? axes.map((a) => NCHW_AXIS[a]) : axes;
    const x = this.view(node.inputs[0], xv, layout);
    const onnxOp = { Mean: 'ReduceMean', Sum: 'ReduceSum', Max: 'ReduceMax', Min: 'ReduceMin' }[node.op]!;
    // Opset 13 moved ReduceSum's axes to an input; the others still take an attribute.
    const out =
      onnxOp === 'ReduceSum'
        ? this.emit(onnxOp, node.name, [x, this.int64Init(`${node.name}/axes`, physical, [physical.length])], { keepdims: int(keep ? 1 : 0) })
        : this.emit(onnxOp, node.name, [x], { axes: ints(physical), keepdims: int(keep ? 1 : 0) });
    const shape = keep ? xv.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : xv.shape.filter((_, i) => !axes.includes(i));
    this.setValue(node.name, out, shape, keep ? layout : 'nhwc', xv.dtype);
  }

  private concat(node: TfNode): void {
    const n = attrInt(node, 'N') ?? node.inputs.length - 1;
    const names = node.inputs.slice(0, n);
    const vals = names.map((x) => this.value(x));
    const rank = vals[0].shape.length;
    let axis = this.constInput(node, n, 'axis').data[0];
    if (axis < 0) axis += rank;
    if (vals.some((v) => v.constant)) {
      if (vals.every((v) => v.constant) && rank === 1) {
        const data = Int32Array.from(vals.flatMap((v) => Array.from(v.constant!.data)));
        this.values.set(node.name, { shape: [data.length], dtype: 'int32', constant: { dtype: 'int32', shape: [data.length], data, storage: 'int32' }, views: new Map() });
        return;
      }
    }
    const layout: Layout = rank === 4 && vals.every((v) => v.constant || this.layoutOf(v) === 'nchw') ? 'nchw' : 'nhwc';
    const inputs = names.map((x, i) => (vals[i].constant ? this.constTensor(x, vals[i].constant!, layout) : this.view(x, vals[i], layout)));
    const out = this.emit('Concat', node.name, inputs, { axis: int(layout === 'nchw' ? NCHW_AXIS[axis] : axis) });
    const shape = vals[0].shape.slice();
    shape[axis] = vals.reduce((s, v) => s + v.shape[axis], 0);
    this.setValue(node.name, out, shape, layout, vals[0].dtype);
  }

  private softmax(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    const out = this.emit('Softmax', node.name, [this.view(node.inputs[0], xv, 'nhwc')], { axis: int(-1) });
    this.setValue(node.name, out, xv.shape.slice(), 'nhwc');
  }

  private matmul(node: TfNode): void {
    const av = this.value(node.inputs[0]);
    const bv = this.value(node.inputs[1]);
    if (av.shape.length !== 2 || bv.shape.length !== 2) throw unsupported(node, 'only rank-2 matmul');
    const ta = attrBool(node, 'transpose_a') ?? false;
    const tb = attrBool(node, 'transpose_b') ?? false;
    const m = ta ? av.shape[1] : av.shape[0];
    const nOut = tb ? bv.shape[0] : bv.shape[1];
    const inputs = [this.view(node.inputs[0], av, 'nhwc'), this.view(node.inputs[1], bv, 'nhwc')];
    const fused = attrStrings(node, 'fused_ops');
    let k = 0;
    if (fused[k] === 'BiasAdd') {
      inputs.push(this.view(node.inputs[2], this.value(node.inputs[2]), 'nhwc'));
      k++;
    }
    const shape = [m, nOut];
    let out = this.emit('Gemm', node.name, inputs, { transA: int(ta ? 1 : 0), transB: int(tb ? 1 : 0) });
    out = this.activation(node, fused.slice(k), out, 2 + k, shape);
    this.setValue(node.name, out, shape, 'nhwc');
  }

  // ---- constant folding (static shapes, batch fixed) ----

  private setFolded(node: TfNode, data: Int32Array | Float32Array, shape: number[]): void {
    const dtype: TfDtype = data instanceof Int32Array ? 'int32' : 'float32';
    this.values.set(node.name, { shape, dtype, constant: { dtype, shape, data, storage: dtype }, views: new Map() });
  }

  private shapeOf(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    if (this.dynamicBatch) throw unsupported(node, 'Shape with a dynamic batch (it would fold to batch 1)');
    this.setFolded(node, Int32Array.from(xv.shape), [xv.shape.length]);
  }

  private cast(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    if (!xv.constant) throw unsupported(node, 'Cast of a computed tensor');
    const to = (node.attr.DstT as { type?: string } | undefined)?.type;
    const data = to === 'DT_INT32' ? Int32Array.from(xv.constant.data, Math.trunc) : Float32Array.from(xv.constant.data);
    this.setFolded(node, data, xv.shape.slice());
  }

  private pack(node: TfNode): void {
    const vals = node.inputs.map((x) => this.value(x));
    if (!vals.every((v) => v.constant)) throw unsupported(node, 'Pack of computed tensors');
    const axis = attrInt(node, 'axis') ?? 0;
    if (!vals.every((v) => v.shape.length === 0 || (v.shape.length === 1 && v.shape[0] === 1)) || axis !== 0) {
      throw unsupported(node, 'only Pack of scalars');
    }
    const isInt = vals.every((v) => v.dtype === 'int32');
    const values = vals.map((v) => v.constant!.data[0]);
    this.setFolded(node, isInt ? Int32Array.from(values) : Float32Array.from(values), [values.length]);
  }

  private stridedSlice(node: TfNode): void {
    const xv = this.value(node.inputs[0]);
    if (!xv.constant || xv.shape.length !== 1) throw unsupported(node, 'only StridedSlice of a constant 1-D tensor');
    const [begin] = this.constInput(node, 1, 'begin').data;
    const [end] = this.constInput(node, 2, 'end').data;
    const [stride] = this.constInput(node, 3, 'strides').data;
    const beginMask = attrInt(node, 'begin_mask') ?? 0;
    const endMask = attrInt(node, 'end_mask') ?? 0;
    const shrink = attrInt(node, 'shrink_axis_mask') ?? 0;
    if ((attrInt(node, 'ellipsis_mask') ?? 0) || (attrInt(node, 'new_axis_mask') ?? 0)) throw unsupported(node, 'ellipsis/new-axis masks');
    const n = xv.shape[0];
    const norm = (i: number) => (i < 0 ? i + n : i);
    const src = xv.constant.data;
    const out: number[] = [];
    if (shrink & 1) out.push(src[norm(begin)]);
    else {
      let b = beginMask & 1 ? (stride > 0 ? 0 : n - 1) : Math.min(Math.max(norm(begin), stride > 0 ? 0 : -1), stride > 0 ? n : n - 1);
      const e = endMask & 1 ? (stride > 0 ? n : -1) : Math.min(Math.max(norm(end), stride > 0 ? 0 : -1), n);
      for (; stride > 0 ? b < e : b > e; b += stride) out.push(src[b]);
    }
    const data = xv.dtype === 'int32' ? Int32Array.from(out) : Float32Array.from(out);
    this.setFolded(node, data, shrink & 1 ? [] : [out.length]);
  }
}

/** Converts a parsed TFJS graph. Throws LivecheckError `unsupported-op` naming the op and node it cannot express. */
export function convertTfGraph(graph: TfGraph, opts: ConvertOptions = {}): ConvertResult {
  const conv = new Converter(graph, opts);
  const { infoIn, infoOut, ...m } = conv.convert();
  const model: OnnxModel = {
    ...m,
    graphName: opts.graphName ?? 'graph',
    docString: opts.docString ?? `Converted from ${graph.source} (generatedBy ${graph.generatedBy || '?'}, convertedBy ${graph.convertedBy || '?'})`,
    metadata: opts.metadata ?? {},
  };
  const weightBytes: Record<string, number> = {};
  for (const t of model.initializers) {
    const k = Object.entries(DataType).find(([, v]) => v === t.type)?.[0] ?? String(t.type);
    weightBytes[k] = (weightBytes[k] ?? 0) + t.raw.length;
  }
  return { model, bytes: encodeModel(model), inputs: infoIn, outputs: infoOut, tfOps: conv.tfOps, weightBytes };
}

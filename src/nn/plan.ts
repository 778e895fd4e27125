// ONNX graph -> an executable plan for NHWC execution over the kernels of abi.ts. Pure logic: no wasm, no DOM.
// The converted graphs are NCHW around an input Transpose; we keep every 4-D activation NHWC in memory and read the
// graph's NCHW ops through that layout, so layout Transposes vanish and a flatten before Gemm becomes a permutation
// of the Gemm weight columns. Conv -> Add -> PRelu chains fuse into one conv call; a residual that went through a
// channel Pad is added to the first channels only (res/resC). Anything else throws, so a caller can fall back to
// onnxruntime. Every size in the plan is per image: all ops here are batch-linear, so a batch of b scales tensor
// sizes and arena offsets by b.
import { LivecheckError } from '../errors.js';
import { PANEL, roundUp8 } from './abi.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from './onnx.js';
import { DataType } from './onnx-schema.js';

/** Where a kernel argument lives: a tensor of the arena (per-image float offset x batch) or a packed constant. */
export type Ref = { tensor: number } | { constant: number } | null;

export type Step =
  | {
      op: 'conv';
      x: Ref;
      h: number;
      w: number;
      cin: number;
      kh: number;
      kw: number;
      stride: number;
      padT: number;
      padL: number;
      oh: number;
      ow: number;
      weights: Ref;
      bias: Ref;
      cout: number;
      y: Ref;
      res: Ref;
      resC: number;
      slope: Ref;
    }
  | {
      op: 'depthwise';
      x: Ref;
      h: number;
      w: number;
      c: number;
      kh: number;
      kw: number;
      stride: number;
      padT: number;
      padL: number;
      oh: number;
      ow: number;
      weights: Ref;
      bias: Ref;
      y: Ref;
      res: Ref;
      resC: number;
      slope: Ref;
    }
  | { op: 'maxpool'; x: Ref; h: number; w: number; c: number; k: number; stride: number; padT: number; padL: number; oh: number; ow: number; y: Ref }
  /** `floats` per image (the count over a batch is floats x n, rounded up to 4). */
  | { op: 'add'; a: Ref; b: Ref; y: Ref; floats: number }
  | { op: 'prelu'; x: Ref; slope: Ref; pixels: number; c: number; y: Ref }
  | { op: 'padChannels'; x: Ref; pixels: number; cin: number; cout: number; y: Ref }
  | { op: 'gemm'; x: Ref; k: number; weights: Ref; bias: Ref; cols: number; y: Ref }
  | { op: 'sigmoid'; x: Ref; y: Ref; floats: number }
  /** Concat along the innermost memory axis: per image `rows` rows; input i's rows of `widths[i]` floats go to
   *  column `offsets[i]` of rows `width` wide. Done by the runtime with copyWithin. */
  | { op: 'concat'; xs: Ref[]; rows: number; widths: number[]; offsets: number[]; width: number; y: Ref };

export interface PlanIo {
  name: string;
  /** Tensor of the arena holding it. */
  tensor: number;
  /** ONNX shape with the batch as -1 (dynamic) or its fixed size. */
  shape: number[];
  /** Floats per image. */
  floats: number;
}

export interface Plan {
  file: string;
  /** True when the model's input batch is symbolic; a fixed batch is 1. */
  dynamicBatch: boolean;
  inputs: PlanIo[];
  outputs: PlanIo[];
  steps: Step[];
  /** Packed weights, biases and slopes, each a multiple of 4 floats (16-byte aligned when laid back to back). */
  constants: Float32Array[];
  /** Per-image float offset of each tensor in the arena (multiples of 4). */
  offsets: number[];
  /** Per-image floats each tensor occupies (multiples of 4). */
  sizes: number[];
  /** Per-image floats of the whole arena. */
  arenaFloats: number;
}

/** How a graph value sits in memory. */
type Layout =
  /** ONNX NCHW [n, c, h, w], stored NHWC. */
  | { kind: 'nhwc'; c: number; h: number; w: number }
  /** Row-major exactly as its ONNX shape (batch first). */
  | { kind: 'plain'; dims: number[] }
  /** ONNX [n, c*h*w] flattened from NCHW, stored in NHWC (h, w, c) order: only a Gemm may read it. */
  | { kind: 'chwFlat'; c: number; h: number; w: number };

interface Value {
  tensor: number;
  layout: Layout;
}

/** Conv -> [Add (the residual `resInput`, possibly through a channel Pad adding `padC` channels)] -> [PRelu]. */
interface ConvChain {
  conv: OnnxNode;
  add?: OnnxNode;
  resInput?: string;
  pad?: OnnxNode;
  padC?: number;
  prelu?: OnnxNode;
}

const perImage = (l: Layout): number => (l.kind === 'plain' ? l.dims.slice(1).reduce((a, b) => a * b, 1) : l.c * l.h * l.w);
const roundUp4 = (v: number): number => (v + 3) & ~3;

class Planner {
  private readonly values = new Map<string, Value>();
  private readonly consts = new Map<string, OnnxTensor>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly outputNames: Set<string>;
  readonly steps: Step[] = [];
  readonly constants: Float32Array[] = [];
  readonly sizes: number[] = [];
  /** Nodes of a chain, emitted as one conv call at the chain's last node (`chainEnd`). */
  private readonly absorbed = new Set<OnnxNode>();
  private readonly chainEnd = new Map<OnnxNode, ConvChain>();

  constructor(private readonly g: OnnxGraph) {
    for (const [name, t] of g.initializers) this.consts.set(name, t);
    for (const n of g.nodes) for (const i of n.inputs) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    this.outputNames = new Set(g.outputs.map((o) => o.name));
  }

  /** `unsupported-op`: a valid graph this runtime does not cover (the caller falls back to onnxruntime);
   *  `model-corrupt`: a graph that cannot be valid (an input nothing computes). */
  fail(node: OnnxNode | undefined, what: string, code: 'unsupported-op' | 'model-corrupt' = 'unsupported-op'): never {
    const where = node ? `${node.opType} node ${node.name || node.outputs[0]}` : 'graph';
    throw new LivecheckError(code, `model ${this.g.file} cannot run on the landmark runtime: ${where}: ${what}`, { file: this.g.file, op: node?.opType, node: node?.name });
  }

  private newTensor(floats: number): number {
    this.sizes.push(roundUp4(floats));
    return this.sizes.length - 1;
  }

  private constant(data: Float32Array): Ref {
    const padded = new Float32Array(roundUp4(data.length));
    padded.set(data);
    this.constants.push(padded);
    return { constant: this.constants.length - 1 };
  }

  /** A single consumer and not a graph output: the value may live inside a fused kernel. */
  private private1(name: string): OnnxNode | undefined {
    const c = this.consumers.get(name) ?? [];
    return c.length === 1 && !this.outputNames.has(name) ? c[0] : undefined;
  }

  private value(node: OnnxNode, name: string): Value {
    const v = this.values.get(name);
    if (!v) this.fail(node, this.consts.has(name) ? `input ${name} is a constant where a tensor is expected` : `input ${name} is not computed`, 'model-corrupt');
    return v;
  }

  private const(node: OnnxNode, name: string): OnnxTensor {
    const t = this.consts.get(name);
    if (!t) this.fail(node, `input ${name} must be a constant`);
    return t;
  }

  private floats(node: OnnxNode, name: string): Float32Array {
    const t = this.const(node, name);
    if (!(t.values instanceof Float32Array)) this.fail(node, `constant ${name} is not float`);
    return t.values;
  }

  private int(node: OnnxNode, key: string, fallback: number): number {
    const a = node.attributes.get(key);
    if (!a) return fallback;
    if (a.kind !== 'int') this.fail(node, `attribute ${key} is not an int`);
    return a.value;
  }

  private ints(node: OnnxNode, key: string): number[] | undefined {
    const a = node.attributes.get(key);
    if (!a) return undefined;
    if (a.kind !== 'ints') this.fail(node, `attribute ${key} is not ints`);
    return a.value;
  }

  /** Per-channel vector (PReLU slopes, bias) of `c` values, rounded up to 8 with zeros; a scalar broadcasts. */
  private channelVector(node: OnnxNode, name: string | undefined, c: number, nchw = false): Ref {
    const out = new Float32Array(roundUp8(c));
    if (name) {
      const v = this.floats(node, name);
      // broadcast against NCHW aligns from the right: only [c, 1, 1] (with leading 1s) or one value is per channel
      const dims = this.const(node, name).dims;
      if (nchw && v.length > 1 && !(dims.length >= 3 && dims[dims.length - 3] === c && dims.slice(-2).every((d) => d === 1) && dims.slice(0, -3).every((d) => d === 1))) {
        this.fail(node, `${name} of shape [${dims}] is not per channel`);
      }
      if (v.length === 1) out.fill(v[0], 0, c);
      else if (v.length === c) out.set(v);
      else this.fail(node, `${name} has ${v.length} values for ${c} channels`);
    }
    return this.constant(out);
  }

  /** Marks Conv -> [Add (+ channel Pad on the other side)] -> [PRelu] chains before any emission. */
  private findChains(): void {
    for (const conv of this.g.nodes) {
      if (conv.opType !== 'Conv') continue;
      let end = conv;
      const chain: ConvChain = { conv };
      let out = conv.outputs[0];
      const next = this.private1(out);
      if (next?.opType === 'Add' && next.inputs.length === 2) {
        const other = next.inputs[0] === out ? next.inputs[1] : next.inputs[0];
        if (other !== out && !this.consts.has(other)) {
          chain.add = next;
          chain.resInput = other;
          const pad = this.g.nodes.find((n) => n.outputs[0] === other);
          const padC = pad?.opType === 'Pad' && this.private1(other) === next ? this.channelPad(pad) : undefined;
          if (padC !== undefined) {
            chain.pad = pad;
            chain.padC = padC;
            chain.resInput = pad!.inputs[0];
          }
          end = next;
          out = next.outputs[0];
        }
      }
      const act = this.private1(out);
      if (act?.opType === 'PRelu' && this.consts.has(act.inputs[1])) {
        chain.prelu = act;
        end = act;
      }
      if (end === conv) continue;
      for (const n of [chain.add, chain.pad, chain.prelu]) if (n) this.absorbed.add(n);
      this.absorbed.add(conv);
      this.chainEnd.set(end, chain);
    }
  }

  /** Channels added at the end by a constant-zero Pad that pads nothing else, or undefined. */
  private channelPad(pad: OnnxNode): number | undefined {
    const mode = pad.attributes.get('mode');
    if (mode && (mode.kind !== 'string' || mode.value !== 'constant')) return undefined;
    let pads = this.ints(pad, 'pads');
    if (!pads && pad.inputs[1]) pads = this.consts.get(pad.inputs[1])?.values as number[] | undefined;
    if (!pads || pads.length !== 8) return undefined;
    if (pad.inputs[2]) {
      const v = this.consts.get(pad.inputs[2])?.values;
      if (!v || v[0] !== 0) return undefined;
    }
    const cpad = pads[5];
    return pads.every((p, i) => (i === 5 ? p >= 0 : p === 0)) ? cpad : undefined;
  }

  /** Spatial geometry of a Conv or MaxPool over an NHWC input. */
  private window(node: OnnxNode, h: number, w: number, kh: number, kw: number): { stride: number; padT: number; padL: number; oh: number; ow: number } {
    const strides = this.ints(node, 'strides') ?? [1, 1];
    const dil = this.ints(node, 'dilations') ?? [1, 1];
    if (strides[0] !== strides[1]) this.fail(node, `strides ${strides} differ`);
    if (dil.some((d) => d !== 1)) this.fail(node, `dilations ${dil}`);
    if (this.int(node, 'ceil_mode', 0) !== 0) this.fail(node, 'ceil_mode');
    const s = strides[0];
    const auto = node.attributes.get('auto_pad');
    const mode = auto?.kind === 'string' ? auto.value : 'NOTSET';
    let [pt, pl, pb, pr] = this.ints(node, 'pads') ?? [0, 0, 0, 0];
    if (mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
      const oh = Math.ceil(h / s),
        ow = Math.ceil(w / s);
      const th = Math.max(0, (oh - 1) * s + kh - h),
        tw = Math.max(0, (ow - 1) * s + kw - w);
      pt = mode === 'SAME_UPPER' ? th >> 1 : th - (th >> 1);
      pl = mode === 'SAME_UPPER' ? tw >> 1 : tw - (tw >> 1);
      pb = th - pt;
      pr = tw - pl;
    } else if (mode === 'VALID') pt = pl = pb = pr = 0;
    else if (mode !== 'NOTSET') this.fail(node, `auto_pad ${mode}`);
    const oh = Math.floor((h + pt + pb - kh) / s) + 1,
      ow = Math.floor((w + pl + pr - kw) / s) + 1;
    if (oh <= 0 || ow <= 0) this.fail(node, `output ${oh}x${ow}`);
    return { stride: s, padT: pt, padL: pl, oh, ow };
  }

  private emitConv(chain: ConvChain): void {
    const node = chain.conv;
    const x = this.value(node, node.inputs[0]);
    if (x.layout.kind !== 'nhwc') this.fail(node, 'input is not a 4-D image tensor');
    const { c: cin, h, w } = x.layout;
    const wt = this.const(node, node.inputs[1]);
    const wv = this.floats(node, node.inputs[1]);
    if (wt.dims.length !== 4) this.fail(node, `weights of rank ${wt.dims.length}`);
    const [cout, cpg, kh, kw] = wt.dims;
    const group = this.int(node, 'group', 1);
    const geo = this.window(node, h, w, kh, kw);
    const depthwise = group > 1;
    if (depthwise && !(group === cin && cout === cin && cpg === 1)) this.fail(node, `group ${group} with ${cin} -> ${cout} channels (only depthwise with multiplier 1)`);
    if (!depthwise && cpg !== cin) this.fail(node, `weights for ${cpg} input channels, input has ${cin}`);
    if (cout % 4) this.fail(node, `${cout} output channels (the kernels need a multiple of 4)`);
    const bias = this.channelVector(node, node.inputs[2] || undefined, cout);
    let res: Ref = null,
      resC = 0,
      slope: Ref = null;
    if (chain.add) {
      const r = this.value(chain.add, chain.resInput!);
      if (r.layout.kind !== 'nhwc' || r.layout.h !== geo.oh || r.layout.w !== geo.ow) this.fail(chain.add, 'residual shape does not match the convolution');
      const padded = r.layout.c + (chain.padC ?? 0);
      if (padded !== cout || r.layout.c % 4) this.fail(chain.add, `residual of ${r.layout.c} channels into ${cout}`);
      res = { tensor: r.tensor };
      resC = r.layout.c;
    }
    if (chain.prelu) slope = this.channelVector(chain.prelu, chain.prelu.inputs[1], cout, true);
    const yl: Layout = { kind: 'nhwc', c: cout, h: geo.oh, w: geo.ow };
    const y = this.newTensor(perImage(yl));
    const last = chain.prelu ?? chain.add ?? node;
    this.values.set(last.outputs[0], { tensor: y, layout: yl });
    if (depthwise) {
      const packed = new Float32Array(kh * kw * cout);
      for (let ch = 0; ch < cout; ch++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) packed[(ky * kw + kx) * cout + ch] = wv[(ch * kh + ky) * kw + kx];
      this.steps.push({ op: 'depthwise', x: { tensor: x.tensor }, h, w, c: cin, kh, kw, ...geo, weights: this.constant(packed), bias, y: { tensor: y }, res, resC, slope });
    } else {
      const panels = Math.ceil(cout / PANEL);
      const packed = new Float32Array(panels * kh * kw * cin * PANEL);
      for (let co = 0; co < cout; co++) {
        const p = Math.floor(co / PANEL),
          j = co % PANEL;
        for (let ci = 0; ci < cin; ci++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              packed[(((p * kh + ky) * kw + kx) * cin + ci) * PANEL + j] = wv[((co * cin + ci) * kh + ky) * kw + kx];
            }
      }
      this.steps.push({ op: 'conv', x: { tensor: x.tensor }, h, w, cin, kh, kw, ...geo, weights: this.constant(packed), bias, cout, y: { tensor: y }, res, resC, slope });
    }
  }

  private emit(node: OnnxNode): void {
    const out = node.outputs[0];
    const alias = (v: Value, layout: Layout) => this.values.set(out, { tensor: v.tensor, layout });
    if (node.domain && node.domain !== 'ai.onnx') this.fail(node, `domain ${node.domain}`);
    switch (node.opType) {
      case 'Cast': {
        const t = this.consts.get(node.inputs[0]);
        if (!t) this.fail(node, 'Cast of a computed tensor');
        if (this.int(node, 'to', 0) !== DataType.FLOAT || !(t.values instanceof Float32Array)) this.fail(node, 'only float16/float constants cast to float fold');
        this.consts.set(out, { ...t, name: out, dataType: DataType.FLOAT });
        return;
      }
      case 'Constant': {
        const a = node.attributes.get('value');
        if (a?.kind !== 'tensor') this.fail(node, 'only tensor constants');
        this.consts.set(out, a.value);
        return;
      }
      case 'Identity': {
        if (this.consts.has(node.inputs[0])) {
          this.consts.set(out, this.consts.get(node.inputs[0])!);
          return;
        }
        const v = this.value(node, node.inputs[0]);
        alias(v, v.layout);
        return;
      }
      case 'Transpose': {
        const v = this.value(node, node.inputs[0]);
        const perm = (this.ints(node, 'perm') ?? []).join(',');
        if (perm === '0,3,1,2' && v.layout.kind === 'plain' && v.layout.dims.length === 4) {
          const [, h, w, c] = v.layout.dims;
          alias(v, { kind: 'nhwc', c, h, w });
        } else if (perm === '0,2,3,1' && v.layout.kind === 'nhwc') alias(v, { kind: 'plain', dims: [-1, v.layout.h, v.layout.w, v.layout.c] });
        else this.fail(node, `perm [${perm}] is not a layout change`);
        return;
      }
      case 'Conv':
        this.emitConv({ conv: node });
        return;
      case 'MaxPool': {
        const v = this.value(node, node.inputs[0]);
        if (v.layout.kind !== 'nhwc') this.fail(node, 'input is not a 4-D image tensor');
        const [kh, kw] = this.ints(node, 'kernel_shape') ?? [];
        if (kh !== kw) this.fail(node, `kernel ${kh}x${kw}`);
        if (v.layout.c % 4) this.fail(node, `${v.layout.c} channels`);
        if (node.outputs.length > 1 && node.outputs[1]) this.fail(node, 'indices output');
        const { c, h, w } = v.layout;
        const geo = this.window(node, h, w, kh, kw);
        const layout: Layout = { kind: 'nhwc', c, h: geo.oh, w: geo.ow };
        const y = this.newTensor(perImage(layout));
        this.steps.push({ op: 'maxpool', x: { tensor: v.tensor }, h, w, c, k: kh, ...geo, y: { tensor: y } });
        this.values.set(out, { tensor: y, layout });
        return;
      }
      case 'Pad': {
        const v = this.value(node, node.inputs[0]);
        const extra = this.channelPad(node);
        if (extra === undefined || v.layout.kind !== 'nhwc') this.fail(node, 'only zero padding of channels at the end');
        const layout: Layout = { ...v.layout, c: v.layout.c + extra };
        const y = this.newTensor(perImage(layout));
        this.steps.push({ op: 'padChannels', x: { tensor: v.tensor }, pixels: v.layout.h * v.layout.w, cin: v.layout.c, cout: layout.c, y: { tensor: y } });
        this.values.set(out, { tensor: y, layout });
        return;
      }
      case 'Add': {
        const [a, b] = node.inputs.map((i) => this.value(node, i));
        const same = a.layout.kind === b.layout.kind && perImage(a.layout) === perImage(b.layout) && JSON.stringify(a.layout) === JSON.stringify(b.layout);
        if (!same) this.fail(node, 'only same-shape tensors add (no broadcasting)');
        const y = this.newTensor(perImage(a.layout));
        this.steps.push({ op: 'add', a: { tensor: a.tensor }, b: { tensor: b.tensor }, y: { tensor: y }, floats: perImage(a.layout) });
        this.values.set(out, { tensor: y, layout: a.layout });
        return;
      }
      case 'PRelu': {
        const v = this.value(node, node.inputs[0]);
        const c = v.layout.kind === 'nhwc' ? v.layout.c : v.layout.kind === 'plain' ? v.layout.dims[v.layout.dims.length - 1] : this.fail(node, 'flattened input');
        const slopes = this.floats(node, node.inputs[1]);
        if (v.layout.kind === 'plain' && slopes.length !== 1) this.fail(node, 'per-channel slopes on a non-image tensor');
        if (c % 4) this.fail(node, `${c} channels`);
        const y = this.newTensor(perImage(v.layout));
        this.steps.push({ op: 'prelu', x: { tensor: v.tensor }, slope: this.channelVector(node, node.inputs[1], c, v.layout.kind === 'nhwc'), pixels: perImage(v.layout) / c, c, y: { tensor: y } });
        this.values.set(out, { tensor: y, layout: v.layout });
        return;
      }
      case 'Sigmoid': {
        const v = this.value(node, node.inputs[0]);
        const y = this.newTensor(perImage(v.layout));
        this.steps.push({ op: 'sigmoid', x: { tensor: v.tensor }, y: { tensor: y }, floats: perImage(v.layout) });
        this.values.set(out, { tensor: y, layout: v.layout });
        return;
      }
      case 'Reshape': {
        const v = this.value(node, node.inputs[0]);
        const target = (this.const(node, node.inputs[1]).values as number[]).slice();
        const n = perImage(v.layout);
        if (target[0] !== -1 && target[0] !== 1 && target[0] !== 0) this.fail(node, `shape [${target}] changes the batch`);
        const rest = target.slice(1);
        if (rest.some((d) => d <= 0) || rest.reduce((a, b) => a * b, 1) !== n) this.fail(node, `shape [${target}] from ${n} values per image`);
        const dims = [-1, ...rest];
        if (v.layout.kind === 'plain' || (v.layout.kind === 'nhwc' && (v.layout.h * v.layout.w === 1 || v.layout.c === 1))) alias(v, { kind: 'plain', dims });
        else if (v.layout.kind === 'nhwc' && rest.length === 1) alias(v, { kind: 'chwFlat', c: v.layout.c, h: v.layout.h, w: v.layout.w });
        else this.fail(node, `shape [${target}] reorders an image tensor`);
        return;
      }
      case 'Gemm':
        return this.emitGemm(node);
      case 'Concat': {
        const vs = node.inputs.map((i) => this.value(node, i));
        let axis = this.int(node, 'axis', 0);
        const rows: number[] = [],
          widths: number[] = [];
        let outLayout: Layout | undefined;
        for (const v of vs) {
          const l = v.layout;
          if (l.kind === 'plain') {
            if (axis < 0) axis += l.dims.length;
            if (axis !== l.dims.length - 1) this.fail(node, `axis ${axis} is not the innermost`);
            widths.push(l.dims[axis]);
            rows.push(perImage(l) / l.dims[axis]);
          } else if (l.kind === 'nhwc') {
            if (axis < 0) axis += 4;
            if (axis !== 1) this.fail(node, `axis ${axis} of an image tensor is not its channels`);
            widths.push(l.c);
            rows.push(l.h * l.w);
          } else this.fail(node, 'flattened input');
        }
        if (rows.some((r) => r !== rows[0]) || vs.some((v) => v.layout.kind !== vs[0].layout.kind)) this.fail(node, 'inputs of different shapes');
        const width = widths.reduce((a, b) => a + b, 0);
        const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
        const l0 = vs[0].layout;
        if (l0.kind === 'plain') outLayout = { kind: 'plain', dims: [...l0.dims.slice(0, -1), width] };
        else if (l0.kind === 'nhwc') outLayout = { ...l0, c: width };
        const y = this.newTensor(rows[0] * width);
        this.steps.push({ op: 'concat', xs: vs.map((v) => ({ tensor: v.tensor })), rows: rows[0], widths, offsets, width, y: { tensor: y } });
        this.values.set(out, { tensor: y, layout: outLayout! });
        return;
      }
      default:
        this.fail(node, 'op not supported');
    }
  }

  private emitGemm(node: OnnxNode): void {
    const v = this.value(node, node.inputs[0]);
    if (this.int(node, 'transA', 0) !== 0) this.fail(node, 'transA');
    const transB = this.int(node, 'transB', 0);
    const alpha = (node.attributes.get('alpha')?.value as number | undefined) ?? 1,
      beta = (node.attributes.get('beta')?.value as number | undefined) ?? 1;
    const b = this.const(node, node.inputs[1]),
      bv = this.floats(node, node.inputs[1]);
    if (b.dims.length !== 2) this.fail(node, 'weights not 2-D');
    const [k, cols] = transB ? [b.dims[1], b.dims[0]] : b.dims;
    const l = v.layout;
    if (perImage(l) !== k || (l.kind === 'plain' && l.dims.length !== 2)) this.fail(node, `input of ${perImage(l)} values per row for ${k}`);
    // wt [cols][k] in memory order of x: a CHW flatten stored HWC reads column (y*w + x)*c + ci from ONNX's ci*h*w + y*w + x
    const wt = new Float32Array(cols * k);
    for (let j = 0; j < cols; j++)
      for (let m = 0; m < k; m++) {
        let src = m;
        if (l.kind === 'chwFlat' || l.kind === 'nhwc') {
          const ci = m % l.c,
            p = (m - ci) / l.c;
          src = ci * l.h * l.w + p;
        }
        wt[j * k + m] = alpha * (transB ? bv[j * k + src] : bv[src * cols + j]);
      }
    const bias = new Float32Array(cols);
    if (node.inputs[2]) {
      const c = this.floats(node, node.inputs[2]);
      if (c.length !== 1 && c.length !== cols) this.fail(node, `bias of ${c.length} for ${cols} columns`);
      for (let j = 0; j < cols; j++) bias[j] = beta * (c.length === 1 ? c[0] : c[j]);
    }
    const y = this.newTensor(cols);
    this.steps.push({ op: 'gemm', x: { tensor: v.tensor }, k, weights: this.constant(wt), bias: this.constant(bias), cols, y: { tensor: y } });
    this.values.set(node.outputs[0], { tensor: y, layout: { kind: 'plain', dims: [-1, cols] } });
  }

  run(): Plan {
    const g = this.g;
    if (g.inputs.length !== 1) this.fail(undefined, `${g.inputs.length} inputs (one image input expected)`);
    const input = g.inputs[0];
    if (input.shape.length !== 4 || input.shape.slice(1).some((d) => typeof d !== 'number' || d <= 0)) this.fail(undefined, `input shape [${input.shape}] is not [batch, h, w, c]`);
    const dynamicBatch = typeof input.shape[0] === 'string' || input.shape[0] === -1 || input.shape[0] === 0;
    if (!dynamicBatch && input.shape[0] !== 1) this.fail(undefined, `fixed batch ${input.shape[0]}`);
    const dims = input.shape.map((d) => (typeof d === 'number' ? d : -1));
    const inTensor = this.newTensor(dims[1] * dims[2] * dims[3]);
    this.values.set(input.name, { tensor: inTensor, layout: { kind: 'plain', dims } });
    this.findChains();
    for (const node of g.nodes) {
      const chain = this.chainEnd.get(node);
      if (chain) this.emitConv(chain);
      else if (!this.absorbed.has(node)) this.emit(node);
    }
    const outputs: PlanIo[] = g.outputs.map((o) => {
      const v = this.values.get(o.name);
      if (!v) this.fail(undefined, `output ${o.name} is not computed`, 'model-corrupt');
      if (v.layout.kind !== 'plain' && !(v.layout.kind === 'nhwc' && v.layout.h * v.layout.w === 1)) this.fail(undefined, `output ${o.name} is an image tensor (would need a transpose)`);
      const floats = perImage(v.layout);
      const shape = o.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? -1 : NaN));
      if (shape.length === 0 || shape.slice(1).reduce((a, b) => a * b, 1) !== floats) this.fail(undefined, `output ${o.name} shape [${o.shape}] does not hold ${floats} values per image`);
      if (!dynamicBatch) shape[0] = 1;
      return { name: o.name, tensor: v.tensor, shape, floats };
    });
    const { offsets, arenaFloats } = this.allocate(
      inTensor,
      outputs.map((o) => o.tensor),
    );
    return {
      file: g.file,
      dynamicBatch,
      steps: this.steps,
      constants: this.constants,
      offsets,
      sizes: this.sizes,
      arenaFloats,
      inputs: [{ name: input.name, tensor: inTensor, shape: dynamicBatch ? [-1, ...dims.slice(1)] : dims, floats: dims[1] * dims[2] * dims[3] }],
      outputs,
    };
  }

  /** Lifetime-based arena: a tensor lives from the step that writes it to the last step that reads it (the input
   *  from before the first step, outputs to the end); tensors whose lifetimes overlap never share bytes. */
  private allocate(input: number, outputs: number[]): { offsets: number[]; arenaFloats: number } {
    const T = this.sizes.length,
      first = new Array<number>(T).fill(Infinity),
      last = new Array<number>(T).fill(-1);
    first[input] = -1;
    const refs = (s: Step): Array<[Ref, boolean]> => {
      switch (s.op) {
        case 'conv':
        case 'depthwise':
          return [
            [s.x, false],
            [s.res, false],
            [s.y, true],
          ];
        case 'maxpool':
        case 'sigmoid':
        case 'padChannels':
        case 'prelu':
        case 'gemm':
          return [
            [s.x, false],
            [s.y, true],
          ];
        case 'add':
          return [
            [s.a, false],
            [s.b, false],
            [s.y, true],
          ];
        case 'concat':
          return [...s.xs.map((x): [Ref, boolean] => [x, false]), [s.y, true]];
      }
    };
    this.steps.forEach((s, i) => {
      for (const [r, write] of refs(s)) {
        if (!r || !('tensor' in r)) continue;
        if (write) first[r.tensor] = Math.min(first[r.tensor], i);
        last[r.tensor] = Math.max(last[r.tensor], i);
      }
    });
    for (const o of outputs) last[o] = this.steps.length;
    const offsets = new Array<number>(T).fill(0);
    const placed: number[] = [];
    let arenaFloats = 0;
    const order = [...Array(T).keys()].filter((t) => last[t] >= 0 || t === input).sort((a, b) => this.sizes[b] - this.sizes[a]);
    for (const t of order) {
      const live = placed.filter((o) => first[o] <= last[t] && first[t] <= last[o]).sort((a, b) => offsets[a] - offsets[b]);
      let at = 0;
      for (const o of live) {
        if (at + this.sizes[t] <= offsets[o]) break;
        at = Math.max(at, offsets[o] + this.sizes[o]);
      }
      offsets[t] = at;
      placed.push(t);
      arenaFloats = Math.max(arenaFloats, at + this.sizes[t]);
    }
    return { offsets, arenaFloats };
  }
}

/** Plans `graph` for NHWC execution; throws naming the op it cannot map. */
export function planModel(graph: OnnxGraph): Plan {
  return new Planner(graph).run();
}

// Runs a plan (plan.ts) on the NHWC kernels (abi.ts) over one linear memory: weights laid out once after the
// kernels' own data, then the arena of intermediate tensors, sized per batch size and grown at most once for each.
// `NnSession` wraps a model in the subset of onnxruntime's InferenceSession that the landmark runners use, so
// FaceMeshModel and IrisModel run on it unchanged.
import { LivecheckError } from '../errors.js';
import type { InferenceSession as OrtSession } from 'onnxruntime-web';
import type { NnKernels } from './abi.js';
import { readOnnx } from './onnx.js';
import { planModel, type Plan, type Ref } from './plan.js';
import { ReferenceKernels } from './reference.js';

/** Kernels and the memory they work on; tensors go at `heapBase` and above (a 0 pointer means "none"). */
export interface KernelHost {
  kernels: NnKernels;
  memory: WebAssembly.Memory;
  heapBase: number;
}

const PAGE = 65536;
const align16 = (v: number): number => (v + 15) & ~15;

/** Plain-JS kernels over a fresh memory: tests, and environments without wasm SIMD. */
export function referenceHost(): KernelHost {
  const memory = new WebAssembly.Memory({ initial: 1 });
  return { kernels: new ReferenceKernels(memory), memory, heapBase: 64 };
}

/** Instantiates the kernel build (build/nn.simd.wasm bytes): it exports the ABI calls, `heapBase()` and `memory`. */
export async function wasmHost(wasm: Uint8Array | ArrayBuffer): Promise<KernelHost> {
  try {
    const abort = () => {
      throw new LivecheckError('wasm-unavailable', 'landmark kernels aborted');
    };
    const { instance } = await WebAssembly.instantiate(wasm as BufferSource, { env: { abort } });
    const e = instance.exports as unknown as NnKernels & { heapBase(): number; memory: WebAssembly.Memory };
    for (const k of ['conv', 'depthwise', 'maxpool', 'add', 'prelu', 'padChannels', 'gemm', 'sigmoid'] as const) {
      if (typeof e[k] !== 'function') throw new Error(`no export ${k}`);
    }
    return { kernels: e, memory: e.memory, heapBase: align16(Math.max(16, e.heapBase())) };
  } catch (cause) {
    if (cause instanceof LivecheckError) throw cause;
    throw new LivecheckError('wasm-unavailable', `landmark kernels could not be instantiated: ${(cause as Error).message}`, undefined, { cause });
  }
}

/** The plan bound to memory for one batch size: the calls to make, pointers resolved. */
interface Bound {
  calls: Array<() => void>;
  inputPtr: number;
  outputPtrs: number[];
  outputs: Float32Array[];
}

export class NnModel {
  private readonly constPtrs: number[] = [];
  private readonly arenaBase: number;
  private readonly bound: Bound[] = [];
  private heap: Float32Array;

  constructor(
    readonly plan: Plan,
    private readonly host: KernelHost,
  ) {
    let at = align16(host.heapBase);
    for (const c of plan.constants) {
      this.constPtrs.push(at);
      at += c.length * 4; // multiples of 4 floats: stays 16-byte aligned
    }
    this.arenaBase = at;
    this.ensure(at);
    this.heap = new Float32Array(host.memory.buffer);
    plan.constants.forEach((c, i) => this.heap.set(c, this.constPtrs[i] >> 2));
  }

  /** Grows the memory to hold `bytes`. */
  private ensure(bytes: number): void {
    const have = this.host.memory.buffer.byteLength;
    if (bytes > have) this.host.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** Binds the plan for `batch` images (once per batch size). */
  private bind(batch: number): Bound {
    const existing = this.bound[batch];
    if (existing) return existing;
    const { plan, arenaBase } = this,
      k = this.host.kernels;
    this.ensure(arenaBase + plan.arenaFloats * batch * 4);
    const p = (r: Ref): number => (!r ? 0 : 'tensor' in r ? arenaBase + plan.offsets[r.tensor] * batch * 4 : this.constPtrs[r.constant]);
    const n = batch;
    const calls: Array<() => void> = plan.steps.map((s) => {
      switch (s.op) {
        case 'conv': {
          const x = p(s.x),
            wt = p(s.weights),
            bias = p(s.bias),
            y = p(s.y),
            res = p(s.res),
            slope = p(s.slope);
          const { h, w, cin, kh, kw, stride, padT, padL, oh, ow, cout, resC } = s;
          return () => k.conv(x, n, h, w, cin, kh, kw, stride, padT, padL, oh, ow, wt, bias, cout, y, res, resC, slope);
        }
        case 'depthwise': {
          const x = p(s.x),
            wt = p(s.weights),
            bias = p(s.bias),
            y = p(s.y),
            res = p(s.res),
            slope = p(s.slope);
          const { h, w, c, kh, kw, stride, padT, padL, oh, ow, resC } = s;
          return () => k.depthwise(x, n, h, w, c, kh, kw, stride, padT, padL, oh, ow, wt, bias, y, res, resC, slope);
        }
        case 'maxpool': {
          const x = p(s.x),
            y = p(s.y);
          const { h, w, c, k: size, stride, padT, padL, oh, ow } = s;
          return () => k.maxpool(x, n, h, w, c, size, stride, padT, padL, oh, ow, y);
        }
        case 'add': {
          const a = p(s.a),
            b = p(s.b),
            y = p(s.y),
            count = (s.floats * n + 3) & ~3;
          return () => k.add(a, b, y, count);
        }
        case 'prelu': {
          const x = p(s.x),
            slope = p(s.slope),
            y = p(s.y),
            pixels = s.pixels * n;
          return () => k.prelu(x, slope, pixels, s.c, y);
        }
        case 'padChannels': {
          const x = p(s.x),
            y = p(s.y),
            pixels = s.pixels * n;
          return () => k.padChannels(x, pixels, s.cin, s.cout, y);
        }
        case 'gemm': {
          const x = p(s.x),
            wt = p(s.weights),
            bias = p(s.bias),
            y = p(s.y);
          return () => k.gemm(x, n, s.k, wt, bias, s.cols, y);
        }
        case 'sigmoid': {
          const x = p(s.x),
            y = p(s.y),
            count = s.floats * n;
          return () => k.sigmoid(x, count, y);
        }
        case 'concat': {
          const xs = s.xs.map((r) => p(r) >> 2),
            y = p(s.y) >> 2,
            rows = s.rows * n;
          return () => {
            const m = this.heap;
            for (let i = 0; i < xs.length; i++) {
              const w = s.widths[i];
              for (let r = 0; r < rows; r++) m.copyWithin(y + r * s.width + s.offsets[i], xs[i] + r * w, xs[i] + (r + 1) * w);
            }
          };
        }
      }
    });
    const b: Bound = {
      calls,
      inputPtr: p({ tensor: plan.inputs[0].tensor }),
      outputPtrs: plan.outputs.map((o) => p({ tensor: o.tensor })),
      outputs: plan.outputs.map((o) => new Float32Array(o.floats * n)),
    };
    this.bound[batch] = b;
    return b;
  }

  /** Runs `batch` images (NHWC floats back to back) and returns the outputs, in the plan's order. The arrays are
   *  reused by the next run of the same batch size. */
  run(input: Float32Array, batch: number): Float32Array[] {
    const b = this.bind(batch);
    const need = this.plan.inputs[0].floats * batch;
    if (input.length !== need) throw new LivecheckError('invalid-argument', `model ${this.plan.file} takes ${need} input floats for batch ${batch}, got ${input.length}`, { file: this.plan.file });
    if (this.heap.buffer !== this.host.memory.buffer) this.heap = new Float32Array(this.host.memory.buffer);
    const m = this.heap;
    m.set(input, b.inputPtr >> 2);
    for (let i = 0; i < b.calls.length; i++) b.calls[i]();
    if (m.buffer !== this.host.memory.buffer) throw new LivecheckError('model-corrupt', `memory grew during a run of ${this.plan.file}`);
    for (let o = 0; o < b.outputs.length; o++) {
      const dst = b.outputs[o],
        from = b.outputPtrs[o] >> 2;
      for (let i = 0; i < dst.length; i++) dst[i] = m[from + i];
    }
    return b.outputs;
  }
}

interface TensorMeta {
  name: string;
  isTensor: true;
  type: 'float32';
  shape: Array<number | string>;
}
interface OutTensor {
  data: Float32Array;
  dims: number[];
  type: 'float32';
}
type Feeds = Record<string, { data: unknown; dims: readonly number[] }>;

/**
 * The part of onnxruntime's InferenceSession the landmark runners use, over an NnModel. A dynamic input batch
 * stays dynamic (`shape[0]` is the string 'batch'). run() returns the same result objects for a batch size each
 * time: read them before the next run.
 */
export class NnSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly inputMetadata: TensorMeta[];
  readonly outputMetadata: TensorMeta[];
  private readonly results: Array<Record<string, OutTensor>> = [];
  private released = false;

  constructor(readonly model: NnModel) {
    const { plan } = model;
    const dim = (d: number, i: number) => (i === 0 && d === -1 ? 'batch' : d);
    this.inputNames = plan.inputs.map((i) => i.name);
    this.outputNames = plan.outputs.map((o) => o.name);
    this.inputMetadata = plan.inputs.map((i) => ({ name: i.name, isTensor: true, type: 'float32', shape: i.shape.map(dim) }));
    this.outputMetadata = plan.outputs.map((o) => ({ name: o.name, isTensor: true, type: 'float32', shape: o.shape.map(dim) }));
  }

  run(feeds: Feeds): Promise<Record<string, OutTensor>> {
    try {
      return Promise.resolve(this.runSync(feeds));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  runSync(feeds: Feeds): Record<string, OutTensor> {
    const { plan } = this.model,
      file = plan.file;
    if (this.released) throw new LivecheckError('closed', `session of ${file} was released`);
    const feed = feeds[this.inputNames[0]];
    if (!feed || !(feed.data instanceof Float32Array)) throw new LivecheckError('invalid-argument', `model ${file} needs a float32 input ${this.inputNames[0]}`, { file });
    const shape = plan.inputs[0].shape,
      dims = feed.dims;
    const batch = dims[0];
    if (dims.length !== 4 || !(batch >= 1) || dims.some((d, i) => i > 0 && d !== shape[i]) || (!plan.dynamicBatch && batch !== 1)) {
      throw new LivecheckError('invalid-argument', `model ${file} takes [${shape}], got [${dims}]`, { file });
    }
    const outs = this.model.run(feed.data, batch);
    let result = this.results[batch];
    if (!result) {
      result = {};
      plan.outputs.forEach((o, i) => {
        result![o.name] = { data: outs[i], dims: o.shape.map((d, j) => (j === 0 ? batch : d)), type: 'float32' };
      });
      this.results[batch] = result;
    }
    return result;
  }

  release(): Promise<void> {
    this.released = true;
    return Promise.resolve();
  }
}

/** Reads, plans and binds a model: `wasm` is the kernel build's bytes, or 'reference' for the plain-JS kernels.
 *  Throws `unsupported-op` naming the op when a valid model does not map (fall back to onnxruntime), `model-corrupt` for a broken file. */
export async function createNnSession(modelBytes: Uint8Array, wasm: Uint8Array | ArrayBuffer | 'reference', name: string): Promise<NnSession> {
  const plan = planModel(readOnnx(modelBytes, name));
  const host = wasm === 'reference' ? referenceHost() : await wasmHost(wasm);
  return new NnSession(new NnModel(plan, host));
}

/** The adapter typed as the ORT session FaceMeshModel/IrisModel take: they use only the members NnSession has. */
export function asOrtSession(session: NnSession): OrtSession {
  return session as unknown as OrtSession;
}

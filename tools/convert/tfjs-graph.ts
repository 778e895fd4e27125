/**
 * Reads a TensorFlow.js graph model (model.json + weight shards) into plain data: nodes with decoded
 * attributes, and constants decoded to float32/int32 with a note of how they were stored.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LivecheckError } from '../../src/errors.js';
import { halfToFloat } from './half.js';

export type TfDtype = 'float32' | 'int32' | 'bool';
/** How a constant was stored in the shard: decides how compact the ONNX copy may be without loss. */
export type TfStorage = 'float32' | 'float16' | 'uint8' | 'uint16' | 'int32' | 'bool';

export interface TfConst {
  dtype: TfDtype;
  shape: number[];
  data: Float32Array | Int32Array;
  storage: TfStorage;
}

export type TfAttr =
  | { list?: { i?: string[]; s?: string[]; f?: number[]; b?: boolean[] } }
  | { s: string }
  | { i: string }
  | { f: number }
  | { b: boolean }
  | { type: string }
  | { shape: { dim?: { size: string }[]; unknownRank?: boolean } }
  | { tensor: unknown };

export interface TfNode {
  name: string;
  op: string;
  /** Producer names; `name:k` for output k > 0; control inputs (`^x`) dropped. */
  inputs: string[];
  attr: Record<string, TfAttr>;
}

export interface TfSignatureEntry {
  /** The signature key, e.g. `input_1` or `output_mesh` (what the ONNX file names the tensor). */
  key: string;
  /** The graph tensor it refers to, e.g. `Identity_2` (`:0` stripped). */
  tensor: string;
  shape: number[];
}

export interface TfGraph {
  source: string;
  nodes: Map<string, TfNode>;
  consts: Map<string, TfConst>;
  inputs: TfSignatureEntry[];
  outputs: TfSignatureEntry[];
  generatedBy: string;
  convertedBy: string;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology?: { node?: { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr> }[] };
  weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  signature?: SignatureJson;
  userDefinedMetadata?: { signature?: SignatureJson };
}

interface SignatureJson {
  inputs?: Record<string, { name: string; tensorShape?: { dim?: { size: string }[] } }>;
  outputs?: Record<string, { name: string; tensorShape?: { dim?: { size: string }[] } }>;
}

function corrupt(file: string, why: string, cause?: unknown): LivecheckError {
  return new LivecheckError('model-corrupt', `${file}: ${why}`, { file }, { cause });
}

/** Reads model.json and its shards from disk. Missing files: `model-missing`; unreadable content: `model-corrupt`. */
export function readTfGraph(jsonPath: string): TfGraph {
  if (!existsSync(jsonPath)) throw new LivecheckError('model-missing', `model file not found: ${jsonPath}`, { file: jsonPath });
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8')) as ModelJson;
  } catch (e) {
    throw corrupt(jsonPath, 'not valid JSON', e);
  }
  const dir = dirname(jsonPath);
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      const file = join(dir, p);
      if (!existsSync(file)) throw new LivecheckError('model-missing', `weight shard not found: ${file}`, { file });
      shards.push(readFileSync(file));
    }
  }
  return parseTfGraph(json, shards, jsonPath);
}

/** Parses an in-memory model.json object and its shards (in manifest order, all groups). */
export function parseTfGraph(jsonValue: unknown, shards: readonly Uint8Array[], source = 'model.json'): TfGraph {
  const json = jsonValue as ModelJson;
  const topo = json?.modelTopology?.node;
  if (!Array.isArray(topo)) throw corrupt(source, 'no modelTopology.node list (is it a TFJS graph model?)');
  if (!Array.isArray(json.weightsManifest)) throw corrupt(source, 'no weightsManifest');

  const nodes = new Map<string, TfNode>();
  for (const n of topo) {
    const inputs = (n.input ?? []).filter((i) => !i.startsWith('^')).map(stripPort);
    nodes.set(n.name, { name: n.name, op: n.op, inputs, attr: n.attr ?? {} });
  }

  const consts = decodeWeights(json.weightsManifest, shards, source);
  const sig = json.signature ?? json.userDefinedMetadata?.signature;
  const entries = (m: SignatureJson['inputs']): TfSignatureEntry[] =>
    Object.entries(m ?? {}).map(([key, v]) => ({
      key,
      tensor: stripPort(v.name),
      shape: (v.tensorShape?.dim ?? []).map((d) => Number(d.size)),
    }));
  let inputs = entries(sig?.inputs);
  let outputs = entries(sig?.outputs);
  // Without a signature: placeholders in, Identity sinks out (named after their nodes).
  if (inputs.length === 0) {
    inputs = [...nodes.values()].filter((n) => n.op === 'Placeholder').map((n) => ({ key: n.name, tensor: n.name, shape: [] }));
  }
  if (outputs.length === 0) {
    const consumed = new Set([...nodes.values()].flatMap((n) => n.inputs));
    outputs = [...nodes.values()].filter((n) => !consumed.has(n.name) && n.op !== 'Const').map((n) => ({ key: n.name, tensor: n.name, shape: [] }));
  }
  for (const e of [...inputs, ...outputs]) {
    if (!nodes.has(e.tensor)) throw corrupt(source, `signature names tensor "${e.tensor}" that is not in the graph`);
  }
  // Stable order: sort by key so file interfaces don't depend on JSON key order.
  inputs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  outputs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { source, nodes, consts, inputs, outputs, generatedBy: json.generatedBy ?? '', convertedBy: json.convertedBy ?? '' };
}

function stripPort(name: string): string {
  return name.endsWith(':0') ? name.slice(0, -2) : name;
}

function decodeWeights(manifest: NonNullable<ModelJson['weightsManifest']>, shards: readonly Uint8Array[], source: string) {
  const total = shards.reduce((s, b) => s + b.length, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const s of shards) {
    all.set(s, off);
    off += s.length;
  }
  const view = new DataView(all.buffer);
  const consts = new Map<string, TfConst>();
  let pos = 0;
  for (const spec of manifest.flatMap((g) => g.weights)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    const storage = (q ? q.dtype : spec.dtype) as TfStorage;
    const width = storage === 'float32' || storage === 'int32' ? 4 : storage === 'float16' || storage === 'uint16' ? 2 : 1;
    if (!['float32', 'int32', 'bool', 'float16', 'uint8', 'uint16'].includes(storage)) {
      throw corrupt(source, `weight "${spec.name}" has unsupported storage dtype ${storage}`);
    }
    if (pos + count * width > total) throw corrupt(source, `weight shards end before "${spec.name}" (shard truncated?)`);
    const dtype = (spec.dtype === 'int32' || q?.original_dtype === 'int32' ? 'int32' : spec.dtype === 'bool' ? 'bool' : 'float32') as TfDtype;
    const data = dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const at = pos + i * width;
      let v: number;
      switch (storage) {
        case 'float32':
          v = view.getFloat32(at, true);
          break;
        case 'int32':
          v = view.getInt32(at, true);
          break;
        case 'float16':
          v = halfToFloat(view.getUint16(at, true));
          break;
        case 'uint16':
          v = view.getUint16(at, true) * (q?.scale ?? 1) + (q?.min ?? 0);
          break;
        default:
          v = all[at] * (q?.scale ?? 1) + (q?.min ?? 0); // uint8 affine, or bool bytes
      }
      data[i] = dtype === 'int32' ? Math.round(v) : v;
    }
    pos += count * width;
    consts.set(spec.name, { dtype, shape: spec.shape.slice(), data, storage });
  }
  if (pos !== total) throw corrupt(source, `weight shards hold ${total} bytes but the manifest describes ${pos}`);
  return consts;
}

// ---- attribute helpers ----

export function attrInts(n: TfNode, key: string): number[] | undefined {
  const a = n.attr[key] as { list?: { i?: string[] } } | undefined;
  return a?.list ? (a.list.i ?? []).map(Number) : undefined;
}

export function attrInt(n: TfNode, key: string): number | undefined {
  const a = n.attr[key] as { i?: string } | undefined;
  return a?.i === undefined ? undefined : Number(a.i);
}

export function attrFloat(n: TfNode, key: string): number | undefined {
  const a = n.attr[key] as { f?: number } | undefined;
  return a?.f === undefined ? undefined : Number(a.f);
}

export function attrBool(n: TfNode, key: string): boolean | undefined {
  const a = n.attr[key] as { b?: boolean } | undefined;
  return a?.b;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export function attrString(n: TfNode, key: string): string | undefined {
  const a = n.attr[key] as { s?: string } | undefined;
  return a?.s === undefined ? undefined : b64(a.s);
}

export function attrStrings(n: TfNode, key: string): string[] {
  const a = n.attr[key] as { list?: { s?: string[] } } | undefined;
  return (a?.list?.s ?? []).map(b64);
}

export function attrShape(n: TfNode, key: string): number[] | undefined {
  const a = n.attr[key] as { shape?: { dim?: { size: string }[] } } | undefined;
  return a?.shape ? (a.shape.dim ?? []).map((d) => Number(d.size)) : undefined;
}

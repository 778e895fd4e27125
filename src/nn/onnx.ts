// A minimal ONNX ModelProto reader: the protobuf wire format by hand (varints, length-delimited, fixed32/64), only
// the fields an inference graph of ours uses. Field numbers come from ./onnx-schema.ts (onnx/onnx.proto), shared with the
// converter's writer. Anything it cannot read throws
// `model-corrupt` naming the file, so the caller can fall back to onnxruntime.
import { LivecheckError } from '../errors.js';
import { halfToFloat } from '../util/half.js';
import {
  AttributeProto,
  AttributeType,
  DataLocation,
  DataType,
  Dimension,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  TensorProto,
  TensorShapeProto,
  TypeProto,
  TypeProtoTensor,
  ValueInfoProto,
  WireType,
} from './onnx-schema.js';

export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** Element values as numbers (floats for FLOAT/FLOAT16/DOUBLE, integers for the integer types). */
  values: Float32Array | number[];
}

export type OnnxAttribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** Fixed sizes, or the name of a dimension left to run time (a dynamic batch). */
  shape: Array<number | string>;
}

export interface OnnxGraph {
  file: string;
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const utf8 = new TextDecoder();

/** One protobuf message's bytes; `next()` walks its fields in order. */
class Reader {
  pos: number;
  field = 0;
  wire = 0;

  constructor(
    readonly buf: Uint8Array,
    readonly file: string,
    readonly start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new LivecheckError('model-corrupt', `model file ${this.file} is not a readable ONNX model: ${what}`, { file: this.file });
  }

  next(): boolean {
    if (this.pos >= this.end) return false;
    const key = this.varint();
    this.field = Math.floor(key / 8);
    this.wire = key & 7;
    if (this.field === 0) this.fail(`field 0 at byte ${this.pos}`);
    return true;
  }

  /** An unsigned varint up to 2^53; int64 negatives (10 bytes, two's complement) come back negative. */
  varint(): number {
    let lo = 0,
      hi = 0,
      shift = 0,
      b: number;
    do {
      if (this.pos >= this.end) this.fail('truncated varint');
      b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else if (shift < 64) hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
      if (shift > 70) this.fail('varint too long');
    } while (b & 0x80);
    lo >>>= 0;
    return (hi | 0) < 0 ? (hi | 0) * 4294967296 + lo : (hi >>> 0) * 4294967296 + lo;
  }

  /** Bytes of a length-delimited field. */
  span(): [number, number] {
    if (this.wire !== WireType.LEN) this.fail(`field ${this.field} has wire type ${this.wire}, expected bytes`);
    const n = this.varint(),
      s = this.pos;
    if (s + n > this.end) this.fail(`field ${this.field} runs past its message`);
    this.pos += n;
    return [s, s + n];
  }

  sub(): Reader {
    const [s, e] = this.span();
    return new Reader(this.buf, this.file, s, e);
  }

  string(): string {
    const [s, e] = this.span();
    return utf8.decode(this.buf.subarray(s, e));
  }

  float(): number {
    if (this.wire !== WireType.I32) this.fail(`field ${this.field} has wire type ${this.wire}, expected fixed32`);
    if (this.pos + 4 > this.end) this.fail('truncated fixed32');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** Repeated varints, packed or not. */
  ints(into: number[]): void {
    if (this.wire === WireType.VARINT) {
      into.push(this.varint());
      return;
    }
    const [s, e] = this.span();
    const r = new Reader(this.buf, this.file, s, e);
    while (r.pos < e) into.push(r.varint());
  }

  /** Repeated fixed32 floats, packed or not. */
  floats(into: number[]): void {
    if (this.wire === WireType.I32) {
      into.push(this.float());
      return;
    }
    const [s, e] = this.span();
    if ((e - s) % 4) this.fail(`packed floats of ${e - s} bytes`);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + s, e - s);
    for (let o = 0; o < e - s; o += 4) into.push(dv.getFloat32(o, true));
  }

  skip(): void {
    switch (this.wire) {
      case WireType.VARINT:
        this.varint();
        break;
      case WireType.I64:
        this.pos += 8;
        break;
      case WireType.LEN:
        this.span();
        break;
      case WireType.I32:
        this.pos += 4;
        break;
      default:
        this.fail(`wire type ${this.wire} (groups) in field ${this.field}`);
    }
    if (this.pos > this.end) this.fail('truncated field');
  }
}

function readTensor(r: Reader): OnnxTensor {
  const dims: number[] = [],
    floatData: number[] = [],
    intData: number[] = [];
  let name = '',
    dataType = 0,
    raw: Uint8Array | undefined,
    external = false;
  while (r.next()) {
    switch (r.field) {
      case TensorProto.dims:
        r.ints(dims);
        break;
      case TensorProto.dataType:
        dataType = r.varint();
        break;
      case TensorProto.floatData:
        r.floats(floatData);
        break;
      case TensorProto.int32Data:
      case TensorProto.int64Data:
        r.ints(intData);
        break; // int32_data (also fp16/uint8 bits), int64_data
      case TensorProto.name:
        name = r.string();
        break;
      case TensorProto.rawData: {
        const [s, e] = r.span();
        raw = r.buf.subarray(s, e);
        break;
      }
      case TensorProto.dataLocation:
        external = r.varint() === DataLocation.EXTERNAL;
        break;
      default:
        r.skip();
    }
  }
  if (external) r.fail(`tensor ${name} stores its data outside the file`);
  const count = dims.reduce((a, b) => a * b, 1);
  let values: Float32Array | number[];
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const need = (bytes: number) => {
    if (raw && raw.byteLength !== count * bytes) r.fail(`tensor ${name} has ${raw.byteLength} bytes for ${count} elements`);
  };
  switch (dataType) {
    case DataType.FLOAT:
      need(4);
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = dv ? dv.getFloat32(i * 4, true) : floatData[i];
      break;
    case DataType.FLOAT16:
      need(2);
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = halfToFloat(dv ? dv.getUint16(i * 2, true) : intData[i]);
      break;
    case DataType.DOUBLE:
      need(8);
      if (!dv) r.fail(`double tensor ${name} without raw_data`);
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = dv.getFloat64(i * 8, true);
      break;
    case DataType.INT64:
      need(8);
      values = [];
      for (let i = 0; i < count; i++) values.push(dv ? dv.getInt32(i * 8 + 4, true) * 4294967296 + dv.getUint32(i * 8, true) : intData[i]);
      break;
    case DataType.INT32:
      need(4);
      values = [];
      for (let i = 0; i < count; i++) values.push(dv ? dv.getInt32(i * 4, true) : intData[i]);
      break;
    case DataType.UINT8:
    case DataType.INT8:
    case DataType.BOOL:
      need(1);
      values = [];
      for (let i = 0; i < count; i++) values.push(dv ? (dataType === DataType.INT8 ? dv.getInt8(i) : dv.getUint8(i)) : intData[i]);
      break;
    default:
      r.fail(`tensor ${name} has data type ${dataType}`);
  }
  if (!raw && (dataType === DataType.FLOAT ? floatData.length : intData.length) < count) r.fail(`tensor ${name} has fewer values than its ${count} elements`);
  return { name, dataType, dims, values };
}

function readAttribute(r: Reader): [string, OnnxAttribute] {
  let name = '',
    type = 0,
    f = 0,
    i = 0,
    s = '',
    t: OnnxTensor | undefined;
  const floats: number[] = [],
    ints: number[] = [];
  while (r.next()) {
    switch (r.field) {
      case AttributeProto.name:
        name = r.string();
        break;
      case AttributeProto.f:
        f = r.float();
        break;
      case AttributeProto.i:
        i = r.varint();
        break;
      case AttributeProto.s:
        s = r.string();
        break;
      case AttributeProto.t:
        t = readTensor(r.sub());
        break;
      case AttributeProto.floats:
        r.floats(floats);
        break;
      case AttributeProto.ints:
        r.ints(ints);
        break;
      case AttributeProto.type:
        type = r.varint();
        break;
      default:
        r.skip();
    }
  }
  switch (type) {
    case AttributeType.FLOAT:
      return [name, { kind: 'float', value: f }];
    case AttributeType.INT:
      return [name, { kind: 'int', value: i }];
    case AttributeType.STRING:
      return [name, { kind: 'string', value: s }];
    case AttributeType.TENSOR:
      if (t) return [name, { kind: 'tensor', value: t }];
      break;
    case AttributeType.FLOATS:
      return [name, { kind: 'floats', value: floats }];
    case AttributeType.INTS:
      return [name, { kind: 'ints', value: ints }];
  }
  return r.fail(`attribute ${name} has type ${type}`);
}

function readNode(r: Reader): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', name: '', inputs: [], outputs: [], attributes: new Map() };
  while (r.next()) {
    switch (r.field) {
      case NodeProto.input:
        node.inputs.push(r.string());
        break;
      case NodeProto.output:
        node.outputs.push(r.string());
        break;
      case NodeProto.name:
        node.name = r.string();
        break;
      case NodeProto.opType:
        node.opType = r.string();
        break;
      case NodeProto.attribute: {
        const [k, a] = readAttribute(r.sub());
        node.attributes.set(k, a);
        break;
      }
      case NodeProto.domain:
        node.domain = r.string();
        break;
      default:
        r.skip();
    }
  }
  return node;
}

function readValueInfo(r: Reader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, shape: [] };
  while (r.next()) {
    if (r.field === ValueInfoProto.name) v.name = r.string();
    else if (r.field === ValueInfoProto.type) {
      const type = r.sub();
      while (type.next()) {
        if (type.field !== TypeProto.tensorType) {
          type.skip();
          continue;
        } // tensor_type only
        const tt = type.sub();
        while (tt.next()) {
          if (tt.field === TypeProtoTensor.elemType) v.elemType = tt.varint();
          else if (tt.field === TypeProtoTensor.shape) {
            const shape = tt.sub();
            while (shape.next()) {
              if (shape.field !== TensorShapeProto.dim) {
                shape.skip();
                continue;
              }
              const dim = shape.sub();
              let d: number | string = '?';
              while (dim.next()) {
                if (dim.field === Dimension.dimValue) d = dim.varint();
                else if (dim.field === Dimension.dimParam) d = dim.string();
                else dim.skip();
              }
              v.shape.push(d);
            }
          } else tt.skip();
        }
      }
    } else r.skip();
  }
  return v;
}

/** Parses ModelProto bytes into the graph; `file` names the model in errors. */
export function readOnnx(bytes: Uint8Array, file: string): OnnxGraph {
  const graph: OnnxGraph = { file, opset: 0, nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  const r = new Reader(bytes, file);
  let sawGraph = false;
  while (r.next()) {
    if (r.field === ModelProto.opsetImport) {
      const op = r.sub();
      let domain = '',
        version = 0;
      while (op.next()) {
        if (op.field === OperatorSetIdProto.domain) domain = op.string();
        else if (op.field === OperatorSetIdProto.version) version = op.varint();
        else op.skip();
      }
      if (domain === '' || domain === 'ai.onnx') graph.opset = version;
    } else if (r.field === ModelProto.graph) {
      sawGraph = true;
      const g = r.sub();
      while (g.next()) {
        switch (g.field) {
          case GraphProto.node:
            graph.nodes.push(readNode(g.sub()));
            break;
          case GraphProto.initializer: {
            const t = readTensor(g.sub());
            graph.initializers.set(t.name, t);
            break;
          }
          case GraphProto.input:
            graph.inputs.push(readValueInfo(g.sub()));
            break;
          case GraphProto.output:
            graph.outputs.push(readValueInfo(g.sub()));
            break;
          case GraphProto.sparseInitializer:
            g.fail('sparse initializers');
          default:
            g.skip();
        }
      }
    } else r.skip();
  }
  if (!sawGraph) r.fail('no graph');
  // graph inputs may list initializers too (IR < 4): the real inputs are the others
  graph.inputs = graph.inputs.filter((v) => !graph.initializers.has(v.name));
  return graph;
}

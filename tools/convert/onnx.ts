/**
 * ONNX model description as plain data, and its encoder to ModelProto bytes (IR version 7, default domain). Field
 * numbers and data types come from src/nn/onnx-schema.ts, the table the runtime's reader uses too. Only the
 * parts a converted inference graph needs.
 */
import {
  AttributeProto,
  AttributeType,
  Dimension,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  StringStringEntryProto,
  TensorProto,
  TensorShapeProto,
  TypeProto,
  TypeProtoTensor,
  ValueInfoProto,
  type DataTypeCode,
} from '../../src/nn/onnx-schema.js';
import { ProtoWriter } from './protobuf.js';

export interface OnnxTensor {
  name: string;
  type: DataTypeCode;
  dims: readonly number[];
  /** Little-endian element bytes (TensorProto.raw_data). */
  raw: Uint8Array;
}

export type OnnxAttr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  op: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Readonly<Record<string, OnnxAttr>>;
}

export interface OnnxValueInfo {
  name: string;
  type: DataTypeCode;
  /** Fixed sizes, or a name for a dimension left to run time (a dynamic batch). */
  shape: readonly (number | string)[];
}

export interface OnnxModel {
  graphName: string;
  opset: number;
  producer: string;
  producerVersion: string;
  docString: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  metadata: Readonly<Record<string, string>>;
}

/** IR version 7 is the one that goes with opset 13. */
export const IR_VERSION = 7;

function tensorProto(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length > 0) w.packedInts(TensorProto.dims, t.dims);
  w.int(TensorProto.dataType, t.type);
  w.string(TensorProto.name, t.name);
  w.bytes(TensorProto.rawData, t.raw);
  return w;
}

function attributeProto(name: string, a: OnnxAttr): ProtoWriter {
  const w = new ProtoWriter().string(AttributeProto.name, name);
  switch (a.kind) {
    case 'float':
      w.float(AttributeProto.f, a.value).int(AttributeProto.type, AttributeType.FLOAT);
      break;
    case 'int':
      w.int(AttributeProto.i, a.value).int(AttributeProto.type, AttributeType.INT);
      break;
    case 'string':
      w.string(AttributeProto.s, a.value).int(AttributeProto.type, AttributeType.STRING);
      break;
    case 'tensor':
      w.message(AttributeProto.t, tensorProto(a.value)).int(AttributeProto.type, AttributeType.TENSOR);
      break;
    case 'floats':
      w.packedFloats(AttributeProto.floats, a.value).int(AttributeProto.type, AttributeType.FLOATS);
      break;
    case 'ints':
      w.packedInts(AttributeProto.ints, a.value).int(AttributeProto.type, AttributeType.INTS);
      break;
  }
  return w;
}

function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(NodeProto.input, i);
  for (const o of n.outputs) w.string(NodeProto.output, o);
  w.string(NodeProto.name, n.name).string(NodeProto.opType, n.op);
  for (const [k, a] of Object.entries(n.attrs ?? {})) w.message(NodeProto.attribute, attributeProto(k, a));
  return w;
}

function valueInfoProto(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    shape.message(TensorShapeProto.dim, typeof d === 'number' ? new ProtoWriter().int(Dimension.dimValue, d) : new ProtoWriter().string(Dimension.dimParam, d));
  }
  const tensorType = new ProtoWriter().int(TypeProtoTensor.elemType, v.type).message(TypeProtoTensor.shape, shape);
  const type = new ProtoWriter().message(TypeProto.tensorType, tensorType);
  return new ProtoWriter().string(ValueInfoProto.name, v.name).message(ValueInfoProto.type, type);
}

export function encodeModel(m: OnnxModel): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of m.nodes) graph.message(GraphProto.node, nodeProto(n));
  graph.string(GraphProto.name, m.graphName);
  for (const t of m.initializers) graph.message(GraphProto.initializer, tensorProto(t));
  for (const v of m.inputs) graph.message(GraphProto.input, valueInfoProto(v));
  for (const v of m.outputs) graph.message(GraphProto.output, valueInfoProto(v));

  const model = new ProtoWriter()
    .int(ModelProto.irVersion, IR_VERSION)
    .string(ModelProto.producerName, m.producer)
    .string(ModelProto.producerVersion, m.producerVersion)
    .string(ModelProto.docString, m.docString)
    .message(ModelProto.graph, graph)
    .message(ModelProto.opsetImport, new ProtoWriter().string(OperatorSetIdProto.domain, '').int(OperatorSetIdProto.version, m.opset));
  for (const [key, value] of Object.entries(m.metadata)) {
    model.message(ModelProto.metadataProps, new ProtoWriter().string(StringStringEntryProto.key, key).string(StringStringEntryProto.value, value));
  }
  return model.finish();
}

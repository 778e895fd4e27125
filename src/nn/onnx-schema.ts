// The ONNX protobuf schema as far as livecheck reads and writes it: field numbers of onnx/onnx.proto (IR version 7
// and later keep them), protobuf wire types and the TensorProto data types. One table for both sides: the runtime's
// reader (src/nn/onnx.ts) and the converter's writer (tools/convert/onnx.ts). Names are the proto field names in
// camelCase, as protobuf code generators spell them; a unit test checks every number against the schema
// onnxruntime-web generates from onnx.proto. The comment on each field is its proto type (which fixes its wire
// type: varint for integers and enums, fixed32 for float, length-delimited for strings, bytes, messages and packed
// repeated scalars).

/** Protobuf wire types (the low 3 bits of a field's key). */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

export const ModelProto = {
  /** int64 */ irVersion: 1,
  /** string */ producerName: 2,
  /** string */ producerVersion: 3,
  /** string */ domain: 4,
  /** int64 */ modelVersion: 5,
  /** string */ docString: 6,
  /** GraphProto */ graph: 7,
  /** repeated OperatorSetIdProto */ opsetImport: 8,
  /** repeated StringStringEntryProto */ metadataProps: 14,
} as const;

export const OperatorSetIdProto = {
  /** string ('' or 'ai.onnx': the default domain) */ domain: 1,
  /** int64 */ version: 2,
} as const;

export const StringStringEntryProto = {
  /** string */ key: 1,
  /** string */ value: 2,
} as const;

export const GraphProto = {
  /** repeated NodeProto */ node: 1,
  /** string */ name: 2,
  /** repeated TensorProto */ initializer: 5,
  /** string */ docString: 10,
  /** repeated ValueInfoProto */ input: 11,
  /** repeated ValueInfoProto */ output: 12,
  /** repeated ValueInfoProto */ valueInfo: 13,
  /** repeated SparseTensorProto */ sparseInitializer: 15,
} as const;

export const NodeProto = {
  /** repeated string */ input: 1,
  /** repeated string */ output: 2,
  /** string */ name: 3,
  /** string */ opType: 4,
  /** repeated AttributeProto */ attribute: 5,
  /** string */ docString: 6,
  /** string */ domain: 7,
} as const;

export const AttributeProto = {
  /** string */ name: 1,
  /** float */ f: 2,
  /** int64 */ i: 3,
  /** bytes */ s: 4,
  /** TensorProto */ t: 5,
  /** GraphProto */ g: 6,
  /** repeated float (packed) */ floats: 7,
  /** repeated int64 (packed) */ ints: 8,
  /** repeated bytes */ strings: 9,
  /** repeated TensorProto */ tensors: 10,
  /** repeated GraphProto */ graphs: 11,
  /** AttributeType */ type: 20,
} as const;

/** AttributeProto.AttributeType: which of the value fields an attribute carries. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

export const TensorProto = {
  /** repeated int64 (packed) */ dims: 1,
  /** int32 (DataType) */ dataType: 2,
  /** repeated float (packed) */ floatData: 4,
  /** repeated int32 (packed): int32, and the bits of float16, uint8, int8, bool... */ int32Data: 5,
  /** repeated bytes */ stringData: 6,
  /** repeated int64 (packed) */ int64Data: 7,
  /** string */ name: 8,
  /** bytes: little-endian element bytes */ rawData: 9,
  /** repeated double (packed) */ doubleData: 10,
  /** repeated uint64 (packed) */ uint64Data: 11,
  /** string */ docString: 12,
  /** repeated StringStringEntryProto */ externalData: 13,
  /** DataLocation */ dataLocation: 14,
} as const;

/** TensorProto.DataLocation. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** TensorProto.DataType. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export const ValueInfoProto = {
  /** string */ name: 1,
  /** TypeProto */ type: 2,
  /** string */ docString: 3,
} as const;

export const TypeProto = {
  /** TypeProto.Tensor (the only kind read or written here) */ tensorType: 1,
} as const;

/** TypeProto.Tensor. */
export const TypeProtoTensor = {
  /** int32 (DataType) */ elemType: 1,
  /** TensorShapeProto */ shape: 2,
} as const;

export const TensorShapeProto = {
  /** repeated Dimension */ dim: 1,
} as const;

/** TensorShapeProto.Dimension: a size or the name of a size left to run time. */
export const Dimension = {
  /** int64 */ dimValue: 1,
  /** string */ dimParam: 2,
} as const;

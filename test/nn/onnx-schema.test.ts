// src/nn/onnx-schema.ts against the ONNX schema onnxruntime-web generates from onnx.proto (protobufjs static
// code, read here as text): every field number, the wire type its proto type (the doc comment on each field) implies,
// and the enum values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as schema from '../../src/nn/onnx-schema.js';
import { repoRoot } from '../helpers/data.js';

const generated = readFileSync(join(repoRoot, 'node_modules', 'onnxruntime-web', 'lib', 'onnxjs', 'ort-schema', 'protobuf', 'onnx.js'), 'utf8');
const source = readFileSync(join(repoRoot, 'src', 'nn', 'onnx-schema.ts'), 'utf8');

/** Field name -> [number, wire type] of one generated message (its `encode` function). */
function reference(message: string): Map<string, [number, number]> {
  const start = generated.indexOf(` ${message}.encode = function encode(`);
  expect(start, `${message}.encode in onnxruntime-web's onnx.js`).toBeGreaterThan(0);
  const body = generated.slice(start, generated.indexOf('return writer;', start));
  const fields = new Map<string, [number, number]>();
  for (const m of body.matchAll(/if \(message\.(\w+) != null[\s\S]*?\/\* id (\d+), wireType (\d+)/g)) fields.set(m[1], [Number(m[2]), Number(m[3])]);
  return fields;
}

function referenceEnum(name: string): Map<string, number> {
  const start = generated.indexOf(`.${name} = (function () {`);
  expect(start, `enum ${name} in onnxruntime-web's onnx.js`).toBeGreaterThan(0);
  const body = generated.slice(start, generated.indexOf('return values;', start));
  return new Map([...body.matchAll(/valuesById\[(\d+)\] = '(\w+)'/g)].map((m) => [m[2], Number(m[1])]));
}

/** The wire type of a proto type as the schema's doc comment names it. */
function wireOf(protoType: string): number {
  if (protoType.startsWith('repeated') || /^(string|bytes|[A-Z]\w*Proto|TypeProto\.Tensor)\b/.test(protoType)) return schema.WireType.LEN;
  if (protoType === 'float') return schema.WireType.I32;
  return schema.WireType.VARINT; // int32, int64, and the enums (DataType, AttributeType, DataLocation)
}

/** Doc comment of each field of `name` in onnx-schema.ts. */
function commented(name: string): Map<string, string> {
  const start = source.indexOf(`export const ${name} = {`);
  const body = source.slice(start, source.indexOf('} as const;', start));
  return new Map([...body.matchAll(/\/\*\* (.*?) \*\/ (\w+):/g)].map((m) => [m[2], m[1].replace(/ \(.*$/, '').replace(/:.*$/, '')]));
}

const MESSAGES: Array<[keyof typeof schema, string]> = [
  ['ModelProto', 'ModelProto'],
  ['OperatorSetIdProto', 'OperatorSetIdProto'],
  ['StringStringEntryProto', 'StringStringEntryProto'],
  ['GraphProto', 'GraphProto'],
  ['NodeProto', 'NodeProto'],
  ['AttributeProto', 'AttributeProto'],
  ['TensorProto', 'TensorProto'],
  ['ValueInfoProto', 'ValueInfoProto'],
  ['TypeProto', 'TypeProto'],
  ['TypeProtoTensor', 'Tensor'],
  ['TensorShapeProto', 'TensorShapeProto'],
  ['Dimension', 'Dimension'],
];

describe('onnx-schema', () => {
  for (const [name, generatedName] of MESSAGES) {
    it(`${name}: field numbers and wire types as onnx.proto`, () => {
      const ref = reference(generatedName);
      const comments = commented(name);
      const fields = Object.entries(schema[name] as Record<string, number>);
      expect(fields.length).toBeGreaterThan(0);
      for (const [field, number] of fields) {
        expect(ref.get(field)?.[0], `${name}.${field}`).toBe(number);
        expect(comments.get(field), `${name}.${field} has its proto type as a doc comment`).toBeDefined();
        expect(wireOf(comments.get(field)!), `${name}.${field} (${comments.get(field)}) wire type`).toBe(ref.get(field)?.[1]);
      }
    });
  }

  it('DataType, AttributeType and DataLocation values as onnx.proto', () => {
    for (const [name, values] of [
      ['DataType', schema.DataType],
      ['AttributeType', schema.AttributeType],
      ['DataLocation', schema.DataLocation],
    ] as const) {
      const ref = referenceEnum(name);
      for (const [k, v] of Object.entries(values)) expect(ref.get(k), `${name}.${k}`).toBe(v);
    }
  });
});

/**
 * `node build/tools/convert.mjs <model.json> <out.onnx> [--weights float16|float32|uint8]`: converts one TFJS graph model
 * and prints a JSON summary (interface, sizes, sha256). tools/build-models.mjs bundles this file and calls
 * `convertFile` for every model it builds.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LivecheckError } from '../../src/errors.js';
import { convertTfGraph } from './convert.js';
import type { ConvertOptions, ConvertedTensorInfo } from './convert.js';
import { readTfGraph } from './tfjs-graph.js';

export { convertTfGraph } from './convert.js';
export { parseTfGraph, readTfGraph } from './tfjs-graph.js';
export { MODELS, convertOptions } from './models.js';
export { buildFaceRecOnnx } from './facerec.js';

export interface ConvertFileSummary {
  source: string;
  output: string;
  bytes: number;
  sha256: string;
  inputs: ConvertedTensorInfo[];
  outputs: ConvertedTensorInfo[];
  tfOps: Record<string, number>;
  weightBytes: Record<string, number>;
  onnxNodes: number;
}

export function convertFile(jsonPath: string, outPath: string, opts: ConvertOptions = {}): ConvertFileSummary {
  const graph = readTfGraph(jsonPath);
  const r = convertTfGraph(graph, opts);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, r.bytes);
  return {
    source: jsonPath,
    output: outPath,
    bytes: r.bytes.length,
    sha256: createHash('sha256').update(r.bytes).digest('hex'),
    inputs: r.inputs,
    outputs: r.outputs,
    tfOps: r.tfOps,
    weightBytes: r.weightBytes,
    onnxNodes: r.model.nodes.length,
  };
}

function main(argv: string[]): number {
  const pos = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const flag = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (pos.length !== 2) {
    console.error('usage: convert <model.json> <out.onnx> [--weights float16|float32|uint8] [--batch N|dynamic]');
    return 2;
  }
  const weights = flag('--weights') ?? 'float16';
  if (weights !== 'float16' && weights !== 'float32' && weights !== 'uint8') {
    console.error(`--weights must be float16, float32 or uint8, got ${weights}`);
    return 2;
  }
  try {
    const batch = flag('--batch') ?? '1';
    if (batch !== 'dynamic' && !(Number(batch) >= 1)) {
      console.error(`--batch must be a positive number or dynamic, got ${batch}`);
      return 2;
    }
    const summary = convertFile(pos[0], pos[1], { weights, batch: batch === 'dynamic' ? 'dynamic' : Number(batch) });
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof LivecheckError) {
      console.error(`${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));

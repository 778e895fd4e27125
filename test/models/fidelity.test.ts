// Fidelity of the converted models: onnxruntime-web (Node, wasm) against TensorFlow.js 4.22 (CPU backend) running
// the original graphs from the same package files, on seeded random input and on real face crops.
//
// Two bounds, both set from measurement (numbers in models/README.md and test-results/models-fidelity.json):
// - float32 conversion (weights unchanged): only float32 summation-order noise. Seen <= 1.5e-4 on FaceMesh outputs
//   up to ~160 and 9.8e-4 on BlazeFace logits up to ~1500, i.e. <= 1.3e-6 relative to the output's magnitude.
//   Bound: 2.5e-4 + 2e-6 x max|output| (the 2.5e-4 an earlier fp32 converter met on outputs up to ~185, and about
//   2x headroom over the worst relative error seen).
// - shipped files (float16 weights): adds the weight rounding, relative 2^-11 ~ 4.9e-4 per weight. Seen <= 8.1e-3
//   crop pixels on iris (outputs up to ~55 px in a 64 px crop) and <= 7.1e-5 on probabilities. Bound: 2.5e-4 +
//   5e-4 x max|output| (one float16 rounding of the output's scale), ~3x over the worst seen: at most 0.08 px on a
//   192 px FaceMesh crop and 0.03 px on a 64 px iris crop, far under the landmark accuracy the pipeline needs
//   (normalised mean error 0.05, i.e. several pixels).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { convertTfGraph } from '../../tools/convert/convert.js';
import { MODELS, convertOptions } from '../../tools/convert/models.js';
import type { ModelSpec } from '../../tools/convert/models.js';
import { readTfGraph } from '../../tools/convert/tfjs-graph.js';
import type { TfGraph } from '../../tools/convert/tfjs-graph.js';
import { data, repoRoot, requireData } from '../helpers/data.js';
import { loadTfjs, maxAbs, maxAbsDiff, ortSession, realFaceCases, runOrt, runTfjs, seededUniform, shippedModel } from './harness.js';
import type { Case } from './harness.js';

const boundF32 = (refMax: number) => 2.5e-4 + 2e-6 * refMax;
const boundShipped = (refMax: number) => 2.5e-4 + 5e-4 * refMax;

const modelsDir = join(repoRoot, 'models');
const manifest = () =>
  JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')) as {
    models: Record<string, { sha256: string; bytes: number; inputs: { name: string; shape: number[] }[] }>;
  };
const shipped = shippedModel;

const report: Record<string, unknown> = {};
let realCases: Map<string, Case[]>;

beforeAll(async () => {
  realCases = await realFaceCases(shipped('blazeface-back'));
});

afterAll(() => {
  const dir = join(repoRoot, 'test-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'models-fidelity.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`fidelity report: ${join(dir, 'models-fidelity.json')}`);
});

describe('shipped files', () => {
  test('every model file matches models/manifest.json, and detector + mesh + iris fit in 4 MB', () => {
    const m = manifest();
    for (const spec of MODELS) {
      const bytes = shipped(spec.name);
      expect(createHash('sha256').update(bytes).digest('hex'), spec.name).toBe(m.models[spec.name].sha256);
    }
    const core = ['blazeface', 'facemesh', 'iris'].reduce((s, n) => s + shipped(n).length, 0);
    report.coreBytes = core;
    expect(core).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  test.each(MODELS.filter((m) => m.kind === 'convert').map((m) => [m.name, m] as const))('%s: the build is deterministic (file = fresh conversion of the package files)', (_, spec) => {
    const fresh = convertTfGraph(readTfGraph(join(repoRoot, spec.sources[0])), convertOptions(spec));
    expect(Buffer.compare(Buffer.from(fresh.bytes), shipped(spec.name))).toBe(0);
  });
});

async function compare(spec: ModelSpec, graph: TfGraph, session: ort.InferenceSession, cases: Case[], shape: number[]) {
  const tfm = await loadTfjs(join(repoRoot, spec.sources[0]));
  const rows: { input: string; output: string; diff: number; refMax: number }[] = [];
  for (const c of cases) {
    const ref = runTfjs(tfm, graph, c.input, shape);
    const got = await runOrt(session, c.input, shape);
    // the outputs the spec keeps (FaceMesh's unused lip contours are left out of the file)
    for (const o of graph.outputs.filter((o) => !spec.outputs || spec.outputs.includes(o.key))) {
      expect(got[o.key], `output ${o.key}`).toBeDefined();
      rows.push({ input: c.label, output: o.key, diff: maxAbsDiff(ref[o.key], got[o.key]), refMax: maxAbs(ref[o.key]) });
    }
  }
  tfm.dispose();
  return rows;
}

describe.each(MODELS.filter((m) => m.kind === 'convert').map((m) => [m.name, m] as const))('%s vs tfjs', (name, spec) => {
  let graph: TfGraph;
  let shape: number[];
  let cases: Case[];

  beforeAll(() => {
    graph = readTfGraph(join(repoRoot, spec.sources[0]));
    shape = graph.inputs[0].shape.map((d) => (d < 0 ? 1 : d));
    const n = shape.reduce((a, b) => a * b, 1);
    cases = [{ label: 'seeded uniform', input: seededUniform(0x5eed + n, n, spec.inputRange[0], spec.inputRange[1]) }, ...realCases.get(name)!];
  });

  test('float32 conversion matches within 2.5e-4 + 2e-6 x max|output|', async () => {
    const session = await ortSession(convertTfGraph(graph, { ...convertOptions(spec), weights: 'float32' }).bytes);
    const rows = await compare(spec, graph, session, cases, shape);
    await session.release();
    const worst = Math.max(...rows.map((r) => r.diff));
    report[`${name}/float32`] = { maxAbsDiff: worst, rows };
    console.log(`${name} float32: max abs diff ${worst.toExponential(2)} (${rows.length} outputs)`);
    for (const r of rows) expect(r.diff, `${r.input} ${r.output}`).toBeLessThanOrEqual(boundF32(r.refMax));
  });

  test('shipped file (float16 weights) matches within 2.5e-4 + 5e-4 x max|output|', async () => {
    const session = await ortSession(shipped(name));
    const rows = await compare(spec, graph, session, cases, shape);
    await session.release();
    const worst = Math.max(...rows.map((r) => r.diff));
    report[`${name}/shipped`] = { maxAbsDiff: worst, rows };
    console.log(`${name} shipped: max abs diff ${worst.toExponential(2)} (${rows.map((r) => `${r.output} ${r.diff.toExponential(1)}/${r.refMax.toFixed(2)}`).join(', ')})`);
    for (const r of rows) expect(r.diff, `${r.input} ${r.output}`).toBeLessThanOrEqual(boundShipped(r.refMax));
  });
});

describe('real crops are what they claim to be (so the fidelity above covers real faces)', () => {
  test('facemesh on the face crops reports a face; its mesh lies inside the crop', async () => {
    const session = await ortSession(shipped('facemesh'));
    for (const c of realCases.get('facemesh')!) {
      const out = await runOrt(session, c.input, [1, 192, 192, 3]);
      expect(out.output_faceflag[0], c.label).toBeGreaterThan(0.9);
      const mesh = out.output_mesh;
      for (let i = 0; i < 468; i++) {
        expect(mesh[i * 3], c.label).toBeGreaterThan(0);
        expect(mesh[i * 3], c.label).toBeLessThan(192);
        expect(mesh[i * 3 + 1], c.label).toBeGreaterThan(0);
        expect(mesh[i * 3 + 1], c.label).toBeLessThan(192);
      }
    }
    await session.release();
  });

  test("our blazeface-back agrees with keijiro's independent ONNX conversion on real photos", async () => {
    requireData(data.blazefaceBack256);
    const ours = await ortSession(shipped('blazeface-back'));
    const theirs = await ortSession(readFileSync(data.blazefaceBack256));
    const rows: { input: string; output: string; diff: number; refMax: number }[] = [];
    for (const c of realCases.get('blazeface-back')!) {
      const a = await runOrt(ours, c.input, [1, 256, 256, 3]);
      const b = await runOrt(theirs, c.input, [1, 256, 256, 3]);
      for (const k of theirs.outputNames) rows.push({ input: c.label, output: k, diff: maxAbsDiff(a[k], b[k]), refMax: maxAbs(b[k]) });
    }
    report['blazeface-back/vs-keijiro'] = rows;
    console.log(`blazeface-back vs keijiro: max abs diff ${Math.max(...rows.map((r) => r.diff)).toExponential(2)}`);
    for (const r of rows) expect(r.diff, `${r.input} ${r.output}`).toBeLessThanOrEqual(boundShipped(r.refMax));
    await ours.release();
    await theirs.release();
  });
});

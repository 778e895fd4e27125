// Converter options and lowerings that exist for speed on onnxruntime's CPU/wasm EP, on the real FaceMesh graph:
// heads as Gemm, dropped outputs, a dynamic batch. (Numerical fidelity against tfjs: fidelity.test.ts.)
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LivecheckError } from '../../src/errors.js';
import { convertTfGraph } from '../../tools/convert/convert.js';
import { readTfGraph } from '../../tools/convert/tfjs-graph.js';
import { repoRoot } from '../helpers/data.js';
import { maxAbsDiff, ortSession, runOrt, seededUniform } from './harness.js';

const facemesh = () => readTfGraph(join(repoRoot, 'node_modules', '@vladmandic', 'human', 'models', 'facemesh.json'));
const N = 192 * 192 * 3;

describe('converter options for speed (FaceMesh)', () => {
  test('convs whose window covers their whole input become Gemm; no such Conv is left', () => {
    const { model } = convertTfGraph(facemesh(), { weights: 'float16' });
    // mesh (1404), face flag (1) and lip contours (266): each a 3x3 conv over a 3x3 map
    expect(model.nodes.filter((n) => n.op === 'Gemm')).toHaveLength(3);
    const whole = model.nodes.filter(
      (n) => n.op === 'Conv' && n.attrs?.kernel_shape?.kind === 'ints' && n.attrs.kernel_shape.value.join() === '3,3' && n.attrs.strides?.kind === 'ints' && n.attrs.strides.value.join() === '3,3',
    );
    expect(whole).toHaveLength(0);
  });

  test('outputs: only the kept outputs, with fewer nodes; an unknown name fails naming it', async () => {
    const all = convertTfGraph(facemesh(), { weights: 'float16' });
    const kept = convertTfGraph(facemesh(), { weights: 'float16', outputs: ['output_mesh', 'output_faceflag'] });
    expect(kept.outputs.map((o) => o.name).sort()).toEqual(['output_faceflag', 'output_mesh']);
    expect(kept.model.nodes.length).toBeLessThan(all.model.nodes.length - 10);
    // the kept outputs are the same numbers as in the full graph
    const input = seededUniform(7, N, 0, 1);
    const [sa, sb] = await Promise.all([ortSession(all.bytes), ortSession(kept.bytes)]);
    const a = await runOrt(sa, input, [1, 192, 192, 3]);
    const b = await runOrt(sb, input, [1, 192, 192, 3]);
    await Promise.all([sa.release(), sb.release()]);
    expect(maxAbsDiff(a.output_mesh, b.output_mesh)).toBe(0);
    let error: unknown;
    try {
      convertTfGraph(facemesh(), { outputs: ['output_mesh', 'output_lips'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LivecheckError);
    expect((error as LivecheckError).code).toBe('invalid-argument');
    expect((error as Error).message).toContain('output_lips');
  });

  test('batch "dynamic": the interface names the batch, Reshapes keep it, and a batch of 2 = two runs of 1', async () => {
    const r = convertTfGraph(facemesh(), { weights: 'float16', batch: 'dynamic', outputs: ['output_mesh'] });
    expect(r.inputs[0].shape).toEqual([-1, 192, 192, 3]);
    expect(r.outputs[0].shape).toEqual([-1, 1404]);
    const session = await ortSession(r.bytes);
    const x1 = seededUniform(11, N, 0, 1),
      x2 = seededUniform(12, N, 0, 1);
    const pair = new Float32Array(2 * N);
    pair.set(x1);
    pair.set(x2, N);
    const both = (await runOrt(session, pair, [2, 192, 192, 3])).output_mesh;
    expect(both).toHaveLength(2 * 1404);
    const one = (await runOrt(session, x1, [1, 192, 192, 3])).output_mesh,
      two = (await runOrt(session, x2, [1, 192, 192, 3])).output_mesh;
    expect(maxAbsDiff(both.subarray(0, 1404), one)).toBeLessThan(1e-3);
    expect(maxAbsDiff(both.subarray(1404), two)).toBeLessThan(1e-3);
    // the two inputs differ, so a mix-up between batch items would show
    expect(maxAbsDiff(one, two)).toBeGreaterThan(0.1);
    await session.release();
  });
});

// `livecheck analyze` runs the identity check (FaceRecognitionNet every 5th frame with a frontal face, against the
// face at the start): on the face-swap variant (franck for 3 s, then cap13) the person changes at 3 s and, with a
// plan, the verdict is `fail` whatever the three signals say; on a clean clip of one person it stays unchanged.
// --no-identity leaves the check out; without models/facerec.onnx the report says the check did not run.
import { mkdtempSync, rmSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../src/cli/index.js';
import type { AnalyzeReport } from '../../src/node/analyze.js';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/decision/index.js';
import { requireModels } from '../face/engine.js';
import { ensureVariants, repoRoot } from '../helpers/data.js';

const SWAP_AT_MS = 3000; // face-swap: franck 18-21 s, then cap13 0-3 s (tools/make-variants.mjs)

async function analyzeJson(args: string[]): Promise<AnalyzeReport> {
  const out: string[] = [],
    err: string[] = [];
  const code = await runCli(['analyze', ...args, '--json'], { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  expect(code, err.join('\n')).toBe(EXIT.ok);
  return JSON.parse(out.join('\n')) as AnalyzeReport;
}

function consensus(r: AnalyzeReport): string {
  const v = Object.values(r.signals!).map((s) => s.verdict);
  if (v.every((x) => x === 'live')) return 'pass';
  if (v.every((x) => x === 'spoof')) return 'fail';
  return 'review';
}

let tmp: string | null = null;
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('analyze: identity continuity', () => {
  it('face-swap with a plan: identity changed about 3 s in, verdict fail; the same run without the check does not say fail', async () => {
    requireModels();
    const [swap] = await ensureVariants(['face-swap']);
    const r = await analyzeJson([swap.path, '--plan', 'blink,turn-left']);
    console.log(
      `face-swap: identity ${JSON.stringify(r.identity)}, verdict ${r.verdict}, signals ${Object.entries(r.signals!)
        .map(([k, s]) => `${k} ${s.verdict} ${s.score}`)
        .join(', ')}`,
    );
    expect(Object.keys(r)).toEqual(['file', 'width', 'height', 'fps', 'frames', 'events', 'guidance', 'frames_skipped', 'signals', 'identity', 'verdict', 'reasons']);
    const id = r.identity!;
    expect(r.reasons!.map((x) => x.code)).toContain('identity-changed');
    expect(id.changed).toBe(true);
    expect(id.reason).toBe('identity-changed');
    expect(id.threshold).toBe(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(id.maxDistance!).toBeGreaterThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(id.peakDistance!).toBeGreaterThanOrEqual(id.maxDistance!);
    // the reference is the first person: the change is found after the splice, within about a second of it
    expect(id.changed_at_ms!).toBeGreaterThanOrEqual(SWAP_AT_MS);
    expect(id.changed_at_ms!).toBeLessThan(SWAP_AT_MS + 1200);
    // every 5th frame with a face at most, and the two people both read more than twice (6 s at 25 fps)
    expect(id.readings).toBeLessThanOrEqual(Math.ceil(r.frames / 5));
    expect(id.readings).toBeGreaterThan(6);
    expect(r.verdict).toBe('fail');

    const off = await analyzeJson([swap.path, '--plan', 'blink,turn-left', '--no-identity']);
    expect(off.identity).toBeUndefined();
    expect(off.verdict).toBe(consensus(off));
    // the signals are the same run's; only the identity check turns the verdict into fail
    expect(off.signals).toEqual(r.signals);
    expect(off.verdict).not.toBe('fail');
  }, 600_000);

  it('a clean clip of one person: identity unchanged, no reason, the verdict is the consensus', async () => {
    requireModels();
    const [clean] = await ensureVariants(['clean-cap13']);
    const r = await analyzeJson([clean.path, '--plan', 'mouth-open']);
    console.log(`clean-cap13: identity ${JSON.stringify(r.identity)}, verdict ${r.verdict}`);
    const id = r.identity!;
    expect(id.changed).toBe(false);
    expect(id.reason).toBeUndefined();
    expect(id.changed_at_ms).toBeNull();
    expect(id.readings).toBeGreaterThan(6);
    expect(id.maxDistance!).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(r.verdict).toBe(consensus(r));
  }, 600_000);

  it('without facerec.onnx the check does not run and says so; the readable summary names the identity', async () => {
    requireModels();
    const [clean] = await ensureVariants(['clean-cap13']);
    tmp = mkdtempSync(join(tmpdir(), 'livecheck-noid-'));
    const models = resolve(repoRoot, 'models');
    for (const f of readdirSync(models)) if (f !== 'facerec.onnx') symlinkSync(join(models, f), join(tmp, f));
    const r = await analyzeJson([clean.path, '--max-frames', '20', '--models', tmp]);
    expect(r.identity).toEqual({ changed: false, maxDistance: null, peakDistance: null, threshold: DEFAULT_IDENTITY_CONFIG.maxDistance, readings: 0, changed_at_ms: null, reason: 'model-missing' });
    const out: string[] = [];
    expect(await runCli(['analyze', clean.path, '--max-frames', '8'], { stdout: (t) => out.push(t), stderr: () => {} })).toBe(EXIT.ok);
    // 8 frames: readings on the 1st and 6th frame with a face make the reference, none is left to judge
    expect(out.join('\n')).toMatch(/\nidentity: unknown \(too few frontal readings\) \(\d readings, sustained distance -, limit 0\.45\)/);
  }, 600_000);
});

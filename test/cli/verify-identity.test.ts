// The identity check at the server: `livecheck analyze --evidence` claims the continuity the browser would (the
// verdict after the identity check, the one `--json` prints), and `livecheck verify` runs the identity check itself
// on the capture video (FaceRecognitionNet on the decoded frames), by default, or not with --no-identity: the
// configHash tells the two apart. A client that claims a swap away is overruled by what the video shows. Real clips:
// the face-swap variant (franck for 3 s, then cap13: tools/make-variants.mjs) and 3 s of clean-cap13.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../src/cli/index.js';
import type { AnalyzeReport } from '../../src/node/analyze.js';
import type { EvidenceBundle, ResultRecord } from '../../src/evidence/bundle.js';
import { rechain } from '../helpers/forge.js';
import { canonicalJson } from '../../src/evidence/canonical.js';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/decision/identity.js';
import { requireModels } from '../face/engine.js';
import { ensureVariants, repoRoot } from '../helpers/data.js';

const NONCE = '1d3e7a0b5c9f24681d3e7a0b5c9f2468';
const SWAP_AT_MS = 3000;
// 4.4 s at 25 fps: the change (2 far readings) is found within about a second of the splice
const SWAP_FRAMES = '110';
const CLEAN_FRAMES = '75';

type Report = { ok: boolean; verdict: string; reasons: Array<{ code: string; message: string }>; checks: Array<{ name: string; ok: boolean; detail: string }> };
const failed = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => c.name);
const resultOf = (b: EvidenceBundle) => b.records.find((r): r is ResultRecord => r.type === 'result')!;
const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

async function cli(args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await runCli(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let dir: string;
let meta: string;
let swapPath: string;
let cleanPath: string;

/** analyze --evidence --json: the report and the bundle it wrote. */
async function capture(video: string, plan: string, frames: string, name: string, extra: string[] = []): Promise<{ report: AnalyzeReport; bundle: EvidenceBundle; file: string }> {
  const file = join(dir, `${name}.json`);
  const r = await cli(['analyze', video, '--plan', plan, '--nonce', NONCE, '--document', meta, '--evidence', file, '--max-frames', frames, '--json', ...extra]);
  expect(r.code, r.stderr).toBe(EXIT.ok);
  return { report: JSON.parse(r.stdout) as AnalyzeReport, bundle: JSON.parse(readFileSync(file, 'utf8')) as EvidenceBundle, file };
}

async function verify(file: string, plan: string, extra: string[] = []): Promise<{ code: number; report: Report }> {
  const r = await cli(['verify', file, '--nonce', NONCE, '--document', meta, '--plan', plan, '--json', ...extra]);
  expect(r.code, r.stderr).not.toBe(EXIT.usage);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

beforeAll(async () => {
  requireModels();
  const [swap, clean] = await ensureVariants(['face-swap', 'clean-cap13']);
  swapPath = swap.path;
  cleanPath = clean.path;
  dir = mkdtempSync(join(tmpdir(), 'livecheck-verify-identity-'));
  meta = join(dir, 'document.json');
  writeFileSync(meta, JSON.stringify({ type: 'passport', country: 'FR', uploadedAt: Date.now() - 5 * 60_000 }));
}, 600_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('analyze --evidence with the identity check, then verify', () => {
  it('face-swap: the client claims the change and fail; the server sees the change in the video itself and fails it; a claim edited to hide it is overruled', async () => {
    const t0 = performance.now();
    const { report, bundle, file } = await capture(swapPath, 'blink,turn-left', SWAP_FRAMES, 'swap');
    const tAnalyze = performance.now() - t0;
    const claim = resultOf(bundle);
    console.log(
      `swap: --json identity ${JSON.stringify(report.identity)} verdict ${report.verdict}; claim ${JSON.stringify(claim.identity)}; bundle ${readFileSync(file).length} bytes, analyze ${(tAnalyze / 1000).toFixed(1)} s`,
    );
    expect(bundle.version).toBe(4);
    expect(claim.identity!.verdict).toBe('changed');
    expect(claim.identity!.changedAtMs!).toBeGreaterThanOrEqual(SWAP_AT_MS);
    expect(claim.identity!.changedAtMs!).toBeLessThan(SWAP_AT_MS + 1200);
    expect(claim.verdict).toBe('fail');
    // the signals alone would not fail it (fail needs all three spoof): the identity check does
    expect(Object.values(claim.signals).some((x) => x && x.verdict !== 'spoof')).toBe(true);
    expect(report.verdict).toBe(claim.verdict);
    expect(report.identity!.changed).toBe(true);
    expect(report.identity!.maxDistance).toBe(r3(claim.identity!.distance));

    const t1 = performance.now();
    const v = await verify(file, 'blink,turn-left');
    const reanalysis = v.report.checks.find((c) => c.name === 'video-reanalysis')!;
    console.log(`swap verify (${((performance.now() - t1) / 1000).toFixed(1)} s): ${reanalysis.detail}; failed ${JSON.stringify(failed(v.report))}`);
    expect(v.report.verdict).toBe('fail');
    expect(v.report.reasons.map((r) => r.code)).toContain('identity-changed');
    expect(v.code).toBe(EXIT.failed);

    // the claim edited to a continuous identity and a pass, re-chained: the server's verdict is its own
    const forged = JSON.parse(readFileSync(file, 'utf8')) as EvidenceBundle;
    const r = resultOf(forged);
    r.verdict = 'pass';
    r.identity = { verdict: 'unchanged', distance: 0.3, peakDistance: 0.35, changedAtMs: null, readings: r.identity!.readings };
    const forgedFile = join(dir, 'swap-forged.json');
    writeFileSync(forgedFile, canonicalJson(await rechain(forged)));
    const f = await verify(forgedFile, 'blink,turn-left');
    expect(f.report.verdict).toBe('fail');
    expect(f.report.reasons.map((x) => x.code)).toContain('identity-changed');
    const agreement = f.report.checks.find((c) => c.name === 'client-agreement')!;
    expect(agreement.ok).toBe(false);
    expect(agreement.detail).toMatch(/the client claims pass, the server sees fail/);
  }, 600_000);

  it('clean-cap13: one person throughout, at the client and at the server; --no-identity bundles and servers are told apart by version', async () => {
    const { report, bundle, file } = await capture(cleanPath, 'mouth-open', CLEAN_FRAMES, 'clean');
    const claim = resultOf(bundle);
    console.log(`clean: --json identity ${JSON.stringify(report.identity)} verdict ${report.verdict}; claim ${JSON.stringify(claim.identity)} verdict ${claim.verdict}`);
    expect(claim.identity!.verdict).toBe('unchanged');
    expect(claim.identity!.distance!).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(report.verdict).toBe(claim.verdict);
    const v = await verify(file, 'mouth-open');
    console.log(`clean verify: verdict ${v.report.verdict}; failed ${JSON.stringify(v.report.checks.filter((c) => !c.ok))}`);
    expect(v.report.reasons.map((r) => r.code)).not.toContain('identity-changed');
    expect(v.report.reasons.map((r) => r.code)).toContain('identity-continuous');
    for (const name of ['format', 'version', 'chain', 'nonce', 'plan', 'document', 'timestamps', 'video', 'keyframes', 'video-reanalysis']) {
      expect(v.report.checks.find((c) => c.name === name)!.ok, name).toBe(true);
    }

    // the same capture without the check: no claimed identity, and its own configuration hash
    const off = await capture(cleanPath, 'mouth-open', CLEAN_FRAMES, 'clean-off', ['--no-identity']);
    expect(resultOf(off.bundle).identity).toBeNull();
    expect(off.bundle.genesis.configHash).not.toBe(bundle.genesis.configHash);
    // verified as a capture with the check (the default): rejected, the configuration named by `version`
    const strict = await verify(off.file, 'mouth-open');
    expect(failed(strict.report)).toContain('version');
    expect(strict.report.verdict).toBe('fail');
    expect(strict.code).toBe(EXIT.failed);
    // verified the way it was captured: the binding checks pass and the server runs without the identity check
    const loose = await verify(off.file, 'mouth-open', ['--no-identity']);
    expect(failed(loose.report)).not.toContain('version');
    expect(loose.report.checks.find((c) => c.name === 'video-reanalysis')!.ok).toBe(true);
    expect(loose.report.reasons.map((r) => r.code)).not.toContain('identity-continuous');
  }, 600_000);

  it('without facerec.onnx, --evidence with the check refuses (model-missing, exit 2, no bundle) rather than record a bundle without it; --no-identity records', async () => {
    const models = join(dir, 'models-no-facerec');
    mkdirSync(models);
    for (const f of readdirSync(resolve(repoRoot, 'models'))) if (f !== 'facerec.onnx') symlinkSync(join(resolve(repoRoot, 'models'), f), join(models, f));
    const file = join(dir, 'no-model.json');
    const args = ['analyze', cleanPath, '--plan', 'mouth-open', '--nonce', NONCE, '--document', meta, '--evidence', file, '--max-frames', '10', '--models', models, '--json'];
    const r = await cli(args);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/facerec\.onnx.*--no-identity/);
    expect(existsSync(file)).toBe(false);
    const off = await cli([...args, '--no-identity']);
    expect(off.code, off.stderr).toBe(EXIT.ok);
    expect(resultOf(JSON.parse(readFileSync(file, 'utf8')) as EvidenceBundle).identity).toBeNull();
  }, 600_000);
});

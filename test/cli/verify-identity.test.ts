// `livecheck analyze --evidence` records the identity check as the browser does (format 3: the sampling rule's faces
// as 150x150 JPEG chips and the claimed continuity), so its bundle claims the verdict after the identity check, the
// one `--json` prints; `livecheck verify` replays the identity (identity-replay) by default and with --no-identity
// expects a capture without it, the configHash telling the two apart. Real clips: the face-swap variant (franck for
// 3 s, then cap13: tools/make-variants.mjs) cut at 4.4 s and at 5 s, and 3 s of clean-cap13.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../src/cli/index.js';
import type { AnalyzeReport } from '../../src/node/analyze.js';
import type { EvidenceBundle, FrameRecord, IdentityRecord, KeyframeRecord, ResultRecord } from '../../src/evidence/bundle.js';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/decision/identity.js';
import { requireModels } from '../face/engine.js';
import { ensureVariants, repoRoot } from '../helpers/data.js';

const NONCE = '1d3e7a0b5c9f24681d3e7a0b5c9f2468';
const SWAP_AT_MS = 3000;
// 4.4 s at 25 fps: the change (2 far readings) is found within about a second of the splice, and the keyframes of
// the two steps (at 1/3 and 2/3 of the clip, the steps not being done) both fall before it
const SWAP_FRAMES = '110';
const CLEAN_FRAMES = '75';

type Report = { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }>; verdict: string | null };
const failed = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => c.name);
const resultOf = (b: EvidenceBundle) => b.records.find((r): r is ResultRecord => r.type === 'result')!;
const chipsOf = (b: EvidenceBundle) => b.records.filter((r): r is IdentityRecord => r.type === 'identity');
/** The frame times of the keyframes, ms. */
const keyframeTimes = (b: EvidenceBundle) => b.records.filter((r): r is KeyframeRecord => r.type === 'keyframe').map((k) => (b.records[k.frameSeq] as FrameRecord).t);
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
  it('face-swap: the bundle claims identity changed and verdict fail, as --json prints; verify passes every check, identity-replay included', async () => {
    const t0 = performance.now();
    const { report, bundle, file } = await capture(swapPath, 'blink,turn-left', SWAP_FRAMES, 'swap');
    const tAnalyze = performance.now() - t0;
    const claim = resultOf(bundle);
    const chips = chipsOf(bundle);
    console.log(
      `swap: --json identity ${JSON.stringify(report.identity)} verdict ${report.verdict}; claim ${JSON.stringify(claim.identity)} verdict ${claim.verdict}; ${chips.length} chips, bundle ${readFileSync(file).length} bytes, analyze ${(tAnalyze / 1000).toFixed(1)} s`,
    );
    expect(bundle.version).toBe(3);
    expect(claim.identity!.verdict).toBe('changed');
    expect(claim.identity!.changedAtMs!).toBeGreaterThanOrEqual(SWAP_AT_MS);
    expect(claim.identity!.changedAtMs!).toBeLessThan(SWAP_AT_MS + 1200);
    expect(claim.verdict).toBe('fail');
    // the signals alone would not fail it (fail needs all three spoof): the identity check does
    expect(Object.values(claim.signals).some((x) => x && x.verdict !== 'spoof')).toBe(true);
    // --json prints the capture's own judgement: the same readings, distances and verdict as the claim
    expect(report.verdict).toBe(claim.verdict);
    expect(report.identity!.changed).toBe(true);
    expect(report.identity!.reason).toBe('identity-changed');
    expect(report.identity!.readings).toBe(claim.identity!.readings);
    expect(report.identity!.maxDistance).toBe(r3(claim.identity!.distance));
    expect(report.identity!.changed_at_ms).toBe(claim.identity!.changedAtMs);
    expect(chips.length).toBe(claim.identity!.readings);
    expect(chips.length).toBeGreaterThan(6);
    for (const c of chips) expect([c.width, c.height, c.mime, bundle.records[c.frameSeq].type]).toEqual([150, 150, 'image/jpeg', 'frame']);

    // without --evidence analyze describes the same frames with its own sampler (the face warped from the whole
    // frame rather than from the 8-bit chip): the same schedule, the same finding
    const plain = JSON.parse((await cli(['analyze', swapPath, '--plan', 'blink,turn-left', '--nonce', NONCE, '--max-frames', SWAP_FRAMES, '--json'])).stdout) as AnalyzeReport;
    console.log(`swap without --evidence: identity ${JSON.stringify(plain.identity)} verdict ${plain.verdict}`);
    expect(plain.verdict).toBe('fail');
    expect(plain.identity!.readings).toBe(report.identity!.readings);
    expect(plain.identity!.changed_at_ms).toBe(report.identity!.changed_at_ms);
    expect(Math.abs(plain.identity!.maxDistance! - report.identity!.maxDistance!)).toBeLessThan(0.05);

    const t1 = performance.now();
    const v = await verify(file, 'blink,turn-left');
    const idCheck = v.report.checks.find((c) => c.name === 'identity-replay')!;
    console.log(`swap verify (${((performance.now() - t1) / 1000).toFixed(1)} s): ${idCheck.detail}; keyframes at ${keyframeTimes(bundle).join(', ')} ms`);
    // the keyframes show franck only, so face-consistency cannot see the swap: identity-replay replays it
    for (const t of keyframeTimes(bundle)) expect(t).toBeLessThan(SWAP_AT_MS);
    expect(failed(v.report), JSON.stringify(v.report.checks)).toEqual([]);
    expect(idCheck.ok).toBe(true);
    expect(idCheck.detail).toMatch(/re-described: changed/);
    expect(v.report.verdict).toBe('fail');
    expect(v.code).toBe(EXIT.ok);
  }, 600_000);

  it('face-swap cut at 5 s: a keyframe falls after the splice, so face-consistency rejects the bundle too; identity-replay and the fail verdict still replay', async () => {
    const { bundle, file } = await capture(swapPath, 'blink,turn-left', '125', 'swap-5s');
    const times = keyframeTimes(bundle);
    expect(times[0]).toBeLessThan(SWAP_AT_MS);
    expect(times[1]).toBeGreaterThanOrEqual(SWAP_AT_MS);
    const v = await verify(file, 'blink,turn-left');
    console.log(`swap 5 s: keyframes at ${times.join(', ')} ms; failed ${JSON.stringify(v.report.checks.filter((c) => !c.ok))}`);
    expect(failed(v.report)).toEqual(['face-consistency']);
    expect(resultOf(bundle).verdict).toBe('fail');
    expect(v.report.verdict).toBe('fail');
    expect(v.code).toBe(EXIT.failed);
  }, 600_000);

  it('clean-cap13: one person throughout; the bundle verifies with every check ok; --no-identity bundles and verifies are told apart by version', async () => {
    const { report, bundle, file } = await capture(cleanPath, 'mouth-open', CLEAN_FRAMES, 'clean');
    const claim = resultOf(bundle);
    console.log(`clean: --json identity ${JSON.stringify(report.identity)} verdict ${report.verdict}; claim ${JSON.stringify(claim.identity)} verdict ${claim.verdict}`);
    expect(claim.identity!.verdict).toBe('unchanged');
    expect(claim.identity!.distance!).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(report.identity!.changed).toBe(false);
    expect(report.identity!.reason).toBeUndefined();
    expect(report.verdict).toBe(claim.verdict);
    expect(chipsOf(bundle).length).toBe(claim.identity!.readings);
    const v = await verify(file, 'mouth-open');
    expect(failed(v.report), JSON.stringify(v.report.checks)).toEqual([]);
    expect(v.report.checks.find((c) => c.name === 'identity-replay')!.detail).toMatch(/re-described: unchanged/);
    expect(v.report.verdict).toBe(claim.verdict);
    expect(v.code).toBe(EXIT.ok);

    // the same capture without the check: no chips, no claimed identity, and its own configuration hash
    const off = await capture(cleanPath, 'mouth-open', CLEAN_FRAMES, 'clean-off', ['--no-identity']);
    expect(chipsOf(off.bundle)).toEqual([]);
    expect(resultOf(off.bundle).identity).toBeNull();
    expect(off.report.identity).toBeUndefined();
    expect(off.bundle.genesis.configHash).not.toBe(bundle.genesis.configHash);
    // verified as a capture with the check (the default): rejected, the configuration named by `version`, and
    // identity-replay finds no claimed continuity to replay
    const strict = await verify(off.file, 'mouth-open');
    console.log(`--no-identity bundle, default verify: ${strict.report.checks.length} checks, failed ${JSON.stringify(failed(strict.report))}`);
    expect(failed(strict.report)).toEqual(['version', 'identity-replay']);
    expect(strict.code).toBe(EXIT.failed);
    // verified the way it was captured: every check ok
    const loose = await verify(off.file, 'mouth-open', ['--no-identity']);
    expect(failed(loose.report), JSON.stringify(loose.report.checks)).toEqual([]);
    expect(loose.code).toBe(EXIT.ok);
    // and the identity bundle verified with --no-identity: version again, and identity-replay names the records
    const mismatch = await verify(file, 'mouth-open', ['--no-identity']);
    expect(failed(mismatch.report)).toEqual(['version', 'identity-replay']);
    expect(mismatch.report.checks.find((c) => c.name === 'identity-replay')!.detail).toMatch(/records identity readings/);
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
    expect(chipsOf(JSON.parse(readFileSync(file, 'utf8')) as EvidenceBundle)).toEqual([]);
  }, 600_000);
});

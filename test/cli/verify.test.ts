// `livecheck analyze --evidence` then `livecheck verify` end to end on a real clip (4 s of franck.mp4): the server
// decodes the bundle's video and runs the engine on it; its verdict is the client's here (the same frames, through
// the codec), tampered bundles are rejected (exit 1) naming the check that caught them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../src/cli/index.js';
import { canonicalJson } from '../../src/evidence/canonical.js';
import { data, requireData } from '../helpers/data.js';

const NONCE = '5eed0f00d1ce5eed0f00d1ce5eed0f00';
let dir: string;
let bundle: string;
let meta: string;
let clientVerdict: string;

async function cli(args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await runCli(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
type Report = { ok: boolean; verdict: string; reasons: Array<{ code: string; message: string }>; checks: Array<{ name: string; ok: boolean; detail: string }> };
const failed = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('livecheck verify', () => {
  beforeAll(async () => {
    requireData(data.franckMp4);
    dir = mkdtempSync(join(tmpdir(), 'livecheck-verify-'));
    meta = join(dir, 'document.json');
    writeFileSync(meta, JSON.stringify({ type: 'passport', country: 'NL', uploadedAt: Date.now() - 5 * 60_000 }));
    bundle = join(dir, 'bundle.json');
    const r = await cli(['analyze', data.franckMp4, '--max-frames', '96', '--nonce', NONCE, '--document', meta, '--evidence', bundle, '--json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    clientVerdict = (JSON.parse(r.stdout) as { verdict: string }).verdict;
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a genuine bundle from a real clip: every check passes and the server's verdict from the video is the client's", async () => {
    const b = JSON.parse(readFileSync(bundle, 'utf8')) as { records: Array<{ type: string; chunks?: unknown[] }> };
    expect(b.records.filter((r) => r.type === 'frame')).toHaveLength(96);
    expect(b.records.filter((r) => r.type === 'keyframe')).toHaveLength(3); // three plan steps from the nonce
    expect(b.records.find((r) => r.type === 'video')?.chunks).toHaveLength(96);
    const r = await cli(['verify', bundle, '--nonce', NONCE, '--document', meta, '--json']);
    expect(r.code, r.stderr).not.toBe(EXIT.usage);
    const report = JSON.parse(r.stdout) as Report;
    console.log(`franck 96 frames: ${readFileSync(bundle).length} bytes; client ${clientVerdict}, server ${report.verdict}; ${report.checks.map((c) => `${c.name}: ${c.detail}`).join(' | ')}`);
    expect(failed(report), r.stdout).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.verdict).toBe(clientVerdict);
    expect(r.code).toBe(clientVerdict === 'pass' ? EXIT.ok : EXIT.failed);
  }, 300_000);

  it('a tampered bundle fails (exit 1) naming the check', async () => {
    const b = JSON.parse(readFileSync(bundle, 'utf8')) as { records: Array<{ type: string; face?: { points: number[][] } | null }> };
    const frame = b.records.find((r) => r.type === 'frame' && r.face)!;
    frame.face!.points[0][0] += 1; // one point moved by a pixel
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, canonicalJson(b));
    const r = await cli(['verify', tampered, '--nonce', NONCE, '--document', meta, '--json']);
    expect(r.code).toBe(EXIT.failed);
    expect(failed(JSON.parse(r.stdout) as Report)).toContain('chain');
  }, 300_000);

  it('--photo adds the ID photo match: franck still matches, grace_hopper does not', async () => {
    requireData(data.franckStills, data.graceHopper);
    const same = JSON.parse((await cli(['verify', bundle, '--nonce', NONCE, '--document', meta, '--photo', data.franckStills[0], '--json'])).stdout) as Report & {
      match: { verdict: string; distance: number };
    };
    const other = JSON.parse((await cli(['verify', bundle, '--nonce', NONCE, '--document', meta, '--photo', data.graceHopper, '--json'])).stdout) as Report & {
      match: { verdict: string; distance: number };
    };
    expect(same.ok && other.ok).toBe(true); // the match runs on a bundle the server trusts
    expect(same.match.verdict).toBe('match');
    expect(other.match.verdict).not.toBe('match');
    expect(other.match.distance).toBeGreaterThan(same.match.distance);
  }, 300_000);

  it('another nonce or another document is rejected', async () => {
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ type: 'passport', country: 'DE', uploadedAt: Date.now() - 5 * 60_000 }));
    const wrongNonce = await cli(['verify', bundle, '--nonce', 'aa' + NONCE.slice(2), '--document', meta, '--json']);
    expect(wrongNonce.code).toBe(EXIT.failed);
    expect(failed(JSON.parse(wrongNonce.stdout) as Report)).toEqual(expect.arrayContaining(['nonce', 'plan']));
    const wrongDoc = await cli(['verify', bundle, '--nonce', NONCE, '--document', other]);
    expect(wrongDoc.code).toBe(EXIT.failed);
    expect(wrongDoc.stdout).toMatch(/FAIL document/);
    // the plan's prompt gaps come from the nonce with analyze's limit: another limit is another plan
    const noGaps = await cli(['verify', bundle, '--nonce', NONCE, '--document', meta, '--max-gap-ms', '0', '--json']);
    expect(noGaps.code).toBe(EXIT.failed);
    const noGapsFailed = failed(JSON.parse(noGaps.stdout) as Report);
    expect(noGapsFailed).toContain('plan');
    for (const bound of ['format', 'version', 'chain', 'nonce', 'document', 'timestamps', 'video', 'keyframes']) expect(noGapsFailed).not.toContain(bound);
    expect((await cli(['verify', bundle, '--nonce', NONCE, '--document', meta, '--max-gap-ms', '-5'])).code).toBe(EXIT.usage);
  }, 300_000);
});

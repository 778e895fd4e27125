// `livecheck analyze --json` signals on a short real clip (the first 4 s of cap13, a talking face):
// passive and motion always, active and the consensus verdict only with --plan; the verdict is the consensus of the
// three signals printed next to it.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import type { AnalyzeReport } from '../../src/node/analyze.js';
import { requireModels } from '../face/engine.js';
import { data, requireData } from '../helpers/data.js';

async function analyzeJson(args: string[]): Promise<AnalyzeReport> {
  const out: string[] = [],
    err: string[] = [];
  const code = await runCli(['analyze', ...args, '--json'], { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  expect(code, err.join('\n')).toBe(0);
  return JSON.parse(out.join('\n')) as AnalyzeReport;
}

const VERDICTS = ['live', 'spoof', 'unsure'];

function checkSignal(s: unknown): void {
  const sig = s as { score: number; verdict: string; reasons: Array<{ code: string; message: string }> };
  expect(Object.keys(sig)).toEqual(['score', 'verdict', 'reasons']);
  expect(sig.score).toBeGreaterThanOrEqual(0);
  expect(sig.score).toBeLessThanOrEqual(1);
  expect(VERDICTS).toContain(sig.verdict);
  expect(sig.reasons.length).toBeGreaterThan(0);
  for (const r of sig.reasons) expect(typeof r.code).toBe('string');
}

function consensus(verdicts: string[]): string {
  if (verdicts.every((v) => v === 'live')) return 'pass';
  if (verdicts.every((v) => v === 'spoof')) return 'fail';
  return 'review';
}

describe('analyze --json signals', () => {
  it('passive and motion without a plan, no active signal and no verdict', async () => {
    requireModels();
    requireData(data.cap13Mp4);
    const r = await analyzeJson([data.cap13Mp4, '--max-frames', '100']);
    expect(r.signals).toBeDefined();
    expect(Object.keys(r.signals!)).toEqual(['passive', 'motion']);
    checkSignal(r.signals!.passive);
    checkSignal(r.signals!.motion);
    expect(r.verdict).toBeUndefined();
  }, 240_000);

  it('with --plan: the active signal and a verdict that is the consensus of the three', async () => {
    requireModels();
    requireData(data.cap13Mp4);
    const r = await analyzeJson([data.cap13Mp4, '--max-frames', '100', '--plan', 'mouth-open']);
    expect(Object.keys(r.signals!)).toEqual(['active', 'passive', 'motion']);
    for (const s of Object.values(r.signals!)) checkSignal(s);
    const s = r.signals!;
    expect(r.verdict).toBe(consensus([s.active!.verdict, s.passive.verdict, s.motion.verdict]));
  }, 240_000);
});

// The benchmark tables in README.md, docs/benchmarks.md and docs/evaluation.md are generated from bench/results/*.json
// by tools/bench-report.mjs. Editing a result file without `npm run docs:bench` must fail here, so the docs never
// quote figures the JSON does not hold.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'tools', 'bench-report.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('tools/bench-report.mjs', () => {
  it('finds the generated docs current with bench/results (run `npm run docs:bench` after a benchmark)', () => {
    const r = run('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails the check when a result changes without regenerating, and passes once regenerated', () => {
    const copy = mkdtempSync(join(tmpdir(), 'livecheck-bench-report-'));
    try {
      for (const path of ['README.md', 'docs', 'bench/results']) cpSync(join(root, path), join(copy, path), { recursive: true });
      const file = join(copy, 'bench', 'results', 'e2e.json');
      const e2e = JSON.parse(readFileSync(file, 'utf8')) as { fps_analyzed: number };
      e2e.fps_analyzed = 12.5;
      writeFileSync(file, JSON.stringify(e2e));
      const stale = run('--check', '--root', copy);
      expect(stale.status).toBe(1);
      expect(stale.stderr).toMatch(/README\.md is out of date/);
      expect(run('--root', copy).status).toBe(0);
      expect(run('--check', '--root', copy).status).toBe(0);
      expect(readFileSync(join(copy, 'README.md'), 'utf8')).toContain('**12.5 fps** analysed');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('renders a missing result file as "not measured"', () => {
    const copy = mkdtempSync(join(tmpdir(), 'livecheck-bench-report-'));
    try {
      for (const path of ['README.md', 'docs', 'bench/results']) cpSync(join(root, path), join(copy, path), { recursive: true });
      rmSync(join(copy, 'bench', 'results', 'evidence.json'));
      expect(run('--root', copy).status).toBe(0);
      expect(readFileSync(join(copy, 'README.md'), 'utf8')).toMatch(/\| Evidence \(`bench:evidence`\) \| not measured \|/);
      expect(readFileSync(join(copy, 'docs', 'benchmarks.md'), 'utf8')).toContain('_Not measured: `bench/results/evidence.json` is missing');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

// The benchmarks bundle library sources by path (bench/lib/bundle-sources.mjs): a moved module must break a test,
// not the next benchmark run. Every `./src/...` and `./test/...` module a benchmark names must exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/data.js';

const files = [...readdirSync(join(repoRoot, 'bench')).map((f) => join('bench', f)), ...readdirSync(join(repoRoot, 'bench', 'lib')).map((f) => join('bench', 'lib', f))].filter((f) =>
  f.endsWith('.mjs'),
);

describe('benchmark sources', () => {
  it('every module a benchmark bundles exists', () => {
    const named: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(join(repoRoot, f), 'utf8').matchAll(/"export [^"]*from '\.\/((?:src|test)\/[\w/.-]+\.ts)'/g)) named.push(m[1]);
    }
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((p) => !existsSync(join(repoRoot, p)))).toEqual([]);
  });
});

// `npm run build:models` end to end, into a temporary folder: builds every model, writes a manifest matching the
// committed one (same bytes -> same sha256), and a second run rebuilds nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { MODELS } from '../../tools/convert/models.js';
import { repoRoot, requireData, data } from '../helpers/data.js';

const out = mkdtempSync(join(tmpdir(), 'livecheck-models-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const build = () => execFileSync(process.execPath, [join(repoRoot, 'tools', 'build-models.mjs'), '--out', out], { cwd: repoRoot, encoding: 'utf8' });

test('builds all models reproducibly, then skips them when up to date', () => {
  requireData(data.blazefaceFront128);
  const first = build();
  for (const m of MODELS) expect(first).toMatch(new RegExp(`^${m.name}: (converted|copied|built from)`, 'm')); // facerec is built from a weights manifest
  const built = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  const committed = JSON.parse(readFileSync(join(repoRoot, 'models', 'manifest.json'), 'utf8'));
  for (const m of MODELS) {
    expect(built.models[m.name].sha256, m.name).toBe(committed.models[m.name].sha256);
    expect(built.models[m.name].outputs, m.name).toEqual(committed.models[m.name].outputs);
  }
  const manifestText = readFileSync(join(out, 'manifest.json'), 'utf8');
  const times = MODELS.map((m) => statSync(join(out, `${m.name}.onnx`)).mtimeMs);
  const second = build();
  for (const m of MODELS) expect(second).toMatch(new RegExp(`^${m.name}: up to date`, 'm'));
  expect(MODELS.map((m) => statSync(join(out, `${m.name}.onnx`)).mtimeMs)).toEqual(times);
  expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(manifestText);
});

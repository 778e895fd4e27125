#!/usr/bin/env node
// `npm run eval`: the attack suite. The runner is TypeScript (tools/eval/), bundled here with esbuild into
// .cache/eval/ (packages stay external) and run.   node tools/eval.mjs [id-substring ...]  runs a subset.
// It writes bench/results/eval.json: every presentation through the product's attempt pipeline.
// node tools/eval.mjs --drift  measures the identity distance of one live person over 15 s sessions instead.
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const drift = process.argv.includes('--drift');
const outfile = join(root, '.cache', 'eval', drift ? 'drift.mjs' : 'eval.mjs');
await build({
  entryPoints: [join(root, 'tools', 'eval', drift ? 'drift.ts' : 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { main } = await import(pathToFileURL(outfile).href);
await main(root);

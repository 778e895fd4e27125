#!/usr/bin/env node
// livecheck CLI shell: the commands live in dist/cli.js (built from src/cli/index.ts by `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('livecheck: dist/cli.js is missing. Run `npm run build` first.');
  process.exit(2);
}
const { runCli } = await import(cli.href);
process.exitCode = await runCli(process.argv.slice(2));

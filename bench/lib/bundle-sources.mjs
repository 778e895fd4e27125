// The benchmarks run the TypeScript sources, not dist/: esbuild bundles an entry of re-exports into build/bench/
// (Node ESM, with a `require` for the CommonJS packages the sources use) and the bundle is imported.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Bundles `exports` (lines like `export { X } from './src/a.ts';`, relative to the repository root) into
 * build/bench/<name>.mjs and imports it. `external` packages stay imports (onnxruntime-web must stay one module:
 * its thread count is set on the instance the sources use).
 */
export async function bundleSources(name, exports, external = []) {
  const outfile = join(repoRoot, 'build', 'bench', `${name}.mjs`);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    stdin: { contents: exports.join('\n'), resolveDir: repoRoot, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    external,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}

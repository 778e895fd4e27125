// Where the package's models/ folder is, seen from a Node module: src/<dir>/ when run from source, dist/ or
// dist/chunks/ when bundled. One place for the engine, the identity sampler and the server's reanalyzer.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest models/ holding `marker` above the calling module's `moduleUrl` (its import.meta.url), else ./models. */
export function packageModelDir(moduleUrl: string, marker = 'facemesh.onnx'): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'models', marker))) return join(dir, 'models');
    dir = dirname(dir);
  }
  return resolve('models');
}

// Node helper: reads the two kernel builds from build/ (next to the package root) and creates the kernels.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LivecheckError } from '../errors.js';
import { createKernels, type Kernels, type QualityOptions } from '../quality/index.js';
import { allInOrder } from '../util/settle.js';

/**
 * Directory holding kernels.simd.wasm and kernels.scalar.wasm: this module's own folder (a bundle that ships the
 * wasm next to itself, e.g. dist/) or the nearest `build/` above it (the repository).
 */
export function kernelBuildDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(dir, 'kernels.simd.wasm'))) return dir;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'build');
    if (existsSync(join(candidate, 'kernels.simd.wasm'))) return candidate;
    dir = dirname(dir);
  }
  throw new LivecheckError('wasm-unavailable', 'build/kernels.{simd,scalar}.wasm not found: run `npm run build:wasm`');
}

/** One wasm build's bytes from `dir`, or `wasm-unavailable` naming the file. */
async function readBuild(dir: string, name: string): Promise<Uint8Array> {
  const file = join(dir, name);
  try {
    return new Uint8Array(await readFile(file));
  } catch (cause) {
    throw new LivecheckError('wasm-unavailable', `cannot read ${file}: run \`npm run build:wasm\``, { file }, { cause });
  }
}

/** Reads one build's bytes (async: a missing build folder rejects, it does not throw). */
export async function readKernelWasm(simd: boolean, dir = kernelBuildDir()): Promise<Uint8Array> {
  return readBuild(dir, simd ? 'kernels.simd.wasm' : 'kernels.scalar.wasm');
}

/** Reads the landmark kernels (nn.simd.wasm: FaceMesh and Iris on livecheck's own NHWC kernels). */
export async function readLandmarkKernelWasm(dir = kernelBuildDir()): Promise<Uint8Array> {
  return readBuild(dir, 'nn.simd.wasm');
}

/**
 * The landmark kernels where this install has them (build/ or next to the bundle), else null: the callers then run
 * FaceMesh and Iris on onnxruntime, which gives the same points within 1e-3 px.
 */
export async function findLandmarkKernelWasm(): Promise<Uint8Array | null> {
  let dir: string;
  try {
    dir = kernelBuildDir();
  } catch {
    return null;
  }
  return existsSync(join(dir, 'nn.simd.wasm')) ? readLandmarkKernelWasm(dir) : null;
}

/** createKernels with the wasm read from disk; `simd: 'auto'` (default) picks SIMD where supported. */
export async function createNodeKernels(options: { simd?: boolean | 'auto'; quality?: QualityOptions; dir?: string } = {}): Promise<Kernels> {
  const dir = options.dir ?? kernelBuildDir();
  const [simd, scalar] = await allInOrder<[Uint8Array, Uint8Array]>([readKernelWasm(true, dir), readKernelWasm(false, dir)]);
  return createKernels({ wasm: { simd, scalar }, simd: options.simd ?? 'auto', quality: options.quality });
}

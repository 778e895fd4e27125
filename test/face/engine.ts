// Shared set-up for the real-face tests: the built models and one FaceTracker per test file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { FaceTracker, type FaceTrackerOptions } from '../../src/face/index.js';
import { decodeImage } from '../../src/node/media.js';
import { data, dataDir, repoRoot, requireData } from '../helpers/data.js';

ort.env.wasm.numThreads = 1;

export const models = {
  detector: join(repoRoot, 'models', 'blazeface.onnx'),
  detectorBack: join(repoRoot, 'models', 'blazeface-back.onnx'),
  mesh: join(repoRoot, 'models', 'facemesh.onnx'),
  iris: join(repoRoot, 'models', 'iris.onnx'),
};

/** Fails (never skips) when the models are not built. */
export function requireModels(): void {
  const missing = Object.values(models).filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`models missing: ${missing.join(', ')}. Run \`npm run build:models\` (after \`npm run setup:data\`).`);
}

/** livecheck's own landmark kernels (build/nn.simd.wasm), the runtime the shipped entry points use. */
export const landmarkKernels = join(repoRoot, 'build', 'nn.simd.wasm');

/** A tracker as the product runs it: FaceMesh and Iris on livecheck's kernels (`landmarkKernels: null`: onnxruntime). */
export async function createTracker(options: Partial<FaceTrackerOptions> = {}): Promise<FaceTracker> {
  requireModels();
  if (!existsSync(landmarkKernels)) throw new Error(`${landmarkKernels} missing: run \`npm run build:wasm\``);
  return FaceTracker.create({ ort, models, landmarkKernels, ...options });
}

export function loadImage(path: string) {
  requireData(path);
  return decodeImage(path);
}

export { data, dataDir };

// Node factory for the LivenessEngine: reads the kernel builds from build/ (or next to a bundle) and the models
// from models/, and loads onnxruntime-web. Node only: the core engine never touches fs.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LivecheckError } from '../errors.js';
import type { FaceTrackerOptions } from '../face/tracker.js';
import type { OrtModule } from '../face/models.js';
import { kernelBuildDir, readKernelWasm, readLandmarkKernelWasm } from './kernels.js';
import type { QualityOptions } from '../quality/index.js';
import { LivenessEngine } from '../engine/engine.js';
import type { EngineAttemptOptions } from '../engine/engine.js';
import type { FaceRegionMeterOptions } from '../engine/region-meter.js';
import { packageModelDir } from './model-dir.js';
import { allInOrder } from '../util/settle.js';
import { loadNodeOrt } from './ort.js';

export interface NodeEngineOptions extends EngineAttemptOptions {
  /** Folder with blazeface.onnx, blazeface-back.onnx, facemesh.onnx and iris.onnx. Default: the package's models/. */
  modelDir?: string;
  /** Folder with kernels.simd.wasm and kernels.scalar.wasm. Default: build/ (or next to the bundle). */
  kernelDir?: string;
  simd?: boolean | 'auto';
  quality?: QualityOptions;
  /** Tracker options other than the models and the ORT module. Default: upright faces, one thread. */
  tracker?: Omit<FaceTrackerOptions, 'models' | 'ort'>;
  /** Skip the iris model (no eye contours: blinks are read from the mesh lids alone). */
  noIris?: boolean;
  /** Where FaceMesh and Iris run: `livecheck` (default: our own wasm SIMD kernels, nn.simd.wasm from kernelDir)
   *  or `onnxruntime`. */
  landmarkRuntime?: 'livecheck' | 'onnxruntime';
  regionCues?: boolean | FaceRegionMeterOptions;
  /** The onnxruntime the models run on. Default: onnxruntime-web (what the browser worker runs). */
  ort?: OrtModule;
}

async function readModel(dir: string, name: string): Promise<Uint8Array> {
  const file = join(dir, name);
  try {
    return new Uint8Array(await readFile(file));
  } catch (cause) {
    throw new LivecheckError('model-missing', `cannot read ${file}: build the models with \`npm run build:models\``, { file }, { cause });
  }
}

/** A LivenessEngine with its wasm and models read from disk. `modelDir` defaults to the package's models/. */
export async function createNodeEngine(options: NodeEngineOptions = {}): Promise<LivenessEngine> {
  const modelDir = options.modelDir ?? packageModelDir(import.meta.url);
  const kernelDir = options.kernelDir ?? kernelBuildDir();
  const [simd, scalar, landmarkKernels, detector, detectorBack, mesh, iris] = await allInOrder<[Uint8Array, Uint8Array, Uint8Array | null, Uint8Array, Uint8Array, Uint8Array, Uint8Array | undefined]>(
    [
      readKernelWasm(true, kernelDir),
      readKernelWasm(false, kernelDir),
      options.landmarkRuntime === 'onnxruntime' ? null : readLandmarkKernelWasm(kernelDir),
      readModel(modelDir, 'blazeface.onnx'),
      readModel(modelDir, 'blazeface-back.onnx'),
      readModel(modelDir, 'facemesh.onnx'),
      options.noIris ? Promise.resolve(undefined) : readModel(modelDir, 'iris.onnx'),
    ],
  );
  const ort = options.ort ?? (await loadNodeOrt('wasm'));
  return LivenessEngine.create({
    ...options,
    kernels: { wasm: { simd, scalar }, simd: options.simd ?? 'auto', quality: options.quality },
    face: { orientations: 'upright', numThreads: 1, landmarkKernels, ...options.tracker, ort, models: { detector, detectorBack, mesh, iris } },
  });
}

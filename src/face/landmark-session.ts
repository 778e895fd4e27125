// FaceMesh / Iris sessions on livecheck's own kernels (src/nn/), falling back to onnxruntime: one rule for the
// tracker and the iris worker.
import { LivecheckError } from '../errors.js';
import { createSession, loadModelBytes, type ModelSource, type OrtModule, type OrtSession } from './models.js';
import { asOrtSession, createNnSession } from '../nn/runtime.js';
import { allInOrder } from '../util/settle.js';

/**
 * A landmark model on livecheck's kernels, or on onnxruntime when its graph does not map onto them or the kernels
 * cannot be instantiated (no wasm SIMD). A missing kernel file is the caller's error and is thrown as such.
 */
export async function createLandmarkSession(ort: OrtModule, source: ModelSource, so: { numThreads?: number }, file: string, kernels: Uint8Array | Promise<Uint8Array>): Promise<OrtSession> {
  const [bytes, wasm] = await allInOrder<[Uint8Array, Uint8Array]>([loadModelBytes(source, file), kernels]);
  try {
    return asOrtSession(await createNnSession(bytes, wasm, file));
  } catch (e) {
    if (!(e instanceof LivecheckError) || !['unsupported-op', 'model-corrupt', 'wasm-unavailable'].includes(e.code)) throw e;
    return createSession(ort, bytes, so, file);
  }
}

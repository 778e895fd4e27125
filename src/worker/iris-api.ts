// The iris worker's surface: onnxruntime-web (its own instance, 1 thread) running only the iris model, so a frame's
// Iris runs on the second core while the main worker tracks the next frame's mesh. The main worker starts it and
// falls back to its own Iris when it cannot.
import { transfer } from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { LivecheckError } from '../errors.js';
import { EYE_PAIR_OUTPUT, IrisModel } from '../face/landmarker.js';
import { createSession, type OrtModule, type OrtSession } from '../face/models.js';
import { createLandmarkSession } from '../face/landmark-session.js';
import type { IrisBuffers, IrisWorkerApi, IrisWorkerSetup } from '../protocol/iris.js';

/** The iris worker's API over its own model. */
export function irisWorkerApi(): IrisWorkerApi {
  let session: OrtSession | null = null;
  let model: IrisModel | null = null;
  return {
    async init(setup: IrisWorkerSetup): Promise<void> {
      if (model) throw new LivecheckError('invalid-argument', 'iris worker already initialised');
      ort.env.wasm.wasmPaths = { wasm: new URL('ort-wasm-simd-threaded.wasm', setup.assetUrl).href, mjs: new URL('ort-wasm-simd-threaded.mjs', setup.assetUrl).href };
      ort.env.logLevel = 'error';
      const so = { numThreads: setup.numThreads };
      session = setup.kernels
        ? await createLandmarkSession(ort as unknown as OrtModule, setup.model, so, 'iris.onnx', setup.kernels)
        : await createSession(ort as unknown as OrtModule, setup.model, so, 'iris.onnx');
      model = new IrisModel(ort as unknown as OrtModule, session);
    },

    async run(b: IrisBuffers): Promise<IrisBuffers> {
      if (!model) throw new LivecheckError('closed', 'the iris worker has no model (init failed or closed)');
      const n = model.eyePairLength;
      for (let i = 0; i < b.faces; i++) await model.inferEyes(b.input.subarray(i * n, (i + 1) * n), b.output.subarray(i * EYE_PAIR_OUTPUT, (i + 1) * EYE_PAIR_OUTPUT));
      return transfer(b, [b.input.buffer, b.output.buffer]);
    },

    async close(): Promise<void> {
      const s = session;
      session = null;
      model = null;
      await s?.release();
    },
  };
}

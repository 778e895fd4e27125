// The iris worker: onnxruntime-web (its own instance, 1 thread) running only the iris model, so a frame's Iris runs
// on the second core while the main worker tracks the next frame's mesh. Bundled to dist/iris-worker.js; the main
// worker starts it and falls back to its own Iris when it cannot.
import { expose, transfer } from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { LivecheckError } from '../errors.js';
import { EYE_PAIR_OUTPUT, IrisModel } from '../face/landmarker.js';
import { createSession, type OrtModule, type OrtSession } from '../face/models.js';
import { createLandmarkSession } from '../face/landmark-session.js';
import { CRASH_TEST_MESSAGE, toWireError, type CrashTestMessage } from './protocol.js';
import type { IrisBuffers, IrisWorkerApi, IrisWorkerSetup } from './iris-protocol.js';

let session: OrtSession | null = null;
let model: IrisModel | null = null;

const api: IrisWorkerApi = {
  async init(setup: IrisWorkerSetup): Promise<void> {
    try {
      if (model) throw new LivecheckError('invalid-argument', 'iris worker already initialised');
      ort.env.wasm.wasmPaths = { wasm: new URL('ort-wasm-simd-threaded.wasm', setup.assetUrl).href, mjs: new URL('ort-wasm-simd-threaded.mjs', setup.assetUrl).href };
      ort.env.logLevel = 'error';
      const so = { numThreads: setup.numThreads };
      session = setup.kernels ? await createLandmarkSession(ort as unknown as OrtModule, setup.model, so, 'iris.onnx', setup.kernels) : await createSession(ort as unknown as OrtModule, setup.model, so, 'iris.onnx');
      model = new IrisModel(ort as unknown as OrtModule, session);
    } catch (e) {
      throw toWireError(e);
    }
  },

  async run(b: IrisBuffers): Promise<IrisBuffers> {
    try {
      if (!model) throw new LivecheckError('closed', 'the iris worker has no model (init failed or closed)');
      const n = model.eyePairLength;
      for (let i = 0; i < b.faces; i++) await model.inferEyes(b.input.subarray(i * n, (i + 1) * n), b.output.subarray(i * EYE_PAIR_OUTPUT, (i + 1) * EYE_PAIR_OUTPUT));
      return transfer(b, [b.input.buffer, b.output.buffer]);
    } catch (e) {
      throw toWireError(e);
    }
  },

  async close(): Promise<void> {
    const s = session;
    session = null;
    model = null;
    await s?.release();
  },
};

// onnxruntime-web's pthread workers would start from ORT's own loader; only this top worker speaks Comlink
if (!(self as unknown as { name?: string }).name?.startsWith('em-pthread')) {
  expose(api);
  // the browser tests' crash hook (protocol.ts), forwarded by the main worker: this worker dies as a real fault would
  self.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as CrashTestMessage | null;
    if (!m || m.type !== CRASH_TEST_MESSAGE) return;
    if (m.mode === 'close') self.close();
    else setTimeout(() => { throw new Error('livecheck iris worker crash (test hook)'); });
  });
}

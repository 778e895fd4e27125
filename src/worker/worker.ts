// The module worker entry (dist/worker.js), with onnxruntime-web's wasm build bundled inside.
import { exposeWorker, workerApi } from './api.js';

exposeWorker(workerApi());

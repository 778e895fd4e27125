// The module worker entry (dist/worker.js), with onnxruntime-web's wasm build bundled inside.
import { workerApi } from './api.js';
import { exposeApi } from './expose.js';

exposeApi(workerApi());

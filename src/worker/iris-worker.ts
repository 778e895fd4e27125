// The iris worker entry (dist/iris-worker.js), started by the main worker from the asset folder.
import { exposeIrisWorker, irisWorkerApi } from './iris-api.js';

exposeIrisWorker(irisWorkerApi());

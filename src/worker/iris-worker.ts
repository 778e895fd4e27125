// The iris worker entry (dist/iris-worker.js), started by the main worker from the asset folder.
import { exposeApi } from './expose.js';
import { irisWorkerApi } from './iris-api.js';

exposeApi(irisWorkerApi());

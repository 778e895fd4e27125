// How a worker entry speaks Comlink: onnxruntime-web's pthread workers start from the same script, and only the top
// worker may expose the API.
import { expose } from 'comlink';
import { installErrorTransfer } from '../protocol/worker.js';

/** Exposes `api` (with the LivecheckError transfer) unless this is one of onnxruntime's pthread workers. */
export function exposeApi(api: object): boolean {
  if ((self as unknown as { name?: string }).name?.startsWith('em-pthread')) return false;
  installErrorTransfer();
  expose(api);
  return true;
}

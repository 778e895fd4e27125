// Model bytes in Node: a file path or file: URL from disk, any other URL through fetch. The package's `imports` map
// (#read-model, condition `node`) puts this in place of the face layer's fetch-only reader.
import { readFile } from 'node:fs/promises';
import { readModelSource as fetchModel } from '../face/read-model.js';

/** The bytes of a file path, a file: URL or an http(s)/blob/data URL; throws when it cannot be read. */
export async function readModelSource(href: string): Promise<Uint8Array> {
  if (/^(https?|blob|data):/.test(href)) return fetchModel(href);
  const buf = await readFile(href.startsWith('file:') ? new URL(href) : href);
  // exact bytes: a Buffer may be a view into Node's shared pool
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

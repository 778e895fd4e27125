// Page side, shared by the browser harnesses: exact frames that the test serves as raw RGBA at `${urlBase}${i}`.

/**
 * Fetches frame `i` into `buffer` (a new one when it is missing or of another size; analyzeFrame hands the buffer back,
 * so one serves every frame) and returns the buffer to pass on.
 */
export async function servedFrame(urlBase, i, buffer) {
  const bytes = new Uint8Array(await (await fetch(`${urlBase}${i}`)).arrayBuffer());
  const out = buffer && buffer.byteLength === bytes.byteLength ? buffer : new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

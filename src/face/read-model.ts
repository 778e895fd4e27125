// Model bytes from a URL (fetch), in browsers and workers. Node reads file paths with src/node/read-model.ts: the
// package's `imports` map (#read-model) picks one by condition.

/** The bytes at `href`; throws (with the HTTP status) when it cannot be fetched. */
export async function readModelSource(href: string): Promise<Uint8Array> {
  const res = await fetch(href);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

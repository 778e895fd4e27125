// What an attacker holding the library can do to a bundle: edit any record, then recompute every hash of the chain
// with the library's own code. The forgery tests start from here; only the server's own checks can catch them.
import { ChainHasher, genesisHash, hashedText } from '../../src/evidence/chain.js';
import type { EvidenceBundle } from '../../src/evidence/bundle.js';

/** Recomputes every record's hash and the head, in place, from the bundle's (possibly edited) genesis. */
export async function rechain(b: EvidenceBundle): Promise<EvidenceBundle> {
  const hasher = new ChainHasher(await genesisHash(b.genesis));
  for (const r of b.records) r.hash = await hasher.push(hashedText(r));
  b.head = b.records[b.records.length - 1].hash;
  return b;
}

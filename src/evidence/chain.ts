// The SHA-256 chain shared by the recorder (browser or Node) and the verifier (server). See bundle.ts for the rule.
import { canonicalJson } from './canonical.js';
import { sha256 } from './encoding.js';
import { toHex } from '../util/hex.js';
import { EVIDENCE_FORMAT, EVIDENCE_VERSION } from './bundle.js';
import type { EvidenceGenesis } from './bundle.js';

const encoder = new TextEncoder();

/** `version`: the bundle's format version (default: the one this library writes), so a version cannot be swapped. */
export async function genesisHash(genesis: EvidenceGenesis, version: number = EVIDENCE_VERSION): Promise<Uint8Array> {
  return sha256(encoder.encode(`${EVIDENCE_FORMAT}/${version}\n${canonicalJson(genesis)}`));
}

/** The part of a record that is hashed: everything but its own `hash` and the base64 `data` (keyframes, video). */
export function hashedText(record: object): string {
  const { hash: _hash, data: _data, ...rest } = record as { hash?: unknown; data?: unknown };
  return canonicalJson(rest);
}

/**
 * A record's hashed text and its full canonical text (with `hash` and `data`) from one serialisation of its values:
 * the verifier needs both (the chain, and the byte-exact check of the bundle's text), and the values are the cost.
 */
export function recordTexts(record: object): { hashed: string; full: string } {
  let hashed = '{';
  let full = '{';
  for (const k of Object.keys(record).sort()) {
    const v = (record as Record<string, unknown>)[k];
    if (v === undefined) continue;
    const part = `${JSON.stringify(k)}:${canonicalJson(v)}`;
    full += (full.length > 1 ? ',' : '') + part;
    if (k !== 'hash' && k !== 'data') hashed += (hashed.length > 1 ? ',' : '') + part;
  }
  return { hashed: `${hashed}}`, full: `${full}}` };
}

/**
 * Extends a chain one record at a time. Reuses one input buffer (previous hash + record text), so the per-record
 * cost is the record's text and WebCrypto's digest result.
 */
export class ChainHasher {
  private buffer = new Uint8Array(32 + 16384);
  private readonly prev = new Uint8Array(32);

  constructor(start: Uint8Array) {
    this.prev.set(start);
  }

  get headHex(): string {
    return toHex(this.prev);
  }

  /** Hashes `text` (a record's hashed canonical text) onto the chain; returns the new head as hex. */
  async push(text: string): Promise<string> {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    if (this.buffer.length < 32 + text.length * 3) this.buffer = new Uint8Array(32 + text.length * 3 + 4096);
    this.buffer.set(this.prev, 0);
    const { written } = encoder.encodeInto(text, this.buffer.subarray(32));
    const digest = await sha256(this.buffer.subarray(0, 32 + written));
    this.prev.set(digest);
    return toHex(digest);
  }
}

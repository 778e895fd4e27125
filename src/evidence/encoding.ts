// Byte encodings and hashing for evidence. WebCrypto only, so the same code runs in browsers and in Node >= 20.
import { LivecheckError } from '../errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new LivecheckError('invalid-argument', 'WebCrypto (crypto.subtle) is not available: evidence needs a secure context or Node >= 20');
  return s;
}

/** SHA-256 of `bytes` (WebCrypto). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Standard base64 with padding (RFC 4648 section 4). */
export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    chunk += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    chunk += B64[n >> 18] + B64[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    chunk += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '=';
  }
  parts.push(chunk);
  return parts.join('');
}

/**
 * Strict base64 decode: only the canonical encoding of some byte string is accepted (padding present, unused low
 * bits zero), so two different texts never decode to the same bytes. Returns null when `s` is not canonical base64.
 */
export function fromBase64(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const p = i + 4 === s.length ? pad : 0; // padding only in the last quantum
    const c0 = code(s, i);
    const c1 = code(s, i + 1);
    const c2 = p === 2 ? 0 : code(s, i + 2);
    const c3 = p >= 1 ? 0 : code(s, i + 3);
    if (c0 < 0 || c1 < 0 || c2 < 0 || c3 < 0) return null;
    if ((p === 2 && (c1 & 15) !== 0) || (p === 1 && (c2 & 3) !== 0)) return null; // non-zero unused bits
    const n = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3;
    out[o++] = n >> 16;
    if (p < 2) out[o++] = (n >> 8) & 255;
    if (p < 1) out[o++] = n & 255;
  }
  return o === out.length ? out : null;
}

function code(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? B64_INDEX[c] : -1;
}

const encoder = new TextEncoder();
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

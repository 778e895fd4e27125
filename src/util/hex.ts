// Lower-case hex of bytes: the one encoding for digests and ids (evidence, challenge plans, attempt ids).

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

/** Lower-case hex of exactly `bytes` bytes? */
export function isHex(s: unknown, bytes: number): s is string {
  return typeof s === 'string' && s.length === bytes * 2 && /^[0-9a-f]*$/.test(s);
}

export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

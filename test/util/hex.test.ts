import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, isHex, toHex } from '../../src/util/hex.js';

describe('hex', () => {
  it('toHex is lower-case, two digits a byte, as Buffer.toString("hex"); fromHex inverts it', () => {
    expect(toHex(new Uint8Array([0, 1, 15, 16, 171, 255]))).toBe('00010f10abff');
    for (const n of [0, 1, 31, 32, 257]) {
      const b = new Uint8Array(randomBytes(n));
      expect(toHex(b)).toBe(Buffer.from(b).toString('hex'));
      expect(fromHex(toHex(b))).toEqual(b);
    }
  });

  it('isHex: lower-case hex of exactly n bytes', () => {
    expect(isHex('00ff', 2)).toBe(true);
    expect(isHex('00FF', 2)).toBe(false);
    expect(isHex('00f', 2)).toBe(false);
    expect(isHex(7, 1)).toBe(false);
  });
});

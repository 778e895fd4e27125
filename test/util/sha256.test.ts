import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, sha256, sha256Hex } from '../../src/util/sha256.js';

const nodeHex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto on random inputs of every length around block boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const data = new Uint8Array(randomBytes(n));
      expect(sha256Hex(data), `length ${n}`).toBe(nodeHex(data));
    }
    for (let i = 0; i < 20; i++) {
      const data = new Uint8Array(randomBytes(1 + Math.floor(Math.random() * 100_000)));
      expect(sha256Hex(data)).toBe(nodeHex(data));
    }
  });

  it('gives the same digest when fed in random chunks', () => {
    for (let trial = 0; trial < 30; trial++) {
      const data = new Uint8Array(randomBytes(Math.floor(Math.random() * 5000)));
      const h = new Sha256();
      let i = 0;
      while (i < data.length) {
        const step = 1 + Math.floor(Math.random() * 150);
        h.update(data.subarray(i, i + step));
        i += step;
      }
      expect(Buffer.from(h.digest()).toString('hex')).toBe(nodeHex(data));
    }
  });

  it('hashes strings as UTF-8 and can be reset', () => {
    const s = 'selfie ✓ ünïcode';
    expect(sha256Hex(s)).toBe(nodeHex(Buffer.from(s, 'utf8')));
    const h = new Sha256().update('x');
    const first = h.digest();
    expect(() => h.update('y')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(h.reset().update('x').digest()).toEqual(first);
    expect(sha256('x')).toEqual(first);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, quantize, LIBRARY_VERSION } from '../../src/evidence/index.js';
import { fromBase64, sha256, toBase64 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { repoRoot } from '../helpers/data.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }, 'x'], A: 'é\n' })).toBe('{"A":"é\\n","a":[{"c":null,"d":true},"x"],"b":1}');
  });

  it('gives the same text for the same value however it was built', () => {
    const a = { nonce: 'n', plan: [{ action: 'blink' }], t: 0.1 + 0.2 };
    const b = JSON.parse(JSON.stringify({ t: 0.1 + 0.2, plan: [{ action: 'blink' }], nonce: 'n' }));
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(JSON.parse(canonicalJson(a)))).toBe(canonicalJson(a));
  });

  it('writes numbers as shortest round-trip decimals, -0 as 0, and refuses NaN, Infinity and non-plain objects', () => {
    expect(canonicalJson([1e21, 1.5e-7, -0, 123.4567, 2 ** 53])).toBe('[1e+21,1.5e-7,0,123.4567,9007199254740992]');
    expect(() => canonicalJson({ x: NaN })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => canonicalJson([Infinity])).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => canonicalJson({ f: () => 1 })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});

describe('quantize', () => {
  it('rounds onto the 1e-4 grid, keeps integers, maps NaN to null, and is idempotent', () => {
    expect(quantize(123.456789)).toBe(123.4568);
    expect(quantize(-0.00004)).toBe(0);
    expect(Object.is(quantize(-0.00004), -0)).toBe(false);
    expect(quantize(0.1 + 0.2)).toBe(0.3);
    expect(quantize(1795425360000)).toBe(1795425360000);
    expect(quantize(1795425360000.37)).toBe(1795425360000); // epoch ms: integer grid beyond 4.5e11
    expect(quantize(NaN)).toBeNull();
    expect(quantize(-Infinity)).toBeNull();
    let seed = 7;
    for (let i = 0; i < 10_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const x = (seed / 2 ** 31 - 0.5) * 10 ** ((i % 12) - 2);
      const q = quantize(x) as number;
      expect(quantize(q)).toBe(q);
      expect(Math.abs(q - x)).toBeLessThanOrEqual(Math.abs(x) >= 4.5e11 ? 0.5 : 0.5e-4 + 1e-12 * Math.abs(x));
      // Shortest text has at most 4 decimals.
      const text = JSON.stringify(q);
      if (text.includes('.') && !text.includes('e')) expect(text.split('.')[1].length).toBeLessThanOrEqual(4);
    }
  });
});

describe('encoding', () => {
  it('hashes like node:crypto', async () => {
    for (const n of [0, 1, 55, 56, 64, 1000, 1 << 20]) {
      const bytes = new Uint8Array(randomBytes(n));
      expect(toHex(await sha256(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('base64 round-trips like Buffer and decodes only the canonical text', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100, 3 * 4096 + 2, 20000]) {
      const bytes = new Uint8Array(randomBytes(n));
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(fromBase64(text)).toEqual(bytes);
    }
    expect(fromBase64('QQ==')).toEqual(new Uint8Array([65]));
    expect(fromBase64('QR==')).toBeNull(); // same byte to a lenient decoder, different text
    expect(fromBase64('QUI=')).toEqual(new Uint8Array([65, 66]));
    expect(fromBase64('QUJ=')).toBeNull();
    expect(fromBase64('QQ')).toBeNull();
    expect(fromBase64('Q===')).toBeNull();
    expect(fromBase64('QQ=A')).toBeNull();
    expect(fromBase64('QU I=')).toBeNull();
    expect(fromBase64('QUJD\n')).toBeNull();
  });
});

it('the library version written into bundles is the package version', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  expect(LIBRARY_VERSION).toBe(pkg.version);
});

describe('recordTexts', () => {
  it('gives the canonical text of a record and of the record without hash and data, from one serialisation', async () => {
    const { recordTexts, hashedText } = await import('../../src/evidence/chain.js');
    const record = { type: 'keyframe', seq: 3, hash: 'ab', data: 'QUJD', box: { y: 2, x: 1.5 }, moment: 'blink', z: [1, -0, 0.1 + 0.2], skipped: undefined };
    const { hashed, full } = recordTexts(record);
    expect(full).toBe(canonicalJson(record));
    expect(hashed).toBe(hashedText(record));
    expect(hashed).not.toContain('"hash"');
    expect(hashed).not.toContain('"data"');
    expect(full).toBe('{"box":{"x":1.5,"y":2},"data":"QUJD","hash":"ab","moment":"blink","seq":3,"type":"keyframe","z":[1,0,0.30000000000000004]}');
  });
});

import { describe, expect, it } from 'vitest';
import { sortPrefix } from '../../src/util/sort.js';

describe('sortPrefix', () => {
  it('sorts the first n values like Array.prototype.sort and leaves the rest', () => {
    for (let trial = 0; trial < 50; trial++) {
      const n = Math.floor(Math.random() * 60);
      const a = Float64Array.from({ length: n + 5 }, () => Math.round(Math.random() * 100) - 50);
      const want = Array.from(a.subarray(0, n)).sort((x, y) => x - y);
      const tail = Array.from(a.subarray(n));
      sortPrefix(a, n);
      expect(Array.from(a.subarray(0, n))).toEqual(want);
      expect(Array.from(a.subarray(n))).toEqual(tail);
    }
  });
});

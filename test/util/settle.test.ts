import { describe, expect, it } from 'vitest';
import { allInOrder } from '../../src/util/settle.js';

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const failLater = (ms: number, message: string) => new Promise<never>((_, j) => setTimeout(() => j(new Error(message)), ms));

describe('allInOrder', () => {
  it('returns the values in argument order', async () => {
    expect(await allInOrder<[number, string, undefined]>([later(20, 1), 'b', undefined])).toEqual([1, 'b', undefined]);
  });

  it('throws the first failure in argument order, not the first in time', async () => {
    // the second fails at once, the first only after 30 ms: Promise.all would report the second
    await expect(allInOrder([failLater(30, 'first'), failLater(0, 'second')])).rejects.toThrow('first');
  });

  it('hands every value that arrived to release when one failed', async () => {
    const released: unknown[] = [];
    await expect(allInOrder([later(5, 'a'), failLater(0, 'x'), later(10, 'c'), null], (v) => released.push(v))).rejects.toThrow('x');
    expect(released).toEqual(['a', 'c']);
  });

  it('a failing release does not hide the load failure', async () => {
    await expect(
      allInOrder([later(0, 'a'), failLater(0, 'load')], () => {
        throw new Error('release');
      }),
    ).rejects.toThrow('load');
  });
});

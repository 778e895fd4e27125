// Invalid input throws LivecheckError with a stable code, and never corrupts the kernels' state.
import { beforeAll, describe, expect, test } from 'vitest';
import { isLivecheckError, type LivecheckErrorCode } from '../../src/errors.js';
import { createKernels, simdSupported, type Kernels } from '../../src/quality/index.js';
import { readKernelWasm } from '../../src/node/kernels.js';
import { bothBuilds, randomRgba } from './helpers.js';

function code(fn: () => unknown): LivecheckErrorCode | 'no error' | 'foreign error' {
  try {
    fn();
  } catch (e) {
    return isLivecheckError(e) ? e.code : 'foreign error';
  }
  return 'no error';
}

async function codeAsync(fn: () => Promise<unknown>): Promise<LivecheckErrorCode | 'no error' | 'foreign error'> {
  try {
    await fn();
  } catch (e) {
    return isLivecheckError(e) ? e.code : 'foreign error';
  }
  return 'no error';
}

let k: Kernels;
beforeAll(async () => {
  k = (await bothBuilds()).simd;
});

describe('frames', () => {
  test('size mismatch, zero and fractional sizes, oversize', () => {
    const rgba = randomRgba(8, 6, 1);
    expect(code(() => k.setFrame(rgba, 8, 5))).toBe('invalid-frame-size');
    expect(code(() => k.setFrame(rgba, 0, 6))).toBe('invalid-frame-size');
    expect(code(() => k.setFrame(rgba, 8.5, 6))).toBe('invalid-frame-size');
    expect(code(() => k.setFrame(rgba, -8, -6))).toBe('invalid-frame-size');
    expect(code(() => k.setFrame(rgba, NaN, 6))).toBe('invalid-frame-size');
    expect(code(() => k.setLuma(rgba, 8, 6))).toBe('invalid-frame-size');
    expect(code(() => k.qualityPass(rgba, 4096, 4097, null))).toBe('invalid-frame-size');
  });

  test('empty and detached buffers', () => {
    expect(code(() => k.setFrame(new Uint8Array(0), 8, 6))).toBe('empty-buffer');
    const rgba = randomRgba(8, 6, 2);
    structuredClone(rgba.buffer, { transfer: [rgba.buffer] });
    expect(code(() => k.setFrame(rgba, 8, 6))).toBe('detached-buffer');
    expect(code(() => k.qualityPass(rgba, 8, 6, null))).toBe('detached-buffer');
  });

  test('wrong pixel type', () => {
    expect(code(() => k.setFrame(new Float32Array(8 * 6 * 4) as unknown as Uint8Array, 8, 6))).toBe('invalid-argument');
  });

  test('Uint8ClampedArray (ImageData) frames are accepted', () => {
    const rgba = randomRgba(8, 6, 3);
    k.setFrame(new Uint8ClampedArray(rgba.buffer), 8, 6);
    const a = k.luma();
    k.setFrame(rgba, 8, 6);
    expect(k.luma()).toEqual(a);
  });
});

describe('regions', () => {
  test('outside, empty, not finite', () => {
    k.setFrame(randomRgba(20, 10, 4), 20, 10);
    expect(code(() => k.histogram({ x: 20, y: 0, width: 5, height: 5 }))).toBe('invalid-region');
    expect(code(() => k.histogram({ x: -10, y: 0, width: 10, height: 5 }))).toBe('invalid-region');
    expect(code(() => k.luminance({ x: 0, y: 0, width: 0, height: 5 }))).toBe('invalid-region');
    expect(code(() => k.focus({ x: NaN, y: 0, width: 3, height: 5 }))).toBe('invalid-region');
    expect(code(() => k.meanRgb({ x: 0, y: 0, width: Infinity, height: 5 }))).toBe('invalid-region');
    expect(code(() => k.qualityPass(randomRgba(20, 10, 4), 20, 10, { x: 0, y: 11, width: 3, height: 3 }))).toBe('invalid-region');
  });

  test('partly outside is clipped to the frame', () => {
    k.setFrame(randomRgba(20, 10, 5), 20, 10);
    expect(k.luminance({ x: -5, y: 8.5, width: 10, height: 10 }).count).toBe(5 * 2);
  });

  test('a bad grid is an invalid argument', () => {
    k.setFrame(randomRgba(20, 10, 6), 20, 10);
    expect(code(() => k.uniformityGrid(null, 0, 2))).toBe('invalid-argument');
    expect(code(() => k.uniformityGrid({ x: 0, y: 0, width: 3, height: 3 }, 4, 1))).toBe('invalid-argument');
  });
});

describe('state and options', () => {
  test('a rejected frame leaves the previous one in place', () => {
    const a = randomRgba(16, 16, 7);
    k.reset();
    k.setFrame(a, 16, 16);
    const before = k.luma();
    expect(code(() => k.qualityPass(a, 16, 16, { x: 99, y: 0, width: 1, height: 1 }))).toBe('invalid-region');
    expect(k.luma()).toEqual(before);
  });

  test('tracking needs a previous frame of the same size and finite points', async () => {
    const fresh = (await bothBuilds()).scalar;
    expect(code(() => fresh.luma())).toBe('invalid-argument');
    fresh.setFrame(randomRgba(40, 40, 8), 40, 40);
    expect(code(() => fresh.trackPoints(new Float32Array([10, 10])))).toBe('invalid-argument');
    expect(fresh.backgroundMotion(null)).toBeNull();
    fresh.setFrame(randomRgba(40, 40, 9), 40, 40);
    expect(code(() => fresh.trackPoints(new Float32Array([10, NaN])))).toBe('invalid-argument');
    expect(code(() => fresh.trackPoints(new Float32Array([10])))).toBe('invalid-argument');
    fresh.setFrame(randomRgba(41, 40, 9), 41, 40); // size change forgets the previous frame
    expect(fresh.backgroundMotion(null)).toBeNull();
  });

  test('bad options and missing modules', async () => {
    const scalar = await readKernelWasm(false);
    expect(await codeAsync(() => createKernels({ wasm: scalar, quality: { levels: 0 } }))).toBe('invalid-argument');
    expect(await codeAsync(() => createKernels({ wasm: scalar, quality: { epsilon: NaN } }))).toBe('invalid-argument');
    expect(await codeAsync(() => createKernels({ wasm: scalar, quality: { grid: { target: 0 } } }))).toBe('invalid-argument');
    expect(await codeAsync(() => createKernels({ wasm: scalar, quality: { grid: { faceMargin: NaN } } }))).toBe('invalid-argument');
    expect(await codeAsync(() => createKernels({ wasm: { scalar }, simd: true }))).toBe('wasm-unavailable');
    expect(await codeAsync(() => createKernels({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9]) }))).toBe('wasm-unavailable');
    const auto = await createKernels({ wasm: { scalar, simd: await readKernelWasm(true) } });
    expect(auto.simd).toBe(simdSupported());
  });
});

describe('input buffer', () => {
  test('a frame written into inputBuffer gives the same results as a copied one', async () => {
    const { simd: a, scalar: b } = await bothBuilds();
    const rgba = randomRgba(37, 23, 10);
    const view = a.inputBuffer(37, 23);
    view.set(rgba);
    const q1 = a.qualityPass(view, 37, 23, { x: 3, y: 4, width: 20, height: 10 });
    const q2 = b.qualityPass(rgba, 37, 23, { x: 3, y: 4, width: 20, height: 10 });
    expect(q1).toEqual(q2);
    expect(code(() => a.inputBuffer(0, 23))).toBe('invalid-frame-size');
  });
});

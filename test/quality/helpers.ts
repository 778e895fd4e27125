// Shared helpers for the kernel tests: both builds, seeded random frames, sub-pixel resampling.
import { createNodeKernels } from '../../src/node/kernels.js';
import type { Kernels } from '../../src/quality/index.js';

export async function bothBuilds(): Promise<{ simd: Kernels; scalar: Kernels }> {
  const [simd, scalar] = await Promise.all([createNodeKernels({ simd: true }), createNodeKernels({ simd: false })]);
  return { simd, scalar };
}

import { mulberry32 as rng } from '../helpers/random.js';
export { rng };

export function randomRgba(width: number, height: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/** A smooth random texture (sum of random sinusoids), good for optical flow. */
export function smoothTexture(width: number, height: number, seed: number): Float64Array {
  const r = rng(seed);
  const waves = Array.from({ length: 12 }, () => ({
    fx: (r() - 0.5) * 0.5,
    fy: (r() - 0.5) * 0.5,
    ph: r() * Math.PI * 2,
    amp: 10 + r() * 15,
  }));
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 128;
      for (const w of waves) v += w.amp * Math.sin(w.fx * x + w.fy * y + w.ph);
      out[y * width + x] = v;
    }
  }
  return out;
}

/** Bilinear sample of a single-channel plane at (x, y), edges replicated. */
export function sample(src: ArrayLike<number>, width: number, height: number, x: number, y: number): number {
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(cx),
    y0 = Math.floor(cy);
  const x1 = Math.min(width - 1, x0 + 1),
    y1 = Math.min(height - 1, y0 + 1);
  const ax = cx - x0,
    ay = cy - y0;
  return (1 - ax) * (1 - ay) * src[y0 * width + x0] + ax * (1 - ay) * src[y0 * width + x1] + (1 - ax) * ay * src[y1 * width + x0] + ax * ay * src[y1 * width + x1];
}

/** RGBA frame whose pixel (x, y) is `src` sampled at map(x, y) (bilinear, per channel). */
export function warpRgba(src: Uint8Array, width: number, height: number, map: (x: number, y: number) => [number, number]): Uint8Array {
  const out = new Uint8Array(src.length);
  const planes = [0, 1, 2, 3].map((c) => {
    const p = new Float64Array(width * height);
    for (let i = 0; i < width * height; i++) p[i] = src[4 * i + c];
    return p;
  });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = map(x, y);
      for (let c = 0; c < 4; c++) out[4 * (y * width + x) + c] = Math.round(sample(planes[c], width, height, sx, sy));
    }
  }
  return out;
}

export function greyToRgba(grey: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(grey.length * 4);
  for (let i = 0; i < grey.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(grey[i])));
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = v;
    out[4 * i + 3] = 255;
  }
  return out;
}

// 2x3 affine transforms between image space and model-input space, and the bilinear warp that fills a model's
// input tensor straight from an RGBA frame (crop + rotate + resize + normalise in one pass, no intermediate image).
import type { RgbaImage } from '../image.js';

/** [a, b, c, d, e, f]: x' = a*x + b*y + c, y' = d*x + e*y + f. Continuous coordinates (pixel corners at integers). */
export type Affine = Float64Array;

export function affine(a = 1, b = 0, c = 0, d = 0, e = 1, f = 0): Affine {
  const m = new Float64Array(6);
  m[0] = a;
  m[1] = b;
  m[2] = c;
  m[3] = d;
  m[4] = e;
  m[5] = f;
  return m;
}

/**
 * The map from a square crop (side `size` px, model space) to the image: the crop's centre lands on (cx, cy), its
 * side spans `side` image pixels, and its x axis points along `angle` (radians, image y down). Written into `out`.
 */
export function cropToImage(cx: number, cy: number, side: number, angle: number, size: number, out: Affine): Affine {
  const s = side / size;
  const cos = Math.cos(angle) * s;
  const sin = Math.sin(angle) * s;
  const h = size / 2;
  out[0] = cos;
  out[1] = -sin;
  out[2] = cx - cos * h + sin * h;
  out[3] = sin;
  out[4] = cos;
  out[5] = cy - sin * h - cos * h;
  return out;
}

export function invertAffine(m: Affine, out: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  const a = m[4] / det,
    b = -m[1] / det,
    d = -m[3] / det,
    e = m[0] / det;
  const c = -(a * m[2] + b * m[5]);
  const f = -(d * m[2] + e * m[5]);
  out[0] = a;
  out[1] = b;
  out[2] = c;
  out[3] = d;
  out[4] = e;
  out[5] = f;
  return out;
}

export function applyX(m: Affine, x: number, y: number): number {
  return m[0] * x + m[1] * y + m[2];
}
export function applyY(m: Affine, x: number, y: number): number {
  return m[3] * x + m[4] * y + m[5];
}
/** Length scale of the map (for z, which the models express in the same units as x). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}

/**
 * Fills `dst` (NHWC float32, dstW x dstH x 3) by sampling `frame` at `toImage(u + 0.5, v + 0.5)`, bilinear, black
 * outside the frame, value = pixel * scale + bias. When one output pixel covers several source pixels it low-passes
 * first so small faces do not alias away: from 2 source pixels per output pixel up (a large face's FaceMesh crop,
 * the detector's view of a whole frame) the part of the frame the crop covers is halved (2x2 box means, as a
 * mipmap level) until fewer than 2 remain, and between 1.5 and 2 it averages 2 x 2 bilinear taps. `flipX` mirrors
 * the output horizontally (the iris model sees left eyes mirrored).
 */
export function warpToTensor(frame: RgbaImage, toImage: Affine, dst: Float32Array, dstW: number, dstH: number, scale: number, bias: number, flipX = false): void {
  warpFromLevel(frame, toImage, dst, dstW, dstH, scale, bias, flipX, 0);
}

function warpFromLevel(frame: RgbaImage, toImage: Affine, dst: Float32Array, dstW: number, dstH: number, scale: number, bias: number, flipX: boolean, level: number): void {
  const step = Math.sqrt(Math.abs(toImage[0] * toImage[4] - toImage[1] * toImage[3]));
  if (step >= 2 && level < HALF_LEVELS) {
    const half = halveCovered(frame, toImage, dstW, dstH, level);
    if (half) {
      warpFromLevel(half.image, half.toImage, dst, dstW, dstH, scale, bias, flipX, level + 1);
      return;
    }
  }
  warpTaps(frame, toImage, dst, dstW, dstH, scale, bias, flipX, step);
}

const HALF_LEVELS = 6;

/** One reusable half-resolution image and map per pyramid level (grown, never shrunk: no allocation per frame). */
const halves = Array.from({ length: HALF_LEVELS }, () => ({ image: { width: 0, height: 0, data: new Uint8ClampedArray(0) } as RgbaImage, toImage: new Float64Array(6) }));

/**
 * The region of `frame` the crop reads (its mapped corners plus a margin for the bilinear taps, clamped to the
 * frame, from an even origin) halved into this level's scratch image, and the crop's map into it (continuous
 * coordinates halve exactly: half pixel X covers source [2X, 2X + 2)). Null when the crop misses the frame.
 */
function halveCovered(frame: RgbaImage, m: Affine, dstW: number, dstH: number, level: number): { image: RgbaImage; toImage: Affine } | null {
  const { width: W, height: H, data } = frame;
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (let k = 0; k < 4; k++) {
    const u = k & 1 ? dstW : 0,
      v = k & 2 ? dstH : 0;
    const x = m[0] * u + m[1] * v + m[2],
      y = m[3] * u + m[4] * v + m[5];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const ox = Math.max(0, Math.floor(x0) - 4) & ~1,
    oy = Math.max(0, Math.floor(y0) - 4) & ~1;
  const hw = (Math.min(W, Math.ceil(x1) + 4) - ox) >> 1,
    hh = (Math.min(H, Math.ceil(y1) + 4) - oy) >> 1;
  if (!(hw > 0 && hh > 0)) return null;
  const out = halves[level];
  if (out.image.data.length < hw * hh * 4) out.image.data = new Uint8ClampedArray(hw * hh * 4);
  out.image.width = hw;
  out.image.height = hh;
  const h = out.image.data;
  const row = W * 4;
  for (let y = 0; y < hh; y++) {
    let p = (oy + 2 * y) * row + ox * 4;
    let o = y * hw * 4;
    for (let x = 0; x < hw; x++, p += 8, o += 4) {
      const q = p + row;
      h[o] = (data[p] + data[p + 4] + data[q] + data[q + 4] + 2) >> 2;
      h[o + 1] = (data[p + 1] + data[p + 5] + data[q + 1] + data[q + 5] + 2) >> 2;
      h[o + 2] = (data[p + 2] + data[p + 6] + data[q + 2] + data[q + 6] + 2) >> 2;
      h[o + 3] = 255;
    }
  }
  const t = out.toImage;
  t[0] = m[0] / 2;
  t[1] = m[1] / 2;
  t[2] = (m[2] - ox) / 2;
  t[3] = m[3] / 2;
  t[4] = m[4] / 2;
  t[5] = (m[5] - oy) / 2;
  return out;
}

/** The bilinear sampling itself: n x n taps per output pixel (n = 2 from 1.5 source pixels per output pixel, else 1). */
function warpTaps(frame: RgbaImage, toImage: Affine, dst: Float32Array, dstW: number, dstH: number, scale: number, bias: number, flipX: boolean, step: number): void {
  const { width: W, height: H, data } = frame;
  const a = toImage[0],
    b = toImage[1],
    c = toImage[2],
    d = toImage[3],
    e = toImage[4],
    f = toImage[5];
  // taps at most 1 source pixel apart (bilinear support is 2); beyond 2 only when the pyramid is exhausted
  const n = step > 1.5 ? Math.min(8, Math.ceil(step)) : 1;
  if (n === 1) {
    warpOneTap(frame, toImage, dst, dstW, dstH, scale, bias, flipX);
    return;
  }
  const inv = scale / (n * n);
  for (let v = 0; v < dstH; v++) {
    for (let u = 0; u < dstW; u++) {
      let r = 0,
        g = 0,
        bl = 0;
      for (let j = 0; j < n; j++) {
        const vy = v + (j + 0.5) / n;
        for (let i = 0; i < n; i++) {
          const ux = u + (i + 0.5) / n;
          // continuous source position, shifted so integer coordinates are pixel centres
          const sx = a * ux + b * vy + c - 0.5;
          const sy = d * ux + e * vy + f - 0.5;
          const x0 = Math.floor(sx),
            y0 = Math.floor(sy);
          const fx = sx - x0,
            fy = sy - y0;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
            const p = (y0 * W + x0) * 4,
              q = p + W * 4;
            const w00 = (1 - fx) * (1 - fy),
              w10 = fx * (1 - fy),
              w01 = (1 - fx) * fy,
              w11 = fx * fy;
            r += data[p] * w00 + data[p + 4] * w10 + data[q] * w01 + data[q + 4] * w11;
            g += data[p + 1] * w00 + data[p + 5] * w10 + data[q + 1] * w01 + data[q + 5] * w11;
            bl += data[p + 2] * w00 + data[p + 6] * w10 + data[q + 2] * w01 + data[q + 6] * w11;
          } else if (x0 >= -1 && y0 >= -1 && x0 < W && y0 < H) {
            // border: taps outside the frame count as black
            for (let k = 0; k < 4; k++) {
              const xx = x0 + (k & 1),
                yy = y0 + (k >> 1);
              if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
              const w = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy);
              const p = (yy * W + xx) * 4;
              r += data[p] * w;
              g += data[p + 1] * w;
              bl += data[p + 2] * w;
            }
          }
        }
      }
      const o = (v * dstW + (flipX ? dstW - 1 - u : u)) * 3;
      dst[o] = r * inv + bias;
      dst[o + 1] = g * inv + bias;
      dst[o + 2] = bl * inv + bias;
    }
  }
}

/**
 * warpToTensor with one bilinear tap per output pixel (a crop no more than 1.5x larger than the model input: every
 * tracked FaceMesh and Iris crop on video). Same sampling and the same arithmetic (bit-identical output), without the
 * tap loops: it runs every frame in JS, the only per-frame pixel work outside the models. The row's products b*vy and
 * e*vy are hoisted (JS adds left to right, so a*ux + bv + c - 0.5 rounds exactly as a*ux + b*vy + c - 0.5), and a row
 * whose first and last taps both have their 2x2 neighbourhood inside the frame skips the per-pixel bounds tests and
 * Math.floor (sampling along a row is monotone in u, so every tap between lies inside too; `| 0` floors a
 * non-negative value). Pixels whose neighbourhood leaves the frame take the border rule.
 */
function warpOneTap(frame: RgbaImage, toImage: Affine, dst: Float32Array, dstW: number, dstH: number, scale: number, bias: number, flipX: boolean): void {
  const { width: W, height: H, data } = frame;
  const a = toImage[0],
    b = toImage[1],
    c = toImage[2],
    d = toImage[3],
    e = toImage[4],
    f = toImage[5];
  const row = W * 4;
  const step = flipX ? -3 : 3;
  const uLast = dstW - 0.5;
  for (let v = 0; v < dstH; v++) {
    const vy = v + 0.5;
    const bv = b * vy,
      ev = e * vy;
    let o = flipX ? (v * dstW + dstW - 1) * 3 : v * dstW * 3;
    const sxFirst = a * 0.5 + bv + c - 0.5,
      syFirst = d * 0.5 + ev + f - 0.5;
    const sxLast = a * uLast + bv + c - 0.5,
      syLast = d * uLast + ev + f - 0.5;
    if (sxFirst >= 0 && syFirst >= 0 && sxLast >= 0 && syLast >= 0 && sxFirst < W - 1 && sxLast < W - 1 && syFirst < H - 1 && syLast < H - 1) {
      for (let u = 0; u < dstW; u++, o += step) {
        const ux = u + 0.5;
        const sx = a * ux + bv + c - 0.5;
        const sy = d * ux + ev + f - 0.5;
        const x0 = sx | 0,
          y0 = sy | 0;
        const fx = sx - x0,
          fy = sy - y0;
        const p = y0 * row + x0 * 4,
          q = p + row;
        const w00 = (1 - fx) * (1 - fy),
          w10 = fx * (1 - fy),
          w01 = (1 - fx) * fy,
          w11 = fx * fy;
        dst[o] = (data[p] * w00 + data[p + 4] * w10 + data[q] * w01 + data[q + 4] * w11) * scale + bias;
        dst[o + 1] = (data[p + 1] * w00 + data[p + 5] * w10 + data[q + 1] * w01 + data[q + 5] * w11) * scale + bias;
        dst[o + 2] = (data[p + 2] * w00 + data[p + 6] * w10 + data[q + 2] * w01 + data[q + 6] * w11) * scale + bias;
      }
      continue;
    }
    for (let u = 0; u < dstW; u++, o += step) {
      const ux = u + 0.5;
      const sx = a * ux + bv + c - 0.5;
      const sy = d * ux + ev + f - 0.5;
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      const fx = sx - x0,
        fy = sy - y0;
      let r = 0,
        g = 0,
        bl = 0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        const p = y0 * row + x0 * 4,
          q = p + row;
        const w00 = (1 - fx) * (1 - fy),
          w10 = fx * (1 - fy),
          w01 = (1 - fx) * fy,
          w11 = fx * fy;
        r = data[p] * w00 + data[p + 4] * w10 + data[q] * w01 + data[q + 4] * w11;
        g = data[p + 1] * w00 + data[p + 5] * w10 + data[q + 1] * w01 + data[q + 5] * w11;
        bl = data[p + 2] * w00 + data[p + 6] * w10 + data[q + 2] * w01 + data[q + 6] * w11;
      } else if (x0 >= -1 && y0 >= -1 && x0 < W && y0 < H) {
        // border: taps outside the frame count as black
        for (let k = 0; k < 4; k++) {
          const xx = x0 + (k & 1),
            yy = y0 + (k >> 1);
          if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
          const w = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy);
          const p = yy * row + xx * 4;
          r += data[p] * w;
          g += data[p + 1] * w;
          bl += data[p + 2] * w;
        }
      }
      dst[o] = r * scale + bias;
      dst[o + 1] = g * scale + bias;
      dst[o + 2] = bl * scale + bias;
    }
  }
}

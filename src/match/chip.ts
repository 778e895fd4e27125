// The identity chip: the face aligned onto the recognition net's 150x150 template (align.ts), kept as RGBA bytes so
// it can be stored (a few per second, described later, off the per-frame path) and JPEG-encoded into the evidence.
// describe(chipTensor(rgba)) equals FaceRecognizer.describe on the frame up to the rounding to bytes.
import type { Point3 } from '../types.js';
import type { RgbaImage } from '../image.js';
import { affine, warpToTensor } from '../face/affine.js';
import { LivecheckError } from '../errors.js';
import { MATCH_SIZE, alignToImage, alignmentPoints } from './align.js';

/** Bytes of one RGBA chip. */
export const CHIP_BYTES = MATCH_SIZE * MATCH_SIZE * 4;

/** Distance between the eye centres (image pixels) of FaceMesh(+Iris) landmarks: the identity gate's face size. */
export function eyeDistancePx(landmarks: readonly Point3[], scratch = new Float64Array(6)): number {
  const e = alignmentPoints(landmarks, scratch);
  return Math.hypot(e[2] - e[0], e[3] - e[1]);
}

/** Cuts aligned chips; its warp buffers are reused, each chip is a new array (it is kept). */
export class ChipCutter {
  private readonly points = new Float64Array(6);
  private readonly toImage = affine();
  private readonly tensor = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3);

  /**
   * The chip of the face with these landmarks (image pixels). `frame` may be a crop of the image whose top-left
   * corner is at (`originX`, `originY`): the landmarks stay in image pixels.
   */
  cut(frame: RgbaImage, landmarks: readonly Point3[], originX = 0, originY = 0, out = new Uint8ClampedArray(CHIP_BYTES)): Uint8ClampedArray {
    if (out.length !== CHIP_BYTES) throw new LivecheckError('invalid-argument', `a chip is ${MATCH_SIZE}x${MATCH_SIZE} RGBA`, { length: out.length });
    alignToImage(alignmentPoints(landmarks, this.points), this.toImage);
    this.toImage[2] -= originX;
    this.toImage[5] -= originY;
    warpToTensor(frame, this.toImage, this.tensor, MATCH_SIZE, MATCH_SIZE, 1, 0);
    const t = this.tensor;
    for (let i = 0, j = 0; i < t.length; i += 3, j += 4) {
      out[j] = t[i]; // Uint8ClampedArray rounds and clamps
      out[j + 1] = t[i + 1];
      out[j + 2] = t[i + 2];
      out[j + 3] = 255;
    }
    return out;
  }
}

/** A chip's RGBA bytes as the net's input (NHWC RGB 0..255), into `out`. */
export function chipTensor(rgba: ArrayLike<number>, out = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3)): Float32Array {
  if (rgba.length !== CHIP_BYTES) throw new LivecheckError('invalid-argument', `a chip is ${MATCH_SIZE}x${MATCH_SIZE} RGBA`, { length: rgba.length });
  for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
    out[i] = rgba[j];
    out[i + 1] = rgba[j + 1];
    out[i + 2] = rgba[j + 2];
  }
  return out;
}

/**
 * The integer region of the image a chip of these landmarks samples (its rotated square's bounding box plus a
 * margin for the iris-refined eye centres), clamped to the image; null when it lies outside. For saving only those
 * pixels before the frame's buffer is reused.
 */
export function chipRegion(
  landmarks: readonly Point3[],
  width: number,
  height: number,
  margin = 0.15,
  scratch = new Float64Array(6),
  m = affine(),
): { x: number; y: number; width: number; height: number } | null {
  alignToImage(alignmentPoints(landmarks, scratch), m);
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  const lo = -margin * MATCH_SIZE,
    hi = (1 + margin) * MATCH_SIZE;
  for (const u of [lo, hi]) {
    for (const v of [lo, hi]) {
      const x = m[0] * u + m[1] * v + m[2],
        y = m[3] * u + m[4] * v + m[5];
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  const rx = Math.max(0, Math.floor(x0)),
    ry = Math.max(0, Math.floor(y0));
  const rw = Math.min(width, Math.ceil(x1)) - rx,
    rh = Math.min(height, Math.ceil(y1)) - ry;
  return rw > 0 && rh > 0 ? { x: rx, y: ry, width: rw, height: rh } : null;
}

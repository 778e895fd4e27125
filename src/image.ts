// One image type for every layer, and its one validator. RGBA: 4 bytes per pixel, row-major, no padding.
import { LivecheckError } from './errors.js';

export type PixelData = Uint8Array | Uint8ClampedArray;

/** An RGBA image: `data.length === width * height * 4`, rows top to bottom, no padding. */
export interface RgbaImage {
  width: number;
  height: number;
  data: PixelData;
}

/** Largest frame the quality kernels accept: their 64-bit histogram moments stay exact up to 2^24 pixels. */
export const MAX_PIXELS = 1 << 24;

/**
 * Throws the matching LivecheckError unless `data` holds exactly `width * height * channels` bytes of a positive
 * integer size of at most `maxPixels`: `invalid-argument` (not a byte array), `detached-buffer`, `empty-buffer`,
 * `invalid-frame-size`.
 */
export function checkPixels(data: PixelData, width: number, height: number, channels = 4, maxPixels = MAX_PIXELS): void {
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new LivecheckError('invalid-argument', 'pixels must be a Uint8Array or Uint8ClampedArray', { type: typeof data });
  }
  if (data.length === 0) {
    if (isDetached(data.buffer)) throw new LivecheckError('detached-buffer', 'the pixel buffer was transferred away (detached)');
    throw new LivecheckError('empty-buffer', 'the pixel buffer is empty');
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > maxPixels) {
    throw new LivecheckError('invalid-frame-size', `invalid frame size ${width}x${height}`, { width, height, maxPixels });
  }
  if (data.length !== width * height * channels) {
    throw new LivecheckError('invalid-frame-size', `buffer holds ${data.length} bytes, ${width}x${height}x${channels} needs ${width * height * channels}`, {
      width,
      height,
      channels,
      bytes: data.length,
    });
  }
}

/** checkPixels for an RgbaImage; `invalid-argument` when it is not an object. */
export function checkImage(image: RgbaImage, maxPixels = MAX_PIXELS): void {
  if (image === null || typeof image !== 'object') throw new LivecheckError('invalid-argument', 'an image needs width, height and RGBA data');
  checkPixels(image.data, image.width, image.height, 4, maxPixels);
}

function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  const flag = (buffer as { detached?: boolean }).detached;
  if (typeof flag === 'boolean') return flag;
  try {
    // Node 20 has no ArrayBuffer#detached; constructing a view on a detached buffer throws.
    new Uint8Array(buffer as ArrayBuffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

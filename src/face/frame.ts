import { LivecheckError } from '../errors.js';

/** An RGBA image of any size: 4 bytes per pixel, row-major, no padding. */
export interface RgbaFrame {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export function assertFrame(frame: RgbaFrame): void {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new LivecheckError('invalid-frame-size', `frame size ${width}x${height} is not a positive integer size`, { width, height });
  }
  if (data.buffer.byteLength === 0) throw new LivecheckError(data.length === 0 && width * height > 0 ? 'detached-buffer' : 'empty-buffer', 'frame buffer is empty or detached');
  if (data.length !== width * height * 4) {
    throw new LivecheckError('invalid-frame-size', `frame buffer has ${data.length} bytes, expected ${width * height * 4} for ${width}x${height} RGBA`, { width, height, length: data.length });
  }
}

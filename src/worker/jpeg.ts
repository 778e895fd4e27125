// JPEG in a worker: the image through an OffscreenCanvas, `convertToBlob`. One canvas, reused.
import { LivecheckError } from '../errors.js';
import type { JpegEncoder } from '../evidence/recorder.js';
import type { RgbaImage } from '../image.js';

/** A JPEG encoder at `quality` (0..1). */
export function offscreenJpegEncoder(quality = 0.85): JpegEncoder {
  let canvas: OffscreenCanvas | null = null;
  let ctx: OffscreenCanvasRenderingContext2D | null = null;
  return async (image: RgbaImage) => {
    if (!canvas || canvas.width !== image.width || canvas.height !== image.height) {
      canvas = new OffscreenCanvas(image.width, image.height);
      ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D | null;
      if (!ctx) throw new LivecheckError('invalid-argument', 'OffscreenCanvas 2d context unavailable: no JPEG encoder');
    }
    const { data } = image;
    ctx!.putImageData(new ImageData(new Uint8ClampedArray(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength), image.width, image.height), 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
    return new Uint8Array(await blob.arrayBuffer());
  };
}

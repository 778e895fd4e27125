// Frame intake: a transferred RGBA buffer as it is; a VideoFrame by copyTo straight into the kernels' own input
// buffer (no per-frame allocation, no second copy into wasm memory); an ImageBitmap, or a browser whose copyTo cannot
// convert to RGBA, through an OffscreenCanvas (getImageData allocates a new buffer every frame).
import { LivecheckError } from '../errors.js';
import type { RgbaBuffer } from './protocol.js';

export type PixelPath = 'copyTo' | 'canvas' | 'buffer';

export interface FramePixels {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  path: PixelPath;
  /** The caller's buffer, to hand back with the output (null for camera frames). */
  buffer: ArrayBuffer | null;
}

/** Where a frame's pixels can land without a copy: the kernels' input buffer for this size. */
export type InputBuffer = (width: number, height: number) => Uint8Array;

export class FrameIntake {
  #canvas: OffscreenCanvas | null = null;
  #ctx: OffscreenCanvasRenderingContext2D | null = null;
  /** Cleared for good once this browser's copyTo ignores the RGBA format. */
  #copyTo = typeof VideoFrame !== 'undefined';

  /** The frame's RGBA pixels; a VideoFrame or ImageBitmap is closed here, whatever happens. */
  async read(frame: ImageBitmap | VideoFrame | RgbaBuffer, input: InputBuffer): Promise<FramePixels> {
    if ('buffer' in frame && frame.buffer instanceof ArrayBuffer) {
      return { width: frame.width, height: frame.height, data: new Uint8Array(frame.buffer), path: 'buffer', buffer: frame.buffer };
    }
    const media = frame as ImageBitmap | VideoFrame;
    try {
      const { width, height } = frameSize(media);
      if (this.#copyTo && 'copyTo' in media) {
        const view = input(width, height);
        let layout: PlaneLayout[] | null = null;
        try {
          layout = await media.copyTo(view, { format: 'RGBA', colorSpace: 'srgb' });
        } catch (e) {
          // a closed frame, not a missing feature: this frame is skipped, the next one takes the same path
          if ((e as DOMException).name === 'InvalidStateError') throw new LivecheckError('invalid-argument', 'the frame was closed before the worker read it');
        }
        // a browser that ignores `format` copies its native planes (e.g. I420): one packed RGBA plane or the canvas
        if (layout && layout.length === 1 && layout[0].offset === 0 && layout[0].stride === width * 4) return { width, height, data: view, path: 'copyTo', buffer: null };
        this.#copyTo = false;
      }
      if (!this.#canvas || this.#canvas.width !== width || this.#canvas.height !== height) {
        this.#canvas = new OffscreenCanvas(width, height);
        // willReadFrequently keeps the canvas on the CPU: readback without a GPU round trip
        this.#ctx = this.#canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | null;
        if (!this.#ctx) throw new LivecheckError('invalid-argument', 'OffscreenCanvas 2d context unavailable in this worker');
      }
      this.#ctx!.drawImage(media, 0, 0);
      return { width, height, data: this.#ctx!.getImageData(0, 0, width, height).data, path: 'canvas', buffer: null };
    } finally {
      media.close();
    }
  }
}

/** Closes a frame the worker will not read (a VideoFrame or ImageBitmap holds camera memory until closed). */
export function discardFrame(frame: ImageBitmap | VideoFrame | RgbaBuffer): void {
  if (!('buffer' in frame)) (frame as ImageBitmap | VideoFrame).close();
}

function frameSize(frame: ImageBitmap | VideoFrame): { width: number; height: number } {
  if ('visibleRect' in frame && frame.visibleRect) return { width: frame.visibleRect.width, height: frame.visibleRect.height };
  if ('displayWidth' in frame) return { width: frame.displayWidth, height: frame.displayHeight };
  return { width: frame.width, height: frame.height };
}

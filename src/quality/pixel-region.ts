// Frame and region validation, and where to put background tracking points. Pure: no wasm.
import { LivecheckError } from '../errors.js';
import type { Box } from '../types.js';

/** An integer pixel rectangle inside the frame. */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The pixels a box covers, clipped to the frame: [floor(x), ceil(x + width)) and likewise in y. A box partly outside
 * is clipped (faces touch the border); one entirely outside, empty or not finite throws `invalid-region`.
 */
export function pixelRegion(box: Box, width: number, height: number, out: PixelRegion = { x: 0, y: 0, width: 0, height: 0 }): PixelRegion {
  const { x, y, width: w, height: h } = box;
  if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(w) || !Number.isFinite(h) || w <= 0 || h <= 0) {
    throw new LivecheckError('invalid-region', 'a region needs finite x, y and a positive width and height', { x, y, width: w, height: h });
  }
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(width, Math.ceil(x + w));
  const y1 = Math.min(height, Math.ceil(y + h));
  if (x1 <= x0 || y1 <= y0) {
    throw new LivecheckError('invalid-region', `region ${x},${y} ${w}x${h} lies outside the ${width}x${height} frame`, { x, y, width: w, height: h });
  }
  out.x = x0;
  out.y = y0;
  out.width = x1 - x0;
  out.height = y1 - y0;
  return out;
}

export interface BackgroundGridOptions {
  /** Points wanted outside the mask (at least 64 when the frame allows it). Default 96. */
  target?: number;
  /** Mask margin around the face box, as a fraction of its width/height on each side. Default 0.25. */
  faceMargin?: number;
  /** Also mask below the face down to the frame bottom (neck, shoulders move with the head). Default true. */
  maskBody?: boolean;
  /** Distance of the points from the frame edge, pixels. Default 8 (less in tiny frames). */
  edge?: number;
}

/**
 * Writes a regular grid of background points (x, y pairs) into `out`, skipping the masked face (and body) area, and
 * returns how many. The grid is made denser until `target` points lie outside the mask or `out` is full.
 */
export function backgroundPoints(width: number, height: number, face: Box | null, out: Float32Array, options: BackgroundGridOptions = {}): number {
  const target = Math.min(options.target ?? 96, out.length >> 1);
  const margin = options.faceMargin ?? 0.25;
  const maskBody = options.maskBody ?? true;
  const edge = Math.min(options.edge ?? 8, Math.floor((width - 1) / 2), Math.floor((height - 1) / 2));
  const spanX = width - 1 - 2 * edge;
  const spanY = height - 1 - 2 * edge;
  if (spanX < 0 || spanY < 0 || target <= 0) return 0;
  let mx0 = 0,
    my0 = 0,
    mx1 = -1,
    my1 = -1;
  if (face) {
    mx0 = face.x - margin * face.width;
    mx1 = face.x + face.width * (1 + margin);
    my0 = face.y - margin * face.height;
    my1 = maskBody ? Infinity : face.y + face.height * (1 + margin);
  }
  const maskW = Math.max(0, Math.min(width, mx1) - Math.max(0, mx0));
  const maskH = Math.max(0, Math.min(height, my1) - Math.max(0, my0));
  const free = Math.max(0.05, 1 - (maskW * maskH) / (width * height));
  let wanted = target / free;
  let count = 0;
  for (let attempt = 0; attempt < 6; attempt++) {
    const cols = Math.max(1, Math.min(Math.round(Math.sqrt((wanted * (spanX + 1)) / (spanY + 1))), spanX + 1));
    const rows = Math.max(1, Math.min(Math.ceil(wanted / cols), spanY + 1));
    count = 0;
    for (let r = 0; r < rows && 2 * count < out.length; r++) {
      // pixel centre + 0.5: the 12-px tracking window then samples whole pixels at level 0 (cheaper, exact)
      const py = Math.min(edge + Math.floor(rows === 1 ? spanY / 2 : (r * spanY) / (rows - 1)) + 0.5, height - 1 - edge);
      for (let c = 0; c < cols && 2 * count < out.length; c++) {
        const px = Math.min(edge + Math.floor(cols === 1 ? spanX / 2 : (c * spanX) / (cols - 1)) + 0.5, width - 1 - edge);
        if (px >= mx0 && px <= mx1 && py >= my0 && py <= my1) continue;
        out[2 * count] = px;
        out[2 * count + 1] = py;
        count++;
      }
    }
    if (count >= target || 2 * count >= out.length || (cols > spanX && rows > spanY)) break;
    wanted *= (1.5 * target) / Math.max(count, 1);
  }
  return count;
}

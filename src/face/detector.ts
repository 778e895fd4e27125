// Face detector: letterboxes (part of) a frame into the BlazeFace input, runs it, and maps candidates back to image
// pixels. Quarter-turn rotation and tiling are just different input affines, so no rotated or tiled copies are made.
import type * as Ort from 'onnxruntime-web';
import { LivecheckError } from '../errors.js';
import { affine, applyX, applyY, cropToImage, warpToTensor, type Affine } from './affine.js';
import { blazeFaceAnchors, decodeBlazeFace, suppress, type Candidate } from './blazeface.js';
import type { RgbaImage } from '../image.js';
import { floatData, inputShape, outputSizes, type OrtModule, type OrtSession } from './models.js';

export interface DetectOptions {
  /** Minimum detector probability. Default 0.5. */
  minScore?: number;
  /** IoU above which candidates merge. Default 0.3. */
  iouThreshold?: number;
  nms?: 'weighted' | 'plain';
  /** Quarter turns (clockwise) applied to the frame before detection: 0..3. Results are in frame pixels. */
  quarterTurns?: number;
  /** Tile side in frame pixels for small faces in large photos (0 = whole frame in one pass). */
  tileSize?: number;
  /** Tile overlap as a fraction of the tile side. Default 0.25. */
  tileOverlap?: number;
}

export class FaceDetector {
  readonly size: number;
  private readonly input: Float32Array;
  private readonly tensor: Ort.Tensor;
  private readonly anchors = blazeFaceAnchors();
  private readonly logits: Float32Array;
  private readonly regressors: Float32Array;
  private readonly scoreOutputs: string[];
  private readonly boxOutputs: string[];
  private readonly toImage: Affine = affine();

  constructor(
    ort: OrtModule,
    private readonly session: OrtSession,
    private readonly file = 'detector',
  ) {
    const shape = inputShape(session);
    this.size = shape && shape[1] > 0 ? shape[1] : 128;
    this.input = new Float32Array(this.size * this.size * 3);
    this.tensor = new ort.Tensor('float32', this.input, [1, this.size, this.size, 3]);
    // Outputs by shape: logits have last dim 1, regressors 16; a fused [896,17] output is split on read.
    const outs = outputSizes(session);
    const byCount = (a: { size: number }, b: { size: number }) => b.size - a.size; // 16x16 grid before 8x8
    this.scoreOutputs = outs
      .filter((o) => o.lastDim === 1)
      .sort(byCount)
      .map((o) => o.name);
    this.boxOutputs = outs
      .filter((o) => o.lastDim === 16 || o.lastDim === 17)
      .sort(byCount)
      .map((o) => o.name);
    if (this.boxOutputs.length === 0) throw new LivecheckError('model-corrupt', `model ${file} has no BlazeFace regressor output`, { file, outputs: outs });
    this.logits = new Float32Array(this.anchors.length / 2);
    this.regressors = new Float32Array(this.logits.length * 16);
  }

  /** Detects faces in the whole frame (or its tiles); returns candidates in frame pixels, best first. */
  async detect(frame: RgbaImage, options: DetectOptions = {}): Promise<Candidate[]> {
    const { minScore = 0.5, iouThreshold = 0.3, nms = 'weighted', quarterTurns = 0, tileSize = 0, tileOverlap = 0.25 } = options;
    const found: Candidate[] = [];
    const tiles = tileSize > 0 ? tileGrid(frame.width, frame.height, tileSize, tileOverlap) : [[0, 0, frame.width, frame.height]];
    for (const [x, y, w, h] of tiles) {
      letterbox(x, y, w, h, quarterTurns, this.size, this.toImage);
      await this.run(frame);
      for (const c of decodeBlazeFace(this.logits, this.regressors, this.size, minScore, this.anchors)) found.push(mapCandidate(c, this.toImage));
    }
    return suppress(found, iouThreshold, nms);
  }

  /**
   * The best face near the centre of a square crop (centre, side, angle in image pixels/radians), in image
   * coordinates, or null. Used to re-detect a face turned upright, where BlazeFace's keypoints are reliable.
   */
  async detectInCrop(frame: RgbaImage, cx: number, cy: number, side: number, angle: number, minScore = 0.05): Promise<Candidate | null> {
    cropToImage(cx, cy, side, angle, this.size, this.toImage);
    await this.run(frame);
    let best: Candidate | null = null;
    const c = this.size / 2,
      near = this.size / 4;
    for (const d of decodeBlazeFace(this.logits, this.regressors, this.size, minScore, this.anchors)) {
      if ((!best || d.score > best.score) && Math.abs(d.cx - c) < near && Math.abs(d.cy - c) < near) best = d;
    }
    return best && mapCandidate(best, this.toImage);
  }

  private async run(frame: RgbaImage): Promise<void> {
    warpToTensor(frame, this.toImage, this.input, this.size, this.size, 1 / 127.5, -1);
    const feeds: Record<string, Ort.Tensor> = { [this.session.inputNames[0]]: this.tensor };
    const out = await this.session.run(feeds);
    let offset = 0;
    if (this.scoreOutputs.length === 0) {
      // fused [1, 896, 17]: logit first, then the 16 regressors
      const fused = floatData(out[this.boxOutputs[0]], this.file);
      for (let i = 0; i < this.logits.length; i++) {
        this.logits[i] = fused[i * 17];
        this.regressors.set(fused.subarray(i * 17 + 1, i * 17 + 17), i * 16);
      }
      return;
    }
    for (const name of this.scoreOutputs) {
      const d = floatData(out[name], this.file);
      this.logits.set(d, offset);
      offset += d.length;
    }
    offset = 0;
    for (const name of this.boxOutputs) {
      const d = floatData(out[name], this.file);
      this.regressors.set(d, offset);
      offset += d.length;
    }
    if (offset !== this.regressors.length) throw new LivecheckError('model-corrupt', `model ${this.file} produced ${offset / 16} anchors, expected ${this.logits.length}`, { file: this.file });
  }
}

/** The affine from a size x size model input to the frame region (x, y, w, h), fitted whole, centred, and turned
 *  by `quarterTurns` clockwise (model up = frame left for 1 turn, i.e. the content is rotated back upright). */
export function letterbox(x: number, y: number, w: number, h: number, quarterTurns: number, size: number, out: Affine): Affine {
  const s = Math.max(w, h) / size;
  const t = ((quarterTurns % 4) + 4) % 4;
  const cos = [1, 0, -1, 0][t] * s,
    sin = [0, 1, 0, -1][t] * s;
  const half = size / 2,
    cx = x + w / 2,
    cy = y + h / 2;
  out[0] = cos;
  out[1] = -sin;
  out[2] = cx - cos * half + sin * half;
  out[3] = sin;
  out[4] = cos;
  out[5] = cy - sin * half - cos * half;
  return out;
}

function tileGrid(width: number, height: number, tile: number, overlap: number): Array<[number, number, number, number]> {
  const side = Math.min(tile, Math.max(width, height));
  const stride = Math.max(1, Math.floor(side * (1 - overlap)));
  const starts = (extent: number): number[] => {
    if (extent <= side) return [0];
    const n = Math.ceil((extent - side) / stride) + 1;
    return Array.from({ length: n }, (_, i) => Math.round((i * (extent - side)) / (n - 1)));
  };
  const tiles: Array<[number, number, number, number]> = [];
  for (const ty of starts(height)) for (const tx of starts(width)) tiles.push([tx, ty, Math.min(side, width), Math.min(side, height)]);
  return tiles;
}

function mapCandidate(c: Candidate, m: Affine): Candidate {
  // axis-aligned bounds of the mapped box corners (a quarter turn swaps width and height)
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (let k = 0; k < 4; k++) {
    const u = c.cx + (k & 1 ? 0.5 : -0.5) * c.w,
      v = c.cy + (k >> 1 ? 0.5 : -0.5) * c.h;
    const px = applyX(m, u, v),
      py = applyY(m, u, v);
    x0 = Math.min(x0, px);
    y0 = Math.min(y0, py);
    x1 = Math.max(x1, px);
    y1 = Math.max(y1, py);
  }
  const keypoints = new Float32Array(12);
  for (let k = 0; k < 6; k++) {
    keypoints[2 * k] = applyX(m, c.keypoints[2 * k], c.keypoints[2 * k + 1]);
    keypoints[2 * k + 1] = applyY(m, c.keypoints[2 * k], c.keypoints[2 * k + 1]);
  }
  return { score: c.score, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: x1 - x0, h: y1 - y0, keypoints };
}

// FaceMesh and Iris runners: warp a rotated square crop into the model input (preallocated), run, and map the
// points back to image pixels through the same affine. z is scaled like x.
import type * as Ort from 'onnxruntime-web';
import { LivecheckError } from '../errors.js';
import { affine, affineScale, applyX, applyY, cropToImage, warpToTensor, type Affine } from './affine.js';
import type { RgbaImage } from '../image.js';
import { inputShape, type OrtModule, type OrtSession } from './models.js';
import { EYE_CONTOUR_POINTS, IRIS_POINTS, MESH_POINTS } from './landmarks.js';

/** A square, rotated region of the image: centre, side in pixels, rotation of its x axis (radians). */
export interface Crop {
  cx: number;
  cy: number;
  side: number;
  angle: number;
}

/**
 * Runs a landmark model on crops and picks its outputs by element count, not by name (converters rename them).
 * Up to `slots` crops go in one run when the model's batch is dynamic; the input buffer holds them back to back,
 * with one tensor per batch size over the same memory.
 */
class CropModel {
  readonly size: number;
  /** Crops per run: `slots` when the model's batch is dynamic, else 1. */
  readonly batch: number;
  readonly input: Float32Array;
  /** Per batch size, the feeds object over its tensor: made once, so a run allocates nothing of ours. */
  private readonly feeds: Array<Record<string, Ort.Tensor>> = [];
  protected readonly toImage: Affine[] = [];

  constructor(
    ort: OrtModule,
    protected readonly session: OrtSession,
    protected readonly file: string,
    fallbackSize: number,
    slots = 1,
  ) {
    const shape = inputShape(session);
    this.size = shape && shape[1] > 0 ? shape[1] : fallbackSize;
    // several crops per run only with a dynamic batch: a file fixed at batch 1 (or anything else) runs one by one
    this.batch = shape?.[0] === -1 ? slots : 1;
    const n = this.size * this.size * 3;
    this.input = new Float32Array(n * this.batch);
    for (let b = 1; b <= this.batch; b++) this.feeds[b] = { [session.inputNames[0]]: new ort.Tensor('float32', this.input.subarray(0, n * b), [b, this.size, this.size, 3]) };
    for (let s = 0; s < slots; s++) this.toImage.push(affine());
  }

  /** Warps `crop` into batch slot `slot` of the input, remembering its affine for mapping the points back. */
  protected warp(frame: RgbaImage, crop: Crop, flipX: boolean, slot: number): void {
    const n = this.size * this.size * 3;
    cropToImage(crop.cx, crop.cy, crop.side, crop.angle, this.size, this.toImage[slot]);
    warpToTensor(frame, this.toImage[slot], this.input.subarray(slot * n, (slot + 1) * n), this.size, this.size, 1 / 255, 0, flipX);
  }

  protected infer(count: number): Promise<Ort.InferenceSession.ReturnType> {
    return this.session.run(this.feeds[count]);
  }

  protected pick(out: Ort.InferenceSession.ReturnType, length: number): Float32Array | undefined {
    for (const name of this.session.outputNames) {
      const data = out[name]?.data;
      if (data instanceof Float32Array && data.length === length) return data;
    }
    return undefined;
  }

  /** Maps crop-space points (x, y, z triples) into `dst` (image pixels), mirroring x first when the crop was flipped. */
  protected mapPoints(slot: number, src: Float32Array, from: number, count: number, dst: Float32Array, to: number, flipX: boolean): void {
    const m = this.toImage[slot],
      zs = affineScale(m);
    for (let i = 0; i < count; i++) {
      const x = flipX ? this.size - src[(from + i) * 3] : src[(from + i) * 3],
        y = src[(from + i) * 3 + 1];
      dst[(to + i) * 3] = applyX(m, x, y);
      dst[(to + i) * 3 + 1] = applyY(m, x, y);
      dst[(to + i) * 3 + 2] = src[(from + i) * 3 + 2] * zs;
    }
  }
}

export class FaceMeshModel extends CropModel {
  constructor(ort: OrtModule, session: OrtSession, file = 'facemesh') {
    super(ort, session, file, 192);
  }

  /** Writes 468 x (x, y, z) image-space points into `points` and returns the face-presence probability. */
  async run(frame: RgbaImage, crop: Crop, points: Float32Array): Promise<number> {
    this.warp(frame, crop, false, 0);
    const out = await this.infer(1);
    const mesh = this.pick(out, MESH_POINTS * 3);
    const flag = this.pick(out, 1);
    if (!mesh || !flag) throw new LivecheckError('model-corrupt', `model ${this.file} has no 1404-value mesh and 1-value face flag outputs`, { file: this.file });
    this.mapPoints(0, mesh, 0, MESH_POINTS, points, 0, false);
    // the flag is a probability in the converted graph; a raw logit would fall outside [0,1]
    const p = flag[0];
    return p >= 0 && p <= 1 ? p : 1 / (1 + Math.exp(-p));
  }
}

const EYE_VALUES = (EYE_CONTOUR_POINTS + IRIS_POINTS) * 3;
/** Floats of one eye pair's raw iris output (`IrisModel.inferEyes`). */
export const EYE_PAIR_OUTPUT = 2 * EYE_VALUES;

/** CropModel.mapPoints with the affine given: the split iris path maps a frame's eyes after the model has moved on. */
function mapThrough(m: Affine, size: number, src: Float32Array, from: number, count: number, dst: Float32Array, flipX: boolean): void {
  const zs = affineScale(m);
  for (let i = 0; i < count; i++) {
    const x = flipX ? size - src[(from + i) * 3] : src[(from + i) * 3],
      y = src[(from + i) * 3 + 1];
    dst[i * 3] = applyX(m, x, y);
    dst[i * 3 + 1] = applyY(m, x, y);
    dst[i * 3 + 2] = src[(from + i) * 3 + 2] * zs;
  }
}

export class IrisModel extends CropModel {
  constructor(ort: OrtModule, session: OrtSession, file = 'iris') {
    super(ort, session, file, 64, 2);
  }

  /** Writes the 71 eye-contour points and the 5 iris points (centre first) of one eye, in image pixels. The model
   *  knows one eye side, so the other eye goes in mirrored (`flipX`) and comes back unmirrored. */
  async run(frame: RgbaImage, crop: Crop, flipX: boolean, contour: Float32Array, iris: Float32Array): Promise<void> {
    this.warp(frame, crop, flipX, 0);
    this.mapEye(await this.infer(1), 1, 0, flipX, contour, iris);
  }

  /**
   * Both eyes: the subject's right eye as is, the left one mirrored. One batch-2 run when the model takes it (the
   * shipped file has a dynamic batch), else two runs. `contour` holds 2 x 71 points and `iris` 2 x 5 (right first).
   */
  async runEyes(frame: RgbaImage, right: Crop, left: Crop, contour: Float32Array, iris: Float32Array): Promise<void> {
    const cside = EYE_CONTOUR_POINTS * 3,
      iside = IRIS_POINTS * 3;
    if (this.batch < 2) {
      await this.run(frame, right, false, contour.subarray(0, cside), iris.subarray(0, iside));
      await this.run(frame, left, true, contour.subarray(cside), iris.subarray(iside));
      return;
    }
    this.warp(frame, right, false, 0);
    this.warp(frame, left, true, 1);
    const out = await this.infer(2);
    this.mapEye(out, 2, 0, false, contour.subarray(0, cside), iris.subarray(0, iside));
    this.mapEye(out, 2, 1, true, contour.subarray(cside), iris.subarray(iside));
  }

  /** Floats of one eye pair's crops (2 x size x size x 3), the input `inferEyes` takes. */
  get eyePairLength(): number {
    return 2 * this.size * this.size * 3;
  }

  /**
   * The split path ("mesh now, iris later"): warps both eye crops, as `runEyes` would, into `input` (eyePairLength
   * floats) and their crop-to-image affines into `toImage`, so the model can run later or in another worker.
   */
  warpEyes(frame: RgbaImage, right: Crop, left: Crop, input: Float32Array, toImage: readonly [Affine, Affine]): void {
    const n = this.size * this.size * 3;
    cropToImage(right.cx, right.cy, right.side, right.angle, this.size, toImage[0]);
    warpToTensor(frame, toImage[0], input.subarray(0, n), this.size, this.size, 1 / 255, 0, false);
    cropToImage(left.cx, left.cy, left.side, left.angle, this.size, toImage[1]);
    warpToTensor(frame, toImage[1], input.subarray(n, 2 * n), this.size, this.size, 1 / 255, 0, true);
  }

  /**
   * Runs the model on an eye pair warped by `warpEyes` and writes its raw crop-space output to `out`
   * (2 x 76 x 3: each eye's 71 contour points then its 5 iris points, right eye first), whatever outputs the file has.
   */
  async inferEyes(input: Float32Array, out: Float32Array): Promise<void> {
    const n = this.size * this.size * 3;
    if (this.batch >= 2) {
      this.input.set(input.subarray(0, 2 * n));
      this.rawEyes(await this.infer(2), 2, out);
      return;
    }
    for (let k = 0; k < 2; k++) {
      this.input.set(input.subarray(k * n, (k + 1) * n));
      this.rawEyes(await this.infer(1), 1, out.subarray(k * EYE_VALUES, (k + 1) * EYE_VALUES));
    }
  }

  /** Raw eye-pair output (as `inferEyes` writes it) through the pair's affines into image-space points. */
  mapEyes(raw: Float32Array, toImage: readonly [Affine, Affine], contour: Float32Array, iris: Float32Array): void {
    const cside = EYE_CONTOUR_POINTS * 3,
      iside = IRIS_POINTS * 3;
    for (let k = 0; k < 2; k++) {
      const base = k * (EYE_CONTOUR_POINTS + IRIS_POINTS);
      mapThrough(toImage[k], this.size, raw, base, EYE_CONTOUR_POINTS, contour.subarray(k * cside, (k + 1) * cside), k === 1);
      mapThrough(toImage[k], this.size, raw, base + EYE_CONTOUR_POINTS, IRIS_POINTS, iris.subarray(k * iside, (k + 1) * iside), k === 1);
    }
  }

  /** An `n`-crop run's output in the packed per-eye layout (contour then iris, eye by eye). */
  private rawEyes(out: Ort.InferenceSession.ReturnType, n: number, dst: Float32Array): void {
    const all = this.pick(out, EYE_VALUES * n);
    if (all) {
      dst.set(all.subarray(0, EYE_VALUES * n));
      return;
    }
    const c = this.pick(out, EYE_CONTOUR_POINTS * 3 * n),
      i = this.pick(out, IRIS_POINTS * 3 * n);
    if (!c || !i) throw new LivecheckError('model-corrupt', `model ${this.file} has no 228-value (or 213 + 15) eye output`, { file: this.file });
    for (let item = 0; item < n; item++) {
      dst.set(c.subarray(item * EYE_CONTOUR_POINTS * 3, (item + 1) * EYE_CONTOUR_POINTS * 3), item * EYE_VALUES);
      dst.set(i.subarray(item * IRIS_POINTS * 3, (item + 1) * IRIS_POINTS * 3), item * EYE_VALUES + EYE_CONTOUR_POINTS * 3);
    }
  }

  /** Batch item `item` of an `n`-crop run's output, warped through slot `item`, into image-space points. */
  private mapEye(out: Ort.InferenceSession.ReturnType, n: number, item: number, flipX: boolean, contour: Float32Array, iris: Float32Array): void {
    const all = this.pick(out, EYE_VALUES * n);
    if (all) {
      const base = item * (EYE_CONTOUR_POINTS + IRIS_POINTS);
      this.mapPoints(item, all, base, EYE_CONTOUR_POINTS, contour, 0, flipX);
      this.mapPoints(item, all, base + EYE_CONTOUR_POINTS, IRIS_POINTS, iris, 0, flipX);
      return;
    }
    const c = this.pick(out, EYE_CONTOUR_POINTS * 3 * n),
      i = this.pick(out, IRIS_POINTS * 3 * n);
    if (!c || !i) throw new LivecheckError('model-corrupt', `model ${this.file} has no 228-value (or 213 + 15) eye output`, { file: this.file });
    this.mapPoints(item, c, item * EYE_CONTOUR_POINTS, EYE_CONTOUR_POINTS, contour, 0, flipX);
    this.mapPoints(item, i, item * IRIS_POINTS, IRIS_POINTS, iris, 0, flipX);
  }
}

// FaceMesh and Iris runners: warp a rotated square crop into the model input (preallocated), run, and map the
// points back to image pixels through the same affine. z is scaled like x.
import type * as Ort from 'onnxruntime-web';
import { LivecheckError } from '../errors.js';
import { affine, affineScale, applyX, applyY, cropToImage, warpToTensor, type Affine } from './affine.js';
import type { RgbaFrame } from './frame.js';
import { inputShape, type OrtModule, type OrtSession } from './models.js';

/** A square, rotated region of the image: centre, side in pixels, rotation of its x axis (radians). */
export interface Crop {
  cx: number;
  cy: number;
  side: number;
  angle: number;
}

/** Runs a landmark model on a crop and picks its outputs by element count, not by name (converters rename them). */
class CropModel {
  readonly size: number;
  protected readonly input: Float32Array;
  private readonly tensor: Ort.Tensor;
  protected readonly toImage: Affine = affine();

  constructor(ort: OrtModule, protected readonly session: OrtSession, protected readonly file: string, fallbackSize: number) {
    const shape = inputShape(session);
    this.size = shape && shape[1] > 0 ? shape[1] : fallbackSize;
    this.input = new Float32Array(this.size * this.size * 3);
    this.tensor = new ort.Tensor('float32', this.input, [1, this.size, this.size, 3]);
  }

  protected async runCrop(frame: RgbaFrame, crop: Crop, flipX: boolean): Promise<Ort.InferenceSession.ReturnType> {
    cropToImage(crop.cx, crop.cy, crop.side, crop.angle, this.size, this.toImage);
    warpToTensor(frame, this.toImage, this.input, this.size, this.size, 1 / 255, 0, flipX);
    return this.session.run({ [this.session.inputNames[0]]: this.tensor });
  }

  protected pick(out: Ort.InferenceSession.ReturnType, length: number): Float32Array | undefined {
    for (const name of this.session.outputNames) {
      const data = out[name]?.data;
      if (data instanceof Float32Array && data.length === length) return data;
    }
    return undefined;
  }

  /** Maps crop-space points (x, y, z triples) into `dst` (image pixels), mirroring x first when the crop was flipped. */
  protected mapPoints(src: Float32Array, from: number, count: number, dst: Float32Array, to: number, flipX: boolean): void {
    const m = this.toImage, zs = affineScale(m);
    for (let i = 0; i < count; i++) {
      const x = flipX ? this.size - src[(from + i) * 3] : src[(from + i) * 3], y = src[(from + i) * 3 + 1];
      dst[(to + i) * 3] = applyX(m, x, y);
      dst[(to + i) * 3 + 1] = applyY(m, x, y);
      dst[(to + i) * 3 + 2] = src[(from + i) * 3 + 2] * zs;
    }
  }
}

export const MESH_POINTS = 468;

export class FaceMeshModel extends CropModel {
  constructor(ort: OrtModule, session: OrtSession, file = 'facemesh') { super(ort, session, file, 192); }

  /** Writes 468 x (x, y, z) image-space points into `points` and returns the face-presence probability. */
  async run(frame: RgbaFrame, crop: Crop, points: Float32Array): Promise<number> {
    const out = await this.runCrop(frame, crop, false);
    const mesh = this.pick(out, MESH_POINTS * 3);
    const flag = this.pick(out, 1);
    if (!mesh || !flag) throw new LivecheckError('model-corrupt', `model ${this.file} has no 1404-value mesh and 1-value face flag outputs`, { file: this.file });
    this.mapPoints(mesh, 0, MESH_POINTS, points, 0, false);
    // the flag is a probability in the converted graph; a raw logit would fall outside [0,1]
    const p = flag[0];
    return p >= 0 && p <= 1 ? p : 1 / (1 + Math.exp(-p));
  }
}

export const EYE_CONTOUR_POINTS = 71;
export const IRIS_POINTS = 5;

export class IrisModel extends CropModel {
  constructor(ort: OrtModule, session: OrtSession, file = 'iris') { super(ort, session, file, 64); }

  /** Writes the 71 eye-contour points and the 5 iris points (centre first) of one eye, in image pixels. The model
   *  knows one eye side, so the other eye goes in mirrored (`flipX`) and comes back unmirrored. */
  async run(frame: RgbaFrame, crop: Crop, flipX: boolean, contour: Float32Array, iris: Float32Array): Promise<void> {
    const out = await this.runCrop(frame, crop, flipX);
    const all = this.pick(out, (EYE_CONTOUR_POINTS + IRIS_POINTS) * 3);
    if (all) {
      this.mapPoints(all, 0, EYE_CONTOUR_POINTS, contour, 0, flipX);
      this.mapPoints(all, EYE_CONTOUR_POINTS, IRIS_POINTS, iris, 0, flipX);
      return;
    }
    const c = this.pick(out, EYE_CONTOUR_POINTS * 3), i = this.pick(out, IRIS_POINTS * 3);
    if (!c || !i) throw new LivecheckError('model-corrupt', `model ${this.file} has no 228-value (or 213 + 15) eye output`, { file: this.file });
    this.mapPoints(c, 0, EYE_CONTOUR_POINTS, contour, 0, flipX);
    this.mapPoints(i, 0, IRIS_POINTS, iris, 0, flipX);
  }
}

// FaceRecognizer: aligned 150x150 chip -> FaceRecognitionNet (models/facerec.onnx) -> 128-d descriptor. The input
// tensor and the transform are allocated once and reused for every face.
import type { Point3 } from '../types.js';
import type { RgbaImage } from '../image.js';
import { checkImage } from '../image.js';
import { affine, warpToTensor } from '../face/affine.js';
import { createSession, floatData, type ModelSource, type OrtModule, type OrtSession } from '../face/models.js';
import { LivecheckError } from '../errors.js';
import { MATCH_SIZE, alignToImage, alignmentPoints } from './align.js';

export const DESCRIPTOR_LENGTH = 128;

export interface FaceRecognizerOptions {
  ort?: OrtModule;
  /** models/facerec.onnx (path, URL or bytes). */
  model: ModelSource;
  numThreads?: number;
}

export class FaceRecognizer {
  private readonly input = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3);
  private readonly points = new Float64Array(6);
  private readonly toImage = affine();
  private closed = false;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
  ) {}

  static async create(options: FaceRecognizerOptions): Promise<FaceRecognizer> {
    const ort = options.ort ?? ((await import('onnxruntime-web')) as OrtModule);
    const session = await createSession(ort, options.model, options.numThreads === undefined ? {} : { numThreads: options.numThreads }, typeof options.model === 'string' ? options.model : 'facerec');
    return new FaceRecognizer(ort, session);
  }

  /** Descriptor of a 150x150 chip already in the net's input layout (NHWC RGB 0..255). Copies the result out. */
  async descriptorOfChip(chip: Float32Array): Promise<Float32Array> {
    if (this.closed) throw new LivecheckError('invalid-argument', 'FaceRecognizer is closed', {});
    if (chip.length !== this.input.length) throw new LivecheckError('invalid-argument', `chip must be ${MATCH_SIZE}x${MATCH_SIZE}x3`, { length: chip.length });
    const t = new this.ort.Tensor('float32', chip, [1, MATCH_SIZE, MATCH_SIZE, 3]);
    const out = await this.session.run({ [this.session.inputNames[0]]: t });
    const d = floatData(out[this.session.outputNames[0]], 'facerec');
    if (d.length !== DESCRIPTOR_LENGTH) throw new LivecheckError('model-corrupt', `facerec returned ${d.length} values, expected ${DESCRIPTOR_LENGTH}`, {});
    return Float32Array.from(d);
  }

  /** Aligns the face given by its landmarks (image pixels, FaceMesh order, with or without iris) and describes it. */
  async describe(frame: RgbaImage, landmarks: readonly Point3[]): Promise<Float32Array> {
    checkImage(frame, Infinity);
    alignToImage(alignmentPoints(landmarks, this.points), this.toImage);
    warpToTensor(frame, this.toImage, this.input, MATCH_SIZE, MATCH_SIZE, 1, 0);
    return this.descriptorOfChip(this.input);
  }

  /** The aligned chip (NHWC RGB 0..255) for the face, into `out`: for keyframes, debugging and tests. */
  alignedChip(frame: RgbaImage, landmarks: readonly Point3[], out = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3)): Float32Array {
    alignToImage(alignmentPoints(landmarks, this.points), this.toImage);
    warpToTensor(frame, this.toImage, out, MATCH_SIZE, MATCH_SIZE, 1, 0);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

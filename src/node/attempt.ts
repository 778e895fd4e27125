// What an attempt needs from Node: the face describer for the identity check (FaceRecognitionNet from facerec.onnx)
// and the JPEG encoder of the evidence keyframes (jpeg-js), injected into the one attempt pipeline (src/attempt).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChipDescriber } from '../evidence/identity.js';
import type { JpegEncoder } from '../evidence/recorder.js';
import type { RgbaImage } from '../image.js';
import { MATCH_SIZE } from '../match/align.js';
import { chipTensor } from '../match/chip.js';
import { FaceRecognizer } from '../match/recognizer.js';
import { packageModelDir } from './model-dir.js';

/** JPEG encoder in Node (jpeg-js), quality 0..100: keyframes at 85 (the default). */
export async function nodeJpegEncoder(quality = 85): Promise<JpegEncoder> {
  const { default: jpeg } = await import('jpeg-js');
  return (image: RgbaImage) => {
    const out = jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) }, quality);
    return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  };
}

export interface NodeChipDescriber {
  describe: ChipDescriber;
  close(): Promise<void>;
}

/**
 * FaceRecognitionNet over the aligned chips, from `modelDir` (default: the package's models/); null when
 * facerec.onnx is not there. Release it with `close`.
 */
export async function openChipDescriber(modelDir?: string): Promise<NodeChipDescriber | null> {
  const model = join(modelDir ?? packageModelDir(import.meta.url, 'facerec.onnx'), 'facerec.onnx');
  if (!existsSync(model)) return null;
  const recognizer = await FaceRecognizer.create({ model, numThreads: 1 });
  const tensor = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3); // one input, reused for every chip
  return { describe: (rgba) => recognizer.descriptorOfChip(chipTensor(rgba, tensor)), close: () => recognizer.close() };
}

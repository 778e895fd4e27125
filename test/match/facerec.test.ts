// The FaceRecognitionNet ONNX graph we build (tools/convert/facerec.ts) against @vladmandic/face-api's own forward
// pass on the tfjs CPU backend, on real faces aligned by our landmarks (franck stills, grace_hopper, astronaut).
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import * as faceapi from '@vladmandic/face-api/dist/face-api.esm-nobundle.js';
import { buildFaceRecOnnx } from '../../tools/convert/facerec.js';
import { FaceRecognizer, MATCH_SIZE } from '../../src/match/index.js';
import { descriptorDistance } from '../../src/decision/face-match.js';
import { decodeImage } from '../../src/node/media.js';
import { faceTracker } from '../evidence/capture.js';
import type { FaceTracker } from '../../src/face/index.js';
import { data, repoRoot, requireData } from '../helpers/data.js';
import { loadNodeOrt } from '../../src/node/ort.js';
import { isNativeOrt } from '../../src/face/models.js';

const manifest = join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'model', 'face_recognition_model-weights_manifest.json');

async function faceApiNet() {
  await tf.setBackend('cpu');
  const dir = join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'model');
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as Array<{ weights: tf.io.WeightsManifestEntry[] }>;
  const bin = readFileSync(join(dir, 'face_recognition_model.bin'));
  const weights = tf.io.decodeWeights(
    new Uint8Array(bin).buffer,
    m.flatMap((g) => g.weights),
  );
  const net = (faceapi as unknown as { nets: { faceRecognitionNet: { loadFromWeightMap(w: tf.NamedTensorMap): void; computeFaceDescriptor(t: unknown): Promise<Float32Array> } } }).nets
    .faceRecognitionNet;
  net.loadFromWeightMap(weights);
  return net;
}

describe('FaceRecognitionNet ONNX vs face-api (tfjs CPU)', () => {
  let tracker: FaceTracker;
  const nets: Record<'float32' | 'float16' | 'native', FaceRecognizer> = {} as never;
  let reference: Awaited<ReturnType<typeof faceApiNet>>;
  beforeAll(async () => {
    requireData(data.franckStills, data.graceHopper, data.astronaut);
    tracker = await faceTracker();
    for (const w of ['float32', 'float16'] as const) nets[w] = await FaceRecognizer.create({ ort, model: buildFaceRecOnnx(manifest, { weights: w }).bytes, numThreads: 1 });
    // what a verification server runs: the same graph on onnxruntime-node (a devDependency here)
    const native = await loadNodeOrt('native');
    expect(isNativeOrt(native)).toBe(true);
    expect(isNativeOrt(await loadNodeOrt('wasm'))).toBe(false);
    nets.native = await FaceRecognizer.create({ ort: native, model: buildFaceRecOnnx(manifest, { weights: 'float32' }).bytes, numThreads: 1 });
    reference = await faceApiNet();
  }, 120_000);
  afterAll(async () => {
    await tracker?.close();
    for (const n of Object.values(nets)) await n.close();
  });

  it('matches the reference descriptor on aligned real faces (float32 and float16 weights; onnxruntime-web and onnxruntime-node)', async () => {
    const files = [data.franckStills[0], data.franckStills[5], data.graceHopper, data.astronaut];
    const diffs: Record<string, number> = { float32: 0, float16: 0, native: 0 };
    const f16dist: number[] = [];
    for (const file of files) {
      const image = decodeImage(file);
      const [face] = (await tracker.detectImage(image, { maxFaces: 1 })).faces;
      expect(face, file).toBeDefined();
      const chip = nets.float32.alignedChip(image, face.landmarks);
      const ref = await reference.computeFaceDescriptor(tf.tensor4d(chip, [1, MATCH_SIZE, MATCH_SIZE, 3]));
      expect(ref.length).toBe(128);
      const ours32 = await nets.float32.descriptorOfChip(chip);
      const ours16 = await nets.float16.descriptorOfChip(chip);
      const native = await nets.native.descriptorOfChip(chip);
      for (let i = 0; i < 128; i++) {
        diffs.native = Math.max(diffs.native, Math.abs(native[i] - ref[i]));
        diffs.float32 = Math.max(diffs.float32, Math.abs(ours32[i] - ref[i]));
        diffs.float16 = Math.max(diffs.float16, Math.abs(ours16[i] - ref[i]));
      }
      f16dist.push(descriptorDistance(ours16, ref));
    }
    console.log(
      `facerec max |diff| float32 ${diffs.float32.toExponential(2)} (onnxruntime-node ${diffs.native.toExponential(2)}), float16 ${diffs.float16.toExponential(2)}; float16 distance to reference max ${Math.max(...f16dist).toExponential(2)}`,
    );
    expect(diffs.float32).toBeLessThan(1e-4);
    expect(diffs.native).toBeLessThan(1e-4);
    // float16 weights: the descriptor must stay far inside the 0.6 match scale
    expect(Math.max(...f16dist)).toBeLessThan(0.01);
  }, 180_000);
});

// Shared helpers for the model fidelity tests: the reference (TensorFlow.js CPU backend, graph loaded from the
// package files in memory), onnxruntime-web sessions, seeded inputs and real-face crops.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import type { TfGraph } from '../../tools/convert/tfjs-graph.js';
import { decodeImage } from '../../src/node/media.js';
import type { DecodedImage as RgbaImage } from '../../src/node/media.js';
import { MODELS } from '../../tools/convert/models.js';
import { data, repoRoot, requireData } from '../helpers/data.js';
import { mulberry32 } from '../helpers/random.js';

ort.env.wasm.numThreads = 1; // the test machine is shared
ort.env.logLevel = 'error';

/** Bytes of a built models/<name>.onnx; fails (never skips) when the build has not run. */
export function shippedModel(name: string): Buffer {
  const p = join(repoRoot, 'models', `${name}.onnx`);
  if (!existsSync(p)) throw new Error(`${p} missing: run \`npm run build:models\` first`);
  return readFileSync(p);
}

let backendReady: Promise<boolean> | undefined;

/** A TFJS graph model loaded through an in-memory IOHandler from the same json + shards the converter reads. */
export async function loadTfjs(jsonPath: string): Promise<tf.GraphModel> {
  backendReady ??= tf.setBackend('cpu');
  await backendReady;
  const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const shards = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(dirname(jsonPath), p))));
  const total = shards.reduce((s: number, b: Buffer) => s + b.length, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const b of shards) {
    weightData.set(b, off);
    off += b.length;
  }
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights),
      weightData: weightData.buffer,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
      userDefinedMetadata: json.userDefinedMetadata,
    }),
  };
  return tf.loadGraphModel(handler);
}

/** Runs the TF graph on one NHWC float input; returns each signature output by its key. */
export function runTfjs(model: tf.GraphModel, graph: TfGraph, input: Float32Array, shape: number[]): Record<string, Float32Array> {
  const x = tf.tensor(input, shape, 'float32');
  const raw = model.execute(
    { [graph.inputs[0].tensor]: x },
    graph.outputs.map((o) => o.tensor),
  );
  const outs = Array.isArray(raw) ? raw : [raw];
  const result: Record<string, Float32Array> = {};
  graph.outputs.forEach((o, i) => {
    result[o.key] = outs[i].dataSync() as Float32Array;
  });
  tf.dispose([x, ...outs]);
  return result;
}

export function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { executionProviders: ['wasm'], logSeverityLevel: 3 });
}

export async function runOrt(session: ort.InferenceSession, input: Float32Array, shape: number[]): Promise<Record<string, Float32Array>> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, shape) };
  const out = await session.run(feeds);
  const result: Record<string, Float32Array> = {};
  for (const k of session.outputNames) result[k] = out[k].data as Float32Array;
  return result;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Seeded uniform values in [lo, hi) (mulberry32), so failures reproduce. */
export function seededUniform(seed: number, n: number, lo: number, hi: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + rand() * (hi - lo);
  return out;
}

export interface Square {
  /** Centre and side in image pixels. */
  cx: number;
  cy: number;
  side: number;
}

/** Bilinear sample of a square region into a size x size NHWC RGB tensor scaled to [lo, hi]; outside pixels are 0. */
export function cropToTensor(img: RgbaImage, sq: Square, size: number, range: [number, number]): Float32Array {
  const out = new Float32Array(size * size * 3);
  const scale = sq.side / size;
  const x0 = sq.cx - sq.side / 2;
  const y0 = sq.cy - sq.side / 2;
  const [lo, hi] = range;
  const px = (x: number, y: number, c: number) => (x < 0 || y < 0 || x >= img.width || y >= img.height ? 0 : img.data[(y * img.width + x) * 4 + c]);
  for (let j = 0; j < size; j++) {
    const sy = y0 + (j + 0.5) * scale - 0.5;
    const yi = Math.floor(sy);
    const fy = sy - yi;
    for (let i = 0; i < size; i++) {
      const sx = x0 + (i + 0.5) * scale - 0.5;
      const xi = Math.floor(sx);
      const fx = sx - xi;
      for (let c = 0; c < 3; c++) {
        const v = (px(xi, yi, c) * (1 - fx) + px(xi + 1, yi, c) * fx) * (1 - fy) + (px(xi, yi + 1, c) * (1 - fx) + px(xi + 1, yi + 1, c) * fx) * fy;
        out[(j * size + i) * 3 + c] = lo + (v / 255) * (hi - lo);
      }
    }
  }
  return out;
}

/** Best-scoring BlazeFace detection (back 256 layout: 16x16x2 then 8x8x6 anchors): box and eye keypoints in image pixels. */
export function bestFace(out: Record<string, Float32Array>, frame: Square, inputSize: number): { score: number; box: Square; rightEye: [number, number]; leftEye: [number, number] } {
  const grids: Array<[scores: string, boxes: string, cells: number, perCell: number]> = [
    ['Identity:0', 'Identity_2:0', 16, 2],
    ['Identity_1:0', 'Identity_3:0', 8, 6],
  ];
  let best: { logit: number; ax: number; ay: number; reg: Float32Array } = { logit: -Infinity, ax: 0, ay: 0, reg: new Float32Array(16) };
  for (const [s, b, cells, perCell] of grids) {
    const scores = out[s];
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] <= best.logit) continue;
      const cell = Math.floor(i / perCell);
      best = { logit: scores[i], ax: ((cell % cells) + 0.5) / cells, ay: (Math.floor(cell / cells) + 0.5) / cells, reg: out[b].subarray(i * 16, i * 16 + 16) };
    }
  }
  const k = frame.side / inputSize; // input pixels -> image pixels
  const toImage = (dx: number, dy: number): [number, number] => [frame.cx - frame.side / 2 + (best.ax * inputSize + dx) * k, frame.cy - frame.side / 2 + (best.ay * inputSize + dy) * k];
  const [cx, cy] = toImage(best.reg[0], best.reg[1]);
  return {
    score: 1 / (1 + Math.exp(-best.logit)),
    box: { cx, cy, side: Math.max(best.reg[2], best.reg[3]) * k },
    rightEye: toImage(best.reg[4], best.reg[5]),
    leftEye: toImage(best.reg[6], best.reg[7]),
  };
}

export interface Case {
  label: string;
  input: Float32Array;
}

/**
 * Real inputs for every model from two real photos (astronaut, grace_hopper): the whole image for the detectors,
 * face crops for mesh/antispoof/liveness and both eye crops for iris, located by the given back-camera detector.
 * Throws when a photo yields no confident face (the crops would not be faces).
 */
export async function realFaceCases(detectorBytes: Uint8Array): Promise<Map<string, Case[]>> {
  requireData(data.astronaut, data.graceHopper);
  const photos = [
    { label: 'astronaut', path: data.astronaut },
    { label: 'grace_hopper', path: data.graceHopper },
  ];
  const cases = new Map<string, Case[]>(MODELS.map((m) => [m.name, []]));
  const detector = await ortSession(detectorBytes);
  for (const photo of photos) {
    const img: RgbaImage = decodeImage(photo.path);
    const frame: Square = { cx: img.width / 2, cy: img.height / 2, side: Math.max(img.width, img.height) };
    const whole = cropToTensor(img, frame, 256, [-1, 1]);
    cases.get('blazeface-back')!.push({ label: `${photo.label} whole image`, input: whole });
    const face = bestFace(await runOrt(detector, whole, [1, 256, 256, 3]), frame, 256);
    if (!(face.score > 0.75)) throw new Error(`${photo.label}: no confident face (score ${face.score})`);
    const faceSq: Square = { ...face.box, side: face.box.side * 1.5 };
    const add = (name: string, size: number, sq: Square, label: string) => {
      const spec = MODELS.find((m) => m.name === name)!;
      cases.get(name)!.push({ label: `${photo.label} ${label}`, input: cropToTensor(img, sq, size, spec.inputRange) });
    };
    add('blazeface', 128, frame, 'whole image');
    add('facemesh', 192, faceSq, 'face crop');
    add('antispoof', 128, faceSq, 'face crop');
    add('liveness', 32, faceSq, 'face crop');
    const eyeSide = face.box.side * 0.45;
    add('iris', 64, { cx: face.rightEye[0], cy: face.rightEye[1], side: eyeSide }, 'right eye crop');
    add('iris', 64, { cx: face.leftEye[0], cy: face.leftEye[1], side: eyeSide }, 'left eye crop');
  }
  await detector.release();
  return cases;
}

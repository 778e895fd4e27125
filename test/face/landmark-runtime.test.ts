// The two landmark runtimes on real video: livecheck's own kernels (the default of the shipped entry points) and
// onnxruntime track the same face to the same points, frame after frame; the fallbacks and errors are explicit.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceTracker } from '../../src/face/index.js';
import { decodeVideo, type RgbaVideoFrame } from '../../src/node/media.js';
import { LivecheckError } from '../../src/errors.js';
import { requireData } from '../helpers/data.js';
import { createTracker, data, landmarkKernels } from './engine.js';
import * as ort from 'onnxruntime-web';
import { createLandmarkSession } from '../../src/face/landmark-session.js';
import { NnSession } from '../../src/nn/runtime.js';
import type { OrtModule } from '../../src/face/models.js';
import { DataType } from '../../src/nn/onnx-schema.js';
import { encodeModel } from '../../tools/convert/onnx.js';

let frames: RgbaVideoFrame[] = [];
const trackers: FaceTracker[] = [];
const make = async (o: Parameters<typeof createTracker>[0] = {}) => {
  const t = await createTracker(o);
  trackers.push(t);
  return t;
};

beforeAll(async () => {
  requireData(data.franckMp4);
  // 3 s from 20 s: the talking face turns, blinks and speaks
  for await (const f of decodeVideo(data.franckMp4, { startMs: 20_000, maxFrames: 75 })) frames.push(f);
});
afterAll(async () => {
  await Promise.all(trackers.map((t) => t.close()));
  frames = [];
});

describe('landmark runtimes', () => {
  it('livecheck kernels and onnxruntime track franck.mp4 to the same mesh, eye contours and irises', async () => {
    const ours = await make(),
      theirs = await make({ landmarkKernels: null });
    expect(ours.landmarkRuntime).toBe('livecheck');
    expect(theirs.landmarkRuntime).toBe('onnxruntime');
    let worst = 0,
      worstEye = 0,
      worstScore = 0;
    for (const f of frames) {
      const a = await ours.detect(f, f.timestampMs),
        b = await theirs.detect(f, f.timestampMs);
      expect(a.faceCount).toBe(1);
      expect(b.faceCount).toBe(1);
      const fa = a.faces[0],
        fb = b.faces[0];
      for (let i = 0; i < fa.landmarks.length; i++) worst = Math.max(worst, Math.hypot(fa.landmarks[i][0] - fb.landmarks[i][0], fa.landmarks[i][1] - fb.landmarks[i][1]));
      for (const side of ['right', 'left'] as const) {
        const ca = fa.eyeContours![side],
          cb = fb.eyeContours![side];
        for (let i = 0; i < ca.length; i++) worstEye = Math.max(worstEye, Math.hypot(ca[i][0] - cb[i][0], ca[i][1] - cb[i][1]));
      }
      worstScore = Math.max(worstScore, Math.abs(fa.score - fb.score));
    }
    console.log(`75 tracked frames: mesh and iris points within ${worst.toExponential(2)} px, eye contours ${worstEye.toExponential(2)} px, scores ${worstScore.toExponential(2)}`);
    // float32 in another summation order: rounding noise. The tracked crop of each frame comes from the previous
    // frame's points, so a real difference (a wrong padding, a permuted weight) would grow over the 75 frames.
    expect(worst).toBeLessThan(0.01);
    expect(worstEye).toBeLessThan(0.01);
    expect(worstScore).toBeLessThan(1e-3);
  });

  it('bytes that are not the kernel build: the landmarks run on onnxruntime instead', async () => {
    const t = await make({ landmarkKernels: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) });
    expect(t.landmarkRuntime).toBe('onnxruntime');
    const r = await t.detect(frames[0], 0);
    expect(r.faceCount).toBe(1);
  });

  it('a kernel file that is not there is an error naming it, not a silent fallback', async () => {
    const e = await createTracker({ landmarkKernels: '/nonexistent/nn.simd.wasm' }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(LivecheckError);
    expect((e as LivecheckError).code).toBe('model-missing');
    expect((e as LivecheckError).message).toContain('/nonexistent/nn.simd.wasm');
  });

  it('a valid graph the planner does not cover (a Softmax) runs on onnxruntime; the mapped one on the kernels', async () => {
    const x = { name: 'x', type: DataType.FLOAT, shape: [1, 2, 2, 4] } as const;
    const graph = (op: string) =>
      encodeModel({
        graphName: 'g',
        opset: 13,
        producer: 'test',
        producerVersion: '1',
        docString: '',
        metadata: {},
        initializers: [],
        nodes: [{ op, name: op, inputs: ['x'], outputs: ['y'] }],
        inputs: [x],
        outputs: [{ ...x, name: 'y' }],
      });
    const kernels = new Uint8Array(readFileSync(landmarkKernels));
    const softmax = await createLandmarkSession(ort as unknown as OrtModule, graph('Softmax'), {}, 'softmax.onnx', kernels);
    expect(softmax).not.toBeInstanceOf(NnSession);
    const out = await softmax.run({ x: new ort.Tensor('float32', new Float32Array(16).fill(1), [1, 2, 2, 4]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual(new Array(16).fill(0.25));
    const sigmoid = await createLandmarkSession(ort as unknown as OrtModule, graph('Sigmoid'), {}, 'sigmoid.onnx', kernels);
    expect(sigmoid).toBeInstanceOf(NnSession);
    await Promise.all([softmax.release(), sigmoid.release()]);
  });

  it('the kernel bytes can be handed over directly (as the browser worker does)', async () => {
    const t = await make({ landmarkKernels: new Uint8Array(readFileSync(landmarkKernels)) });
    expect(t.landmarkRuntime).toBe('livecheck');
  });
});

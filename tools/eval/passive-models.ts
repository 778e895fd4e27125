// Face-crop models of the passive signal (antispoof 128x128, liveness 32x32, RGB in [0,1]), run from disk in Node.
// Only the attack suite's "with models" configuration runs them (tools/eval): `livecheck analyze`, the browser worker
// and the evidence replay fuse the kernels' artefact scores alone, so nothing shipped depends on this file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cropToImage, affine, warpToTensor } from '../../src/face/affine.js';
import type { OrtModule, OrtSession } from '../../src/face/models.js';

/** What the two models say about one face crop (1 = live), as the passive signal's per-frame features. */
export interface PassiveModelOutputs {
  antispoofReal: number;
  livenessLive: number;
}

export class PassiveModels {
  private readonly toImage = affine();
  // reused input tensors: one crop per sampled frame, no per-frame allocation
  private readonly a = new Float32Array(128 * 128 * 3);
  private readonly l = new Float32Array(32 * 32 * 3);
  private constructor(
    private readonly ort: OrtModule,
    private readonly antispoof: OrtSession,
    private readonly liveness: OrtSession,
  ) {}

  /** Opens models/antispoof.onnx and models/liveness.onnx from `modelDir` on onnxruntime-web's wasm backend. */
  static async create(modelDir: string): Promise<PassiveModels> {
    const ort = (await import('onnxruntime-web')) as OrtModule;
    const open = (f: string) => ort.InferenceSession.create(new Uint8Array(readFileSync(join(modelDir, f))), { executionProviders: ['wasm'] });
    return new PassiveModels(ort, await open('antispoof.onnx'), await open('liveness.onnx'));
  }

  /** Both models on the square crop around the face box (its longer side). */
  async run(frame: { width: number; height: number; data: Uint8Array }, box: { x: number; y: number; width: number; height: number }): Promise<PassiveModelOutputs> {
    const side = Math.max(box.width, box.height);
    const cx = box.x + box.width / 2,
      cy = box.y + box.height / 2;
    cropToImage(cx, cy, side, 0, 128, this.toImage);
    warpToTensor(frame, this.toImage, this.a, 128, 128, 1 / 255, 0);
    cropToImage(cx, cy, side, 0, 32, this.toImage);
    warpToTensor(frame, this.toImage, this.l, 32, 32, 1 / 255, 0);
    const run1 = async (s: OrtSession, data: Float32Array, size: number) => {
      const out = await s.run({ [s.inputNames[0]]: new this.ort.Tensor('float32', data, [1, size, size, 3]) });
      return (out[s.outputNames[0]].data as Float32Array)[0];
    };
    return { antispoofReal: await run1(this.antispoof, this.a, 128), livenessLive: await run1(this.liveness, this.l, 32) };
  }

  async close(): Promise<void> {
    await this.antispoof.release();
    await this.liveness.release();
  }
}

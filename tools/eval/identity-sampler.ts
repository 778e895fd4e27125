// Identity readings for `livecheck analyze`: FaceRecognitionNet descriptors of the tracked face on every n-th frame
// with a face, gated by src/decision/identity.ts (frontal, large enough), judged at the end by identityContinuity.
// The sampling is the attack suite's (tools/eval/eval.ts recordPresentation), so its measured margins hold here.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { RgbaImage } from '../../src/image.js';
import type { Point3 } from '../../src/types.js';
import { FaceRecognizer } from '../../src/match/recognizer.js';
import { eyeDistancePx } from '../../src/match/chip.js';
import {
  DEFAULT_IDENTITY_CONFIG,
  DEFAULT_IDENTITY_SAMPLING,
  IdentitySchedule,
  identityContinuity,
  type IdentityConfig,
  type IdentityContinuity,
  type IdentityReading,
} from '../../src/decision/identity.js';
import { packageModelDir } from '../../src/node/model-dir.js';

export interface IdentitySamplerOptions {
  /** Describe every n-th frame with a tracked face and a known pose (default 5: ~5 readings a second at 25 fps). */
  every?: number;
  /** Readings kept at most (src/decision/identity.ts IdentitySchedule; default 64). */
  maxReadings?: number;
  config?: IdentityConfig;
}

export class IdentitySampler {
  readonly config: IdentityConfig;
  /** The sampling rule (shared with the browser worker and the server's replay); its `kept` are the readings. */
  private readonly schedule: IdentitySchedule;
  private readonly eyes = new Float64Array(6);

  constructor(
    private readonly recognizer: FaceRecognizer,
    options: IdentitySamplerOptions = {},
  ) {
    this.config = options.config ?? DEFAULT_IDENTITY_CONFIG;
    this.schedule = new IdentitySchedule({ every: options.every ?? DEFAULT_IDENTITY_SAMPLING.every, maxReadings: options.maxReadings ?? DEFAULT_IDENTITY_SAMPLING.maxReadings }, this.config);
  }

  /** The readings taken so far (descriptors included), in time order. */
  get readings(): IdentityReading[] {
    return this.schedule.kept;
  }

  get every(): number {
    return this.schedule.every;
  }

  /**
   * Opens facerec.onnx from `modelDir` (default: the package's models/, found as createNodeEngine finds it); null
   * when the model is not there (the check is then not run).
   */
  static async open(modelDir: string | undefined, options: IdentitySamplerOptions = {}): Promise<IdentitySampler | null> {
    const model = join(modelDir ?? packageModelDir(import.meta.url), 'facerec.onnx');
    if (!existsSync(model)) return null;
    return new IdentitySampler(await FaceRecognizer.create({ model, numThreads: 1 }), options);
  }

  /** One analysed frame: `face` null when none was tracked, `pose` null when the geometry had none. */
  async frame(frame: RgbaImage, timestampMs: number, landmarks: readonly Point3[] | null, pose: { yawDeg: number; pitchDeg: number } | null): Promise<void> {
    if (!landmarks) return;
    const reading = this.schedule.due(timestampMs, true, pose, eyeDistancePx(landmarks, this.eyes));
    if (!reading) return;
    reading.descriptor = await this.recognizer.describe(frame, landmarks);
    this.schedule.keep(reading);
  }

  result(): IdentityContinuity {
    return identityContinuity(this.readings, this.config);
  }

  close(): Promise<void> {
    return this.recognizer.close();
  }
}

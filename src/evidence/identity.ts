// Identity continuity for a capture that cannot afford a face descriptor per frame (the browser worker, the evidence
// session): the sampling rule (IdentitySchedule, src/decision/identity.ts, the one `livecheck analyze` uses) picks
// the frames, each picked face is cut as a small aligned RGBA chip (src/match/chip.ts, 90 KB), and the chips are
// described only when the attempt is judged (`judge`), by an injected describer (FaceRecognitionNet in the worker
// or in Node). The evidence bundle keeps the chips (JPEG) and the claimed continuity, so the server can describe the
// same chips and judge them with the same code. No DOM, no wasm, no models here.
import {
  DEFAULT_IDENTITY_CONFIG,
  DEFAULT_IDENTITY_SAMPLING,
  IdentitySchedule,
  identityContinuity,
  type IdentityConfig,
  type IdentityContinuity,
  type IdentityReading,
  type IdentitySampling,
  type IdentityVerdict,
} from '../decision/identity.js';
import { LivecheckError } from '../errors.js';
import type { RgbaImage } from '../image.js';
import { ChipCutter, eyeDistancePx } from '../match/chip.js';
import type { Point3 } from '../types.js';

/** The identity check's settings (LivenessCheckOptions.identity, ReplayOptions.identity): every field optional. */
export interface IdentityOptions {
  /** Read every n-th frame with a usable face (default 5). */
  every?: number;
  /** Readings kept at most; beyond, the readings are thinned (default 64). */
  maxReadings?: number;
  config?: Partial<IdentityConfig>;
}

export interface ResolvedIdentityOptions {
  sampling: IdentitySampling;
  config: IdentityConfig;
}

export function resolveIdentityOptions(o: IdentityOptions = {}): ResolvedIdentityOptions {
  const r = {
    sampling: { every: o.every ?? DEFAULT_IDENTITY_SAMPLING.every, maxReadings: o.maxReadings ?? DEFAULT_IDENTITY_SAMPLING.maxReadings },
    config: { ...DEFAULT_IDENTITY_CONFIG, ...o.config },
  };
  new IdentitySchedule(r.sampling, r.config); // validates
  return r;
}

/** One picked face: its reading (pose, size, time) and its aligned chip (150x150 RGBA). */
export interface IdentityChip {
  reading: IdentityReading;
  rgba: Uint8ClampedArray;
}

/** The continuity as the bundle's result record claims it (numbers unrounded here; the recorder keeps them exactly). */
export interface IdentityClaim {
  verdict: IdentityVerdict;
  distance: number | null;
  peakDistance: number | null;
  changedAtMs: number | null;
  readings: number;
}

export function identityClaim(c: IdentityContinuity): IdentityClaim {
  return { verdict: c.verdict, distance: c.distance, peakDistance: c.peakDistance, changedAtMs: c.changedAtMs, readings: c.readings };
}

/** JPEG quality of the identity chips (0..1): high, so the server's descriptors of the JPEG stay close to the client's. */
export const IDENTITY_JPEG_QUALITY = 0.92;

/** Describes one chip (150x150 RGBA) as a face descriptor. */
export type ChipDescriber = (rgba: Uint8ClampedArray) => Promise<ArrayLike<number>>;

export class IdentityCapture {
  readonly schedule: IdentitySchedule<IdentityChip>;
  private readonly cutter = new ChipCutter();
  private readonly eyes = new Float64Array(6);
  private readonly descriptors = new Map<IdentityChip, ArrayLike<number>>();
  /** Total time spent describing chips, ms (the cost at the end of an attempt). */
  describeMs = 0;
  /** Total time spent cutting chips, ms (the per-frame cost). */
  cutMs = 0;

  constructor(
    readonly options: ResolvedIdentityOptions,
    private readonly describe: ChipDescriber,
  ) {
    this.schedule = new IdentitySchedule(options.sampling, options.config);
  }

  /** Whether a frame with a face could be due before its pose is known (see IdentitySchedule.candidate). */
  candidate(hasFace: boolean, ahead = 0): boolean {
    return this.schedule.candidate(hasFace, ahead);
  }

  /**
   * One analysed frame, in time order: when the rule picks it, the face's chip is cut from `image` (a crop of the
   * frame at `originX`, `originY`, or the whole frame; null: no pixels were saved, see `candidate`) and kept.
   * Returns the chip, or null.
   */
  frame(image: RgbaImage | null, timestampMs: number, landmarks: readonly Point3[] | null, pose: { yawDeg: number; pitchDeg: number } | null, originX = 0, originY = 0): IdentityChip | null {
    if (!landmarks) {
      this.schedule.due(timestampMs, false, null, 0);
      return null;
    }
    const reading = this.schedule.due(timestampMs, true, pose, eyeDistancePx(landmarks, this.eyes));
    if (!reading) return null;
    if (!image) return null; // a caller that saved no pixels for a due frame (see candidate): the reading is lost
    const t0 = now();
    const chip: IdentityChip = { reading, rgba: this.cutter.cut(image, landmarks, originX, originY) };
    this.cutMs += now() - t0;
    this.schedule.keep(chip);
    return chip;
  }

  /** The chips kept (thinned when there were more than maxReadings), in time order. */
  get chips(): readonly IdentityChip[] {
    return this.schedule.kept;
  }

  /** Describes the chips not described yet and judges the continuity over all kept chips. */
  async judge(): Promise<IdentityContinuity> {
    const t0 = now();
    const readings: IdentityReading[] = [];
    for (const chip of this.schedule.kept) {
      let d = this.descriptors.get(chip);
      if (!d) {
        d = await this.describe(chip.rgba);
        if (!d || d.length === 0) throw new LivecheckError('model-corrupt', 'the identity describer returned no descriptor', {});
        this.descriptors.set(chip, d);
      }
      readings.push({ ...chip.reading, descriptor: d });
    }
    this.describeMs += now() - t0;
    return identityContinuity(readings, this.options.config);
  }
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

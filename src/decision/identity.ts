// Identity continuity: is the face at the end of the session the person who started it? Fed by face descriptors
// (FaceRecognitionNet, 128-d, Euclidean) taken every few frames, or by distances a caller already measured to the
// starting face. Pure: plain arrays in, plain data out. A change is a hard `fail` (another person stepping in must
// fail, however live they look), not a matter for the liveness consensus, so it overrides the consensus verdict.

import { descriptorDistance } from './face-match.js';
import { LivecheckError } from '../errors.js';
import type { LivenessDecision } from './consensus.js';
import { reason, type SignalReason } from './signal.js';

export interface IdentityReading {
  timestampMs: number;
  /** The face descriptor of this frame. */
  descriptor?: ArrayLike<number>;
  /** Or: the distance of this frame's face to the starting face, already measured (same scale as descriptors). */
  distance?: number;
  /** Head pose of the frame, when known: readings turned beyond `maxPoseDeg` are skipped (the net wants frontal faces). */
  yawDeg?: number;
  pitchDeg?: number;
  /** Distance between the eye centres in image pixels, when known: smaller faces than `minEyeDistancePx` are skipped. */
  eyeDistancePx?: number;
}

export interface IdentityConfig {
  /** Frontal readings averaged into the reference face (the person at the start). */
  referenceReadings: number;
  /** A reading farther than this from the reference is another person. */
  maxDistance: number;
  /** Consecutive far readings that make a change: one blurred or half-turned frame must not. */
  readings: number;
  /** Readings with |yaw| or |pitch| above this are not used. */
  maxPoseDeg: number;
  /**
   * Readings of faces with the eyes closer than this (image pixels) are not used: the net's 150x150 chip puts the
   * eyes 46 px apart, and a face blown up more than ~1.4x into it carries little identity.
   */
  minEyeDistancePx: number;
}

/**
 * maxDistance 0.45 is the ID-photo match threshold calibrated on real photos. Within one session (same camera, same
 * light, seconds apart) the same person stays below it; the margins are in docs/decision-and-calibration.md.
 */
export const DEFAULT_IDENTITY_CONFIG: IdentityConfig = { referenceReadings: 2, maxDistance: 0.45, readings: 2, maxPoseDeg: 25, minEyeDistancePx: 32 };

export type IdentityVerdict = 'unchanged' | 'changed' | 'unknown';

export interface IdentityContinuity {
  verdict: IdentityVerdict;
  /**
   * The largest distance to the reference held over `readings` consecutive readings (the smallest distance within
   * the run, the largest over all runs): what the decision compares with `maxDistance`. null when too few readings.
   */
  distance: number | null;
  /** The largest single reading's distance (a spike shows here but not in `distance`). */
  peakDistance: number | null;
  /** Timestamp of the first reading of the first far run (the change), or null. */
  changedAtMs: number | null;
  /** Readings used (after the pose gate), including the reference ones. */
  readings: number;
  reasons: SignalReason[];
}

function assertConfig(c: IdentityConfig): void {
  const intOk = (v: number) => Number.isInteger(v) && v >= 1;
  if (!intOk(c.referenceReadings) || !intOk(c.readings) || !(c.maxDistance > 0) || !(c.maxPoseDeg > 0) || !(c.minEyeDistancePx >= 0)) {
    throw new LivecheckError('invalid-argument', 'identity config: referenceReadings and readings must be integers >= 1, maxDistance and maxPoseDeg > 0, minEyeDistancePx >= 0', { ...c });
  }
}

/**
 * Whether a face of this pose and size gives a usable reading (the same gate a caller can apply before computing a
 * descriptor). Unknown pose or size passes.
 */
export function identityFaceUsable(face: Pick<IdentityReading, 'yawDeg' | 'pitchDeg' | 'eyeDistancePx'>, config: IdentityConfig = DEFAULT_IDENTITY_CONFIG): boolean {
  return !(Math.abs(face.yawDeg ?? 0) > config.maxPoseDeg) && !(Math.abs(face.pitchDeg ?? 0) > config.maxPoseDeg) && !((face.eyeDistancePx ?? Infinity) < config.minEyeDistancePx);
}

/**
 * Judges identity continuity over a session's readings, in time order. With descriptors, the reference is the mean
 * of the first `referenceReadings` usable descriptors and each later one is measured against it; with distances,
 * the distances are used as given. Mixing both kinds in one series is an error.
 */
export function identityContinuity(readings: readonly IdentityReading[], config: IdentityConfig = DEFAULT_IDENTITY_CONFIG): IdentityContinuity {
  assertConfig(config);
  const used = readings.filter((r) => identityFaceUsable(r, config) && (r.descriptor !== undefined || Number.isFinite(r.distance)));
  const withDescriptor = used.filter((r) => r.descriptor !== undefined).length;
  if (withDescriptor !== 0 && withDescriptor !== used.length) {
    throw new LivecheckError('invalid-argument', 'identity readings mix descriptors and distances', { descriptors: withDescriptor, readings: used.length });
  }
  const distances: Array<{ t: number; d: number }> = [];
  if (withDescriptor > 0) {
    if (used.length >= config.referenceReadings) {
      const n = used[0].descriptor!.length;
      const ref = new Float64Array(n);
      for (let k = 0; k < config.referenceReadings; k++) {
        const d = used[k].descriptor!;
        if (d.length !== n) throw new LivecheckError('invalid-argument', `descriptor lengths differ: ${d.length} vs ${n}`, { a: d.length, b: n });
        for (let i = 0; i < n; i++) ref[i] += d[i] / config.referenceReadings;
      }
      for (const r of used.slice(config.referenceReadings)) distances.push({ t: r.timestampMs, d: descriptorDistance(r.descriptor!, ref) });
    }
  } else {
    for (const r of used) distances.push({ t: r.timestampMs, d: r.distance! });
  }
  const k = config.readings;
  if (distances.length < k) {
    return {
      verdict: 'unknown',
      distance: null,
      peakDistance: distances.length ? Math.max(...distances.map((x) => x.d)) : null,
      changedAtMs: null,
      readings: used.length,
      reasons: [reason('identity-unknown', `too few frontal, large enough face readings to follow the identity (need the reference plus ${k})`, used.length)],
    };
  }
  let sustained = -Infinity,
    changedAtMs: number | null = null,
    peak = -Infinity;
  for (let i = 0; i < distances.length; i++) {
    peak = Math.max(peak, distances[i].d);
    if (i + k > distances.length) continue;
    let low = Infinity;
    for (let j = i; j < i + k; j++) low = Math.min(low, distances[j].d);
    sustained = Math.max(sustained, low);
    if (changedAtMs === null && low > config.maxDistance) changedAtMs = distances[i].t;
  }
  const changed = changedAtMs !== null;
  return {
    verdict: changed ? 'changed' : 'unchanged',
    distance: sustained,
    peakDistance: peak,
    changedAtMs,
    readings: used.length,
    reasons: [
      changed
        ? reason('identity-changed', `the face became another person's: ${k} consecutive readings beyond the distance limit (distance)`, sustained, config.maxDistance)
        : reason('identity-continuous', 'the same person throughout (largest sustained distance to the starting face)', sustained, config.maxDistance),
    ],
  };
}

/**
 * The liveness decision with the identity check applied: a changed identity ends as `fail` with reason
 * `identity-changed` ahead of the consensus reasons, whatever the signals said; otherwise the verdict stands and the
 * identity reason is appended.
 */
export function withIdentity(decision: LivenessDecision, identity: IdentityContinuity): LivenessDecision {
  if (identity.verdict === 'changed') return { ...decision, verdict: 'fail', reasons: [...identity.reasons, ...decision.reasons] };
  return { ...decision, reasons: [...decision.reasons, ...identity.reasons] };
}

/** How often identity readings are taken: the one sampling rule of `livecheck analyze`, eval, the browser and replay. */
export interface IdentitySampling {
  /** Read every n-th frame with a face (0: never). A turned or small face defers the reading to the next usable one. */
  every: number;
  /**
   * At most this many readings are kept: when full, every second reading after the reference ones is dropped (the
   * newest stays) and `every` doubles, so a long session is still followed to its end while the work at the end stays bounded.
   */
  maxReadings: number;
}

/** Every 5th frame: 5-6 readings a second at 25-30 fps, the spacing the identity threshold was checked at. */
export const DEFAULT_IDENTITY_SAMPLING: IdentitySampling = { every: 5, maxReadings: 64 };

/**
 * The sampling rule as a per-frame state machine, with no pixels or models: `due` says whether this frame is to be
 * read (and gives its reading without a descriptor), `keep` stores what the caller made of it (a descriptor, a chip,
 * or just the reading). Fed the same frames, the client and the server's replay pick the same readings.
 */
export class IdentitySchedule<T = IdentityReading> {
  readonly kept: T[] = [];
  private step: number;
  private since: number;

  constructor(
    readonly sampling: IdentitySampling = DEFAULT_IDENTITY_SAMPLING,
    readonly config: IdentityConfig = DEFAULT_IDENTITY_CONFIG,
  ) {
    assertConfig(config);
    if (!Number.isInteger(sampling.every) || sampling.every < 0 || !Number.isInteger(sampling.maxReadings) || sampling.maxReadings < config.referenceReadings + 2) {
      throw new LivecheckError('invalid-argument', 'identity sampling: every must be an integer >= 0, maxReadings an integer >= referenceReadings + 2', { ...sampling });
    }
    this.step = sampling.every;
    this.since = sampling.every; // the first usable face is read at once: it starts the reference
  }

  /** The current spacing in frames (doubles each time the store is thinned). */
  get every(): number {
    return this.step;
  }

  /**
   * Whether a frame with a face could be due, before its pose is known (a caller that must save pixels early, e.g.
   * a pipelined worker, saves them only then). Does not advance the schedule. Never false for a frame that turns
   * out due.
   */
  candidate(hasFace: boolean, ahead = 0): boolean {
    // `ahead`: frames still to come through `due` before this one (a pipeline), each of which may advance the count
    return hasFace && this.step > 0 && this.since + 1 + ahead >= this.step;
  }

  /**
   * One frame, in time order: `hasFace` false when none was tracked, `pose` null when the geometry had none,
   * `eyeDistancePx` the distance between the eye centres (src/match alignmentPoints). The reading when due, else null.
   */
  due(timestampMs: number, hasFace: boolean, pose: { yawDeg: number; pitchDeg: number } | null, eyeDistancePx: number): IdentityReading | null {
    if (!hasFace) return null;
    this.since++;
    if (this.step <= 0 || this.since < this.step || !pose) return null;
    const reading: IdentityReading = { timestampMs, yawDeg: pose.yawDeg, pitchDeg: pose.pitchDeg, eyeDistancePx };
    // a turned or small face waits for the next usable frame rather than the next n-th one
    if (!identityFaceUsable(reading, this.config)) return null;
    this.since = 0;
    return reading;
  }

  /** Stores what was made of a due reading; thins the store when it is full. */
  keep(item: T): void {
    this.kept.push(item);
    if (this.kept.length < this.sampling.maxReadings) return;
    // keep the reference, then every second reading counted back from the newest (the newest stays)
    const ref = this.config.referenceReadings;
    let w = ref;
    for (let i = ref + ((this.kept.length - 1 - ref) % 2); i < this.kept.length; i += 2) this.kept[w++] = this.kept[i];
    this.kept.length = w;
    this.step *= 2;
  }
}

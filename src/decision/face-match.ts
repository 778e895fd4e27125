// Face descriptor distances and the ID-photo match decision (pure: plain arrays in, plain data out). The identity
// continuity check measures with the same distance.
import { decideFaceMatch, type FaceMatchResult } from './consensus.js';
import type { FaceMatchConfig } from './config.js';
import { LivecheckError } from '../errors.js';

/** Euclidean distance between two descriptors (face-api's metric; same person typically < 0.6). */
export function descriptorDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new LivecheckError('invalid-argument', `descriptor lengths differ: ${a.length} vs ${b.length}`, { a: a.length, b: b.length });
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Match decision for two descriptors via decideFaceMatch (a large difference goes to review, not a hard fail). */
export function matchDescriptors(selfie: ArrayLike<number>, document: ArrayLike<number>, quality?: number | null, config?: FaceMatchConfig): FaceMatchResult {
  return decideFaceMatch({ distance: descriptorDistance(selfie, document), quality }, config);
}

/**
 * decideFaceMatch config with the calibrated match threshold: 0.45, stricter than face-api's usual 0.6, which lets
 * too many different people match (the calibration is in docs/decision-and-calibration.md, "ID-photo match").
 */
export const CALIBRATED_FACE_MATCH: FaceMatchConfig = { matchMax: 0.45, largeDifferenceMin: 0.8, largeDifference: 'review', minQuality: 0.4 };

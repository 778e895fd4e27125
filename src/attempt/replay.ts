// Re-derives an attempt from its evidence: the recorded frame records are turned back into the engine's per-frame
// measurements (FrameAnalysis, the primary face with its eye contours, the region cues, the passive scores) and fed
// to the attempt pipeline every host runs (interpretation, challenge session, the three signals, the consensus). Nothing here trusts the bundle's result record: it is what the server compares that record against.
import type { ChallengeEvent } from '../challenge/session.js';
import { planFromSteps } from '../challenge/plan.js';
import type { FaceRegionStats, FaceWithContours } from '../geometry/face-geometry.js';
import type { PassiveFrameFeatures } from '../decision/passive.js';
import type { FaceDetection, FrameAnalysis, QualityMetrics } from '../types.js';
import type { AttemptClaim, EvidenceBundle, FrameRecord } from '../evidence/bundle.js';
import { IdentitySchedule, type IdentityReading } from '../decision/identity.js';
import { eyeDistancePx } from '../match/chip.js';
import { resolveIdentityOptions } from '../evidence/identity.js';
import { Attempt, type AttemptOutcome } from './attempt.js';
import type { AttemptConfig } from './config.js';

/**
 * The settings the server replays with: they must be the ones the client ran (default: the defaults); their hash
 * is the genesis' configHash. `identity`: the identity check's settings when the capture ran it.
 */
export type ReplayOptions = AttemptConfig;

export interface ReplayResult extends Omit<AttemptOutcome, 'identity'> {
  /** The replayed attempt in the result record's terms (unquantised; identity not described here). */
  claim: AttemptClaim;
  /** Every challenge event the replay produced, progress included. */
  events: ChallengeEvent[];
  frames: number;
  /**
   * With `identity` in the options: the readings the sampling rule picks on the recorded frames (pose and face size
   * from the server's own geometry, no descriptors), with the frame record each comes from. Else null.
   */
  identity: Array<{ frameSeq: number; reading: IdentityReading }> | null;
}

/**
 * Replays a bundle whose shape is valid (evidenceShapeProblems empty) through the attempt pipeline, without the
 * identity describer (the caller describes the chips). Throws LivecheckError on unusable content.
 */
export async function replayEvidence(bundle: EvidenceBundle, options: ReplayOptions = {}): Promise<ReplayResult> {
  const plan = planFromSteps(bundle.genesis.plan);
  const { identity: idOptions, ...config } = options;
  const attempt = await Attempt.start({ ...config, plan });
  const events: ChallengeEvent[] = [];
  const id = idOptions ? resolveIdentityOptions(idOptions) : null;
  const schedule = id ? new IdentitySchedule<{ frameSeq: number; reading: IdentityReading }>(id.sampling, id.config) : null;
  const eyes = new Float64Array(6);
  for (const r of bundle.records) {
    if (r.type !== 'frame') continue;
    const { frame, face, regions, passive } = frameInputs(r);
    const out = await attempt.push({ analysis: frame, face, regions: regions ?? null, passive });
    for (const e of out.challenge) events.push(e);
    if (schedule) {
      // the client's rule on the server's own pose: which frames had to be read
      const pose = face && out.geometry ? out.geometry.pose : null;
      const reading = schedule.due(frame.timestampMs, face !== null, pose, face ? eyeDistancePx(face.landmarks, eyes) : 0);
      if (reading) schedule.keep({ frameSeq: r.seq, reading });
    }
  }
  const decided = await attempt.finish();
  return { signals: decided.signals, decision: decided.decision, claim: attempt.claim({ ...decided, identity: null }), events, frames: attempt.frames, identity: schedule ? schedule.kept : null };
}

/** The engine's per-frame inputs as recorded: NaN was stored as null and comes back as NaN. */
export function frameInputs(r: FrameRecord): { frame: FrameAnalysis; face: FaceWithContours | null; regions: FaceRegionStats | undefined; passive: PassiveFrameFeatures | null } {
  const q = r.quality as Record<string, unknown>;
  const quality = restore(q) as unknown as QualityMetrics;
  if (q.motion === null) quality.motion = null;
  let face: FaceWithContours | null = null;
  const faces: FaceDetection[] = [];
  if (r.face) {
    const ec = r.face.eyeContours;
    face = { box: { ...r.face.box }, score: r.face.score, landmarks: r.face.landmarks, rotation: 0, tracked: false, eyeContours: ec ? { right: ec.right, left: ec.left } : null };
    faces.push(face);
  }
  // the other faces only count for `multiple-faces` (score and width): no landmarks were recorded
  for (const o of r.others) faces.push({ box: { ...o.box }, score: o.score, landmarks: [], rotation: 0, tracked: false });
  const frame: FrameAnalysis = { timestampMs: r.t, width: r.width, height: r.height, quality, faces };
  const regions = r.regions ? (restore(r.regions) as FaceRegionStats) : undefined;
  const passive = r.passive ? ({ ...r.passive } as PassiveFrameFeatures) : null;
  return { frame, face, regions, passive };
}

function restore(x: unknown): unknown {
  if (x === null) return NaN;
  if (typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(restore);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x as object)) out[k] = restore(v);
  return out;
}

// Re-derives an attempt from its evidence: the recorded frame records are turned back into the engine's per-frame
// inputs (FrameAnalysis, the primary face with its eye contours, the region cues) and fed to the same pure code the
// engine runs (FrameInterpreter: geometry, guidance, challenge session), then to AttemptLog for the signals and the
// consensus. Nothing here trusts the bundle's result record: it is what the server compares that record against.
import { FrameInterpreter, type FrameInterpreterOptions } from '../engine/interpreter.js';
import type { ChallengeEvent } from '../challenge/session.js';
import type { FaceRegionStats, FaceWithContours } from '../geometry/face-geometry.js';
import type { PassiveFrameFeatures } from '../decision/passive.js';
import type { FaceDetection, FrameAnalysis, QualityMetrics } from '../types.js';
import { AttemptLog, planFromSteps, type AttemptClaim, type AttemptDecision } from './attempt.js';
import { resolveGuidanceConfig } from '../guidance/config.js';
import { resolveChallengeConfig } from '../challenge/config.js';
import { DEFAULT_ACTION_DETECTOR_CONFIG } from '../challenge/action-detector.js';
import { canonicalJson } from './canonical.js';
import { sha256 } from './encoding.js';
import { toHex } from '../util/hex.js';
import type { EvidenceBundle, FrameRecord } from './bundle.js';
import { IdentitySchedule, type IdentityReading } from '../decision/identity.js';
import { eyeDistancePx } from '../match/chip.js';
import { resolveIdentityOptions, type IdentityOptions } from './identity.js';

/**
 * The engine options the server replays with: they must be the ones the client ran (default: the defaults).
 * `identity`: the identity check's settings when the capture ran it (the browser's default), false or absent when not;
 * part of the configuration hash, so a capture with the check turned off does not verify against a server expecting it.
 */
export type ReplayOptions = Omit<FrameInterpreterOptions, 'plan'> & { identity?: IdentityOptions | false | null };

export interface ReplayResult extends AttemptDecision {
  /** The replayed attempt in the result record's terms (unquantised). */
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
 * The engine configuration these options resolve to (every threshold, defaults filled in), as FrameInterpreter
 * applies them: `mirrored` overrides the challenge's and the action detector's.
 */
export function engineConfig(options: ReplayOptions = {}): { guidance: unknown; challenge: unknown; actions: unknown; identity?: unknown } {
  const mirrored = options.mirrored;
  return {
    guidance: resolveGuidanceConfig(options.guidance?.config),
    challenge: resolveChallengeConfig(mirrored === undefined ? options.challenge : { ...options.challenge, mirrored }),
    actions: { ...DEFAULT_ACTION_DETECTOR_CONFIG, ...options.actions, ...(mirrored === undefined ? {} : { mirrored }) },
    // only with the check on: configurations without it hash as before
    ...(options.identity ? { identity: resolveIdentityOptions(options.identity) } : {}),
  };
}

/** Hex SHA-256 of the canonical resolved engine configuration: the genesis' `configHash`. */
export async function engineConfigHash(options: ReplayOptions = {}): Promise<string> {
  return toHex(await sha256(new TextEncoder().encode(canonicalJson(engineConfig(options)))));
}

/** Replays a bundle whose shape is valid (evidenceShapeProblems empty). Throws LivecheckError on unusable content. */
export function replayEvidence(bundle: EvidenceBundle, options: ReplayOptions = {}): ReplayResult {
  const plan = planFromSteps(bundle.genesis.plan);
  const interpreter = new FrameInterpreter({ ...options, plan });
  const log = new AttemptLog(plan);
  const events: ChallengeEvent[] = [];
  const id = options.identity ? resolveIdentityOptions(options.identity) : null;
  const schedule = id ? new IdentitySchedule<{ frameSeq: number; reading: IdentityReading }>(id.sampling, id.config) : null;
  const eyes = new Float64Array(6);
  for (const r of bundle.records) {
    if (r.type !== 'frame') continue;
    const { frame, face, regions, passive } = frameInputs(r);
    const out = interpreter.interpret(frame, face, regions);
    for (const e of out.challenge) events.push(e);
    if (schedule) {
      // the client's rule on the server's own pose: which frames had to be read
      const pose = face && out.geometry ? out.geometry.pose : null;
      const reading = schedule.due(frame.timestampMs, face !== null, pose, face ? eyeDistancePx(face.landmarks, eyes) : 0);
      if (reading) schedule.keep({ frameSeq: r.seq, reading });
    }
    // the geometry is the server's own, from the recorded landmarks and eye contours (nothing trusted is added)
    log.push({ timestampMs: frame.timestampMs, landmarks: face ? face.landmarks : null, motion: frame.quality.motion, geometry: out.geometry }, passive, out.challenge);
  }
  const decided = log.decide();
  return { ...decided, claim: log.claim(decided), events, frames: log.frames, identity: schedule ? schedule.kept : null };
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

// The evidence bundle, format version 3: plain JSON data, serialised with canonicalJson.
//
//   genesisHash = SHA-256( "livecheck-evidence/<version>\n" + canonical(genesis) )
//   h[i]        = SHA-256( h[i-1] (32 raw bytes, h[-1] = genesisHash) + canonical(records[i] without `hash`, `data`) )
//   records[i].hash = hex(h[i]);  head = hex(h[last]);  the last record is the `end` record.
//
// A keyframe's JPEG bytes enter the chain through their SHA-256 (`sha256`); the base64 `data` itself is checked
// against that digest. Version 2 (over 1): frame records carry everything the challenge and the signals read (the
// other faces' boxes, the iris model's eye contours, the region pixel cues, the passive artefact scores), and a
// `result` record just before `end` holds what the client claims (challenge events, signal verdicts, verdict), so the
// server can re-derive the claim from the recorded data (`replayEvidence`, src/attempt/replay.ts). Version 3 (over
// 2): `identity` records, one per identity reading (the face aligned onto the recognition net's 150x150 template,
// JPEG, with the reading's pose and size), just before the result record, and the result record's `identity` (the
// claimed continuity, null when the capture ran without the identity check); its `verdict` is then the verdict with
// the identity applied (a change is `fail`). Version-2 bundles are still read: they have neither. Numbers that the
// challenge and the guidance compare with thresholds (timestamps, quality metrics, region cues, passive scores, face
// boxes and scores) are kept exactly; landmarks and eye contours, the bulk, stay on the 1e-4 px grid. The chain has
// no secret: it proves the bundle is one consistent capture bound to the server's nonce, plan and document, and lets
// the server pin down what was changed; authenticity of the pixels comes from the server re-analysing the keyframes.
import type { Box, Point3 } from '../types.js';
import { LivecheckError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { isHex } from '../util/hex.js';
import { PASSIVE_FEATURES, type PassiveFeature } from '../decision/config.js';

export const EVIDENCE_FORMAT = 'livecheck-evidence';
export const EVIDENCE_VERSION = 3;
/** Versions this library reads: 2 (no identity records) and 3. */
export const EVIDENCE_VERSIONS_READ: readonly number[] = [2, 3];

/**
 * One step of the challenge plan as stored in the genesis: the action and its flat parameters, exactly as the
 * challenge module produced them from the nonce (e.g. `{ action: 'turn-left', holdMs: 1800 }`).
 */
export type ChallengeStep = { action: string; [param: string]: string | number | boolean };

/** What binds a capture to the ID document: the hash of its metadata (hex SHA-256) and its upload time (epoch ms). */
export interface DocumentBinding {
  metadataHash: string;
  uploadedAt: number;
}

export interface EvidenceGenesis {
  nonce: string;
  plan: ChallengeStep[];
  document: DocumentBinding;
  library: { name: string; version: string };
  /** Hex SHA-256 of the canonical engine configuration (thresholds, models) the capture ran with. */
  configHash: string;
  /** Client wall clock (epoch ms) when the capture started. */
  startedAt: number;
}

/** Numbers as recorded (exact, or on the 1e-4 grid for the bulk), NaN stored as null. */
export type Quantized<T> = T extends number ? number | null : T extends readonly unknown[] ? { [K in keyof T]: Quantized<T[K]> } : T extends object ? { [K in keyof T]: Quantized<T[K]> } : T;

export interface EvidenceFace {
  box: Box;
  score: number;
  landmarks: Point3[];
  /** The iris model's eye contours, the first LID_CONTOUR_POINTS of each (all the geometry reads), or null. */
  eyeContours: { right: Point3[]; left: Point3[] } | null;
}

/** A face other than the primary one: only what the guidance reads (size and score, for `multiple-faces`). */
export interface EvidenceOtherFace {
  box: Box;
  score: number;
}

/** Signal verdicts and the consensus, as the bundle claims them. */
export interface ClaimedSignal {
  verdict: 'live' | 'spoof' | 'unsure';
  score: number;
}

/** One challenge event as claimed: prompts, confirmations and the failure (progress events are not kept). */
export interface ClaimedEvent {
  type: 'prompt' | 'action-done' | 'action-failed';
  step: number;
  action: string;
  /** Timestamp (ms) of the frame that produced the event. */
  t: number;
  /** The failure reason (action-failed), else null. */
  reason: string | null;
}

/** A claimed challenge event (progress events are not kept: they follow from the others). */
export interface AttemptEvent {
  type: 'prompt' | 'action-done' | 'action-failed';
  step: number;
  action: string;
  t: number;
  reason: string | null;
}

/** What the client claims about an attempt, unquantised: the result record holds it (quantised). */
export interface AttemptClaim {
  challenge: {
    events: AttemptEvent[];
    ended: { outcome: 'completed' | 'failed' | 'rejected'; reason: string | null; t: number } | null;
  };
  signals: {
    active: { verdict: 'live' | 'spoof' | 'unsure'; score: number } | null;
    passive: { verdict: 'live' | 'spoof' | 'unsure'; score: number } | null;
    motion: { verdict: 'live' | 'spoof' | 'unsure'; score: number } | null;
  };
  /** The verdict (with the identity check on: after it). */
  verdict: 'pass' | 'fail' | 'review';
  /** The identity continuity claimed; absent or null: identity check off. */
  identity?: ClaimedIdentity | null;
}

export interface ResultRecord {
  type: 'result';
  seq: number;
  challenge: {
    events: ClaimedEvent[];
    /** How the attempt ended, or null when the capture stopped before it did. */
    ended: { outcome: 'completed' | 'failed' | 'rejected'; reason: string | null; t: number } | null;
  };
  signals: { active: ClaimedSignal | null; passive: ClaimedSignal | null; motion: ClaimedSignal | null };
  /** The verdict; with the identity check on, after it (a changed identity is `fail`). */
  verdict: 'pass' | 'fail' | 'review';
  /** Version 3: the claimed identity continuity over the `identity` records, or null (identity check off). Absent in version 2. */
  identity?: ClaimedIdentity | null;
  hash: string;
}

/** The identity continuity as claimed (src/decision/identity.ts identityContinuity over the identity records). */
export interface ClaimedIdentity {
  verdict: 'unchanged' | 'changed' | 'unknown';
  distance: number | null;
  peakDistance: number | null;
  changedAtMs: number | null;
  readings: number;
}

/**
 * Version 3: one identity reading: the face of frame `frameSeq` aligned onto the recognition net's template
 * (src/match/align.ts, width x height = 150 x 150), JPEG, with the pose and face size the sampling rule read.
 */
export interface IdentityRecord {
  type: 'identity';
  seq: number;
  frameSeq: number;
  /** The frame's timestamp (ms). */
  t: number;
  yawDeg: number;
  pitchDeg: number;
  eyeDistancePx: number;
  width: number;
  height: number;
  mime: 'image/jpeg';
  sha256: string;
  data: string;
  hash: string;
}

export interface FrameRecord {
  type: 'frame';
  seq: number;
  /** The caller's monotonic frame timestamp (ms). */
  t: number;
  width: number;
  height: number;
  /** Hex SHA-256 of the frame's pixel bytes as analysed (RGBA). */
  pixels: string;
  quality: Quantized<Record<string, unknown>>;
  faceCount: number;
  /** The primary face (the first of FrameAnalysis.faces), or null. */
  face: EvidenceFace | null;
  /** The other faces (FrameAnalysis.faces after the first): faceCount = (face ? 1 : 0) + others.length. */
  others: EvidenceOtherFace[];
  /** The primary face's region pixel cues (FaceRegionStats, quantised), or null when not measured. */
  regions: Quantized<Record<string, unknown>> | null;
  /** The passive image features measured on this frame (PassiveFrameFeatures fields), or null. */
  passive: Partial<Record<PassiveFeature, number | null>> | null;
  hash: string;
}

export interface KeyframeRecord {
  type: 'keyframe';
  seq: number;
  /** `seq` of the frame record the crop was taken from. */
  frameSeq: number;
  /** Which challenge moment this shows: a plan action, or another label such as `reference`. */
  moment: string;
  /** Crop region in frame pixels (integers); the image is this crop, possibly resized to width x height. */
  box: Box;
  width: number;
  height: number;
  mime: 'image/jpeg';
  /** Hex SHA-256 of the JPEG bytes. */
  sha256: string;
  /** The JPEG bytes, base64 (not hashed into the chain directly: `sha256` is). */
  data: string;
  hash: string;
}

export interface EndRecord {
  type: 'end';
  seq: number;
  frames: number;
  keyframes: number;
  /** Client wall clock (epoch ms) when the capture finished. */
  finishedAt: number;
  hash: string;
}

export type EvidenceRecord = FrameRecord | KeyframeRecord | IdentityRecord | ResultRecord | EndRecord;

export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT;
  /** 3 when recorded by this library; 2 for older bundles (read, verified without identity). */
  version: number;
  genesis: EvidenceGenesis;
  records: EvidenceRecord[];
  head: string;
}

/** The canonical text of a bundle: what is sent to the server and what `verifyEvidence` accepts as a string. */
export function serializeEvidence(bundle: EvidenceBundle): string {
  return canonicalJson(bundle);
}

/**
 * Parse a bundle (text or already-parsed JSON) far enough to know it is a livecheck bundle of a version this library
 * reads. Throws `evidence-invalid` (detail.check `format` or `version`) for unusable input; everything else about the
 * bundle is judged by `verifyEvidence` and reported, not thrown.
 */
export function parseEvidence(input: string | unknown): { bundle: unknown; text: string | null } {
  let bundle: unknown = input;
  let text: string | null = null;
  if (typeof input === 'string') {
    text = input;
    try {
      bundle = JSON.parse(input);
    } catch (cause) {
      throw new LivecheckError('evidence-invalid', 'evidence is not JSON', { check: 'format' }, { cause });
    }
  }
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) throw new LivecheckError('evidence-invalid', 'evidence is not a JSON object', { check: 'format' });
  const { format, version } = bundle as { format?: unknown; version?: unknown };
  if (format !== EVIDENCE_FORMAT) throw new LivecheckError('evidence-invalid', `not a livecheck evidence bundle (format ${JSON.stringify(format)})`, { check: 'format', format });
  if (typeof version !== 'number' || !EVIDENCE_VERSIONS_READ.includes(version)) {
    throw new LivecheckError('evidence-invalid', `unsupported evidence version ${JSON.stringify(version)}; this library reads versions ${EVIDENCE_VERSIONS_READ.join(', ')}`, {
      check: 'version',
      version,
    });
  }
  return { bundle, text };
}

// ---- shape validation (the `format` check) ----

type Problems = string[];

function exactKeys(x: unknown, keys: readonly string[], path: string, problems: Problems): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    problems.push(`${path} is not an object`);
    return false;
  }
  const have = Object.keys(x).sort();
  const want = [...keys].sort();
  if (have.length !== want.length || have.some((k, i) => k !== want[i])) {
    problems.push(`${path} has keys [${have.join(',')}], expected [${want.join(',')}]`);
    return false;
  }
  return true;
}

const isInt = (x: unknown): x is number => Number.isInteger(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function need(ok: boolean, what: string, problems: Problems): void {
  if (!ok) problems.push(what);
}

function checkBox(b: unknown, path: string, problems: Problems, integers: boolean): void {
  if (!exactKeys(b, ['x', 'y', 'width', 'height'], path, problems)) return;
  const ok = integers ? isInt : isNum;
  need(ok(b.x) && ok(b.y) && ok(b.width) && ok(b.height) && (b.width as number) > 0 && (b.height as number) > 0, `${path} is not a valid box`, problems);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPoints = (x: unknown): boolean => Array.isArray(x) && x.every((p: unknown) => Array.isArray(p) && p.length === 3 && p.every(isNum));

function numericTree(x: unknown, depth = 0): boolean {
  if (x === null || isNum(x)) return true;
  if (depth > 4 || typeof x !== 'object') return false;
  return Object.values(x as object).every((v) => numericTree(v, depth + 1));
}

/** Structural problems of a parsed bundle (empty when the shape is valid for its version). Content is not judged here. */
export function evidenceShapeProblems(b: unknown): string[] {
  const problems: Problems = [];
  if (!exactKeys(b, ['format', 'version', 'genesis', 'records', 'head'], 'bundle', problems)) return problems;
  const version = b.version === 2 ? 2 : 3;
  need(isHex(b.head, 32), 'head is not a SHA-256 hex digest', problems);
  const g = b.genesis;
  if (exactKeys(g, ['nonce', 'plan', 'document', 'library', 'configHash', 'startedAt'], 'genesis', problems)) {
    need(typeof g.nonce === 'string' && g.nonce.length > 0, 'genesis.nonce is not a non-empty string', problems);
    if (Array.isArray(g.plan)) {
      g.plan.forEach((step: unknown, i: number) => {
        const ok =
          typeof step === 'object' &&
          step !== null &&
          !Array.isArray(step) &&
          typeof (step as ChallengeStep).action === 'string' &&
          (step as ChallengeStep).action.length > 0 &&
          Object.values(step).every((v) => isNum(v) || typeof v === 'string' || typeof v === 'boolean');
        need(ok, `genesis.plan[${i}] is not an action with flat parameters`, problems);
      });
    } else problems.push('genesis.plan is not an array');
    if (exactKeys(g.document, ['metadataHash', 'uploadedAt'], 'genesis.document', problems)) {
      need(isHex(g.document.metadataHash, 32), 'genesis.document.metadataHash is not a SHA-256 hex digest', problems);
      need(isNum(g.document.uploadedAt), 'genesis.document.uploadedAt is not a number', problems);
    }
    if (exactKeys(g.library, ['name', 'version'], 'genesis.library', problems)) {
      need(typeof g.library.name === 'string' && typeof g.library.version === 'string', 'genesis.library is not two strings', problems);
    }
    need(isHex(g.configHash, 32), 'genesis.configHash is not a SHA-256 hex digest', problems);
    need(isNum(g.startedAt), 'genesis.startedAt is not a number', problems);
  }
  if (!Array.isArray(b.records)) {
    problems.push('records is not an array');
    return problems;
  }
  b.records.forEach((r: unknown, i: number) => recordProblems(r, `records[${i}]`, problems, version));
  return problems;
}

function recordProblems(r: unknown, path: string, problems: Problems, version: 2 | 3): void {
  const type = typeof r === 'object' && r !== null ? (r as { type?: unknown }).type : undefined;
  if (type === 'frame') {
    if (!exactKeys(r, ['type', 'seq', 't', 'width', 'height', 'pixels', 'quality', 'faceCount', 'face', 'others', 'regions', 'passive', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isNum(r.t) && isInt(r.width) && isInt(r.height) && isInt(r.faceCount) && (r.faceCount as number) >= 0, `${path} has a bad seq, t, size or faceCount`, problems);
    need(isHex(r.pixels, 32), `${path}.pixels is not a SHA-256 hex digest`, problems);
    need(isObject(r.quality) && numericTree(r.quality), `${path}.quality is not an object of numbers`, problems);
    if (r.face !== null && exactKeys(r.face, ['box', 'score', 'landmarks', 'eyeContours'], `${path}.face`, problems)) {
      checkBox(r.face.box, `${path}.face.box`, problems, false);
      need(isNum(r.face.score), `${path}.face.score is not a number`, problems);
      need(isPoints(r.face.landmarks), `${path}.face.landmarks is not a list of [x,y,z]`, problems);
      const ec = r.face.eyeContours;
      if (ec !== null && exactKeys(ec, ['right', 'left'], `${path}.face.eyeContours`, problems)) {
        need(isPoints(ec.right) && isPoints(ec.left), `${path}.face.eyeContours is not two lists of [x,y,z]`, problems);
      }
    }
    if (Array.isArray(r.others)) {
      r.others.forEach((o: unknown, k: number) => {
        if (!exactKeys(o, ['box', 'score'], `${path}.others[${k}]`, problems)) return;
        checkBox(o.box, `${path}.others[${k}].box`, problems, false);
        need(isNum(o.score), `${path}.others[${k}].score is not a number`, problems);
      });
      need(r.faceCount === (r.face === null ? 0 : 1) + r.others.length, `${path}.faceCount does not count the face and the others`, problems);
    } else problems.push(`${path}.others is not an array`);
    need(r.regions === null || (isObject(r.regions) && numericTree(r.regions)), `${path}.regions is not null or an object of numbers`, problems);
    if (r.passive !== null) {
      need(
        isObject(r.passive) && Object.entries(r.passive).every(([k, v]) => (PASSIVE_FEATURES as readonly string[]).includes(k) && (v === null || isNum(v))),
        `${path}.passive is not null or passive features`,
        problems,
      );
    }
  } else if (type === 'keyframe') {
    if (!exactKeys(r, ['type', 'seq', 'frameSeq', 'moment', 'box', 'width', 'height', 'mime', 'sha256', 'data', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isInt(r.frameSeq) && isInt(r.width) && isInt(r.height) && (r.width as number) > 0 && (r.height as number) > 0, `${path} has a bad seq, frameSeq or size`, problems);
    need(typeof r.moment === 'string' && r.moment.length > 0, `${path}.moment is not a string`, problems);
    checkBox(r.box, `${path}.box`, problems, true);
    need(r.mime === 'image/jpeg', `${path}.mime is not image/jpeg`, problems);
    need(isHex(r.sha256, 32), `${path}.sha256 is not a SHA-256 hex digest`, problems);
    need(typeof r.data === 'string', `${path}.data is not a string`, problems);
  } else if (type === 'identity' && version >= 3) {
    if (!exactKeys(r, ['type', 'seq', 'frameSeq', 't', 'yawDeg', 'pitchDeg', 'eyeDistancePx', 'width', 'height', 'mime', 'sha256', 'data', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isInt(r.frameSeq) && isNum(r.t) && isNum(r.yawDeg) && isNum(r.pitchDeg) && isNum(r.eyeDistancePx), `${path} has a bad seq, frameSeq, t or pose`, problems);
    need(isInt(r.width) && isInt(r.height) && (r.width as number) > 0 && (r.height as number) > 0, `${path} has a bad size`, problems);
    need(r.mime === 'image/jpeg', `${path}.mime is not image/jpeg`, problems);
    need(isHex(r.sha256, 32), `${path}.sha256 is not a SHA-256 hex digest`, problems);
    need(typeof r.data === 'string', `${path}.data is not a string`, problems);
  } else if (type === 'result') {
    const keys = ['type', 'seq', 'challenge', 'signals', 'verdict', 'hash', ...(version >= 3 ? ['identity'] : [])];
    if (!exactKeys(r, keys, path, problems)) return;
    if (version >= 3 && r.identity !== null && exactKeys(r.identity, ['verdict', 'distance', 'peakDistance', 'changedAtMs', 'readings'], `${path}.identity`, problems)) {
      const id = r.identity;
      const numOrNull = (x: unknown) => x === null || isNum(x);
      need(
        (id.verdict === 'unchanged' || id.verdict === 'changed' || id.verdict === 'unknown') && numOrNull(id.distance) && numOrNull(id.peakDistance) && numOrNull(id.changedAtMs) && isInt(id.readings),
        `${path}.identity is not an identity claim`,
        problems,
      );
    }
    need(isInt(r.seq), `${path}.seq is not an integer`, problems);
    need(r.verdict === 'pass' || r.verdict === 'fail' || r.verdict === 'review', `${path}.verdict is not pass, fail or review`, problems);
    if (exactKeys(r.signals, ['active', 'passive', 'motion'], `${path}.signals`, problems)) {
      for (const [name, s] of Object.entries(r.signals)) {
        if (s === null || !exactKeys(s, ['verdict', 'score'], `${path}.signals.${name}`, problems)) continue;
        need((s.verdict === 'live' || s.verdict === 'spoof' || s.verdict === 'unsure') && isNum(s.score), `${path}.signals.${name} is not a verdict and a score`, problems);
      }
    }
    if (exactKeys(r.challenge, ['events', 'ended'], `${path}.challenge`, problems)) {
      const c = r.challenge;
      if (Array.isArray(c.events)) {
        c.events.forEach((e: unknown, k: number) => {
          const at = `${path}.challenge.events[${k}]`;
          if (!exactKeys(e, ['type', 'step', 'action', 't', 'reason'], at, problems)) return;
          need(
            (e.type === 'prompt' || e.type === 'action-done' || e.type === 'action-failed') &&
              isInt(e.step) &&
              typeof e.action === 'string' &&
              isNum(e.t) &&
              (e.reason === null || typeof e.reason === 'string'),
            `${at} is not a challenge event`,
            problems,
          );
        });
      } else problems.push(`${path}.challenge.events is not an array`);
      if (c.ended !== null && exactKeys(c.ended, ['outcome', 'reason', 't'], `${path}.challenge.ended`, problems)) {
        const e = c.ended;
        need(
          (e.outcome === 'completed' || e.outcome === 'failed' || e.outcome === 'rejected') && (e.reason === null || typeof e.reason === 'string') && isNum(e.t),
          `${path}.challenge.ended is not an attempt end`,
          problems,
        );
      }
    }
  } else if (type === 'end') {
    if (!exactKeys(r, ['type', 'seq', 'frames', 'keyframes', 'finishedAt', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isInt(r.frames) && isInt(r.keyframes) && isNum(r.finishedAt), `${path} has a bad seq, count or finishedAt`, problems);
  } else {
    problems.push(`${path} has unknown type ${JSON.stringify(type)}`);
    return;
  }
  need(isHex((r as { hash?: unknown }).hash, 32), `${path}.hash is not a SHA-256 hex digest`, problems);
}

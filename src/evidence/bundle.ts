// The evidence bundle, format version 4: plain JSON data, serialised with canonicalJson.
//
//   genesisHash = SHA-256( "livecheck-evidence/<version>\n" + canonical(genesis) )
//   h[i]        = SHA-256( h[i-1] (32 raw bytes, h[-1] = genesisHash) + canonical(records[i] without `hash`, `data`) )
//   records[i].hash = hex(h[i]);  head = hex(h[last]);  the last record is the `end` record.
//
// Records, in order: one `frame` per analysed frame (its time, size and the primary face as the client saw it),
// `keyframe`s (face crops, JPEG) among them, then one `video` record (the capture as video: the container's SHA-256
// and, per frame in order, its encoded chunk's size, kind and SHA-256; the container's bytes as base64 `data`), the
// `result` record (what the client claims: challenge events, signal verdicts, identity, verdict) and `end`. Binary
// payloads (`data`) enter the chain through their SHA-256. The chain has no secret: it binds the video, the crops and
// the claim to each other, to the nonce, the plan and the document. What the capture shows comes from the server
// decoding the video and re-running the engine on it; the frame records and the claim are the client's view, which
// the server compares with its own and never decides from.
import type { Box } from '../types.js';
import { LivecheckError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { isHex } from '../util/hex.js';

export const EVIDENCE_FORMAT = 'livecheck-evidence';
export const EVIDENCE_VERSION = 4;
/** Versions this library reads. Older bundles carry no video: the server cannot judge them from pixels. */
export const EVIDENCE_VERSIONS_READ: readonly number[] = [4];

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

/** A point in frame pixels, on the 0.1 px grid. */
export type EvidencePoint = [number, number];

/** The primary face as the client saw it: box, score and the EVIDENCE_POINTS landmarks (src/face/landmarks.ts). */
export interface EvidenceFace {
  box: Box;
  score: number;
  points: EvidencePoint[];
}

/** Signal verdicts and the consensus, as the bundle claims them. */
export interface ClaimedSignal {
  verdict: 'live' | 'spoof' | 'unsure';
  score: number;
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
  /** The identity continuity claimed; null: identity check off. */
  identity: ClaimedIdentity | null;
}

export interface ResultRecord {
  type: 'result';
  seq: number;
  challenge: {
    events: AttemptEvent[];
    /** How the attempt ended, or null when the capture stopped before it did. */
    ended: { outcome: 'completed' | 'failed' | 'rejected'; reason: string | null; t: number } | null;
  };
  signals: { active: ClaimedSignal | null; passive: ClaimedSignal | null; motion: ClaimedSignal | null };
  /** The verdict; with the identity check on, after it (a changed identity is `fail`). */
  verdict: 'pass' | 'fail' | 'review';
  /** The claimed identity continuity, or null (identity check off). */
  identity: ClaimedIdentity | null;
  hash: string;
}

/** The identity continuity as claimed (src/decision/identity.ts identityContinuity). */
export interface ClaimedIdentity {
  verdict: 'unchanged' | 'changed' | 'unknown';
  distance: number | null;
  peakDistance: number | null;
  changedAtMs: number | null;
  readings: number;
}

export interface FrameRecord {
  type: 'frame';
  seq: number;
  /** The analysed frame's timestamp (ms): also its video chunk's time. */
  t: number;
  width: number;
  height: number;
  faceCount: number;
  /** The primary face as the client saw it (a hint the server compares with its own analysis), or null. */
  face: EvidenceFace | null;
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

/** One encoded frame of the capture video, in frame order: the container's packet for that frame. */
export interface VideoChunkRecord {
  /** The frame's timestamp (ms), as the container carries it. */
  t: number;
  key: boolean;
  bytes: number;
  /** Hex SHA-256 of the packet's bytes. */
  sha256: string;
}

/**
 * The capture as video, just before the result record. Recorded: `missing` is null, `chunks` holds one entry per
 * frame record in order, `sha256` is the container's digest and `data` its bytes (base64, not hashed into the chain
 * directly). Not recorded (a browser without VideoEncoder, an encoder that failed, video turned off): `missing` says
 * why, the rest is empty, and the server cannot judge the capture from pixels (`review` at best).
 */
export interface VideoRecord {
  type: 'video';
  seq: number;
  missing: string | null;
  mime: 'video/webm' | 'video/x-matroska' | null;
  /** The WebCodecs codec string the encoder ran with, or null. */
  codec: string | null;
  width: number;
  height: number;
  bytes: number;
  sha256: string | null;
  chunks: VideoChunkRecord[];
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

export type EvidenceRecord = FrameRecord | KeyframeRecord | VideoRecord | ResultRecord | EndRecord;

export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT;
  /** EVIDENCE_VERSION. */
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
 * reads. Throws `evidence-invalid` (detail.check `format`) for unusable input and `evidence-version` (detail.version,
 * detail.supported) for a version this library does not read; everything else about the
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
    throw new LivecheckError('evidence-version', `unsupported evidence version ${JSON.stringify(version)}; this library reads version ${EVIDENCE_VERSIONS_READ.join(', ')}`, {
      version,
      supported: [...EVIDENCE_VERSIONS_READ],
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
const isPoints2 = (x: unknown): boolean => Array.isArray(x) && x.every((p: unknown) => Array.isArray(p) && p.length === 2 && p.every(isNum));

/** Structural problems of a parsed bundle (empty when the shape is valid). Content is not judged here. */
export function evidenceShapeProblems(b: unknown): string[] {
  const problems: Problems = [];
  if (!exactKeys(b, ['format', 'version', 'genesis', 'records', 'head'], 'bundle', problems)) return problems;
  need(isHex(b.head, 32), 'head is not a SHA-256 hex digest', problems);
  const g = b.genesis;
  if (exactKeys(g, ['nonce', 'plan', 'document', 'library', 'configHash', 'startedAt'], 'genesis', problems)) {
    need(typeof g.nonce === 'string' && g.nonce.length > 0 && g.nonce.length <= 1024, 'genesis.nonce is not a non-empty string', problems);
    if (Array.isArray(g.plan) && g.plan.length <= 64) {
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
    } else problems.push('genesis.plan is not an array of at most 64 steps');
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
  for (let i = 0; i < b.records.length && problems.length < 20; i++) recordProblems(b.records[i], `records[${i}]`, problems);
  return problems;
}

function recordProblems(r: unknown, path: string, problems: Problems): void {
  const type = typeof r === 'object' && r !== null ? (r as { type?: unknown }).type : undefined;
  if (type === 'frame') {
    if (!exactKeys(r, ['type', 'seq', 't', 'width', 'height', 'faceCount', 'face', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isNum(r.t) && isInt(r.width) && isInt(r.height) && isInt(r.faceCount) && (r.faceCount as number) >= 0, `${path} has a bad seq, t, size or faceCount`, problems);
    if (r.face !== null && exactKeys(r.face, ['box', 'score', 'points'], `${path}.face`, problems)) {
      checkBox(r.face.box, `${path}.face.box`, problems, false);
      need(isNum(r.face.score), `${path}.face.score is not a number`, problems);
      need(isPoints2(r.face.points) && (r.face.points as unknown[]).length <= 64, `${path}.face.points is not a list of [x,y]`, problems);
    }
    need((r.face === null) === (r.faceCount === 0), `${path}.face and faceCount disagree`, problems);
  } else if (type === 'keyframe') {
    if (!exactKeys(r, ['type', 'seq', 'frameSeq', 'moment', 'box', 'width', 'height', 'mime', 'sha256', 'data', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isInt(r.frameSeq) && isInt(r.width) && isInt(r.height) && (r.width as number) > 0 && (r.height as number) > 0, `${path} has a bad seq, frameSeq or size`, problems);
    need(typeof r.moment === 'string' && r.moment.length > 0 && r.moment.length <= 64, `${path}.moment is not a short string`, problems);
    checkBox(r.box, `${path}.box`, problems, true);
    need(r.mime === 'image/jpeg', `${path}.mime is not image/jpeg`, problems);
    need(isHex(r.sha256, 32), `${path}.sha256 is not a SHA-256 hex digest`, problems);
    need(typeof r.data === 'string', `${path}.data is not a string`, problems);
  } else if (type === 'video') {
    if (!exactKeys(r, ['type', 'seq', 'missing', 'mime', 'codec', 'width', 'height', 'bytes', 'sha256', 'chunks', 'data', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isInt(r.width) && isInt(r.height) && isInt(r.bytes) && (r.bytes as number) >= 0, `${path} has a bad seq, size or byte count`, problems);
    need(typeof r.data === 'string', `${path}.data is not a string`, problems);
    if (r.missing === null) {
      need(r.mime === 'video/webm' || r.mime === 'video/x-matroska', `${path}.mime is not video/webm or video/x-matroska`, problems);
      need(typeof r.codec === 'string' && r.codec.length > 0 && r.codec.length <= 64, `${path}.codec is not a codec string`, problems);
      need(isHex(r.sha256, 32), `${path}.sha256 is not a SHA-256 hex digest`, problems);
      need((r.width as number) > 0 && (r.height as number) > 0, `${path} has no size`, problems);
      if (Array.isArray(r.chunks)) {
        const bad = r.chunks.findIndex((c: unknown) => !(isObject(c) && Object.keys(c).length === 4 && isNum(c.t) && typeof c.key === 'boolean' && isInt(c.bytes) && isHex(c.sha256, 32)));
        need(bad < 0, `${path}.chunks[${bad}] is not { t, key, bytes, sha256 }`, problems);
      } else problems.push(`${path}.chunks is not an array`);
    } else {
      need(typeof r.missing === 'string' && r.missing.length > 0 && r.missing.length <= 200, `${path}.missing is not a short reason`, problems);
      need(
        r.mime === null && r.codec === null && r.sha256 === null && r.width === 0 && r.height === 0 && r.bytes === 0 && Array.isArray(r.chunks) && r.chunks.length === 0 && r.data === '',
        `${path}: a missing video carries no video fields`,
        problems,
      );
    }
  } else if (type === 'result') {
    if (!exactKeys(r, ['type', 'seq', 'challenge', 'signals', 'verdict', 'identity', 'hash'], path, problems)) return;
    if (r.identity !== null && exactKeys(r.identity, ['verdict', 'distance', 'peakDistance', 'changedAtMs', 'readings'], `${path}.identity`, problems)) {
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
      if (Array.isArray(c.events) && c.events.length <= 256) {
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
      } else problems.push(`${path}.challenge.events is not an array of at most 256 events`);
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

// The evidence bundle, format version 1: plain JSON data, serialised with canonicalJson.
//
//   genesisHash = SHA-256( "livecheck-evidence/1\n" + canonical(genesis) )
//   h[i]        = SHA-256( h[i-1] (32 raw bytes, h[-1] = genesisHash) + canonical(records[i] without `hash`, `data`) )
//   records[i].hash = hex(h[i]);  head = hex(h[last]);  the last record is the `end` record.
//
// A keyframe's JPEG bytes enter the chain through their SHA-256 (`sha256`); the base64 `data` itself is checked
// against that digest. The chain has no secret: it proves the bundle is one consistent capture bound to the server's
// nonce, plan and document, and lets the server pin down what was changed; authenticity of the pixels comes from the
// server re-analysing the keyframes.
import type { Box, Point3 } from '../types.js';
import { LivecheckError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { isHex } from './encoding.js';

export const EVIDENCE_FORMAT = 'livecheck-evidence';
export const EVIDENCE_VERSION = 1;

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

/** Numbers on the 1e-4 grid, NaN stored as null. */
export type Quantized<T> = T extends number
  ? number | null
  : T extends readonly unknown[]
    ? { [K in keyof T]: Quantized<T[K]> }
    : T extends object
      ? { [K in keyof T]: Quantized<T[K]> }
      : T;

export interface EvidenceFace {
  box: Box;
  score: number;
  landmarks: Point3[];
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

export type EvidenceRecord = FrameRecord | KeyframeRecord | EndRecord;

export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT;
  version: typeof EVIDENCE_VERSION;
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
  if (version !== EVIDENCE_VERSION) throw new LivecheckError('evidence-invalid', `unsupported evidence version ${JSON.stringify(version)}; this library reads version ${EVIDENCE_VERSION}`, { check: 'version', version });
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

function numericTree(x: unknown, depth = 0): boolean {
  if (x === null || isNum(x)) return true;
  if (depth > 4 || typeof x !== 'object') return false;
  return Object.values(x as object).every((v) => numericTree(v, depth + 1));
}

/** Structural problems of a parsed bundle (empty when the shape is version-1 valid). Content is not judged here. */
export function evidenceShapeProblems(b: unknown): string[] {
  const problems: Problems = [];
  if (!exactKeys(b, ['format', 'version', 'genesis', 'records', 'head'], 'bundle', problems)) return problems;
  need(isHex(b.head, 32), 'head is not a SHA-256 hex digest', problems);
  const g = b.genesis;
  if (exactKeys(g, ['nonce', 'plan', 'document', 'library', 'configHash', 'startedAt'], 'genesis', problems)) {
    need(typeof g.nonce === 'string' && g.nonce.length > 0, 'genesis.nonce is not a non-empty string', problems);
    if (Array.isArray(g.plan)) {
      g.plan.forEach((step: unknown, i: number) => {
        const ok = typeof step === 'object' && step !== null && !Array.isArray(step) &&
          typeof (step as ChallengeStep).action === 'string' && (step as ChallengeStep).action.length > 0 &&
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
  b.records.forEach((r: unknown, i: number) => recordProblems(r, `records[${i}]`, problems));
  return problems;
}

function recordProblems(r: unknown, path: string, problems: Problems): void {
  const type = typeof r === 'object' && r !== null ? (r as { type?: unknown }).type : undefined;
  if (type === 'frame') {
    if (!exactKeys(r, ['type', 'seq', 't', 'width', 'height', 'pixels', 'quality', 'faceCount', 'face', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isNum(r.t) && isInt(r.width) && isInt(r.height) && isInt(r.faceCount) && (r.faceCount as number) >= 0, `${path} has a bad seq, t, size or faceCount`, problems);
    need(isHex(r.pixels, 32), `${path}.pixels is not a SHA-256 hex digest`, problems);
    need(typeof r.quality === 'object' && r.quality !== null && !Array.isArray(r.quality) && numericTree(r.quality), `${path}.quality is not an object of numbers`, problems);
    if (r.face !== null && exactKeys(r.face, ['box', 'score', 'landmarks'], `${path}.face`, problems)) {
      checkBox(r.face.box, `${path}.face.box`, problems, false);
      need(isNum(r.face.score), `${path}.face.score is not a number`, problems);
      need(Array.isArray(r.face.landmarks) && r.face.landmarks.every((p: unknown) => Array.isArray(p) && p.length === 3 && p.every(isNum)), `${path}.face.landmarks is not a list of [x,y,z]`, problems);
    }
  } else if (type === 'keyframe') {
    if (!exactKeys(r, ['type', 'seq', 'frameSeq', 'moment', 'box', 'width', 'height', 'mime', 'sha256', 'data', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isInt(r.frameSeq) && isInt(r.width) && isInt(r.height) && (r.width as number) > 0 && (r.height as number) > 0, `${path} has a bad seq, frameSeq or size`, problems);
    need(typeof r.moment === 'string' && r.moment.length > 0, `${path}.moment is not a string`, problems);
    checkBox(r.box, `${path}.box`, problems, true);
    need(r.mime === 'image/jpeg', `${path}.mime is not image/jpeg`, problems);
    need(isHex(r.sha256, 32), `${path}.sha256 is not a SHA-256 hex digest`, problems);
    need(typeof r.data === 'string', `${path}.data is not a string`, problems);
  } else if (type === 'end') {
    if (!exactKeys(r, ['type', 'seq', 'frames', 'keyframes', 'finishedAt', 'hash'], path, problems)) return;
    need(isInt(r.seq) && isInt(r.frames) && isInt(r.keyframes) && isNum(r.finishedAt), `${path} has a bad seq, count or finishedAt`, problems);
  } else {
    problems.push(`${path} has unknown type ${JSON.stringify(type)}`);
    return;
  }
  need(isHex((r as { hash?: unknown }).hash, 32), `${path}.hash is not a SHA-256 hex digest`, problems);
}

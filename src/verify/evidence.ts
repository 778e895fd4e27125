// Server-side re-verification of an evidence bundle. Never trust the browser's verdict: this re-derives everything
// it can from the bundle and the server's own records (nonce, document, clock), and re-runs the face analysis on the
// keyframes through an injected `reanalyze`. Every check is reported by a stable name; nothing normal is thrown.
import type { Box, Point3 } from '../types.js';
import { canonicalJson } from '../evidence/canonical.js';
import { fromBase64, sha256 } from '../evidence/encoding.js';
import { toHex } from '../util/hex.js';
import { ChainHasher, genesisHash, hashedText, recordTexts } from '../evidence/chain.js';
import { evidenceShapeProblems, parseEvidence } from '../evidence/bundle.js';
import type { ChallengeStep, DocumentBinding, EndRecord, EvidenceBundle, FrameRecord, IdentityRecord, KeyframeRecord } from '../evidence/bundle.js';
import { identityContinuity, withIdentity, type IdentityContinuity, type IdentityReading } from '../decision/identity.js';
import { reason } from '../decision/signal.js';
import { resolveIdentityOptions } from '../evidence/identity.js';
import { MATCH_SIZE } from '../match/align.js';
import { LIBRARY_NAME, LIBRARY_VERSION } from '../evidence/version.js';
import { planFromNonce as challengePlan } from '../challenge/plan.js';
import type { PlanOptions } from '../challenge/plan.js';
import { replayEvidence, type ReplayOptions, type ReplayResult } from '../attempt/replay.js';
import { attemptConfigHash } from '../attempt/config.js';
import type { ResultRecord } from '../evidence/bundle.js';
import type { LivenessDecision } from '../decision/consensus.js';
import { quantize } from '../evidence/canonical.js';

export const EVIDENCE_CHECKS = [
  'format',
  'version',
  'chain',
  'nonce',
  'plan',
  'document',
  'timestamps',
  'keyframes',
  'reanalysis',
  'face-consistency',
  'challenge-replay',
  'signals-replay',
  'identity-replay',
  'verdict-replay',
] as const;
export type EvidenceCheckName = (typeof EVIDENCE_CHECKS)[number];

export interface EvidenceCheck {
  name: EvidenceCheckName;
  ok: boolean;
  /** One human-readable sentence: what was found. */
  detail: string;
  /** True when the check could not run (an earlier check failed, or a dependency was not injected). Never ok. */
  skipped?: boolean;
  /** Machine-readable specifics (indices, measured values, which side of a time window failed). */
  data?: Record<string, unknown>;
}

export interface EvidenceReport {
  ok: boolean;
  /** The bundle's head hash as recomputed (null when the chain could not be walked). */
  head: string | null;
  checks: EvidenceCheck[];
  /**
   * The server's own decision, re-derived from the recorded frames (null when the replay could not run). Use this,
   * never the bundle's claim; with `ok` true the two agree.
   */
  decision: LivenessDecision | null;
}

/** A keyframe handed to `reanalyze`: the JPEG bytes and where the crop came from. */
export interface DecodedKeyframe {
  /** Position among the bundle's keyframes (0-based). */
  index: number;
  moment: string;
  /** Crop region in frame pixels; the JPEG is this region at width x height. */
  box: Box;
  width: number;
  height: number;
  jpeg: Uint8Array;
}

/** An identity chip handed to `describeIdentity`: the face aligned onto the 150x150 template, JPEG. */
export interface DecodedIdentityChip {
  /** Position among the bundle's identity records (0-based). */
  index: number;
  /** The frame record it was cut from, and that frame's time (ms). */
  frameSeq: number;
  t: number;
  width: number;
  height: number;
  jpeg: Uint8Array;
}

/** What the server's own engine found in a keyframe. */
export interface KeyframeReanalysis {
  /** Landmarks in the keyframe image's pixels (same index order as the recorded ones). */
  landmarks?: Point3[] | null;
  /** An identity embedding (e.g. a 128-d face descriptor) for the face-consistency check. */
  signature?: ArrayLike<number> | null;
}

export interface VerifyTolerances {
  /** Capture must end within this long after the document upload. Default 15 min. */
  captureWindowMs: number;
  /** Allowance for the client's clock against the server's, on every wall-clock comparison. Default 2 min. */
  clockSkewMs: number;
  /** When set, the capture must have ended at most this long before `now`. Default: not checked. */
  maxAgeMs: number | null;
  /** Recorded vs re-analysed landmarks: mean point distance / recorded face box size. Default 0.05. */
  landmarkNme: number;
  /** Largest signature distance between two keyframes of one person. Default 0.6 (Euclidean, dlib/face-api scale). */
  signatureDistance: number;
  /** Claimed vs replayed signal score (the motion score moves a little with the 1e-4 px landmark grid). Default 0.01. */
  signalScore: number;
  /** Claimed vs replayed challenge event time, ms (events happen on frames, so both are a frame's time). Default 1. */
  eventTimeMs: number;
  /**
   * Claimed vs recomputed sustained and peak identity distance. The client describes the chip's pixels, the server
   * the JPEG of them (quality 0.92): default 0.05, above what the JPEG compression alone moves the distance.
   */
  identityDistance: number;
}

export interface VerifyEvidenceOptions {
  /** The nonce the server issued for this capture (from the server's own session, not from the bundle). */
  nonce: string;
  /** The server's record of the ID document: metadata hash and upload time. */
  document: DocumentBinding;
  /** Server wall clock, epoch ms. Default `Date.now()`. */
  now?: number;
  /** The plan options the server issued the challenge with: the plan is recomputed from the nonce with src/challenge. */
  plan?: PlanOptions;
  /** Or recompute the plan yourself. Without `plan` or this, the `plan` check is skipped (not ok). */
  planFromNonce?: (nonce: string) => ReadonlyArray<{ readonly action: string }> | Promise<ReadonlyArray<{ readonly action: string }>>;
  /** Re-run the face pipeline on a keyframe. Without it `reanalysis` and `face-consistency` are skipped (not ok). */
  reanalyze?: (keyframe: DecodedKeyframe) => Promise<KeyframeReanalysis | null>;
  /**
   * Describe an identity chip (version 3 bundles captured with the identity check): the FaceRecognitionNet
   * descriptor of the decoded JPEG, already aligned (createNodeReanalyzer's `describeIdentity`). Without it
   * `identity-replay` is skipped (not ok) for such bundles.
   */
  describeIdentity?: (chip: DecodedIdentityChip) => Promise<ArrayLike<number> | null>;
  /** Distance between two signatures. Default Euclidean. */
  signatureDistance?: (a: ArrayLike<number>, b: ArrayLike<number>) => number;
  /** Which client library versions this server accepts. Default: same major (same minor while 0.x) as this one. */
  acceptLibraryVersion?: (version: string) => boolean;
  /** The bundle's configHash must equal this. Default: attemptConfigHash(replay), the hash of the options replayed with. */
  configHash?: string;
  /**
   * The engine options the capture ran with, for the replay (guidance, challenge, actions, mirrored, identity).
   * Default: the defaults, without the identity check. The bundle's configHash must be their hash (else `version`
   * fails, naming the configuration): a server that expects the identity check (the browser's default) sets
   * `identity: {}` (or the client's identity settings), and a capture that turned it off then fails `version`.
   */
  replay?: ReplayOptions;
  tolerances?: Partial<VerifyTolerances>;
}

export const defaultVerifyTolerances: Readonly<VerifyTolerances> = Object.freeze({
  captureWindowMs: 15 * 60_000,
  clockSkewMs: 2 * 60_000,
  maxAgeMs: null,
  landmarkNme: 0.05,
  signatureDistance: 0.6,
  signalScore: 0.01,
  eventTimeMs: 1,
  identityDistance: 0.05,
});

/**
 * Verify an evidence bundle (its canonical text, or the parsed object). Throws `evidence-invalid` only when the input
 * is unusable (not JSON, not a livecheck bundle, an unknown format version); every other problem is a failed check.
 */
export async function verifyEvidence(input: string | EvidenceBundle | unknown, options: VerifyEvidenceOptions): Promise<EvidenceReport> {
  const { bundle: parsed, text } = parseEvidence(input);
  const tol: VerifyTolerances = { ...defaultVerifyTolerances, ...options.tolerances };
  const now = options.now ?? Date.now();
  const checks = new Map<EvidenceCheckName, EvidenceCheck>();
  const pass = (name: EvidenceCheckName, detail: string, data?: Record<string, unknown>) => checks.set(name, { name, ok: true, detail, ...(data && { data }) });
  const fail = (name: EvidenceCheckName, detail: string, data?: Record<string, unknown>) => checks.set(name, { name, ok: false, detail, ...(data && { data }) });
  const skip = (name: EvidenceCheckName, detail: string) => checks.set(name, { name, ok: false, skipped: true, detail });
  let decision: LivenessDecision | null = null;
  const report = (head: string | null): EvidenceReport => {
    const list = EVIDENCE_CHECKS.map((name) => checks.get(name) ?? { name, ok: false, skipped: true, detail: 'not checked' });
    return { ok: list.every((c) => c.ok), head, checks: list, decision };
  };

  // format: the version-1 shape, and (for text) the exact canonical serialisation, so no byte is unaccounted for.
  const problems = evidenceShapeProblems(parsed);
  let hashed: string[] | null = null;
  if (problems.length === 0 && text !== null) {
    // the canonical text, built from each record's serialisation, which the chain then reuses (one pass, not two)
    const texts = (parsed as EvidenceBundle).records.map(recordTexts);
    const skeleton = canonicalJson({ ...(parsed as EvidenceBundle), records: [] });
    const at = skeleton.lastIndexOf('"records":[]') + '"records":['.length; // genesis values are flat: no other match
    if (skeleton.slice(0, at) + texts.map((t) => t.full).join(',') + skeleton.slice(at) !== text) problems.push('text is not the canonical serialisation of its content');
    else hashed = texts.map((t) => t.hashed);
  }
  if (problems.length > 0) {
    fail('format', problems.slice(0, 3).join('; '), { problems: problems.slice(0, 20) });
    for (const name of EVIDENCE_CHECKS) if (name !== 'format') skip(name, 'not checked: the bundle is malformed');
    return report(null);
  }
  pass('format', `well-formed version-${(parsed as EvidenceBundle).version} bundle`);
  const bundle = parsed as EvidenceBundle;
  const { genesis, records } = bundle;

  // version: which library and configuration produced it.
  const accept = options.acceptLibraryVersion ?? sameCompatibleVersion;
  let expectedConfig: string;
  if (genesis.library.name !== LIBRARY_NAME || !accept(genesis.library.version)) {
    fail('version', `made by ${genesis.library.name} ${genesis.library.version}, not accepted by this server (${LIBRARY_NAME} ${LIBRARY_VERSION})`, { library: genesis.library });
  } else if (genesis.configHash !== (expectedConfig = options.configHash ?? (await attemptConfigHash(options.replay)))) {
    fail('version', 'captured with a different engine configuration than the server replays with', { configHash: genesis.configHash, expected: expectedConfig });
  } else pass('version', `${genesis.library.name} ${genesis.library.version}`);

  // chain: recompute every hash from the genesis; sequence numbers, references and the end record.
  const chain = await walkChain(bundle, hashed);
  if (chain.error) fail('chain', chain.error, chain.data);
  else pass('chain', `${records.length} records chained from the genesis to the head`);

  if (genesis.nonce === options.nonce) pass('nonce', 'bound to the issued nonce');
  else fail('nonce', 'the bundle is bound to a different nonce (replayed or from another session)');

  const derive = options.planFromNonce ?? (options.plan ? async (nonce: string) => (await challengePlan(nonce, options.plan as PlanOptions)).steps : null);
  if (!derive) skip('plan', 'not checked: no plan options or planFromNonce given');
  else {
    const expected = await derive(options.nonce);
    if (canonicalJson(expected) === canonicalJson(genesis.plan)) pass('plan', `${expected.length} challenge steps match the nonce`);
    else fail('plan', 'the challenge plan is not the one derived from the nonce', { expected: expected.map((s) => s.action), found: genesis.plan.map((s) => s.action) });
  }

  const doc = genesis.document;
  if (doc.metadataHash !== options.document.metadataHash) fail('document', 'bound to a different ID document (metadata hash differs)');
  else if (doc.uploadedAt !== options.document.uploadedAt) fail('document', 'the document upload time differs from the server record', { bundle: doc.uploadedAt, server: options.document.uploadedAt });
  else pass('document', 'bound to the ID document');

  checkTimestamps(bundle, options.document.uploadedAt, now, tol, pass, fail);

  const keyframes = records.filter((r): r is KeyframeRecord => r.type === 'keyframe');
  const frames = new Map<number, FrameRecord>();
  for (const r of records) if (r.type === 'frame') frames.set(r.seq, r);
  const decoded = await checkKeyframes(keyframes, frames, genesis.plan, pass, fail);

  if (!options.reanalyze) {
    skip('reanalysis', 'not checked: no reanalyze given');
    skip('face-consistency', 'not checked: no reanalyze given');
  } else if (decoded.length === 0) {
    fail('reanalysis', 'no usable keyframe to re-analyse');
    skip('face-consistency', 'not checked: no usable keyframe');
  } else {
    await reanalyse(decoded, keyframes, frames, options, tol, pass, fail);
  }

  // replay: the claimed challenge, signals and verdict must follow from the recorded frames
  if (chain.error) {
    for (const name of REPLAY_CHECKS) skip(name, 'not checked: the chain is broken');
  } else {
    decision = await checkReplay(bundle, options, tol, pass, fail, skip);
  }
  return report(chain.error ? null : chain.head);
}

const REPLAY_CHECKS = ['challenge-replay', 'signals-replay', 'identity-replay', 'verdict-replay'] as const;

async function checkReplay(bundle: EvidenceBundle, options: VerifyEvidenceOptions, tol: VerifyTolerances, pass: Mark, fail: Mark, skip: Skip): Promise<LivenessDecision | null> {
  const replayOptions = options.replay;
  const claim = bundle.records[bundle.records.length - 2] as ResultRecord; // the format check placed it there
  let replay: ReplayResult;
  try {
    replay = await replayEvidence(bundle, replayOptions);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    for (const name of REPLAY_CHECKS) fail(name, `the recorded frames cannot be replayed: ${why}`);
    return null;
  }
  const q = (x: number) => quantize(x) ?? NaN;

  // challenge: the same prompts, confirmations and failure, on the same frames, and the same end
  const got = replay.claim.challenge;
  const want = claim.challenge;
  const label = (e: { type: string; step: number; action: string; reason: string | null }) => `${e.type} ${e.step}:${e.action}${e.reason ? ` (${e.reason})` : ''}`;
  let mismatch: string | null = null;
  const n = Math.max(got.events.length, want.events.length);
  for (let i = 0; i < n && !mismatch; i++) {
    const g = got.events[i],
      w = want.events[i];
    if (!w) mismatch = `the frames show ${label(g)} at ${g.t.toFixed(1)} ms, which the bundle does not claim`;
    else if (!g) mismatch = `the bundle claims ${label(w)} at ${w.t.toFixed(1)} ms, which the frames do not show`;
    else if (label(g) !== label(w)) mismatch = `event ${i}: the bundle claims ${label(w)}, the frames show ${label(g)}`;
    else if (!(Math.abs(g.t - w.t) <= tol.eventTimeMs)) mismatch = `event ${i} (${label(w)}): claimed at ${w.t.toFixed(1)} ms, the frames show it at ${g.t.toFixed(1)} ms`;
  }
  if (!mismatch) {
    const ge = got.ended,
      we = want.ended;
    const end = (e: typeof ge) => (e ? `${e.outcome}${e.reason ? ` (${e.reason})` : ''}` : 'not ended');
    if (end(ge) !== end(we)) mismatch = `the bundle claims the attempt ${end(we)}, the frames show it ${end(ge)}`;
    else if (ge && we && !(Math.abs(ge.t - we.t) <= tol.eventTimeMs)) mismatch = `the attempt end is claimed at ${we.t.toFixed(1)} ms, the frames show ${ge.t.toFixed(1)} ms`;
  }
  const events = got.events.map(label);
  if (mismatch) fail('challenge-replay', mismatch, { claimed: want.events.map(label), replayed: events, ended: got.ended });
  else
    pass('challenge-replay', `${replay.frames} frames replayed: ${events.length ? events.join(', ') : 'no challenge event'}; ${got.ended ? `attempt ${got.ended.outcome}` : 'attempt not ended'}`, {
      replayed: events,
      ended: got.ended,
    });

  // signals: each verdict equal, each score within tolerance
  const wrong: string[] = [];
  const signals: Record<string, unknown> = {};
  for (const name of ['active', 'passive', 'motion'] as const) {
    const r = replay.signals[name];
    const c = claim.signals[name];
    signals[name] = r ? { verdict: r.verdict, score: q(r.score), reasons: r.reasons.map((x) => x.code) } : null;
    if (!r || !c) {
      if (r || c) wrong.push(`${name}: claimed ${c ? c.verdict : 'missing'}, replayed ${r ? r.verdict : 'missing'}`);
    } else if (r.verdict !== c.verdict) wrong.push(`${name}: claimed ${c.verdict}, replayed ${r.verdict}`);
    else if (!(Math.abs(r.score - c.score) <= tol.signalScore)) wrong.push(`${name}: claimed score ${c.score}, replayed ${q(r.score)}`);
  }
  if (wrong.length > 0) fail('signals-replay', wrong.join('; '), { signals });
  else pass('signals-replay', (['active', 'passive', 'motion'] as const).map((k) => `${k} ${replay.signals[k]?.verdict ?? 'missing'}`).join(', '), { signals });

  // identity: the readings are the frames the rule picks, and the server's descriptors of the chips give the claim
  const identity = await checkIdentity(bundle, claim, replay, options, tol, pass, fail, skip);
  const decision = identity ? withIdentity(replay.decision, identity.continuity) : replay.decision;
  const verdict = decision.verdict;
  const why = decision.reasons.map((x) => x.code);
  const note = identity?.claimed ? ' (identity as claimed: not replayed)' : '';
  if (claim.verdict !== verdict) fail('verdict-replay', `the bundle claims ${claim.verdict}, the recorded frames give ${verdict}${note}`, { claimed: claim.verdict, replayed: verdict, reasons: why });
  else pass('verdict-replay', `${verdict}, as claimed${note}`, { verdict, reasons: why });
  return decision;
}

/**
 * The identity-replay check. Returns the continuity the decision is to apply: the server's own, or the claimed one
 * (`claimed`: the chips could not be described here, and the check is skipped), or null when the check is off.
 */
async function checkIdentity(
  bundle: EvidenceBundle,
  claim: ResultRecord,
  replay: ReplayResult,
  options: VerifyEvidenceOptions,
  tol: VerifyTolerances,
  pass: Mark,
  fail: Mark,
  skip: Skip,
): Promise<{ continuity: IdentityContinuity; claimed: boolean } | null> {
  const NAME = 'identity-replay';
  const records = bundle.records.filter((r): r is IdentityRecord => r.type === 'identity');
  const claimed = claim.identity ?? null;
  if (!replay.identity) {
    if (records.length > 0 || claimed) fail(NAME, 'the bundle records identity readings, but the server replays without the identity check (replay.identity)', { records: records.length });
    else pass(NAME, bundle.version < 3 ? 'version-2 bundle: no identity readings, and the server replays without the identity check' : 'identity check off in this configuration (replay.identity)');
    return null;
  }
  if (!claimed) {
    fail(
      NAME,
      bundle.version < 3
        ? 'version-2 bundle: identity readings were not recorded, and the server expects the identity check'
        : 'the bundle claims no identity continuity, and the server expects the identity check',
      { version: bundle.version },
    );
    return null;
  }
  const settings = resolveIdentityOptions(options.replay!.identity || {});
  const fromClaim = (): { continuity: IdentityContinuity; claimed: boolean } => ({
    claimed: true,
    continuity: {
      ...claimed,
      reasons: [
        reason(
          claimed.verdict === 'changed' ? 'identity-changed' : claimed.verdict === 'unchanged' ? 'identity-continuous' : 'identity-unknown',
          'identity as the client claims it (not replayed)',
          claimed.distance ?? NaN,
          settings.config.maxDistance,
        ),
      ],
    },
  });
  // which frames: the rule on the server's own replayed poses must pick exactly the recorded readings
  const expected = replay.identity.map((x) => x.frameSeq);
  const got = records.map((r) => r.frameSeq);
  if (expected.length !== got.length || expected.some((s, i) => s !== got[i])) {
    const i = expected.findIndex((s, k) => s !== got[k]);
    const at = i < 0 ? Math.min(expected.length, got.length) : i;
    fail(
      NAME,
      `the identity readings are not the frames the sampling rule picks: reading ${at} is frame ${got[at] ?? 'missing'}, the replay picks frame ${expected[at] ?? 'none'} (${got.length} recorded, ${expected.length} picked)`,
      { expected, recorded: got },
    );
    return fromClaim();
  }
  const errors: string[] = [];
  const chips: DecodedIdentityChip[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const jpeg = fromBase64(r.data);
    if (!jpeg) errors.push(`identity ${i}: data is not canonical base64`);
    else if (toHex(await sha256(jpeg)) !== r.sha256) errors.push(`identity ${i}: image bytes do not match their recorded SHA-256`);
    else if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[jpeg.length - 2] !== 0xff || jpeg[jpeg.length - 1] !== 0xd9) errors.push(`identity ${i}: not a complete JPEG`);
    else if (r.width !== MATCH_SIZE || r.height !== MATCH_SIZE) errors.push(`identity ${i}: a chip is ${MATCH_SIZE}x${MATCH_SIZE}, not ${r.width}x${r.height}`);
    else if (r.t !== replay.identity[i].reading.timestampMs) errors.push(`identity ${i}: time ${r.t} is not its frame's`);
    else chips.push({ index: i, frameSeq: r.frameSeq, t: r.t, width: r.width, height: r.height, jpeg });
  }
  if (errors.length > 0) {
    fail(NAME, errors.slice(0, 3).join('; '), { errors });
    return fromClaim();
  }
  if (!options.describeIdentity) {
    skip(NAME, `not checked: no describeIdentity given (${records.length} identity readings, claimed ${claimed.verdict})`);
    return fromClaim();
  }
  const readings: IdentityReading[] = [];
  for (const chip of chips) {
    let d: ArrayLike<number> | null;
    try {
      d = await options.describeIdentity(chip);
    } catch (e) {
      // a chip that passes the byte checks but does not decode is the bundle's problem: reported, not thrown
      fail(NAME, `identity ${chip.index}: ${e instanceof Error ? e.message : String(e)}`);
      return fromClaim();
    }
    if (!d || d.length === 0) {
      fail(NAME, `identity ${chip.index}: the server could not describe the chip`);
      return fromClaim();
    }
    // the pose and size are the server's own (replayed), the descriptor its own
    readings.push({ ...replay.identity[chip.index].reading, descriptor: d });
  }
  const continuity = identityContinuity(readings, settings.config);
  const r3 = (x: number | null) => (x === null ? 'none' : x.toFixed(3));
  const data = {
    claimed: { ...claimed },
    replayed: { verdict: continuity.verdict, distance: continuity.distance, peakDistance: continuity.peakDistance, changedAtMs: continuity.changedAtMs, readings: continuity.readings },
  };
  const off = (c: number | null, r: number | null) => (c === null || r === null ? (c === r ? 0 : Infinity) : Math.abs(c - r));
  if (claimed.verdict !== continuity.verdict) {
    fail(
      NAME,
      `the bundle claims the identity ${claimed.verdict}, its chips show it ${continuity.verdict} (sustained distance ${r3(continuity.distance)}, limit ${settings.config.maxDistance})`,
      data,
    );
  } else if (claimed.readings !== continuity.readings || !(off(claimed.distance, continuity.distance) <= tol.identityDistance)) {
    fail(NAME, `the bundle claims a sustained distance ${r3(claimed.distance)} over ${claimed.readings} readings, its chips give ${r3(continuity.distance)} over ${continuity.readings}`, data);
  } else if (!(off(claimed.peakDistance, continuity.peakDistance) <= tol.identityDistance)) {
    // one chip of someone else does not make a sustained change, but it shows here
    fail(NAME, `the bundle claims a peak distance ${r3(claimed.peakDistance)}, its chips give ${r3(continuity.peakDistance)}: a chip is not the face the client described`, data);
  } else {
    pass(
      NAME,
      `${records.length} identity readings re-described: ${continuity.verdict}, sustained distance ${r3(continuity.distance)} (claimed ${r3(claimed.distance)}, limit ${settings.config.maxDistance})`,
      data,
    );
  }
  return { continuity, claimed: false };
}

type Mark = (name: EvidenceCheckName, detail: string, data?: Record<string, unknown>) => void;
type Skip = (name: EvidenceCheckName, detail: string) => void;

async function walkChain(bundle: EvidenceBundle, texts: string[] | null): Promise<{ error?: string; data?: Record<string, unknown>; head: string | null }> {
  const { records } = bundle;
  const hasher = new ChainHasher(await genesisHash(bundle.genesis, bundle.version));
  let frames = 0;
  let keyframes = 0;
  const results: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r.seq !== i) return { error: `record ${i} carries sequence number ${r.seq}`, data: { index: i }, head: null };
    const h = await hasher.push(texts ? texts[i] : hashedText(r));
    if (h !== r.hash) return { error: `record ${i} (${r.type}) does not match its hash: the chain breaks there`, data: { index: i }, head: null };
    if (r.type === 'frame') frames++;
    else if (r.type === 'keyframe') {
      keyframes++;
      const ref = records[r.frameSeq];
      if (!(r.frameSeq < i && ref && ref.type === 'frame')) return { error: `keyframe ${i} refers to record ${r.frameSeq}, which is not an earlier frame`, data: { index: i }, head: null };
    } else if (r.type === 'identity') {
      const ref = records[r.frameSeq];
      if (!(r.frameSeq < i && ref && ref.type === 'frame')) return { error: `identity reading ${i} refers to record ${r.frameSeq}, which is not an earlier frame`, data: { index: i }, head: null };
    } else if (r.type === 'result') results.push(i);
    else if (i !== records.length - 1) return { error: `end record at ${i} is not the last record`, data: { index: i }, head: null };
  }
  const end = records[records.length - 1];
  if (!end || end.type !== 'end') return { error: 'no end record: the bundle is truncated', data: { records: records.length }, head: null };
  if (results.length !== 1 || results[0] !== records.length - 2) {
    return { error: results.length === 0 ? 'no result record: the claimed outcome is missing' : 'the result record must be the one record just before the end record', data: { results }, head: null };
  }
  if (end.frames !== frames || end.keyframes !== keyframes)
    return { error: `end record counts ${end.frames} frames and ${end.keyframes} keyframes, the bundle has ${frames} and ${keyframes}`, head: null };
  if (frames === 0) return { error: 'the bundle has no frames', head: null };
  if (bundle.head !== end.hash) return { error: 'head does not match the last record', head: null };
  return { head: hasher.headHex };
}

function checkTimestamps(bundle: EvidenceBundle, uploadedAt: number, now: number, tol: VerifyTolerances, pass: Mark, fail: Mark): void {
  const start = bundle.genesis.startedAt;
  const end = bundle.records[bundle.records.length - 1];
  const finish = end?.type === 'end' ? (end as EndRecord).finishedAt : NaN;
  const skew = tol.clockSkewMs;
  const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
  const frameTimes = bundle.records.filter((r): r is FrameRecord => r.type === 'frame').map((r) => r.t);
  if (!Number.isFinite(finish)) return fail('timestamps', 'no end record: capture end unknown', { side: 'end-missing' });
  if (finish < start) return fail('timestamps', 'the capture ends before it starts', { side: 'order', startedAt: start, finishedAt: finish });
  if (start < uploadedAt - skew) {
    return fail('timestamps', `capture started ${minutes(uploadedAt - start)} before the document upload (allowance ${minutes(skew)})`, { side: 'before-upload', startedAt: start, uploadedAt });
  }
  if (finish > uploadedAt + tol.captureWindowMs + skew) {
    return fail('timestamps', `capture ended ${minutes(finish - uploadedAt)} after the document upload (limit ${minutes(tol.captureWindowMs)} + ${minutes(skew)} skew)`, {
      side: 'after-window',
      finishedAt: finish,
      uploadedAt,
    });
  }
  if (finish > now + skew) return fail('timestamps', `capture ends ${minutes(finish - now)} after the server's now: the client clock is ahead`, { side: 'future', finishedAt: finish, now });
  if (tol.maxAgeMs !== null && now - finish > tol.maxAgeMs + skew)
    return fail('timestamps', `capture ended ${minutes(now - finish)} ago (limit ${minutes(tol.maxAgeMs)})`, { side: 'stale', finishedAt: finish, now });
  for (let i = 1; i < frameTimes.length; i++) {
    if (!(frameTimes[i] > frameTimes[i - 1])) return fail('timestamps', `frame timestamps are not increasing at frame ${i}`, { side: 'frame-order', frame: i });
  }
  const span = frameTimes.length > 1 ? frameTimes[frameTimes.length - 1] - frameTimes[0] : 0;
  if (span > finish - start + skew) return fail('timestamps', `frames span ${span} ms but the capture lasted ${finish - start} ms`, { side: 'duration', span, duration: finish - start });
  pass('timestamps', `captured ${minutes(start - uploadedAt)} to ${minutes(finish - uploadedAt)} after the document upload`, { startedAt: start, finishedAt: finish, uploadedAt });
}

async function checkKeyframes(keyframes: KeyframeRecord[], frames: Map<number, FrameRecord>, plan: ChallengeStep[], pass: Mark, fail: Mark): Promise<DecodedKeyframe[]> {
  const decoded: DecodedKeyframe[] = [];
  const errors: string[] = [];
  for (let i = 0; i < keyframes.length; i++) {
    const k = keyframes[i];
    const jpeg = fromBase64(k.data);
    if (!jpeg) {
      errors.push(`keyframe ${i}: data is not canonical base64`);
      continue;
    }
    if (toHex(await sha256(jpeg)) !== k.sha256) {
      errors.push(`keyframe ${i}: image bytes do not match their recorded SHA-256`);
      continue;
    }
    if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[jpeg.length - 2] !== 0xff || jpeg[jpeg.length - 1] !== 0xd9) {
      errors.push(`keyframe ${i}: not a complete JPEG`);
      continue;
    }
    const f = frames.get(k.frameSeq);
    if (!f || k.box.x < 0 || k.box.y < 0 || k.box.x + k.box.width > f.width || k.box.y + k.box.height > f.height) {
      errors.push(`keyframe ${i}: crop box lies outside its frame`);
      continue;
    }
    decoded.push({ index: i, moment: k.moment, box: { ...k.box }, width: k.width, height: k.height, jpeg });
  }
  const moments = new Set(keyframes.map((k) => k.moment));
  const missing = plan.map((s) => s.action).filter((a) => !moments.has(a));
  if (keyframes.length === 0) errors.push('the bundle has no keyframes');
  if (missing.length > 0) errors.push(`no keyframe for challenge step(s) ${[...new Set(missing)].join(', ')}`);
  if (errors.length > 0) fail('keyframes', errors.slice(0, 3).join('; '), { errors });
  else pass('keyframes', `${keyframes.length} keyframes intact, every challenge step has one`);
  return decoded;
}

async function reanalyse(
  decoded: DecodedKeyframe[],
  keyframes: KeyframeRecord[],
  frames: Map<number, FrameRecord>,
  options: VerifyEvidenceOptions,
  tol: VerifyTolerances,
  pass: Mark,
  fail: Mark,
): Promise<void> {
  const reanalyze = options.reanalyze as NonNullable<VerifyEvidenceOptions['reanalyze']>;
  const errors: string[] = [];
  const nmes: number[] = [];
  const signatures: Array<{ index: number; signature: ArrayLike<number> }> = [];
  for (const kf of decoded) {
    const result = await reanalyze(kf);
    const recorded = frames.get(keyframes[kf.index].frameSeq)?.face ?? null;
    if (!result || !result.landmarks || result.landmarks.length === 0) {
      errors.push(`keyframe ${kf.index}: the server found no face`);
      continue;
    }
    if (result.signature) signatures.push({ index: kf.index, signature: result.signature });
    if (!recorded) {
      errors.push(`keyframe ${kf.index}: the client recorded no face for this frame`);
      continue;
    }
    const nme = landmarkError(result.landmarks, kf, recorded.landmarks, recorded.box);
    nmes.push(nme);
    if (!(nme <= tol.landmarkNme)) errors.push(`keyframe ${kf.index}: landmarks differ from the recorded ones (error ${nme.toFixed(3)} > ${tol.landmarkNme})`);
  }
  if (errors.length > 0) fail('reanalysis', errors.slice(0, 3).join('; '), { errors, nme: nmes });
  else pass('reanalysis', `${decoded.length} keyframes re-analysed; worst landmark error ${Math.max(...nmes).toFixed(3)}`, { nme: nmes });

  const distance = options.signatureDistance ?? euclidean;
  if (signatures.length < decoded.length) {
    fail('face-consistency', `${decoded.length - signatures.length} keyframe(s) gave no face signature`);
    return;
  }
  let worst = 0;
  let pair: [number, number] = [0, 0];
  for (let a = 0; a < signatures.length; a++) {
    for (let b = a + 1; b < signatures.length; b++) {
      const d = distance(signatures[a].signature, signatures[b].signature);
      if (!(d <= worst)) {
        worst = d;
        pair = [signatures[a].index, signatures[b].index];
      }
    }
  }
  if (!(worst <= tol.signatureDistance))
    fail('face-consistency', `keyframes ${pair[0]} and ${pair[1]} show different faces (distance ${worst.toFixed(3)} > ${tol.signatureDistance})`, { distance: worst, pair });
  else pass('face-consistency', signatures.length > 1 ? `one face across ${signatures.length} keyframes (largest distance ${worst.toFixed(3)})` : 'one keyframe', { distance: worst });
}

/** Mean 2D distance between re-analysed (keyframe pixels, mapped back to the frame) and recorded landmarks, over the face size. */
function landmarkError(found: Point3[], kf: DecodedKeyframe, recorded: Point3[], box: Box): number {
  const n = Math.min(found.length, recorded.length);
  if (n === 0) return Infinity;
  const sx = kf.box.width / kf.width;
  const sy = kf.box.height / kf.height;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const dx = kf.box.x + found[i][0] * sx - recorded[i][0];
    const dy = kf.box.y + found[i][1] * sy - recorded[i][1];
    sum += Math.hypot(dx, dy);
  }
  return sum / n / Math.sqrt(Math.max(1e-9, box.width * box.height));
}

function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

function sameCompatibleVersion(version: string): boolean {
  const [maj, min] = LIBRARY_VERSION.split('.');
  const [vmaj, vmin] = version.split('.');
  return vmaj === maj && (maj !== '0' || vmin === min);
}

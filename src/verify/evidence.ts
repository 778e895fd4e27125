// Server-side verification of an evidence bundle. The browser is assumed hostile: the verdict is the server's own,
// from re-running the engine on the capture video the bundle carries (through an injected `reanalyzeVideo`; in Node
// createNodeReanalyzer). The bundle's frame records and claim are the client's view: compared with the server's and
// reported (`client-agreement`), never decided from. Cheap checks (shape, version, chain, nonce, plan, document,
// clock, the video's binding to the records) run first and stop the expensive one. Every check is reported by a
// stable name; nothing a client sends makes this throw, apart from input that is not a bundle at all.
import type { Box } from '../types.js';
import { canonicalJson } from '../evidence/canonical.js';
import { fromBase64, sha256 } from '../evidence/encoding.js';
import { toHex } from '../util/hex.js';
import { ChainHasher, genesisHash, hashedText, recordTexts } from '../evidence/chain.js';
import { evidenceShapeProblems, parseEvidence } from '../evidence/bundle.js';
import type { AttemptClaim, ChallengeStep, DocumentBinding, EndRecord, EvidenceBundle, EvidencePoint, FrameRecord, KeyframeRecord, ResultRecord, VideoRecord } from '../evidence/bundle.js';
import { readCaptureVideo } from '../evidence/video-read.js';
import { LIBRARY_NAME, LIBRARY_VERSION } from '../evidence/version.js';
import { planFromNonce as challengePlan, planFromSteps, type ChallengePlan, type PlanOptions } from '../challenge/plan.js';
import { attemptConfigHash, type AttemptConfig } from '../attempt/config.js';
import type { LivenessDecision, LivenessVerdict } from '../decision/consensus.js';
import type { InjectionResult } from '../decision/injection.js';

export const EVIDENCE_CHECKS = ['format', 'version', 'chain', 'nonce', 'plan', 'document', 'timestamps', 'video', 'keyframes', 'video-reanalysis', 'injection', 'client-agreement'] as const;
export type EvidenceCheckName = (typeof EVIDENCE_CHECKS)[number];

/** Checks that bind the bundle to this session and its parts to each other: one failed makes the verdict `fail`. */
const BINDING_CHECKS: readonly EvidenceCheckName[] = ['format', 'version', 'chain', 'nonce', 'plan', 'document', 'timestamps', 'video', 'keyframes'];

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

export interface EvidenceReason {
  /** A failed check's name, or the server decision's reason code. */
  code: string;
  message: string;
  value?: number;
  threshold?: number;
}

export interface EvidenceReport {
  /** Every check passed (the client's view agreeing with the server's included). */
  ok: boolean;
  /**
   * The server's verdict: `fail` when the bundle is not bound to this session or its parts to each other (a
   * binding check failed) or the video shows an injected camera; `review` when the server could not judge the
   * pixels (no video, re-analysis not possible) or the injection cues are suspect; else the verdict of the server's
   * own decision on the decoded video. Never the client's.
   */
  verdict: LivenessVerdict;
  /** Why: the failed checks first (code = check name), then the server decision's reasons. */
  reasons: EvidenceReason[];
  /** The bundle's head hash as recomputed (null when the chain could not be walked). */
  head: string | null;
  checks: EvidenceCheck[];
  /**
   * The server's own decision from the decoded video; null unless every check but `client-agreement` passed (a
   * client that disagrees does not change what the server saw, and is reported).
   */
  decision: LivenessDecision | null;
}

/** A keyframe handed to `reanalyzeVideo`: the JPEG bytes, where the crop came from and which frame. */
export interface DecodedKeyframe {
  /** Position among the bundle's keyframes (0-based). */
  index: number;
  /** Position of its frame among the bundle's frames (0-based): the decoded video frame it must show. */
  frameIndex: number;
  moment: string;
  /** Crop region in frame pixels; the JPEG is this region at width x height. */
  box: Box;
  width: number;
  height: number;
  jpeg: Uint8Array;
}

/** What `reanalyzeVideo` gets: the video (its bytes already matched chunk by chunk to the records) and what to run. */
export interface CaptureToReanalyse {
  data: Uint8Array;
  mime: 'video/webm' | 'video/x-matroska';
  codec: string;
  width: number;
  height: number;
  /** The frames' times (ms), in order: the video holds exactly these frames. Run the engine at these times. */
  times: number[];
  /** The challenge plan, from the nonce. */
  plan: ChallengePlan;
  /** The engine settings the server runs with (VerifyEvidenceOptions.replay). */
  config: AttemptConfig;
  keyframes: DecodedKeyframe[];
}

/** What the server's engine made of the decoded video. */
export interface VideoReanalysis {
  /** Frames decoded. */
  frames: number;
  /** Frames the server's attempt took (it ends on the frame that decides it: later ones are not analysed). */
  analysed: number;
  /** The decoded frames' times relative to the first (ms), as the container gives them. */
  decodedTimes: number[];
  /** The attempt over the decoded frames: its decision and the same summary the client claims. */
  decision: LivenessDecision;
  claim: AttemptClaim;
  /** Per decoded frame, the primary face's EVIDENCE_POINTS and box (null: no face). */
  faces: Array<{ box: Box; points: EvidencePoint[] } | null>;
  /** Camera-injection cues measured on the decoded frames. */
  injection: InjectionResult;
  /** Per keyframe, its PSNR (dB) against the same region of its decoded frame, resized alike. */
  keyframes: Array<{ index: number; psnr: number }>;
}

export interface VerifyTolerances {
  /** Capture must end within this long after the document upload. Default 15 min. */
  captureWindowMs: number;
  /** Allowance for the client's clock against the server's, on every wall-clock comparison. Default 2 min. */
  clockSkewMs: number;
  /** When set, the capture must have ended at most this long before `now`. Default: not checked. */
  maxAgeMs: number | null;
  /** A chunk's time against its container packet's (relative to the first), ms: WebM keeps milliseconds. Default 1.5. */
  packetTimeMs: number;
  /**
   * A keyframe crop against the decoded video frame it claims, PSNR (dB): a crop of the same frame stays above it
   * after the video codec; another frame or another picture falls below. Default 22.
   */
  keyframePsnr: number;
  /** client-agreement: the client's face points against the server's, mean distance / face size. Default 0.08. */
  landmarkNme: number;
  /** client-agreement: a claimed challenge event's time against the server's, ms. Default 500. */
  eventTimeMs: number;
}

export interface VerifyLimits {
  /** Largest capture video accepted, bytes. Default 6 MB. */
  maxVideoBytes: number;
  /** Most frames. Default 1800 (a minute at 30 fps). */
  maxFrames: number;
  /** Most keyframes. Default 16. */
  maxKeyframes: number;
  /** Largest frame, pixels (width x height). Default 1920 x 1080. */
  maxPixels: number;
  /** Largest keyframe JPEG, bytes. Default 1 MB. */
  maxKeyframeBytes: number;
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
  /** Or recompute the plan yourself. Without `plan` or this, the `plan` check fails (skipped) and nothing is re-analysed. */
  planFromNonce?: (nonce: string) => ReadonlyArray<{ readonly action: string }> | Promise<ReadonlyArray<{ readonly action: string }>>;
  /**
   * Decode the capture video and run the engine on it (createNodeReanalyzer's `reanalyzeVideo`). Without it the
   * server cannot judge the pixels: `video-reanalysis` is skipped and the verdict is `review`.
   */
  reanalyzeVideo?: (capture: CaptureToReanalyse) => Promise<VideoReanalysis>;
  /** Which client library versions this server accepts. Default: same major (same minor while 0.x) as this one. */
  acceptLibraryVersion?: (version: string) => boolean;
  /** The bundle's configHash must equal this. Default: attemptConfigHash(replay). */
  configHash?: string;
  /**
   * The engine settings the server runs the capture with (guidance, challenge, actions, decision, mirrored,
   * identity). Default: the defaults without the identity check. The bundle's configHash must be their hash (else
   * `version` fails): a server that expects the identity check (the browser's default) sets `identity: {}` (or the
   * client's identity settings).
   */
  replay?: AttemptConfig;
  tolerances?: Partial<VerifyTolerances>;
  limits?: Partial<VerifyLimits>;
}

export const defaultVerifyTolerances: Readonly<VerifyTolerances> = Object.freeze({
  captureWindowMs: 15 * 60_000,
  clockSkewMs: 2 * 60_000,
  maxAgeMs: null,
  packetTimeMs: 1.5,
  keyframePsnr: 22,
  landmarkNme: 0.08,
  eventTimeMs: 500,
});

export const defaultVerifyLimits: Readonly<VerifyLimits> = Object.freeze({
  maxVideoBytes: 6_000_000,
  maxFrames: 1800,
  maxKeyframes: 16,
  maxPixels: 1920 * 1080,
  maxKeyframeBytes: 1_000_000,
});

type Mark = (name: EvidenceCheckName, detail: string, data?: Record<string, unknown>) => void;
type Skip = (name: EvidenceCheckName, detail: string) => void;

/**
 * Verify an evidence bundle (its canonical text, or the parsed object). Throws only when the input is not a bundle
 * at all (`evidence-invalid`: not JSON, not a livecheck bundle) or of a version this library does not read
 * (`evidence-version`); every other problem is a failed check and a verdict.
 */
export async function verifyEvidence(input: string | EvidenceBundle | unknown, options: VerifyEvidenceOptions): Promise<EvidenceReport> {
  const { bundle: parsed, text } = parseEvidence(input);
  const tol: VerifyTolerances = { ...defaultVerifyTolerances, ...options.tolerances };
  const limits: VerifyLimits = { ...defaultVerifyLimits, ...options.limits };
  const now = options.now ?? Date.now();
  const checks = new Map<EvidenceCheckName, EvidenceCheck>();
  const pass: Mark = (name, detail, data) => checks.set(name, { name, ok: true, detail, ...(data && { data }) });
  const fail: Mark = (name, detail, data) => checks.set(name, { name, ok: false, detail, ...(data && { data }) });
  const skip: Skip = (name, detail) => checks.set(name, { name, ok: false, skipped: true, detail });
  let server: VideoReanalysis | null = null;
  const report = (head: string | null): EvidenceReport => {
    const list = EVIDENCE_CHECKS.map((name) => checks.get(name) ?? { name, ok: false, skipped: true, detail: 'not checked' });
    return verdictOf(list, head, server);
  };

  // format: the shape, and (for text) the exact canonical serialisation, so no byte is unaccounted for.
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
  const bundle = parsed as EvidenceBundle;
  const { genesis, records } = bundle;
  const frames = records.filter((r): r is FrameRecord => r.type === 'frame');
  const keyframes = records.filter((r): r is KeyframeRecord => r.type === 'keyframe');
  if (frames.length > limits.maxFrames || keyframes.length > limits.maxKeyframes) {
    fail('format', `${frames.length} frames and ${keyframes.length} keyframes: at most ${limits.maxFrames} and ${limits.maxKeyframes}`, { frames: frames.length, keyframes: keyframes.length });
    for (const name of EVIDENCE_CHECKS) if (name !== 'format') skip(name, 'not checked: the bundle is too large');
    return report(null);
  }
  pass('format', `well-formed version-${bundle.version} bundle`);

  // version: which library and configuration produced it.
  const accept = options.acceptLibraryVersion ?? sameCompatibleVersion;
  let expectedConfig: string;
  if (genesis.library.name !== LIBRARY_NAME || !accept(genesis.library.version)) {
    fail('version', `made by ${genesis.library.name} ${genesis.library.version}, not accepted by this server (${LIBRARY_NAME} ${LIBRARY_VERSION})`, { library: genesis.library });
  } else if (genesis.configHash !== (expectedConfig = options.configHash ?? (await attemptConfigHash(options.replay)))) {
    fail('version', 'captured with a different engine configuration than the server runs', { configHash: genesis.configHash, expected: expectedConfig });
  } else pass('version', `${genesis.library.name} ${genesis.library.version}`);

  // chain: recompute every hash from the genesis; sequence numbers, references, the record order.
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
    else {
      const steps = (plan: ReadonlyArray<{ action: string; gapMs?: unknown }>) => plan.map((s) => `${s.action}+${s.gapMs ?? '?'}ms`);
      fail('plan', 'the challenge plan (actions, holds and prompt gaps) is not the one derived from the nonce', { expected: steps(expected), found: steps(genesis.plan) });
    }
  }

  const doc = genesis.document;
  if (doc.metadataHash !== options.document.metadataHash) fail('document', 'bound to a different ID document (metadata hash differs)');
  else if (doc.uploadedAt !== options.document.uploadedAt) fail('document', 'the document upload time differs from the server record', { bundle: doc.uploadedAt, server: options.document.uploadedAt });
  else pass('document', 'bound to the ID document');

  checkTimestamps(bundle, options.document.uploadedAt, now, tol, pass, fail);

  const video = chain.error ? null : (records[records.length - 3] as VideoRecord);
  const videoBytes = video ? await checkVideo(video, frames, limits, tol, pass, fail) : null;
  if (!video) skip('video', 'not checked: the chain is broken');
  // a capture the person stopped before its steps has no keyframes for them: not a binding failure, unless the video
  // shows those steps done (checked once the server has seen it)
  const result = records[records.length - 2] as Partial<ResultRecord> | undefined;
  const stoppedEarly = result?.type === 'result' && result.challenge?.ended === null;
  const decoded = await checkKeyframes(keyframes, records, frames, genesis.plan, stoppedEarly, limits, pass, fail);

  // the expensive part runs only on a bundle bound to this session, whose parts are bound to each other
  const unbound = BINDING_CHECKS.filter((name) => !checks.get(name)?.ok && !(name === 'video' && video?.missing !== null));
  const stop = (why: string) => {
    for (const name of ['video-reanalysis', 'injection', 'client-agreement'] as const) skip(name, why);
  };
  if (unbound.length > 0) stop(`not checked: ${unbound.join(', ')} failed`);
  else if (!videoBytes || !video || video.missing !== null) stop('not checked: the bundle carries no video');
  else if (!options.reanalyzeVideo) stop('not checked: no reanalyzeVideo given (the server cannot judge the pixels)');
  else {
    server = await reanalyse(bundle, video, videoBytes, frames, decoded, options, tol, pass, fail);
    if (server) compareClient(bundle, frames, server, tol, pass, fail);
    const unshown = (checks.get('keyframes')?.data?.unshown as string[] | undefined) ?? [];
    if (server && unshown.length > 0) {
      const done = new Set(server.claim.challenge.events.filter((e) => e.type === 'action-done').map((e) => e.step));
      const shown = genesis.plan.map((s, k) => (done.has(k) ? s.action : null)).filter((a) => a !== null && unshown.includes(a));
      if (shown.length > 0) fail('keyframes', `the capture claims it stopped early, yet the video shows step(s) ${shown.join(', ')} done without their keyframes`, { unshown, shown });
    }
  }
  return report(chain.error ? null : chain.head);
}

/** The report from the checks: the verdict rule in one place. */
function verdictOf(list: EvidenceCheck[], head: string | null, server: VideoReanalysis | null): EvidenceReport {
  const failed = list.filter((c) => !c.ok);
  const reasons: EvidenceReason[] = failed.map((c) => ({ code: c.name, message: c.detail }));
  const ok = failed.length === 0;
  const byName = new Map(list.map((c) => [c.name, c]));
  // a check the server could not run (a plan source not configured) is no proof of forgery: review, not fail
  const bindingFailed = BINDING_CHECKS.some((n) => {
    const c = byName.get(n)!;
    return !c.ok && !c.skipped && !(n === 'video' && c.data?.missing !== undefined);
  });
  const injection = byName.get('injection')!;
  let verdict: LivenessVerdict;
  if (bindingFailed || injection.data?.verdict === 'injected') verdict = 'fail';
  else if (!server || !byName.get('video-reanalysis')!.ok) verdict = 'review';
  else {
    verdict = server.decision.verdict;
    if (!injection.ok && verdict === 'pass') verdict = 'review';
  }
  const trusted = server !== null && list.every((c) => c.ok || c.name === 'client-agreement');
  if (server) reasons.push(...server.decision.reasons.map((r) => ({ ...r })));
  return { ok, verdict, reasons, head, checks: list, decision: trusted ? server!.decision : null };
}

/** Codec families: the record's WebCodecs string against the container's codec. */
function codecFamily(codec: string): string | null {
  if (codec === 'vp8') return 'vp8';
  if (codec.startsWith('vp09.') || codec === 'vp9') return 'vp9';
  if (codec.startsWith('avc1.') || codec === 'avc') return 'avc';
  return null;
}

/**
 * The video check: the container is the one the chain names (SHA-256), within the limits, and its packets are the
 * records' chunks one by one (bytes, kind, digest, time), one per frame record. Returns the container's bytes, or
 * null when the check failed or there is no video.
 */
async function checkVideo(video: VideoRecord, frames: FrameRecord[], limits: VerifyLimits, tol: VerifyTolerances, pass: Mark, fail: Mark): Promise<Uint8Array | null> {
  const NAME = 'video';
  if (video.missing !== null) {
    fail(NAME, `the capture carries no video (${video.missing}): the server cannot judge its pixels`, { missing: video.missing });
    return null;
  }
  if (video.bytes > limits.maxVideoBytes || video.data.length > Math.ceil(limits.maxVideoBytes / 3) * 4) {
    fail(NAME, `the video is ${video.bytes} bytes, above the limit of ${limits.maxVideoBytes}`, { bytes: video.bytes, limit: limits.maxVideoBytes });
    return null;
  }
  if (video.width * video.height > limits.maxPixels) {
    fail(NAME, `the video is ${video.width}x${video.height}, above the limit of ${limits.maxPixels} pixels`, { width: video.width, height: video.height });
    return null;
  }
  const sized = frames.findIndex((f) => f.width !== video.width || f.height !== video.height);
  if (sized >= 0) {
    fail(NAME, `frame ${sized} is ${frames[sized].width}x${frames[sized].height}, the video ${video.width}x${video.height}`, { frame: sized });
    return null;
  }
  if (video.chunks.length !== frames.length) {
    fail(NAME, `the video record lists ${video.chunks.length} chunks for ${frames.length} frames`, { chunks: video.chunks.length, frames: frames.length });
    return null;
  }
  const timed = video.chunks.findIndex((c, i) => c.t !== frames[i].t);
  if (timed >= 0) {
    fail(NAME, `chunk ${timed} is timed ${video.chunks[timed].t} ms, its frame ${frames[timed].t} ms`, { chunk: timed });
    return null;
  }
  const bytes = fromBase64(video.data);
  if (!bytes || bytes.length !== video.bytes) {
    fail(NAME, bytes ? `the video data is ${bytes.length} bytes, the record says ${video.bytes}` : 'the video data is not canonical base64');
    return null;
  }
  if (toHex(await sha256(bytes)) !== video.sha256) {
    fail(NAME, 'the video bytes do not match their recorded SHA-256');
    return null;
  }
  const family = codecFamily(video.codec ?? '');
  let packets: Awaited<ReturnType<typeof readCaptureVideo>>;
  try {
    packets = await readCaptureVideo(bytes, { maxPackets: limits.maxFrames });
  } catch (e) {
    fail(NAME, `the video cannot be read: ${e instanceof Error ? e.message : String(e)}`, { reason: (e as { detail?: { reason?: unknown } }).detail?.reason ?? null });
    return null;
  }
  if (family === null || packets.codec !== family || packets.mime !== video.mime) {
    fail(NAME, `the container holds ${packets.codec} in ${packets.mime}, the record says ${video.codec} in ${video.mime}`, { codec: packets.codec });
    return null;
  }
  if (packets.width !== video.width || packets.height !== video.height) {
    fail(NAME, `the container's frames are ${packets.width}x${packets.height}, the record says ${video.width}x${video.height}`);
    return null;
  }
  if (packets.packets.length !== frames.length) {
    fail(NAME, `the container holds ${packets.packets.length} packets for ${frames.length} frames`, { packets: packets.packets.length, frames: frames.length });
    return null;
  }
  const p0 = packets.packets[0].t;
  const c0 = video.chunks[0].t;
  for (let i = 0; i < frames.length; i++) {
    const p = packets.packets[i];
    const c = video.chunks[i];
    if (p.sha256 !== c.sha256 || p.bytes !== c.bytes || p.key !== c.key) {
      fail(NAME, `packet ${i} of the container is not chunk ${i} of the records (frame ${frames[i].seq})`, { packet: i, frameSeq: frames[i].seq });
      return null;
    }
    const off = Math.abs(p.t - p0 - (c.t - c0));
    if (!(off <= tol.packetTimeMs)) {
      fail(NAME, `packet ${i} is timed ${(p.t - p0).toFixed(1)} ms into the video, its frame ${(c.t - c0).toFixed(1)} ms into the capture`, { packet: i, offMs: off });
      return null;
    }
  }
  if (!packets.packets[0].key) {
    fail(NAME, 'the video does not start with a key frame');
    return null;
  }
  pass(NAME, `${packets.codec} ${packets.width}x${packets.height}, ${frames.length} packets bound to the frame records (${video.bytes} bytes)`, { codec: packets.codec, bytes: video.bytes });
  return bytes;
}

/** JPEG frame size from its SOF marker, without decoding (null: no SOF found). */
function jpegSize(jpeg: Uint8Array): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < jpeg.length) {
    if (jpeg[i] !== 0xff) return null;
    const marker = jpeg[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = (jpeg[i + 2] << 8) | jpeg[i + 3];
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (jpeg[i + 5] << 8) | jpeg[i + 6], width: (jpeg[i + 7] << 8) | jpeg[i + 8] };
    }
    if (length < 2) return null;
    i += 2 + length;
  }
  return null;
}

async function checkKeyframes(
  keyframes: KeyframeRecord[],
  records: EvidenceBundle['records'],
  frames: FrameRecord[],
  plan: ChallengeStep[],
  stoppedEarly: boolean,
  limits: VerifyLimits,
  pass: Mark,
  fail: Mark,
): Promise<DecodedKeyframe[]> {
  const decoded: DecodedKeyframe[] = [];
  const errors: string[] = [];
  const frameIndex = new Map<number, number>();
  frames.forEach((f, i) => frameIndex.set(f.seq, i));
  for (let i = 0; i < keyframes.length; i++) {
    const k = keyframes[i];
    if (k.data.length > Math.ceil(limits.maxKeyframeBytes / 3) * 4) {
      errors.push(`keyframe ${i}: larger than ${limits.maxKeyframeBytes} bytes`);
      continue;
    }
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
    const size = jpegSize(jpeg);
    if (!size || size.width !== k.width || size.height !== k.height) {
      errors.push(`keyframe ${i}: the JPEG is ${size ? `${size.width}x${size.height}` : 'of unknown size'}, the record says ${k.width}x${k.height}`);
      continue;
    }
    const f = records[k.frameSeq];
    const index = frameIndex.get(k.frameSeq);
    if (!f || f.type !== 'frame' || index === undefined || k.box.x < 0 || k.box.y < 0 || k.box.x + k.box.width > f.width || k.box.y + k.box.height > f.height) {
      errors.push(`keyframe ${i}: crop box lies outside its frame`);
      continue;
    }
    if (k.width * k.height > k.box.width * k.box.height * 4) {
      errors.push(`keyframe ${i}: ${k.width}x${k.height} is more than twice its crop's size`);
      continue;
    }
    decoded.push({ index: i, frameIndex: index, moment: k.moment, box: { ...k.box }, width: k.width, height: k.height, jpeg });
  }
  const moments = new Set(keyframes.map((k) => k.moment));
  const missing = plan.map((s) => s.action).filter((a) => !moments.has(a));
  const unshown = [...new Set(missing)];
  if (keyframes.length === 0 && !stoppedEarly) errors.push('the bundle has no keyframes');
  if (unshown.length > 0 && !stoppedEarly) errors.push(`no keyframe for challenge step(s) ${unshown.join(', ')}`);
  if (errors.length > 0) fail('keyframes', errors.slice(0, 3).join('; '), { errors });
  else if (unshown.length > 0) pass('keyframes', `${keyframes.length} keyframes intact; the capture stopped before step(s) ${unshown.join(', ')}`, { unshown });
  else pass('keyframes', `${keyframes.length} keyframes intact, every challenge step has one`);
  return decoded;
}

/** Runs the server's engine on the video; the video-reanalysis and injection checks. Never throws. */
async function reanalyse(
  bundle: EvidenceBundle,
  video: VideoRecord,
  data: Uint8Array,
  frames: FrameRecord[],
  keyframes: DecodedKeyframe[],
  options: VerifyEvidenceOptions,
  tol: VerifyTolerances,
  pass: Mark,
  fail: Mark,
): Promise<VideoReanalysis | null> {
  const NAME = 'video-reanalysis';
  let server: VideoReanalysis;
  try {
    server = await options.reanalyzeVideo!({
      data,
      mime: video.mime!,
      codec: video.codec!,
      width: video.width,
      height: video.height,
      times: frames.map((f) => f.t),
      plan: planFromSteps(bundle.genesis.plan),
      config: options.replay ?? {},
      keyframes,
    });
  } catch (e) {
    fail(NAME, `the server could not re-analyse the video: ${e instanceof Error ? e.message : String(e)}`, { code: (e as { code?: unknown }).code ?? null });
    fail('injection', 'not measured: the video could not be re-analysed');
    return null;
  }
  const t0 = frames[0].t;
  const wrongTime = server.decodedTimes.findIndex((t, i) => !(Math.abs(t - (frames[i]?.t ?? NaN) + t0) <= tol.packetTimeMs));
  if (server.frames !== frames.length || wrongTime >= 0) {
    fail(NAME, server.frames !== frames.length ? `${server.frames} frames decoded, the capture has ${frames.length}` : `decoded frame ${wrongTime} is not at its frame's time`, {
      frames: server.frames,
    });
    fail('injection', 'not measured: the decoded video is not the capture');
    return null;
  }
  const crops = server.keyframes.filter((k) => !(k.psnr >= tol.keyframePsnr));
  const d = server.decision;
  const summary = `${server.frames} frames re-analysed: ${d.verdict} (${d.reasons
    .slice(0, 3)
    .map((r) => r.code)
    .join(', ')})`;
  const found: Record<string, unknown> = {
    verdict: d.verdict,
    signals: Object.fromEntries(Object.entries(d.signals).map(([k, s]) => [k, s ? { verdict: s.verdict, score: s.score } : null])),
    events: server.claim.challenge.events.map((e) => `${e.type} ${e.step}:${e.action}@${Math.round(e.t)}`),
    ended: server.claim.challenge.ended,
    identity: server.claim.identity,
    keyframePsnr: server.keyframes.map((k) => Math.round(k.psnr * 10) / 10),
  };
  if (crops.length > 0) {
    // a crop that is not its frame: the high-quality pixels would not be the video's
    fail('keyframes', `keyframe ${crops[0].index} does not show its frame of the video (PSNR ${crops[0].psnr.toFixed(1)} dB < ${tol.keyframePsnr})`, {
      crops: crops.map((k) => k.index),
      psnr: found.keyframePsnr,
    });
  }
  pass(NAME, summary, found);
  markInjection(server.injection, pass, fail);
  return server;
}

function markInjection(injection: InjectionResult, pass: Mark, fail: Mark): void {
  const data = { verdict: injection.verdict, reasons: injection.reasons, measured: injection.measured };
  const deciding = injection.reasons.filter((r) => r.code !== 'regular-timestamps');
  if (injection.verdict === 'clear' || deciding.length === 0) {
    // regular frame times alone are reported, not decided on: a file or a virtual camera is that regular, and so can
    // be a steady camera, whose timing we cannot measure here
    const note = injection.reasons.length > 0 ? ` (reported: ${injection.reasons.map((r) => r.message).join('; ')})` : '';
    pass('injection', `no frozen or repeated picture${note}`, data);
  } else fail('injection', `${injection.verdict === 'injected' ? 'an injected camera' : 'possibly an injected camera'}: ${deciding.map((r) => r.message).join('; ')}`, data);
}

/** Mean distance between two point lists over the face size (box diagonal scale). */
function pointError(a: EvidencePoint[], b: EvidencePoint[], box: Box): number {
  const n = Math.min(a.length, b.length);
  if (n === 0 || a.length !== b.length) return Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.hypot(a[i][0] - b[i][0], a[i][1] - b[i][1]);
  return sum / n / Math.sqrt(Math.max(1e-9, box.width * box.height));
}

/** client-agreement: the client's records and claim against what the server saw. Reported, never decided from. */
function compareClient(bundle: EvidenceBundle, frames: FrameRecord[], server: VideoReanalysis, tol: VerifyTolerances, pass: Mark, fail: Mark): void {
  const claim = bundle.records[bundle.records.length - 2] as ResultRecord;
  const problems: string[] = [];
  if (claim.verdict !== server.decision.verdict) problems.push(`the client claims ${claim.verdict}, the server sees ${server.decision.verdict}`);
  // challenge events, matched by kind, step and action
  const label = (e: { type: string; step: number; action: string }) => `${e.type} ${e.step}:${e.action}`;
  const serverEvents = new Map(server.claim.challenge.events.map((e) => [label(e), e.t]));
  const events: Array<{ event: string; client: number; server: number | null }> = [];
  for (const e of claim.challenge.events) {
    const at = serverEvents.get(label(e)) ?? null;
    events.push({ event: label(e), client: e.t, server: at });
    if (at === null) problems.push(`the client claims ${label(e)} at ${Math.round(e.t)} ms, the server does not see it`);
    else if (!(Math.abs(at - e.t) <= tol.eventTimeMs)) problems.push(`${label(e)}: claimed at ${Math.round(e.t)} ms, the server sees it at ${Math.round(at)} ms`);
  }
  const claimed = new Set(claim.challenge.events.map(label));
  for (const e of server.claim.challenge.events) if (!claimed.has(label(e))) problems.push(`the server sees ${label(e)} at ${Math.round(e.t)} ms, which the client does not claim`);
  // per frame: the face the client recorded against the server's, on the frames both attempts took
  const far: Array<{ seq: number; nme: number | null }> = [];
  const errors: number[] = [];
  const both = Math.min(frames.length, server.analysed);
  for (let i = 0; i < both; i++) {
    const c = frames[i].face;
    const s = server.faces[i] ?? null;
    if (!c && !s) continue;
    if (!c || !s) {
      far.push({ seq: frames[i].seq, nme: null });
      continue;
    }
    const e = pointError(c.points, s.points, s.box);
    errors.push(e);
    if (!(e <= tol.landmarkNme)) far.push({ seq: frames[i].seq, nme: Math.round(e * 1000) / 1000 });
  }
  // a few frames where tracking differs (a face found a frame later) are the codec's and the tracker's, not a forgery
  const allowed = Math.max(2, Math.round(both * 0.05));
  if (far.length > allowed) problems.push(`${far.length} of ${both} frames show a face other than the client recorded (first: frame ${far[0].seq})`);
  if (server.analysed < frames.length) problems.push(`the server's attempt ended at frame ${server.analysed} of the ${frames.length} the client recorded`);
  const sorted = [...errors].sort((a, b) => a - b);
  const data = {
    verdict: { client: claim.verdict, server: server.decision.verdict },
    events,
    frames: {
      compared: errors.length,
      analysed: server.analysed,
      far: far.slice(0, 50),
      farCount: far.length,
      medianNme: sorted.length ? sorted[sorted.length >> 1] : null,
      worstNme: sorted.length ? sorted[sorted.length - 1] : null,
    },
  };
  if (problems.length > 0) fail('client-agreement', problems.slice(0, 3).join('; '), data);
  else pass('client-agreement', `the client's records and claim agree with the server's analysis (median face-point error ${data.frames.medianNme?.toFixed(3) ?? 'n/a'})`, data);
}

async function walkChain(bundle: EvidenceBundle, texts: string[] | null): Promise<{ error?: string; data?: Record<string, unknown>; head: string | null }> {
  const { records } = bundle;
  const hasher = new ChainHasher(await genesisHash(bundle.genesis, bundle.version));
  let frames = 0;
  let keyframes = 0;
  const results: number[] = [];
  const videos: number[] = [];
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
    } else if (r.type === 'video') videos.push(i);
    else if (r.type === 'result') results.push(i);
    else if (i !== records.length - 1) return { error: `end record at ${i} is not the last record`, data: { index: i }, head: null };
  }
  const end = records[records.length - 1];
  if (!end || end.type !== 'end') return { error: 'no end record: the bundle is truncated', data: { records: records.length }, head: null };
  if (results.length !== 1 || results[0] !== records.length - 2) {
    return { error: results.length === 0 ? 'no result record: the claimed outcome is missing' : 'the result record must be the one record just before the end record', data: { results }, head: null };
  }
  if (videos.length !== 1 || videos[0] !== records.length - 3) {
    return { error: videos.length === 0 ? 'no video record' : 'the video record must be the one record just before the result record', data: { videos }, head: null };
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

function sameCompatibleVersion(version: string): boolean {
  const [maj, min] = LIBRARY_VERSION.split('.');
  const [vmaj, vmin] = version.split('.');
  return vmaj === maj && (maj !== '0' || vmin === min);
}

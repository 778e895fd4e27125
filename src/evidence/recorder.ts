// Builds the evidence bundle while a capture runs: one chained record per analysed frame, keyframes (face crops,
// JPEG) at the challenge moments, the capture video's record, the claim, and an end record whose hash is the head.
import type { Box, FaceDetection, FrameAnalysis } from '../types.js';
import { LivecheckError } from '../errors.js';
import { canonicalJson, quantize } from './canonical.js';
import { sha256, toBase64 } from './encoding.js';
import { toHex } from '../util/hex.js';
import { ChainHasher, genesisHash } from './chain.js';
import { EVIDENCE_FORMAT, EVIDENCE_VERSION } from './bundle.js';
import { EVIDENCE_POINTS, MESH_POINTS } from '../face/landmarks.js';
import type {
  AttemptClaim,
  ChallengeStep,
  DocumentBinding,
  EndRecord,
  EvidenceBundle,
  EvidenceFace,
  EvidenceGenesis,
  EvidenceRecord,
  FrameRecord,
  KeyframeRecord,
  ResultRecord,
  VideoRecord,
} from './bundle.js';
import type { CaptureVideo } from './video.js';
import { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';

/** An RGBA image (4 bytes per pixel, row-major). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** Compresses a face crop to JPEG. Injected: in browsers an OffscreenCanvas `convertToBlob`, in Node e.g. jpeg-js. */
export type JpegEncoder = (image: RgbaImage) => Uint8Array | Promise<Uint8Array>;

export interface EvidenceRecorderOptions {
  /** The single-use nonce the server issued for this capture. */
  nonce: string;
  /** The challenge plan derived from the nonce (src/challenge `planFromNonce(...).steps`): actions with flat params. */
  plan: ReadonlyArray<{ readonly action: string }>;
  document: DocumentBinding;
  /**
   * Hex SHA-256 of the attempt's resolved settings (attemptConfigHash): the server replays with the settings that
   * hash to it.
   */
  configHash: string;
  /** Wall clock, epoch ms. Default `Date.now`. */
  clock?: () => number;
  encodeJpeg?: JpegEncoder;
  /** At most this many keyframes. Default 8. */
  maxKeyframes?: number;
  /** Default crop around the face box: this many box sides, squared. Default 1.5. */
  keyframeMargin?: number;
}

export class EvidenceRecorder {
  private readonly records: EvidenceRecord[] = [];
  private readonly chain: ChainHasher;
  private readonly options: EvidenceRecorderOptions;
  private queue: Promise<unknown> = Promise.resolve();
  private frames = 0;
  private keyframes = 0;
  private lastFrame: { seq: number; face: EvidenceFace | null; width: number; height: number } | null = null;
  private finished = false;

  private constructor(
    readonly genesis: EvidenceGenesis,
    start: Uint8Array,
    options: EvidenceRecorderOptions,
  ) {
    this.chain = new ChainHasher(start);
    this.options = options;
  }

  /** Start recording: fixes the genesis (nonce, plan, document, library, config, start time). */
  static async start(options: EvidenceRecorderOptions): Promise<EvidenceRecorder> {
    if (typeof options.nonce !== 'string' || options.nonce.length === 0) throw new LivecheckError('invalid-argument', 'evidence needs the server nonce');
    if (!Array.isArray(options.plan)) throw new LivecheckError('invalid-argument', 'evidence needs the challenge plan (an array of steps)');
    const { metadataHash, uploadedAt } = options.document ?? ({} as DocumentBinding);
    if (typeof metadataHash !== 'string' || !/^[0-9a-f]{64}$/.test(metadataHash) || !Number.isFinite(uploadedAt)) {
      throw new LivecheckError('invalid-argument', 'document must be { metadataHash: hex SHA-256, uploadedAt: epoch ms }', { document: options.document });
    }
    const configHash = options.configHash;
    if (typeof configHash !== 'string' || !/^[0-9a-f]{64}$/.test(configHash)) throw new LivecheckError('invalid-argument', 'configHash must be a hex SHA-256', { configHash });
    const clock = options.clock ?? Date.now;
    const genesis: EvidenceGenesis = {
      nonce: options.nonce,
      plan: options.plan.map((s) => planStep(s)),
      document: { metadataHash, uploadedAt },
      library: { name: LIBRARY_NAME, version: LIBRARY_VERSION },
      configHash,
      startedAt: Math.round(clock()),
    };
    canonicalJson(genesis); // rejects NaN and non-JSON plan params up front
    return new EvidenceRecorder(genesis, await genesisHash(genesis), options);
  }

  /** Head hash so far (hex): after `finish`, the bundle's head. */
  get head(): string {
    return this.chain.headHex;
  }

  /**
   * Append one analysed frame: its time, size and the primary face as the client saw it. Calls are chained in call
   * order even when not awaited. The values are copied before this returns, so the engine may reuse them.
   */
  appendFrame(analysis: FrameAnalysis): Promise<FrameRecord> {
    this.assertOpen();
    // copy now: the engine reuses its result objects for the next frame
    const primary = analysis.faces[0];
    const face = primary ? evidenceFace(primary) : null;
    const { timestampMs, width, height, faces } = analysis;
    return this.enqueue(async () => {
      // on the microsecond grid, as the video encoder keys its chunks: a frame and its chunk carry the same time
      const t = Number.isFinite(timestampMs) ? Math.round(timestampMs * 1000) / 1000 + 0 : null;
      if (t === null || !Number.isInteger(width) || !Number.isInteger(height)) {
        throw new LivecheckError('invalid-argument', 'frame analysis needs a finite timestampMs and an integer size', { timestampMs });
      }
      const record = {
        type: 'frame',
        seq: this.records.length,
        t,
        width,
        height,
        faceCount: faces.length,
        face,
        hash: undefined as unknown as string, // absent while hashing (canonicalJson skips undefined)
      } satisfies FrameRecord;
      record.hash = await this.chain.push(canonicalJson(record));
      this.records.push(record);
      this.frames++;
      this.lastFrame = { seq: record.seq, face: record.face, width: record.width, height: record.height };
      return record;
    });
  }

  /**
   * Add a keyframe from the most recently appended frame: crops `box` (default: the face box widened by
   * `keyframeMargin`, squared) out of `frame`, encodes it with `encodeJpeg`, and chains its digest.
   */
  addKeyframe(moment: string, frame: RgbaImage, box?: Box): Promise<KeyframeRecord> {
    this.assertOpen();
    return this.enqueue(async () => {
      const last = this.lastFrame;
      if (!last) throw new LivecheckError('invalid-argument', 'a keyframe needs a frame appended before it');
      if (frame.width !== last.width || frame.height !== last.height) {
        throw new LivecheckError('invalid-frame-size', `keyframe image is ${frame.width}x${frame.height}, the last frame was ${last.width}x${last.height}`);
      }
      if (!this.options.encodeJpeg) throw new LivecheckError('invalid-argument', 'addKeyframe needs an encodeJpeg option');
      const region = cropRegion(box ?? faceRegion(last.face, this.options.keyframeMargin ?? 1.5), frame.width, frame.height);
      const jpeg = await this.options.encodeJpeg(crop(frame, region));
      return this.pushKeyframe(moment, region, region.width, region.height, jpeg);
    });
  }

  /** Add a keyframe already encoded by the caller: `jpeg` shows `box` of the last frame at `width` x `height`. */
  addEncodedKeyframe(moment: string, box: Box, jpeg: Uint8Array, width: number, height: number): Promise<KeyframeRecord> {
    this.assertOpen();
    return this.enqueue(async () => {
      const last = this.lastFrame;
      if (!last) throw new LivecheckError('invalid-argument', 'a keyframe needs a frame appended before it');
      return this.pushKeyframe(moment, cropRegion(box, last.width, last.height), width, height, jpeg);
    });
  }

  /**
   * Close the chain: the `video` record (the capture video of the appended frames, or why there is none), the
   * `result` record with what the client decided (`Attempt.claim()`: challenge events, signal verdicts, verdict),
   * then the end record. Returns the bundle.
   */
  finish(claim: AttemptClaim, video: CaptureVideo | { missing: string }): Promise<EvidenceBundle> {
    this.assertOpen();
    if (!claim || typeof claim !== 'object' || !claim.challenge || !claim.signals || typeof claim.verdict !== 'string') {
      throw new LivecheckError('invalid-argument', 'finish needs the attempt claim (Attempt.claim())');
    }
    this.finished = true;
    const claimed = claimOf(claim);
    return this.enqueue(async () => {
      await this.pushVideo(video);
      const result = {
        type: 'result',
        seq: this.records.length,
        ...claimed,
        hash: undefined as unknown as string,
      } satisfies ResultRecord;
      result.hash = await this.chain.push(canonicalJson(result));
      this.records.push(result);
      const end = {
        type: 'end',
        seq: this.records.length,
        frames: this.frames,
        keyframes: this.keyframes,
        finishedAt: Math.round((this.options.clock ?? Date.now)()),
        hash: undefined as unknown as string,
      } satisfies EndRecord;
      end.hash = await this.chain.push(canonicalJson(end));
      this.records.push(end);
      return { format: EVIDENCE_FORMAT, version: EVIDENCE_VERSION, genesis: this.genesis, records: this.records, head: end.hash };
    });
  }

  private async pushVideo(video: CaptureVideo | { missing: string }): Promise<void> {
    let record: VideoRecord;
    const seq = this.records.length;
    if ('missing' in video) {
      const missing = typeof video.missing === 'string' && video.missing.length > 0 ? video.missing.slice(0, 200) : 'not recorded';
      record = { type: 'video', seq, missing, mime: null, codec: null, width: 0, height: 0, bytes: 0, sha256: null, chunks: [], data: '', hash: '' };
    } else {
      if (video.chunks.length !== this.frames) {
        throw new LivecheckError('invalid-argument', `the capture video has ${video.chunks.length} chunks for ${this.frames} frames`, { chunks: video.chunks.length, frames: this.frames });
      }
      record = {
        type: 'video',
        seq,
        missing: null,
        mime: video.mime,
        codec: video.codec,
        width: video.width,
        height: video.height,
        bytes: video.data.length,
        sha256: toHex(await sha256(video.data)),
        chunks: video.chunks.map((c) => ({ t: Math.round(c.t * 1000) / 1000 + 0, key: c.key, bytes: c.bytes, sha256: c.sha256 })),
        data: '',
        hash: '',
      };
    }
    const { data: _d, hash: _h, ...hashed } = record;
    record.hash = await this.chain.push(canonicalJson(hashed));
    if (!('missing' in video)) record.data = toBase64(video.data);
    this.records.push(record);
  }

  private async pushKeyframe(moment: string, box: Box, width: number, height: number, jpeg: Uint8Array): Promise<KeyframeRecord> {
    if (typeof moment !== 'string' || moment.length === 0) throw new LivecheckError('invalid-argument', 'a keyframe needs a moment label');
    if (this.keyframes >= (this.options.maxKeyframes ?? 8)) throw new LivecheckError('invalid-argument', `at most ${this.options.maxKeyframes ?? 8} keyframes`);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new LivecheckError('invalid-argument', 'keyframe size must be positive integers', { width, height });
    if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new LivecheckError('invalid-argument', 'keyframe bytes are not a JPEG (no SOI marker)');
    const record = {
      type: 'keyframe',
      seq: this.records.length,
      frameSeq: (this.lastFrame as { seq: number }).seq,
      moment,
      box,
      width,
      height,
      mime: 'image/jpeg',
      sha256: toHex(await sha256(jpeg)),
      data: undefined as unknown as string, // the JPEG enters the chain through sha256, not as text
      hash: undefined as unknown as string,
    } satisfies KeyframeRecord;
    record.hash = await this.chain.push(canonicalJson(record));
    record.data = toBase64(jpeg);
    this.records.push(record);
    this.keyframes++;
    return record;
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private assertOpen(): void {
    if (this.finished) throw new LivecheckError('closed', 'the evidence recorder has finished');
  }
}

function planStep(step: { readonly action: string }): ChallengeStep {
  const out = { ...step } as ChallengeStep;
  const flat =
    typeof out.action === 'string' && out.action.length > 0 && Object.values(out).every((v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)));
  if (!flat) throw new LivecheckError('invalid-argument', 'a plan step must be an action with flat, finite parameters', { step: out });
  return out;
}

/** A measurement kept exactly (its shortest round-trip decimal), NaN and infinities as null. */
function exact(x: number): number | null {
  return Number.isFinite(x) ? x + 0 : null; // + 0 turns -0 into 0
}

/** On the 0.1 px grid: the face is a hint compared with the server's own analysis, not replayed. */
const tenth = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 + 0 : 0);

function evidenceFace(f: FaceDetection): EvidenceFace {
  const lm = f.landmarks;
  return {
    box: { x: tenth(f.box.x), y: tenth(f.box.y), width: tenth(f.box.width), height: tenth(f.box.height) },
    score: quantize(f.score) ?? 0,
    points: lm.length >= MESH_POINTS ? EVIDENCE_POINTS.map((k) => [tenth(lm[k][0]), tenth(lm[k][1])]) : [],
  };
}

function claimOf(c: AttemptClaim): Pick<ResultRecord, 'challenge' | 'signals' | 'verdict' | 'identity'> {
  const id = c.identity ?? null;
  const signal = (s: AttemptClaim['signals']['active']) => (s ? { verdict: s.verdict, score: exact(s.score) ?? 0 } : null);
  return {
    challenge: {
      events: c.challenge.events.map((e) => ({ type: e.type, step: e.step, action: e.action, t: exact(e.t) ?? 0, reason: e.reason })),
      ended: c.challenge.ended ? { outcome: c.challenge.ended.outcome, reason: c.challenge.ended.reason, t: exact(c.challenge.ended.t) ?? 0 } : null,
    },
    signals: { active: signal(c.signals.active), passive: signal(c.signals.passive), motion: signal(c.signals.motion) },
    verdict: c.verdict,
    identity: id && {
      verdict: id.verdict,
      distance: id.distance === null ? null : exact(id.distance),
      peakDistance: id.peakDistance === null ? null : exact(id.peakDistance),
      changedAtMs: id.changedAtMs === null ? null : exact(id.changedAtMs),
      readings: id.readings,
    },
  };
}

function faceRegion(face: EvidenceFace | null, margin: number): Box {
  if (!face) throw new LivecheckError('invalid-argument', 'no face in the last frame: give the keyframe box explicitly');
  const side = Math.max(face.box.width, face.box.height) * margin;
  const cx = face.box.x + face.box.width / 2;
  const cy = face.box.y + face.box.height / 2;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

/** Integer crop region clamped to the frame. */
function cropRegion(b: Box, width: number, height: number): Box {
  if (![b.x, b.y, b.width, b.height].every(Number.isFinite)) throw new LivecheckError('invalid-region', 'keyframe box is not finite', { box: b });
  const x0 = Math.max(0, Math.floor(b.x));
  const y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(width, Math.ceil(b.x + b.width));
  const y1 = Math.min(height, Math.ceil(b.y + b.height));
  if (x1 <= x0 || y1 <= y0) throw new LivecheckError('invalid-region', 'keyframe box lies outside the frame', { box: b, width, height });
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function crop(frame: RgbaImage, r: Box): RgbaImage {
  const data = new Uint8Array(r.width * r.height * 4);
  const rowBytes = r.width * 4;
  for (let y = 0; y < r.height; y++) {
    const src = ((r.y + y) * frame.width + r.x) * 4;
    data.set(frame.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { width: r.width, height: r.height, data };
}

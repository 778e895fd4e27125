// Builds the evidence bundle while a capture runs: one chained record per analysed frame, keyframes (face crops,
// JPEG) at the challenge moments, and an end record whose hash is the head.
import type { Box, FaceDetection, FrameAnalysis } from '../types.js';
import { LivecheckError } from '../errors.js';
import { canonicalJson, quantize } from './canonical.js';
import { sha256, toBase64, toHex } from './encoding.js';
import { ChainHasher, genesisHash } from './chain.js';
import { EVIDENCE_FORMAT, EVIDENCE_VERSION } from './bundle.js';
import type { ChallengeStep, DocumentBinding, EndRecord, EvidenceBundle, EvidenceFace, EvidenceGenesis, EvidenceRecord, FrameRecord, KeyframeRecord } from './bundle.js';
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
  /** Engine configuration; its canonical SHA-256 goes into the genesis. Or give `configHash` (hex) directly. */
  config?: unknown;
  configHash?: string;
  /** Wall clock, epoch ms. Default `Date.now`. */
  clock?: () => number;
  encodeJpeg?: JpegEncoder;
  /** At most this many keyframes. Default 8. */
  maxKeyframes?: number;
  /** Default crop around the face box: this many box sides, squared. Default 1.5. */
  keyframeMargin?: number;
}

/** Pixels to digest, or a digest already computed (hex SHA-256), e.g. in the worker with src/util/sha256. */
export type FramePixels = Uint8Array | Uint8ClampedArray | { sha256: string };

export class EvidenceRecorder {
  private readonly records: EvidenceRecord[] = [];
  private readonly chain: ChainHasher;
  private readonly options: EvidenceRecorderOptions;
  private queue: Promise<unknown> = Promise.resolve();
  private frames = 0;
  private keyframes = 0;
  private lastFrame: { seq: number; face: EvidenceFace | null; width: number; height: number } | null = null;
  private finished = false;

  private constructor(readonly genesis: EvidenceGenesis, start: Uint8Array, options: EvidenceRecorderOptions) {
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
    let configHash = options.configHash;
    if (configHash === undefined) configHash = toHex(await sha256(new TextEncoder().encode(canonicalJson(options.config ?? {}))));
    else if (!/^[0-9a-f]{64}$/.test(configHash)) throw new LivecheckError('invalid-argument', 'configHash must be a hex SHA-256', { configHash });
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

  /** Append one analysed frame. Calls are chained in call order even when not awaited. */
  appendFrame(analysis: FrameAnalysis, pixels: FramePixels): Promise<FrameRecord> {
    this.assertOpen();
    return this.enqueue(async () => {
      const digest = 'sha256' in pixels ? checkDigest(pixels.sha256) : toHex(await sha256(pixels instanceof Uint8Array ? pixels : new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)));
      const t = quantize(analysis.timestampMs);
      if (t === null || !Number.isInteger(analysis.width) || !Number.isInteger(analysis.height)) {
        throw new LivecheckError('invalid-argument', 'frame analysis needs a finite timestampMs and an integer size', { timestampMs: analysis.timestampMs });
      }
      const primary = analysis.faces[0];
      const record = {
        type: 'frame',
        seq: this.records.length,
        t,
        width: analysis.width,
        height: analysis.height,
        pixels: digest,
        quality: quantizeTree(analysis.quality) as FrameRecord['quality'],
        faceCount: analysis.faces.length,
        face: primary ? evidenceFace(primary) : null,
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

  /** Close the chain with the end record and return the bundle. */
  finish(): Promise<EvidenceBundle> {
    this.assertOpen();
    this.finished = true;
    return this.enqueue(async () => {
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
  const flat = typeof out.action === 'string' && out.action.length > 0 &&
    Object.values(out).every((v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)));
  if (!flat) throw new LivecheckError('invalid-argument', 'a plan step must be an action with flat, finite parameters', { step: out });
  return out;
}

function checkDigest(hex: string): string {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) throw new LivecheckError('invalid-argument', 'a precomputed pixel digest must be a lower-case hex SHA-256', { sha256: hex });
  return hex;
}

function quantizeTree(x: unknown): unknown {
  if (typeof x === 'number') return quantize(x);
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(quantizeTree);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x)) out[k] = quantizeTree((x as Record<string, unknown>)[k]);
  return out;
}

function evidenceFace(f: FaceDetection): EvidenceFace {
  const landmarks = new Array<[number, number, number]>(f.landmarks.length);
  for (let i = 0; i < f.landmarks.length; i++) {
    const p = f.landmarks[i];
    landmarks[i] = [quantize(p[0]) ?? 0, quantize(p[1]) ?? 0, quantize(p[2]) ?? 0];
  }
  return {
    box: { x: quantize(f.box.x) ?? 0, y: quantize(f.box.y) ?? 0, width: quantize(f.box.width) ?? 0, height: quantize(f.box.height) ?? 0 },
    score: quantize(f.score) ?? 0,
    landmarks,
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

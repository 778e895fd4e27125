// The end of an attempt, in the worker. Both of its deciders are AttemptLog (src/evidence/attempt.ts), the code
// `livecheck analyze` decides with (with or without --evidence) and the server replays an evidence bundle with: active
// from the challenge session, passive from the kernels' artefact scores on the face, motion from the tracked landmarks,
// the geometry's eye and mouth apertures and the background motion. Without evidence AttemptRecorder feeds it the
// frame stream; with evidence EvidenceAttempt feeds it through the recorded session, so the page's verdict is the one
// the bundle claims. The antispoof / liveness models are not run per frame here (nor in analyze): passive fuses the
// kernels only.
import type { ChallengePlan } from '../challenge/plan.js';
import type { ChallengeEvent } from '../challenge/session.js';
import type { LivenessDecision } from '../decision/consensus.js';
import type { PassiveFrameFeatures } from '../decision/passive.js';
import type { PassiveImageFeatures } from '../kernels/passive.js';
import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { Point3, QualityMetrics } from '../types.js';
import { LivecheckError } from '../errors.js';
import { AttemptLog } from '../evidence/attempt.js';
import { EvidenceSession, type EvidenceFrameResult, type SessionDecision } from '../evidence/capture.js';
import type { FramePixels, JpegEncoder, RgbaImage } from '../evidence/recorder.js';
import type { DocumentBinding, EvidenceBundle } from '../evidence/bundle.js';
import type { ReplayOptions } from '../evidence/replay.js';
import { withIdentity } from '../decision/identity.js';
import type { IdentityCapture, ChipDescriber } from '../evidence/identity.js';

/**
 * The attempt without evidence: every frame until the one whose events end it goes to AttemptLog (later frames are
 * not the attempt's, as with evidence). Without a plan the attempt never ends and nothing can pass: the log then keeps
 * the last `window` to 2 x `window` frames, so a long preview does not grow without bound.
 */
export class AttemptRecorder {
  private readonly log: AttemptLog;
  private ended = false;

  /**
   * `identity`: the identity readings of this attempt (the worker feeds it the frames' chips); the decision then
   * goes through `withIdentity` (applyIdentity) before it is reported.
   */
  constructor(private readonly plan: ChallengePlan | null, readonly window = 240, readonly identity: IdentityCapture | null = null) {
    this.log = new AttemptLog(plan);
  }

  /**
   * The decision with the identity check applied: the chips are described now (once the attempt is over, off the
   * per-frame path) and a changed identity makes it `fail`. Without identity, the decision as it is.
   */
  async applyIdentity(decision: LivenessDecision): Promise<LivenessDecision> {
    if (!this.identity) return decision;
    return withIdentity(decision, await this.identity.judge());
  }

  /**
   * Records one frame; returns the decision when this frame's events end the attempt. `passive`: the kernels'
   * passiveFeatures on this frame's face box (null without a face), copied here.
   */
  push(
    timestampMs: number, landmarks: readonly Point3[] | null, geometry: FaceGeometry | null, quality: QualityMetrics,
    events: readonly ChallengeEvent[], passive: PassiveImageFeatures | null = null,
  ): LivenessDecision | null {
    if (this.ended) return null;
    const p: PassiveFrameFeatures | null = passive ? { timestampMs, moire: passive.moire, flicker: passive.flicker, deviceBorder: passive.deviceBorder, specular: passive.specular } : null;
    this.log.push({ timestampMs, landmarks, motion: quality.motion, geometry }, p, events);
    // trimmed in batches: the cost of dropping frames is paid once per `window` frames
    if (!this.plan && this.log.frames >= 2 * this.window) this.log.keepLast(this.window);
    for (const e of events) {
      if (e.type === 'attempt-ended') {
        this.ended = true;
        return this.decide(e.outcome === 'rejected' ? e.reason : null);
      }
    }
    return null;
  }

  get attemptEnded(): boolean {
    return this.ended;
  }

  /** The decision from what was seen so far (the stream ended before the attempt did, or no challenge). */
  decide(rejection: string | null = null): LivenessDecision {
    const decision = this.log.decide().decision;
    if (rejection) decision.reasons.push({ code: 'challenge-rejected', message: `the challenge attempt was rejected: ${rejection}` });
    return decision;
  }
}

/** What the worker needs to record the evidence bundle (WorkerSetup.evidence). */
export interface WorkerEvidenceSetup {
  /** The server's nonce: the one the challenge plan was derived from. */
  nonce: string;
  document: DocumentBinding;
  /** JPEG quality of the keyframes, 0..1. Default 0.85. */
  jpegQuality?: number;
}

/** JPEG quality of the identity chips: high, so the server's descriptors of the JPEG stay close to the client's. */
export const IDENTITY_JPEG_QUALITY = 0.92;

/** Keyframe encoder in a worker: the crop through an OffscreenCanvas, `convertToBlob` as JPEG. One canvas, reused. */
export function offscreenJpegEncoder(quality = 0.85): JpegEncoder {
  let canvas: OffscreenCanvas | null = null;
  let ctx: OffscreenCanvasRenderingContext2D | null = null;
  return async (image: RgbaImage) => {
    if (!canvas || canvas.width !== image.width || canvas.height !== image.height) {
      canvas = new OffscreenCanvas(image.width, image.height);
      ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D | null;
      if (!ctx) throw new LivecheckError('invalid-argument', 'OffscreenCanvas 2d context unavailable: no keyframe encoder');
    }
    const { data } = image;
    ctx!.putImageData(new ImageData(new Uint8ClampedArray(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength), image.width, image.height), 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
    return new Uint8Array(await blob.arrayBuffer());
  };
}

/**
 * The worker's attempt when the page asked for evidence: the bundle is recorded frame by frame (EvidenceSession) and
 * the decision is the one AttemptLog computes from the recorded frames, the code `verifyEvidence` replays, so the
 * verdict the page shows and the server's replay agree by construction. (Without evidence AttemptRecorder feeds the
 * same AttemptLog.)
 */
export class EvidenceAttempt {
  private ended = false;
  private bundle: Promise<EvidenceBundle> | null = null;
  private rejection: string | null = null;
  private sealing: Promise<SessionDecision> | null = null;
  /** The frame being recorded: a stop (close) waits for it, so the bundle is never sealed under a frame. */
  private recording: Promise<unknown> = Promise.resolve();

  private constructor(readonly session: EvidenceSession) {}

  /**
   * `engine.identity` set: the identity check runs, its chips described by `describe` when the attempt is sealed and
   * recorded as JPEG (`chipJpeg`, default quality IDENTITY_JPEG_QUALITY).
   */
  static async start(
    setup: WorkerEvidenceSetup, plan: ChallengePlan | null, engine: ReplayOptions, encodeJpeg: JpegEncoder = offscreenJpegEncoder(setup.jpegQuality),
    describe: ChipDescriber | null = null, chipJpeg?: JpegEncoder,
  ): Promise<EvidenceAttempt> {
    if (!plan) throw new LivecheckError('invalid-argument', 'evidence needs a challenge (the bundle binds the plan derived from the nonce)');
    const identity = engine.identity && describe ? { describe, encodeJpeg: chipJpeg ?? offscreenJpegEncoder(IDENTITY_JPEG_QUALITY) } : undefined;
    return new EvidenceAttempt(await EvidenceSession.start({ nonce: setup.nonce, document: setup.document, plan: plan.steps, engine, encodeJpeg, identity }));
  }

  /**
   * Records one analysed frame (awaited before the next: keyframes read `image`); returns the decision on the frame
   * whose events end the attempt. `pixels`: the frame's digest, started when the pixels arrived, or its bytes.
   */
  async push(image: RgbaImage, r: EvidenceFrameResult, passive: PassiveImageFeatures | null, pixels: FramePixels): Promise<LivenessDecision | null> {
    if (this.sealing) return null; // the attempt is over: later frames are not evidence
    const p: PassiveFrameFeatures | null = passive ? { timestampMs: r.analysis.timestampMs, moire: passive.moire, flicker: passive.flicker, deviceBorder: passive.deviceBorder, specular: passive.specular } : null;
    const recording = this.session.frame(image, r, p, pixels);
    this.recording = recording.catch(() => undefined);
    await recording;
    if (this.sealing) return null; // stopped while this frame was recorded: it is in, the decision was already made
    for (const e of r.challenge) {
      if (e.type === 'attempt-ended' && !this.ended) {
        this.ended = true;
        this.rejection = e.outcome === 'rejected' ? e.reason : null;
        return await this.seal();
      }
    }
    return null;
  }

  get attemptEnded(): boolean {
    return this.ended;
  }

  /** Time spent describing the identity chips (when the attempt was sealed), ms. */
  get identityMs(): number {
    return this.session.identity?.describeMs ?? 0;
  }

  /**
   * The stream stopped before the attempt ended: once the frame being recorded is in, the decision from what was
   * recorded, and the bundle is sealed (frames after this are not evidence).
   */
  async close(): Promise<LivenessDecision> {
    await this.recording;
    return this.seal();
  }

  private async seal(): Promise<LivenessDecision> {
    // one decision: the bundle is sealed with what this returns (identity described once, here)
    this.sealing ??= this.session.decide().then((decided) => {
      this.bundle ??= this.session.finish(decided);
      return decided;
    });
    const decided = await this.sealing;
    const decision = { ...decided.decision, reasons: [...decided.decision.reasons] };
    if (this.rejection) decision.reasons.push({ code: 'challenge-rejected', message: `the challenge attempt was rejected: ${this.rejection}` });
    return decision;
  }

  /** The sealed bundle (null before close). */
  evidence(): Promise<EvidenceBundle> | null {
    return this.bundle;
  }
}

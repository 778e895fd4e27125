// The end of an attempt, in the worker: the three signals from the per-frame stream (active from the challenge
// session, passive from the kernels' artefact scores on the face, motion from the tracked landmarks) into
// decideLiveness, the same way `livecheck analyze` builds them in Node, so both reach the same verdict on the same
// frames. The antispoof / liveness models are not run per frame here (nor in analyze): passive fuses the kernels only.
import type { ChallengeAction } from '../challenge/actions.js';
import type { ChallengePlan } from '../challenge/plan.js';
import type { ActionFailureReason, ActionResult, ChallengeEvent } from '../challenge/session.js';
import { activeSignal, challengeOutcomeFromSession } from '../decision/active.js';
import { decideLiveness, type LivenessDecision } from '../decision/consensus.js';
import { motionSignal, type MotionFrame } from '../decision/motion.js';
import { passiveSignal, type PassiveFrameFeatures } from '../decision/passive.js';
import type { PassiveImageFeatures } from '../kernels/passive.js';
import type { FaceGeometry } from '../geometry/face-geometry.js';
import type { Point3, QualityMetrics } from '../types.js';
import { LivecheckError } from '../errors.js';
import { EvidenceSession, type EvidenceFrameResult } from '../evidence/capture.js';
import type { FramePixels, JpegEncoder, RgbaImage } from '../evidence/recorder.js';
import type { DocumentBinding, EvidenceBundle } from '../evidence/bundle.js';
import type { ReplayOptions } from '../evidence/replay.js';

const MESH = 468;

/** Keeps the last `capacity` frames of landmarks and passive scores in buffers allocated once; builds the decision
 *  on demand. */
export class AttemptRecorder {
  private readonly frames: MotionFrame[];
  private readonly points: Point3[][];
  // per slot: the passive artefact scores of that frame's face, or hasPassive 0 (no face: nothing measured)
  private readonly passive: PassiveFrameFeatures[];
  private readonly hasPassive: Uint8Array;
  private next = 0;
  private count = 0;
  private failure: { step: number; action: ChallengeAction; reason: ActionFailureReason } | null = null;
  private results: ActionResult[] = [];
  private ended = false;

  constructor(private readonly plan: ChallengePlan | null, readonly capacity = 240) {
    this.points = Array.from({ length: capacity }, () => Array.from({ length: MESH }, (): Point3 => [0, 0, 0]));
    this.frames = Array.from({ length: capacity }, (_, i) => ({ timestampMs: 0, landmarks: this.points[i], global: { dx: 0, dy: 0 } }));
    this.passive = Array.from({ length: capacity }, () => ({ timestampMs: 0, moire: null, flicker: null, deviceBorder: null, specular: null }));
    this.hasPassive = new Uint8Array(capacity);
  }

  /**
   * Records one frame; returns the decision when this frame's events end the attempt. `passive`: the kernels'
   * passiveFeatures on this frame's face box (null without a face), copied here.
   */
  push(
    timestampMs: number, landmarks: readonly Point3[] | null, geometry: FaceGeometry | null, quality: QualityMetrics,
    events: readonly ChallengeEvent[], passive: PassiveImageFeatures | null = null,
  ): LivenessDecision | null {
    const f = this.frames[this.next];
    const p = this.passive[this.next];
    p.timestampMs = timestampMs;
    if (passive) {
      p.moire = passive.moire;
      p.flicker = passive.flicker;
      p.deviceBorder = passive.deviceBorder;
      p.specular = passive.specular;
    }
    this.hasPassive[this.next] = passive ? 1 : 0;
    f.timestampMs = timestampMs;
    if (landmarks && landmarks.length >= MESH) {
      const dst = this.points[this.next];
      for (let i = 0; i < MESH; i++) {
        const s = landmarks[i], d = dst[i];
        d[0] = s[0]; d[1] = s[1]; d[2] = s[2];
      }
      f.landmarks = dst;
    } else f.landmarks = null;
    if (geometry) {
      f.yawDeg = geometry.pose.yawDeg;
      f.pitchDeg = geometry.pose.pitchDeg;
      // the iris-model lid contour sees blinks that the mesh lids barely show (motion's non-rigid test)
      f.eyeOpenness = (geometry.rightEye.openness + geometry.leftEye.openness) / 2;
      f.mouthOpening = geometry.mouthOpening;
    } else {
      f.yawDeg = undefined;
      f.pitchDeg = undefined;
      f.eyeOpenness = undefined;
      f.mouthOpening = undefined;
    }
    const m = quality.motion;
    if (m && Number.isFinite(m.globalDx) && Number.isFinite(m.globalDy)) {
      f.global = f.global ?? { dx: 0, dy: 0 };
      f.global.dx = m.globalDx;
      f.global.dy = m.globalDy;
    } else f.global = null;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.capacity, this.count + 1);

    let decision: LivenessDecision | null = null;
    for (const e of events) {
      if (e.type === 'action-failed') this.failure = { step: e.step, action: e.action, reason: e.reason };
      if (e.type === 'attempt-ended' && !this.ended) {
        this.ended = true;
        this.results = e.results;
        decision = this.decide(e.outcome === 'rejected' ? e.reason : null);
      }
    }
    return decision;
  }

  get attemptEnded(): boolean {
    return this.ended;
  }

  /** The decision from what was seen so far (the stream ended before the attempt did, or no challenge). */
  decide(rejection: string | null = null): LivenessDecision {
    const ordered: MotionFrame[] = [];
    const passiveFrames: PassiveFrameFeatures[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (this.next - this.count + i + this.capacity) % this.capacity;
      ordered.push(this.frames[slot]);
      if (this.hasPassive[slot]) passiveFrames.push(this.passive[slot]);
    }
    const motion = ordered.filter((f) => f.landmarks).length >= 3 ? motionSignal({ frames: ordered }) : null;
    // no face on any frame: passive did not run (missing), rather than "unsure" from zero evidence
    const passive = passiveFrames.length > 0 ? passiveSignal(passiveFrames) : null;
    const active = this.plan ? activeSignal(challengeOutcomeFromSession(this.plan, this.results, this.failure)) : null;
    const decision = decideLiveness({ active, passive, motion });
    if (rejection) decision.reasons.push({ code: `challenge-rejected`, message: `the challenge attempt was rejected: ${rejection}` });
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
 * verdict the page shows and the server's replay agree by construction. (Without evidence the worker decides with
 * AttemptRecorder, whose motion signal also reads the geometry's eye and mouth apertures.)
 */
export class EvidenceAttempt {
  private ended = false;
  private bundle: Promise<EvidenceBundle> | null = null;
  private rejection: string | null = null;
  /** The frame being recorded: a stop (close) waits for it, so the bundle is never sealed under a frame. */
  private recording: Promise<unknown> = Promise.resolve();

  private constructor(readonly session: EvidenceSession) {}

  static async start(setup: WorkerEvidenceSetup, plan: ChallengePlan | null, engine: ReplayOptions, encodeJpeg: JpegEncoder = offscreenJpegEncoder(setup.jpegQuality)): Promise<EvidenceAttempt> {
    if (!plan) throw new LivecheckError('invalid-argument', 'evidence needs a challenge (the bundle binds the plan derived from the nonce)');
    return new EvidenceAttempt(await EvidenceSession.start({ nonce: setup.nonce, document: setup.document, plan: plan.steps, engine, encodeJpeg }));
  }

  /**
   * Records one analysed frame (awaited before the next: keyframes read `image`); returns the decision on the frame
   * whose events end the attempt. `pixels`: the frame's digest, started when the pixels arrived, or its bytes.
   */
  async push(image: RgbaImage, r: EvidenceFrameResult, passive: PassiveImageFeatures | null, pixels: FramePixels): Promise<LivenessDecision | null> {
    if (this.bundle) return null; // the attempt is over: later frames are not evidence
    const p: PassiveFrameFeatures | null = passive ? { timestampMs: r.analysis.timestampMs, moire: passive.moire, flicker: passive.flicker, deviceBorder: passive.deviceBorder, specular: passive.specular } : null;
    const recording = this.session.frame(image, r, p, pixels);
    this.recording = recording.catch(() => undefined);
    await recording;
    if (this.bundle) return null; // stopped while this frame was recorded: it is in, the decision was already made
    for (const e of r.challenge) {
      if (e.type === 'attempt-ended' && !this.ended) {
        this.ended = true;
        this.rejection = e.outcome === 'rejected' ? e.reason : null;
        return this.seal();
      }
    }
    return null;
  }

  get attemptEnded(): boolean {
    return this.ended;
  }

  /**
   * The stream stopped before the attempt ended: once the frame being recorded is in, the decision from what was
   * recorded, and the bundle is sealed (frames after this are not evidence).
   */
  async close(): Promise<LivenessDecision> {
    await this.recording;
    return this.seal();
  }

  private seal(): LivenessDecision {
    const decided = this.session.decide();
    this.bundle ??= this.session.finish(decided);
    const decision = decided.decision;
    if (this.rejection) decision.reasons.push({ code: 'challenge-rejected', message: `the challenge attempt was rejected: ${this.rejection}` });
    return decision;
  }

  /** The sealed bundle (null before close). */
  evidence(): Promise<EvidenceBundle> | null {
    return this.bundle;
  }
}

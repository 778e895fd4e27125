// One capture's evidence as a client records it, in a browser worker or in Node: every analysed frame chained with
// what the challenge and the signals read (EvidenceRecorder), the claim computed by AttemptLog from the same frames
// (the code the server replays), and one keyframe per plan step, taken on the frame that confirms the step, else
// at the step's evenly spaced share of the capture, else on the frame that ends the attempt (the first frame there
// with a face). No DOM, no Node built-ins: the JPEG encoder and the clock are injected.
import type { EngineFrameResult } from '../engine/engine.js';
import type { PassiveFrameFeatures } from '../decision/passive.js';
import { AttemptLog, planFromSteps, type AttemptDecision } from './attempt.js';
import { LivecheckError } from '../errors.js';
import { EvidenceRecorder, type FramePixels, type JpegEncoder, type RgbaImage } from './recorder.js';
import type { DocumentBinding, EvidenceBundle } from './bundle.js';
import type { ReplayOptions } from './replay.js';
import { withIdentity, type IdentityContinuity } from '../decision/identity.js';
import { IdentityCapture, identityClaim, resolveIdentityOptions, type ChipDescriber } from './identity.js';
import { MATCH_SIZE } from '../match/align.js';

export interface EvidenceSessionOptions {
  nonce: string;
  document: DocumentBinding;
  /** The challenge steps (planFromNonce(...).steps). */
  plan: ReadonlyArray<{ action: string; holdMs?: number }>;
  /** The engine options the capture runs with (their hash is the genesis' configHash). */
  engine?: ReplayOptions;
  encodeJpeg: JpegEncoder;
  /** Wall clock, epoch ms (genesis startedAt, end finishedAt). Default Date.now. */
  clock?: () => number;
  /** With no known capture length, step k's keyframe falls due at frame (k + 1) * this. Default 25 (1 s at 25 fps). */
  framesPerStep?: number;
  /**
   * The identity check: how faces are described (FaceRecognitionNet on a 150x150 chip) and, for its chips, the JPEG
   * encoder (default `encodeJpeg`). Its settings are `engine.identity` (bound into the configHash). Needed exactly
   * when `engine.identity` is set.
   */
  identity?: { describe: ChipDescriber; encodeJpeg?: JpegEncoder };
}

/** The decision of a session: the attempt's, and the identity continuity when the check runs (already applied). */
export interface SessionDecision extends AttemptDecision {
  identity: IdentityContinuity | null;
}

/** The parts of an engine result the evidence reads. */
export type EvidenceFrameResult = Pick<EngineFrameResult, 'analysis' | 'regions' | 'challenge' | 'geometry'>;

export class EvidenceSession {
  private readonly keyed: boolean[];
  private index = 0;

  private constructor(
    private readonly recorder: EvidenceRecorder,
    private readonly steps: ReadonlyArray<{ action: string }>,
    readonly log: AttemptLog,
    private readonly framesPerStep: number,
    /** The identity readings of this capture (null: the check is off). */
    readonly identity: IdentityCapture | null,
    private readonly chipJpeg: JpegEncoder,
  ) {
    this.keyed = steps.map(() => false);
  }

  static async start(o: EvidenceSessionOptions): Promise<EvidenceSession> {
    const settings = o.engine?.identity ? resolveIdentityOptions(o.engine.identity) : null;
    if (settings && !o.identity) throw new LivecheckError('invalid-argument', 'engine.identity is set: the evidence session needs identity.describe');
    if (!settings && o.identity) throw new LivecheckError('invalid-argument', 'identity.describe given without engine.identity (the settings bound into the configHash)');
    const recorder = await EvidenceRecorder.start({ nonce: o.nonce, plan: o.plan, document: o.document, engine: o.engine, clock: o.clock, encodeJpeg: o.encodeJpeg });
    const identity = settings && o.identity ? new IdentityCapture(settings, o.identity.describe) : null;
    return new EvidenceSession(recorder, o.plan, new AttemptLog(planFromSteps(o.plan)), o.framesPerStep ?? 25, identity, o.identity?.encodeJpeg ?? o.encodeJpeg);
  }

  /** Frames recorded so far. */
  get frames(): number {
    return this.index;
  }

  /**
   * One analysed frame: `image` is what the engine analysed (read here for keyframes, so it must stay unchanged until
   * this resolves), `pixels` its bytes or their digest already started (FramePixels), `passive` the passive features
   * measured on it. `total`: the capture's frame count when known (a file), else the keyframes fall due by
   * `framesPerStep`. Awaited frame by frame.
   */
  async frame(image: RgbaImage, r: EvidenceFrameResult, passive: PassiveFrameFeatures | null, pixels: FramePixels = image.data, total = Infinity): Promise<void> {
    const index = this.index++;
    const analysis = r.analysis;
    const appended = this.recorder.appendFrame(analysis, pixels, { regions: r.regions, passive });
    this.log.push({ timestampMs: analysis.timestampMs, landmarks: analysis.faces[0]?.landmarks ?? null, motion: analysis.quality.motion, geometry: r.geometry }, passive, r.challenge);
    const face = analysis.faces[0] ?? null;
    // the chip is cut now (the image is this frame's), described when the attempt is judged
    const chip = this.identity ? this.identity.frame(image, analysis.timestampMs, face ? face.landmarks : null, face && r.geometry ? r.geometry.pose : null) : null;
    const record = await appended;
    if (chip) chip.frameSeq = record.seq;
    if (analysis.faces.length === 0) return;
    const n = this.steps.length;
    // the frame that ends the attempt is the last chance to show the steps not yet shown (a failed or short attempt)
    const ending = r.challenge.some((e) => e.type === 'attempt-ended');
    for (let k = 0; k < n; k++) {
      if (this.keyed[k]) continue;
      const done = r.challenge.some((e) => e.type === 'action-done' && e.step === k);
      const spaced = Number.isFinite(total) ? index >= ((k + 1) * total) / (n + 1) : index >= (k + 1) * this.framesPerStep;
      if (!done && !spaced && !ending) continue;
      await this.recorder.addKeyframe(this.steps[k].action, image);
      this.keyed[k] = true;
    }
  }

  /**
   * The signals and the verdict from the frames so far: what the bundle claims, and what the server replays. With
   * the identity check, the chips not described yet are described here and a changed identity makes the verdict
   * `fail` (withIdentity).
   */
  async decide(): Promise<SessionDecision> {
    const decided = this.log.decide();
    if (!this.identity) return { ...decided, identity: null };
    const identity = await this.identity.judge();
    return { ...decided, decision: withIdentity(decided.decision, identity), identity };
  }

  /** Closes the chain: the identity chips (JPEG), then the claim (AttemptLog, identity), and returns the bundle. Once. */
  async finish(decided?: SessionDecision): Promise<EvidenceBundle> {
    const d = decided ?? (await this.decide());
    if (this.identity) {
      for (const chip of this.identity.chips) {
        const jpeg = await this.chipJpeg({ width: MATCH_SIZE, height: MATCH_SIZE, data: chip.rgba });
        await this.recorder.addIdentity(chip, jpeg, MATCH_SIZE, MATCH_SIZE);
      }
    }
    const claim = this.log.claim(d);
    claim.verdict = d.decision.verdict;
    claim.identity = d.identity ? identityClaim(d.identity) : null;
    return this.recorder.finish(claim);
  }
}

// One attempt, from its first frame to its decision, the same in every host (the browser worker, `livecheck analyze`,
// the server's replay of an evidence bundle): the frame interpreter (geometry, guidance, the challenge session, the
// free-running action detector), the inputs of the three signals, the identity readings and, when asked for, the
// evidence recorder. The host measures the frames (kernels, face tracker) and injects what differs between hosts:
// the JPEG encoders, the face describer and the clock. No DOM, no wasm, no Node built-ins here.
import type { ChallengePlan } from '../challenge/plan.js';
import { resolveDecisionConfig, type DecisionConfig } from '../decision/config.js';
import type { LivenessDecision } from '../decision/consensus.js';
import { withIdentity, type IdentityContinuity } from '../decision/identity.js';
import type { PassiveFrameFeatures } from '../decision/passive.js';
import type { SignalResult } from '../decision/signal.js';
import type { AttemptClaim, DocumentBinding, EvidenceBundle } from '../evidence/bundle.js';
import { IdentityCapture, identityClaim, resolveIdentityOptions, type ChipDescriber } from '../evidence/identity.js';
import { EvidenceRecorder, type JpegEncoder } from '../evidence/recorder.js';
import type { CaptureVideo } from '../evidence/video.js';
import type { RgbaImage } from '../image.js';
import { LivecheckError } from '../errors.js';
import type { FaceRegionStats, FaceWithContours } from '../geometry/face-geometry.js';
import type { FrameAnalysis } from '../types.js';
import { attemptConfigHash, type AttemptConfig } from './config.js';
import { FrameInterpreter, type FrameInterpretation } from './interpreter.js';
import { SignalLog, type AttemptSignals } from './signal-log.js';

export type { AttemptSignals } from './signal-log.js';

/** What the attempt records as evidence, and what it needs for it. */
export interface AttemptEvidence {
  /** The server's nonce: the one the plan was derived from. */
  nonce: string;
  document: DocumentBinding;
  /** Keyframe encoder (OffscreenCanvas in a worker, jpeg-js in Node). */
  encodeJpeg: JpegEncoder;
  /**
   * The capture video of the frames pushed so far (every frame the attempt recorded, in order), or why there is
   * none: called once, when the attempt is sealed. Default: no video (the server then cannot judge the pixels).
   */
  video?: () => Promise<CaptureVideo | { missing: string }>;
  /** Wall clock, epoch ms (genesis startedAt, end finishedAt). Default Date.now. */
  clock?: () => number;
  /** With no known capture length, step k's keyframe falls due at frame (k + 1) * this. Default 25. */
  framesPerStep?: number;
}

export interface AttemptOptions extends AttemptConfig {
  /** The challenge that runs (null: none; the active signal is then missing and nothing can pass). */
  plan: ChallengePlan | null;
  /** Describes an identity chip (FaceRecognitionNet). Needed exactly when `identity` is set. */
  describe?: ChipDescriber | null;
  evidence?: AttemptEvidence | null;
  /**
   * Without a plan the attempt never ends: then only the last `window` to 2 x `window` frames are kept, so a long
   * preview does not grow without bound. Default: all (a file ends).
   */
  window?: number;
}

/** The artefact scores the kernels measured on a frame's face (each 0..1, NaN: not measured). */
export type PassiveScores = Pick<PassiveFrameFeatures, 'moire' | 'flicker' | 'deviceBorder' | 'specular'>;

/** One frame's measurements: what the engine made of the pixels, or what an evidence record restores. */
export interface AttemptInput {
  analysis: FrameAnalysis;
  /** The primary face with its eye contours (null without a face). */
  face: FaceWithContours | null;
  /** Pixel cues of the primary face's regions (null: not measured). */
  regions: FaceRegionStats | null;
  /** The passive artefact scores of the primary face (null: not measured). */
  passive: PassiveScores | null;
}

/** The frame's pixels, for the evidence and the identity chips. */
export interface AttemptPixels {
  /** The whole frame, as analysed: keyframes and identity chips are cut from it. Must stay unchanged until push resolves. */
  image: RgbaImage | null;
  /** A saved crop of the face instead of the whole frame, with its origin in the frame (a pipelined host). */
  face?: { image: RgbaImage; x: number; y: number } | null;
  /** The capture's frame count when known (a file): keyframes then fall at evenly spaced shares of it. */
  total?: number;
}

/** One frame's interpretation, and the decision when this frame ended the attempt. */
export interface AttemptStep extends FrameInterpretation {
  decision: LivenessDecision | null;
}

export interface AttemptOutcome {
  signals: AttemptSignals;
  /** The verdict and its reasons, the identity check and a rejected challenge included. */
  decision: LivenessDecision;
  /** The identity continuity when the check runs. */
  identity: IdentityContinuity | null;
}

export class Attempt {
  readonly plan: ChallengePlan | null;
  readonly interpreter: FrameInterpreter;
  /** The identity readings of this attempt (null: the check is off). */
  readonly identity: IdentityCapture | null;
  private readonly config: DecisionConfig;
  private readonly window: number;
  private readonly recorder: EvidenceRecorder | null;
  private readonly evidenceOptions: AttemptEvidence | null;
  private readonly log: SignalLog;
  private readonly keyed: boolean[];
  private index = 0;
  /** Set once the attempt is decided: later frames are not the attempt's. */
  private sealing: Promise<AttemptOutcome> | null = null;
  private sealedBundle: Promise<EvidenceBundle> | null = null;
  /** The frame being pushed: finish waits for it, so the evidence is never sealed under a frame. */
  private pushing: Promise<unknown> = Promise.resolve();

  private constructor(options: AttemptOptions, recorder: EvidenceRecorder | null, identity: IdentityCapture | null) {
    this.plan = options.plan;
    this.interpreter = new FrameInterpreter({ ...options, plan: options.plan ?? undefined });
    this.config = resolveDecisionConfig(options.decision);
    this.window = options.window ?? Infinity;
    this.recorder = recorder;
    this.evidenceOptions = options.evidence ?? null;
    this.identity = identity;
    this.log = new SignalLog(options.plan);
    this.keyed = (options.plan?.steps ?? []).map(() => false);
  }

  /** Starts an attempt: checks the settings and, with evidence, opens the chain (genesis bound to the settings). */
  static async start(options: AttemptOptions): Promise<Attempt> {
    const settings = options.identity ? resolveIdentityOptions(options.identity) : null;
    if (settings && !options.describe) throw new LivecheckError('invalid-argument', 'the identity check is on: the attempt needs a face describer');
    let recorder: EvidenceRecorder | null = null;
    const e = options.evidence;
    if (e) {
      if (!options.plan) throw new LivecheckError('invalid-argument', 'evidence needs a challenge (the bundle binds the plan derived from the nonce)');
      const { describe: _d, evidence: _e, plan: _p, window: _w, ...config } = options;
      recorder = await EvidenceRecorder.start({
        nonce: e.nonce,
        plan: options.plan.steps,
        document: e.document,
        configHash: await attemptConfigHash(config),
        clock: e.clock,
        encodeJpeg: e.encodeJpeg,
      });
    }
    const identity = settings && options.describe ? new IdentityCapture(settings, options.describe) : null;
    return new Attempt(options, recorder, identity);
  }

  /** The decision rule's thresholds, resolved. */
  get decisionConfig(): DecisionConfig {
    return this.config;
  }

  /** Whether the attempt records evidence (the host then hands it each frame's pixels or their digest). */
  get recordsEvidence(): boolean {
    return this.recorder !== null;
  }

  /** Frames pushed (kept, without a plan). */
  get frames(): number {
    return this.log.frames;
  }

  /** Whether the challenge ended the attempt (later frames are not the attempt's). */
  get ended(): boolean {
    return this.sealing !== null;
  }

  /** Time spent on the identity check so far (cutting and describing chips), ms. */
  get identityMs(): number {
    return this.identity ? this.identity.cutMs + this.identity.describeMs : 0;
  }

  /**
   * Whether a frame with a face could need its pixels for an identity chip, before its pose is known (a pipelined
   * host saves the face's pixels only then). `ahead`: frames still to come through push before this one.
   */
  identityCandidate(ahead = 0): boolean {
    return this.identity !== null && !this.ended && this.identity.candidate(true, ahead);
  }

  /**
   * One measured frame, in time order: interprets it, records it (evidence, identity chip) and returns the
   * interpretation with the decision on the frame that ends the attempt. The interpretation is reused: valid until
   * the next push. Awaited frame by frame.
   */
  async push(input: AttemptInput, pixels: AttemptPixels | null = null): Promise<AttemptStep> {
    const i = this.interpreter.interpret(input.analysis, input.face, input.regions ?? undefined);
    const step = i as AttemptStep;
    step.decision = null;
    if (this.sealing) return step;
    const pushing = this.record(input, i, pixels);
    this.pushing = pushing.catch(() => undefined);
    await pushing;
    if (this.sealing) return step; // finished while this frame was recorded: it is in, the decision was made
    for (const e of i.challenge) {
      if (e.type === 'attempt-ended') {
        step.decision = (await this.seal()).decision;
        break;
      }
    }
    return step;
  }

  private async record(input: AttemptInput, i: FrameInterpretation, pixels: AttemptPixels | null): Promise<void> {
    const { analysis, face } = input;
    const t = analysis.timestampMs;
    const passive: PassiveFrameFeatures | null =
      input.passive && face ? { timestampMs: t, moire: input.passive.moire, flicker: input.passive.flicker, deviceBorder: input.passive.deviceBorder, specular: input.passive.specular } : null;
    const recorder = this.recorder;
    const appended = recorder ? recorder.appendFrame(analysis) : null;
    this.log.push({ timestampMs: t, landmarks: face ? face.landmarks : null, motion: analysis.quality.motion, geometry: i.geometry }, passive, i.challenge);
    // no plan: the attempt never ends; trimmed in batches, the cost of dropping frames is paid once per window
    if (!this.plan && this.log.frames >= 2 * this.window) this.log.keepLast(this.window);
    // the chip is cut now (the pixels are this frame's), described when the attempt is judged
    if (this.identity) {
      const pose = face && i.geometry ? i.geometry.pose : null;
      const saved = pixels?.face ?? null;
      const landmarks = face ? face.landmarks : null;
      if (saved) this.identity.frame(saved.image, t, landmarks, pose, saved.x, saved.y);
      else this.identity.frame(pixels?.image ?? null, t, landmarks, pose);
    }
    if (!recorder || !appended) return;
    await appended;
    const index = this.index++;
    if (analysis.faces.length === 0 || !pixels?.image) return;
    const steps = this.plan!.steps;
    const n = steps.length;
    const total = pixels.total ?? Infinity;
    const perStep = this.evidenceOptions?.framesPerStep ?? 25;
    // the frame that ends the attempt is the last chance to show the steps not yet shown (a failed or short attempt)
    const ending = i.challenge.some((e) => e.type === 'attempt-ended');
    for (let k = 0; k < n; k++) {
      if (this.keyed[k]) continue;
      const done = i.challenge.some((e) => e.type === 'action-done' && e.step === k);
      const spaced = Number.isFinite(total) ? index >= ((k + 1) * total) / (n + 1) : index >= (k + 1) * perStep;
      if (!done && !spaced && !ending) continue;
      await recorder.addKeyframe(steps[k].action, pixels.image);
      this.keyed[k] = true;
    }
  }

  /** The signals and the consensus over the frames so far, without the identity check (it describes faces). */
  signals(): { signals: AttemptSignals; decision: LivenessDecision } {
    return this.log.decide(this.config);
  }

  /** The decision from the frames so far, with the identity check (the chips not described yet are described here). */
  async decide(): Promise<AttemptOutcome> {
    const { signals, decision } = this.signals();
    if (!this.identity) return { signals, decision, identity: null };
    const identity = await this.identity.judge();
    return { signals, decision: withIdentity(decision, identity), identity };
  }

  /**
   * The stream ended (or the host stops): once the frame being pushed is in, the decision from what was seen, and
   * the evidence is sealed. Returns the same outcome however often it is called, and after the challenge ended it.
   */
  async finish(): Promise<AttemptOutcome> {
    await this.pushing;
    return this.seal();
  }

  private seal(): Promise<AttemptOutcome> {
    this.sealing ??= this.decide().then((outcome) => {
      if (this.recorder) this.sealedBundle = this.finishEvidence(outcome);
      return outcome;
    });
    return this.sealing;
  }

  private async finishEvidence(outcome: AttemptOutcome): Promise<EvidenceBundle> {
    const source = this.evidenceOptions!.video;
    let video: CaptureVideo | { missing: string };
    try {
      video = source ? await source() : { missing: 'no video encoder in this host' };
    } catch (e) {
      // a video that failed is no video: the capture goes to the server, which cannot judge it from pixels
      video = { missing: `the video encoder failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    return this.recorder!.finish(this.claim(outcome), video);
  }

  /** The claim for the evidence bundle's result record: the challenge's events, the signals and the verdict. */
  claim(outcome: Pick<AttemptOutcome, 'signals' | 'decision' | 'identity'>): AttemptClaim {
    const s = (r: SignalResult | null) => (r ? { verdict: r.verdict, score: r.score } : null);
    const { signals } = outcome;
    return {
      challenge: { events: this.log.events, ended: this.log.ended ? { ...this.log.ended } : null },
      signals: { active: s(signals.active), passive: s(signals.passive), motion: s(signals.motion) },
      verdict: outcome.decision.verdict,
      identity: outcome.identity ? identityClaim(outcome.identity) : null,
    };
  }

  /** The sealed evidence bundle (null before the attempt is decided, or without evidence). */
  evidence(): Promise<EvidenceBundle> | null {
    return this.sealedBundle;
  }
}

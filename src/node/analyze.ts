// analyzeVideo / captureVideo: the whole engine over a video file, through the attempt pipeline the browser worker
// runs (src/attempt); `livecheck analyze` (src/cli/analyze.ts) prints what they return. Events are the free-running
// action detector's (or, with a plan, the challenge's prompts and results too); guidance intervals come from the
// tracker's raised / cleared transitions. With `identity` (the CLI's default) the face is followed by
// FaceRecognitionNet on the sampling rule's chips; a change of person makes the verdict `fail`. With `evidence` the
// capture is recorded as the browser records it.
import type { ChallengePlan } from '../challenge/plan.js';
import type { ChallengeEvent } from '../challenge/session.js';
import type { DetectedAction } from '../challenge/action-detector.js';
import type { GuidanceCode } from '../guidance/codes.js';
import { LivecheckError } from '../errors.js';
import type { RgbaImage } from '../image.js';
import type { EngineFrameResult } from '../engine/engine.js';
import { DEFAULT_IDENTITY_CONFIG, type IdentityContinuity, type LivenessVerdict, type SignalResult } from '../decision/index.js';
import type { AttemptConfig } from '../attempt/config.js';
import type { DocumentBinding, EvidenceBundle } from '../evidence/bundle.js';
import type { IdentityOptions } from '../evidence/identity.js';
import type { NodeCapture } from './capture.js';

export type AnalyzeEventType = 'blink' | 'turn-left' | 'turn-right' | 'mouth-open' | 'nod' | 'smile';

/** The `--json` output. */
export interface AnalyzeReport {
  file: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  events: Array<{ type: AnalyzeEventType; start_ms: number; end_ms: number }>;
  guidance: Array<{ code: GuidanceCode; start_ms: number; end_ms: number }>;
  frames_skipped: number;
  /** The three liveness signals for the clip (active only with a plan). */
  signals?: { active?: SignalJson; passive: SignalJson; motion: SignalJson };
  /** Identity continuity (FaceRecognitionNet descriptors against the face at the start); absent when turned off. */
  identity?: IdentityJson;
  /**
   * The consensus, only with a plan (without one the active signal is missing and nothing could pass); `fail` when
   * the identity changed, whatever the signals said.
   */
  verdict?: LivenessVerdict;
  /** The decision's reasons, only with a plan (the signals', a rejected challenge's, the identity check's). */
  reasons?: Array<{ code: string; message: string }>;
}

export interface IdentityJson {
  /** Another person took over: `readings` consecutive readings (default 2) beyond `threshold`. */
  changed: boolean;
  /**
   * The largest distance to the starting face held over consecutive readings: what is compared with `threshold`
   * (null when there were too few readings to judge, or the check could not run).
   */
  maxDistance: number | null;
  /** The largest single reading's distance (a one-frame spike shows here only). */
  peakDistance: number | null;
  threshold: number;
  /** Readings used, the two that make the reference included. */
  readings: number;
  /** When the change began (the first far reading), ms. */
  changed_at_ms: number | null;
  /** Why the identity is not reported as continuous: identity-changed, identity-unknown (too few readings), model-missing. */
  reason?: string;
}

export interface SignalJson {
  score: number;
  verdict: SignalResult['verdict'];
  reasons: SignalResult['reasons'];
}

export interface AnalyzeOptions {
  plan?: ChallengePlan;
  mirrored?: boolean;
  modelDir?: string;
  maxFrames?: number;
  /** Start this far into the file (ms; frame times stay relative to the file's start). Default 0. */
  startMs?: number;
  /** The attempt's thresholds (guidance, challenge, actions, decision), as the browser takes them. */
  config?: Omit<AttemptConfig, 'identity' | 'mirrored'>;
  /** Called every frame with (frames done, frames expected or NaN). */
  onProgress?: (done: number, total: number) => void;
  /** Challenge events, as they happen (with --plan / --nonce). */
  onChallenge?: (e: ChallengeEvent) => void;
  /** Called after each frame is analysed, awaited. */
  onFrame?: (frame: RgbaImage, r: EngineFrameResult, index: number, total: number) => void | Promise<void>;
  /**
   * Run the identity check (models/facerec.onnx in `modelDir`): true or its settings. Off by default here, on by
   * default in the CLI. Without the model the check does not run (reported as model-missing), unless evidence is
   * recorded, which then fails with `model-missing`.
   */
  identity?: boolean | IdentityOptions;
}

export interface CaptureOptions extends AnalyzeOptions {
  plan: ChallengePlan;
  /** The nonce the plan was derived from, and the ID document the capture is bound to. */
  evidence: { nonce: string; document: DocumentBinding /** Wall clock of the capture's start (default now). */; startedAt?: number };
}

const REPORTED = new Set<string>(['blink', 'turn-left', 'turn-right', 'mouth-open', 'nod', 'smile']);

/** Runs the engine over a video file and summarises it. Throws `ffmpeg-missing` for non-y4m files without ffmpeg. */
export async function analyzeVideo(file: string, options: AnalyzeOptions = {}): Promise<AnalyzeReport> {
  return (await runVideo(file, options, null)).report;
}

/** analyzeVideo that also records the capture's evidence bundle, as the browser does (`analyze --evidence`). */
export async function captureVideo(file: string, options: CaptureOptions): Promise<{ report: AnalyzeReport; evidence: EvidenceBundle }> {
  const { report, evidence } = await runVideo(file, options, options.evidence);
  return { report, evidence: evidence! };
}

async function runVideo(file: string, options: AnalyzeOptions, evidence: CaptureOptions['evidence'] | null): Promise<{ report: AnalyzeReport; evidence: EvidenceBundle | null }> {
  const { probeVideo, decodeVideo } = await import('./media.js');
  const info = await probeVideo(file); // checks the file and ffmpeg before the models load
  const hooks = await import('./attempt.js');
  const identity = options.identity ? (options.identity === true ? {} : options.identity) : null;
  const describer = identity ? await hooks.openChipDescriber(options.modelDir) : null;
  if (identity && !describer && evidence) {
    throw new LivecheckError('model-missing', 'the identity check needs facerec.onnx in the models folder (or turn it off: --no-identity)', { modelDir: options.modelDir ?? null });
  }
  const { openNodeCapture } = await import('./capture.js');
  let capture: NodeCapture;
  try {
    capture = await openNodeCapture(
      {
        ...options.config,
        plan: options.plan,
        mirrored: options.mirrored,
        modelDir: options.modelDir,
        ...(describer && { identity, describe: describer.describe }),
      },
      // the wall clock of the capture start (default now); frame times advance it
      evidence && { nonce: evidence.nonce, document: evidence.document, startedAt: evidence.startedAt ?? Date.now() },
    );
  } catch (e) {
    await describer?.close();
    throw e;
  }
  const { engine } = capture;
  let lastT = 0;
  const report: AnalyzeReport = { file, width: info.width, height: info.height, fps: round(info.fps), frames: 0, events: [], guidance: [], frames_skipped: 0 };
  const open = new Map<GuidanceCode, number>();
  const addActions = (list: readonly DetectedAction[]) => {
    for (const a of list) if (REPORTED.has(a.type)) report.events.push({ type: a.type as AnalyzeEventType, start_ms: round(a.startMs), end_ms: round(a.endMs) });
  };
  const total = options.maxFrames !== undefined ? Math.min(options.maxFrames, info.frames ?? Infinity) : (info.frames ?? NaN);
  let outcome;
  let bundle: EvidenceBundle | null = null;
  try {
    for await (const f of decodeVideo(file, { reuse: true, maxFrames: options.maxFrames, startMs: options.startMs })) {
      lastT = f.timestampMs;
      const r = await capture.analyzeFrame(f, f.timestampMs, Number.isFinite(total) ? total : undefined);
      report.frames++;
      if (!r.guidance.usable) report.frames_skipped++;
      for (const c of r.guidance.raised) open.set(c, f.timestampMs);
      for (const c of r.guidance.cleared) {
        const start = open.get(c);
        if (start === undefined) continue;
        open.delete(c);
        report.guidance.push({ code: c, start_ms: round(start), end_ms: round(f.timestampMs) });
      }
      addActions(r.actions);
      if (options.onChallenge) for (const e of r.challenge) options.onChallenge(e);
      await options.onFrame?.(f, r, report.frames - 1, total);
      options.onProgress?.(report.frames, total);
    }
    addActions(engine.finish());
    if (report.frames === 0) throw new LivecheckError('decode-failed', `no frames decoded from ${file}`, { file });
    outcome = await engine.attempt.finish();
    bundle = await capture.evidence();
  } finally {
    try {
      await capture.close();
    } finally {
      await describer?.close();
    }
  }
  const lastMs = lastT;
  // codes still raised at the end run to the last frame
  for (const [code, start] of open) report.guidance.push({ code, start_ms: round(start), end_ms: round(lastMs) });
  report.events.sort((a, b) => a.start_ms - b.start_ms);
  report.guidance.sort((a, b) => a.start_ms - b.start_ms || a.code.localeCompare(b.code));
  const { signals, decision } = outcome;
  const json = (s: SignalResult): SignalJson => ({ score: round(s.score), verdict: s.verdict, reasons: s.reasons });
  report.signals = { passive: json(signals.passive), motion: json(signals.motion) };
  if (identity) report.identity = identityJson(outcome.identity, engine.attempt.identity?.options.config.maxDistance);
  if (options.plan && signals.active) {
    report.signals = { active: json(signals.active), ...report.signals };
    report.verdict = decision.verdict;
    report.reasons = decision.reasons.map(({ code, message }) => ({ code, message }));
  }
  return { report, evidence: bundle };
}

/**
 * The attempt's thresholds from a JSON file (`--config`): `{ decision?, guidance?, challenge?, actions? }`, each a
 * partial of its defaults. Validated here: an unknown key or a bad value is `invalid-argument` naming it.
 */
export async function readAttemptConfig(file: string): Promise<NonNullable<AnalyzeOptions['config']>> {
  const { readFileSync } = await import('node:fs');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new LivecheckError('invalid-argument', `--config: cannot read ${file} as JSON`, { file }, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new LivecheckError('invalid-argument', `--config: ${file} must hold a JSON object`, { file });
  const allowed = new Set(['decision', 'guidance', 'challenge', 'actions']);
  for (const key of Object.keys(json)) if (!allowed.has(key)) throw new LivecheckError('invalid-argument', `--config: unknown key ${key} (decision, guidance, challenge, actions)`, { file, key });
  const config = json as NonNullable<AnalyzeOptions['config']>;
  const { resolveAttemptConfig } = await import('../attempt/config.js');
  resolveAttemptConfig(config); // validates every threshold
  return config;
}

function identityJson(c: IdentityContinuity | null, threshold = DEFAULT_IDENTITY_CONFIG.maxDistance): IdentityJson {
  const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
  if (!c) return { changed: false, maxDistance: null, peakDistance: null, threshold, readings: 0, changed_at_ms: null, reason: 'model-missing' };
  const out: IdentityJson = {
    changed: c.verdict === 'changed',
    maxDistance: r3(c.distance),
    peakDistance: r3(c.peakDistance),
    threshold,
    readings: c.readings,
    changed_at_ms: c.changedAtMs === null ? null : round(c.changedAtMs),
  };
  if (c.verdict !== 'unchanged') out.reason = c.reasons[0].code;
  return out;
}

const round = (v: number) => Math.round(v * 100) / 100;

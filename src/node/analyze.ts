// `livecheck analyze <video>`: the whole engine over a video file. Events are the free-running action detector's
// (or, with --plan / --nonce, the challenge's prompts and results too); guidance intervals come from the tracker's
// raised / cleared transitions. With `identity` (the CLI's default) FaceRecognitionNet follows who is in front of the
// camera (src/node/identity.ts); a change of person makes the verdict `fail`.
import { basename } from 'node:path';
import { planFromNonce, type ChallengePlan } from '../challenge/plan.js';
import { isChallengeAction, type ChallengeAction } from '../challenge/actions.js';
import type { ChallengeEvent } from '../challenge/session.js';
import type { DetectedAction } from '../challenge/action-detector.js';
import type { GuidanceCode } from '../guidance/codes.js';
import { LivecheckError, isLivecheckError } from '../errors.js';
import type { CliCommand, CliIo, EXIT as ExitCodes, parseArgs as ParseArgs } from './cli.js';
import type { RgbaFrame } from '../face/frame.js';
import type { EngineFrameResult } from '../engine/engine.js';
import {
  withIdentity, DEFAULT_IDENTITY_CONFIG, type IdentityConfig, type IdentityContinuity, type LivenessVerdict, type PassiveFrameFeatures, type SignalResult,
} from '../decision/index.js';
import { AttemptLog } from '../evidence/attempt.js';
import type { ReplayOptions } from '../evidence/replay.js';
import type { IdentitySampler, IdentitySamplerOptions } from './identity.js';

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

export interface SignalJson { score: number; verdict: SignalResult['verdict']; reasons: SignalResult['reasons'] }

export interface AnalyzeOptions {
  plan?: ChallengePlan;
  mirrored?: boolean;
  modelDir?: string;
  maxFrames?: number;
  /** Start this far into the file (ms; frame times stay relative to the file's start). Default 0. */
  startMs?: number;
  /** Further engine options (guidance / challenge / action thresholds), as an evidence capture binds them. */
  engine?: ReplayOptions;
  /** Called every frame with (frames done, frames expected or NaN). */
  onProgress?: (done: number, total: number) => void;
  /** Challenge events, as they happen (with --plan / --nonce). */
  onChallenge?: (e: ChallengeEvent) => void;
  /** Called after each frame is analysed, awaited (evidence recording: src/node/verify.ts EvidenceCapture). */
  onFrame?: (frame: RgbaFrame, r: EngineFrameResult, index: number, total: number, passive: PassiveFrameFeatures | null) => Promise<void>;
  /**
   * Run the identity check (models/facerec.onnx in `modelDir`): true or sampler options. Off by default here, on by
   * default in the CLI. Ignored with `identityFrom`.
   */
  identity?: boolean | IdentitySamplerOptions;
  /**
   * The identity readings of an evidence capture fed by `onFrame` (EvidenceCapture.identity: chips cut on the
   * sampling rule's frames, described when judged): the report's identity and verdict are their judgement, the one
   * the bundle claims, and no sampler of analyze's own runs (the faces are described once).
   */
  identityFrom?: { judge(): Promise<IdentityContinuity>; readonly options: { config: IdentityConfig } } | null;
}

const REPORTED = new Set<string>(['blink', 'turn-left', 'turn-right', 'mouth-open', 'nod', 'smile']);

/** Runs the engine over a video file and summarises it. Throws `ffmpeg-missing` for non-y4m files without ffmpeg. */
export async function analyzeVideo(file: string, options: AnalyzeOptions = {}): Promise<AnalyzeReport> {
  const { probeVideo, decodeVideo } = await import('./media.js');
  const info = await probeVideo(file); // checks the file and ffmpeg before the models load
  const { createNodeEngine } = await import('../engine/node.js');
  const engine = await createNodeEngine({ ...options.engine, plan: options.plan, mirrored: options.mirrored ?? options.engine?.mirrored, modelDir: options.modelDir });
  let identity: IdentitySampler | null = null;
  let identityModelMissing = false;
  const identityFrom = options.identityFrom ?? null;
  if (options.identity && !identityFrom) {
    try {
      const { IdentitySampler } = await import('./identity.js');
      identity = await IdentitySampler.open(options.modelDir, options.identity === true ? {} : options.identity);
      identityModelMissing = identity === null;
    } catch (e) {
      await engine.close();
      throw e;
    }
  }
  const report: AnalyzeReport = { file, width: info.width, height: info.height, fps: round(info.fps), frames: 0, events: [], guidance: [], frames_skipped: 0 };
  const open = new Map<GuidanceCode, number>();
  const addActions = (list: readonly DetectedAction[]) => {
    for (const a of list) if (REPORTED.has(a.type)) report.events.push({ type: a.type as AnalyzeEventType, start_ms: round(a.startMs), end_ms: round(a.endMs) });
  };
  const total = options.maxFrames !== undefined ? Math.min(options.maxFrames, info.frames ?? Infinity) : info.frames ?? NaN;
  let lastT = 0;
  // the signals and the verdict come from AttemptLog, the code an evidence bundle's claim (and the server's replay,
  // and the browser worker) decides with, so `--json` and `--evidence` cannot disagree
  const attempt = new AttemptLog(options.plan ?? null);
  try {
    for await (const f of decodeVideo(file, { reuse: true, maxFrames: options.maxFrames, startMs: options.startMs })) {
      const r = await engine.analyzeFrame(f, f.timestampMs);
      lastT = f.timestampMs;
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
      const face = r.analysis.faces[0] ?? null;
      let passive: PassiveFrameFeatures | null = null;
      if (face) {
        const p = engine.kernels.passiveFeatures(face.box);
        passive = { timestampMs: f.timestampMs, moire: p.moire, flicker: p.flicker, deviceBorder: p.deviceBorder, specular: p.specular };
      }
      attempt.push({ timestampMs: f.timestampMs, landmarks: face?.landmarks ?? null, motion: r.analysis.quality.motion, geometry: r.geometry }, passive, r.challenge);
      if (options.onChallenge) for (const e of r.challenge) options.onChallenge(e);
      if (identity) await identity.frame(f, f.timestampMs, face?.landmarks ?? null, face && r.geometry ? r.geometry.pose : null);
      await options.onFrame?.(f, r, report.frames - 1, total, passive);
      options.onProgress?.(report.frames, total);
    }
    addActions(engine.finish());
  } finally {
    try { await engine.close(); } finally { await identity?.close(); }
  }
  // codes still raised at the end run to the last frame
  for (const [code, start] of open) report.guidance.push({ code, start_ms: round(start), end_ms: round(lastT) });
  report.events.sort((a, b) => a.start_ms - b.start_ms);
  report.guidance.sort((a, b) => a.start_ms - b.start_ms || a.code.localeCompare(b.code));
  if (report.frames === 0) throw new LivecheckError('decode-failed', `no frames decoded from ${file}`, { file });
  // the antispoof / liveness models are not run here: the passive signal fuses the kernels' artefact scores
  const { signals, decision } = attempt.decide();
  const json = (s: SignalResult): SignalJson => ({ score: round(s.score), verdict: s.verdict, reasons: s.reasons });
  report.signals = { passive: json(signals.passive), motion: json(signals.motion) };
  const continuity = identityFrom ? await identityFrom.judge() : identity ? identity.result() : null;
  if (identityFrom || identity || identityModelMissing) report.identity = identityJson(continuity, (identityFrom ? identityFrom.options.config : identity?.config)?.maxDistance);
  if (options.plan && signals.active) {
    report.signals = { active: json(signals.active), ...report.signals };
    // a change of person makes the verdict `fail` (with --evidence the bundle claims the same: EvidenceSession.decide)
    report.verdict = (continuity ? withIdentity(decision, continuity) : decision).verdict;
  }
  return report;
}

function identityJson(c: IdentityContinuity | null, threshold = DEFAULT_IDENTITY_CONFIG.maxDistance): IdentityJson {
  const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
  if (!c) return { changed: false, maxDistance: null, peakDistance: null, threshold, readings: 0, changed_at_ms: null, reason: 'model-missing' };
  const out: IdentityJson = {
    changed: c.verdict === 'changed', maxDistance: r3(c.distance), peakDistance: r3(c.peakDistance), threshold, readings: c.readings,
    changed_at_ms: c.changedAtMs === null ? null : round(c.changedAtMs),
  };
  if (c.verdict !== 'unchanged') out.reason = c.reasons[0].code;
  return out;
}

const round = (v: number) => Math.round(v * 100) / 100;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** `--plan blink,turn-left` (a fixed script) with `--nonce`, or `--nonce` alone (three random actions). */
async function planOf(planArg: string | true | undefined, nonceArg: string | true | undefined): Promise<ChallengePlan | undefined> {
  if (planArg === undefined && nonceArg === undefined) return undefined;
  if (planArg === true || nonceArg === true) throw new LivecheckError('invalid-argument', '--plan and --nonce need a value');
  let nonce: Uint8Array | string;
  if (nonceArg !== undefined) {
    if (!/^([0-9a-fA-F]{2})+$/.test(nonceArg)) throw new LivecheckError('invalid-argument', `--nonce must be hex, got ${nonceArg}`, { option: 'nonce' });
    nonce = Uint8Array.from(nonceArg.match(/../g)!.map((h) => parseInt(h, 16)));
  } else {
    nonce = 'livecheck-analyze-cli'; // a fixed script needs no randomness; the nonce only names the plan
  }
  if (planArg === undefined) return planFromNonce(nonce, { actions: 'random', count: 3 });
  const script = planArg.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of script) if (!isChallengeAction(a)) throw new LivecheckError('invalid-argument', `--plan: unknown action "${a}" (blink, turn-left, turn-right, mouth-open, nod, smile)`, { option: 'plan' });
  return planFromNonce(nonce, { script: script as ChallengeAction[] });
}

function progressBar(stream: NodeJS.WriteStream): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const pct = Number.isFinite(total) && total > 0 ? Math.min(1, done / total) : NaN;
    const tick = Number.isNaN(pct) ? Math.floor(done / 25) : Math.floor(pct * 100);
    if (tick === last) return;
    last = tick;
    const width = 30;
    const bar = Number.isNaN(pct) ? '' : `[${'#'.repeat(Math.round(pct * width)).padEnd(width, '.')}] ${Math.round(pct * 100)}% `;
    stream.write(`\r${bar}${done}${Number.isFinite(total) ? `/${total}` : ''} frames`);
  };
}

/** The CLI helpers the command uses, handed in by cli.ts (no import back into cli.ts: no module cycle). */
export interface CliHelpers {
  EXIT: typeof ExitCodes;
  parseArgs: typeof ParseArgs;
  defaultModelDir: () => string;
}

export function analyzeCommand({ EXIT, parseArgs, defaultModelDir }: CliHelpers): CliCommand {
  return {
    summary: 'run the liveness engine over a video: actions, guidance intervals, skipped frames',
    usage: `livecheck analyze <video> [options]

Runs face tracking, quality kernels, geometry, guidance and action detection on every frame. y4m is read
directly; other formats need ffmpeg on the PATH (or FFMPEG_PATH).

With --json prints one JSON object:
  { "file", "width", "height", "fps", "frames",
    "events": [ { "type": "blink"|"turn-left"|"turn-right"|"mouth-open"|"nod"|"smile", "start_ms", "end_ms" } ],
    "guidance": [ { "code", "start_ms", "end_ms" } ], "frames_skipped",
    "signals": { "active"?, "passive", "motion" }: each { "score", "verdict": "live"|"spoof"|"unsure", "reasons" },
    "identity"?: { "changed", "maxDistance", "peakDistance", "threshold", "readings", "changed_at_ms", "reason"? },
    "verdict"?: "pass"|"fail"|"review" }   (active and verdict only with --plan / --nonce)
The identity check describes the face (models/facerec.onnx) on every 5th frame with a frontal face; another person
in 2 consecutive readings makes "changed" true and the verdict "fail" (reason identity-changed). "reason" is
identity-changed, identity-unknown (too few readings) or model-missing (no facerec.onnx: the check did not run).
Times are the frames' timestamps in ms from the start of the file. turn-left is the person's own left on an
unmirrored camera (pass --mirrored for selfie-preview recordings).

Options:
  --json               JSON output (default: a readable summary)
  --plan <a,b,...>     also run a challenge with this fixed script (blink, turn-left, turn-right, mouth-open, nod, smile)
  --nonce <hex>        challenge nonce (alone: three actions drawn from it)
  --mirrored           the video is mirrored (selfie preview)
  --no-identity        skip the identity check (no "identity" in the output; the verdict is the signals' alone)
  --max-frames <n>     stop after n frames
  --models <dir>       folder with the models (default: the package's)
  --progress           progress bar on stderr even when stderr is not a terminal
  --evidence <file>    write this capture's evidence bundle (needs --nonce and --document; \`livecheck verify\` checks it).
                       With the identity check it records the checked faces (150x150 JPEG chips) and the claimed
                       continuity, and claims the verdict printed here; verify it with the same --no-identity
  --document <file>    the ID document metadata (JSON with uploadedAt) the bundle is bound to`,
    async run(args, io) {
      const { options, positional } = parseArgs(args, ['json', 'mirrored', 'progress', 'help', 'no-identity']);
      if (options.has('help')) { io.stdout(this.usage); return EXIT.ok; }
      if (positional.length !== 1) { io.stderr(`livecheck analyze: give exactly one video file\n\n${this.usage}`); return EXIT.usage; }
      const file = positional[0];
      const plan = await planOf(options.get('plan'), options.get('nonce'));
      const maxArg = options.get('max-frames');
      const maxFrames = maxArg === undefined ? undefined : Number(maxArg);
      if (maxFrames !== undefined && !(Number.isInteger(maxFrames) && maxFrames > 0)) throw new LivecheckError('invalid-argument', `--max-frames must be a positive integer, got ${String(maxArg)}`);
      const modelDir = typeof options.get('models') === 'string' ? String(options.get('models')) : defaultModelDir();
      const showProgress = options.has('progress') || process.stderr.isTTY === true;
      const challenge: ChallengeEvent[] = [];
      let report: AnalyzeReport;
      const evidenceOut = options.get('evidence');
      const identity = !options.has('no-identity');
      let capture: import('./verify.js').EvidenceCapture | null = null;
      try {
        if (evidenceOut !== undefined) {
          const nonce = options.get('nonce'), doc = options.get('document');
          if (typeof evidenceOut !== 'string' || typeof nonce !== 'string' || typeof doc !== 'string' || !plan) throw new LivecheckError('invalid-argument', '--evidence <file> needs --nonce <hex> and --document <meta.json>');
          const { EvidenceCapture, readDocumentBinding } = await import('./verify.js');
          // the identity check with its defaults is part of the engine options the bundle binds (its configHash),
          // so \`livecheck verify\` replays it exactly when it was run (its own --no-identity otherwise)
          capture = await EvidenceCapture.start({
            nonce, document: await readDocumentBinding(doc), plan: plan.steps, modelDir,
            engine: { mirrored: options.has('mirrored'), ...(identity && { identity: {} }) },
          });
        }
        report = await analyzeVideo(file, {
          plan, mirrored: options.has('mirrored'), modelDir, maxFrames, identity,
          // with evidence the capture's chips are the identity readings: the bundle claims what --json prints
          identityFrom: capture?.identity,
          onProgress: showProgress ? progressBar(process.stderr) : undefined,
          onChallenge: (e) => challenge.push(e),
          onFrame: capture ? (f, r, i, n, p) => capture!.frame(f, r, i, n, p) : undefined,
        });
        if (capture && typeof evidenceOut === 'string') {
          const { serializeEvidence } = await import('../evidence/bundle.js');
          (await import('node:fs')).writeFileSync(evidenceOut, serializeEvidence(await capture.finish()));
        }
      } catch (e) {
        if (isLivecheckError(e, 'model-missing') || isLivecheckError(e, 'model-corrupt')) {
          io.stderr(`livecheck analyze: ${e.message}\nBuild the models with \`npm run build:models\` or pass --models <dir>.`);
          return EXIT.usage;
        }
        if (isLivecheckError(e, 'ffmpeg-missing')) {
          io.stderr(`livecheck analyze: ${e.message} (${e.code})\nOnly y4m files are read without ffmpeg: convert with \`ffmpeg -i ${basename(file)} out.y4m\` elsewhere, or install ffmpeg.`);
          return EXIT.usage;
        }
        throw e;
      } finally {
        await capture?.close();
        if (showProgress) process.stderr.write('\n');
      }
      if (options.has('json')) {
        io.stdout(JSON.stringify(report));
        return EXIT.ok;
      }
      io.stdout(summary(report, challenge));
      return EXIT.ok;
    },
  };
}

function summary(r: AnalyzeReport, challenge: readonly ChallengeEvent[]): string {
  const lines = [
    `${r.file}: ${r.width}x${r.height}, ${r.fps} fps, ${r.frames} frames (${seconds((r.frames * 1000) / (r.fps || 1))}), ${r.frames_skipped} skipped as low-information`,
    `actions (${r.events.length}):`,
    ...r.events.map((e) => `  ${seconds(e.start_ms).padStart(8)} - ${seconds(e.end_ms).padEnd(8)} ${e.type}`),
    `guidance (${r.guidance.length}):`,
    ...r.guidance.map((g) => `  ${seconds(g.start_ms).padStart(8)} - ${seconds(g.end_ms).padEnd(8)} ${g.code}`),
  ];
  if (r.identity) {
    const i = r.identity;
    lines.push(i.reason === 'model-missing' ? 'identity: not checked (no facerec.onnx)'
      : `identity: ${i.changed ? `CHANGED at ${seconds(i.changed_at_ms ?? 0)}` : i.reason === 'identity-unknown' ? 'unknown (too few frontal readings)' : 'same person'}` +
        ` (${i.readings} readings, sustained distance ${i.maxDistance ?? '-'}, limit ${i.threshold})`);
  }
  if (r.verdict) lines.push(`verdict: ${r.verdict}`);
  if (challenge.length) {
    lines.push('challenge:');
    for (const e of challenge) {
      if (e.type === 'prompt') lines.push(`  ${seconds(e.timestampMs).padStart(8)} prompt ${e.action}`);
      else if (e.type === 'action-done') lines.push(`  ${seconds(e.timestampMs).padStart(8)} done ${e.action}`);
      else if (e.type === 'action-failed') lines.push(`  ${seconds(e.timestampMs).padStart(8)} failed ${e.action}: ${e.reason}`);
      else if (e.type === 'attempt-ended') lines.push(`  ${seconds(e.timestampMs).padStart(8)} ended: ${e.outcome}${e.reason ? ` (${e.reason})` : ''}`);
    }
  }
  return lines.join('\n');
}

export type { CliIo };

// `livecheck analyze <video>`: analyzeVideo / captureVideo (src/node/analyze.ts) over one file, printed as a summary or
// as the `--json` report; with --evidence the capture's bundle is written for `livecheck verify`.
import { basename } from 'node:path';
import { planFromNonce, type ChallengePlan } from '../challenge/plan.js';
import { isChallengeAction, type ChallengeAction } from '../challenge/actions.js';
import type { ChallengeEvent } from '../challenge/session.js';
import { LivecheckError, isLivecheckError } from '../errors.js';
import { analyzeVideo, captureVideo, readAttemptConfig, type AnalyzeOptions, type AnalyzeReport } from '../node/analyze.js';
import { EXIT, HELP, defaultModelDir, numberOption, parseArgs, type CliCommand } from './args.js';
import { readDocumentBinding } from './document.js';

const OPTIONS = {
  ...HELP,
  json: { type: 'boolean' },
  plan: { type: 'string' },
  nonce: { type: 'string' },
  'max-gap-ms': { type: 'string' },
  mirrored: { type: 'boolean' },
  'no-identity': { type: 'boolean' },
  'max-frames': { type: 'string' },
  models: { type: 'string' },
  progress: { type: 'boolean' },
  evidence: { type: 'string' },
  document: { type: 'string' },
  config: { type: 'string' },
} as const;

export const analyzeCommand: CliCommand = {
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
  --nonce <nonce>      challenge nonce as the server issued it (alone: three actions drawn from it)
  --max-gap-ms <ms>    longest nonce-drawn gap before each prompt (default 2000, 0 = none)
  --mirrored           the video is mirrored (selfie preview)
  --no-identity        skip the identity check (no "identity" in the output; the verdict is the signals' alone)
  --max-frames <n>     stop after n frames
  --models <dir>       folder with the models (default: the package's)
  --progress           progress bar on stderr even when stderr is not a terminal
  --evidence <file>    write this capture's evidence bundle, the capture video inside (encoded with ffmpeg, VP8, even
                       for y4m input; needs --nonce and --document; \`livecheck verify\` decides from it).
                       With the identity check it claims the continuity and the verdict printed here (the server
                       runs the check on the video itself); verify it with the same --no-identity
  --document <file>    the ID document metadata (JSON with uploadedAt) the bundle is bound to
  --config <file>      thresholds as JSON: { "decision", "guidance", "challenge", "actions" } (each a partial of
                       its defaults, as createLivenessCheck takes them); bound into the evidence's configHash`,
  async run(args, io) {
    const { values, positionals } = parseArgs(args, OPTIONS);
    if (values.help) {
      io.stdout(this.usage);
      return EXIT.ok;
    }
    if (positionals.length !== 1) {
      io.stderr(`livecheck analyze: give exactly one video file\n\n${this.usage}`);
      return EXIT.usage;
    }
    const file = positionals[0];
    const plan = await planOf(values.plan, values.nonce, numberOption(values, 'max-gap-ms', 0));
    const maxFrames = numberOption(values, 'max-frames', 1);
    const modelDir = values.models ?? defaultModelDir();
    const showProgress = values.progress === true || process.stderr.isTTY === true;
    const challenge: ChallengeEvent[] = [];
    let report: AnalyzeReport;
    const evidenceOut = values.evidence;
    const identity = !values['no-identity'];
    const config = values.config !== undefined ? await readAttemptConfig(values.config) : undefined;
    try {
      const common: AnalyzeOptions = {
        plan,
        mirrored: values.mirrored === true,
        modelDir,
        maxFrames,
        identity,
        config,
        onProgress: showProgress ? progressBar(process.stderr) : undefined,
        onChallenge: (e) => challenge.push(e),
      };
      if (evidenceOut !== undefined) {
        const nonce = values.nonce,
          doc = values.document;
        if (nonce === undefined || doc === undefined || !plan) throw new LivecheckError('invalid-argument', '--evidence <file> needs --nonce <nonce> and --document <meta.json>');
        // the settings (identity included) are bound into the bundle's configHash: `livecheck verify` replays
        // with the same ones (its own --no-identity, --config)
        const captured = await captureVideo(file, { ...common, plan, evidence: { nonce, document: await readDocumentBinding(doc) } });
        report = captured.report;
        const { serializeEvidence } = await import('../evidence/bundle.js');
        (await import('node:fs')).writeFileSync(evidenceOut, serializeEvidence(captured.evidence));
      } else {
        report = await analyzeVideo(file, common);
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
      if (showProgress) process.stderr.write('\n');
    }
    if (values.json) {
      io.stdout(JSON.stringify(report));
      return EXIT.ok;
    }
    io.stdout(summary(report, challenge));
    return EXIT.ok;
  },
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** `--plan blink,turn-left` (a fixed script) with `--nonce`, or `--nonce` alone (three random actions). */
async function planOf(planArg: string | undefined, nonceArg: string | undefined, maxGapMs: number | undefined): Promise<ChallengePlan | undefined> {
  if (planArg === undefined && nonceArg === undefined) return undefined;
  // the nonce as the server issued it, as the browser takes it: the plan comes from its UTF-8 bytes; a fixed script
  // without one needs no randomness, the nonce then only names the plan
  const nonce = nonceArg ?? 'livecheck-analyze-cli';
  const gaps = maxGapMs === undefined ? {} : { maxGapMs };
  if (planArg === undefined) return planFromNonce(nonce, { actions: 'random', count: 3, ...gaps });
  const script = planArg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const a of script)
    if (!isChallengeAction(a)) throw new LivecheckError('invalid-argument', `--plan: unknown action "${a}" (blink, turn-left, turn-right, mouth-open, nod, smile)`, { option: 'plan' });
  return planFromNonce(nonce, { script: script as ChallengeAction[], ...gaps });
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
    lines.push(
      i.reason === 'model-missing'
        ? 'identity: not checked (no facerec.onnx)'
        : `identity: ${i.changed ? `CHANGED at ${seconds(i.changed_at_ms ?? 0)}` : i.reason === 'identity-unknown' ? 'unknown (too few frontal readings)' : 'same person'}` +
            ` (${i.readings} readings, sustained distance ${i.maxDistance ?? '-'}, limit ${i.threshold})`,
    );
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

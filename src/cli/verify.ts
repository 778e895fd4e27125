// `livecheck verify <bundle.json> --nonce <nonce> --document <meta.json>`: the server's re-verification of an evidence
// bundle (verifyEvidence, src/verify/evidence.ts) with the real face pipeline (createNodeReanalyzer, src/node/).
import { readFileSync } from 'node:fs';
import { LivecheckError, isLivecheckError } from '../errors.js';
import { EXIT, HELP, numberOption, parseArgs, verificationModelDir, type CliCommand } from './args.js';
import { readDocumentBinding } from './document.js';

const OPTIONS = {
  ...HELP,
  nonce: { type: 'string' },
  document: { type: 'string' },
  plan: { type: 'string' },
  now: { type: 'string' },
  'max-gap-ms': { type: 'string' },
  mirrored: { type: 'boolean' },
  'no-identity': { type: 'boolean' },
  config: { type: 'string' },
  photo: { type: 'string' },
  json: { type: 'boolean' },
  models: { type: 'string' },
} as const;

export const verifyCommand: CliCommand = {
  summary: 'verify an evidence bundle as the server: its bindings, then the engine re-run on the capture video',
  usage: `livecheck verify <bundle.json> --nonce <nonce> --document <meta.json> [options]

Checks the bundle as the server would: the hash chain, that it is bound to this nonce and document, the challenge
plan derived from the nonce, the capture time window, that the capture video's packets are the recorded chunks and
the keyframes are intact; then decodes the video and runs the whole engine on it (quality, face tracking, the
challenge with the plan from the nonce, the three signals, the identity check unless --no-identity), measures the
camera-injection cues and compares each keyframe with its decoded frame. The verdict is the server's own; the
client's records and claim are compared with it ("client-agreement"). Exits 0 when the verdict is pass and every
check passed, 1 otherwise.

With --json prints { "ok", "verdict", "reasons": [ { "code", "message" } ], "checks": [ { "name", "ok", "detail" } ] }.

Options:
  --nonce <nonce>      the nonce the capture was issued, as the server issued it (required)
  --document <file>    the ID document metadata, JSON with uploadedAt (required)
  --plan <a,b,...>     the fixed challenge script, when analyze was given one
  --max-gap-ms <ms>    the prompt gap limit the capture's plan was drawn with (as analyze --max-gap-ms)
  --now <ms|iso>       server time to check against (default: now)
  --mirrored           the capture was analysed mirrored (as analyze --mirrored): the server's run is too
  --no-identity        the capture ran without the identity check (as analyze --no-identity). By default the
                       server runs it on the video (models/facerec.onnx), as analyze and the browser do. A bundle
                       captured the other way fails "version" (its configHash is not the server's)
  --config <file>      the thresholds the capture ran with (as analyze --config): the server applies them and
                       their hash must be the bundle's configHash
  --photo <image>      also compare the best keyframe with this ID document photo (JPEG/PNG): adds
                       "match": { "verdict": "match"|"no-match"|"review", "distance" } (the exit code stays the checks')
  --json               JSON output
  --models <dir>       folder with the models (default: the package's)`,
  async run(args, io) {
    const { values, positionals } = parseArgs(args, OPTIONS);
    if (values.help) {
      io.stdout(this.usage);
      return EXIT.ok;
    }
    const nonce = values.nonce,
      doc = values.document;
    if (positionals.length !== 1 || nonce === undefined || doc === undefined) {
      io.stderr(`livecheck verify: give one bundle file, --nonce and --document\n\n${this.usage}`);
      return EXIT.usage;
    }
    const planArg = values.plan;
    const { planFromNonce } = await import('../challenge/plan.js');
    const script =
      planArg !== undefined
        ? planArg
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : null;
    const maxGapMs = numberOption(values, 'max-gap-ms', 0);
    const gaps = maxGapMs === undefined ? {} : { maxGapMs };
    const steps = (script ? await planFromNonce(nonce, { script: script as never, ...gaps }) : await planFromNonce(nonce, { actions: 'random', count: 3, ...gaps })).steps;
    const nowArg = values.now;
    const now = nowArg !== undefined ? (/^\d+$/.test(nowArg) ? Number(nowArg) : Date.parse(nowArg)) : Date.now();
    if (!Number.isFinite(now)) throw new LivecheckError('invalid-argument', `--now: not a time: ${String(nowArg)}`, { option: 'now' });
    let text: string;
    try {
      text = readFileSync(positionals[0], 'utf8');
    } catch (cause) {
      throw new LivecheckError('invalid-argument', `cannot read ${positionals[0]}`, { file: positionals[0] }, { cause });
    }
    const document = await readDocumentBinding(doc);
    const config = values.config !== undefined ? await (await import('../node/analyze.js')).readAttemptConfig(values.config) : {};
    const { verifyEvidence } = await import('../verify/evidence.js');
    const { createNodeReanalyzer } = await import('../node/reanalyzer.js');
    const modelDir = verificationModelDir(values.models);
    let reanalyzer;
    try {
      reanalyzer = await createNodeReanalyzer({ modelDir });
    } catch (e) {
      if (isLivecheckError(e, 'model-missing') || isLivecheckError(e, 'model-corrupt')) {
        io.stderr(`livecheck verify: ${e.message}\nBuild the models with \`npm run build:models\` or pass --models <dir>.`);
        return EXIT.usage;
      }
      throw e;
    }
    let report;
    let match: { verdict: string; distance: number | null } | null = null;
    try {
      // the server runs with analyze's options (mirrored, identity with its defaults): their hash is the configHash
      const identity = !values['no-identity'];
      report = await verifyEvidence(text, {
        nonce,
        document,
        now,
        planFromNonce: () => steps,
        reanalyzeVideo: (capture) => reanalyzer.reanalyzeVideo(capture),
        replay: { ...config, mirrored: values.mirrored === true, ...(identity && { identity: {} }) },
      });
      const photo = values.photo;
      if (photo !== undefined && report.decision) {
        const { decodeImage } = await import('../node/media.js');
        const m = await reanalyzer.matchDocument(text, decodeImage(photo));
        match = { verdict: m.verdict, distance: m.distance === null ? null : Math.round(m.distance * 1000) / 1000 };
      }
    } finally {
      await reanalyzer.close();
    }
    if (values.json) {
      io.stdout(
        JSON.stringify({
          ok: report.ok,
          verdict: report.verdict,
          reasons: report.reasons.map(({ code, message }) => ({ code, message })),
          checks: report.checks.map(({ name, ok, detail }) => ({ name, ok, detail })),
          ...(match && { match }),
        }),
      );
    } else {
      io.stdout(
        [
          `${positionals[0]}: server verdict ${report.verdict}${report.ok ? '' : ' (not every check passed)'}`,
          ...report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(16)} ${c.detail}`),
          ...(match ? [`  ID photo match: ${match.verdict} (distance ${match.distance ?? 'n/a'})`] : []),
        ].join('\n'),
      );
    }
    return report.ok && report.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  },
};

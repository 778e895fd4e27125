// `livecheck verify <bundle.json> --nonce <hex> --document <meta.json>`: the server's re-verification of an evidence
// bundle with the real face pipeline (src/server/node.ts). Also the document and JPEG helpers `analyze --evidence` uses.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LivecheckError, isLivecheckError } from '../errors.js';
import { canonicalJson } from '../evidence/canonical.js';
import { sha256, toHex } from '../evidence/encoding.js';
import type { DocumentBinding } from '../evidence/bundle.js';
import type { CliCommand } from './cli.js';
import type { CliHelpers } from './analyze.js';

/**
 * The ID document record from a metadata file: a JSON object with `uploadedAt` (epoch ms or an ISO 8601 date). The
 * binding's hash is the SHA-256 of the object's canonical JSON, so formatting of the file does not matter.
 */
export async function readDocumentBinding(file: string): Promise<DocumentBinding> {
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new LivecheckError('invalid-argument', `--document: cannot read ${file} as JSON`, { file }, { cause });
  }
  const at = (meta as { uploadedAt?: unknown } | null)?.uploadedAt;
  const uploadedAt = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : NaN;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || !Number.isFinite(uploadedAt)) {
    throw new LivecheckError('invalid-argument', `--document: ${file} must be a JSON object with uploadedAt (epoch ms or ISO date)`, { file });
  }
  return { metadataHash: toHex(await sha256(new TextEncoder().encode(canonicalJson(meta)))), uploadedAt: Math.round(uploadedAt) };
}

/** `--nonce` as analyze takes it: hex. The plan is derived from its bytes exactly as analyze does. */
export function nonceBytes(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new LivecheckError('invalid-argument', `--nonce must be hex, got ${hex}`, { option: 'nonce' });
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

export function verifyCommand({ EXIT, parseArgs, defaultModelDir }: CliHelpers): CliCommand {
  return {
    summary: 're-verify an evidence bundle: chain, nonce, plan, document, timestamps, keyframes, face re-analysis, replay',
    usage: `livecheck verify <bundle.json> --nonce <hex> --document <meta.json> [options]

Checks the bundle as the server would: the hash chain, that it is bound to this nonce and document, the challenge
plan derived from the nonce, the capture time window, the keyframes, re-runs the face pipeline and the face
recognition net on every keyframe, describes the recorded identity chips again (unless --no-identity), and replays the recorded frames through the challenge and the signals: the
claimed events, signal verdicts and verdict must follow from them. Exits 0 when every check passes, 1 when any fails.

With --json prints { "ok", "checks": [ { "name", "ok", "detail" } ], "verdict" } (verdict: the server's replayed
pass / fail / review, null when the replay could not run).

Options:
  --nonce <hex>        the nonce the capture was issued (required)
  --document <file>    the ID document metadata, JSON with uploadedAt (required)
  --plan <a,b,...>     the fixed challenge script, when analyze was given one
  --now <ms|iso>       server time to check against (default: now)
  --mirrored           the capture was analysed mirrored (as analyze --mirrored): the replay must be too
  --no-identity        the capture ran without the identity check (as analyze --no-identity). By default the
                       server expects it, as analyze and the browser run it: the recorded face chips are described
                       again (models/facerec.onnx) and must show the claimed continuity ("identity-replay"). A
                       bundle captured the other way fails "version" (its configHash is not the replayed one)
  --config <file>      the thresholds the capture ran with (as analyze --config): the replay applies them and
                       their hash must be the bundle's configHash
  --photo <image>      also compare the best keyframe with this ID document photo (JPEG/PNG): adds
                       "match": { "verdict": "match"|"no-match"|"review", "distance" } (the exit code stays the checks')
  --json               JSON output
  --models <dir>       folder with the models (default: the package's)`,
    async run(args, io) {
      const { options, positional } = parseArgs(args, ['json', 'mirrored', 'help', 'no-identity']);
      if (options.has('help')) { io.stdout(this.usage); return EXIT.ok; }
      const nonce = options.get('nonce'), doc = options.get('document');
      if (positional.length !== 1 || typeof nonce !== 'string' || typeof doc !== 'string') {
        io.stderr(`livecheck verify: give one bundle file, --nonce and --document\n\n${this.usage}`);
        return EXIT.usage;
      }
      const bytes = nonceBytes(nonce);
      const planArg = options.get('plan');
      const { planFromNonce } = await import('../challenge/plan.js');
      const script = typeof planArg === 'string' ? planArg.split(',').map((s) => s.trim()).filter(Boolean) : null;
      const steps = script ? planFromNonce(bytes, { script: script as never }).steps : planFromNonce(bytes, { actions: 'random', count: 3 }).steps;
      const nowArg = options.get('now');
      const now = typeof nowArg === 'string' ? (/^\d+$/.test(nowArg) ? Number(nowArg) : Date.parse(nowArg)) : Date.now();
      if (!Number.isFinite(now)) throw new LivecheckError('invalid-argument', `--now: not a time: ${String(nowArg)}`);
      let text: string;
      try {
        text = readFileSync(positional[0], 'utf8');
      } catch (cause) {
        throw new LivecheckError('invalid-argument', `cannot read ${positional[0]}`, { file: positional[0] }, { cause });
      }
      const document = await readDocumentBinding(doc);
      const config = typeof options.get('config') === 'string' ? await (await import('./analyze.js')).readAttemptConfig(String(options.get('config'))) : {};
      const { verifyEvidence } = await import('../server/verify.js');
      const { createNodeReanalyzer } = await import('./reanalyzer.js');
      // dist/models holds only the browser's models: without facerec there, the package's models/ folder is used
      const fallback = existsSync(join(defaultModelDir(), 'facerec.onnx')) ? defaultModelDir() : undefined;
      const modelDir = typeof options.get('models') === 'string' ? String(options.get('models')) : fallback;
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
        // the replay's options are analyze's (mirrored, identity with its defaults): their hash is the configHash
        const identity = !options.has('no-identity');
        report = await verifyEvidence(text, {
          nonce, document, now, planFromNonce: () => steps, reanalyze: (kf) => reanalyzer.reanalyze(kf),
          replay: { ...config, mirrored: options.has('mirrored'), ...(identity && { identity: {} }) },
          describeIdentity: identity ? (chip) => reanalyzer.describeIdentity(chip) : undefined,
        });
        const photo = options.get('photo');
        if (typeof photo === 'string' && report.ok) {
          const { decodeImage } = await import('./media.js');
          const m = await reanalyzer.matchDocument(text, decodeImage(photo));
          match = { verdict: m.verdict, distance: m.distance === null ? null : Math.round(m.distance * 1000) / 1000 };
        }
      } finally {
        await reanalyzer.close();
      }
      if (options.has('json')) {
        io.stdout(JSON.stringify({ ok: report.ok, checks: report.checks.map(({ name, ok, detail }) => ({ name, ok, detail })), verdict: report.decision?.verdict ?? null, ...(match && { match }) }));
      } else {
        io.stdout([`${positional[0]}: ${report.ok ? 'verified' : 'REJECTED'}${report.decision ? ` (replayed verdict: ${report.decision.verdict})` : ''}`, ...report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(16)} ${c.detail}`),
          ...(match ? [`  ID photo match: ${match.verdict} (distance ${match.distance ?? 'n/a'})`] : [])].join('\n'));
      }
      return report.ok ? EXIT.ok : EXIT.failed;
    },
  };
}

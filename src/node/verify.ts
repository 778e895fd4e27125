// `livecheck verify <bundle.json> --nonce <hex> --document <meta.json>`: the server's re-verification of an evidence
// bundle with the real face pipeline (src/server/node.ts). Also the document and JPEG helpers `analyze --evidence` uses.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LivecheckError, isLivecheckError } from '../errors.js';
import { canonicalJson } from '../evidence/canonical.js';
import { sha256 } from '../evidence/encoding.js';
import { toHex } from '../util/hex.js';
import type { DocumentBinding, EvidenceBundle, RgbaImage } from '../evidence/index.js';
import type { EvidenceSession, EvidenceSessionOptions, SessionDecision } from '../evidence/capture.js';
import type { IdentityCapture } from '../evidence/identity.js';
import type { FaceRecognizer } from '../match/recognizer.js';
import { MATCH_SIZE } from '../match/align.js';
import { packageModelDir } from './model-dir.js';
import type { EngineFrameResult } from '../engine/engine.js';
import type { PassiveFrameFeatures } from '../decision/passive.js';
import type { ReplayOptions } from '../evidence/replay.js';
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

/** JPEG encoder in Node (jpeg-js): keyframes at quality 85 (the default), identity chips at the worker's 92. */
export async function nodeJpegEncoder(quality = 85): Promise<(image: RgbaImage) => Uint8Array> {
  const { default: jpeg } = await import('jpeg-js');
  return (image) => {
    const out = jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) }, quality);
    return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  };
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
      const steps = (script ? await planFromNonce(bytes, { script: script as never }) : await planFromNonce(bytes, { actions: 'random', count: 3 })).steps;
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
      const { verifyEvidence } = await import('../server/verify.js');
      const { createNodeReanalyzer } = await import('../server/node.js');
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
          replay: { mirrored: options.has('mirrored'), ...(identity && { identity: {} }) },
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

/**
 * Records the evidence bundle of a capture analysed frame by frame (`analyze --evidence`) with the code the browser
 * worker records it with (src/evidence/capture.ts EvidenceSession): every frame chained with what the challenge and
 * the signals read (regions, passive features), one keyframe per plan step, taken when the step is done or else at
 * the step's evenly spaced share of the clip (first frame there with a face), and at the end the claimed outcome
 * (AttemptLog: challenge events, signals, verdict). With `engine.identity` (analyze's default) the identity check
 * runs as in the worker: the sampling rule's faces are cut as 150x150 chips, described with FaceRecognitionNet
 * (facerec.onnx from `modelDir`) when the capture is judged, and recorded as JPEG (quality 92, the worker's), with
 * the claimed continuity; a changed identity makes the claimed verdict `fail`. The capture's wall clock is its start
 * plus the frame time. Frames are awaited one by one: the decoder reuses its buffer.
 */
export class EvidenceCapture {
  /** `clock.lastT`: the latest frame time (ms), which advances the capture's wall clock. */
  private constructor(private readonly session: EvidenceSession, private readonly clock: { lastT: number }, private recognizer: FaceRecognizer | null) {}

  /**
   * `engine`: the engine options the capture runs with (bound into the genesis as its configHash); with
   * `engine.identity` the identity check runs and `modelDir` (default: the package's models/) must hold facerec.onnx
   * (else `model-missing`). Call `finish` or `close` to release the model.
   */
  static async start(o: { nonce: string; document: DocumentBinding; plan: ReadonlyArray<{ action: string; holdMs?: number }>; startedAt?: number; engine?: ReplayOptions; modelDir?: string }): Promise<EvidenceCapture> {
    const { EvidenceSession } = await import('../evidence/capture.js');
    const startedAt = o.startedAt ?? Date.now(); // wall clock of the capture start; frame times advance it
    const clock = { lastT: 0 };
    let recognizer: FaceRecognizer | null = null;
    let identity: EvidenceSessionOptions['identity'];
    if (o.engine?.identity) {
      const model = join(o.modelDir ?? packageModelDir(import.meta.url, 'facerec.onnx'), 'facerec.onnx');
      if (!existsSync(model)) throw new LivecheckError('model-missing', `the identity check needs ${model} (or turn it off: --no-identity)`, { model });
      const [{ FaceRecognizer }, { chipTensor }, { IDENTITY_JPEG_QUALITY }] = await Promise.all([import('../match/recognizer.js'), import('../match/chip.js'), import('../worker/decision.js')]);
      const rec = recognizer = await FaceRecognizer.create({ model, numThreads: 1 });
      const tensor = new Float32Array(MATCH_SIZE * MATCH_SIZE * 3); // one input, reused for every chip
      identity = { describe: (rgba) => rec.descriptorOfChip(chipTensor(rgba, tensor)), encodeJpeg: await nodeJpegEncoder(Math.round(IDENTITY_JPEG_QUALITY * 100)) };
    }
    try {
      const session = await EvidenceSession.start({ ...o, clock: () => startedAt + clock.lastT, encodeJpeg: await nodeJpegEncoder(), identity });
      return new EvidenceCapture(session, clock, recognizer);
    } catch (e) {
      await recognizer?.close();
      throw e;
    }
  }

  /** The identity readings of this capture (null: the check is off): analyze reports the continuity they judge. */
  get identity(): IdentityCapture | null {
    return this.session.identity;
  }

  /** One analysed frame: `r` is the engine's result for `image`, `passive` the passive features measured on it. */
  async frame(image: RgbaImage, r: EngineFrameResult, _index: number, total: number, passive: PassiveFrameFeatures | null = null): Promise<void> {
    this.clock.lastT = r.analysis.timestampMs;
    await this.session.frame(image, r, passive, image.data, total);
  }

  /** The signals and verdict the client decided (what the bundle will claim; the identity check applied). */
  decide(): Promise<SessionDecision> {
    return this.session.decide();
  }

  /** Closes the chain and returns the bundle; releases the identity model. */
  async finish(): Promise<EvidenceBundle> {
    try {
      return await this.session.finish();
    } finally {
      await this.close();
    }
  }

  /** Releases the identity model (a capture abandoned on an error). Idempotent. */
  async close(): Promise<void> {
    const r = this.recognizer;
    this.recognizer = null;
    await r?.close();
  }
}

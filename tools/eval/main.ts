// `npm run eval`: builds the presentations and runs each through the product's attempt pipeline with the shipped
// thresholds (bench/results/eval.json). Tuning and held-out parts are reported apart; the passive threshold the
// tuning part would choose is reported beside the shipped one, not applied.
// Each attempt also records its evidence bundle and the server judges it from the decoded video (the server path;
// `--no-server` leaves it out).
//   node tools/eval.mjs [id-substring ...] [--no-server]   a subset, written to .cache/eval/eval.subset.json
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { presentations, runPresentation, metricsReport, tunePassive, identityMargins, EVAL_VARIANTS, type JudgedPresentation, type Presentation } from './eval.js';
import { openChipDescriber } from '../../src/node/attempt.js';
import { createNodeReanalyzer } from '../../src/node/reanalyzer.js';
import { LivecheckError } from '../../src/errors.js';
import { DEFAULT_CHALLENGE_CONFIG } from '../../src/challenge/config.js';

export async function main(root: string): Promise<void> {
  const t0 = Date.now();
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const variants: Record<string, string> = {};
  // loaded from its own file (not bundled): it finds .cache/data next to itself
  const { ensureVariants } = (await import(pathToFileURL(join(root, 'tools', 'make-variants.mjs')).href)) as typeof import('../make-variants.mjs');
  for (const v of await ensureVariants(EVAL_VARIANTS)) variants[v.name] = v.path;
  let ps = await presentations(join(root, '.cache', 'data'), variants, join(root, 'test', 'challenge', 'fixtures', 'video-labels.json'));
  if (only.length) ps = ps.filter((p) => only.some((o) => p.id.includes(o)));
  const modelDir = join(root, 'models');
  const describer = await openChipDescriber(modelDir);
  if (!describer) throw new LivecheckError('model-missing', 'eval: the identity check needs models/facerec.onnx (npm run build:models)');
  const server = process.argv.includes('--no-server') ? undefined : await createNodeReanalyzer({ modelDir });
  const judged: JudgedPresentation[] = [];
  try {
    for (const p of ps) {
      const t = Date.now();
      const j = await runPresentation(p, { modelDir, kernelDir: join(root, 'build'), describer, server });
      judged.push(j);
      process.stderr.write(
        `${p.id}: ${j.verdict} ${j.reasons.join(',')}${j.server ? ` | server ${j.server.verdict} ${j.server.reasons.join(',')}` : ''} | ${j.frames} frames (${j.framesWithFace} with a face), challenge ${j.challenge.outcome ?? 'open'}${j.challenge.reason ? ` (${j.challenge.reason})` : ''}, cuts ${j.challenge.cuts} ${((Date.now() - t) / 1000).toFixed(1)} s\n`,
      );
    }
  } finally {
    await describer.close();
    await server?.close();
  }
  const seconds = Math.round((Date.now() - t0) / 1000);
  const out = report(ps, judged, seconds);
  // a subset run is for looking, not a result: it stays out of bench/results
  const dir = only.length ? join(root, '.cache', 'eval') : join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, only.length ? 'eval.subset.json' : 'eval.json');
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  for (const j of judged)
    console.log(
      `${j.split.padEnd(8)} ${j.species.padEnd(13)} ${j.id.padEnd(34)} ${j.verdict.padEnd(6)} A:${j.signals.active?.verdict ?? '-'} P:${j.signals.passive.verdict} M:${j.signals.motion.verdict} id:${j.identity.verdict} ${j.identity.distance ?? '-'} ${j.challenge.reason ?? ''}`,
    );
  console.log(JSON.stringify({ tuning: out.tuning, 'held-out': out['held-out'], server: out.server, tuned: out.tuned }, null, 1));
  console.log(`wrote ${file}`);
}

/** The report: metrics per part, identity margins, the passive threshold the tuning part suggests, every presentation. */
export function report(ps: readonly Presentation[], judged: readonly JudgedPresentation[], seconds: number) {
  const part = (split: string) => metricsReport(judged.filter((j) => j.split === split));
  const heldOut = part('held-out');
  const tuned = tunePassive(judged);
  return {
    about:
      'livecheck attack suite (npm run eval): every presentation through the attempt pipeline the product runs (challenge session, three signals, identity check, decision) with the shipped thresholds. APCER per attack species (only `pass` accepts an attack; review and fail counted separately) and BPCER (every non-pass of a live presentation). See tools/eval/eval.ts and docs/evaluation.md.',
    bpcer: heldOut.bpcer,
    apcer: heldOut.apcer,
    reported_part: 'held-out (top-level bpcer/apcer); tuning below',
    tuning: part('tuning'),
    'held-out': heldOut,
    all: metricsReport(judged),
    server: serverReport(judged),
    identity: {
      'held-out': identityMargins(judged.filter((j) => j.split === 'held-out')),
      tuning: identityMargins(judged.filter((j) => j.split === 'tuning')),
      rule: "the attempt's identity check (src/evidence/identity.ts sampling, src/decision/identity.ts rule): FaceRecognitionNet descriptors of aligned chips of frontal frames; a change of person ends the attempt as fail (identity-changed)",
    },
    tuned: {
      'passive.liveMin (suggested by the tuning part, not applied)': tuned.liveMin,
      'passive.liveMin (shipped, used for every verdict here)': tuned.default,
      samples: tuned.samples,
      rule: 'tuneThreshold on the fused passive scores of the tuning live, print and screen-replay presentations (artefact-vetoed = 0): midpoint between the highest attack score and the lowest live score above it',
    },
    protocol: [
      'every presentation: a fresh Node engine with the plan, the identity check on, the shipped thresholds; the attempt decides (as the browser worker, livecheck analyze and the server replay do)',
      `live: windows of franck.mp4 (600x480), cap13/cap12 (640x480) holding hand-labelled actions; plan = those actions in order with the default holds; the performer (tools/eval/performer.ts) plays the footage as a prompted person: it waits near each action, starts it 350-800 ms after the prompt (fixed per presentation) and holds the end position while the session reports the hold. Latencies are the performer's; minLatencyMs is ${DEFAULT_CHALLENGE_CONFIG.minLatencyMs}`,
      'video-replay: each live window played straight through (no answer to prompts) against a plan in a different order',
      'print, screen-replay, static-photo: the two 3 s halves of each 6 s variant (tools/make-variants.mjs) played straight through, plan from a nonce',
      'identity-swap: two overlapping 4 s windows of each face-swap variant, both spanning the change of person, plan from a nonce',
      "passive signal: the wasm kernels' artefact scores (moire, flicker, device border, specular), as the product computes them",
      'server path: each attempt records its evidence bundle as the clients do (frame records, keyframes, the capture video: VP8 by ffmpeg, muxed with mediabunny); verifyEvidence decodes the video and re-runs the engine on it with the plan from the nonce (createNodeReanalyzer); server.* counts the verdicts of those reports',
    ],
    run: { presentations: ps.length, seconds, cores: cpus().length, load: loadavg()[0], node: process.version, date: new Date().toISOString() },
    presentations: judged,
  };
}

/** The server's verdicts, reported like the client's, and where the two differ. Null for a run without the server. */
function serverReport(judged: readonly JudgedPresentation[]) {
  const withServer = judged.filter((j) => j.server !== null);
  if (withServer.length === 0) return null;
  const asServer = (list: readonly JudgedPresentation[]) => metricsReport(list.map((j) => ({ species: j.species, verdict: j.server!.verdict })));
  const ms = withServer.map((j) => j.server!.verifyMs).sort((a, b) => a - b);
  return {
    about: 'the verdicts verifyEvidence gave from the decoded capture video (the report a bank receives); the client verdicts are the tables above',
    'held-out': asServer(withServer.filter((j) => j.split === 'held-out')),
    tuning: asServer(withServer.filter((j) => j.split === 'tuning')),
    // live recordings the server passed, re-bound to new nonces with the same actions: those the server still passed
    rebound: (() => {
      const all = withServer.flatMap((j) => j.server!.rebound.map((r) => ({ id: j.id, steps: j.plan.length, verdict: r.verdict })));
      const count = (list: typeof all) => ({ attempts: list.length, passed: list.filter((r) => r.verdict === 'pass').length });
      return { ...count(all), 'one action': count(all.filter((r) => r.steps === 1)), 'two or more actions': count(all.filter((r) => r.steps > 1)) };
    })(),
    disagreements: withServer.filter((j) => j.server!.verdict !== j.verdict).map((j) => ({ id: j.id, client: j.verdict, server: j.server!.verdict, reasons: j.server!.reasons })),
    verify_ms_p50: ms[Math.floor(ms.length / 2)],
    bundle_bytes_max: Math.max(...withServer.map((j) => j.server!.bundleBytes)),
  };
}

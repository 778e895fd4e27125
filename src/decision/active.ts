// Active signal: was the challenge performed by a responsive face? Reads the challenge engine's per-action outcomes
// (plain data) and judges the order and the human plausibility of the dynamics. A replayed recording cannot know the
// nonce-derived order; a spliced or synthetic stream shows reactions faster than a person can react.

import type { ChallengeAction } from '../challenge/actions.js';
import type { ChallengePlan } from '../challenge/plan.js';
import type { ActionFailureReason, ActionResult } from '../challenge/session.js';
import { DEFAULT_ACTIVE_CONFIG, type ActiveConfig } from './config.js';
import { clampToVerdict, reason, type SignalReason, type SignalResult, type SignalVerdict } from './signal.js';

/** What the challenge engine reports for one prompted action. */
export interface ActionOutcome {
  /** The action prompted, e.g. 'blink', 'turn-left', 'turn-right', 'mouth-open', 'nod', 'smile'. */
  action: string;
  /** Confirmed by the engine. */
  ok: boolean;
  /** The engine's failure code when not ok (e.g. 'timeout', 'wrong-action', 'too-fast', 'face-lost', 'flutter'). */
  reason?: string;
  /** Prompt to the start of the response (ms); null when no response started. */
  latencyMs: number | null;
  /** Peak amplitude: degrees for turns and nods; the engine's openness units for blink, mouth, smile. */
  amplitude: number | null;
  /** How long the confirmed pose was held (ms). */
  holdMs: number | null;
  /** Eyelid closure speed (openness units per second, open = 1), blinks only. */
  closureVelocity?: number | null;
  /** Motion smoothness in [0,1] (1 = smooth, low = jerky or stepping), when measured. */
  smoothness?: number | null;
}

/** The whole challenge as the engine saw it. */
export interface ChallengeOutcome {
  /** The actions asked for, in the nonce-derived order. */
  plan: ReadonlyArray<string>;
  /** One outcome per prompted action, in prompt order (may stop early on failure). */
  actions: ReadonlyArray<ActionOutcome>;
  /** Whether the actions observed came in the planned order (false: something answered a different sequence). */
  orderMatched: boolean;
}

/** Turns and nods are measured in degrees; the others in openness units. */
const ANGULAR = new Set(['turn-left', 'turn-right', 'nod']);

export function activeSignal(outcome: ChallengeOutcome, config: ActiveConfig = DEFAULT_ACTIVE_CONFIG): SignalResult {
  const c = config;
  const spoof: SignalReason[] = [];
  const unsure: SignalReason[] = [];
  const live: SignalReason[] = [];
  if (outcome.plan.length === 0) {
    return { score: 0.5, verdict: 'unsure', reasons: [reason('no-challenge', 'no challenge was planned')] };
  }

  let orderBroken = !outcome.orderMatched;
  outcome.actions.forEach((a, i) => {
    if (i < outcome.plan.length && a.action !== outcome.plan[i]) orderBroken = true;
  });
  if (orderBroken) spoof.push(reason('wrong-order', 'actions came in an order the challenge did not ask for (replayed recording?)'));

  let plausible = 0;
  outcome.actions.forEach((a, i) => {
    const at = `action ${i + 1} (${a.action})`;
    if (!a.ok) {
      const code = a.reason ?? 'failed';
      if (c.spoofFailureReasons.includes(code)) spoof.push(reason(`action-${code}`, `${at} failed: ${code}`));
      else unsure.push(reason(`action-${code}`, `${at} not confirmed: ${code}`));
      return;
    }
    let ok = true;
    if (a.latencyMs !== null && a.latencyMs < c.minLatencyMs) {
      spoof.push(reason('impossibly-fast', `${at} started before a person can react to the prompt (ms)`, a.latencyMs, c.minLatencyMs));
      ok = false;
    } else if (a.latencyMs !== null && a.latencyMs > c.maxLatencyMs) {
      unsure.push(reason('slow-response', `${at} started late (ms)`, a.latencyMs, c.maxLatencyMs));
      ok = false;
    }
    if (a.action === 'blink' && a.closureVelocity != null && a.closureVelocity > c.maxClosureVelocity) {
      spoof.push(reason('impossible-closure', `${at}: eyelids closed faster than eyelids can (openness per second)`, a.closureVelocity, c.maxClosureVelocity));
      ok = false;
    }
    if (a.amplitude !== null && ANGULAR.has(a.action) && Math.abs(a.amplitude) > c.maxTurnDeg) {
      unsure.push(reason('implausible-amplitude', `${at}: head rotation beyond what tracking can follow (degrees)`, Math.abs(a.amplitude), c.maxTurnDeg));
      ok = false;
    }
    if (a.smoothness != null && a.smoothness < c.minSmoothness) {
      unsure.push(reason('jerky-motion', `${at}: jerky or stepping motion (smoothness)`, a.smoothness, c.minSmoothness));
      ok = false;
    }
    if (ok) plausible++;
  });

  const missing = outcome.plan.length - outcome.actions.length;
  if (missing > 0) unsure.push(reason('incomplete', 'the challenge stopped before every action was performed (actions missing)', missing));

  let verdict: SignalVerdict;
  if (spoof.length > 0) verdict = 'spoof';
  else if (unsure.length > 0) verdict = 'unsure';
  else verdict = 'live';
  if (verdict === 'live') {
    live.push(reason('challenge-performed', 'every action confirmed in the planned order with human dynamics (actions)', plausible));
  }
  const raw = plausible / outcome.plan.length;
  return { score: clampToVerdict(verdict === 'spoof' ? 0 : raw, verdict), verdict, reasons: [...spoof, ...unsure, ...live] };
}

/**
 * Binds the challenge engine's output (src/challenge) to the active signal: the plan, the `action-done` results and
 * the `action-failed` event if the attempt stopped on one. The session confirms actions in prompt order, so it cannot
 * itself see a sequence answered in another order; pass `orderMatched: false` when a free-running detector
 * (ActionDetector) saw the actions come in an order the plan did not ask for.
 */
export function challengeOutcomeFromSession(
  plan: ChallengePlan,
  results: ReadonlyArray<ActionResult>,
  failure?: { step: number; action: ChallengeAction; reason: ActionFailureReason } | null,
  options: { orderMatched?: boolean } = {},
): ChallengeOutcome {
  const actions: ActionOutcome[] = results.map((r) => ({
    action: r.action,
    ok: true,
    latencyMs: r.latencyMs,
    amplitude: r.amplitude,
    holdMs: r.heldMs,
    // blink amplitude is closure 0..1 reached in closingMs: openness units per second
    closureVelocity: r.action === 'blink' && r.blink && r.blink.closingMs > 0 ? r.amplitude / (r.blink.closingMs / 1000) : null,
    smoothness: null, // the session already fails jerky motion itself ('jerky-motion')
  }));
  if (failure) actions.push({ action: failure.action, ok: false, reason: failure.reason, latencyMs: null, amplitude: null, holdMs: null });
  return { plan: plan.steps.map((s) => s.action), actions, orderMatched: options.orderMatched ?? true };
}

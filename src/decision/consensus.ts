// Consensus of the three independent signals, and the face-match decision. The rule is deliberately simple so a
// reviewer can predict it: all live -> pass, all spoof -> fail, anything else -> review. Never a silent pass.

import { DEFAULT_CONSENSUS_CONFIG, DEFAULT_FACE_MATCH_CONFIG, type ConsensusConfig, type FaceMatchConfig, type SignalNameConfig } from './config.js';
import { reason, type SignalReason, type SignalResult } from './signal.js';

export type LivenessVerdict = 'pass' | 'fail' | 'review';
export type SignalName = SignalNameConfig;
export const SIGNAL_NAMES: readonly SignalName[] = ['active', 'passive', 'motion'];

export type DecisionSignals = { [K in SignalName]?: SignalResult | null };

export interface LivenessDecision {
  verdict: LivenessVerdict;
  /** Every signal as it was judged (null: not run). */
  signals: { [K in SignalName]: SignalResult | null };
  /** Why this verdict: which signals agreed, dissented, were unsure or missing. */
  reasons: SignalReason[];
}

export function decideLiveness(signals: DecisionSignals, config: ConsensusConfig = DEFAULT_CONSENSUS_CONFIG): LivenessDecision {
  const out = { active: signals.active ?? null, passive: signals.passive ?? null, motion: signals.motion ?? null };
  const reasons: SignalReason[] = [];
  const verdicts: string[] = [];
  for (const name of SIGNAL_NAMES) {
    const s = out[name];
    if (!s) {
      if (config.requiredSignals.includes(name)) {
        verdicts.push('unsure');
        reasons.push(reason(`${name}-missing`, `the ${name} signal did not run: cannot pass without it`));
      }
      continue;
    }
    verdicts.push(s.verdict);
    reasons.push(reason(`${name}-${s.verdict}`, `${name} signal says ${s.verdict} (score)`, s.score));
  }
  let verdict: LivenessVerdict;
  if (verdicts.length === 0) {
    verdict = 'review';
    reasons.push(reason('no-signals', 'no signal ran'));
  } else if (verdicts.every((v) => v === 'live')) {
    verdict = 'pass';
  } else if (verdicts.every((v) => v === 'spoof')) {
    verdict = 'fail';
  } else {
    verdict = 'review';
    const dissent = verdicts.includes('live') && verdicts.includes('spoof');
    reasons.push(dissent ? reason('signals-disagree', 'the signals disagree: sent to manual review') : reason('signals-unsure', 'not every signal is decided: sent to manual review'));
  }
  return { verdict, signals: out, reasons };
}

export type FaceMatchVerdict = 'match' | 'no-match' | 'review';

export interface FaceMatchInput {
  /** Embedding distance between the selfie's best frame and the ID document photo (smaller = more alike). */
  distance: number | null;
  /** Quality of the weaker of the two faces in [0,1], when known. */
  quality?: number | null;
}

export interface FaceMatchResult {
  verdict: FaceMatchVerdict;
  distance: number | null;
  reasons: SignalReason[];
}

/**
 * Face match: close -> match; unclear -> review; a large difference (old photo, surgery, injury) also goes to review
 * unless the integrator opts into 'no-match' for it. A missing or low-quality comparison is never a match.
 */
export function decideFaceMatch(input: FaceMatchInput, config: FaceMatchConfig = DEFAULT_FACE_MATCH_CONFIG): FaceMatchResult {
  const d = input.distance;
  if (d === null || !Number.isFinite(d) || d < 0) {
    return { verdict: 'review', distance: null, reasons: [reason('not-compared', 'no usable face comparison')] };
  }
  if (input.quality != null && input.quality < config.minQuality) {
    return { verdict: 'review', distance: d, reasons: [reason('low-quality', 'a face is too poor to compare reliably (quality)', input.quality, config.minQuality)] };
  }
  if (d <= config.matchMax) {
    return { verdict: 'match', distance: d, reasons: [reason('same-person', 'the faces match (distance)', d, config.matchMax)] };
  }
  if (d >= config.largeDifferenceMin) {
    return {
      verdict: config.largeDifference,
      distance: d,
      reasons: [reason('large-difference', 'the faces differ a lot (distance): old photo, injury or another person', d, config.largeDifferenceMin)],
    };
  }
  return { verdict: 'review', distance: d, reasons: [reason('uncertain-match', 'the faces are neither clearly alike nor clearly different (distance)', d, config.matchMax)] };
}

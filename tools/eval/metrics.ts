// Presentation attack detection metrics as ISO/IEC 30107-3 defines them, with the counts behind every rate:
// APCER per attack species (attacks accepted as bona fide), BPCER (bona fide presentations rejected).
// "Accepted" means the verdict was `pass`; a `review` is not an acceptance, and for bona fide it counts as rejected
// (the person was not passed automatically). Review counts are reported separately so nothing hides in a rate.

import { LivecheckError } from '../../src/errors.js';
import type { LivenessVerdict } from '../../src/decision/consensus.js';

/** The species name of live (bona fide) presentations. */
export const BONA_FIDE = 'bona-fide';

export interface PresentationOutcome {
  /** 'bona-fide' or the attack species ('print', 'screen-replay', 'static-photo', 'video-replay', ...). */
  species: string;
  verdict: LivenessVerdict;
}

export interface RateWithCounts {
  /** null when there were no presentations to compute it from. */
  rate: number | null;
  /** Presentations counted as errors (accepted attacks, or rejected bona fide). */
  errors: number;
  /** Presentations that went to review (included in `errors` for bona fide, not for attacks). */
  review: number;
}

export interface PadMetrics {
  bpcer: RateWithCounts & { presentations: number };
  apcer: Record<string, RateWithCounts & { attacks: number }>;
  /** The worst species' APCER (null without attacks). */
  maxApcer: number | null;
}

export function padMetrics(outcomes: ReadonlyArray<PresentationOutcome>): PadMetrics {
  let bona = 0,
    rejected = 0,
    bonaReview = 0;
  const apcer: PadMetrics['apcer'] = {};
  for (const o of outcomes) {
    if (o.verdict !== 'pass' && o.verdict !== 'fail' && o.verdict !== 'review') {
      throw new LivecheckError('invalid-argument', 'presentation verdict must be pass, fail or review', { verdict: o.verdict });
    }
    if (o.species === BONA_FIDE) {
      bona++;
      if (o.verdict !== 'pass') rejected++;
      if (o.verdict === 'review') bonaReview++;
      continue;
    }
    const s = (apcer[o.species] ??= { rate: null, errors: 0, review: 0, attacks: 0 });
    s.attacks++;
    if (o.verdict === 'pass') s.errors++;
    if (o.verdict === 'review') s.review++;
  }
  let maxApcer: number | null = null;
  for (const s of Object.values(apcer)) {
    s.rate = s.errors / s.attacks;
    maxApcer = Math.max(maxApcer ?? 0, s.rate);
  }
  return { bpcer: { rate: bona > 0 ? rejected / bona : null, errors: rejected, review: bonaReview, presentations: bona }, apcer, maxApcer };
}

export type Split = 'tuning' | 'held-out';

export interface ScoredPresentation {
  species: string;
  /** Higher = more live. */
  score: number;
  split: Split;
}

export interface ThresholdTuning {
  /** Accept (pass) when score >= threshold. */
  threshold: number;
  /** Metrics on the split the threshold was chosen on. */
  tuning: PadMetrics;
  /** Metrics on the held-out split, which the choice never looked at. */
  heldOut: PadMetrics;
}

/**
 * Chooses an acceptance threshold on the tuning split only: the lowest BPCER such that every attack species'
 * APCER is at most `maxApcer` (ISO practice: report APCER per species, so the constraint is per species too).
 * Candidates are midpoints between neighbouring tuning scores, which leaves a margin on both sides.
 * The held-out split is then scored at that threshold and reported separately.
 */
export function tuneThreshold(samples: ReadonlyArray<ScoredPresentation>, options: { maxApcer?: number } = {}): ThresholdTuning {
  const maxApcer = options.maxApcer ?? 0;
  const tuning = samples.filter((s) => s.split === 'tuning');
  const heldOut = samples.filter((s) => s.split === 'held-out');
  if (tuning.length === 0) throw new LivecheckError('invalid-argument', 'threshold tuning needs samples in the tuning split');
  for (const s of samples) {
    if (!Number.isFinite(s.score)) throw new LivecheckError('invalid-argument', 'presentation score must be finite', { species: s.species, score: s.score });
  }
  const scores = [...new Set(tuning.map((s) => s.score))].sort((a, b) => a - b);
  const candidates = [scores[0] - 1];
  for (let i = 1; i < scores.length; i++) candidates.push((scores[i - 1] + scores[i]) / 2);
  candidates.push(scores[scores.length - 1] + 1);
  let best: { threshold: number; metrics: PadMetrics } | null = null;
  for (const t of candidates) {
    const m = metricsAt(tuning, t);
    if ((m.maxApcer ?? 0) > maxApcer) continue;
    const bpcer = m.bpcer.rate ?? 0;
    if (!best || bpcer < (best.metrics.bpcer.rate ?? 0)) best = { threshold: t, metrics: m };
  }
  // the top candidate accepts nothing, so it always satisfies any maxApcer >= 0
  const chosen = best as { threshold: number; metrics: PadMetrics };
  return { threshold: chosen.threshold, tuning: chosen.metrics, heldOut: metricsAt(heldOut, chosen.threshold) };
}

/** Metrics when every presentation with score >= threshold passes and the rest fail. */
export function metricsAt(samples: ReadonlyArray<{ species: string; score: number }>, threshold: number): PadMetrics {
  return padMetrics(samples.map((s) => ({ species: s.species, verdict: s.score >= threshold ? 'pass' : 'fail' })));
}

// Passive signal: does the face image itself look like a live capture? Fuses per-frame numbers that other parts
// produce (the antispoof and liveness models, and the kernels' print/screen artefact scores) over the whole capture.
// All inputs are optional: the fusion is a weighted mean over what is present, and too little evidence is "unsure".

import { DEFAULT_PASSIVE_CONFIG, PASSIVE_FEATURES, type PassiveConfig, type PassiveFeature } from './config.js';
import { clampToVerdict, reason, type SignalReason, type SignalResult, type SignalVerdict } from './signal.js';

/**
 * Per-frame passive evidence, every field in [0,1] and optional (null/undefined/NaN = not measured on this frame).
 * Model outputs: 1 = live. Artefact scores: 1 = strong artefact (evidence of a print or screen).
 */
export interface PassiveFrameFeatures {
  timestampMs?: number;
  /** Antispoof model's probability that the face is real. */
  antispoofReal?: number | null;
  /** Liveness model's probability that the face is live. */
  livenessLive?: number | null;
  /** Moire / periodic texture in the face region (frequency analysis). */
  moire?: number | null;
  /** Screen refresh flicker or banding across recent frames. */
  flicker?: number | null;
  /** Border or edge of a held device or paper around the face. */
  deviceBorder?: number | null;
  /** Specular reflection or colour-gamut anomaly (screen glare, printed colours). */
  specular?: number | null;
}

export interface PassiveMeasurements {
  /** Aggregated value per feature (null when too few frames had it). */
  features: Record<PassiveFeature, number | null>;
  /** Frames that had each feature. */
  frames: Record<PassiveFeature, number>;
  /** Sum of the weights of the features that entered the score. */
  evidenceWeight: number;
  /** The fused score before it is kept inside its verdict's band (what liveMin / spoofMax are compared with). */
  fused: number;
}

export interface PassiveSignalResult extends SignalResult {
  measurements: PassiveMeasurements;
}

export function passiveSignal(frames: ReadonlyArray<PassiveFrameFeatures>, config: PassiveConfig = DEFAULT_PASSIVE_CONFIG): PassiveSignalResult {
  const c = config;
  const reasons: SignalReason[] = [];
  const features = {} as Record<PassiveFeature, number | null>;
  const counts = {} as Record<PassiveFeature, number>;
  let sum = 0;
  let weight = 0;
  let veto = false;
  for (const name of PASSIVE_FEATURES) {
    const spec = c.features[name];
    const values: number[] = [];
    for (const f of frames) {
      const v = f[name];
      if (typeof v === 'number' && Number.isFinite(v)) values.push(Math.min(1, Math.max(0, v)));
    }
    counts[name] = values.length;
    if (values.length < c.minFrames || spec.weight === 0) {
      features[name] = null;
      continue;
    }
    // models: the median frame; artefacts: an upper quantile, since they come and go with distance and angle
    const value = quantile(values, spec.kind === 'live' ? c.modelQuantile : c.artefactQuantile);
    features[name] = value;
    const floor = spec.kind === 'artefact' ? spec.floor : 0;
    const evidence = spec.kind === 'live' ? value : 1 - Math.max(0, value - floor) / (1 - floor);
    sum += spec.weight * evidence;
    weight += spec.weight;
    if (spec.kind === 'artefact' && value >= c.artefactVeto) {
      veto = true;
      reasons.push(reason(`${name}-artefact`, `${LABEL[name]} found in the face image (score)`, value, c.artefactVeto));
    } else {
      reasons.push(
        floor > 0
          ? reason(name, `${LABEL[name]} (1 = artefact; up to the threshold live captures show it too)`, value, floor)
          : reason(name, `${LABEL[name]} (${spec.kind === 'live' ? '1 = live' : '1 = artefact'})`, value),
      );
    }
  }
  const score = weight > 0 ? sum / weight : 0.5;
  let verdict: SignalVerdict;
  if (veto) {
    verdict = 'spoof';
  } else if (weight < c.minEvidenceWeight) {
    verdict = 'unsure';
    reasons.push(reason('weak-evidence', 'too little passive evidence to decide (sum of feature weights)', weight, c.minEvidenceWeight));
  } else if (score >= c.liveMin) {
    verdict = 'live';
    reasons.push(reason('looks-live', 'the face image looks like a live capture (fused score)', score, c.liveMin));
  } else if (score <= c.spoofMax) {
    verdict = 'spoof';
    reasons.push(reason('looks-spoofed', 'the face image looks like a print or a screen (fused score)', score, c.spoofMax));
  } else {
    verdict = 'unsure';
    reasons.push(reason('passive-inconclusive', 'the fused passive score is between the spoof and live thresholds', score, c.liveMin));
  }
  return {
    score: clampToVerdict(score, verdict),
    verdict,
    reasons,
    measurements: { features, frames: counts, evidenceWeight: weight, fused: score },
  };
}

const LABEL: Record<PassiveFeature, string> = {
  antispoofReal: 'antispoof model: real probability',
  livenessLive: 'liveness model: live probability',
  moire: 'moire / periodic texture',
  flicker: 'screen flicker or banding',
  deviceBorder: 'border of a held device or paper',
  specular: 'specular or colour-gamut anomaly',
};

function quantile(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

// The common shape of the three liveness signals (active, passive, motion/3D): a score, a verdict and the
// measured reasons behind it. Never a bare number: every verdict carries what was measured against what.

export type SignalVerdict = 'live' | 'spoof' | 'unsure';

/** One measured fact behind a verdict. `code` is stable (branch on it); `message` is for people. */
export interface SignalReason {
  code: string;
  message: string;
  /** The measured value, in the unit the message names. */
  value?: number;
  /** The threshold the value was compared with. */
  threshold?: number;
}

export interface SignalResult {
  /** Live evidence in [0,1]: 1 = certainly live, 0 = certainly spoof; the band matches the verdict (see clampToVerdict). */
  score: number;
  verdict: SignalVerdict;
  reasons: SignalReason[];
}

/**
 * Score bands per verdict, so a caller thresholding the score never contradicts the verdict:
 * spoof in [0, spoofMax], unsure in [spoofMax, liveMin], live in [liveMin, 1].
 */
export const SCORE_BANDS = { spoofMax: 0.35, liveMin: 0.65 } as const;

/** Keep a raw evidence score inside the band of the verdict the rules reached. */
export function clampToVerdict(raw: number, verdict: SignalVerdict): number {
  const s = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0.5;
  if (verdict === 'live') return Math.max(SCORE_BANDS.liveMin, s);
  if (verdict === 'spoof') return Math.min(SCORE_BANDS.spoofMax, s);
  return Math.min(SCORE_BANDS.liveMin, Math.max(SCORE_BANDS.spoofMax, s));
}

export function reason(code: string, message: string, value?: number, threshold?: number): SignalReason {
  const r: SignalReason = { code, message };
  if (value !== undefined) r.value = round(value);
  if (threshold !== undefined) r.threshold = threshold;
  return r;
}

/** Reasons are for people and logs: four significant digits are plenty and keep JSON stable. */
function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}

// Passive (anti-spoof) image features: the raw per-frame measurements the kernels make on and around the face, and
// their mapping onto [0,1] artefact scores (1 = strong print/screen evidence), the passive signal's inputs. Pure.

/** Raw passive measurements of one frame (see Kernels.passiveFeatures). */
export interface PassiveImageStats {
  /** Largest bin of the face crop's mid/high band (8..31 cycles per crop) over the band's mean bin: a grating is peaky. */
  spectralPeakRatio: number;
  /** Power in that band over the power below it (1..7 cycles): fine periodic texture on a smooth face. */
  highToLow: number;
  /**
   * RMS of the change of the face crop's row profile since the previous passiveFeatures call (a line fit removed:
   * exposure steps and slow gradients), over the mean luma. NaN on the first call or after a size change.
   */
  rowBanding: number;
  /**
   * Straight paper or bezel edges framing the face: per side, the peak of the edge profile over its median; the weakest
   * of the (at least three) sides inside the frame. NaN when fewer fit.
   */
  borderPeakRatio: number;
  /** Face pixels with min(R,G,B) >= 235 (near-white highlights: glare). */
  whiteFraction: number;
  /** Face pixels with a channel >= 250. */
  clippedFraction: number;
  /** Mean and spread of the chroma max(R,G,B) - min(R,G,B) over the face. */
  chromaMean: number;
  chromaStd: number;
  /** Face pixels with chroma >= 96 (out-of-skin-gamut colour). */
  saturatedFraction: number;
}

/** The artefact scores of one frame's face, each in [0,1] (NaN: not measured), and the measurements behind them. */
export interface PassiveImageFeatures {
  /** Moire / periodic texture in the face region. */
  moire: number;
  /** Screen refresh banding since the previous frame. */
  flicker: number;
  /** Straight edges of a held device or paper around the face. */
  deviceBorder: number;
  /** Near-white highlights (screen glare). */
  specular: number;
  stats: PassiveImageStats;
}

/** Where each raw measurement starts to count as artefact (score 0) and where it saturates (score 1). */
export interface PassiveScoreConfig {
  highToLow: [number, number];
  rowBanding: [number, number];
  borderPeakRatio: [number, number];
  whiteFraction: [number, number];
}

export const DEFAULT_PASSIVE_SCORES: PassiveScoreConfig = {
  // mid/high against low band energy: starts just above what live faces show, so a screen's moiré scores, a face not
  highToLow: [0.17, 0.3],
  // row-profile change against the previous frame: starts above a live capture's typical level; a rigidly moving
  // print changes its rows too, so this is weak evidence (the decision floors it)
  rowBanding: [0.005, 0.02],
  borderPeakRatio: [2, 5],
  whiteFraction: [0.01, 0.08],
};

const ramp = (v: number, [lo, hi]: [number, number]) => (Number.isFinite(v) ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : NaN);

/** Maps raw stats onto the [0,1] artefact scores (NaN where not measured), in place on `out`. */
export function passiveScores(s: PassiveImageStats, out: PassiveImageFeatures, c: PassiveScoreConfig = DEFAULT_PASSIVE_SCORES): PassiveImageFeatures {
  // the peak ratio alone did not separate (natural spectra fall off steeply: the band's low edge dominates)
  out.moire = ramp(s.highToLow, c.highToLow);
  out.flicker = ramp(s.rowBanding, c.rowBanding);
  out.deviceBorder = ramp(s.borderPeakRatio, c.borderPeakRatio);
  out.specular = ramp(s.whiteFraction, c.whiteFraction);
  return out;
}

export function emptyPassiveFeatures(): PassiveImageFeatures {
  return {
    moire: NaN,
    flicker: NaN,
    deviceBorder: NaN,
    specular: NaN,
    stats: {
      spectralPeakRatio: NaN,
      highToLow: NaN,
      rowBanding: NaN,
      borderPeakRatio: NaN,
      whiteFraction: NaN,
      clippedFraction: NaN,
      chromaMean: NaN,
      chromaStd: NaN,
      saturatedFraction: NaN,
    },
  };
}

/** RMS of (cur - prev) after a least-squares line over the row index is removed, over `meanLuma`. */
export function rowBandingOf(cur: ArrayLike<number>, prev: ArrayLike<number>, meanLuma: number): number {
  const n = cur.length;
  let sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let i = 0; i < n; i++) {
    const d = cur[i] - prev[i];
    sx += i;
    sy += d;
    sxx += i * i;
    sxy += i * d;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const icpt = (sy - slope * sx) / n;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const r = cur[i] - prev[i] - (icpt + slope * i);
    e += r * r;
  }
  return meanLuma > 0 ? Math.sqrt(e / n) / meanLuma : NaN;
}

/**
 * Straight-edge score of one side: the peak of a 3-tap smoothed edge profile segment [from, to) over the median of
 * the whole profile (scratch: at least `profile.length` floats). NaN when the segment is empty or the profile is flat.
 */
export function sidePeakRatio(profile: Float32Array, length: number, from: number, to: number, scratch: Float32Array): number {
  from = Math.max(1, from);
  to = Math.min(length - 1, to);
  if (to <= from) return NaN;
  let peak = 0;
  for (let i = from; i < to; i++) peak = Math.max(peak, (profile[i - 1] + profile[i] + profile[i + 1]) / 3);
  const s = scratch.subarray(0, length);
  s.set(profile.subarray(0, length));
  s.sort();
  const med = s[length >> 1];
  return med > 0 ? peak / med : NaN;
}

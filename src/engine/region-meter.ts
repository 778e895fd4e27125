// Pixel cues of the face regions (FaceRegionStats) from the kernels' region calls: luma mean / std per eye and for the
// cheeks, the bright-clipped fraction of an eye box as its specular (glare) fraction, and the mouth's colour distance
// from the cheeks' skin tone, normalised by the face's own colour so that light alone does not move it. Written
// against a small interface so it is tested with plain data.

import type { FaceRegionStats, RegionStats } from '../geometry/face-geometry.js';
import { createFaceRegionBoxes, faceRegionBoxes, type FaceRegionBoxes } from '../geometry/regions.js';
import type { Box, Point3 } from '../types.js';

/** The two kernel calls used here (Kernels implements them). */
export interface RegionMeter {
  luminance(region: Box, out: { count: number; mean: number; std: number; darkClipped: number; brightClipped: number; entropy: number }): unknown;
  meanRgb(region: Box, out: [number, number, number]): unknown;
}

/**
 * Floor of the skin's own chroma, as a fraction of its mean channel level (see skinToneDistance). Real skin stays
 * above it; a colour cast that greys the skin would otherwise shrink the denominator and make bare lips look covered.
 */
export const MIN_SKIN_CHROMA = 0.3;
/**
 * Channel mean (0-255): a region whose brightest channel averages this much has most of its pixels clipped in that
 * channel, and clipping changes its colour: no skin-tone distance then. Well-exposed skin and lips stay below it, an
 * overexposed face reaches it.
 */
export const CLIPPED_CHANNEL_MEAN = 240;
/** Smallest region (px) worth measuring: below it a std is noise. */
const MIN_REGION_PIXELS = 16;

export interface FaceRegionMeterOptions {
  /**
   * Report the cheeks' luma std, the reference of the guidance's eye-contrast occlusion check. Default false: a
   * downward gaze with visible eyes falls under the guidance's `minEyeContrastRatio` enter limit, which raised
   * eyes-occluded and rejected clean challenges. Turn it on once that limit is calibrated on these pixel cues.
   */
  eyeContrast?: boolean;
}

export class FaceRegionMeter {
  private readonly eyeContrast: boolean;
  private readonly boxes: FaceRegionBoxes = createFaceRegionBoxes();
  private readonly lum = { count: 0, mean: 0, std: 0, darkClipped: 0, brightClipped: 0, entropy: 0 };
  private readonly rgb: [number, number, number] = [0, 0, 0];
  private readonly cheekRgb: [number, number, number] = [0, 0, 0];
  private readonly stats: Required<Pick<FaceRegionStats, 'rightEye' | 'leftEye' | 'mouth' | 'cheeks' | 'chin'>> = {
    rightEye: {},
    leftEye: {},
    mouth: {},
    cheeks: {},
    chin: {},
  };
  private readonly out: FaceRegionStats = {};
  private readonly cheekBoxes: readonly Box[] = [this.boxes.rightCheek, this.boxes.leftCheek];

  constructor(options: FaceRegionMeterOptions = {}) {
    this.eyeContrast = options.eyeContrast ?? false;
  }

  /** The boxes measured last (image px). */
  get lastBoxes(): Readonly<FaceRegionBoxes> {
    return this.boxes;
  }

  /**
   * Measures the regions of a face on the frame the meter's kernels hold. Returns a reused object (valid until the
   * next call); a region too small or outside the frame is left out.
   */
  measure(meter: RegionMeter, landmarks: readonly Point3[], width: number, height: number): FaceRegionStats {
    const b = faceRegionBoxes(landmarks, width, height, this.boxes);
    const s = this.stats,
      o = this.out;
    o.rightEye = this.eye(meter, b.rightEye, s.rightEye);
    o.leftEye = this.eye(meter, b.leftEye, s.leftEye);

    // cheeks: pixel-weighted mean of the two boxes; std as the root mean within-box variance, so a side light (one
    // cheek brighter than the other) does not read as texture
    let n = 0,
      sum = 0,
      sq = 0;
    const c = this.cheekRgb;
    c[0] = c[1] = c[2] = 0;
    for (const box of this.cheekBoxes) {
      if (box.width * box.height < MIN_REGION_PIXELS) continue;
      meter.luminance(box, this.lum);
      meter.meanRgb(box, this.rgb);
      const k = this.lum.count;
      n += k;
      sum += k * this.lum.mean;
      sq += k * this.lum.std * this.lum.std;
      for (let i = 0; i < 3; i++) c[i] += k * this.rgb[i];
    }
    if (n > 0) {
      const mean = sum / n;
      s.cheeks.lumaMean = mean;
      s.cheeks.lumaStd = this.eyeContrast ? Math.sqrt(sq / n) : undefined;
      for (let i = 0; i < 3; i++) c[i] /= n;
      o.cheeks = s.cheeks;
    } else {
      o.cheeks = undefined;
    }

    const m = b.mouth;
    if (n > 0 && m.width * m.height >= MIN_REGION_PIXELS) {
      meter.luminance(m, this.lum);
      meter.meanRgb(m, this.rgb);
      s.mouth.lumaMean = this.lum.mean;
      s.mouth.lumaStd = this.lum.std;
      const clipped = Math.max(this.rgb[0], this.rgb[1], this.rgb[2], c[0], c[1], c[2]) >= CLIPPED_CHANNEL_MEAN;
      s.mouth.skinToneDistance = clipped ? undefined : skinToneDistance(this.rgb, c);
      o.mouth = s.mouth;
    } else {
      o.mouth = undefined;
    }

    // chin: luma mean / std; the guidance compares the std with the session's own (a hand adds finger edges)
    const ch = b.chin;
    if (ch.width * ch.height >= MIN_REGION_PIXELS) {
      meter.luminance(ch, this.lum);
      s.chin.lumaMean = this.lum.mean;
      s.chin.lumaStd = this.lum.std;
      o.chin = s.chin;
    } else {
      o.chin = undefined;
    }
    return o;
  }

  private eye(meter: RegionMeter, box: Box, out: RegionStats): RegionStats | undefined {
    if (box.width * box.height < MIN_REGION_PIXELS) return undefined;
    meter.luminance(box, this.lum);
    out.lumaMean = this.lum.mean;
    out.lumaStd = this.lum.std;
    // clipped-bright pixels in an eye box are glare: the sclera of a lit eye stays well below the clip level
    out.specularFraction = this.lum.brightClipped;
    return out;
  }
}

/**
 * How far a region's mean colour lies from the skin's, against the skin's own colourfulness: the off-grey part of the
 * difference (region - skin) over the off-grey part of the skin (floored at MIN_SKIN_CHROMA of its mean level).
 *
 * Why not rg chromaticity: it ignores a gain only. What bad light does is mostly an offset and a saturation change:
 * a black level and sensor noise (dark), veiling glare (backlit), an exposure offset (bright), and under those bare
 * lips came as far from the skin as a cover. A common offset cancels in the difference and leaves the skin's
 * off-grey part unchanged, and a gain or a saturation change scales both parts alike, so this ratio stays put in bad
 * light. A grey, white or black cover over typical skin reads about 1.0 (its difference is the skin's own chroma),
 * well above bare lips. NaN for a black skin sample.
 */
export function skinToneDistance(region: readonly number[], skin: readonly number[]): number {
  const d0 = region[0] - skin[0],
    d1 = region[1] - skin[1],
    d2 = region[2] - skin[2];
  const dm = (d0 + d1 + d2) / 3;
  const sm = (skin[0] + skin[1] + skin[2]) / 3;
  const skinChroma = Math.hypot(skin[0] - sm, skin[1] - sm, skin[2] - sm);
  const scale = Math.max(skinChroma, MIN_SKIN_CHROMA * sm);
  return scale > 0 ? Math.hypot(d0 - dm, d1 - dm, d2 - dm) / scale : NaN;
}

/** Euclidean distance of two colours in rg chromaticity (r = R/(R+G+B), g = G/(R+G+B)): brightness-independent. */
export function chromaDistance(a: readonly number[], b: readonly number[]): number {
  const sa = a[0] + a[1] + a[2],
    sb = b[0] + b[1] + b[2];
  if (!(sa > 0) || !(sb > 0)) return 0;
  return Math.hypot(a[0] / sa - b[0] / sb, a[1] / sa - b[1] / sb);
}

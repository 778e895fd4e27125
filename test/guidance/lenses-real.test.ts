// Issue 4: sunglasses and glasses glare on real pixels. We have no real footage of either, so the lenses are painted
// onto a real clean clip (cap13): the first pass finds the eyes, then each frame's eyes are covered by a dark, nearly
// uniform ellipse (sunglasses) or get a few small clipped-white spots (glare). Each version runs through a fresh
// Node engine with the region cues on (kernels -> FaceRegionMeter -> guidance), as the browser worker runs them.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/node/engine.js';
import type { GuidanceCode } from '../../src/guidance/codes.js';
import { DEFAULT_GUIDANCE_CONFIG } from '../../src/guidance/config.js';
import { RIGHT_EYE, LEFT_EYE } from '../../src/face/landmarks.js';
import { decodeVideo } from '../../src/node/media.js';
import type { Point3 } from '../../src/types.js';
import labels from '../challenge/fixtures/video-labels.json';
import { requireModels } from '../face/engine.js';
import { dataDir, requireData } from '../helpers/data.js';
import { mulberry32 } from '../helpers/random.js';

const FRAMES = 60;
/** Frames left for the hysteresis (and the engine's first detections) to settle before shares are counted. */
const SETTLE = 15;

interface Frame {
  width: number;
  height: number;
  t: number;
  data: Uint8Array;
}

interface PassRecord {
  /** Landmarks of the main face (null without one). */
  lm: Point3[] | null;
  codes: GuidanceCode[];
  /** max eye luma mean / cheek luma mean (the sunglasses ratio), the larger eye luma std, the larger specular fraction. */
  lensRatio: number;
  lensStd: number;
  specular: number;
}

const EYES = [
  [RIGHT_EYE.outer, RIGHT_EYE.inner, RIGHT_EYE.upperOuter, RIGHT_EYE.upperInner, RIGHT_EYE.lowerOuter, RIGHT_EYE.lowerInner],
  [LEFT_EYE.outer, LEFT_EYE.inner, LEFT_EYE.upperOuter, LEFT_EYE.upperInner, LEFT_EYE.lowerOuter, LEFT_EYE.lowerInner],
] as const;

/** Centre and width of an eye's lid points (image px). */
function eyeGeometry(lm: readonly Point3[], idx: readonly number[]): { cx: number; cy: number; w: number; x0: number; x1: number; y0: number; y1: number } {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const i of idx) {
    const p = lm[i];
    x0 = Math.min(x0, p[0]);
    x1 = Math.max(x1, p[0]);
    y0 = Math.min(y0, p[1]);
    y1 = Math.max(y1, p[1]);
  }
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: x1 - x0, x0, x1, y0, y1 };
}

/** Paints every pixel inside the ellipse (semi-axes a, b around cx, cy) with `colour(x, y)`. */
function fillEllipse(f: Frame, cx: number, cy: number, a: number, b: number, colour: (x: number, y: number) => [number, number, number]): void {
  const xs = Math.max(0, Math.floor(cx - a)),
    xe = Math.min(f.width - 1, Math.ceil(cx + a));
  const ys = Math.max(0, Math.floor(cy - b)),
    ye = Math.min(f.height - 1, Math.ceil(cy + b));
  for (let y = ys; y <= ye; y++) {
    for (let x = xs; x <= xe; x++) {
      const dx = (x + 0.5 - cx) / a,
        dy = (y + 0.5 - cy) / b;
      if (dx * dx + dy * dy > 1) continue;
      const [r, g, bl] = colour(x, y);
      const o = (y * f.width + x) * 4;
      f.data[o] = r;
      f.data[o + 1] = g;
      f.data[o + 2] = bl;
    }
  }
}

/**
 * Dark lenses: an ellipse `width` x `height` eye widths around each eye's lid points, luma ~25 +-2. A typical lens
 * (52-55 mm) over a typical eye (~30 mm wide) is ~1.8 x 1.6 eye widths; 1.6 x 1.4 is a small, round lens.
 */
function sunglasses(f: Frame, lm: readonly Point3[], rand: () => number, width: number, height: number): void {
  for (const idx of EYES) {
    const e = eyeGeometry(lm, idx);
    fillEllipse(f, e.cx, e.cy, 0.5 * width * e.w, 0.5 * height * e.w, () => {
      const v = Math.round(25 + (rand() * 4 - 2));
      return [v, v, v + 2];
    });
  }
}

/** Glare: three discs of radius 2.5 px of saturated white inside each eye's lid bounds, drifting a little per frame. */
function glare(f: Frame, lm: readonly Point3[], frame: number): void {
  for (const idx of EYES) {
    const e = eyeGeometry(lm, idx);
    const spots: Array<[number, number]> = [
      [0.3, 0.3],
      [0.55, 0.6],
      [0.75, 0.35],
    ];
    spots.forEach(([u, v], k) => {
      const drift = 1.5 * Math.sin(0.4 * frame + k);
      const x = e.x0 + u * (e.x1 - e.x0) + drift,
        y = e.y0 + v * (e.y1 - e.y0) + 0.5 * drift;
      fillEllipse(f, x, y, 2.5, 2.5, () => [255, 255, 255]);
    });
  }
}

async function run(frames: readonly Frame[]): Promise<PassRecord[]> {
  const engine = await createNodeEngine({ regionCues: true });
  const out: PassRecord[] = [];
  try {
    for (const f of frames) {
      const r = await engine.analyzeFrame(f, f.t);
      const reg = r.regions;
      const re = reg?.rightEye,
        le = reg?.leftEye,
        ch = reg?.cheeks;
      const ratio = re?.lumaMean !== undefined && le?.lumaMean !== undefined && ch?.lumaMean ? Math.max(re.lumaMean, le.lumaMean) / ch.lumaMean : NaN;
      out.push({
        lm: r.face ? r.face.landmarks.map((p) => [p[0], p[1], p[2]] as Point3) : null,
        codes: r.guidance.issues.map((i) => i.code),
        lensRatio: ratio,
        lensStd: Math.max(re?.lumaStd ?? NaN, le?.lumaStd ?? NaN),
        specular: Math.max(re?.specularFraction ?? NaN, le?.specularFraction ?? NaN),
      });
    }
  } finally {
    await engine.close();
  }
  return out;
}

const share = (rs: readonly PassRecord[], code: GuidanceCode) => rs.slice(SETTLE).filter((r) => r.codes.includes(code)).length / (rs.length - SETTLE);
const median = (v: number[]) => {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? +s[Math.floor(s.length / 2)].toFixed(4) : NaN;
};
const cues = (rs: readonly PassRecord[]) => ({
  lensRatio: median(rs.map((r) => r.lensRatio)),
  lensStd: median(rs.map((r) => r.lensStd)),
  specular: median(rs.map((r) => r.specular)),
  sunglasses: +share(rs, 'sunglasses').toFixed(3),
  glare: +share(rs, 'glasses-glare').toFixed(3),
});

let clean: PassRecord[] = [],
  smallLenses: PassRecord[] = [],
  dark: PassRecord[] = [],
  glary: PassRecord[] = [];

beforeAll(async () => {
  requireModels();
  const file = join(dataDir, labels.clips.cap13.file);
  requireData(file);
  const frames: Frame[] = [];
  for await (const f of decodeVideo(file, { maxFrames: FRAMES, reuse: true })) {
    frames.push({ width: f.width, height: f.height, t: f.timestampMs, data: new Uint8Array(f.data) });
  }
  clean = await run(frames);
  const painted = (paint: (f: Frame, lm: readonly Point3[], i: number) => void) =>
    frames.map((f, i) => {
      const copy = { ...f, data: new Uint8Array(f.data) };
      const lm = clean[i].lm;
      if (lm) paint(copy, lm, i);
      return copy;
    });
  const small = mulberry32(4),
    full = mulberry32(5);
  smallLenses = await run(painted((f, lm) => sunglasses(f, lm, small, 1.6, 1.4)));
  dark = await run(painted((f, lm) => sunglasses(f, lm, full, 1.8, 1.6)));
  glary = await run(painted((f, lm, i) => glare(f, lm, i)));
  console.log(
    'lens cues (medians; shares of frames after the first',
    SETTLE,
    ')',
    JSON.stringify({ clean: cues(clean), 'sunglasses-1.6x1.4': cues(smallLenses), 'sunglasses-1.8x1.6': cues(dark), glare: cues(glary) }),
    'limits',
    JSON.stringify({ sunglassesLumaRatio: DEFAULT_GUIDANCE_CONFIG.sunglassesLumaRatio, maxLensStd: DEFAULT_GUIDANCE_CONFIG.maxLensStd, maxEyeSpecular: DEFAULT_GUIDANCE_CONFIG.maxEyeSpecular }),
  );
}, 600_000);

describe('sunglasses and glasses glare on a real clip (cap13, painted lenses)', () => {
  it('finds the face on nearly every frame of every version', () => {
    for (const [name, rs] of [
      ['clean', clean],
      ['small lenses', smallLenses],
      ['sunglasses', dark],
      ['glare', glary],
    ] as const) {
      expect(rs.length, name).toBe(FRAMES);
      expect(rs.filter((r) => r.lm).length, name).toBeGreaterThanOrEqual(0.9 * FRAMES);
    }
  });

  it('the clean clip raises neither code', () => {
    expect(share(clean, 'sunglasses'), JSON.stringify(cues(clean))).toBe(0);
    expect(share(clean, 'glasses-glare'), JSON.stringify(cues(clean))).toBe(0);
  });

  it('dark lenses of a typical size (1.8 x 1.6 eye widths) over both eyes raise sunglasses', () => {
    expect(share(dark, 'sunglasses'), JSON.stringify(cues(dark))).toBeGreaterThanOrEqual(0.6);
  });

  // Known miss (issue 4), measured 2026-11-23: small round lenses (1.6 x 1.4 eye widths) read dark enough (eye/cheek
  // luma ratio median 0.27, enter limit 0.45) but not flat: the eye box (lid points padded by 25% of the eye width,
  // src/geometry/regions.ts) reaches past the ellipse at its corners, and those few skin pixels lift the box's luma
  // std to a median 22.3 against maxLensStd 14, so the `flat` gate never opens (0 of 45 frames). Lenses of 1.8 x 1.6
  // measure std 7.7, 2.0 x 1.8 std 1.2. When the cue is made robust to the box corners this starts passing: drop
  // the `.fails` then.
  it.fails('small round dark lenses (1.6 x 1.4 eye widths) raise sunglasses', () => {
    expect(share(smallLenses, 'sunglasses'), JSON.stringify(cues(smallLenses))).toBeGreaterThanOrEqual(0.6);
  });

  it('small clipped-white spots on the lenses raise glasses-glare, and not sunglasses', () => {
    expect(share(glary, 'glasses-glare'), JSON.stringify(cues(glary))).toBeGreaterThanOrEqual(0.6);
    expect(share(glary, 'sunglasses'), JSON.stringify(cues(glary))).toBe(0);
  });
});

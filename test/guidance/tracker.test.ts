import { describe, expect, it } from 'vitest';
import { FaceGeometryEstimator, type FaceGeometry, type FaceRegionStats } from '../../src/geometry/face-geometry.js';
import { GUIDANCE, GUIDANCE_CODES, type GuidanceCode } from '../../src/guidance/codes.js';
import { DEFAULT_GUIDANCE_CONFIG, resolveGuidanceConfig } from '../../src/guidance/config.js';
import { GuidanceTracker, type GuidanceState } from '../../src/guidance/tracker.js';
import type { FaceDetection, FrameAnalysis, QualityMetrics } from '../../src/types.js';
import { NEUTRAL, SyntheticFace, frameOf, type FacePose } from '../helpers/synthetic-face.js';

const face = new SyntheticFace();
const est = new FaceGeometryEstimator();
const FRAME_MS = 1000 / 30;

interface Scene {
  pose?: Partial<FacePose>;
  quality?: Partial<QualityMetrics>;
  regions?: FaceRegionStats;
  faces?: (main: FaceDetection) => FaceDetection[];
  width?: number;
  height?: number;
  /** Edits the measured geometry (landmark cues that the synthetic face cannot produce directly). */
  edit?: (g: FaceGeometry) => void;
}

/** Feeds `frames` frames of a scene; returns the last state. */
function run(tracker: GuidanceTracker, t0: number, frames: number, scene: Scene = {}, frameMs = FRAME_MS): { state: GuidanceState; t: number } {
  let state!: GuidanceState;
  let t = t0;
  for (let i = 0; i < frames; i++) {
    const det = face.detection({ ...NEUTRAL, ...scene.pose }, i + 1);
    const faces = scene.faces ? scene.faces(det) : [det];
    const frame: FrameAnalysis = frameOf(t, faces, scene.quality, scene.width, scene.height);
    const g = faces.length ? est.measure(faces[0], frame.width, frame.height, scene.regions) : null;
    if (g && scene.edit) scene.edit(g);
    state = tracker.update(frame, g);
    t += frameMs;
  }
  return { state, t };
}

const active = (s: GuidanceState) => s.issues.map((i) => i.code);

const goodEyes = { lumaMean: 90, lumaStd: 45, specularFraction: 0.002, strandEdgeDensity: 0.02 };
const goodRegions: FaceRegionStats = { rightEye: goodEyes, leftEye: goodEyes, mouth: { skinToneDistance: 0.05 }, cheeks: { lumaMean: 140, lumaStd: 18 }, chin: { lumaMean: 95, lumaStd: 13 } };

// One scene per code that raises exactly that code (and maybe codes it implies).
const scenes: Record<GuidanceCode, Scene> = {
  'no-face': { faces: () => [] },
  'multiple-faces': { faces: (d) => [d, { ...d, box: { ...d.box, x: d.box.x + 200 } }] },
  'face-too-small': { pose: { pxPerMm: 0.6 } },
  'face-too-close': { pose: { pxPerMm: 2.6, centerY: 200 } },
  'face-off-center': { pose: { centerX: 560 } },
  'face-not-frontal': { pose: { yawDeg: 22 } },
  'too-dark': { quality: { faceLuma: 25, frameLuma: 22 } },
  'too-bright': { quality: { faceLuma: 235, frameLuma: 230 } },
  backlit: { quality: { faceToSurround: 0.35 } },
  'uneven-light': { quality: { leftRightBalance: -0.4 } },
  'color-cast': { quality: { meanRgb: [70, 90, 170] } },
  blurry: { quality: { focusNormalized: 0.01 } },
  'focus-unstable': {}, // temporal: tested below
  'background-motion': { quality: { motion: { globalDx: 0.2, globalDy: 0, residualMedian: 1.5, residualP90: 4, trackedFraction: 0.8 } } },
  'camera-shake': { quality: { motion: { globalDx: 6, globalDy: -3, residualMedian: 0.5, residualP90: 1.2, trackedFraction: 0.8 } } },
  'eyes-occluded': { regions: { ...goodRegions, rightEye: { lumaMean: 130, lumaStd: 17 } } },
  'mouth-occluded': { regions: { ...goodRegions, mouth: { skinToneDistance: 0.6 } } },
  'face-occluded': { regions: { ...goodRegions, chin: { lumaMean: 100, lumaStd: 25 } } },
  sunglasses: { regions: { ...goodRegions, rightEye: { lumaMean: 25, lumaStd: 6 }, leftEye: { lumaMean: 28, lumaStd: 7 } } },
  'glasses-glare': { regions: { ...goodRegions, leftEye: { ...goodEyes, specularFraction: 0.09 } } },
  'eye-hair-strand': { regions: { ...goodRegions, leftEye: { ...goodEyes, strandEdgeDensity: 0.3 } } },
  'lighting-changed': {}, // temporal: tested below
  'low-frame-rate': {}, // temporal: tested below
  'low-resolution': { width: 480, height: 360, pose: { centerX: 240, centerY: 170, pxPerMm: 1 } },
};

describe('guidance codes', () => {
  it('every code has a plain-language message and a severity', () => {
    expect(GUIDANCE_CODES.length).toBeGreaterThanOrEqual(23);
    for (const code of GUIDANCE_CODES) {
      expect(GUIDANCE[code].message).toMatch(/^[A-Z].+\.$/);
      expect(['block', 'warn']).toContain(GUIDANCE[code].severity);
    }
  });

  it('a clean scene with good region stats raises nothing', () => {
    const tr = new GuidanceTracker();
    const { state } = run(tr, 0, 90, { regions: goodRegions });
    expect(active(state)).toEqual([]);
    expect(state.usable).toBe(true);
    expect(state.fps).toBeCloseTo(30, 0);
    expect(state.faceCount).toBe(1);
  });

  for (const [code, scene] of Object.entries(scenes) as [GuidanceCode, Scene][]) {
    if (Object.keys(scene).length === 0) continue;
    it(`raises ${code} with its measured value, and clears it when the scene is fixed`, () => {
      const tr = new GuidanceTracker();
      let { t } = run(tr, 0, 40, { regions: goodRegions });
      const bad = run(tr, t, 15, { regions: goodRegions, ...scene });
      t = bad.t;
      const issue = bad.state.issues.find((i) => i.code === code);
      expect(issue, `${code} not raised; active: ${active(bad.state)}`).toBeDefined();
      expect(Number.isFinite(issue!.value)).toBe(true);
      expect(Number.isFinite(issue!.threshold)).toBe(true);
      expect(issue!.message).toBe(GUIDANCE[code].message);
      expect(bad.state.blocking).toBe(bad.state.issues.some((i) => i.severity === 'block'));
      const clean = run(tr, t, 40, { regions: goodRegions });
      expect(active(clean.state)).not.toContain(code);
    });
  }
});

describe('eye cues and closed lids', () => {
  it('a closed eye (low contrast lid) is not read as an occluded eye', () => {
    const tr = new GuidanceTracker();
    const lid = { lumaMean: 130, lumaStd: 16 };
    const { t } = run(tr, 0, 20, { regions: goodRegions });
    const closed = run(tr, t, 15, { pose: { rightEyeOpen: 0, leftEyeOpen: 0 }, regions: { ...goodRegions, rightEye: lid, leftEye: lid } });
    expect(active(closed.state)).not.toContain('eyes-occluded');
    const open = run(tr, closed.t, 15, { regions: { ...goodRegions, rightEye: lid, leftEye: lid } });
    expect(active(open.state)).toContain('eyes-occluded');
  });
});

describe('hand on the chin (chin texture against the session baseline)', () => {
  const chin = (lumaStd: number): Scene => ({ regions: { ...goodRegions, chin: { lumaMean: 95, lumaStd } } });

  it("measures against the person's own chin: a textured chin from the start raises nothing, a hand on it does", () => {
    const tr = new GuidanceTracker();
    // a bearded chin: twice the std of the default scene, from the first frame
    let { t, state } = run(tr, 0, 60, chin(26));
    expect(active(state)).toEqual([]);
    ({ t, state } = run(tr, t, 15, chin(26 * 1.6)));
    const issue = state.issues.find((i) => i.code === 'face-occluded');
    expect(issue?.value).toBeCloseTo(1.6, 5);
    expect(issue?.threshold).toBe(DEFAULT_GUIDANCE_CONFIG.maxChinTextureGain.exit);
    ({ state } = run(tr, t, 15, chin(26)));
    expect(active(state)).not.toContain('face-occluded');
  });

  it('waits for the baseline frames, then holds between exit and enter', () => {
    const tr = new GuidanceTracker();
    const n = DEFAULT_GUIDANCE_CONFIG.chinBaselineFrames;
    let { t, state } = run(tr, 0, n - 1, chin(13));
    expect(state.issues.find((i) => i.code === 'face-occluded')).toBeUndefined();
    ({ t } = run(tr, t, 1, chin(13)));
    ({ t, state } = run(tr, t, 10, chin(13 * 1.35)));
    expect(tr.isActive('face-occluded')).toBe(true);
    // 1.25 x baseline: below enter (1.3), above exit (1.22)
    ({ t, state } = run(tr, t, 20, chin(13 * 1.25)));
    expect(tr.isActive('face-occluded')).toBe(true);
    ({ t, state } = run(tr, t, 10, chin(13 * 1.1)));
    expect(tr.isActive('face-occluded')).toBe(false);
  });

  it('reset() forgets the baseline (a new session may be a new person)', () => {
    const tr = new GuidanceTracker();
    const { t } = run(tr, 0, 40, chin(10));
    tr.reset();
    const { state } = run(tr, t, 60, chin(20));
    expect(active(state)).not.toContain('face-occluded');
  });
});

describe('hysteresis', () => {
  it('does not flicker when a measure hovers between the exit and enter limits', () => {
    const tr = new GuidanceTracker();
    let { t } = run(tr, 0, 20);
    ({ t } = run(tr, t, 10, { quality: { faceLuma: 30 } }));
    expect(tr.isActive('too-dark')).toBe(true);
    // 45 is above enter (40) but below exit (50): stays raised
    for (let i = 0; i < 30; i++) {
      const r = run(tr, t, 1, { quality: { faceLuma: i % 2 ? 45 : 38 } });
      t = r.t;
      expect(r.state.cleared).not.toContain('too-dark');
    }
    expect(tr.isActive('too-dark')).toBe(true);
    ({ t } = run(tr, t, 10, { quality: { faceLuma: 60 } }));
    expect(tr.isActive('too-dark')).toBe(false);
  });

  it('ignores isolated bad frames (k of n)', () => {
    const tr = new GuidanceTracker();
    let t = 0;
    for (let i = 0; i < 60; i++) {
      const r = run(tr, t, 1, { quality: { faceToSurround: i % 4 === 0 ? 0.3 : 1 } });
      t = r.t;
      expect(active(r.state)).not.toContain('backlit');
    }
  });

  it('reports raised and cleared transitions once', () => {
    const tr = new GuidanceTracker();
    let { t } = run(tr, 0, 10);
    const raisedAt: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = run(tr, t, 1, { pose: { yawDeg: 25 } });
      t = r.t;
      if (r.state.raised.includes('face-not-frontal')) raisedAt.push(i);
    }
    expect(raisedAt).toEqual([DEFAULT_GUIDANCE_CONFIG.hysteresis.enterCount - 1]);
  });
});

describe('temporal codes', () => {
  it('low-frame-rate from timestamps, and the measured rate', () => {
    const tr = new GuidanceTracker();
    const slow = run(tr, 0, 40, {}, 1000 / 10);
    expect(slow.state.fps).toBeCloseTo(10, 0);
    expect(active(slow.state)).toContain('low-frame-rate');
    const fast = run(tr, slow.t, 90, {}, 1000 / 30);
    expect(active(fast.state)).not.toContain('low-frame-rate');
  });

  it('focus-unstable when sharpness comes and goes, not when steady', () => {
    const tr = new GuidanceTracker();
    let { t } = run(tr, 0, 60);
    expect(tr.isActive('focus-unstable')).toBe(false);
    // hunting focus: a slow oscillation (not single-frame spikes, which are skipped instead)
    for (let i = 0; i < 90; i++) {
      const f = 0.25 * (0.55 + 0.45 * Math.sin((2 * Math.PI * i) / 24));
      t = run(tr, t, 1, { quality: { focusNormalized: f } }).t;
    }
    expect(tr.isActive('focus-unstable')).toBe(true);
  });

  it('lighting-changed on a step in brightness, not on a single flicker frame', () => {
    const tr = new GuidanceTracker();
    let { t } = run(tr, 0, 60, { quality: { frameLuma: 120, faceLuma: 130 } });
    const flick = run(tr, t, 1, { quality: { frameLuma: 200, faceLuma: 200 } });
    expect(flick.state.usable).toBe(false);
    expect(flick.state.skipReason).toBe('flicker');
    t = run(tr, flick.t, 60, { quality: { frameLuma: 120, faceLuma: 130 } }).t;
    expect(tr.isActive('lighting-changed')).toBe(false);
    let raised = false;
    for (let i = 0; i < 60; i++) {
      const r = run(tr, t, 1, { quality: { frameLuma: 70, faceLuma: 80 } });
      t = r.t;
      raised ||= r.state.raised.includes('lighting-changed');
    }
    expect(raised).toBe(true);
  });
});

describe('background motion from the moving share', () => {
  const motion = (movingFraction: number, trackedFraction = 0.95) => ({
    quality: { motion: { globalDx: 0.1, globalDy: 0, residualMedian: 0.05, residualP90: 0.1, trackedFraction, movingFraction, movingPoints: Math.round(movingFraction * 90) } },
  });

  it('walkers that move a few points on every other frame raise background-motion; p90 alone would not', () => {
    const tr = new GuidanceTracker();
    let t = 0;
    // a 10-fps background in a 24-fps capture: 8% of the points move, then a frame with nothing (window mean 0.04)
    for (let i = 0; i < 20; i++) t = run(tr, t, 1, motion(i % 2 === 0 ? 0.08 : 0)).t;
    expect(tr.isActive('background-motion')).toBe(true);
    expect(tr.isActive('camera-shake')).toBe(false);
    // fewer walkers (window mean 0.02: below enter, above exit) keep it raised: no flicker
    for (let i = 0; i < 30; i++) t = run(tr, t, 1, motion(i % 3 === 0 ? 0.06 : 0)).t;
    expect(tr.isActive('background-motion')).toBe(true);
    for (let i = 0; i < 30; i++) t = run(tr, t, 1, motion(0)).t;
    expect(tr.isActive('background-motion')).toBe(false);
  });

  it('a still background with sensor noise (1-2% of points over the limit) raises nothing', () => {
    const tr = new GuidanceTracker();
    let t = 0;
    for (let i = 0; i < 40; i++) t = run(tr, t, 1, motion(i % 2 ? 0.02 : 0.01)).t;
    expect(tr.isActive('background-motion')).toBe(false);
  });

  it('too few tracked points (a flat wall, points on the body) are not trusted', () => {
    const tr = new GuidanceTracker();
    let t = 0;
    for (let i = 0; i < 40; i++) t = run(tr, t, 1, motion(0.3, 0.12)).t;
    expect(tr.isActive('background-motion')).toBe(false);
  });
});

describe('frame usability', () => {
  it('skips low-entropy frames and blur spikes, and a persistent blur becomes "blurry" instead', () => {
    const tr = new GuidanceTracker();
    let { t } = run(tr, 0, 30);
    const dark = run(tr, t, 1, { quality: { entropy: 1.2 } });
    expect(dark.state.skipReason).toBe('low-entropy');
    const spike = run(tr, dark.t, 1, { quality: { focusNormalized: 0.05 } });
    expect(spike.state.skipReason).toBe('blur-spike');
    t = spike.t;
    let usableAgain = false;
    for (let i = 0; i < 30; i++) {
      const r = run(tr, t, 1, { quality: { focusNormalized: 0.01 } });
      t = r.t;
      usableAgain ||= r.state.usable;
    }
    expect(usableAgain).toBe(true);
    expect(tr.isActive('blurry')).toBe(true);
  });

  it('blur-spike and flicker frames move no hysteresis', () => {
    const tr = new GuidanceTracker();
    let { t } = run(tr, 0, 30);
    // alternate: a flicker frame (much brighter than its neighbours) that would also be "too bright", then a normal one
    for (let i = 0; i < 20; i++) {
      const r = run(tr, t, 1, { quality: i % 2 ? {} : { frameLuma: 240, faceLuma: 240 } });
      t = r.t;
      if (i % 2 === 0) expect(r.state.skipReason).toBe('flicker');
    }
    expect(tr.isActive('too-bright')).toBe(false);
  });

  it('low-entropy frames are skipped for the challenge but still checked for exposure', () => {
    const tr = new GuidanceTracker();
    const { t } = run(tr, 0, 30);
    const r = run(tr, t, 20, { quality: { entropy: 1, faceLuma: 10, frameLuma: 10 } });
    expect(r.state.usable).toBe(false);
    expect(r.state.skipReason).toBe('low-entropy');
    expect(tr.isActive('too-dark')).toBe(true);
  });
});

describe('config', () => {
  it('overlays partial config, rejects unknown options, NaN and inverted bands', () => {
    const c = resolveGuidanceConfig({ minFaceLuma: { enter: 30 } });
    expect(c.minFaceLuma).toEqual({ enter: 30, exit: 50 });
    expect(DEFAULT_GUIDANCE_CONFIG.minFaceLuma.enter).toBe(40);
    const bad = (x: unknown) => () => resolveGuidanceConfig(x as never);
    expect(bad({ nope: 1 })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(bad({ minFaceLuma: { enter: NaN } })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(bad({ maxFaceLuma: { enter: 200, exit: 220 } })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(bad({ hysteresis: { enterCount: 40 } })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });

  it('uses replacement messages', () => {
    const tr = new GuidanceTracker({ messages: { 'no-face': 'Kein Gesicht.' } });
    const { state } = run(tr, 0, 10, { faces: () => [] });
    expect(state.issues.find((i) => i.code === 'no-face')?.message).toBe('Kein Gesicht.');
  });
});

describe('someone else the tracker’s scan saw (FrameAnalysis.others)', () => {
  const feed = (others: (main: FaceDetection) => FrameAnalysis['others'], withFace = true) => {
    const tracker = new GuidanceTracker();
    let state!: GuidanceState;
    for (let i = 0; i < 30; i++) {
      const det = face.detection(NEUTRAL, i + 1);
      const frame: FrameAnalysis = { ...frameOf(i * FRAME_MS, withFace ? [det] : []), others: others(det) };
      state = tracker.update(frame, withFace ? est.measure(det, frame.width, frame.height) : null);
    }
    return active(state);
  };
  it('a face beside the tracked one, down to minSecondFaceWidthRatio of its width, raises multiple-faces', () => {
    const at = (d: FaceDetection, ratio: number, score = 0.9) => [{ box: { x: 10, y: 10, width: d.box.width * ratio, height: d.box.width * ratio }, score }];
    expect(feed((d) => at(d, 0.5))).toContain('multiple-faces');
    expect(feed((d) => at(d, DEFAULT_GUIDANCE_CONFIG.minSecondFaceWidthRatio + 0.01))).toContain('multiple-faces');
    expect(feed((d) => at(d, DEFAULT_GUIDANCE_CONFIG.minSecondFaceWidthRatio - 0.02))).not.toContain('multiple-faces');
    expect(feed((d) => at(d, 0.5, 0.3))).not.toContain('multiple-faces');
    expect(feed(() => [])).not.toContain('multiple-faces');
  });
  it('without a tracked face the scan’s faces do not count: no-face stays no-face', () => {
    const codes = feed(() => [{ box: { x: 10, y: 10, width: 100, height: 100 }, score: 0.9 }], false);
    expect(codes).toContain('no-face');
    expect(codes).not.toContain('multiple-faces');
  });
});

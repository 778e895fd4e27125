import { describe, expect, it } from 'vitest';
import { motionSignal, MotionAnalyzer, motionFramesFromAnalyses, type MotionFrame } from '../../src/decision/motion.js';
import { DEFAULT_MOTION_CONFIG } from '../../src/decision/config.js';
import { CAMERA, gaussian, mulberry32, projectHead, projectPhoto, type Camera, type Pose } from './synthetic-head.js';
import type { FrameAnalysis, QualityMetrics } from '../../src/types.js';

const FRAMES = 60;

/** 10 still frames, then one smooth excursion to `peak` and back (a challenge turn or nod), drifting a little. */
function excursion(i: number, peak: Pose): Pose {
  const t = i < 10 ? 0 : Math.sin((Math.PI * (i - 10)) / (FRAMES - 11));
  return {
    yawDeg: (peak.yawDeg ?? 0) * t,
    pitchDeg: (peak.pitchDeg ?? 0) * t,
    rollDeg: 3 * t,
    tx: 15 * (i / FRAMES),
    ty: -8 * (i / FRAMES),
    distanceMm: 600 - 40 * (i / FRAMES),
  };
}

function clip(kind: 'head' | 'photo', peak: Pose, jitterPx: number, seed: number, camera: Camera = CAMERA): MotionFrame[] {
  const rand = mulberry32(seed);
  const frames: MotionFrame[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const pose = excursion(i, peak);
    const landmarks = kind === 'head' ? projectHead(pose, { jitterPx, rand, camera }) : projectPhoto(pose, { jitterPx, rand, camera });
    frames.push({ timestampMs: i * 33, landmarks });
  }
  return frames;
}

const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

const IMAGE = { ...DEFAULT_MOTION_CONFIG, poseSource: 'image' as const };

describe('motion signal: planarity (parallax vs one homography)', () => {
  const jitters = [0.5, 1];
  const cameras: [string, Camera][] = [
    ['perspective', CAMERA],
    ['weak perspective', { ...CAMERA, weak: true }],
  ];
  for (const [name, camera] of cameras) {
    for (const jitterPx of jitters) {
      it(`a 3D head turning 20 deg shows parallax, whichever pose source (${name}, ${jitterPx} px jitter)`, () => {
        for (const seed of [1, 2, 3]) {
          for (const config of [DEFAULT_MOTION_CONFIG, IMAGE]) {
            const r = motionSignal({ frames: clip('head', { yawDeg: 20 }, jitterPx, seed, camera) }, config);
            expect(r.measurements.parallax).toBeGreaterThan(DEFAULT_MOTION_CONFIG.liveParallaxMin);
            expect(r.verdict).toBe('live');
            expect(codes(r)).toContain('parallax');
            expect(r.score).toBeGreaterThanOrEqual(0.65);
          }
        }
      });

      it(`a photo of it, turned 20 deg and moved like a held picture, is planar (${name}, ${jitterPx} px jitter)`, () => {
        for (const seed of [1, 2, 3]) {
          const r = motionSignal({ frames: clip('photo', { yawDeg: 20 }, jitterPx, seed, camera) }, IMAGE);
          expect(r.measurements.parallax).toBeLessThan(DEFAULT_MOTION_CONFIG.flatParallaxMax);
          expect(r.verdict).toBe('spoof');
          expect(codes(r)).toContain('planar-motion');
          expect(r.score).toBeLessThanOrEqual(0.35);
          // With mesh depth as the pose source a tilted picture (whose landmark depth does not turn, as FaceMesh's
          // does not on real tilted photos) reads as "not turned": unsure, never live.
          const mesh = motionSignal({ frames: clip('photo', { yawDeg: 20 }, jitterPx, seed, camera) });
          expect(mesh.verdict).toBe('unsure');
          expect(codes(mesh)).toContain('too-little-pose-change');
        }
      });
    }
  }

  it('a nod (pitch) also separates head from photo', () => {
    const head = motionSignal({ frames: clip('head', { pitchDeg: 20 }, 0.5, 4) }, IMAGE);
    const photo = motionSignal({ frames: clip('photo', { pitchDeg: 20 }, 0.5, 4) }, IMAGE);
    expect(head.verdict).toBe('live');
    expect(photo.verdict).toBe('spoof');
    expect(head.measurements.parallax! / Math.max(1e-3, photo.measurements.parallax!)).toBeGreaterThan(10);
    expect(motionSignal({ frames: clip('head', { pitchDeg: 20 }, 0.5, 4) }).verdict).toBe('live');
  });

  it('noise-free: a photo has zero parallax, and the jitter estimate finds the jitter that was added', () => {
    const exact = motionSignal({ frames: clip('photo', { yawDeg: 25 }, 0, 5) }, IMAGE);
    expect(exact.measurements.parallax).toBeCloseTo(0, 4);
    for (const jitterPx of [0.5, 1, 2]) {
      const r = motionSignal({ frames: clip('photo', { yawDeg: 25 }, jitterPx, 6) }, IMAGE);
      expect(r.measurements.jitterPx).toBeGreaterThan(jitterPx * 0.85);
      expect(r.measurements.jitterPx).toBeLessThan(jitterPx * 1.15);
    }
  });

  it('a still face, live or printed, is "unsure" (not enough pose change), never "spoof", even at 3 px jitter', () => {
    // (the head sways +-2 deg yaw, +-1.5 deg pitch, as a person holding still does)
    for (const jitterPx of [0.5, 1, 2, 3]) {
      for (const kind of ['head', 'photo'] as const) {
        const rand = mulberry32(jitterPx * 10 + (kind === 'head' ? 1 : 2));
        const frames: MotionFrame[] = [];
        for (let i = 0; i < 90; i++) {
          const pose = { yawDeg: 2 * Math.sin(i / 10), pitchDeg: 1.5 * Math.sin(i / 7), tx: 5 * Math.sin(i / 13) };
          frames.push({ timestampMs: i * 33, landmarks: kind === 'head' ? projectHead(pose, { jitterPx, rand }) : projectPhoto(pose, { jitterPx, rand }) });
        }
        const r = motionSignal({ frames });
        expect(r.verdict, `${kind} at ${jitterPx} px`).toBe('unsure');
        expect(codes(r)).toContain('too-little-pose-change');
        // 2D foreshortening reads a real head's own small parallax as some tilt: it may measure, but never says spoof
        expect(motionSignal({ frames }, IMAGE).verdict, `${kind} at ${jitterPx} px, image`).not.toBe('spoof');
      }
    }
  });

  it('a head pose from the geometry counts as pose change', () => {
    // the same small photo motion, but the caller's head pose says the head turned 20 deg: no parallax -> flat
    const frames = clip('photo', { yawDeg: 3 }, 0.5, 7).map((f, i) => ({ ...f, yawDeg: 20 * Math.sin((Math.PI * i) / FRAMES), pitchDeg: 0 }));
    const without = motionSignal({ frames: clip('photo', { yawDeg: 3 }, 0.5, 7) });
    expect(without.verdict).toBe('unsure');
    expect(motionSignal({ frames }).verdict).toBe('spoof');
  });

  it('no face at all gives "unsure" with a reason', () => {
    const r = motionSignal({
      frames: [
        { timestampMs: 0, landmarks: null },
        { timestampMs: 33, landmarks: null },
      ],
    });
    expect(r.verdict).toBe('unsure');
    expect(codes(r)).toEqual(['no-face-track']);
  });

  it('the analyser is reusable and gives the same answer twice (deterministic: the server re-runs it)', () => {
    const analyzer = new MotionAnalyzer();
    const frames = clip('head', { yawDeg: 18 }, 1, 8);
    const a = analyzer.analyze({ frames });
    analyzer.analyze({ frames: clip('photo', { yawDeg: 18 }, 1, 9) });
    expect(analyzer.analyze({ frames })).toEqual(a);
  });
});

/** Per-frame image motion of the picture's border ring: a few points of the picture plane outside the face. */
function ringMotion(poses: Pose[], camera: Camera = CAMERA): { dx: number; dy: number }[] {
  const centre = (pose: Pose) => {
    // points of the photo plane 110 mm around the face centre, projected like the face
    const lm = projectPhoto(pose, { camera });
    const ring = [lm[234], lm[454], lm[10], lm[152]];
    return [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
  };
  return poses.map((p, i) => {
    if (i === 0) return { dx: 0, dy: 0 };
    const a = centre(poses[i - 1]);
    const b = centre(p);
    return { dx: b[0] - a[0], dy: b[1] - a[1] };
  });
}

describe('motion signal: moving with the surround (held picture or phone)', () => {
  // a picture waved around without turning it: planarity cannot decide, the surround can
  const wave = (i: number): Pose => ({ tx: 60 * Math.sin(i / 8), ty: 25 * Math.sin(i / 5), rollDeg: 5 * Math.sin(i / 9) });
  const poses = Array.from({ length: FRAMES }, (_, i) => wave(i));

  it('a held photo moving with its border, camera still: spoof', () => {
    const rand = mulberry32(21);
    const ring = ringMotion(poses);
    const frames: MotionFrame[] = poses.map((pose, i) => ({
      timestampMs: i * 33,
      landmarks: projectPhoto(pose, { jitterPx: 0.7, rand }),
      surround: ring[i],
      global: { dx: 0, dy: 0 },
    }));
    const r = motionSignal({ frames });
    expect(r.measurements.surroundCoupling).toBeGreaterThan(0.9);
    expect(r.verdict).toBe('spoof');
    expect(codes(r)).toContain('moves-with-surround');
  });

  it('a head moving in front of a still background: the surround test says live, the signal stays unsure without parallax', () => {
    // weak perspective: sliding sideways shows the camera no new side of the head, so no parallax to measure
    const rand = mulberry32(22);
    const frames: MotionFrame[] = poses.map((pose, i) => ({
      timestampMs: i * 33,
      landmarks: projectHead(pose, { jitterPx: 0.7, rand, camera: { ...CAMERA, weak: true } }),
      surround: { dx: 0, dy: 0 },
      global: { dx: 0, dy: 0 },
    }));
    const r = motionSignal({ frames });
    expect(r.measurements.surroundCoupling).toBeLessThan(0.1);
    expect(codes(r)).toContain('moves-independently');
    expect(r.verdict).toBe('unsure');
  });

  it('camera shake moves face and surround together but is removed as global motion: not a spoof', () => {
    const rand = mulberry32(23);
    const shake = Array.from({ length: FRAMES }, (_, i) => ({ x: 30 * Math.sin(i / 3), y: 20 * Math.cos(i / 4) }));
    const frames: MotionFrame[] = shake.map((s, i) => {
      const lm = projectHead({}, { jitterPx: 0.7, rand }).map(([x, y, z]) => [x + s.x, y + s.y, z] as [number, number, number]);
      const d = i === 0 ? { dx: 0, dy: 0 } : { dx: s.x - shake[i - 1].x, dy: s.y - shake[i - 1].y };
      return { timestampMs: i * 33, landmarks: lm, surround: d, global: d };
    });
    const r = motionSignal({ frames });
    expect(r.verdict).not.toBe('spoof');
    expect(codes(r)).toContain('surround-too-little-travel');
    // the same data without the global motion cannot tell shake from a held picture: it says so, and does not fail
    const blind = motionSignal({ frames: frames.map((f) => ({ ...f, global: null })) });
    expect(blind.verdict).toBe('unsure');
    expect(codes(blind)).toContain('surround-coupled-camera-unknown');
  });

  it('a turning head whose surround moves with it (e.g. hair in the ring): parallax vs coupling -> unsure', () => {
    const rand = mulberry32(24);
    const turn = Array.from({ length: FRAMES }, (_, i) => ({ ...excursion(i, { yawDeg: 20 }), tx: 60 * Math.sin(i / 8) }));
    // the ring follows the head's centre exactly
    const centre = turn.map((pose) => {
      const lm = projectHead(pose);
      const pts = DEFAULT_MOTION_CONFIG.rigidLandmarks.map((k) => lm[k]);
      return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
    });
    const ring = centre.map((c, i) => (i === 0 ? { dx: 0, dy: 0 } : { dx: c[0] - centre[i - 1][0], dy: c[1] - centre[i - 1][1] }));
    const frames: MotionFrame[] = turn.map((pose, i) => ({
      timestampMs: i * 33,
      landmarks: projectHead(pose, { jitterPx: 0.5, rand }),
      surround: ring[i],
      global: { dx: 0, dy: 0 },
    }));
    const r = motionSignal({ frames });
    expect(codes(r)).toContain('parallax');
    expect(codes(r)).toContain('moves-with-surround');
    expect(codes(r)).toContain('motion-conflict');
    expect(r.verdict).toBe('unsure');
  });
});

describe('motion signal: non-rigid motion inside the rigid head', () => {
  /** A face holding still (sways +-2 deg yaw, +-1.5 deg pitch): no turn to judge parallax by. */
  const sway = (i: number): Pose => ({ yawDeg: 2 * Math.sin(i / 10), pitchDeg: 1.5 * Math.sin(i / 7), tx: 5 * Math.sin(i / 13) });
  const stillHead = (seed: number, eyeOpen: (i: number) => number, mouthOpen: (i: number) => number = () => 0): MotionFrame[] => {
    const rand = mulberry32(seed);
    return Array.from({ length: 90 }, (_, i) => ({
      timestampMs: i * 33,
      landmarks: projectHead(sway(i), { jitterPx: 0.5, rand, expression: { eyeOpen: eyeOpen(i), mouthOpen: mouthOpen(i) } }),
    }));
  };

  it('a still head that blinks is live (a picture cannot blink); without the blink it stays unsure', () => {
    const blink = stillHead(31, (i) => (i >= 40 && i < 44 ? 0.1 : 1));
    const r = motionSignal({ frames: blink });
    expect(codes(r)).toContain('too-little-pose-change');
    expect(r.measurements.blinkDrop).toBeGreaterThan(DEFAULT_MOTION_CONFIG.minBlinkDrop);
    expect(codes(r)).toContain('non-rigid-eyes');
    expect(codes(r)).toContain('non-rigid-face');
    expect(r.verdict).toBe('live');
    expect(r.score).toBeGreaterThanOrEqual(0.65);
    const open = motionSignal({ frames: stillHead(31, () => 1) });
    expect(open.measurements.blinkDrop).toBeLessThan(DEFAULT_MOTION_CONFIG.minBlinkDrop);
    expect(codes(open)).toContain('no-non-rigid-motion');
    expect(open.verdict).toBe('unsure');
  });

  it('a still photo swaying like a held picture shows no blink: unsure', () => {
    const rand = mulberry32(32);
    const frames = Array.from({ length: 90 }, (_, i) => ({ timestampMs: i * 33, landmarks: projectPhoto(sway(i), { jitterPx: 0.5, rand }) }));
    const r = motionSignal({ frames });
    expect(r.verdict).toBe('unsure');
    expect(codes(r)).toContain('no-non-rigid-motion');
  });

  it('eye openness from the geometry, when given, is used instead of the mesh lids; one odd frame is not a blink', () => {
    const rand = mulberry32(34);
    const lm = Array.from({ length: FRAMES }, () => projectHead({}, { jitterPx: 0.5, rand })); // the mesh lids never move...
    const openness = (closed: (i: number) => boolean) => lm.map((landmarks, i) => ({ timestampMs: i * 33, landmarks, eyeOpenness: closed(i) ? 0.05 : 0.3 + 0.002 * Math.sin(i) }));
    const r = motionSignal({ frames: openness((i) => i >= 30 && i < 34) }); // ...but the iris-based openness saw a blink
    expect(r.measurements.blinkDrop).toBeGreaterThan(0.24);
    expect(codes(r)).toContain('non-rigid-eyes');
    expect(r.verdict).toBe('live');
    const glitch = motionSignal({ frames: openness((i) => i === 30) });
    expect(glitch.measurements.blinkDrop).toBeLessThan(0.01);
    expect(glitch.verdict).toBe('unsure');
  });

  it('how many frames a blink needs follows the frame rate: one frame at 12 fps, two at 30 fps', () => {
    const lm = projectHead({});
    const oneFrameDip = (intervalMs: number) =>
      Array.from({ length: 60 }, (_, i) => ({
        timestampMs: i * intervalMs,
        landmarks: lm,
        eyeOpenness: (i === 30 ? 0.05 : 0.3) + 0.002 * Math.sin(i),
      }));
    const slow = motionSignal({ frames: oneFrameDip(83) });
    expect(codes(slow)).toContain('non-rigid-eyes');
    expect(slow.verdict).toBe('live');
    const fast = motionSignal({ frames: oneFrameDip(33) });
    expect(codes(fast)).not.toContain('non-rigid-eyes');
    expect(fast.verdict).toBe('unsure');
  });

  it('a dip no larger than the openness noise is not a blink', () => {
    const rand = mulberry32(35);
    const lm = projectHead({});
    // sigma 0.015 noise: a 0.08 dip passes minBlinkDrop but not 8 sigma
    const frames = Array.from({ length: FRAMES }, (_, i) => ({ timestampMs: i * 33, landmarks: lm, eyeOpenness: 0.3 + 0.015 * gaussian(rand) - (i >= 30 && i < 34 ? 0.08 : 0) }));
    const r = motionSignal({ frames });
    expect(r.measurements.eyeNoise).toBeGreaterThan(0.01);
    expect(codes(r)).not.toContain('non-rigid-eyes');
    expect(r.verdict).toBe('unsure');
  });

  it('a still head opening its mouth is live', () => {
    const r = motionSignal({
      frames: stillHead(
        33,
        () => 1,
        (i) => (i > 30 && i < 45 ? 1 : 0),
      ),
    });
    expect(r.measurements.mouthApertureRange).toBeGreaterThan(DEFAULT_MOTION_CONFIG.minMouthApertureRange);
    expect(codes(r)).toContain('non-rigid-mouth');
    expect(r.verdict).toBe('live');
  });

  it('a picture tilted 50 deg shrinks its eyes with the whole face: not a blink', () => {
    // what a landmark model reading the flat picture reports: the eye aspect shrinks by cos(tilt), like the face
    const rand = mulberry32(36);
    const frames: MotionFrame[] = Array.from({ length: FRAMES }, (_, i) => {
      const pose = excursion(i, { pitchDeg: 50 });
      return { timestampMs: i * 33, landmarks: projectPhoto(pose, { jitterPx: 0.5, rand }), eyeOpenness: 0.3 * Math.cos(((pose.pitchDeg ?? 0) * Math.PI) / 180) };
    });
    const r = motionSignal({ frames });
    expect(r.measurements.blinkDrop).toBeGreaterThan(DEFAULT_MOTION_CONFIG.minBlinkDrop);
    expect(codes(r)).toContain('aperture-change-foreshortened');
    expect(codes(r)).not.toContain('non-rigid-eyes');
    expect(r.verdict).not.toBe('live');
  });

  it('a blink never outweighs a decided flat motion or a face moving with its surround', () => {
    const blinkAt = (i: number) => (i >= 30 && i < 34 ? 0.05 : 0.3);
    const flat = clip('photo', { yawDeg: 20 }, 0.5, 37).map((f, i) => ({ ...f, eyeOpenness: blinkAt(i) }));
    expect(motionSignal({ frames: flat }, IMAGE).verdict).toBe('spoof');
    const wave = (i: number): Pose => ({ tx: 60 * Math.sin(i / 8), ty: 25 * Math.sin(i / 5) });
    const poses = Array.from({ length: FRAMES }, (_, i) => wave(i));
    const ring = ringMotion(poses);
    const rand = mulberry32(38);
    const held = poses.map((pose, i) => ({ timestampMs: i * 33, landmarks: projectPhoto(pose, { jitterPx: 0.5, rand }), surround: ring[i], global: { dx: 0, dy: 0 }, eyeOpenness: blinkAt(i) }));
    const r = motionSignal({ frames: held });
    expect(codes(r)).toContain('non-rigid-eyes');
    expect(r.verdict).toBe('spoof');
  });
});

describe('motionFramesFromAnalyses', () => {
  it('takes the first face and the kernels global motion, surround and pose from the caller', () => {
    const quality = { motion: { globalDx: 1.5, globalDy: -2, residualMedian: 0, residualP90: 0, trackedFraction: 1 } } as QualityMetrics;
    const lm = projectHead({});
    const analyses: FrameAnalysis[] = [
      { timestampMs: 0, width: 640, height: 480, quality: { ...quality, motion: null }, faces: [] },
      { timestampMs: 33, width: 640, height: 480, quality, faces: [{ box: { x: 0, y: 0, width: 1, height: 1 }, score: 1, landmarks: lm, rotation: 0, tracked: true }] },
    ];
    const frames = motionFramesFromAnalyses(analyses, { surround: [null, { dx: 1, dy: 1 }], poses: [null, { yawDeg: 4, pitchDeg: -2 }] });
    expect(frames[0]).toEqual({ timestampMs: 0, landmarks: null, surround: null, global: null });
    expect(frames[1].landmarks).toBe(lm);
    expect(frames[1].global).toEqual({ dx: 1.5, dy: -2 });
    expect(frames[1].surround).toEqual({ dx: 1, dy: 1 });
    expect(frames[1].yawDeg).toBe(4);
  });
});

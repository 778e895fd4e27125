import { describe, expect, it } from 'vitest';
import { ActionDetector, DEFAULT_ACTION_DETECTOR_CONFIG, type DetectedAction } from '../../src/challenge/action-detector.js';
import { FaceGeometryEstimator, createFaceGeometry } from '../../src/geometry/face-geometry.js';
import { NEUTRAL, SyntheticFace, type FacePose } from '../helpers/synthetic-face.js';

const face = new SyntheticFace();
const est = new FaceGeometryEstimator();

/** Runs `ms` of 30 fps frames whose pose is `pose(t)`; a null pose is a frame without a face. */
function run(ms: number, pose: (t: number) => Partial<FacePose> | null, det = new ActionDetector()): DetectedAction[] {
  const out: DetectedAction[] = [];
  for (let i = 0, t = 0; t <= ms; i++, t = (i * 1000) / 30) {
    const p = pose(t);
    const g = p ? est.measure(face.detection({ ...NEUTRAL, noisePx: 0.3, ...p }, i + 1), 640, 480) : null;
    out.push(...det.push(t, g));
  }
  out.push(...det.flush());
  return out;
}

const between = (t: number, a: number, b: number) => t >= a && t < b;

describe('ActionDetector', () => {
  it('reports nothing for a still neutral face', () => {
    expect(run(5000, () => ({}))).toEqual([]);
  });

  it('a blink, with its timing', () => {
    const ev = run(4000, (t) => (between(t, 2000, 2200) ? { rightEyeOpen: 0.1, leftEyeOpen: 0.1 } : {}));
    expect(ev.map((e) => e.type)).toEqual(['blink']);
    expect(ev[0].startMs).toBeGreaterThanOrEqual(1990);
    expect(ev[0].startMs).toBeLessThan(2040);
    expect(ev[0].endMs).toBeGreaterThanOrEqual(2200);
    expect(ev[0].endMs).toBeLessThan(2250);
    expect(ev[0].peak).toBeGreaterThan(0.8);
  });

  it('a long closure is eyes-closed, a half-lowered lid is nothing', () => {
    expect(run(6000, (t) => (between(t, 2000, 3500) ? { rightEyeOpen: 0, leftEyeOpen: 0 } : {})).map((e) => e.type)).toEqual(['eyes-closed']);
    expect(run(6000, (t) => (between(t, 2000, 3500) ? { rightEyeOpen: 0.65, leftEyeOpen: 0.65 } : {}))).toEqual([]);
  });

  it('a blink that ends in a downward gaze still counts as a blink', () => {
    const ev = run(5000, (t) => (between(t, 2000, 2150) ? { rightEyeOpen: 0.1, leftEyeOpen: 0.1 } : between(t, 2150, 3500) ? { rightEyeOpen: 0.6, leftEyeOpen: 0.6 } : {}));
    expect(ev.map((e) => e.type)).toEqual(['blink']);
  });

  it('mouth-open, smile, nod', () => {
    expect(run(4000, (t) => (between(t, 2000, 2600) ? { mouthOpenMm: 25 } : {})).map((e) => e.type)).toEqual(['mouth-open']);
    expect(run(4000, (t) => (between(t, 2000, 2100) ? { mouthOpenMm: 25 } : {}))).toEqual([]); // too short
    expect(run(5000, (t) => (between(t, 2000, 3000) ? { smile: 1 } : {})).map((e) => e.type)).toEqual(['smile']);
    expect(run(5000, (t) => (between(t, 2000, 2300) ? { pitchDeg: -15 } : {})).map((e) => e.type)).toEqual(['nod']);
  });

  it('a smile that builds up over a second is found, from its onset; a slow drift of the mouth width is not a smile', () => {
    // a running average of the width learnt such an onset as neutral and never saw the smile
    const ramp = (t: number) => (t < 2000 ? 0 : t < 3000 ? (t - 2000) / 1000 : t < 4500 ? 1 : t < 5000 ? (5000 - t) / 500 : 0);
    const ev = run(7000, (t) => ({ smile: ramp(t) }));
    expect(ev.map((e) => e.type)).toEqual(['smile']);
    // onset: where the widening passed `release`, early in the ramp, not where it reached `widen`
    expect(ev[0].startMs).toBeGreaterThanOrEqual(2000);
    expect(ev[0].startMs).toBeLessThan(2600);
    // the same widening spread over 20 s (the neutral follows it) is nothing
    expect(run(24000, (t) => ({ smile: Math.min(1, Math.max(0, (t - 2000) / 20000)) }))).toEqual([]);
  });

  it("turns: nose to the image's right is turn-left unmirrored and turn-right mirrored", () => {
    const right = (t: number) => (between(t, 2000, 3000) ? { yawDeg: 22 } : {});
    expect(run(5000, right).map((e) => e.type)).toEqual(['turn-left']);
    expect(run(5000, right, new ActionDetector({ mirrored: true })).map((e) => e.type)).toEqual(['turn-right']);
    expect(run(5000, (t) => (between(t, 2000, 3000) ? { yawDeg: -22 } : {})).map((e) => e.type)).toEqual(['turn-right']);
    expect(run(5000, (t) => (between(t, 2000, 2150) ? { yawDeg: 22 } : {}))).toEqual([]); // too short
    expect(run(5000, (t) => (between(t, 2000, 3000) ? { yawDeg: 10 } : {}))).toEqual([]); // too small
  });

  it('a clip ending on a turned head reports the turn on flush; losing the face drops what was under way', () => {
    expect(run(4000, (t) => (t > 2000 ? { yawDeg: -25 } : {})).map((e) => e.type)).toEqual(['turn-right']);
    expect(run(4000, (t) => (between(t, 2000, 2100) ? { rightEyeOpen: 0, leftEyeOpen: 0 } : t >= 2100 && t < 2400 ? null : {}))).toEqual([]);
  });
});

/** Plain per-frame geometry: only what the detector reads. */
interface Plain {
  yaw?: number;
  pitch?: number;
  open?: number;
  interEye?: number;
}
function runPlain(ms: number, at: (t: number) => Plain | null, fps = 25): DetectedAction[] {
  const det = new ActionDetector();
  const out: DetectedAction[] = [];
  const g = createFaceGeometry();
  for (let i = 0, t = 0; t <= ms; i++, t = (i * 1000) / fps) {
    const p = at(t);
    if (p) {
      // a little landmark jitter, deterministic
      const jitter = ((i * 7) % 5) / 5 - 0.4;
      g.pose.yawDeg = (p.yaw ?? 0) + 0.3 * jitter;
      g.pose.pitchDeg = (p.pitch ?? 0) - 0.3 * jitter;
      g.rightEye.openness = g.leftEye.openness = (p.open ?? 0.3) * (1 + 0.01 * jitter);
      g.interEyePx = p.interEye ?? 60;
      g.mouthWidth = 0.55;
      g.mouthOpening = 0;
    }
    out.push(...det.push(t, p ? g : null));
  }
  out.push(...det.flush());
  return out;
}
/** 0 -> 1 -> 0 over [a, b] with a flat top of `top` ms in the middle (smooth ramps). */
function bump(t: number, a: number, b: number, top = 0): number {
  const ramp = (b - a - top) / 2;
  const x = t < a || t > b ? 0 : t < a + ramp ? (t - a) / ramp : t > b - ramp ? (b - t) / ramp : 1;
  return x * x * (3 - 2 * x);
}

describe('ActionDetector on plain geometry', () => {
  it('measures a turn from the pose before it: a 1 s turn of 16 deg that peaks briefly is found', () => {
    // resting slightly turned (12 deg), like franck; ~280 ms beyond 10 deg, one frame at the peak
    const ev = runPlain(6000, (t) => ({ yaw: 12 + 16 * bump(t, 2500, 3500) }));
    expect(ev.map((e) => e.type)).toEqual(['turn-left']);
    expect(ev[0].peak).toBeGreaterThan(15);
    expect(ev[0].peak).toBeLessThan(17);
    // the same turn to 13 deg is not one, and neither is a two-frame pose glitch to 25 deg
    expect(runPlain(6000, (t) => ({ yaw: 12 + 13 * bump(t, 2500, 3500) }))).toEqual([]);
    expect(runPlain(6000, (t) => ({ yaw: t >= 3000 && t < 3080 ? 37 : 12 }))).toEqual([]);
  });

  it('a posture change is not a turn, and the next movement is measured from the new posture', () => {
    // settles 9 deg further over 1.5 s and stays; 2 s later a 9 deg sway further still (18 from the first posture)
    const ev = runPlain(9000, (t) => ({ yaw: 9 * Math.min(1, Math.max(0, (t - 2000) / 1500)) + 9 * bump(t, 6000, 7000, 300) }));
    expect(ev).toEqual([]);
  });

  it('a swing straight from a held turn to the other side is measured from the held pose', () => {
    // held at -16 for 600 ms, then to +12 (28 deg from the held pose, 12 past the rest) and held: turn-right, turn-left
    const swing = (t: number) => ({
      yaw: t < 2000 ? 0 : t < 2400 ? -16 * bump(t, 2000, 2800) : t < 3000 ? -16 : t < 3600 ? -16 + 28 * bump(t, 3000, 4200) : t < 4400 ? 12 : 12 - 12 * Math.min(1, (t - 4400) / 400),
    });
    const ev = runPlain(6000, swing);
    expect(ev.map((e) => e.type)).toEqual(['turn-right', 'turn-left']);
    expect(ev[1].peak).toBeGreaterThan(26);
    // the same swing from a turn that was not held still is measured from the rest pose: 12 deg, no turn
    const unheld = (t: number) => ({
      yaw:
        t < 2000
          ? 0
          : t < 2400
            ? -16 * bump(t, 2000, 2800)
            : t < 2600
              ? -16 + 10 * ((t - 2400) / 200)
              : t < 3200
                ? -6 + 18 * bump(t, 2600, 3800)
                : t < 4400
                  ? 12
                  : 12 - 12 * Math.min(1, (t - 4400) / 400),
    });
    expect(runPlain(6000, unheld).map((e) => e.type)).toEqual(['turn-right']);
    // coming back from a held turn past the rest pose by less than the release is not a turn the other way
    const back = (t: number) => ({ yaw: t < 2000 ? 0 : t < 2500 ? 20 * bump(t, 2000, 3000) : t < 3500 ? 20 : t < 4000 ? 20 - 26 * Math.min(1, (t - 3500) / 500) : -6 });
    expect(runPlain(6000, back).map((e) => e.type)).toEqual(['turn-left']);
  });

  it('judges a blink on the lid travel the eye can show: the same 30% narrowing is a blink of a small eye only', () => {
    // a closed eye still reads ~1.3 px of lid gap: on an eye ~9 px wide (23 px between the eyes) the open gap is
    // ~2.2 px, so narrowing it by 30% is most of its travel; on an eye 23 px wide it is a squint or a downward look
    const dip = (interEye: number) => (t: number) => ({ interEye, open: t >= 3000 && t < 3120 ? 0.18 : 0.26 });
    const small = runPlain(5000, dip(23), 15);
    expect(small.map((e) => e.type)).toEqual(['blink']);
    expect(small[0].peak).toBeGreaterThan(0.6);
    expect(runPlain(5000, dip(60), 15)).toEqual([]);
    // a full closure of the large eye is a blink
    expect(runPlain(5000, (t) => ({ interEye: 60, open: t >= 3000 && t < 3120 ? 0.05 : 0.26 })).map((e) => e.type)).toEqual(['blink']);
  });

  it('eyes too small to show a blink: no blink, an eyes-unresolved span instead of a silent miss', () => {
    // 12 px between the eyes: ~1.2 px of open lid gap, no more than a closed eye reads
    const ev = runPlain(6000, (t) => ({ interEye: t < 4000 ? 12 : 60, open: (t >= 2000 && t < 2120) || (t >= 5000 && t < 5120) ? 0.05 : 0.26 }));
    expect(ev.map((e) => e.type)).toEqual(['eyes-unresolved', 'blink']);
    expect(ev[0].startMs).toBeLessThan(100);
    expect(ev[0].endMs).toBeGreaterThanOrEqual(4000);
    expect(ev[0].endMs).toBeLessThan(4100);
    expect(ev[0].peak).toBeLessThan(DEFAULT_ACTION_DETECTOR_CONFIG.blink.minTravelPx);
  });
});

import { describe, expect, it } from 'vitest';
import { ActionDetector, type DetectedAction } from '../../src/challenge/action-detector.js';
import { FaceGeometryEstimator } from '../../src/geometry/face-geometry.js';
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

import { describe, expect, it } from 'vitest';
import { FaceGeometryEstimator, createFaceGeometry, type FaceGeometry } from '../../src/geometry/face-geometry.js';
import { NEUTRAL, SyntheticFace, mirrorLandmarks, type FacePose } from '../helpers/synthetic-face.js';
import type { FaceDetection } from '../../src/types.js';

const face = new SyntheticFace();
const est = new FaceGeometryEstimator();
const W = 640,
  H = 480;

function measure(p: Partial<FacePose>, seed = 1): FaceGeometry {
  const g = est.measure(face.detection({ ...NEUTRAL, ...p }, seed), W, H);
  if (!g) throw new Error('no geometry');
  return g;
}

describe('eye openness', () => {
  it('is ~0.3 open and falls toward 0 as each eye closes, independently', () => {
    const open = measure({});
    expect(open.rightEye.openness).toBeGreaterThan(0.25);
    expect(open.rightEye.openness).toBeLessThan(0.4);
    const rightClosed = measure({ rightEyeOpen: 0.1 });
    expect(rightClosed.rightEye.openness).toBeLessThan(0.06);
    expect(rightClosed.leftEye.openness).toBeCloseTo(open.leftEye.openness, 3);
    const half = measure({ rightEyeOpen: 0.5, leftEyeOpen: 0.5 });
    expect(half.leftEye.openness).toBeGreaterThan(rightClosed.rightEye.openness);
    expect(half.leftEye.openness).toBeLessThan(open.leftEye.openness);
  });

  it('uses the iris for a second, scale-free openness measure when present', () => {
    const g = measure({});
    expect(g.hasIris).toBe(true);
    expect(g.rightEye.irisOpenness).toBeGreaterThan(0.6);
    expect(measure({ rightEyeOpen: 0 }).rightEye.irisOpenness).toBeLessThan(0.1);
    const noIris = measure({ iris: false });
    expect(noIris.hasIris).toBe(false);
    expect(Number.isNaN(noIris.rightEye.irisOpenness)).toBe(true);
    expect(noIris.rightEye.openness).toBeCloseTo(g.rightEye.openness, 6);
  });

  it('does not read a head turn as a closing eye (pose-corrected)', () => {
    const frontal = measure({}).rightEye.openness;
    for (const [yaw, pitch] of [
      [30, 0],
      [-30, 0],
      [0, 20],
      [0, -20],
      [25, 15],
    ]) {
      const g = measure({ yawDeg: yaw, pitchDeg: pitch, noisePx: 0.3 });
      expect(Math.abs(g.rightEye.openness - frontal) / frontal).toBeLessThan(0.1);
      expect(Math.abs(g.leftEye.openness - frontal) / frontal).toBeLessThan(0.1);
    }
  });
});

describe('mouth and smile', () => {
  it('mouth opening grows with the lip gap and is ~0 when closed', () => {
    const closed = measure({});
    expect(closed.mouthOpening).toBeLessThan(0.02);
    const open = measure({ mouthOpenMm: 25 });
    expect(open.mouthOpening).toBeGreaterThan(0.2);
    expect(measure({ mouthOpenMm: 25, yawDeg: 25 }).mouthOpening).toBeCloseTo(open.mouthOpening, 1);
    expect(closed.lipCrossing).toBeLessThanOrEqual(0.01);
  });

  it('smile widens the mouth and lifts the corners', () => {
    const neutral = measure({});
    const smile = measure({ smile: 1 });
    expect(smile.mouthWidth / neutral.mouthWidth).toBeGreaterThan(1.12);
    expect(smile.mouthCornerLift - neutral.mouthCornerLift).toBeGreaterThan(0.02);
  });
});

describe('size, centring, framing', () => {
  it('measures inter-eye distance in px from the iris centres', () => {
    const g = measure({ pxPerMm: 1.5 });
    // iris centres are 60 mm apart on the template (times the identity's width factor 1.06)
    expect(g.interEyePx).toBeCloseTo(60 * 1.06 * 1.5, 0);
    expect(measure({ pxPerMm: 0.75 }).interEyePx).toBeCloseTo(g.interEyePx / 2, 0);
  });

  it('reports the centre offset and in-frame fraction', () => {
    const centred = measure({ centerX: W / 2, centerY: H / 2 - 10 });
    expect(Math.abs(centred.centerOffset[0])).toBeLessThan(0.05);
    const right = measure({ centerX: W * 0.8 });
    expect(right.centerOffset[0]).toBeGreaterThan(0.2);
    expect(centred.inFrameFraction).toBe(1);
    const halfOut = measure({ centerX: W - 5 });
    expect(halfOut.inFrameFraction).toBeGreaterThan(0.3);
    expect(halfOut.inFrameFraction).toBeLessThan(0.7);
    expect(measure({ pxPerMm: 2 }).heightFraction).toBeGreaterThan(centred.heightFraction * 1.5);
  });
});

describe('mirroring and robustness', () => {
  it('mirroring swaps the eyes and negates yaw and roll', () => {
    const det = face.detection({ ...NEUTRAL, yawDeg: 20, rollDeg: 6, rightEyeOpen: 0.3 });
    const a = est.measure(det, W, H)!;
    const aYaw = a.pose.yawDeg,
      aRoll = a.pose.rollDeg,
      aRight = a.rightEye.openness,
      aLeft = a.leftEye.openness;
    const mirrored: FaceDetection = { ...det, landmarks: mirrorLandmarks(det.landmarks, W) };
    const b = est.measure(mirrored, W, H)!;
    expect(b.pose.yawDeg).toBeCloseTo(-aYaw, 6);
    expect(b.pose.rollDeg).toBeCloseTo(-aRoll, 6);
    expect(b.leftEye.openness).toBeCloseTo(aRight, 6);
    expect(b.rightEye.openness).toBeCloseTo(aLeft, 6);
  });

  it('returns null for an incomplete mesh and reuses the out object', () => {
    const det = face.detection(NEUTRAL);
    expect(est.measure({ ...det, landmarks: det.landmarks.slice(0, 400) }, W, H)).toBeNull();
    const out = createFaceGeometry();
    expect(est.measure(det, W, H, undefined, out)).toBe(out);
  });

  it('flags crossed lips and implausible eye widths from the landmarks alone', () => {
    const det = face.detection(NEUTRAL);
    const lm = det.landmarks.map((p) => [...p] as [number, number, number]);
    lm[13] = [lm[13][0], lm[13][1] + 15, lm[13][2]]; // upper inner lip pushed below the lower one
    lm[133] = [lm[133][0] + 25, lm[133][1], lm[133][2]]; // right eye corner dragged toward the nose
    const g = est.measure({ ...det, landmarks: lm }, W, H)!;
    expect(g.lipCrossing).toBeGreaterThan(0.05);
    expect(g.rightEye.widthRatio).toBeGreaterThan(measure({}).rightEye.widthRatio * 1.3);
  });

  it('gives a stable shape signature for one person and a different one for another', () => {
    const a = measure({}).signature.slice();
    const a2 = measure({ yawDeg: 20, pitchDeg: -10, noisePx: 0.5 }, 9).signature.slice();
    const other = new SyntheticFace({ seed: 41, width: 0.9, height: 1.1, depth: 1, jitterMm: 3 });
    const b = est.measure(other.detection(NEUTRAL), W, H)!.signature.slice();
    const d = (x: Float64Array, y: Float64Array) => Math.hypot(...Array.from(x, (v, i) => v - y[i]));
    expect(d(a, a2)).toBeLessThan(d(a, b) / 2);
  });
});

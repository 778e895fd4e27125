// A parametric synthetic face for tests: a 478-point FaceMesh-indexed 3D template (the indices the geometry reads are
// placed anatomically; the rest fill a face-shaped surface), posed by yaw/pitch/roll, animated by eye, mouth and smile
// parameters, projected weak-perspective into image px. Each identity has its own proportions and per-point jitter so
// it never equals the canonical face the pose fit uses. Deterministic: seeded noise only.

import { CANONICAL_FACE } from '../../src/geometry/canonical-face.js';
import { MIRROR_PAIRS } from '../../src/face/landmarks.js';
import { rotationFromEuler } from '../../src/geometry/pose.js';
import type { FaceDetection, FrameAnalysis, Point3, QualityMetrics } from '../../src/types.js';

import { mulberry32 } from './random.js';
export { mulberry32 };

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export interface FaceIdentity {
  seed: number;
  /** Proportion factors relative to the canonical face. */
  width: number;
  height: number;
  depth: number;
  /** Per-point shape jitter (mm), symmetric left/right. */
  jitterMm: number;
}

export const DEFAULT_IDENTITY: FaceIdentity = { seed: 7, width: 1.06, height: 0.95, depth: 1.1, jitterMm: 1.5 };

export interface FacePose {
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  /** Image position of the face origin (between the eyes) and px per mm. */
  centerX: number;
  centerY: number;
  pxPerMm: number;
  /** 1 = fully open, 0 = closed. */
  rightEyeOpen: number;
  leftEyeOpen: number;
  /** Inner-lip gap in mm. */
  mouthOpenMm: number;
  /** 0..1 */
  smile: number;
  /** 0..1: lips pressed together, as wide as a full smile but with the corners not lifted. */
  lipPress?: number;
  iris: boolean;
  /** Gaussian landmark noise, px (x, y; z gets the same). */
  noisePx: number;
}

export const NEUTRAL: FacePose = {
  yawDeg: 0,
  pitchDeg: 0,
  rollDeg: 0,
  centerX: 320,
  centerY: 220,
  pxPerMm: 1.2,
  rightEyeOpen: 1,
  leftEyeOpen: 1,
  mouthOpenMm: 0,
  smile: 0,
  iris: true,
  noisePx: 0,
};

/** Neutral template for one side's eye (sign -1 = right eye at image left). */
function eyePoints(
  sign: number,
  open: number,
  set: (i: number, x: number, y: number, z: number) => void,
  idx: {
    upperOuter: number;
    upperInner: number;
    lowerOuter: number;
    lowerInner: number;
    iris: number;
  },
): void {
  const lower = 4,
    upper = lower - 10 * Math.max(0, Math.min(1, open));
  set(idx.upperOuter, sign * 37, upper, 3);
  set(idx.upperInner, sign * 23, upper, 3);
  set(idx.lowerOuter, sign * 37, lower, 3);
  set(idx.lowerInner, sign * 23, lower, 3);
  // iris: centre + 4 contour points (order: +x, -y, -x, +y in the subject frame)
  const cy = -1,
    r = 5.8;
  set(idx.iris, sign * 30, cy, 0);
  set(idx.iris + 1, sign * 30 + r, cy, 0);
  set(idx.iris + 2, sign * 30, cy - r, 0);
  set(idx.iris + 3, sign * 30 - r, cy, 0);
  set(idx.iris + 4, sign * 30, cy + r, 0);
}

export class SyntheticFace {
  private readonly base = new Float64Array(478 * 3);
  private readonly identity: FaceIdentity;

  constructor(identity: FaceIdentity = DEFAULT_IDENTITY) {
    this.identity = identity;
    const rand = mulberry32(identity.seed);
    // filler: a face-shaped surface, deterministic per identity
    for (let i = 0; i < 478; i++) {
      const u = (rand() - 0.5) * 2,
        v = (rand() - 0.5) * 2;
      this.base[i * 3] = 65 * u;
      this.base[i * 3 + 1] = 10 + 85 * v;
      this.base[i * 3 + 2] = 45 * u * u + 10 * v * v;
    }
    for (const c of CANONICAL_FACE) this.setBase(c.index, c.point[0], c.point[1], c.point[2]);
    this.setBase(70, -40, -18, 0);
    this.setBase(300, 40, -18, 0);
    this.setBase(105, -22, -22, -4);
    this.setBase(334, 22, -22, -4);
    // identity: proportions + symmetric jitter on every point
    const jitter = new Map<number, [number, number, number]>();
    const j = () => [gaussian(rand) * identity.jitterMm, gaussian(rand) * identity.jitterMm, gaussian(rand) * identity.jitterMm] as [number, number, number];
    for (const [a, b] of MIRROR_PAIRS) {
      const d = j();
      jitter.set(a, d);
      jitter.set(b, [-d[0], d[1], d[2]]);
    }
    for (let i = 0; i < 478; i++) {
      const d = jitter.get(i) ?? j();
      const onMidline = this.base[i * 3] === 0;
      this.base[i * 3] = this.base[i * 3] * identity.width + (onMidline ? 0 : d[0]);
      this.base[i * 3 + 1] = this.base[i * 3 + 1] * identity.height + d[1];
      this.base[i * 3 + 2] = this.base[i * 3 + 2] * identity.depth + d[2];
    }
  }

  private setBase(i: number, x: number, y: number, z: number): void {
    this.base[i * 3] = x;
    this.base[i * 3 + 1] = y;
    this.base[i * 3 + 2] = z;
  }

  /** Landmarks (478 with iris, else 468) for a pose/expression. `noiseSeed` varies the landmark noise per frame. */
  landmarks(p: FacePose, noiseSeed = 1): Point3[] {
    const id = this.identity;
    const local = Float64Array.from(this.base);
    const set = (i: number, x: number, y: number, z: number) => {
      local[i * 3] = x * id.width;
      local[i * 3 + 1] = y * id.height;
      local[i * 3 + 2] = z * id.depth;
    };
    eyePoints(-1, p.rightEyeOpen, set, { upperOuter: 160, upperInner: 158, lowerOuter: 144, lowerInner: 153, iris: 468 });
    eyePoints(1, p.leftEyeOpen, set, { upperOuter: 387, upperInner: 385, lowerOuter: 373, lowerInner: 380, iris: 473 });
    const g = p.mouthOpenMm,
      s = p.smile,
      w = s + (p.lipPress ?? 0);
    set(61, -(25 + 5 * w), 65 - 4 * s, -5);
    set(291, 25 + 5 * w, 65 - 4 * s, -5);
    set(78, -(21 + 4 * w), 65 - 3 * s, -7);
    set(308, 21 + 4 * w, 65 - 3 * s, -7);
    set(13, 0, 64, -12);
    set(14, 0, 64 + g, -12);
    set(0, 0, 58, -15);
    set(17, 0, 72 + g, -13);
    set(152, 0, 100 + 0.8 * g, -8);
    const r = rotationFromEuler(p.yawDeg, p.pitchDeg, p.rollDeg);
    const rand = mulberry32(noiseSeed * 7919 + 13);
    const n = p.iris ? 478 : 468;
    const out: Point3[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const x = local[i * 3],
        y = local[i * 3 + 1],
        z = local[i * 3 + 2];
      const rx = r[0] * x + r[1] * y + r[2] * z;
      const ry = r[3] * x + r[4] * y + r[5] * z;
      const rz = r[6] * x + r[7] * y + r[8] * z;
      const nx = p.noisePx > 0 ? gaussian(rand) * p.noisePx : 0;
      const ny = p.noisePx > 0 ? gaussian(rand) * p.noisePx : 0;
      const nz = p.noisePx > 0 ? gaussian(rand) * p.noisePx : 0;
      out[i] = [p.centerX + p.pxPerMm * rx + nx, p.centerY + p.pxPerMm * ry + ny, p.pxPerMm * rz + nz];
    }
    return out;
  }

  detection(p: FacePose, noiseSeed = 1): FaceDetection {
    const landmarks = this.landmarks(p, noiseSeed);
    return { box: boxOf(landmarks), score: 0.99, landmarks, rotation: (p.rollDeg * Math.PI) / 180, tracked: true };
  }
}

export function boxOf(landmarks: readonly Point3[]): FaceDetection['box'] {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (let i = 0; i < Math.min(468, landmarks.length); i++) {
    const [x, y] = landmarks[i];
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** The same face seen in a horizontally mirrored image: x -> W - x, left/right labels swapped. */
export function mirrorLandmarks(landmarks: readonly Point3[], width: number): Point3[] {
  const out = landmarks.map(([x, y, z]) => [width - x, y, z] as Point3);
  for (const [a, b] of MIRROR_PAIRS) {
    if (a >= out.length || b >= out.length) continue;
    const t = out[a];
    out[a] = out[b];
    out[b] = t;
  }
  return out;
}

export function goodQuality(overrides: Partial<QualityMetrics> = {}): QualityMetrics {
  return {
    entropy: 7.2,
    faceEntropy: 6.8,
    faceLuma: 135,
    frameLuma: 125,
    faceLumaStd: 42,
    darkClipped: 0.01,
    brightClipped: 0.005,
    faceToSurround: 1.05,
    leftRightBalance: 0.02,
    meanRgb: [160, 128, 112],
    focus: 350,
    focusNormalized: 0.25,
    motion: { globalDx: 0.1, globalDy: -0.1, residualMedian: 0.1, residualP90: 0.3, trackedFraction: 0.9 },
    ...overrides,
  };
}

export function frameOf(timestampMs: number, faces: FaceDetection[], quality: Partial<QualityMetrics> = {}, width = 640, height = 480): FrameAnalysis {
  return { timestampMs, width, height, quality: goodQuality(quality), faces };
}

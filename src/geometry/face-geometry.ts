// Per-frame face geometry from one FaceDetection: pose, eye openness, mouth opening, smile, size, centring and the
// landmark-only occlusion cues. Shape measures are taken on the mesh after undoing the fitted pose (in canonical
// units), so a turned head does not look like a narrowed eye.

import type { FaceDetection, Point3 } from '../types.js';
import { CANONICAL_FACE, type CanonicalPoint } from './canonical-face.js';
import { LEFT_EYE, MESH_POINTS, MESH_WITH_IRIS_POINTS, MOUTH, RIGHT_EYE, type EyeIndices } from '../face/landmarks.js';
import { PoseFitter, createHeadPose, type HeadPose } from './pose.js';

/** Statistics of one face region, measured from pixels by a kernel. Every field is optional: consumed when present. */
export interface RegionStats {
  /** Mean luma 0..255 of the region. */
  lumaMean?: number;
  /** Standard deviation of the region's luma. */
  lumaStd?: number;
  /** Fraction 0..1 of pixels that are near-white, low-saturation specular highlights (glare on glasses). */
  specularFraction?: number;
  /** Distance of the region's mean chroma from the face's cheek skin tone (0 = same tone; ~1 = very different). */
  skinToneDistance?: number;
  /** Density 0..1 of thin dark edges crossing the region (hair strands over an eye). */
  strandEdgeDensity?: number;
}

/** Pixel-based region measures around the landmarks, filled by kernels or the integrator when available. */
export interface FaceRegionStats {
  rightEye?: RegionStats;
  leftEye?: RegionStats;
  mouth?: RegionStats;
  /** The cheeks below the eyes: the reference for skin tone and for eye-region darkness. */
  cheeks?: RegionStats;
}

export interface EyeGeometry {
  /**
   * Eye aspect ratio (Soukupova & Cech), pose-corrected: mean lid gap / corner-to-corner width. From the iris model's
   * eye contour when the face has one (FaceMesh's own lid points barely move on a blink), else from the mesh lid
   * points 160/158/144/153 (and their left-eye mirrors).
   */
  openness: number;
  /** The same ratio from the FaceMesh lid points only. */
  meshOpenness: number;
  /** Lid gap / iris diameter when the iris points exist (NaN otherwise): ~0.9 open, near 0 closed. */
  irisOpenness: number;
  /** Eye width (corner to corner) / inter-ocular width: ~0.33 on a normal eye; far off = implausible shape. */
  widthRatio: number;
  /** Eye centre in image px (iris centre when present, else the corners' midpoint). */
  center: [number, number];
  /** Iris centre horizontal position between the corners, 0 = outer corner, 1 = inner corner (NaN without iris). */
  irisPosition: number;
}

export interface FaceGeometry {
  pose: HeadPose;
  rightEye: EyeGeometry;
  leftEye: EyeGeometry;
  /** Inner-lip gap / inter-ocular width (pose-corrected): ~0 closed, > 0.2 clearly open. */
  mouthOpening: number;
  /** Mouth width corner to corner / inter-ocular width: ~0.55 neutral, grows with a smile. */
  mouthWidth: number;
  /** Corner lift: (lip-centre y - mouth-corner y) / inter-ocular width; grows when the corners rise. */
  mouthCornerLift: number;
  /** Distance in image px between the two eye centres (ICAO: ~90 px for a good portrait). */
  interEyePx: number;
  /** Face (mesh extent) centre minus frame centre, as fractions of the frame size: -0.5..0.5. */
  centerOffset: [number, number];
  /** Mesh extent height / frame height and width / frame width. */
  heightFraction: number;
  widthFraction: number;
  /** Fraction 0..1 of the 468 mesh points inside the frame. */
  inFrameFraction: number;
  /** Whether the mesh came with the 10 iris points. */
  hasIris: boolean;
  /** Whether eye openness came from the iris model's eye contours. */
  hasEyeContours: boolean;
  /** Upper inner lip below the lower inner lip by this much (inter-ocular units); > 0 means crossed lips (implausible). */
  lipCrossing: number;
  /** Pixel-based cues passed through for guidance (undefined when the kernels did not measure them). */
  regions: FaceRegionStats | undefined;
  /** Rigid shape signature (ratios of stable distances) for identity-change checks. */
  signature: Float64Array;
}

/** Number of entries in `FaceGeometry.signature`. */
export const SIGNATURE_LENGTH = 8;

/**
 * The iris model's eye contour (71 points per eye, image px); only the first 16 are read: 0..8 the lower lid from one
 * corner to the other, 9..15 the upper lid in the same direction (FaceMesh's EyeLower0 / EyeUpper0 order).
 */
export interface EyeContours {
  right: readonly Point3[];
  left: readonly Point3[];
}

/** A face detection, optionally with the iris model's eye contours (src/face's TrackedFace has them). */
export type FaceWithContours = FaceDetection & { eyeContours?: EyeContours | null };

// Upper-lid contour index 9 + j sits above lower-lid index 1 + j; the interior pairs j = 1..5 measure the gap.
const CONTOUR_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [10, 2],
  [11, 3],
  [12, 4],
  [13, 5],
  [14, 6],
];
const CONTOUR_POINTS_READ = 16;

// Stable distance pairs for the shape signature, each divided by the inter-ocular width.
const SIGNATURE_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [33, 133],
  [362, 263],
  [133, 362],
  [168, 1],
  [1, 98],
  [98, 327],
  [234, 454],
  [10, 168],
];

function createEye(): EyeGeometry {
  return { openness: 0, meshOpenness: 0, irisOpenness: NaN, widthRatio: 0, center: [0, 0], irisPosition: NaN };
}

export function createFaceGeometry(): FaceGeometry {
  return {
    pose: createHeadPose(),
    rightEye: createEye(),
    leftEye: createEye(),
    mouthOpening: 0,
    mouthWidth: 0,
    mouthCornerLift: 0,
    interEyePx: 0,
    centerOffset: [0, 0],
    heightFraction: 0,
    widthFraction: 0,
    inFrameFraction: 0,
    hasIris: false,
    hasEyeContours: false,
    lipCrossing: 0,
    regions: undefined,
    signature: new Float64Array(SIGNATURE_LENGTH),
  };
}

/**
 * Measures faces frame after frame. Owns a pose-corrected copy of the mesh so repeated calls allocate nothing when
 * an `out` object is passed.
 */
export class FaceGeometryEstimator {
  private readonly fitter: PoseFitter;
  /** Pose-corrected mesh, canonical units, flat xyz. */
  private readonly local = new Float64Array(MESH_WITH_IRIS_POINTS * 3);
  /** Pose-corrected eye contour of one eye. */
  private readonly contour = new Float64Array(CONTOUR_POINTS_READ * 3);

  constructor(canonical: readonly CanonicalPoint[] = CANONICAL_FACE) {
    this.fitter = new PoseFitter(canonical);
  }

  /**
   * Geometry of `face` in a frame of `width` x `height` px. Returns null when the mesh is incomplete or degenerate
   * (fewer than 468 points, non-finite values).
   */
  measure(face: FaceWithContours, width: number, height: number, regions?: FaceRegionStats, out: FaceGeometry = createFaceGeometry()): FaceGeometry | null {
    const lm = face.landmarks;
    if (lm.length < MESH_POINTS) return null;
    if (!this.fitter.fit(lm, out.pose)) return null;
    const hasIris = lm.length >= MESH_WITH_IRIS_POINTS;
    const n = hasIris ? MESH_WITH_IRIS_POINTS : MESH_POINTS;
    this.toLocal(lm, n, out.pose);

    const io = this.dist(RIGHT_EYE.outer, LEFT_EYE.outer);
    out.hasIris = hasIris;
    this.measureEye(lm, RIGHT_EYE, io, hasIris, out.rightEye);
    this.measureEye(lm, LEFT_EYE, io, hasIris, out.leftEye);
    const ec = face.eyeContours;
    out.hasEyeContours = !!ec && ec.right.length >= CONTOUR_POINTS_READ && ec.left.length >= CONTOUR_POINTS_READ;
    if (out.hasEyeContours) {
      out.rightEye.openness = this.contourOpenness(ec!.right, out.pose);
      out.leftEye.openness = this.contourOpenness(ec!.left, out.pose);
    }

    const l = this.local;
    out.mouthOpening = this.dist(MOUTH.upperInner, MOUTH.lowerInner) / io;
    out.lipCrossing = (l[MOUTH.upperInner * 3 + 1] - l[MOUTH.lowerInner * 3 + 1]) / io;
    out.mouthWidth = this.dist(MOUTH.rightCorner, MOUTH.leftCorner) / io;
    const lipCentreY = 0.5 * (l[MOUTH.upperInner * 3 + 1] + l[MOUTH.lowerInner * 3 + 1]);
    const cornerY = 0.5 * (l[MOUTH.rightCorner * 3 + 1] + l[MOUTH.leftCorner * 3 + 1]);
    out.mouthCornerLift = (lipCentreY - cornerY) / io;

    const rc = out.rightEye.center,
      lc = out.leftEye.center;
    out.interEyePx = Math.hypot(rc[0] - lc[0], rc[1] - lc[1]);

    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity,
      inside = 0;
    for (let i = 0; i < MESH_POINTS; i++) {
      const p = lm[i];
      const x = p[0],
        y = p[1];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (x >= 0 && x < width && y >= 0 && y < height) inside++;
    }
    out.centerOffset[0] = (0.5 * (minX + maxX) - width / 2) / width;
    out.centerOffset[1] = (0.5 * (minY + maxY) - height / 2) / height;
    out.widthFraction = (maxX - minX) / width;
    out.heightFraction = (maxY - minY) / height;
    out.inFrameFraction = inside / MESH_POINTS;
    out.regions = regions;

    for (let i = 0; i < SIGNATURE_PAIRS.length; i++) out.signature[i] = this.dist(SIGNATURE_PAIRS[i][0], SIGNATURE_PAIRS[i][1]) / io;
    return out;
  }

  private measureEye(lm: readonly Point3[], eye: EyeIndices, io: number, hasIris: boolean, out: EyeGeometry): void {
    const width = this.dist(eye.outer, eye.inner);
    const gapOuter = this.dist(eye.upperOuter, eye.lowerOuter);
    const gapInner = this.dist(eye.upperInner, eye.lowerInner);
    out.openness = out.meshOpenness = (gapOuter + gapInner) / (2 * width);
    out.widthRatio = width / io;
    if (hasIris) {
      const l = this.local;
      const c = eye.irisCenter;
      let r = 0;
      for (const k of eye.irisContour) r += Math.hypot(l[k * 3] - l[c * 3], l[k * 3 + 1] - l[c * 3 + 1]);
      const diameter = (2 * r) / eye.irisContour.length;
      out.irisOpenness = diameter > 0 ? (0.5 * (gapOuter + gapInner)) / diameter : NaN;
      const ox = l[eye.outer * 3],
        ix = l[eye.inner * 3];
      out.irisPosition = ix !== ox ? (l[c * 3] - ox) / (ix - ox) : NaN;
      out.center[0] = lm[c][0];
      out.center[1] = lm[c][1];
    } else {
      out.irisOpenness = NaN;
      out.irisPosition = NaN;
      out.center[0] = 0.5 * (lm[eye.outer][0] + lm[eye.inner][0]);
      out.center[1] = 0.5 * (lm[eye.outer][1] + lm[eye.inner][1]);
    }
  }

  /** Mean lid gap / corner distance of a pose-corrected eye contour. */
  private contourOpenness(points: readonly Point3[], pose: HeadPose): number {
    const c = this.contour;
    toLocal(points, CONTOUR_POINTS_READ, pose, c);
    let gap = 0;
    for (let i = 0; i < CONTOUR_PAIRS.length; i++) gap += distance(c, CONTOUR_PAIRS[i][0], CONTOUR_PAIRS[i][1]);
    return gap / CONTOUR_PAIRS.length / distance(c, 0, 8);
  }

  /** local = R^T (p - t) / s */
  private toLocal(lm: readonly Point3[], n: number, pose: HeadPose): void {
    toLocal(lm, n, pose, this.local);
  }

  private dist(a: number, b: number): number {
    return distance(this.local, a, b);
  }
}

/** out = R^T (p - t) / s for the first n points: image px -> canonical units. */
function toLocal(points: readonly Point3[], n: number, pose: HeadPose, out: Float64Array): void {
  const r = pose.rotation,
    t = pose.translation,
    inv = 1 / pose.scale;
  for (let i = 0; i < n; i++) {
    const p = points[i];
    const x = p[0] - t[0],
      y = p[1] - t[1],
      z = p[2] - t[2];
    out[i * 3] = (r[0] * x + r[3] * y + r[6] * z) * inv;
    out[i * 3 + 1] = (r[1] * x + r[4] * y + r[7] * z) * inv;
    out[i * 3 + 2] = (r[2] * x + r[5] * y + r[8] * z) * inv;
  }
}

/** Distance between points a and b of a flat xyz array. */
function distance(p: Float64Array, a: number, b: number): number {
  return Math.hypot(p[a * 3] - p[b * 3], p[a * 3 + 1] - p[b * 3 + 1], p[a * 3 + 2] - p[b * 3 + 2]);
}

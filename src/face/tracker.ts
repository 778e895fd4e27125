// The face engine: detector -> rotated crop -> FaceMesh -> Iris, with tracking. On video the next crop comes from
// the current landmarks and the detector only runs when a face is lost or periodically to catch a new one.
import { LivecheckError } from '../errors.js';
import type { Box, FaceDetection, Point3 } from '../types.js';
import type { Candidate } from './blazeface.js';
import { boxIou, cropFromCandidate, cropFromLandmarks, eyeCrop, pointBounds } from './crop.js';
import { LEFT_EYE, RIGHT_EYE } from './landmarks.js';
import { FaceDetector, type DetectOptions } from './detector.js';
import { checkImage, type RgbaImage } from '../image.js';
import { affine, type Affine } from './affine.js';
import { EYE_PAIR_OUTPUT, FaceMeshModel, IrisModel, type Crop } from './landmarker.js';
import { EYE_CONTOUR_POINTS, IRIS_POINTS, MESH_POINTS } from './landmarks.js';
import { createSession, loadModelBytes, type ModelSource, type OrtModule, type OrtSession } from './models.js';
import { NnSession } from '../nn/runtime.js';
import { createLandmarkSession } from './landmark-session.js';
import { allInOrder } from '../util/settle.js';

export interface FaceTrackerOptions {
  /** The onnxruntime module: `onnxruntime-web` in Node, `onnxruntime-web/wasm` in a browser worker. Default: a
   *  dynamic import of `onnxruntime-web`. */
  ort?: OrtModule;
  models: {
    /** BlazeFace front (128) model: bytes, a file path (Node) or a URL. */
    detector: ModelSource;
    /** BlazeFace back (256) model, used by `detectImage` with `{ model: 'back' }` for group photos. Optional. */
    detectorBack?: ModelSource;
    /** FaceMesh 468 model. */
    mesh: ModelSource;
    /** Iris model; without it no iris points or eye contours are produced. */
    iris?: ModelSource;
  };
  /** ORT wasm threads. Default: ORT's choice. */
  numThreads?: number;
  /** Faces tracked on video. Default 1. */
  maxFaces?: number;
  /** Detector probability threshold. Default 0.5. */
  minDetectorScore?: number;
  /** FaceMesh face-presence threshold below which a face counts as lost. Default 0.5. */
  minFaceScore?: number;
  /**
   * While a face is tracked, look for other faces on the whole frame every this many ms (`FaceResult.others`: a second
   * person in view, which guidance reports as `multiple-faces`). The back detector (`models.detectorBack`, 256 px
   * input) when loaded, which finds faces down to about 32 px in a 640x480 frame; else the front one (about 80 px).
   * Default 1000 (0 = never).
   */
  scanEveryMs?: number;
  /** While tracking fewer than `maxFaces`, rerun the detector every N frames... Default 30 (0 = never). */
  redetectEveryFrames?: number;
  /** ...or every this many ms, whichever comes first. Default 1000 (0 = never). */
  redetectEveryMs?: number;
  /**
   * `all` (default): faces at any angle. Each new face's crop is turned to the quarter turn the detector likes best
   * (4 small detector runs per new face), and when the upright frame has no face at all the detector retries on
   * the frame turned by 90, 180 and 270 degrees. `upright`: faces within about +-45 degrees of upright, cheaper.
   */
  orientations?: 'all' | 'upright';
  /** Crop side relative to the face box (detector box or landmark bounds). Default 1.5. */
  cropScale?: number;
  /** Eye crop side relative to the eye-corner distance. Default 2.3. */
  eyeScale?: number;
  /**
   * livecheck's own landmark kernels: the bytes of `nn.simd.wasm` (or its path / URL). Given, FaceMesh and Iris run
   * on them (NHWC wasm SIMD, one thread; the same points as onnxruntime within 1e-3 px, in about half the time) and
   * the detector stays on onnxruntime. A model whose graph they do not cover, or a runtime without wasm SIMD, runs on
   * onnxruntime instead (`landmarkRuntime` says which). Absent or null: everything on onnxruntime.
   */
  landmarkKernels?: ModelSource | null;
}

/** A face with the iris model's eye contours (71 points per eye), for eye openness. */
export interface TrackedFace extends FaceDetection {
  eyeContours: { right: Point3[]; left: Point3[] } | null;
}

/** A face the scan found besides the tracked ones: detector box and probability only (no landmarks). */
export interface OtherFace {
  box: Box;
  score: number;
}

export interface FaceResult {
  faces: TrackedFace[];
  /** Faces the last whole-frame scan found that are not tracked (see `scanEveryMs`); kept until the next scan. */
  others: OtherFace[];
  /** Number of faces found in this frame: tracked and others. */
  faceCount: number;
  /** Whether the detector ran on this frame (tracking lost, periodic re-detection, or a still image). */
  detectorRan: boolean;
}

export interface DetectImageOptions {
  /** `front` (128 px input, faces larger than ~1/8 of the image) or `back` (256 px, smaller faces). Default `front`. */
  model?: 'front' | 'back';
  /** Tile side in pixels for many small faces (group photos). Default 0 (whole image). */
  tileSize?: number;
  /** Most faces returned. Default 64. */
  maxFaces?: number;
  /** Run FaceMesh a second time from its own landmarks (steadier crop, better accuracy on stills). Default true. */
  refine?: boolean;
}

/**
 * One frame's eye crops on the split path ("mesh now, iris later"): `detectMesh` warps each face's two eye crops into
 * `input`, the iris model runs on them (`runIris` here, or `IrisModel.inferEyes` in another worker) into `output`,
 * and `completeIris` maps the points into that frame's result. Made once by `createEyeBatch` and recycled by the
 * caller: while a frame's iris is pending the next frame needs a second batch.
 */
export interface EyeBatch {
  /** Faces whose eyes are in the batch: the first `faces` faces of the frame's result, in order. */
  faces: number;
  /** maxFaces x 2 x size x size x 3 floats: each face's right eye, then its left eye mirrored. */
  input: Float32Array;
  /** maxFaces x 2 x 76 x 3 floats: the model's crop-space points, each eye's 71 contour then 5 iris points. */
  output: Float32Array;
  /** Each face's two crop-to-image affines. */
  readonly toImage: Array<[Affine, Affine]>;
}

/** Per-face buffers, allocated once per slot and reused every frame. */
interface Track {
  crop: Crop;
  points: Float32Array; // 468 x 3
  contour: Float32Array; // 2 x 71 x 3 (right, left)
  iris: Float32Array; // 2 x 5 x 3
  score: number;
  tracked: boolean;
}

const newTrack = (): Track => ({
  crop: { cx: 0, cy: 0, side: 0, angle: 0 },
  points: new Float32Array(MESH_POINTS * 3),
  contour: new Float32Array(EYE_CONTOUR_POINTS * 6),
  iris: new Float32Array(IRIS_POINTS * 6),
  score: 0,
  tracked: false,
});

export class FaceTracker {
  private readonly tracks: Track[] = [];
  private readonly spare: Track[] = [];
  private readonly rightEye: Crop = { cx: 0, cy: 0, side: 0, angle: 0 };
  private readonly leftEye: Crop = { cx: 0, cy: 0, side: 0, angle: 0 };
  private framesSinceDetect = 0;
  private lastDetectMs = -Infinity;
  private lastScanMs = -Infinity;
  private others: OtherFace[] = [];
  private closed = false;
  /** Set while detectMesh runs: landmarks() then leaves the eyes to the caller. */
  private deferIris = false;
  private readonly contourScratch = new Float32Array(EYE_CONTOUR_POINTS * 6);
  private readonly irisScratch = new Float32Array(IRIS_POINTS * 6);
  private readonly maxFaces: number;
  private readonly minDetectorScore: number;
  private readonly minFaceScore: number;
  private readonly redetectEveryFrames: number;
  private readonly redetectEveryMs: number;
  private readonly scanEveryMs: number;
  private readonly orientations: 'all' | 'upright';
  private readonly cropScale: number;
  private readonly eyeScale: number;

  private constructor(
    private readonly sessions: OrtSession[],
    private readonly detector: FaceDetector,
    private readonly detectorBack: FaceDetector | null,
    private readonly mesh: FaceMeshModel,
    private readonly irisModel: IrisModel | null,
    options: FaceTrackerOptions,
  ) {
    this.maxFaces = positiveInt(options.maxFaces ?? 1, 'maxFaces');
    this.minDetectorScore = unit(options.minDetectorScore ?? 0.5, 'minDetectorScore');
    this.minFaceScore = unit(options.minFaceScore ?? 0.5, 'minFaceScore');
    this.redetectEveryFrames = options.redetectEveryFrames ?? 30;
    this.redetectEveryMs = options.redetectEveryMs ?? 1000;
    this.scanEveryMs = options.scanEveryMs ?? 1000;
    if (!(this.scanEveryMs >= 0)) throw new LivecheckError('invalid-argument', `scanEveryMs must be >= 0, got ${this.scanEveryMs}`, { scanEveryMs: this.scanEveryMs });
    this.orientations = options.orientations ?? 'all';
    this.cropScale = options.cropScale ?? 1.5;
    this.eyeScale = options.eyeScale ?? 2.3;
  }

  /** Loads the models (throws `model-missing` / `model-corrupt` naming the file) and builds the engine. */
  static async create(options: FaceTrackerOptions): Promise<FaceTracker> {
    const ort = options.ort ?? ((await import('onnxruntime-web')) as OrtModule);
    const so = options.numThreads === undefined ? {} : { numThreads: options.numThreads };
    const name = (s: ModelSource, role: string) => (typeof s === 'string' ? s : s instanceof URL ? s.href : role);
    const { detector, detectorBack, mesh, iris } = options.models;
    const kernels = options.landmarkKernels == null ? null : loadModelBytes(options.landmarkKernels, name(options.landmarkKernels, 'landmarkKernels'));
    const landmarks = (source: ModelSource, role: string) => (kernels ? createLandmarkSession(ort, source, so, name(source, role), kernels) : createSession(ort, source, so, name(source, role)));
    // first failure in argument order names the detector before the mesh; sessions already made are released
    const [det, back, me, ir] = await allInOrder<[OrtSession, OrtSession | null, OrtSession, OrtSession | null]>(
      [
        createSession(ort, detector, so, name(detector, 'detector')),
        detectorBack === undefined ? null : createSession(ort, detectorBack, so, name(detectorBack, 'detectorBack')),
        landmarks(mesh, 'mesh'),
        iris === undefined ? null : landmarks(iris, 'iris'),
      ],
      (s) => (s as OrtSession).release(),
    );
    return FaceTracker.fromSessions(ort, { detector: det, detectorBack: back, mesh: me, iris: ir }, options);
  }

  /** Where FaceMesh runs: livecheck's own kernels (`landmarkKernels`) or onnxruntime. */
  get landmarkRuntime(): 'livecheck' | 'onnxruntime' {
    return this.sessions.some((s) => s instanceof NnSession) ? 'livecheck' : 'onnxruntime';
  }

  /** Builds the engine from sessions the caller created (e.g. with custom ORT session options). */
  static fromSessions(
    ort: OrtModule,
    s: { detector: OrtSession; detectorBack?: OrtSession | null; mesh: OrtSession; iris?: OrtSession | null },
    options: Omit<FaceTrackerOptions, 'models' | 'ort'> = {},
  ): FaceTracker {
    const all = [s.detector, s.detectorBack, s.mesh, s.iris].filter((x): x is OrtSession => !!x);
    return new FaceTracker(
      all,
      new FaceDetector(ort, s.detector, 'detector'),
      s.detectorBack ? new FaceDetector(ort, s.detectorBack, 'detectorBack') : null,
      new FaceMeshModel(ort, s.mesh, 'mesh'),
      s.iris ? new IrisModel(ort, s.iris, 'iris') : null,
      { models: { detector: new Uint8Array(0), mesh: new Uint8Array(0) }, ...options },
    );
  }

  /**
   * One video frame. Tracked faces get their crop from the previous landmarks; the detector runs when nothing is
   * tracked, or periodically while fewer than `maxFaces` are tracked.
   */
  async detect(frame: RgbaImage, timestampMs: number): Promise<FaceResult> {
    this.assertOpen();
    checkImage(frame, Infinity);
    for (let i = this.tracks.length - 1; i >= 0; i--) {
      const t = this.tracks[i];
      if (!(await this.landmarks(frame, t, true))) this.release(i);
    }
    this.framesSinceDetect++;
    const due = (this.redetectEveryFrames > 0 && this.framesSinceDetect >= this.redetectEveryFrames) || (this.redetectEveryMs > 0 && timestampMs - this.lastDetectMs >= this.redetectEveryMs);
    const detectorRan = this.tracks.length === 0 || (this.tracks.length < this.maxFaces && due);
    if (detectorRan) {
      this.framesSinceDetect = 0;
      this.lastDetectMs = timestampMs;
      await this.addDetections(frame, this.detector, {}, this.maxFaces, false);
    }
    if (this.tracks.length === 0) {
      if (this.others.length > 0) this.others = []; // a new array: earlier results keep theirs
      this.lastScanMs = -Infinity;
    } else if (this.scanEveryMs > 0 && timestampMs - this.lastScanMs >= this.scanEveryMs) {
      this.lastScanMs = timestampMs;
      await this.scan(frame);
    }
    return this.result(detectorRan);
  }

  /** The whole frame through the detector: the faces that are not tracked become `others`. */
  private async scan(frame: RgbaImage): Promise<void> {
    const detector = this.detectorBack ?? this.detector;
    const found = await detector.detect(frame, { minScore: this.minDetectorScore });
    this.others = found.filter((c) => !this.overlapsTrack(c)).map((c) => ({ box: { x: c.cx - c.w / 2, y: c.cy - c.h / 2, width: c.w, height: c.h }, score: c.score }));
  }

  /** An eye batch for `detectMesh`, sized for `maxFaces`; null without an iris model (nothing to defer). */
  createEyeBatch(): EyeBatch | null {
    if (!this.irisModel) return null;
    const toImage: Array<[Affine, Affine]> = [];
    for (let i = 0; i < this.maxFaces; i++) toImage.push([affine(), affine()]);
    return { faces: 0, input: new Float32Array(this.irisModel.eyePairLength * this.maxFaces), output: new Float32Array(EYE_PAIR_OUTPUT * this.maxFaces), toImage };
  }

  /**
   * `detect` without the iris model: the same tracking (the next crop needs only the mesh), with each face's eye
   * crops warped into `eyes` instead. The result's faces have the 468 mesh points and no eye contours until
   * `completeIris(result, eyes)` after the iris run; `detect` and this path then give the same points. The frame's
   * pixels are not needed after this call, so the next frame can be tracked while this one's iris runs elsewhere.
   */
  async detectMesh(frame: RgbaImage, timestampMs: number, eyes: EyeBatch | null): Promise<FaceResult> {
    if (this.irisModel && !eyes) throw new LivecheckError('invalid-argument', 'detectMesh needs an eye batch (createEyeBatch) when the iris model is loaded');
    this.deferIris = true;
    let r: FaceResult;
    try {
      r = await this.detect(frame, timestampMs);
    } finally {
      this.deferIris = false;
    }
    if (this.irisModel && eyes) {
      const n = this.irisModel.eyePairLength;
      eyes.faces = this.tracks.length;
      for (let i = 0; i < this.tracks.length; i++) {
        const t = this.tracks[i];
        eyeCrop(t.points, RIGHT_EYE.outer, RIGHT_EYE.inner, this.eyeScale, t.crop.angle, this.rightEye);
        eyeCrop(t.points, LEFT_EYE.inner, LEFT_EYE.outer, this.eyeScale, t.crop.angle, this.leftEye);
        this.irisModel.warpEyes(frame, this.rightEye, this.leftEye, eyes.input.subarray(i * n, (i + 1) * n), eyes.toImage[i]);
      }
    }
    return r;
  }

  /** The iris model on a batch `detectMesh` filled (the in-process path; a worker may run it instead). */
  async runIris(eyes: EyeBatch): Promise<void> {
    this.assertOpen();
    if (!this.irisModel) return;
    const n = this.irisModel.eyePairLength;
    for (let i = 0; i < eyes.faces; i++) {
      await this.irisModel.inferEyes(eyes.input.subarray(i * n, (i + 1) * n), eyes.output.subarray(i * EYE_PAIR_OUTPUT, (i + 1) * EYE_PAIR_OUTPUT));
    }
  }

  /** Completes a `detectMesh` result with its batch's iris output: iris points after the mesh, and eye contours. */
  completeIris(result: FaceResult, eyes: EyeBatch): void {
    if (!this.irisModel) return;
    if (eyes.faces !== result.faces.length) throw new LivecheckError('invalid-argument', `the eye batch holds ${eyes.faces} faces, the result ${result.faces.length}`);
    for (let i = 0; i < eyes.faces; i++) {
      const face = result.faces[i];
      this.irisModel.mapEyes(eyes.output.subarray(i * EYE_PAIR_OUTPUT, (i + 1) * EYE_PAIR_OUTPUT), eyes.toImage[i], this.contourScratch, this.irisScratch);
      face.landmarks.push(...toPoints(this.irisScratch, 0, IRIS_POINTS * 2));
      face.eyeContours = { right: toPoints(this.contourScratch, 0, EYE_CONTOUR_POINTS), left: toPoints(this.contourScratch, EYE_CONTOUR_POINTS, EYE_CONTOUR_POINTS) };
    }
  }

  /** A still image: forgets any tracking, detects every face (up to `maxFaces`), then landmarks each. */
  async detectImage(frame: RgbaImage, options: DetectImageOptions = {}): Promise<FaceResult> {
    this.assertOpen();
    checkImage(frame, Infinity);
    this.reset();
    const detector = options.model === 'back' ? this.detectorBack : this.detector;
    if (!detector) throw new LivecheckError('invalid-argument', 'detectImage({ model: "back" }) needs models.detectorBack', {});
    await this.addDetections(frame, detector, { tileSize: options.tileSize ?? 0 }, options.maxFaces ?? 64, options.refine ?? true);
    const result = this.result(true);
    this.reset();
    return result;
  }

  /** Forgets tracked faces; the next `detect` runs the detector. */
  reset(): void {
    while (this.tracks.length > 0) this.release(this.tracks.length - 1);
    this.framesSinceDetect = 0;
    this.lastDetectMs = -Infinity;
    this.lastScanMs = -Infinity;
    this.others = [];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.sessions.map((s) => s.release()));
  }

  private async addDetections(frame: RgbaImage, detector: FaceDetector, opts: DetectOptions, limit: number, refine: boolean): Promise<void> {
    const turns = this.orientations === 'all' ? [0, 1, 2, 3] : [0];
    for (const quarterTurns of turns) {
      const candidates = await detector.detect(frame, { ...opts, quarterTurns, minScore: this.minDetectorScore });
      for (const c of candidates) {
        if (this.tracks.length >= limit) break;
        if (this.overlapsTrack(c)) continue;
        const t = this.spare.pop() ?? newTrack();
        cropFromCandidate(c, this.cropScale, t.crop);
        if (this.orientations === 'all') await this.orient(frame, t.crop);
        t.tracked = false;
        const ok = (await this.landmarks(frame, t, false)) && (!refine || (await this.refine(frame, t)));
        if (ok && !this.duplicates(t)) this.tracks.push(t);
        else this.spare.push(t);
      }
      // other orientations only when this one found nothing: each pass is a chance for a false positive
      if (this.tracks.length > 0) return;
    }
  }

  /**
   * BlazeFace also fires on sideways or upside-down faces, but then its keypoints follow the image, not the face,
   * and the crop comes out turned by a multiple of 90 degrees. The face fills the crop, so the quarter turn at
   * which the detector scores it highest is the upright one; that detection's keypoints then set the crop.
   */
  private async orient(frame: RgbaImage, crop: Crop): Promise<void> {
    let best: Candidate | null = null;
    for (let k = 0; k < 4; k++) {
      const c = await this.detector.detectInCrop(frame, crop.cx, crop.cy, crop.side, crop.angle + (k * Math.PI) / 2);
      if (c && (!best || c.score > best.score)) best = c;
    }
    if (best) cropFromCandidate(best, this.cropScale, crop);
  }

  /** A second pass from the mesh's own bounds centres the face the way the model was trained; the pass with the
   *  higher face score wins, so refining never loses a face the first pass found (stills only: it allocates). */
  private async refine(frame: RgbaImage, t: Track): Promise<boolean> {
    const first = { score: t.score, points: t.points.slice(), contour: t.contour.slice(), iris: t.iris.slice(), crop: { ...t.crop } };
    const ok = await this.landmarks(frame, t, false);
    if (ok && t.score >= first.score) return true;
    t.score = first.score;
    t.points.set(first.points);
    t.contour.set(first.contour);
    t.iris.set(first.iris);
    Object.assign(t.crop, first.crop);
    return true;
  }

  /** Runs mesh (+ iris) on the track's crop; on success moves the crop to the new landmarks. */
  private async landmarks(frame: RgbaImage, t: Track, tracked: boolean): Promise<boolean> {
    t.score = await this.mesh.run(frame, t.crop, t.points);
    if (t.score < this.minFaceScore) return false;
    t.tracked = tracked;
    cropFromLandmarks(t.points, MESH_POINTS, this.cropScale, t.crop);
    if (this.irisModel && !this.deferIris) {
      eyeCrop(t.points, RIGHT_EYE.outer, RIGHT_EYE.inner, this.eyeScale, t.crop.angle, this.rightEye);
      eyeCrop(t.points, LEFT_EYE.inner, LEFT_EYE.outer, this.eyeScale, t.crop.angle, this.leftEye);
      await this.irisModel.runEyes(frame, this.rightEye, this.leftEye, t.contour, t.iris);
    }
    return true;
  }

  private overlapsTrack(c: Candidate): boolean {
    const box = [c.cx - c.w / 2, c.cy - c.h / 2, c.w, c.h];
    return this.tracks.some((t) => boxIou(box, pointBounds(t.points, MESH_POINTS)) > 0.3);
  }

  private duplicates(t: Track): boolean {
    const box = pointBounds(t.points, MESH_POINTS);
    return this.tracks.some((o) => boxIou(box, pointBounds(o.points, MESH_POINTS)) > 0.5);
  }

  private release(i: number): void {
    this.spare.push(this.tracks.splice(i, 1)[0]);
  }

  private result(detectorRan: boolean): FaceResult {
    const faces = this.tracks.map((t): TrackedFace => {
      const [x, y, width, height] = pointBounds(t.points, MESH_POINTS);
      const landmarks = toPoints(t.points, 0, MESH_POINTS);
      let eyeContours: TrackedFace['eyeContours'] = null;
      if (this.irisModel && !this.deferIris) {
        landmarks.push(...toPoints(t.iris, 0, IRIS_POINTS * 2));
        eyeContours = { right: toPoints(t.contour, 0, EYE_CONTOUR_POINTS), left: toPoints(t.contour, EYE_CONTOUR_POINTS, EYE_CONTOUR_POINTS) };
      }
      return { box: { x, y, width, height }, score: t.score, landmarks, rotation: t.crop.angle, tracked: t.tracked, eyeContours };
    });
    return { faces, others: this.others, faceCount: faces.length + this.others.length, detectorRan };
  }

  private assertOpen(): void {
    if (this.closed) throw new LivecheckError('closed', 'FaceTracker used after close()');
  }
}

function toPoints(src: Float32Array, from: number, count: number): Point3[] {
  const out: Point3[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = [src[(from + i) * 3], src[(from + i) * 3 + 1], src[(from + i) * 3 + 2]];
  return out;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new LivecheckError('invalid-argument', `${name} must be a positive integer, got ${v}`, { [name]: v });
  return v;
}

function unit(v: number, name: string): number {
  if (!(v >= 0 && v <= 1)) throw new LivecheckError('invalid-argument', `${name} must be in [0, 1], got ${v}`, { [name]: v });
  return v;
}

// The OpenCV.js contender: the same quality measures built from OpenCV calls (cvtColor, calcHist, meanStdDev, mean,
// Laplacian, calcOpticalFlowPyrLK), with every Mat preallocated per frame size, as a careful user would write it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** opencv.js's Module is a thenable: awaiting it hangs, so wait for onRuntimeInitialized and wrap it. */
export async function loadOpenCv() {
  const cv = require('@techstark/opencv-js');
  if (!cv.Mat)
    await new Promise((resolve) => {
      cv.onRuntimeInitialized = resolve;
    });
  return { cv };
}

export class OpenCvQuality {
  constructor(cv, width, height, { window = 12, levels = 3, maxIterations = 10, epsilon = 0.01 } = {}) {
    this.cv = cv;
    this.width = width;
    this.height = height;
    this.rgba = new cv.Mat(height, width, cv.CV_8UC4);
    this.gray = new cv.Mat(height, width, cv.CV_8UC1);
    this.prevGray = new cv.Mat(height, width, cv.CV_8UC1);
    this.lap = new cv.Mat();
    this.hist = new cv.Mat();
    this.mask = new cv.Mat();
    this.mean = new cv.Mat();
    this.std = new cv.Mat();
    this.grayVec = new cv.MatVector();
    this.grayVec.push_back(this.gray);
    this.win = new cv.Size(window, window);
    this.levels = levels;
    this.criteria = new cv.TermCriteria(cv.TermCriteria_COUNT + cv.TermCriteria_EPS, maxIterations, epsilon);
    this.hasPrev = false;
    this.points = null;
    this.nextPts = new cv.Mat();
    this.status = new cv.Mat();
    this.err = new cv.Mat();
  }

  setPoints(points /* Float32Array x,y */) {
    this.points?.delete();
    this.points = this.cv.matFromArray(points.length >> 1, 1, this.cv.CV_32FC2, Array.from(points));
  }

  /** RGBA in, luma out (cvtColor RGBA2GRAY: the same BT.601 fixed point). Keeps the previous luma for flow. */
  luma(rgba) {
    const cv = this.cv;
    [this.gray, this.prevGray] = [this.prevGray, this.gray];
    this.grayVec.set(0, this.gray);
    this.rgba.data.set(rgba);
    cv.cvtColor(this.rgba, this.gray, cv.COLOR_RGBA2GRAY);
    this.hasPrev = true;
    return this.gray;
  }

  /** Entropy of the whole frame's histogram. */
  entropy() {
    const cv = this.cv;
    cv.calcHist(this.grayVec, [0], this.mask, this.hist, [256], [0, 256], false);
    return entropyOf(this.hist.data32F);
  }

  /** Face-region luminance: histogram stats, mean RGB, left/right halves. */
  luminance(r) {
    const cv = this.cv;
    const roi = this.gray.roi(r);
    const vec = new cv.MatVector();
    vec.push_back(roi);
    cv.calcHist(vec, [0], this.mask, this.hist, [256], [0, 256], false);
    const h = this.hist.data32F;
    let n = 0,
      dark = 0,
      bright = 0;
    for (let b = 0; b < 256; b++) {
      n += h[b];
      if (b <= 10) dark += h[b];
      if (b >= 245) bright += h[b];
    }
    cv.meanStdDev(roi, this.mean, this.std);
    const half = r.width >> 1;
    const left = roi.roi(new cv.Rect(0, 0, half, r.height));
    const right = roi.roi(new cv.Rect(half, 0, r.width - half, r.height));
    const l = cv.mean(left)[0],
      rr = cv.mean(right)[0];
    const colourRoi = this.rgba.roi(r);
    const rgb = cv.mean(colourRoi);
    const out = {
      mean: this.mean.data64F[0],
      std: this.std.data64F[0],
      darkClipped: dark / n,
      brightClipped: bright / n,
      entropy: entropyOf(h),
      balance: (l - rr) / (l + rr),
      meanRgb: [rgb[0], rgb[1], rgb[2]],
    };
    left.delete();
    right.delete();
    colourRoi.delete();
    vec.delete();
    roi.delete();
    return out;
  }

  /** Laplacian variance of the face region (ksize 1 = [0 1 0; 1 -4 1; 0 1 0], reflect-101 borders). */
  focus(r) {
    const cv = this.cv;
    const roi = this.gray.roi(r);
    cv.Laplacian(roi, this.lap, cv.CV_16S, 1, 1, 0, cv.BORDER_DEFAULT);
    cv.meanStdDev(this.lap, this.mean, this.std);
    roi.delete();
    return this.std.data64F[0] ** 2;
  }

  /** calcOpticalFlowPyrLK from the previous luma on the points set by setPoints; flows as x, y pairs. */
  flow(flows, status) {
    const cv = this.cv;
    cv.calcOpticalFlowPyrLK(this.prevGray, this.gray, this.points, this.nextPts, this.status, this.err, this.win, this.levels - 1, this.criteria);
    const p = this.points.data32F,
      q = this.nextPts.data32F,
      s = this.status.data;
    for (let i = 0; i < s.length; i++) {
      flows[2 * i] = q[2 * i] - p[2 * i];
      flows[2 * i + 1] = q[2 * i + 1] - p[2 * i + 1];
      status[i] = s[i];
    }
    return flows;
  }

  delete() {
    for (const m of [this.rgba, this.gray, this.prevGray, this.lap, this.hist, this.mask, this.mean, this.std, this.grayVec, this.points, this.nextPts, this.status, this.err]) m?.delete();
  }
}

export function entropyOf(h) {
  let n = 0;
  for (let b = 0; b < 256; b++) n += h[b];
  let e = 0;
  for (let b = 0; b < 256; b++) if (h[b] > 0) e -= (h[b] / n) * Math.log2(h[b] / n);
  return e;
}

// BlazeFace output decoding: anchors, sigmoid scores, box + 6 keypoint offsets, and non-max suppression.
// Pure functions over plain arrays, so they are tested without a model.

/** Anchor layout shared by the front (128 px, strides 8/16) and back (256 px, strides 16/32/32/32) models: both
 *  end up as a 16x16 grid with 2 anchors per cell followed by an 8x8 grid with 6 per cell = 896 anchors. */
const GRIDS: ReadonlyArray<readonly [cells: number, perCell: number]> = [
  [16, 2],
  [8, 6],
];
export const ANCHOR_COUNT = 896;

/** Anchor centres in normalised [0,1] input coordinates, interleaved x,y. */
export function blazeFaceAnchors(): Float32Array {
  const out = new Float32Array(ANCHOR_COUNT * 2);
  let k = 0;
  for (const [cells, perCell] of GRIDS) {
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let a = 0; a < perCell; a++) {
          out[k++] = (x + 0.5) / cells;
          out[k++] = (y + 0.5) / cells;
        }
      }
    }
  }
  return out;
}

/** One detector candidate; coordinates in whatever space the caller mapped them to. */
export interface Candidate {
  score: number;
  /** Box centre and size. */
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** 6 keypoints x,y: subject's right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion. */
  keypoints: Float32Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, x))));

/**
 * Decodes raw scores (logits, one per anchor) and regressors (16 per anchor: cx, cy, w, h offsets in input pixels,
 * then 6 keypoint offsets) into candidates above `minScore`, in input-pixel coordinates of a `size` x `size` input.
 */
export function decodeBlazeFace(logits: ArrayLike<number>, regressors: ArrayLike<number>, size: number, minScore: number, anchors = blazeFaceAnchors()): Candidate[] {
  const out: Candidate[] = [];
  const n = anchors.length / 2;
  for (let i = 0; i < n; i++) {
    const score = sigmoid(logits[i]);
    if (score < minScore) continue;
    const r = i * 16;
    const ax = anchors[2 * i] * size,
      ay = anchors[2 * i + 1] * size;
    const keypoints = new Float32Array(12);
    for (let k = 0; k < 6; k++) {
      keypoints[2 * k] = regressors[r + 4 + 2 * k] + ax;
      keypoints[2 * k + 1] = regressors[r + 5 + 2 * k] + ay;
    }
    out.push({ score, cx: regressors[r] + ax, cy: regressors[r + 1] + ay, w: regressors[r + 2], h: regressors[r + 3], keypoints });
  }
  return out;
}

export function iou(a: Candidate, b: Candidate): number {
  const ix = Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2);
  const iy = Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/**
 * Non-max suppression. `weighted` (MediaPipe's blending) averages each cluster's boxes and keypoints by score,
 * which steadies the box between frames; `plain` keeps the best box of each cluster.
 */
export function suppress(candidates: Candidate[], iouThreshold: number, mode: 'weighted' | 'plain' = 'weighted'): Candidate[] {
  const rest = candidates.slice().sort((p, q) => q.score - p.score);
  const kept: Candidate[] = [];
  while (rest.length > 0) {
    const top = rest[0];
    const cluster: Candidate[] = [];
    for (let i = rest.length - 1; i >= 0; i--) {
      if (i === 0 || iou(top, rest[i]) > iouThreshold) cluster.push(rest.splice(i, 1)[0]);
    }
    if (mode === 'plain' || cluster.length === 1) {
      kept.push(top);
      continue;
    }
    let total = 0;
    const merged: Candidate = { score: top.score, cx: 0, cy: 0, w: 0, h: 0, keypoints: new Float32Array(12) };
    for (const c of cluster) {
      total += c.score;
      merged.cx += c.cx * c.score;
      merged.cy += c.cy * c.score;
      merged.w += c.w * c.score;
      merged.h += c.h * c.score;
      for (let k = 0; k < 12; k++) merged.keypoints[k] += c.keypoints[k] * c.score;
    }
    merged.cx /= total;
    merged.cy /= total;
    merged.w /= total;
    merged.h /= total;
    for (let k = 0; k < 12; k++) merged.keypoints[k] /= total;
    kept.push(merged);
  }
  return kept;
}

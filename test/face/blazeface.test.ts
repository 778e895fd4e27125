import { describe, expect, it } from 'vitest';
import { ANCHOR_COUNT, blazeFaceAnchors, decodeBlazeFace, iou, suppress, type Candidate } from '../../src/face/blazeface.js';

const candidate = (score: number, cx: number, cy: number, w: number, h = w, kx = 0): Candidate => ({
  score,
  cx,
  cy,
  w,
  h,
  keypoints: Float32Array.from({ length: 12 }, (_, k) => (k % 2 === 0 ? cx + kx : cy)),
});

describe('BlazeFace anchors', () => {
  it('has 896 anchors: a 16x16 grid with 2 per cell, then an 8x8 grid with 6 per cell', () => {
    const a = blazeFaceAnchors();
    expect(a.length).toBe(ANCHOR_COUNT * 2);
    // first two anchors share the first cell centre of the 16-grid
    expect([a[0], a[1], a[2], a[3]]).toEqual([1 / 32, 1 / 32, 1 / 32, 1 / 32]);
    // anchor 2 is the next cell to the right
    expect(a[4]).toBeCloseTo(3 / 32);
    // last anchor of the 16-grid is its bottom-right cell; the 8-grid starts at its first cell
    expect([a[511 * 2], a[511 * 2 + 1]]).toEqual([31 / 32, 31 / 32]);
    expect([a[512 * 2], a[512 * 2 + 1]]).toEqual([1 / 16, 1 / 16]);
    expect([a[895 * 2], a[895 * 2 + 1]]).toEqual([15 / 16, 15 / 16]);
  });
});

describe('decodeBlazeFace', () => {
  it('keeps anchors above the score threshold and adds the anchor position to the offsets', () => {
    const logits = new Float32Array(ANCHOR_COUNT).fill(-10);
    const reg = new Float32Array(ANCHOR_COUNT * 16);
    const i = 600; // in the 8-grid: cell (i - 512) / 6 = 14 -> x 6, y 1
    logits[i] = 2; // sigmoid(2) = 0.881
    reg.set([3, -2, 40, 50, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], i * 16);
    const out = decodeBlazeFace(logits, reg, 128, 0.5);
    expect(out).toHaveLength(1);
    const [c] = out;
    const ax = ((6 + 0.5) / 8) * 128,
      ay = ((1 + 0.5) / 8) * 128;
    expect(c.score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect([c.cx, c.cy, c.w, c.h]).toEqual([ax + 3, ay - 2, 40, 50]);
    expect(Array.from(c.keypoints.subarray(0, 4))).toEqual([ax + 1, ay + 1, ax + 2, ay + 2]);
    expect(c.keypoints[11]).toBe(ay + 6);
  });

  it('does not overflow on extreme logits', () => {
    const logits = new Float32Array(ANCHOR_COUNT).fill(-1e9);
    logits[0] = 1e9;
    const out = decodeBlazeFace(logits, new Float32Array(ANCHOR_COUNT * 16), 128, 0.5);
    expect(out).toHaveLength(1);
    expect(out[0].score).toBe(1);
  });
});

describe('non-max suppression', () => {
  it('computes IoU of centre-size boxes', () => {
    expect(iou(candidate(1, 0, 0, 2), candidate(1, 0, 0, 2))).toBe(1);
    expect(iou(candidate(1, 0, 0, 2), candidate(1, 1, 0, 2))).toBeCloseTo(2 / 6);
    expect(iou(candidate(1, 0, 0, 2), candidate(1, 5, 0, 2))).toBe(0);
  });

  it('plain mode keeps the best box of each cluster', () => {
    const kept = suppress([candidate(0.6, 10, 10, 20), candidate(0.9, 12, 10, 20), candidate(0.7, 100, 100, 20)], 0.3, 'plain');
    expect(kept.map((k) => [k.score, k.cx])).toEqual([
      [0.9, 12],
      [0.7, 100],
    ]);
  });

  it('weighted mode averages a cluster by score and keeps the top score', () => {
    const kept = suppress([candidate(0.25, 10, 10, 20, 20, 1), candidate(0.75, 14, 10, 20, 20, 3)], 0.3, 'weighted');
    expect(kept).toHaveLength(1);
    expect(kept[0].score).toBe(0.75);
    expect(kept[0].cx).toBeCloseTo(13);
    expect(kept[0].keypoints[0]).toBeCloseTo(0.25 * 11 + 0.75 * 17);
  });
});

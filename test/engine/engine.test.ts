// The engine on a real clip (franck.mp4, first 300 frames = 12.5 s: two blinks and a two-second eye closure, hand
// labels in test/challenge/fixtures/video-labels.json), bad frames, and use after close().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/node/engine.js';
import type { LivenessEngine } from '../../src/engine/engine.js';
import type { DetectedAction } from '../../src/challenge/action-detector.js';
import { isLivecheckError } from '../../src/errors.js';
import { decodeVideo } from '../../src/node/media.js';
import { requireModels } from '../face/engine.js';
import { data, requireData } from '../helpers/data.js';
import labels from '../challenge/fixtures/video-labels.json';
import type { ChallengePlan } from '../../src/challenge/plan.js';

const FRAMES = 300;
const FPS = labels.clips.franck.fps;

interface FrameRow {
  t: number;
  face: boolean;
  usable: boolean;
  codes: string[];
  mouthTone: number | undefined;
  chinStd: number | undefined;
}

describe('LivenessEngine on franck.mp4', () => {
  const rows: FrameRow[] = [];
  const actions: DetectedAction[] = [];
  beforeAll(async () => {
    requireData(data.franckMp4);
    requireModels();
    const engine = await createNodeEngine();
    try {
      for await (const f of decodeVideo(data.franckMp4, { maxFrames: FRAMES, reuse: true })) {
        const r = await engine.analyzeFrame(f, f.timestampMs);
        rows.push({
          t: f.timestampMs,
          face: r.face !== null && r.geometry !== null,
          usable: r.guidance.usable,
          codes: r.guidance.issues.map((i) => i.code),
          mouthTone: r.regions?.mouth?.skinToneDistance,
          chinStd: r.regions?.chin?.lumaStd,
        });
        actions.push(...r.actions);
      }
      actions.push(...engine.finish());
    } finally {
      await engine.close();
    }
  }, 300_000);

  it('finds the face with a measurable geometry on every usable frame', () => {
    expect(rows).toHaveLength(FRAMES);
    const usable = rows.filter((r) => r.usable);
    expect(usable.length).toBeGreaterThan(0.9 * FRAMES);
    expect(usable.filter((r) => !r.face).map((r) => r.t)).toEqual([]);
  });

  it('reports the labelled blinks, the long closure not as a blink, and no other blink', () => {
    const inSpan = labels.clips.franck.labels.filter((l) => l.end < FRAMES);
    const frameOf = (ms: number) => Math.round((ms * FPS) / 1000);
    const blinks = actions.filter((a) => a.type === 'blink');
    const near = (a: DetectedAction, l: { start: number; end: number }) => frameOf(a.startMs) <= l.end + 3 && frameOf(a.endMs) >= l.start - 3;
    for (const l of inSpan.filter((l) => l.type === 'blink'))
      expect(
        blinks.some((b) => near(b, l)),
        `blink at frames ${l.start}-${l.end}`,
      ).toBe(true);
    const closure = inSpan.find((l) => l.type === 'eye-closure')!;
    expect(blinks.some((b) => near(b, closure))).toBe(false);
    expect(actions.some((a) => a.type === 'eyes-closed' && near(a, closure))).toBe(true);
    const stray = blinks.filter((b) => !inSpan.some((l) => (l.type === 'blink' || l.type === 'eye-closure') && near(b, l)));
    expect(stray.map((b) => [frameOf(b.startMs), frameOf(b.endMs)])).toEqual([]);
  });

  it('measures the mouth region cues and reads bare lips as uncovered', () => {
    const tones = rows.filter((r) => r.mouthTone !== undefined).map((r) => r.mouthTone!);
    expect(tones.length).toBeGreaterThan(0.9 * FRAMES);
    expect(rows.filter((r) => r.codes.includes('mouth-occluded')).length).toBe(0);
  });

  it('measures the chin texture and reads the bare chin (talking, blinking, closed eyes) as uncovered', () => {
    const stds = rows.filter((r) => r.chinStd !== undefined).map((r) => r.chinStd!);
    expect(stds.length).toBeGreaterThan(0.9 * FRAMES);
    // a real chin has texture (jaw line, shading): not a flat patch
    expect(stds.every((s) => s > 2)).toBe(true);
    expect(rows.filter((r) => r.codes.includes('face-occluded')).map((r) => r.t)).toEqual([]);
  });
});

describe('LivenessEngine input errors', () => {
  let engine: LivenessEngine;
  const W = 64,
    H = 48;
  const frame = (w = W, h = H, fill = 120) => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(fill) });
  beforeAll(async () => {
    requireModels();
    engine = await createNodeEngine();
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  });

  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return isLivecheckError(e) ? e.code : `not a LivecheckError: ${String(e)}`;
    }
    return 'no error';
  };

  it('rejects bad frames and timestamps with typed errors and keeps going', async () => {
    const first = await engine.analyzeFrame(frame(), 0);
    expect(first.face).toBeNull();
    expect(first.analysis.width).toBe(W);
    expect(await code(engine.analyzeFrame({ width: W, height: H, data: new Uint8Array(W * H * 3) }, 40))).toBe('invalid-frame-size');
    expect(await code(engine.analyzeFrame({ width: 0, height: H, data: new Uint8Array(0) }, 40))).toBe('empty-buffer');
    expect(await code(engine.analyzeFrame({ width: W + 0.5, height: H, data: new Uint8Array(W * H * 4) }, 40))).toBe('invalid-frame-size');
    expect(await code(engine.analyzeFrame(frame(), Number.NaN))).toBe('invalid-argument');
    expect(await code(engine.analyzeFrame(frame(), Number.POSITIVE_INFINITY))).toBe('invalid-argument');
    expect(await code(engine.analyzeFrame(frame(), 0))).toBe('invalid-argument'); // repeated
    expect(await code(engine.analyzeFrame(frame(), -10))).toBe('invalid-argument'); // backwards
    const buf = new Uint8Array(W * H * 4);
    structuredClone(buf.buffer, { transfer: [buf.buffer] });
    expect(await code(engine.analyzeFrame({ width: W, height: H, data: buf }, 40))).toBe('detached-buffer');
    // state intact: the next good frame (a Uint8ClampedArray, darker) is analysed, at the next timestamp
    const next = await engine.analyzeFrame({ width: W, height: H, data: new Uint8ClampedArray(W * H * 4).fill(30) }, 40);
    expect(next.analysis.timestampMs).toBe(40);
    expect(next.analysis.quality.frameLuma).toBeCloseTo(30, 0);
    expect(next.guidance.timestampMs).toBe(40);
  });

  it('throws closed after close()', async () => {
    const e = await createNodeEngine();
    await e.close();
    expect(await code(e.analyzeFrame(frame(), 0))).toBe('closed');
  });
});

describe('LivenessEngine.restart', () => {
  /** What a frame's analysis shows, as plain numbers: landmarks, quality, passive, guidance, challenge. */
  const snapshot = (r: Awaited<ReturnType<LivenessEngine['analyzeFrame']>>) =>
    JSON.stringify({
      points: r.face?.landmarks.map((p) => p.map((v) => Math.round(v * 1e4))) ?? null,
      quality: r.analysis.quality,
      passive: r.passive,
      guidance: r.guidance.issues.map((i) => i.code),
      challenge: r.challenge,
    });
  const plan: ChallengePlan = { nonceDigest: '0'.repeat(64), mode: 'script', steps: [{ action: 'blink', holdMs: 0, gapMs: 0 }] };

  it('a second attempt on the same models analyses every frame exactly as a fresh engine does', async () => {
    requireData(data.franckMp4);
    requireModels();
    const run = async (engine: LivenessEngine, startMs: number, frames: number) => {
      const out: string[] = [];
      for await (const f of decodeVideo(data.franckMp4, { startMs, maxFrames: frames, reuse: true })) out.push(snapshot(await engine.analyzeFrame(f, f.timestampMs)));
      return out;
    };
    const fresh = await createNodeEngine({ plan });
    const reused = await createNodeEngine();
    try {
      const expected = await run(fresh, 2000, 40);
      await run(reused, 20_000, 25); // another attempt first: tracked face, motion and passive history, its own clock
      await reused.restart({ plan });
      expect(reused.attempt.interpreter.lastTimestampMs).toBe(Number.NEGATIVE_INFINITY);
      const got = await run(reused, 2000, 40);
      expect(got).toHaveLength(40);
      expect(got).toEqual(expected);
    } finally {
      await fresh.close();
      await reused.close();
    }
  }, 180_000);
});

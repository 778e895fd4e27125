// The worker's end-of-attempt decision (src/worker/decision.ts) on plain data: the three signals from the per-frame
// stream, passive included, and the same fusion as `livecheck analyze` (decision/passive + motion + consensus).
import { describe, expect, it } from 'vitest';
import { passiveSignal } from '../../src/decision/passive.js';
import type { PassiveImageFeatures } from '../../src/kernels/passive.js';
import type { QualityMetrics } from '../../src/types.js';
import { AttemptRecorder } from '../../src/worker/decision.js';
import { mulberry32, projectHead } from '../decision/synthetic-head.js';

const quality = { motion: { globalDx: 0, globalDy: 0 } } as unknown as QualityMetrics;

function artefacts(moire: number, deviceBorder: number): PassiveImageFeatures {
  return { moire, flicker: 0.05, deviceBorder, specular: 0, stats: {} as PassiveImageFeatures['stats'] };
}

/** A live head turning +-20 deg over 2 s at 30 fps, with the given passive scores on every frame (null: no face). */
function record(r: AttemptRecorder, frames: number, passive: (i: number) => PassiveImageFeatures | null, t0 = 0): void {
  const rand = mulberry32(7);
  for (let i = 0; i < frames; i++) {
    const yawDeg = 20 * Math.sin((2 * Math.PI * i) / 60);
    const p = passive(i);
    r.push(t0 + i * 33, p ? projectHead({ yawDeg, pitchDeg: 4 * Math.sin(i / 9) }, { jitterPx: 0.5, rand }) : null, null, quality, [], p);
  }
}

describe('AttemptRecorder (the worker decision)', () => {
  it('feeds the passive signal: clean artefact scores make it live, a device border makes it spoof', () => {
    const live = new AttemptRecorder(null);
    record(live, 60, () => artefacts(0, 0));
    const d = live.decide();
    expect(d.signals.passive?.verdict).toBe('live');
    expect(d.signals.motion?.verdict).toBe('live');
    expect(d.reasons.map((r) => r.code)).not.toContain('passive-missing');

    const screen = new AttemptRecorder(null);
    record(screen, 60, () => artefacts(0.4, 1));
    const s = screen.decide();
    expect(s.signals.passive?.verdict).toBe('spoof');
    expect(s.verdict).not.toBe('pass');
  });

  it('fuses exactly what livecheck analyze fuses: the frames with a face, in order', () => {
    const r = new AttemptRecorder(null);
    const scores = (i: number) => (i % 4 === 3 ? null : artefacts((i % 7) / 20, (i % 5) / 10));
    record(r, 50, scores);
    const expected = passiveSignal(Array.from({ length: 50 }, (_, i) => i).filter((i) => scores(i)).map((i) => ({ ...artefacts((i % 7) / 20, (i % 5) / 10), timestampMs: i * 33 })));
    const got = r.decide().signals.passive!;
    expect(got.verdict).toBe(expected.verdict);
    expect(got.score).toBeCloseTo(expected.score, 12);
    expect(got.reasons).toEqual(expected.reasons);
  });

  it('keeps only the last `capacity` frames (buffers allocated once): old artefacts age out', () => {
    const r = new AttemptRecorder(null, 40);
    record(r, 40, () => artefacts(0.5, 1)); // a screen at first...
    expect(r.decide().signals.passive?.verdict).toBe('spoof');
    record(r, 40, () => artefacts(0, 0), 40 * 33); // ...then 40 clean frames fill the ring
    expect(r.decide().signals.passive?.verdict).toBe('live');
  });

  it('no face on any frame: passive and motion are missing, never a pass', () => {
    const r = new AttemptRecorder(null);
    record(r, 30, () => null);
    const d = r.decide();
    expect(d.signals.passive).toBeNull();
    expect(d.verdict).toBe('review');
    expect(d.reasons.map((x) => x.code)).toContain('passive-missing');
  });
});

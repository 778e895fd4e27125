// The identity sampling rule (src/decision/identity.ts IdentitySchedule) on plain data: which frames are read, how a
// turned, small or missing face defers a reading, that `candidate` never misses a frame that turns out due (the
// pipelined worker saves pixels by it), and how a full store is thinned. The same rule runs in the attempt (src/evidence/identity.ts
// IdentityCapture) for `livecheck analyze`, `npm run eval`, the browser worker and the server's replay.
import { describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_CONFIG, DEFAULT_IDENTITY_SAMPLING, IdentitySchedule, identityContinuity } from '../../src/decision/identity.js';
import { isLivecheckError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/random.js';

const FRONTAL = { yawDeg: 3, pitchDeg: -2 };
const TURNED = { yawDeg: 30, pitchDeg: 0 };

interface F {
  face: boolean;
  pose: { yawDeg: number; pitchDeg: number } | null;
  eyes: number;
}
const frontal: F = { face: true, pose: FRONTAL, eyes: 70 };

function run(frames: F[], every = 5, maxReadings = 64): { picked: number[]; schedule: IdentitySchedule<number> } {
  const s = new IdentitySchedule<number>({ every, maxReadings });
  const picked: number[] = [];
  frames.forEach((f, i) => {
    const r = s.due(i * 40, f.face, f.pose, f.eyes);
    if (r) {
      expect(r.timestampMs).toBe(i * 40);
      picked.push(i);
      s.keep(i);
    }
  });
  return { picked, schedule: s };
}

describe('IdentitySchedule', () => {
  it('reads the first usable face, then every n-th frame with a face', () => {
    expect(run(Array(21).fill(frontal)).picked).toEqual([0, 5, 10, 15, 20]);
    expect(run(Array(10).fill(frontal), 3).picked).toEqual([0, 3, 6, 9]);
    // frames without a face do not count
    const gaps: F[] = Array.from({ length: 14 }, (_, i) => (i % 2 === 1 ? { face: false, pose: null, eyes: 0 } : frontal));
    expect(run(gaps, 3).picked).toEqual([0, 6, 12]);
  });

  it('a turned, small or pose-less face defers the reading to the next usable frame, not the next n-th', () => {
    const frames: F[] = Array(12).fill(frontal);
    frames[5] = { face: true, pose: TURNED, eyes: 70 };
    frames[6] = { face: true, pose: FRONTAL, eyes: DEFAULT_IDENTITY_CONFIG.minEyeDistancePx - 1 };
    frames[7] = { face: true, pose: null, eyes: 70 };
    expect(run(frames).picked).toEqual([0, 8]);
  });

  it('every 0 reads nothing', () => {
    expect(run(Array(20).fill(frontal), 0).picked).toEqual([]);
  });

  it('candidate(ahead) is never false for a frame that turns out due, also with frames still in a pipeline', () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 50; trial++) {
      const s = new IdentitySchedule({ every: 1 + Math.floor(rand() * 6), maxReadings: 64 });
      const frames: F[] = Array.from({ length: 200 }, () => {
        const x = rand();
        return x < 0.15 ? { face: false, pose: null, eyes: 0 } : x < 0.3 ? { face: true, pose: TURNED, eyes: 70 } : frontal;
      });
      // a pipeline of depth 2: frame i's candidate is asked before frame i-1 went through due
      let asked = s.candidate(frames[0].face, 1);
      for (let i = 0; i < frames.length; i++) {
        const next = i + 1 < frames.length ? s.candidate(frames[i + 1].face, 1) : false;
        const due = s.due(i, frames[i].face, frames[i].pose, frames[i].eyes);
        if (due) expect(asked, `trial ${trial} frame ${i}`).toBe(true);
        if (due) s.keep(due);
        asked = next;
      }
      // without a pipeline, ahead 0 is exact: candidate before due says whether the count allows it
    }
  });

  it('a full store keeps the reference readings and every second later one, and doubles the spacing', () => {
    const { picked, schedule } = run(Array(200).fill(frontal), 5, 8);
    expect(schedule.kept.length).toBeLessThan(8);
    expect(schedule.kept.slice(0, 2)).toEqual([0, 5]);
    expect([...schedule.kept]).toEqual([...schedule.kept].sort((a, b) => a - b));
    expect(schedule.every).toBeGreaterThan(5);
    // still followed to the end of the session
    expect(schedule.kept[schedule.kept.length - 1]).toBeGreaterThan(150);
    expect(picked.length).toBeGreaterThan(schedule.kept.length);
    // the first thinning: the 8th reading (frame 35) fills the store; the newest stays, the spacing doubles
    const first = run(Array(46).fill(frontal), 5, 8).schedule;
    expect([...first.kept]).toEqual([0, 5, 15, 25, 35, 45]);
    expect(first.every).toBe(10);
  });

  it('a swap judged on thinned readings is still a change (the late readings stay)', () => {
    const s = new IdentitySchedule<{ timestampMs: number; descriptor: number[] }>({ every: 1, maxReadings: 16 });
    for (let i = 0; i < 100; i++) {
      const r = s.due(i * 40, true, FRONTAL, 70);
      if (r) s.keep({ timestampMs: r.timestampMs, descriptor: i < 70 ? [0, 0] : [1, 0] });
    }
    const c = identityContinuity(s.kept);
    expect(c.verdict).toBe('changed');
    expect(c.changedAtMs!).toBeGreaterThanOrEqual(70 * 40);
  });

  it('rejects settings it cannot follow, typed', () => {
    for (const bad of [
      { every: -1, maxReadings: 64 },
      { every: 1.5, maxReadings: 64 },
      { every: 5, maxReadings: 3 },
    ]) {
      let e: unknown;
      try {
        new IdentitySchedule(bad);
      } catch (x) {
        e = x;
      }
      expect(isLivecheckError(e, 'invalid-argument'), JSON.stringify(bad)).toBe(true);
    }
    expect(DEFAULT_IDENTITY_SAMPLING).toEqual({ every: 5, maxReadings: 64 });
  });
});

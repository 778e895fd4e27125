// The challenge session on real clips (through the real pipeline, kernels, geometry and guidance): an identity
// switch mid-check and a light switched off end the attempt; the clean clips and a flickering light do not.
import { beforeAll, describe, expect, it } from 'vitest';
import { planFromNonce } from '../../src/challenge/plan.js';
import { DEFAULT_CHALLENGE_CONFIG, type ChallengeConfigInput } from '../../src/challenge/config.js';
import { ChallengeSession, type ChallengeEvent } from '../../src/challenge/session.js';
import { FaceGeometryEstimator } from '../../src/geometry/face-geometry.js';
import { GuidanceTracker } from '../../src/guidance/tracker.js';
import { analysisOf, variantFrames, type FrameRecord, type Variant } from '../guidance/variant-frames.js';

const CLIPS = ['clean-franck', 'clean-cap13', 'clean-cap12', 'face-swap', 'light-switch', 'flicker'] as const satisfies readonly Variant[];
let frames: Map<Variant, FrameRecord[]>;
const PLAN = await planFromNonce('real-session-nonce-0001', { script: ['turn-left'] });
beforeAll(async () => {
  frames = await variantFrames(CLIPS);
}, 900_000);

/** Runs a session that waits for a turn nobody makes (long timeout), so only rejections can end it. */
function run(name: Variant, config: ChallengeConfigInput = {}): { ended: Extract<ChallengeEvent, { type: 'attempt-ended' }> | undefined; t0: number } {
  const session = new ChallengeSession(PLAN, { responseTimeoutMs: 60_000, ...config });
  const guidance = new GuidanceTracker();
  const est = new FaceGeometryEstimator();
  const list = frames.get(name)!;
  let ended: Extract<ChallengeEvent, { type: 'attempt-ended' }> | undefined;
  for (const f of list) {
    const { frame, face } = analysisOf(f);
    const g = face ? est.measure(face, f.width, f.height) : null;
    for (const e of session.push(frame, g, guidance.update(frame, g))) if (e.type === 'attempt-ended') ended = e;
  }
  return { ended, t0: list[0].t };
}

describe('challenge session on real clips', () => {
  it('another person taking over mid-check is rejected (the scene change trips the guidance triggers)', () => {
    const { ended, t0 } = run('face-swap');
    expect(ended?.outcome).toBe('rejected');
    expect(['identity-changed', 'lighting-changed', 'focus-unstable']).toContain(ended?.reason);
    expect(ended!.timestampMs - t0).toBeGreaterThanOrEqual(3000); // the switch is at 3 s
  });

  it('the shape signature moves when the person changes (a weak cue: see the comment)', () => {
    // Measured, not wished: two adult men's rigid landmark ratios differ by only ~5% RMS, the same order as one
    // person's pose-dependent variation over a minute of video (franck: up to 0.054). The shape cue is a first cue;
    // a face embedding is needed to reject a swap on identity alone (see the report).
    const est = new FaceGeometryEstimator();
    const list = frames.get('face-swap')!;
    const base = new Float64Array(8);
    let n = 0;
    const before: number[] = [],
      after: number[] = [];
    list.forEach((f, i) => {
      const { face } = analysisOf(f);
      if (!face) return;
      const g = est.measure(face, f.width, f.height)!;
      if (i < 12) {
        for (let k = 0; k < 8; k++) base[k] += g.signature[k];
        n++;
        return;
      }
      if (n) {
        for (let k = 0; k < 8; k++) base[k] /= n;
        n = 0;
      }
      let sum = 0;
      for (let k = 0; k < 8; k++) sum += ((g.signature[k] - base[k]) / base[k]) ** 2;
      (f.t - list[0].t < 3000 ? before : after).push(Math.sqrt(sum / 8));
    });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    expect(median(after)).toBeGreaterThan(3 * median(before));
  });

  it('the light going off ends the attempt with lighting-changed', () => {
    const { ended, t0 } = run('light-switch');
    expect(ended?.outcome).toBe('rejected');
    expect(ended?.reason).toBe('lighting-changed');
    expect(ended!.timestampMs - t0).toBeGreaterThanOrEqual(3000);
  });

  it('the clean clips and a flickering light are not rejected', () => {
    for (const name of ['clean-franck', 'clean-cap13', 'clean-cap12', 'flicker'] as const) {
      expect(run(name).ended, name).toBeUndefined();
    }
  });
});

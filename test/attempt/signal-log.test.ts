// The attempt's decision on plain data (src/attempt/signal-log.ts, what every host's Attempt decides with): the three
// signals, passive from the kernels' artefact scores, motion from the landmarks and the geometry's eye and mouth
// apertures, active from the challenge's results; the thresholds are the decision config's.
import { describe, expect, it } from 'vitest';
import { passiveSignal } from '../../src/decision/passive.js';
import type { PassiveImageFeatures } from '../../src/quality/passive.js';
import type { ChallengeEvent } from '../../src/challenge/session.js';
import type { ChallengePlan } from '../../src/challenge/plan.js';
import { FaceGeometryEstimator, type FaceGeometry } from '../../src/geometry/face-geometry.js';
import type { Point3, QualityMetrics } from '../../src/types.js';
import { SignalLog } from '../../src/attempt/signal-log.js';
import { DEFAULT_DECISION_CONFIG, resolveDecisionConfig } from '../../src/decision/config.js';
import { mulberry32, projectHead } from '../decision/synthetic-head.js';

const CONFIG = DEFAULT_DECISION_CONFIG;

const quality = { motion: { globalDx: 0, globalDy: 0 } } as unknown as QualityMetrics;
const W = 1280,
  H = 720;

function artefacts(moire: number, deviceBorder: number): PassiveImageFeatures {
  return { moire, flicker: 0.05, deviceBorder, specular: 0, stats: {} as PassiveImageFeatures['stats'] };
}

/** A live head turning +-20 deg over 2 s at 30 fps, with the given passive scores on every frame (null: no face). */
function record(r: SignalLog, frames: number, passive: (i: number) => PassiveImageFeatures | null, t0 = 0): void {
  const rand = mulberry32(7);
  for (let i = 0; i < frames; i++) {
    const yawDeg = 20 * Math.sin((2 * Math.PI * i) / 60);
    const p = passive(i);
    r.push({ timestampMs: t0 + i * 33, landmarks: p ? projectHead({ yawDeg, pitchDeg: 4 * Math.sin(i / 9) }, { jitterPx: 0.5, rand }) : null, motion: quality.motion, geometry: null }, p, []);
  }
}

/** The geometry the engine measures on these landmarks (no eye contours: the lids are the mesh's). */
function measure(estimator: FaceGeometryEstimator, landmarks: Point3[]): FaceGeometry {
  const g = estimator.measure({ box: { x: 0, y: 0, width: W, height: H }, score: 1, landmarks, rotation: 0, tracked: true, eyeContours: null }, W, H);
  expect(g).not.toBeNull();
  // a copy: the estimator's output object is reused, as the engine's is
  return structuredClone(g!);
}

/**
 * A frontal head held still for 3 s at 30 fps whose mesh keeps the eyes open, while the geometry's eye openness (the
 * iris model's lid contour, on a real face) closes for 200 ms at 1.5 s: the blink the mesh lids barely show.
 */
function rigidHeadBlinkingInTheGeometry(): Array<{ t: number; landmarks: Point3[]; geometry: FaceGeometry }> {
  const rand = mulberry32(3);
  const estimator = new FaceGeometryEstimator();
  const out = [];
  for (let i = 0; i < 90; i++) {
    const landmarks = projectHead({ yawDeg: 2, pitchDeg: 1 }, { jitterPx: 0.3, rand });
    const geometry = measure(estimator, landmarks);
    const t = i * 33;
    const closed = t >= 1500 && t < 1700;
    if (closed) {
      geometry.rightEye.openness *= 0.3;
      geometry.leftEye.openness *= 0.3;
    }
    out.push({ t, landmarks, geometry });
  }
  return out;
}

describe("SignalLog (the attempt's decision)", () => {
  it('feeds the passive signal: clean artefact scores make it live, a device border makes it spoof', () => {
    const live = new SignalLog(null);
    record(live, 60, () => artefacts(0, 0));
    const d = live.decide(CONFIG).decision;
    expect(d.signals.passive?.verdict).toBe('live');
    expect(d.signals.motion?.verdict).toBe('live');
    expect(d.reasons.map((r) => r.code)).not.toContain('passive-missing');

    const screen = new SignalLog(null);
    record(screen, 60, () => artefacts(0.4, 1));
    const s = screen.decide(CONFIG).decision;
    expect(s.signals.passive?.verdict).toBe('spoof');
    expect(s.verdict).not.toBe('pass');
  });

  it('passive fuses the frames with a face, in order, as passiveSignal does', () => {
    const r = new SignalLog(null);
    const scores = (i: number) => (i % 4 === 3 ? null : artefacts((i % 7) / 20, (i % 5) / 10));
    record(r, 50, scores);
    const expected = passiveSignal(
      Array.from({ length: 50 }, (_, i) => i)
        .filter((i) => scores(i))
        .map((i) => ({ ...artefacts((i % 7) / 20, (i % 5) / 10), timestampMs: i * 33 })),
    );
    const got = r.decide(CONFIG).signals.passive;
    expect(got.verdict).toBe(expected.verdict);
    expect(got.score).toBeCloseTo(expected.score, 12);
    expect(got.reasons).toEqual(expected.reasons);
  });

  it("motion reads the geometry's eye openness: a blink inside a rigid head is live, the same head without it is not", () => {
    const frames = rigidHeadBlinkingInTheGeometry();
    const withGeometry = new SignalLog(null),
      meshOnly = new SignalLog(null);
    for (const f of frames) {
      withGeometry.push({ timestampMs: f.t, landmarks: f.landmarks, motion: quality.motion, geometry: f.geometry }, artefacts(0, 0), []);
      meshOnly.push({ timestampMs: f.t, landmarks: f.landmarks, motion: quality.motion, geometry: null }, artefacts(0, 0), []);
    }
    const blink = withGeometry.decide(CONFIG).signals.motion,
      rigid = meshOnly.decide(CONFIG).signals.motion;
    expect(blink.reasons.map((x) => x.code)).toContain('non-rigid-eyes');
    expect(blink.verdict).toBe('live');
    expect(rigid.verdict).not.toBe('live');
  });

  const plan: ChallengePlan = { nonceDigest: '', mode: 'script', steps: [{ action: 'blink', holdMs: 0, gapMs: 0 }] };
  const result = { step: 0, action: 'blink' as const, latencyMs: 1170, amplitude: 0.7, durationMs: 200, heldMs: 0 };
  function blinkAttempt(end: ChallengeEvent): SignalLog {
    const log = new SignalLog(plan);
    const events = (t: number): ChallengeEvent[] => {
      if (t === 330) return [{ type: 'prompt', step: 0, action: 'blink', timestampMs: t } as ChallengeEvent];
      if (t === 1716)
        return end.type === 'attempt-ended' && end.outcome === 'completed'
          ? [{ type: 'action-done', timestampMs: t, ...result } as ChallengeEvent, { ...end, timestampMs: t }]
          : [{ ...end, timestampMs: t }];
      return [];
    };
    for (const f of rigidHeadBlinkingInTheGeometry()) {
      log.push({ timestampMs: f.t, landmarks: f.landmarks, motion: quality.motion, geometry: f.geometry }, artefacts(0.02, 0.05), events(f.t));
    }
    return log;
  }

  it('a completed blink passes on all three signals; the claim keeps the events and the end', () => {
    const log = blinkAttempt({ type: 'attempt-ended', outcome: 'completed', reason: null, results: [result], timestampMs: 0 } as ChallengeEvent);
    const { decision } = log.decide(CONFIG);
    expect(decision.verdict).toBe('pass');
    expect(log.events.map((e) => `${e.type} ${e.t}`)).toEqual(['prompt 330', 'action-done 1716']);
    expect(log.ended).toEqual({ outcome: 'completed', reason: null, t: 1716 });
    expect(decision.reasons.map((r) => r.code)).not.toContain('challenge-rejected');
  });

  it("a rejected attempt says so in the decision's reasons, with the session's reason", () => {
    const log = blinkAttempt({ type: 'attempt-ended', outcome: 'rejected', reason: 'background-motion', results: [], timestampMs: 0 } as unknown as ChallengeEvent);
    const { decision } = log.decide(CONFIG);
    expect(decision.verdict).not.toBe('pass');
    const r = decision.reasons.find((x) => x.code === 'challenge-rejected');
    expect(r?.message).toMatch(/background-motion/);
  });

  it("the thresholds are the decision config's: a stricter passive threshold turns the same frames away from pass", () => {
    const log = blinkAttempt({ type: 'attempt-ended', outcome: 'completed', reason: null, results: [result], timestampMs: 0 } as ChallengeEvent);
    const base = log.decide(CONFIG);
    expect(base.decision.verdict).toBe('pass');
    const strict = log.decide(resolveDecisionConfig({ passive: { liveMin: Math.min(0.99, base.signals.passive.score + 0.01) } }));
    expect(strict.signals.passive.verdict).not.toBe('live');
    expect(strict.decision.verdict).not.toBe('pass');
  });

  it('keepLast forgets old frames and their artefacts (a stream without a plan keeps a window)', () => {
    const r = new SignalLog(null);
    record(r, 40, () => artefacts(0.5, 1)); // a screen at first...
    expect(r.decide(CONFIG).signals.passive.verdict).toBe('spoof');
    record(r, 40, () => artefacts(0, 0), 40 * 33); // ...then 40 clean frames
    r.keepLast(40);
    expect(r.frames).toBe(40);
    expect(r.decide(CONFIG).signals.passive.verdict).toBe('live');
  });

  it('no face on any frame: never a pass', () => {
    const r = new SignalLog(null);
    record(r, 30, () => null);
    const d = r.decide(CONFIG).decision;
    expect(d.signals.passive?.verdict).not.toBe('live');
    expect(d.signals.motion?.verdict).not.toBe('live');
    expect(d.verdict).toBe('review');
  });
});

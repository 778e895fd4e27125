// The worker's end-of-attempt decision without evidence (src/worker/decision.ts AttemptRecorder) on plain data: it is
// AttemptLog, the decider of `livecheck analyze`, of the evidence claim and of the server's replay, fed from the
// worker's frame stream: the three signals, passive from the kernels' artefact scores, motion from the landmarks and
// the geometry's eye and mouth apertures.
import { describe, expect, it } from 'vitest';
import { passiveSignal } from '../../src/decision/passive.js';
import type { PassiveImageFeatures } from '../../src/kernels/passive.js';
import type { ChallengeEvent } from '../../src/challenge/session.js';
import type { ChallengePlan } from '../../src/challenge/plan.js';
import { FaceGeometryEstimator, type FaceGeometry } from '../../src/geometry/face-geometry.js';
import type { Point3, QualityMetrics } from '../../src/types.js';
import { AttemptLog } from '../../src/evidence/attempt.js';
import { AttemptRecorder } from '../../src/worker/decision.js';
import { mulberry32, projectHead } from '../decision/synthetic-head.js';

const quality = { motion: { globalDx: 0, globalDy: 0 } } as unknown as QualityMetrics;
const W = 1280, H = 720;

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

describe('AttemptRecorder (the worker decision without evidence)', () => {
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

  it('passive fuses the frames with a face, in order, as passiveSignal does', () => {
    const r = new AttemptRecorder(null);
    const scores = (i: number) => (i % 4 === 3 ? null : artefacts((i % 7) / 20, (i % 5) / 10));
    record(r, 50, scores);
    const expected = passiveSignal(Array.from({ length: 50 }, (_, i) => i).filter((i) => scores(i)).map((i) => ({ ...artefacts((i % 7) / 20, (i % 5) / 10), timestampMs: i * 33 })));
    const got = r.decide().signals.passive!;
    expect(got.verdict).toBe(expected.verdict);
    expect(got.score).toBeCloseTo(expected.score, 12);
    expect(got.reasons).toEqual(expected.reasons);
  });

  it('motion reads the geometry\'s eye openness: a blink inside a rigid head is live, the same head without it is not', () => {
    const frames = rigidHeadBlinkingInTheGeometry();
    const withGeometry = new AttemptRecorder(null), meshOnly = new AttemptRecorder(null);
    for (const f of frames) {
      withGeometry.push(f.t, f.landmarks, f.geometry, quality, [], artefacts(0, 0));
      meshOnly.push(f.t, f.landmarks, null, quality, [], artefacts(0, 0));
    }
    const blink = withGeometry.decide().signals.motion!, rigid = meshOnly.decide().signals.motion!;
    expect(blink.reasons.map((x) => x.code)).toContain('non-rigid-eyes');
    expect(blink.verdict).toBe('live');
    expect(rigid.verdict).not.toBe('live');
  });

  it('decides exactly as AttemptLog (analyze, the evidence claim, the replay) on the frame that ends the attempt', () => {
    const plan: ChallengePlan = { nonceDigest: '', mode: 'script', steps: [{ action: 'blink', holdMs: 0 }] };
    const frames = rigidHeadBlinkingInTheGeometry();
    const events = (t: number): ChallengeEvent[] => {
      if (t === 330) return [{ type: 'prompt', step: 0, action: 'blink', timestampMs: t } as ChallengeEvent];
      if (t === 1716) {
        const result = { step: 0, action: 'blink' as const, latencyMs: 1170, amplitude: 0.7, durationMs: 200, heldMs: 0 };
        return [
          { type: 'action-done', timestampMs: t, ...result } as ChallengeEvent,
          { type: 'attempt-ended', outcome: 'completed', reason: null, results: [result], timestampMs: t } as ChallengeEvent,
        ];
      }
      return [];
    };
    const recorder = new AttemptRecorder(plan);
    const log = new AttemptLog(plan);
    let decided = null;
    let logEnded = false;
    for (const f of frames) {
      const e = events(f.t);
      const p = artefacts(0.02, 0.05);
      const d = recorder.push(f.t, f.landmarks, f.geometry, quality, e, p);
      if (d) decided = d;
      if (logEnded) continue;
      log.push({ timestampMs: f.t, landmarks: f.landmarks, motion: quality.motion, geometry: f.geometry }, { ...p, timestampMs: f.t }, e);
      logEnded = e.some((x) => x.type === 'attempt-ended');
    }
    expect(decided).not.toBeNull();
    expect(recorder.attemptEnded).toBe(true);
    // frames after the end are not the attempt's: the decision is the one made on the ending frame
    expect(recorder.decide()).toEqual(decided);
    expect(decided).toEqual(log.decide().decision);
    expect(decided!.signals.motion?.verdict).toBe('live');
  });

  it('without a plan keeps only the recent frames (between window and twice that): old artefacts age out', () => {
    const r = new AttemptRecorder(null, 20);
    record(r, 40, () => artefacts(0.5, 1)); // a screen at first...
    expect(r.decide().signals.passive?.verdict).toBe('spoof');
    record(r, 40, () => artefacts(0, 0), 40 * 33); // ...then 40 clean frames push it out
    expect(r.decide().signals.passive?.verdict).toBe('live');
  });

  it('no face on any frame: never a pass', () => {
    const r = new AttemptRecorder(null);
    record(r, 30, () => null);
    const d = r.decide();
    expect(d.signals.passive?.verdict).not.toBe('live');
    expect(d.signals.motion?.verdict).not.toBe('live');
    expect(d.verdict).toBe('review');
  });
});

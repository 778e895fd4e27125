// cap13's two labelled head turns (fixtures/video-labels.json: nose to the image's right, hand-measured ~9-22 deg)
// through the real pipeline: the pose from the rigid fit must turn the labelled way by about the hand-measured angle,
// and, as the documented challenge thresholds say (turn.targetDeg 15 from the calibrated neutral), a turn of that
// size must NOT complete a `turn-left` challenge step. Landmarks come from the shared cache (test/helpers/clip-pipeline);
// the pixels are decoded again and go through the real kernels, the region meter and the FrameInterpreter (geometry,
// guidance and the ChallengeSession).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { planFromNonce } from '../../src/challenge/plan.js';
import type { ChallengeAction } from '../../src/challenge/actions.js';
import { DEFAULT_CHALLENGE_CONFIG } from '../../src/challenge/config.js';
import type { ChallengeEvent } from '../../src/challenge/session.js';
import { FrameInterpreter } from '../../src/attempt/interpreter.js';
import { FaceRegionMeter } from '../../src/engine/region-meter.js';
import { FaceGeometryEstimator } from '../../src/geometry/face-geometry.js';
import { createNodeKernels } from '../../src/node/kernels.js';
import { decodeVideo } from '../../src/node/media.js';
import type { FaceDetection } from '../../src/types.js';
import { clipFaces, faceOf, meshBox, type ClipFace } from '../helpers/clip-pipeline.js';
import { dataDir } from '../helpers/data.js';
import labels from './fixtures/video-labels.json';

interface TurnLabel {
  type: string;
  start: number;
  end: number;
  direction?: string;
  handDeg?: number[];
}

const clip = labels.clips.cap13;
const turns = (clip.labels as TurnLabel[]).filter((l) => l.type === 'turn');
/** The session starts after the second mouth opening (446-476), so calibration sees a neutral face. */
const FIRST = 480;
const LAST = 640;

let faces: ClipFace[];
let yaw: Array<number | null>;
const events: ChallengeEvent[] = [];

beforeAll(async () => {
  faces = await clipFaces('cap13', clip);
  const est = new FaceGeometryEstimator();
  yaw = faces.map((f) => {
    const face = faceOf(f);
    return face ? (est.measure(face, 1, 1)?.pose.yawDeg ?? null) : null;
  });

  // frames FIRST..LAST of the clip through kernels -> region meter -> interpreter with a one-step turn-left plan
  const kernels = await createNodeKernels();
  const meter = new FaceRegionMeter();
  // cap13 is a 400x300 webcam clip with ~40 px between the eyes: the default guidance minimums (640x480, 50 px) would
  // hold the session in calibration, so they are lowered to the clip; the turn thresholds under test stay the defaults
  const interp = new FrameInterpreter({
    // the clip turns at fixed times: a nonce whose schedule has no gap before the first prompt
    plan: await firstGapZero('cap13-moderate-turns-0025', ['turn-left']),
    guidance: { config: { minResolution: { short: 300, long: 400 }, minInterEyePx: { enter: 25, exit: 28 } } },
  });
  let i = 0;
  for await (const f of decodeVideo(join(dataDir, clip.file), { maxFrames: LAST + 1, reuse: true })) {
    const rec = faces[i++];
    if (i - 1 < FIRST) continue;
    const box = rec.lm ? meshBox(rec.lm, f.width, f.height) : null;
    const quality = kernels.qualityPass(f.data, f.width, f.height, box);
    const face = box ? faceOf(rec) : null;
    const dets: FaceDetection[] = face ? [{ box: box!, score: 1, landmarks: face.landmarks, rotation: 0, tracked: true }] : [];
    const regions = face ? meter.measure(kernels, face.landmarks, f.width, f.height) : undefined;
    const r = interp.interpret({ timestampMs: f.timestampMs, width: f.width, height: f.height, quality, faces: dets }, face ? { ...face, box: box! } : null, regions);
    events.push(...r.challenge.map((e) => structuredClone(e)));
  }
}, 900_000);

/** Yaw change from the median of the 8 frames before `start - 2` to the extreme within the label, + = nose to image right. */
function turnDeg(l: TurnLabel): number {
  const ref = yaw
    .slice(l.start - 10, l.start - 2)
    .filter((y): y is number => y !== null)
    .sort((a, b) => a - b);
  const r = ref[ref.length >> 1];
  let peak = -Infinity;
  for (let i = l.start; i <= l.end; i++) if (yaw[i] !== null) peak = Math.max(peak, yaw[i]! - r);
  return peak;
}

describe("cap13's moderate head turns", () => {
  it('are labelled nose to the image right with a hand-measured angle', () => {
    expect(turns.length).toBe(2);
    for (const l of turns) {
      expect(l.direction).toBe('nose-image-right');
      expect(l.handDeg).toHaveLength(2);
    }
  });

  it('the pose turns the labelled way by an angle inside the hand-measured range', () => {
    for (const l of turns) {
      const deg = turnDeg(l);
      console.info(`cap13 turn ${l.start}-${l.end}: pipeline ${deg.toFixed(1)} deg from the frames before it (hand ${JSON.stringify(l.handDeg)})`);
      expect(deg, `${l.start}-${l.end}`).toBeGreaterThanOrEqual(l.handDeg![0]);
      expect(deg, `${l.start}-${l.end}`).toBeLessThanOrEqual(l.handDeg![1]);
    }
  });

  it('both turns stay below the 15 deg target measured from the neutral pose before the prompt', () => {
    // the challenge measures from the neutral face it calibrated on (the frontal frames after the mouth opening);
    // the second turn starts from a head swung back the other way, so it is larger from its own start than from neutral
    const calib = yaw
      .slice(FIRST, FIRST + 13)
      .filter((y): y is number => y !== null)
      .sort((a, b) => a - b);
    const neutral = calib[calib.length >> 1];
    for (const l of turns) {
      const peak = Math.max(...yaw.slice(l.start, l.end + 1).filter((y): y is number => y !== null)) - neutral;
      console.info(`cap13 turn ${l.start}-${l.end}: ${peak.toFixed(1)} deg from the neutral ${neutral.toFixed(1)}`);
      expect(peak, `${l.start}-${l.end}`).toBeGreaterThan(DEFAULT_CHALLENGE_CONFIG.turn.onsetDeg);
      expect(peak, `${l.start}-${l.end}`).toBeLessThan(DEFAULT_CHALLENGE_CONFIG.turn.targetDeg);
    }
  });

  it('does not complete a turn-left challenge step, though the session sees the movement start', () => {
    const prompt = events.find((e) => e.type === 'prompt');
    expect(prompt, JSON.stringify(events.map((e) => e.type))).toBeDefined();
    // prompted before the first turn starts, so the first turn is the response to the prompt
    expect(prompt!.timestampMs).toBeLessThan((turns[0].start * 1000) / clip.fps);
    expect(events.filter((e) => e.type === 'action-done')).toEqual([]);
    // the turn was seen (progress above zero) and the step failed for falling short: on this clip the head swings
    // back past neutral after the first turn, which ends that short turn as incomplete (not wrong-direction)
    const progress = events.filter((e): e is Extract<ChallengeEvent, { type: 'progress' }> => e.type === 'progress');
    expect(Math.max(0, ...progress.map((e) => e.stepProgress))).toBeGreaterThan(0);
    const failed = events.filter((e): e is Extract<ChallengeEvent, { type: 'action-failed' }> => e.type === 'action-failed');
    console.info(
      `cap13 turn-left step: ${events
        .map((e) => `${e.type}${'reason' in e && e.reason ? `:${e.reason}` : ''}@${Math.round(e.timestampMs)}`)
        .filter((s) => !s.startsWith('progress'))
        .join(' ')}`,
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.map((e) => e.reason)).toEqual(['incomplete']);
    expect(failed[0].detail.amplitude).toBeGreaterThanOrEqual(DEFAULT_CHALLENGE_CONFIG.turn.onsetDeg);
    expect(failed[0].detail.amplitude).toBeLessThan(DEFAULT_CHALLENGE_CONFIG.turn.targetDeg);
  });
});

async function firstGapZero(nonce: string, script: ChallengeAction[]) {
  const plan = await planFromNonce(nonce, { script });
  expect(plan.steps[0].gapMs).toBe(0);
  return plan;
}

// Free-running action detection on real clips against hand labels (fixtures/video-labels.json): the face pipeline
// (src/face) on every frame, then the geometry and the ActionDetector. The pipeline output is cached under
// .cache/landmarks/ by test/helpers/clip-pipeline.ts, so only the first run pays for FaceMesh.
//
// Matching rules: a labelled event is found when a detection of its type overlaps its frame range; a detection is
// false when it overlaps no label it could stand for, and only label types the clip lists as `complete` are scored.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionDetector, DEFAULT_ACTION_DETECTOR_CONFIG, type DetectedAction } from '../../src/challenge/action-detector.js';
import { FaceGeometryEstimator } from '../../src/geometry/face-geometry.js';
import { DEFAULT_GUIDANCE_CONFIG } from '../../src/guidance/config.js';
import { probeVideo } from '../../src/node/media.js';
import { clipFaces, faceOf, type ClipFace } from '../helpers/clip-pipeline.js';
import { dataDir } from '../helpers/data.js';
import labels from './fixtures/video-labels.json';

type ClipName = keyof typeof labels.clips;
interface Label {
  type: string;
  start: number;
  end: number;
  direction?: string;
  size?: string;
  handDeg?: number[];
}

interface Detected extends DetectedAction {
  startFrame: number;
  endFrame: number;
}
/** Per-frame measures of one clip (null / 0 without a face). */
interface Pose {
  yaw: number;
  pitch: number;
}
interface Measures {
  poses: Array<Pose | null>;
  openness: number[];
  interEye: number[];
}

function detect(frames: readonly ClipFace[], fps: number, m: Measures): Detected[] {
  const est = new FaceGeometryEstimator();
  const det = new ActionDetector();
  const out: Detected[] = [];
  const add = (e: DetectedAction) => out.push({ ...e, startFrame: Math.round((e.startMs * fps) / 1000), endFrame: Math.round((e.endMs * fps) / 1000) });
  for (const f of frames) {
    const face = faceOf(f);
    const g = face ? est.measure(face, 1, 1) : null;
    m.poses.push(g ? { yaw: g.pose.yawDeg, pitch: g.pose.pitchDeg } : null);
    m.openness.push(g ? 0.5 * (g.rightEye.openness + g.leftEye.openness) : 0);
    m.interEye.push(g ? g.interEyePx : 0);
    det.push(f.t, g).forEach(add);
  }
  det.flush().forEach(add);
  return out;
}

const overlaps = (a: { start: number; end: number }, d: Detected) => d.startFrame <= a.end && d.endFrame >= a.start;
const labelsOf = (name: ClipName) => labels.clips[name].labels as Label[];
const detected: Partial<Record<ClipName, Detected[]>> = {};
const poses: Partial<Record<ClipName, Array<Pose | null>>> = {};
const openness: Partial<Record<ClipName, number[]>> = {};
const interEye: Partial<Record<ClipName, number[]>> = {};
const clipSize: Partial<Record<ClipName, [number, number]>> = {};
const faceFrames: Partial<Record<ClipName, number>> = {};

beforeAll(async () => {
  for (const name of Object.keys(labels.clips) as ClipName[]) {
    const frames = await clipFaces(name, labels.clips[name]);
    faceFrames[name] = frames.filter((f) => f.lm).length;
    const m: Measures = { poses: [], openness: [], interEye: [] };
    detected[name] = detect(frames, labels.clips[name].fps, m);
    poses[name] = m.poses;
    openness[name] = m.openness;
    interEye[name] = m.interEye;
    const info = await probeVideo(join(dataDir, labels.clips[name].file));
    clipSize[name] = [info.width, info.height];
  }
}, 900_000);

/** Blink recall and false blinks per minute of a clip (a detection inside a labelled eye closure is not false). */
function blinkScore(name: ClipName) {
  const events = detected[name]!;
  const blinks = labelsOf(name).filter((l) => l.type === 'blink');
  const eyeLabels = labelsOf(name).filter((l) => l.type === 'blink' || l.type === 'eye-closure');
  const found = blinks.filter((l) => events.some((d) => d.type === 'blink' && overlaps(l, d)));
  const falseBlinks = events.filter((d) => d.type === 'blink' && !eyeLabels.some((l) => overlaps(l, d)));
  const minutes = labels.clips[name].frames / labels.clips[name].fps / 60;
  return { blinks, found, falseBlinks, recall: found.length / blinks.length, falsePerMinute: falseBlinks.length / minutes };
}

const HEAD = ['turn', 'nod', 'head-shift'];
const isHead = (d: Detected) => d.type === 'turn-left' || d.type === 'turn-right' || d.type === 'nod';
/** The action a labelled turn stands for on an unmirrored clip (nose to the image's right = the person's left). */
const turnAction = (l: Label) => (l.direction === 'nose-image-right' ? 'turn-left' : 'turn-right');

/**
 * The pipeline's rotation over a labelled movement, measured like the hand measurement: from the median pose of the
 * 8 frames before `start - 2` to the extreme within [start, end], signed so that + is the labelled direction.
 */
function poseChange(name: ClipName, l: Label, axis: 'yaw' | 'pitch', sign: 1 | -1): number {
  const p = poses[name]!;
  const ref = p
    .slice(Math.max(0, l.start - 10), l.start - 2)
    .filter((x): x is Pose => x !== null)
    .map((x) => x[axis])
    .sort((a, b) => a - b);
  const r = ref[ref.length >> 1];
  let peak = -Infinity;
  for (let i = l.start; i <= l.end; i++) if (p[i]) peak = Math.max(peak, sign * (p[i]![axis] - r));
  return peak;
}

describe('franck.mp4, first 140 s (talking head)', () => {
  it('finds >= 90% of the labelled blinks with at most 1 false blink per minute', () => {
    const s = blinkScore('franck');
    expect(s.recall, `missed: ${JSON.stringify(s.blinks.filter((l) => !s.found.includes(l)))}`).toBeGreaterThanOrEqual(0.9);
    expect(s.falsePerMinute, `false: ${JSON.stringify(s.falseBlinks)}`).toBeLessThanOrEqual(1);
  });

  it('reports the two-second eye closure as eyes-closed, not as a blink', () => {
    const closure = labelsOf('franck').find((l) => l.type === 'eye-closure')!;
    const hits = detected.franck!.filter((d) => overlaps(closure, d) && (d.type === 'blink' || d.type === 'eyes-closed'));
    expect(hits.map((d) => d.type)).toEqual(['eyes-closed']);
  });

  it('finds every labelled mouth opening and reports none elsewhere (talking and the laugh are not openings)', () => {
    const open = labelsOf('franck').filter((l) => l.type === 'mouth-open');
    for (const l of open)
      expect(
        detected.franck!.some((d) => d.type === 'mouth-open' && overlaps(l, d)),
        `${l.start}-${l.end}`,
      ).toBe(true);
    const extra = detected.franck!.filter((d) => d.type === 'mouth-open' && !open.some((l) => overlaps(l, d)));
    expect(extra).toEqual([]);
  });

  it('reports no turn or nod where no head movement is labelled, and none against a labelled direction', () => {
    const moves = labelsOf('franck').filter((l) => HEAD.includes(l.type));
    for (const d of detected.franck!.filter(isHead)) {
      const under = moves.filter((l) => overlaps(l, d));
      expect(under.length, `unlabelled ${d.type} at frames ${d.startFrame}-${d.endFrame}`).toBeGreaterThan(0);
      for (const l of under.filter((x) => x.type === 'turn' && d.type !== 'nod')) expect(d.type, `${l.start}-${l.end}`).toBe(turnAction(l));
    }
    // recall over every labelled turn and nod, small ones included (not a target: see the fixture's notes)
    const all = moves.filter((l) => l.type !== 'head-shift');
    const found = all.filter((l) => detected.franck!.some((d) => isHead(d) && overlaps(l, d)));
    console.info(
      `franck head movements: ${found.length}/${all.length} labelled turns/nods detected; ` + all.map((l) => `${l.type} ${l.start}-${l.end} ${l.size}${found.includes(l) ? ' found' : ''}`).join(', '),
    );
  });

  // The one clear turn, 1072-1097, turns the pose 15.3 deg from the frames before it, for a frame or two. It was a
  // known gap while the detector measured from a slow average that followed the 1 s ramp (12.8 deg seen) and asked for
  // 300 ms beyond 15 deg; now the reference is the median pose before the movement, frozen at its onset, and the turn
  // needs 200 ms beyond the 10 deg release (it spends ~330 ms there). The margin is thin: 15.3 vs 15 deg.
  it('finds every clear head turn in its labelled direction', () => {
    const clear = labelsOf('franck').filter((l) => l.type === 'turn' && l.size === 'clear');
    expect(clear.length).toBeGreaterThan(0);
    for (const l of clear) {
      const hits = detected.franck!.filter((d) => isHead(d) && overlaps(l, d));
      expect(
        hits.map((d) => d.type),
        `${l.start}-${l.end}`,
      ).toContain(turnAction(l));
    }
  });

  it('measures the labelled turns in their direction, within the hand-measured range where there is one', () => {
    for (const l of labelsOf('franck').filter((x) => HEAD.includes(x.type) && x.type !== 'head-shift')) {
      const deg = l.type === 'nod' ? poseChange('franck', l, 'pitch', l.direction === 'nose-up' ? 1 : -1) : poseChange('franck', l, 'yaw', l.direction === 'nose-image-right' ? 1 : -1);
      console.info(`franck ${l.type} ${l.direction} ${l.start}-${l.end} (${l.size}, hand ${l.handDeg ? JSON.stringify(l.handDeg) : '-'}): pipeline ${deg.toFixed(1)} deg`);
      // small sways are reported, not asserted: by eye they are barely a rotation at all
      if (l.size === 'small') continue;
      expect(deg, `${l.start}-${l.end}`).toBeGreaterThan(0);
      if (l.handDeg) {
        expect(deg, `${l.start}-${l.end}`).toBeGreaterThanOrEqual(l.handDeg[0]);
        expect(deg, `${l.start}-${l.end}`).toBeLessThanOrEqual(l.handDeg[1]);
      }
    }
  });
});

describe('kphotoalbum movie (160x120, glasses, dim light)', () => {
  it('tracks the face in (nearly) every frame', () => {
    expect(faceFrames.kphotoalbum! / labels.clips.kphotoalbum.frames).toBeGreaterThanOrEqual(0.95);
  });

  it('is below the guidance minimums, so a live check would ask for a better capture first', () => {
    const c = DEFAULT_GUIDANCE_CONFIG;
    const eyes = interEye.kphotoalbum!.filter((x) => x > 0).sort((a, b) => a - b);
    expect(Math.min(clipSize.kphotoalbum![0], clipSize.kphotoalbum![1])).toBeLessThan(c.minResolution.short);
    expect(eyes[eyes.length >> 1]).toBeLessThan(c.minInterEyePx.enter);
  });

  it('sees the labelled blink as a ~30% narrowing of the lid gap, but most of the lid travel a ~8 px eye can show', () => {
    // at ~23 px between the eyes the iris model's lid contour narrows by only ~30% on the fully closed frame: a closed
    // eye still reads ~1.3-1.5 px of gap, and the open one only ~2.1 px. Judged on the travel between the two (the
    // detector's closure), the blink is as deep as franck's.
    const b = labelsOf('kphotoalbum').find((l) => l.type === 'blink')!;
    const c = DEFAULT_ACTION_DETECTOR_CONFIG.blink;
    const open = openness.kphotoalbum!;
    const before = open
      .slice(b.start - 12, b.start)
      .filter((x) => x > 0)
      .sort((x, y) => x - y);
    const level = before[Math.floor(0.8 * (before.length - 1))];
    let plain = 0,
      travel = 0;
    for (let i = b.start; i <= b.end; i++) {
      const eyePx = c.eyeWidthPerInterEye * interEye.kphotoalbum![i];
      plain = Math.max(plain, 1 - open[i] / level);
      travel = Math.max(travel, ((level - open[i]) * eyePx) / (level * eyePx - c.closedGapPx));
    }
    console.info(`kphotoalbum blink ${b.start}-${b.end}: gap narrows ${plain.toFixed(2)}, closure of the resolvable travel ${travel.toFixed(2)}`);
    expect(plain).toBeLessThan(0.45); // the closed level the detector had on plain narrowing: this blink was missed
    expect(travel).toBeGreaterThanOrEqual(c.closed);
    const hit = detected.kphotoalbum!.find((d) => d.type === 'blink' && overlaps(b, d));
    expect(hit?.peak).toBeCloseTo(travel, 1);
  });

  it('finds >= 90% of the labelled blinks with at most 1 false blink per minute', () => {
    const s = blinkScore('kphotoalbum');
    expect(s.blinks.length).toBeGreaterThan(0);
    expect(s.recall, `missed: ${JSON.stringify(s.blinks.filter((l) => !s.found.includes(l)))}`).toBeGreaterThanOrEqual(0.9);
    expect(s.falsePerMinute, `false: ${JSON.stringify(s.falseBlinks)}`).toBeLessThanOrEqual(1);
  });

  it('reports no false blink, and no mouth opening, turn or nod (none labelled: speech and a still head)', () => {
    expect(blinkScore('kphotoalbum').falseBlinks).toEqual([]);
    const open = labelsOf('kphotoalbum').filter((l) => l.type === 'mouth-open' || HEAD.includes(l.type));
    const extra = detected.kphotoalbum!.filter((d) => (d.type === 'mouth-open' || isHead(d)) && !open.some((l) => overlaps(l, d)));
    expect(extra).toEqual([]);
  });
});

describe('cap12 / cap13 (webcam)', () => {
  it('finds every labelled mouth opening', () => {
    for (const name of ['cap12', 'cap13'] as const) {
      for (const l of labelsOf(name).filter((x) => x.type === 'mouth-open')) {
        expect(
          detected[name]!.some((d) => d.type === 'mouth-open' && overlaps(l, d)),
          `${name} ${l.start}-${l.end}`,
        ).toBe(true);
      }
    }
  });

  it('reports no mouth opening where none is labelled (cap12, cap13)', () => {
    for (const name of ['cap12', 'cap13'] as const) {
      const open = labelsOf(name).filter((x) => x.type === 'mouth-open');
      const extra = detected[name]!.filter((d) => d.type === 'mouth-open' && !open.some((l) => overlaps(l, d)));
      expect(extra, name).toEqual([]);
    }
  });

  it("finds cap12's head turns with the right direction (nose to the image's right = turn-left, unmirrored)", () => {
    // each nose-image-right turn swings straight from a held counter-turn (nose to the image's left, pose ~-13 deg) to
    // +16 deg: 29 deg from the pose it started from, 12-13 deg from the rest pose (~4 deg), so it is found as a swing.
    // The counter-turns (486-504, 948-972) were missed in the first labelling pass and added after the detector
    // reported them, confirmed by eye and hand-measured at 12-19 and 10-16 deg (nostril centre vs outer eye corners).
    for (const l of labelsOf('cap12').filter((x) => x.type === 'turn')) {
      const hits = detected.cap12!.filter((d) => d.type === turnAction(l) && overlaps(l, d));
      expect(hits.length, `${l.start}-${l.end}`).toBe(1);
      expect(hits[0].peak, `${l.start}-${l.end}`).toBeGreaterThan(DEFAULT_ACTION_DETECTOR_CONFIG.turn.deg);
    }
  });

  it('reports no cap12 turn the labels do not list', () => {
    const turns = labelsOf('cap12').filter((x) => x.type === 'turn');
    const extra = detected.cap12!.filter((d) => (d.type === 'turn-left' || d.type === 'turn-right') && !turns.some((l) => overlaps(l, d) && d.type === turnAction(l)));
    expect(extra).toEqual([]);
  });

  it("finds cap13's eye closure and blink", () => {
    for (const l of labelsOf('cap13').filter((x) => x.type === 'eye-closure' || x.type === 'blink')) {
      expect(
        detected.cap13!.some((d) => (d.type === 'blink' || d.type === 'eyes-closed') && overlaps(l, d)),
        `${l.start}-${l.end}`,
      ).toBe(true);
    }
  });
});

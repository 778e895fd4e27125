// Free-running action detection on real clips against hand labels (fixtures/video-labels.json): the face pipeline
// (src/face) on every frame, then the geometry and the ActionDetector. The pipeline output is cached under
// .cache/landmarks/ (keyed by clip, frame count and the models' manifest), so only the first run pays for FaceMesh.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionDetector, type DetectedAction } from '../../src/challenge/action-detector.js';
import { FaceGeometryEstimator, type FaceWithContours } from '../../src/geometry/face-geometry.js';
import { decodeVideo } from '../../src/node/media.js';
import type { Point3 } from '../../src/types.js';
import { createTracker } from '../face/engine.js';
import { dataDir, repoRoot, requireData } from '../helpers/data.js';
import labels from './fixtures/video-labels.json';

type ClipName = keyof typeof labels.clips;
interface Label { type: string; start: number; end: number; direction?: string }
interface FrameFace { t: number; lm: Point3[] | null; ec: [Point3[], Point3[]] | null }

async function pipelineFrames(name: ClipName): Promise<FrameFace[]> {
  const clip = labels.clips[name];
  const file = join(dataDir, clip.file);
  requireData(file);
  const models = readFileSync(join(repoRoot, 'models', 'manifest.json'));
  const key = createHash('sha256').update(models).update(`${clip.file}:${clip.frames}:upright`).digest('hex').slice(0, 16);
  const dir = join(repoRoot, '.cache', 'landmarks');
  const path = join(dir, `${name}-${key}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as FrameFace[];
  const tracker = await createTracker({ orientations: 'upright' });
  const frames: FrameFace[] = [];
  try {
    for await (const f of decodeVideo(file, { maxFrames: clip.frames, reuse: true })) {
      const r = await tracker.detect(f, f.timestampMs);
      const face = r.faces[0];
      const ec = face?.eyeContours;
      frames.push({ t: f.timestampMs, lm: face ? face.landmarks.map((p) => [p[0], p[1], p[2]] as Point3) : null, ec: ec ? [ec.right.slice(0, 16), ec.left.slice(0, 16)] : null });
    }
  } finally {
    await tracker.close();
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, JSON.stringify(frames));
  return frames;
}

interface Detected extends DetectedAction { startFrame: number; endFrame: number }

function detect(frames: FrameFace[], fps: number): Detected[] {
  const est = new FaceGeometryEstimator();
  const det = new ActionDetector();
  const out: Detected[] = [];
  const add = (e: DetectedAction) => out.push({ ...e, startFrame: Math.round((e.startMs * fps) / 1000), endFrame: Math.round((e.endMs * fps) / 1000) });
  for (const f of frames) {
    const face: FaceWithContours | null = f.lm ? { box: { x: 0, y: 0, width: 0, height: 0 }, score: 1, landmarks: f.lm, rotation: 0, tracked: true, eyeContours: f.ec ? { right: f.ec[0], left: f.ec[1] } : null } : null;
    const g = face ? est.measure(face, 1, 1) : null;
    det.push(f.t, g).forEach(add);
  }
  det.flush().forEach(add);
  return out;
}

const overlaps = (a: { start: number; end: number }, d: Detected) => d.startFrame <= a.end && d.endFrame >= a.start;
const labelsOf = (name: ClipName) => labels.clips[name].labels as Label[];
const detected: Partial<Record<ClipName, Detected[]>> = {};

beforeAll(async () => {
  for (const name of Object.keys(labels.clips) as ClipName[]) detected[name] = detect(await pipelineFrames(name), labels.clips[name].fps);
}, 900_000);

describe('franck.mp4, first 60 s (talking head)', () => {
  it('finds >= 90% of the labelled blinks with at most 1 false blink per minute', () => {
    const events = detected.franck!;
    const blinks = labelsOf('franck').filter((l) => l.type === 'blink');
    const eyeLabels = labelsOf('franck').filter((l) => l.type === 'blink' || l.type === 'eye-closure');
    const found = blinks.filter((l) => events.some((d) => d.type === 'blink' && overlaps(l, d)));
    const falseBlinks = events.filter((d) => d.type === 'blink' && !eyeLabels.some((l) => overlaps(l, d)));
    const minutes = labels.clips.franck.frames / labels.clips.franck.fps / 60;
    expect(found.length / blinks.length, `missed: ${JSON.stringify(blinks.filter((l) => !found.includes(l)))}`).toBeGreaterThanOrEqual(0.9);
    expect(falseBlinks.length / minutes, `false: ${JSON.stringify(falseBlinks)}`).toBeLessThanOrEqual(1);
  });

  it('reports the two-second eye closure as eyes-closed, not as a blink', () => {
    const closure = labelsOf('franck').find((l) => l.type === 'eye-closure')!;
    const hits = detected.franck!.filter((d) => overlaps(closure, d) && (d.type === 'blink' || d.type === 'eyes-closed'));
    expect(hits.map((d) => d.type)).toEqual(['eyes-closed']);
  });
});

describe('cap12 / cap13 (webcam)', () => {
  it('finds every labelled mouth opening', () => {
    for (const name of ['cap12', 'cap13'] as const) {
      for (const l of labelsOf(name).filter((x) => x.type === 'mouth-open')) {
        expect(detected[name]!.some((d) => d.type === 'mouth-open' && overlaps(l, d)), `${name} ${l.start}-${l.end}`).toBe(true);
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
    for (const l of labelsOf('cap12').filter((x) => x.type === 'turn')) {
      const hits = detected.cap12!.filter((d) => (d.type === 'turn-left' || d.type === 'turn-right') && overlaps(l, d));
      expect(hits.map((d) => d.type), `${l.start}-${l.end}`).toEqual(['turn-left']);
    }
    // no turn in the other direction anywhere in the clip
    expect(detected.cap12!.filter((d) => d.type === 'turn-right')).toEqual([]);
  });

  it("finds cap13's eye closure and blink", () => {
    for (const l of labelsOf('cap13').filter((x) => x.type === 'eye-closure' || x.type === 'blink')) {
      expect(detected.cap13!.some((d) => (d.type === 'blink' || d.type === 'eyes-closed') && overlaps(l, d)), `${l.start}-${l.end}`).toBe(true);
    }
  });
});

// The face pipeline (src/face, upright detector) over every frame of a real clip, cached under .cache/landmarks/ keyed
// by clip, frame count and the models' manifest, so only the first test run that needs a clip pays for FaceMesh.
// Shared by the action tests (test/challenge) and the occlusion tests (test/guidance).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaceWithContours } from '../../src/geometry/face-geometry.js';
import { decodeVideo } from '../../src/node/media.js';
import type { Box, Point3 } from '../../src/types.js';
import { createTracker } from '../face/engine.js';
import { dataDir, repoRoot, requireData } from './data.js';

/** A clip as the label fixture names it: `file` relative to .cache/data, `frames` decoded from the start. */
export interface ClipSpec {
  file: string;
  frames: number;
}

/** One frame's first face: 478 landmarks and the iris model's 16-point eye contours (subject's right eye first). */
export interface ClipFace {
  t: number;
  lm: Point3[] | null;
  ec: [Point3[], Point3[]] | null;
}

/** Landmarks of the first face in each of the clip's first `frames` frames (null where no face was found). */
export async function clipFaces(name: string, clip: ClipSpec): Promise<ClipFace[]> {
  const file = join(dataDir, clip.file);
  requireData(file);
  const models = readFileSync(join(repoRoot, 'models', 'manifest.json'));
  const key = createHash('sha256').update(models).update(`${clip.file}:${clip.frames}:upright`).digest('hex').slice(0, 16);
  const dir = join(repoRoot, '.cache', 'landmarks');
  const path = join(dir, `${name}-${key}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as ClipFace[];
  const tracker = await createTracker({ orientations: 'upright' });
  const frames: ClipFace[] = [];
  try {
    for await (const f of decodeVideo(file, { maxFrames: clip.frames, reuse: true })) {
      const face = (await tracker.detect(f, f.timestampMs)).faces[0];
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

/** The cached frame as the detection the geometry estimator takes (box unused by the geometry: left empty). */
export function faceOf(f: ClipFace): FaceWithContours | null {
  if (!f.lm) return null;
  return { box: { x: 0, y: 0, width: 0, height: 0 }, score: 1, landmarks: f.lm, rotation: 0, tracked: true, eyeContours: f.ec ? { right: f.ec[0], left: f.ec[1] } : null };
}

/** Integer bounding box of the mesh clamped to the frame (null when under 8 px): the face box for the quality pass. */
export function meshBox(lm: readonly Point3[], w: number, h: number): Box | null {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const p of lm) {
    x0 = Math.min(x0, p[0]);
    x1 = Math.max(x1, p[0]);
    y0 = Math.min(y0, p[1]);
    y1 = Math.max(y1, p[1]);
  }
  const ax = Math.max(0, Math.floor(x0)),
    ay = Math.max(0, Math.floor(y0));
  const bx = Math.min(w, Math.ceil(x1)),
    by = Math.min(h, Math.ceil(y1));
  return bx - ax >= 8 && by - ay >= 8 ? { x: ax, y: ay, width: bx - ax, height: by - ay } : null;
}

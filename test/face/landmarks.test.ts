// Landmark accuracy against hand labels (test/fixtures/landmarks/*.json): eye corners, nose tip, mouth corners.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceTracker, TrackedFace } from '../../src/face/index.js';
import { repoRoot } from '../helpers/data.js';
import { createTracker, dataDir, loadImage } from './engine.js';

/** FaceMesh indices of the labelled points ("right" = the subject's right). */
const MESH_INDEX: Record<string, number> = {
  rightEyeOuter: 33,
  rightEyeInner: 133,
  leftEyeInner: 362,
  leftEyeOuter: 263,
  noseTip: 1,
  mouthRight: 61,
  mouthLeft: 291,
};

interface Fixture {
  image: string;
  face: string | null;
  points: Record<string, [number, number]>;
}
const dir = join(repoRoot, 'test', 'fixtures', 'landmarks');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture] as const);

let tracker: FaceTracker;
beforeAll(async () => {
  tracker = await createTracker();
});
afterAll(async () => {
  await tracker?.close();
});

/** The face whose landmark box contains the labelled nose tip (group photos hold several). */
function faceAt(faces: TrackedFace[], [x, y]: [number, number]): TrackedFace | undefined {
  return faces.find((f) => x >= f.box.x && x <= f.box.x + f.box.width && y >= f.box.y && y <= f.box.y + f.box.height);
}

describe('landmark accuracy on hand-labelled real faces', () => {
  const errors: number[] = [];

  it('has at least 8 labelled faces with all 7 points', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
    for (const [, fx] of fixtures) expect(Object.keys(fx.points).sort()).toEqual(Object.keys(MESH_INDEX).sort());
  });

  it.each(fixtures)('%s', async (_file, fx) => {
    const img = loadImage(join(dataDir, fx.image));
    const r = await tracker.detectImage(img, { tileSize: img.width > 1000 ? 960 : 0 });
    const face = faceAt(r.faces, fx.points.noseTip);
    expect(face, 'a face over the labelled nose tip').toBeDefined();
    const [ox, oy] = fx.points.rightEyeOuter,
      [px, py] = fx.points.leftEyeOuter;
    const interocular = Math.hypot(px - ox, py - oy);
    let sum = 0;
    for (const [name, index] of Object.entries(MESH_INDEX)) {
      const [lx, ly] = fx.points[name];
      const [mx, my] = face!.landmarks[index];
      sum += Math.hypot(mx - lx, my - ly) / interocular;
    }
    const nme = sum / Object.keys(MESH_INDEX).length;
    errors.push(nme);
    // one face may be off more than the average, but never by a quarter of the eye distance
    expect(nme).toBeLessThan(0.1);
  });

  it('normalised mean error (by outer-eye-corner distance) <= 0.05 over all faces', () => {
    expect(errors).toHaveLength(fixtures.length);
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    console.log(`landmark NME over ${errors.length} faces: mean ${mean.toFixed(4)}, max ${Math.max(...errors).toFixed(4)}`);
    expect(mean).toBeLessThanOrEqual(0.05);
  });
});

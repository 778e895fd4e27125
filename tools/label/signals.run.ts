// Per-frame geometry signals of the labelled clips, for FINDING candidate windows to look at on contact sheets (never
// for setting label bounds): yaw, pitch, roll, eye openness, mouth opening, mouth width, one CSV per clip under
// .cache/labels/. Also fills the landmark cache the tests use.
//   npx vitest run --config tools/label/vitest.config.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { FaceGeometryEstimator } from '../../src/geometry/face-geometry.js';
import labels from '../../test/challenge/fixtures/video-labels.json';
import { repoRoot } from '../../test/helpers/data.js';
import { clipFaces, faceOf } from '../../test/helpers/clip-pipeline.js';

it('writes per-frame signals', async () => {
  const dir = join(repoRoot, '.cache', 'labels');
  mkdirSync(dir, { recursive: true });
  for (const [name, clip] of Object.entries(labels.clips)) {
    const frames = await clipFaces(name, clip);
    const est = new FaceGeometryEstimator();
    const rows = ['frame,t,yaw,pitch,roll,eyes,mouth,width,meshEyes,irisEyes'];
    frames.forEach((f, i) => {
      const face = faceOf(f);
      const g = face ? est.measure(face, 1, 1) : null;
      const n = (x: number) => x.toFixed(3);
      rows.push(
        g
          ? [
              i,
              f.t.toFixed(1),
              n(g.pose.yawDeg),
              n(g.pose.pitchDeg),
              n(g.pose.rollDeg),
              n(0.5 * (g.rightEye.openness + g.leftEye.openness)),
              n(g.mouthOpening),
              n(g.mouthWidth),
              n(0.5 * (g.rightEye.meshOpenness + g.leftEye.meshOpenness)),
              n(0.5 * (g.rightEye.irisOpenness + g.leftEye.irisOpenness)),
            ].join(',')
          : `${i},${f.t.toFixed(1)},,,,,,,,`,
      );
    });
    writeFileSync(join(dir, `${name}-signals.csv`), rows.join('\n') + '\n');
    console.log(name, frames.length, 'frames');
  }
});

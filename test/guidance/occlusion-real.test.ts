// face-occluded on real clips: the hand on cap12's chin (hand label in test/challenge/fixtures/video-labels.json) must
// raise it; franck (60 s talking), cap13, cap12 outside the hand and every synthetic variant must not. No other
// occlusion code may rise on any of them: they are all unoccluded faces, some in bad light. Landmarks come
// from the same caches as the action tests (.cache/landmarks, .cache/guidance); the pixels are decoded again and go
// through the real kernels, the engine's FaceRegionMeter and the FrameInterpreter (geometry + guidance).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FaceRegionMeter } from '../../src/engine/region-meter.js';
import { FrameInterpreter } from '../../src/attempt/interpreter.js';
import type { FaceWithContours } from '../../src/geometry/face-geometry.js';
import type { GuidanceCode } from '../../src/guidance/codes.js';
import { DEFAULT_GUIDANCE_CONFIG } from '../../src/guidance/config.js';
import type { Kernels } from '../../src/quality/index.js';
import { createNodeKernels } from '../../src/node/kernels.js';
import { decodeVideo } from '../../src/node/media.js';
import type { FaceDetection } from '../../src/types.js';
import labels from '../challenge/fixtures/video-labels.json';
import { clipFaces, meshBox, type ClipFace } from '../helpers/clip-pipeline.js';
import { dataDir, ensureVariants } from '../helpers/data.js';
import { VARIANTS, variantFrames, type Variant } from './variant-frames.js';

type ClipName = keyof typeof labels.clips;

interface Run {
  /** Per frame: face-occluded active after this frame. */
  active: boolean[];
  /** Per frame: the chin texture gain the guidance compared (NaN when not evaluated). */
  gain: number[];
  /** Per frame: the occlusion-type codes active after this frame. */
  occlusion: GuidanceCode[][];
  /** Per frame: the mouth's skin-tone distance (NaN when not measured). */
  tone: number[];
}

const OCCLUSION: readonly GuidanceCode[] = ['eyes-occluded', 'mouth-occluded', 'face-occluded', 'sunglasses', 'glasses-glare', 'eye-hair-strand'];

/** Frames of `video` with the given landmarks through kernels -> region meter -> interpreter. */
async function runClip(kernels: Kernels, video: string, faces: readonly (Omit<ClipFace, 't'> | null)[], maxFrames: number): Promise<Run> {
  const meter = new FaceRegionMeter();
  const interp = new FrameInterpreter();
  const out: Run = { active: [], gain: [], occlusion: [], tone: [] };
  let i = 0;
  for await (const f of decodeVideo(video, { maxFrames, reuse: true })) {
    const rec = faces[i++];
    const box = rec?.lm ? meshBox(rec.lm, f.width, f.height) : null;
    const quality = kernels.qualityPass(f.data, f.width, f.height, box);
    let face: FaceWithContours | null = null;
    const dets: FaceDetection[] = [];
    if (rec?.lm && box) {
      const det: FaceDetection = { box, score: 1, landmarks: rec.lm, rotation: 0, tracked: true };
      dets.push(det);
      face = { ...det, eyeContours: rec.ec ? { right: rec.ec[0], left: rec.ec[1] } : null };
    }
    const regions = face ? meter.measure(kernels, face.landmarks, f.width, f.height) : undefined;
    const r = interp.interpret({ timestampMs: f.timestampMs, width: f.width, height: f.height, quality, faces: dets }, face, regions);
    out.active.push(interp.guidance.isActive('face-occluded'));
    const issue = r.guidance.issues.find((x) => x.code === 'face-occluded');
    out.gain.push(issue ? issue.value : NaN);
    out.occlusion.push(r.guidance.issues.filter((x) => OCCLUSION.includes(x.code)).map((x) => x.code));
    out.tone.push(regions?.mouth?.skinToneDistance ?? NaN);
  }
  return out;
}

const runs: Partial<Record<ClipName, Run>> = {};
const variantRuns = new Map<Variant, Run>();

beforeAll(async () => {
  const kernels = await createNodeKernels();
  for (const name of ['cap12', 'franck', 'cap13'] as const) {
    const clip = labels.clips[name];
    runs[name] = await runClip(kernels, join(dataDir, clip.file), await clipFaces(name, clip), clip.frames);
  }
  const names = [...VARIANTS];
  const records = await variantFrames(names);
  const entries = (await ensureVariants([...names])) as Array<{ name: Variant; path: string }>;
  for (const e of entries) {
    const recs = records.get(e.name)!;
    const faces = recs.map((r) => (r.face ? { lm: r.face.lm, ec: r.face.ec } : null));
    variantRuns.set(e.name, await runClip(kernels, e.path, faces, recs.length));
  }
  if (process.env.LIVECHECK_PRINT_OCCLUSION) {
    const all = [...Object.entries(runs), ...variantRuns.entries()] as Array<[string, Run]>;
    for (const [name, r] of all) {
      const codes: Record<string, number> = {};
      for (const f of r.occlusion) for (const c of f) codes[c] = (codes[c] ?? 0) + 1;
      const t = r.tone.filter(Number.isFinite).sort((a, b) => a - b);
      const q = (p: number) => (t.length ? +t[Math.min(t.length - 1, Math.floor(p * t.length))].toFixed(3) : NaN);
      console.log(name, r.tone.length, 'frames; occlusion frames', JSON.stringify(codes), '; mouth tone p50/p99/max', q(0.5), q(0.99), q(1), 'measured', t.length);
    }
  }
}, 900_000);

const ranges = (active: boolean[]) => {
  const out: Array<[number, number]> = [];
  active.forEach((a, i) => {
    if (!a) return;
    const last = out[out.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else out.push([i, i]);
  });
  return out;
};

describe('face-occluded on real clips', () => {
  const hand = labels.clips.cap12.labels.find((l) => l.type === 'hand-on-face')!;
  // the label runs from the hand's rise (beside the face) to its fall; the fingers cover the chin from ~1185 (the
  // contact sheet of frames 1100-1180 shows the hand at the jaw's side, the chin itself still bare)
  const ON_CHIN = 1185;
  const TOLERANCE = 5;

  it("raises on cap12's hand on the chin, once, and clears after it", () => {
    const r = runs.cap12!;
    const on = ranges(r.active);
    expect(on.length, JSON.stringify(on)).toBe(1);
    const [start, end] = on[0];
    expect(start).toBeGreaterThanOrEqual(hand.start);
    expect(start).toBeLessThanOrEqual(ON_CHIN + TOLERANCE + DEFAULT_GUIDANCE_CONFIG.hysteresis.frames);
    expect(end).toBeGreaterThanOrEqual(hand.end - TOLERANCE);
    expect(end).toBeLessThanOrEqual(hand.end + DEFAULT_GUIDANCE_CONFIG.hysteresis.frames + TOLERANCE);
    // and it stays raised through the hand (hysteresis: no flicker)
    for (let i = start; i <= hand.end - TOLERANCE; i++) expect(r.active[i], `frame ${i}`).toBe(true);
  });

  it('the hand adds at least half again the chin texture of the session start', () => {
    const g = runs.cap12!.gain.slice(ON_CHIN + TOLERANCE + DEFAULT_GUIDANCE_CONFIG.hysteresis.frames, hand.end - TOLERANCE).filter(Number.isFinite);
    g.sort((a, b) => a - b);
    expect(g.length).toBeGreaterThan(50);
    expect(g[Math.floor(g.length / 2)]).toBeGreaterThan(1.5);
  });

  it('never raises on franck (60 s talking, head turns, downward gaze) or cap13', () => {
    for (const name of ['franck', 'cap13'] as const) expect(ranges(runs[name]!.active), name).toEqual([]);
  });

  it('never raises on the clean, dark, backlit and other degraded variants', () => {
    expect(variantRuns.size).toBe(VARIANTS.length);
    for (const [name, r] of variantRuns) expect(ranges(r.active), name).toEqual([]);
  });

  // issue 4: the mouth's colour cue raised mouth-occluded on the dark, bright and backlit variants
  it('raises no occlusion code of any kind on franck, cap13 and the variants, and only face-occluded on cap12', () => {
    const raised: Record<string, string[]> = {};
    for (const [name, r] of [...Object.entries(runs), ...variantRuns.entries()] as Array<[string, Run]>) {
      const codes = [...new Set(r.occlusion.flat())].sort();
      if (codes.length) raised[name] = codes;
    }
    expect(raised).toEqual({ cap12: ['face-occluded'] });
  });

  it('reads bare lips well under the mouth-occluded limits on every measured frame, in every light', () => {
    const { exit } = DEFAULT_GUIDANCE_CONFIG.maxMouthSkinToneDistance;
    for (const [name, r] of [...Object.entries(runs), ...variantRuns.entries()] as Array<[string, Run]>) {
      const tones = r.tone.filter(Number.isFinite);
      // overexposed: the clipped channels make the colour unmeasurable, so it is not measured (too-bright says why)
      if (name === 'bright') {
        expect(tones, name).toEqual([]);
        continue;
      }
      expect(tones.length, name).toBeGreaterThan(0.9 * r.tone.length);
      expect(Math.max(...tones), name).toBeLessThan(0.75 * exit);
    }
  });
});

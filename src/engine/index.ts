// The engine: environment-agnostic (no fs, no DOM). Node callers use createNodeEngine from ./node.js.
export { LivenessEngine } from './engine.js';
export type { EngineAttemptOptions, EngineFrameResult, LivenessEngineOptions, MeshStage } from './engine.js';
export { CLIPPED_CHANNEL_MEAN, FaceRegionMeter, MIN_SKIN_CHROMA, chromaDistance, skinToneDistance } from './region-meter.js';
export type { FaceRegionMeterOptions, RegionMeter } from './region-meter.js';

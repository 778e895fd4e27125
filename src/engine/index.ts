// The engine: environment-agnostic (no fs, no DOM). Node callers use createNodeEngine from ./node.js.
export { LivenessEngine } from './engine.js';
export type { EngineFrame, EngineFrameResult, LivenessEngineOptions } from './engine.js';
export { FrameInterpreter, checkTimestamp } from './interpreter.js';
export type { FrameInterpretation, FrameInterpreterOptions } from './interpreter.js';
export { CLIPPED_CHANNEL_MEAN, FaceRegionMeter, MIN_SKIN_CHROMA, chromaDistance, skinToneDistance } from './regions.js';
export type { FaceRegionMeterOptions, RegionMeter } from './regions.js';

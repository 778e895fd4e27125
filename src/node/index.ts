// livecheck/node: the Node-only entry (the engine over files, server-side re-analysis, batch jobs, the CLI's helpers).
export { createNodeEngine } from './engine.js';
export type { NodeEngineOptions } from './engine.js';
export { analyzeVideo, captureVideo, readAttemptConfig } from './analyze.js';
export type { AnalyzeOptions, AnalyzeReport, CaptureOptions } from './analyze.js';
export { decodeImage, decodeVideo, probeVideo } from './media.js';
export type { RgbaVideoFrame, DecodeVideoOptions, VideoInfo, VideoLimits } from './media.js';
// server-side re-analysis of evidence keyframes and the ID-photo match (FaceTracker + FaceRecognitionNet from models/)
export { createNodeReanalyzer } from './reanalyzer.js';
export type { NodeReanalyzerOptions, NodeReanalyzer } from './reanalyzer.js';
export type { LivenessEngine, EngineFrameResult } from '../engine/engine.js';
export type { RgbaImage } from '../image.js';
export type { AttemptConfig } from '../attempt/config.js';
export { createVerifyPool } from './verify-pool.js';
export type { VerifyPool, VerifyPoolOptions } from './verify-pool.js';
export { connectRedisStores } from './redis-store.js';
export type { RedisStores, RedisStoresOptions } from './redis-store.js';
export { listenHttp, nodeRequestListener } from './http.js';
export type { HttpListener, HttpListenOptions } from './http.js';

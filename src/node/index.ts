// livecheck/node: the Node-only entry (server-side re-analysis, the CLI, batch jobs). Reads build outputs from disk.
export { createNodeEngine } from '../engine/node.js';
export type { NodeEngineOptions } from '../engine/node.js';
export { createNodeKernels, readKernelWasm, kernelBuildDir } from '../kernels/node.js';
export { decodeImage, decodeVideo, probeVideo, writeY4m } from './media.js';
export type { RgbaImage, RgbaVideoFrame, DecodeVideoOptions, VideoInfo } from './media.js';
// server-side re-analysis of evidence keyframes and the ID-photo match (FaceTracker + FaceRecognitionNet from models/)
export { createNodeReanalyzer } from '../server/node.js';
export type { NodeReanalyzerOptions, NodeReanalyzer } from '../server/node.js';

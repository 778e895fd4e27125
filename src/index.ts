// livecheck public entry. SSR-safe: nothing here touches window, document or navigator at import time.
export { LivecheckError, isLivecheckError } from './errors.js';
export type { LivecheckErrorCode } from './errors.js';
export { createLivenessCheck, LivenessCheck, openCamera, isInfraredLabel, isVirtualCameraLabel } from './browser/index.js';
export type {
  LivenessCheckOptions, LivenessResult, FrameEventDetail, LivenessCheckEventMap, LivenessCheckStats, Camera, CameraOptions,
  FrameOutput, RgbaBuffer, WorkerInfo,
} from './browser/index.js';
export type * from './types.js';
// pure modules: plain data in and out, no wasm, worker or DOM
export * from './geometry/index.js';
export * from './guidance/index.js';
export * from './challenge/index.js';
export * from './decision/index.js';
export * from './evidence/index.js';
export * from './policy/index.js';
// the engine (environment-agnostic: wasm, ORT and model bytes come in as inputs; Node callers: livecheck/engine/node)
export * from './engine/index.js';
// both define a ChallengeStep: the challenge's typed step wins the plain name, the evidence's stored step is renamed
export type { ChallengeStep } from './challenge/index.js';
export type { ChallengeStep as EvidenceChallengeStep } from './evidence/index.js';

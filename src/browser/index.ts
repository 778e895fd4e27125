// The browser API: createLivenessCheck (worker + frame pump + typed events) and the camera helper.
export { createLivenessCheck, LivenessCheck } from './check.js';
export type { LivenessCheckOptions, LivenessResult, FrameEventDetail, LivenessCheckEventMap, LivenessCheckStats } from './check.js';
export { openCamera, isInfraredLabel, isVirtualCameraLabel } from './camera.js';
export type { Camera, CameraOptions } from './camera.js';
export type { FrameOutput, RgbaBuffer, WorkerInfo } from '../worker/protocol.js';

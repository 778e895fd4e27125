// The browser API: createLivenessCheck (worker + frame pump + typed events) and the camera helper.
export { createLivenessCheck } from './check.js';
export type { LivenessCheck, LivenessCheckOptions, LivenessResult, FrameEventDetail, LivenessCheckEventMap, LivenessCheckStats } from './check.js';
export { openCamera } from './camera.js';
export type { Camera, CameraOptions } from './camera.js';

// The face pipeline: detector -> rotated crop -> FaceMesh -> Iris, with tracking. Runs in Node and in a worker.
export { FaceTracker } from './tracker.js';
export type { FaceTrackerOptions, FaceResult, TrackedFace, DetectImageOptions, EyeBatch } from './tracker.js';
export type { ModelSource, OrtModule } from './models.js';
export { loadModelBytes, createSession } from './models.js';
export * from './landmarks.js';

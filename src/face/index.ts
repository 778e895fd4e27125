// The face pipeline: detector -> rotated crop -> FaceMesh -> Iris, with tracking. Runs in Node and in a worker.
export { FaceTracker } from './tracker.js';
export type { FaceTrackerOptions, FaceResult, TrackedFace, DetectImageOptions, EyeBatch } from './tracker.js';
export type { ModelSource, OrtModule } from './models.js';
export { loadModelBytes, createSession } from './models.js';
export { MESH_POINTS, EYE_CONTOUR_POINTS, IRIS_POINTS } from './landmarker.js';
export { RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER } from './crop.js';

export { ANALYTIC_CANONICAL_FACE, CANONICAL_FACE, CANONICAL_FACE_IS_MEASURED } from './canonical-face.js';
export { measureCanonicalFace } from './canonical-measure.js';
export type { MeasureCanonicalOptions } from './canonical-measure.js';
export type { CanonicalPoint } from './canonical-face.js';
export { FACE, LEFT_EYE, MESH_POINTS, MESH_WITH_IRIS_POINTS, MIRROR_PAIRS, MOUTH, RIGHT_EYE } from './landmarks.js';
export { PoseFitter, createHeadPose, eulerFromRotation, rotationFromEuler } from './pose.js';
export type { HeadPose } from './pose.js';
export { FaceGeometryEstimator, SIGNATURE_LENGTH, createFaceGeometry } from './face-geometry.js';
export type { EyeContours, EyeGeometry, FaceGeometry, FaceRegionStats, FaceWithContours, RegionStats } from './face-geometry.js';

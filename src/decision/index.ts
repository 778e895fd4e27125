// The decision: three independent liveness signals, their consensus, the face-match decision and the PAD metrics.
// Pure TypeScript over plain data: no wasm, worker or DOM.
export type { SignalResult, SignalReason, SignalVerdict } from './signal.js';
export { SCORE_BANDS } from './signal.js';
export {
  DEFAULT_DECISION_CONFIG,
  RIGID_LANDMARKS,
  PASSIVE_FEATURES,
  resolveDecisionConfig,
} from './config.js';
export type {
  DecisionConfig,
  DecisionConfigInput,
  MotionConfig,
  ActiveConfig,
  PassiveConfig,
  PassiveFeature,
  PassiveFeatureConfig,
  ConsensusConfig,
  FaceMatchConfig,
} from './config.js';
export { MotionAnalyzer, motionSignal, motionFramesFromAnalyses } from './motion.js';
export type { MotionFrame, MotionInput, MotionMeasurements, MotionSignalResult, ImageMotion } from './motion.js';
export { activeSignal, challengeOutcomeFromSession } from './active.js';
export type { ActionOutcome, ChallengeOutcome } from './active.js';
export { passiveSignal } from './passive.js';
export type { PassiveFrameFeatures, PassiveMeasurements, PassiveSignalResult } from './passive.js';
export { decideLiveness, decideFaceMatch, SIGNAL_NAMES } from './consensus.js';
export type {
  LivenessVerdict,
  LivenessDecision,
  DecisionSignals,
  SignalName,
  FaceMatchInput,
  FaceMatchResult,
  FaceMatchVerdict,
} from './consensus.js';
export { HomographyFitter, applyHomography, homographyTilt, affineTilt } from './homography.js';
export { identityContinuity, identityFaceUsable, withIdentity, DEFAULT_IDENTITY_CONFIG, DEFAULT_IDENTITY_SAMPLING, IdentitySchedule } from './identity.js';
export type { IdentityReading, IdentityConfig, IdentityVerdict, IdentityContinuity, IdentitySampling } from './identity.js';
export { descriptorDistance, matchDescriptors, CALIBRATED_FACE_MATCH } from './face-match.js';

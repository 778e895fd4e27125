export { EvidenceRecorder } from './recorder.js';
export type { EvidenceRecorderOptions, FrameExtras, FramePixels, JpegEncoder, RgbaImage } from './recorder.js';
export { AttemptLog, planFromSteps } from './attempt.js';
export { EvidenceSession } from './capture.js';
export type { EvidenceSessionOptions, EvidenceFrameResult } from './capture.js';
export type { AttemptClaim, AttemptDecision, AttemptEvent, AttemptFrame } from './attempt.js';
export { replayEvidence } from './replay.js';
export type { ReplayOptions, ReplayResult } from './replay.js';
export { EVIDENCE_FORMAT, EVIDENCE_VERSION, EVIDENCE_VERSIONS_READ, serializeEvidence, parseEvidence, evidenceShapeProblems } from './bundle.js';
export type {
  ChallengeStep, DocumentBinding, EvidenceBundle, EvidenceGenesis, EvidenceRecord, FrameRecord, KeyframeRecord, EndRecord, EvidenceFace, Quantized,
  ResultRecord, ClaimedEvent, ClaimedSignal, EvidenceOtherFace, IdentityRecord, ClaimedIdentity,
} from './bundle.js';
export { IdentityCapture, identityClaim, resolveIdentityOptions } from './identity.js';
export type { IdentityOptions, ResolvedIdentityOptions, IdentityChip, IdentityClaim, ChipDescriber } from './identity.js';
export type { SessionDecision } from './capture.js';
export { canonicalJson, quantize, QUANTUM } from './canonical.js';
export { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';

export { EvidenceRecorder } from './recorder.js';
export type { EvidenceRecorderOptions, JpegEncoder, RgbaImage } from './recorder.js';
export { EVIDENCE_FORMAT, EVIDENCE_VERSION, EVIDENCE_VERSIONS_READ, serializeEvidence, parseEvidence, evidenceShapeProblems } from './bundle.js';
export type {
  ChallengeStep,
  DocumentBinding,
  EvidenceBundle,
  EvidenceGenesis,
  EvidenceRecord,
  FrameRecord,
  KeyframeRecord,
  EndRecord,
  EvidenceFace,
  ResultRecord,
  AttemptClaim,
  AttemptEvent,
  ClaimedSignal,
  EvidencePoint,
  VideoRecord,
  VideoChunkRecord,
  ClaimedIdentity,
} from './bundle.js';
export { IdentityCapture, identityClaim, resolveIdentityOptions, IDENTITY_JPEG_QUALITY } from './identity.js';
export type { IdentityOptions, ResolvedIdentityOptions, IdentityChip, IdentityClaim, ChipDescriber } from './identity.js';
export { canonicalJson, quantize, QUANTUM } from './canonical.js';
export { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';

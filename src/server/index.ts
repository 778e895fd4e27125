// livecheck/server: re-verification of evidence bundles in Node (the same code also runs in a browser or worker).
export { verifyEvidence, EVIDENCE_CHECKS, defaultVerifyTolerances } from './verify.js';
export type { EvidenceCheck, EvidenceCheckName, EvidenceReport, DecodedKeyframe, DecodedIdentityChip, KeyframeReanalysis, VerifyEvidenceOptions, VerifyTolerances } from './verify.js';
export { serializeEvidence, parseEvidence, replayEvidence } from '../evidence/index.js';
export type { EvidenceBundle, ChallengeStep, DocumentBinding, ReplayOptions, ReplayResult } from '../evidence/index.js';

// livecheck/server: verification of evidence bundles, the challenge plan from the server's nonce, and the attempt
// policy (the same code also runs in a browser or a worker).
export { verifyEvidence, EVIDENCE_CHECKS, defaultVerifyTolerances } from './verify.js';
export type { EvidenceCheck, EvidenceCheckName, EvidenceReport, DecodedKeyframe, DecodedIdentityChip, KeyframeReanalysis, VerifyEvidenceOptions, VerifyTolerances } from './verify.js';
export { serializeEvidence, parseEvidence } from '../evidence/bundle.js';
export type { EvidenceBundle, ChallengeStep, DocumentBinding } from '../evidence/bundle.js';
export type { ReplayOptions } from '../attempt/replay.js';
export { planFromNonce } from '../challenge/plan.js';
export type { ChallengePlan, PlanOptions } from '../challenge/plan.js';
export { AttemptPolicy, MemoryAttemptStore } from '../policy/index.js';
export type { AttemptPolicyOptions, AttemptStore, AttemptRecord, AttemptStatus, AttemptTicket, AttemptOutcome, LockTier } from '../policy/index.js';

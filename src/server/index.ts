// livecheck/server: verification of evidence bundles, the challenge plan from the server's nonce, and the attempt
// policy (the same code also runs in a browser or a worker).
export { verifyEvidence, EVIDENCE_CHECKS, defaultVerifyTolerances, defaultVerifyLimits } from '../verify/evidence.js';
export type {
  EvidenceCheck,
  EvidenceCheckName,
  EvidenceReason,
  EvidenceReport,
  DecodedKeyframe,
  CaptureToReanalyse,
  VideoReanalysis,
  VerifyEvidenceOptions,
  VerifyTolerances,
  VerifyLimits,
} from '../verify/evidence.js';
export { serializeEvidence, parseEvidence } from '../evidence/bundle.js';
export type { EvidenceBundle, ChallengeStep, DocumentBinding } from '../evidence/bundle.js';
export type { AttemptConfig } from '../attempt/config.js';
export type { InjectionResult } from '../decision/injection.js';
export { planFromNonce } from '../challenge/plan.js';
export type { ChallengePlan, PlanOptions, ScriptStep } from '../challenge/plan.js';
export { AttemptPolicy, MemoryAttemptStore } from '../policy/index.js';
export type { AttemptPolicyOptions, AttemptStore, AttemptRecord, AttemptStatus, AttemptTicket, AttemptOutcome, LockTier } from '../policy/index.js';
export { createVerificationService, MemorySessionStore } from '../service/index.js';
export type {
  VerificationService,
  VerificationServiceOptions,
  VerificationJob,
  VerifyCapture,
  SessionStore,
  SessionRecord,
  SessionResult,
  SessionState,
  VersionedSession,
} from '../service/index.js';

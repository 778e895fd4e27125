// livecheck: the browser API. SSR-safe: nothing here touches window, document or navigator at import time.
// Server-side verification is `livecheck/server`; the Node engine and CLI helpers are `livecheck/node`.
export { createLivenessCheck, openCamera } from './browser/index.js';
export type {
  LivenessCheck,
  LivenessCheckOptions,
  LivenessResult,
  LivenessCheckEventMap,
  FrameEventDetail,
  Camera,
  CameraOptions,
} from './browser/index.js';
export { LivecheckError, isLivecheckError } from './errors.js';
export type { LivecheckErrorCode } from './errors.js';
export { GUIDANCE } from './guidance/codes.js';
export type { GuidanceCode, GuidanceSeverity } from './guidance/codes.js';
export { CHALLENGE_ACTIONS, ACTION_PROMPTS } from './challenge/actions.js';
export type { ChallengeAction } from './challenge/actions.js';
export type { ChallengeEvent } from './challenge/session.js';
export type { ScriptStep } from './challenge/plan.js';
export type { LivenessDecision, LivenessVerdict } from './decision/consensus.js';
export type { SignalResult, SignalReason } from './decision/signal.js';
export type { DecisionConfigInput } from './decision/config.js';
// the evidence bundle the result carries, as the text to send to your server
export { serializeEvidence } from './evidence/bundle.js';
export type { DocumentBinding, EvidenceBundle } from './evidence/bundle.js';
export type { CaptureVideo, CaptureChunk, CaptureVideoOptions } from './evidence/video.js';
// the browser's copy of the attempt policy: a UX hint (the server's count is the one that holds)
export { AttemptPolicy, WebStorageAttemptStore } from './policy/index.js';

export { ACTION_PROMPTS, CHALLENGE_ACTIONS, isChallengeAction, turnYawSign } from './actions.js';
export type { ChallengeAction } from './actions.js';
export { DEFAULT_HOLD_MS, EXCHANGE_SCRIPT, MIN_NONCE_BYTES, planFromNonce } from './plan.js';
export type { ChallengePlan, ChallengeStep, PlanOptions } from './plan.js';
export { DEFAULT_CHALLENGE_CONFIG, resolveChallengeConfig } from './config.js';
export type { ChallengeConfig, ChallengeConfigInput } from './config.js';
export { ChallengeSession } from './session.js';
export type { ActionFailureReason, ActionResult, ChallengeEvent, RejectionReason } from './session.js';

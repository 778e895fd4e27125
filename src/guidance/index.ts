export { GUIDANCE, GUIDANCE_CODES } from './codes.js';
export type { GuidanceCode, GuidanceCodeInfo, GuidanceSeverity, SkipReason } from './codes.js';
export { DEFAULT_GUIDANCE_CONFIG, resolveGuidanceConfig } from './config.js';
export type { Band, GuidanceConfig, GuidanceConfigInput } from './config.js';
export { GuidanceTracker, colorCast } from './tracker.js';
export type { GuidanceIssue, GuidanceState, GuidanceTrackerOptions } from './tracker.js';

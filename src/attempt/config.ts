// The settings of one attempt: every threshold the interpretation and the decision apply. The client binds their
// resolved form into the evidence genesis (configHash) and the server replays with the settings that hash to it, so
// a threshold changed on one side only is caught, never silently applied.
import type { ActionDetectorConfig } from '../challenge/action-detector.js';
import { DEFAULT_ACTION_DETECTOR_CONFIG } from '../challenge/action-detector.js';
import { resolveChallengeConfig, type ChallengeConfigInput } from '../challenge/config.js';
import { resolveDecisionConfig, type DecisionConfigInput } from '../decision/config.js';
import { canonicalJson } from '../evidence/canonical.js';
import { sha256 } from '../evidence/encoding.js';
import { toHex } from '../util/hex.js';
import { resolveIdentityOptions, type IdentityOptions } from '../evidence/identity.js';
import { resolveGuidanceConfig } from '../guidance/config.js';
import type { GuidanceTrackerOptions } from '../guidance/tracker.js';

export interface AttemptConfig {
  challenge?: ChallengeConfigInput;
  guidance?: GuidanceTrackerOptions;
  actions?: Partial<ActionDetectorConfig>;
  /** Thresholds of the three signals and their consensus (default: DEFAULT_DECISION_CONFIG). */
  decision?: DecisionConfigInput;
  /**
   * The frames are mirrored (selfie preview): flips which image direction is the person's left, for the challenge
   * and the action detector alike. Overrides `challenge.mirrored` / `actions.mirrored`. Default false.
   */
  mirrored?: boolean;
  /** The identity check's settings when it runs; false or absent when not. */
  identity?: IdentityOptions | false | null;
}

/** Every setting resolved (defaults filled in, validated), as the attempt applies them. */
export function resolveAttemptConfig(options: AttemptConfig = {}): { guidance: unknown; challenge: unknown; actions: unknown; decision: unknown; identity?: unknown } {
  const mirrored = options.mirrored;
  return {
    guidance: resolveGuidanceConfig(options.guidance?.config),
    challenge: resolveChallengeConfig(mirrored === undefined ? options.challenge : { ...options.challenge, mirrored }),
    actions: { ...DEFAULT_ACTION_DETECTOR_CONFIG, ...options.actions, ...(mirrored === undefined ? {} : { mirrored }) },
    decision: resolveDecisionConfig(options.decision),
    ...(options.identity ? { identity: resolveIdentityOptions(options.identity) } : {}),
  };
}

/** Hex SHA-256 of the canonical resolved settings: the evidence genesis' `configHash`. */
export async function attemptConfigHash(options: AttemptConfig = {}): Promise<string> {
  return toHex(await sha256(new TextEncoder().encode(canonicalJson(resolveAttemptConfig(options)))));
}

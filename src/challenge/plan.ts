// A challenge plan derived deterministically from a server-issued nonce, so a recording made in advance cannot know
// the order of the actions, and the server can recompute the plan from the nonce to check the evidence.
// The nonce also fixes when each prompt appears: a random gap after the calibration of the neutral face for the first,
// after each confirmation for the others, so a genuine recording bound to a new nonce shows each movement at the wrong
// time for the new prompts (the session times every onset from its own prompt, on the server too); a one-action plan
// is covered by its first gap.
// Randomness: SHA-256 in counter mode over a domain-separated nonce; each choice takes one byte and rejects bytes at
// or above the largest multiple of the number of options (rejection sampling), so no action is favoured. Gaps come
// from their own streams, so the actions a nonce gives do not depend on the gap settings.
// SHA-256 is WebCrypto's (browsers, workers, Node >= 20), hence async. Unit tests pin the plans: the page and the
// server must draw the same plan from one nonce.

import { LivecheckError } from '../errors.js';
import { toHex } from '../util/hex.js';
import { CHALLENGE_ACTIONS, isChallengeAction, type ChallengeAction } from './actions.js';

export interface ChallengeStep {
  action: ChallengeAction;
  /** How long the end position must be held, ms (0 = confirmed as soon as performed). */
  holdMs: number;
  /**
   * Extra wait before this step's prompt, ms: on top of the session's `pauseMs` after the previous confirmation, or
   * of its `calibrationMs` for the first step. Drawn from the nonce.
   */
  gapMs: number;
}

/** A step of a fixed script: the action and its hold (the gaps still come from the nonce). */
export interface ScriptStep {
  action: ChallengeAction;
  holdMs: number;
}

export interface ChallengePlan {
  /** SHA-256 (hex) of the nonce bytes: binds the plan to the nonce without repeating it. */
  nonceDigest: string;
  mode: 'random' | 'script';
  steps: ChallengeStep[];
}

export type PlanOptions =
  | {
      actions: 'random';
      /** Number of actions (1..16). */
      count: number;
      /** Actions to draw from (default: all). */
      allowed?: readonly ChallengeAction[];
      /** Actions the person cannot perform (e.g. smile): removed from `allowed`. */
      exclude?: readonly ChallengeAction[];
      /** Hold per action, ms (defaults: DEFAULT_HOLD_MS). */
      holdMs?: Partial<Record<ChallengeAction, number>>;
      /** Longest gap before a prompt, ms (0..10000, default DEFAULT_MAX_GAP_MS). */
      maxGapMs?: number;
    }
  | {
      script: ReadonlyArray<ChallengeAction | ScriptStep>;
      /** Longest gap before a prompt, ms (0..10000, default DEFAULT_MAX_GAP_MS). */
      maxGapMs?: number;
    };

/** Default holds: the exchange flow holds turns ~1.8 s and opens the mouth briefly. */
export const DEFAULT_HOLD_MS: Readonly<Record<ChallengeAction, number>> = {
  blink: 0,
  'turn-left': 1800,
  'turn-right': 1800,
  'mouth-open': 300,
  nod: 0,
  smile: 500,
};

/** The exchange flow: blink once slowly, turn left and hold, turn right and hold, open the mouth briefly. */
export const EXCHANGE_SCRIPT: readonly ScriptStep[] = [
  { action: 'blink', holdMs: 0 },
  { action: 'turn-left', holdMs: 1800 },
  { action: 'turn-right', holdMs: 1800 },
  { action: 'mouth-open', holdMs: 300 },
];

/**
 * Gaps are drawn uniformly from 0..maxGapMs in twentieths. A recording re-bound to a new nonce keeps a step only when
 * the new gap moves its prompt by less than the slack in the person's reaction (from `minLatencyMs` to
 * `responseTimeoutMs`): wider gaps make that less likely and the capture longer (by maxGapMs / 2 per step on average).
 */
export const DEFAULT_MAX_GAP_MS = 2000;
const GAP_LEVELS = 20;

/** Shortest accepted nonce: 16 bytes (128 bits), so plans cannot be enumerated in advance. */
export const MIN_NONCE_BYTES = 16;
const DOMAIN = 'livecheck/challenge-plan/v1';
const GAP_DOMAIN = 'livecheck/challenge-gaps/v1';
const FIRST_GAP_DOMAIN = 'livecheck/challenge-first-gap/v1';
const utf8 = new TextEncoder();

/** The plan for `nonce`. Rejects with a LivecheckError `invalid-argument` on a short nonce or bad options. */
export async function planFromNonce(nonce: string | Uint8Array, options: PlanOptions): Promise<ChallengePlan> {
  const bytes = typeof nonce === 'string' ? utf8.encode(nonce) : nonce;
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_NONCE_BYTES) {
    throw new LivecheckError('invalid-argument', `challenge nonce must be at least ${MIN_NONCE_BYTES} bytes`, { bytes: bytes?.length ?? 0 });
  }
  const nonceDigest = toHex(await sha256(bytes));
  const maxGapMs = options.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  if (!(Number.isFinite(maxGapMs) && maxGapMs >= 0 && maxGapMs <= 10_000)) {
    throw new LivecheckError('invalid-argument', 'challenge maxGapMs must be 0..10000 ms', { maxGapMs });
  }
  const withGaps = async (steps: Array<Omit<ChallengeStep, 'gapMs'>>): Promise<ChallengeStep[]> => {
    const draw = async (stream: ByteStream) => Math.round((maxGapMs * (await stream.uniform(GAP_LEVELS + 1))) / GAP_LEVELS);
    const gaps = new ByteStream(GAP_DOMAIN, bytes);
    const out: ChallengeStep[] = [];
    for (let i = 0; i < steps.length; i++) {
      const gapMs = await draw(i === 0 ? new ByteStream(FIRST_GAP_DOMAIN, bytes) : gaps);
      out.push({ ...steps[i], gapMs });
    }
    return out;
  };

  if ('script' in options) {
    const script = options.script;
    if (!Array.isArray(script) || script.length === 0) throw new LivecheckError('invalid-argument', 'challenge script must list at least one action');
    const steps = script.map((s, i) => {
      const step = typeof s === 'string' ? { action: s, holdMs: DEFAULT_HOLD_MS[s as ChallengeAction] } : s;
      if (!isChallengeAction(step.action)) throw new LivecheckError('invalid-argument', `challenge script step ${i}: unknown action`, { step: i, action: String(step.action) });
      checkHold(step.holdMs, step.action);
      return { action: step.action, holdMs: step.holdMs };
    });
    return { nonceDigest, mode: 'script', steps: await withGaps(steps) };
  }

  if (options.actions !== 'random') throw new LivecheckError('invalid-argument', "challenge options need actions: 'random' or a script");
  const { count } = options;
  if (!Number.isInteger(count) || count < 1 || count > 16) throw new LivecheckError('invalid-argument', 'challenge count must be an integer 1..16', { count });
  const allowed = options.allowed ?? CHALLENGE_ACTIONS;
  for (const a of [...allowed, ...(options.exclude ?? [])]) {
    if (!isChallengeAction(a)) throw new LivecheckError('invalid-argument', 'unknown challenge action', { action: String(a) });
  }
  // dedupe and keep the canonical order so the plan does not depend on how the caller ordered the list
  const pool = CHALLENGE_ACTIONS.filter((a) => allowed.includes(a) && !(options.exclude ?? []).includes(a));
  if (pool.length === 0) throw new LivecheckError('invalid-argument', 'no challenge action left after exclusions');
  if (pool.length === 1 && count > 1) {
    throw new LivecheckError('invalid-argument', 'one allowed action cannot make a plan of several without repeating it', { count, allowed: pool });
  }
  const holds = { ...DEFAULT_HOLD_MS, ...options.holdMs };
  for (const a of pool) checkHold(holds[a], a);

  const stream = new ByteStream(DOMAIN, bytes);
  const steps: Array<Omit<ChallengeStep, 'gapMs'>> = [];
  let previous: ChallengeAction | null = null;
  for (let i = 0; i < count; i++) {
    const choices: ChallengeAction[] = previous === null ? pool : pool.filter((a) => a !== previous);
    const action: ChallengeAction = choices[await stream.uniform(choices.length)];
    steps.push({ action, holdMs: holds[action] });
    previous = action;
  }
  return { nonceDigest, mode: 'random', steps: await withGaps(steps) };
}

function checkHold(holdMs: number, action: string): void {
  if (!(Number.isFinite(holdMs) && holdMs >= 0 && holdMs <= 10_000)) {
    throw new LivecheckError('invalid-argument', 'challenge hold must be 0..10000 ms', { action, holdMs });
  }
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new LivecheckError('invalid-argument', 'WebCrypto (crypto.subtle) is not available: challenge plans need a secure context or Node >= 20');
  return s;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Bytes of SHA-256(domain || 0x00 || nonce || counter32) for counter = 0, 1, ... */
class ByteStream {
  private block: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private counter = 0;
  /** domain || 0x00 || nonce || 4 counter bytes (big-endian), rewritten per block. */
  private readonly input: Uint8Array;

  constructor(domainName: string, nonce: Uint8Array) {
    const domain = utf8.encode(domainName);
    this.input = new Uint8Array(domain.length + 1 + nonce.length + 4);
    this.input.set(domain, 0);
    this.input.set(nonce, domain.length + 1);
  }

  private async next(): Promise<number> {
    if (this.pos === this.block.length) {
      const c = this.counter++;
      this.input.set([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff], this.input.length - 4);
      this.block = await sha256(this.input);
      this.pos = 0;
    }
    return this.block[this.pos++];
  }

  /** Unbiased integer in [0, n) for 1 <= n <= 256. */
  async uniform(n: number): Promise<number> {
    const limit = 256 - (256 % n);
    for (;;) {
      const b = await this.next();
      if (b < limit) return b % n;
    }
  }
}

/**
 * A challenge plan from stored steps (an evidence genesis, or the steps a caller was given). Throws
 * `evidence-invalid` for a step that is not a known action with a non-negative hold.
 */
export function planFromSteps(steps: ReadonlyArray<{ readonly action: string; readonly holdMs?: unknown; readonly gapMs?: unknown }>): ChallengePlan {
  const time = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return {
    nonceDigest: '',
    mode: 'script',
    steps: steps.map((s, i) => {
      const holdMs = s.holdMs ?? 0,
        gapMs = s.gapMs ?? 0;
      if (!isChallengeAction(s.action) || !time(holdMs) || !time(gapMs)) {
        throw new LivecheckError('evidence-invalid', `plan step ${i} is not a challenge action with a hold time and a gap`, { step: i });
      }
      return { action: s.action as ChallengeAction, holdMs, gapMs };
    }),
  };
}

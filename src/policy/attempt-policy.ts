// How many liveness attempts a subject gets. Everything is derived from the stored history (failure times, lockouts,
// pending attempts) and an injected clock, so a reload, a second tab or a server process sees the same state.
import { LivecheckError } from '../errors.js';
import { toHex } from '../util/hex.js';
import { emptyAttemptRecord, MemoryAttemptStore } from './store.js';
import type { AttemptRecord, AttemptStore } from './store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A lock tier: `failures` failures within a rolling `windowMs` lock the subject for `lockMs`. */
export interface LockTier {
  name: string;
  failures: number;
  windowMs: number;
  lockMs: number;
}

export interface AttemptPolicyOptions {
  store?: AttemptStore;
  /** Wall clock in epoch ms. Default `Date.now`. */
  now?: () => number;
  /** This many failures within `windowMs` ask the UI for a retry prompt (tips, a pause). Default 3 in 30 min. */
  retryPrompt?: { failures: number; windowMs: number };
  /** Default: `short` 5 failures in 30 min -> 30 min; `daily` 10 failures in a rolling 24 h -> 24 h. */
  tiers?: LockTier[];
  /** `lockouts` lockouts of tier `tier` within `windowMs` route to manual support. Default 2 daily in 7 days; null: never. */
  manualSupport?: { tier: string; lockouts: number; windowMs: number } | null;
  /** A started attempt that has not reported after this long counts as a failure (closing the tab is no escape). Default 10 min. */
  attemptTimeoutMs?: number;
  /** Attempts per subject that may run at once (across tabs). Default 1. */
  maxConcurrentAttempts?: number;
  /** Compare-and-set retries before giving up with `storage-failed`. Default 32. */
  maxWriteRetries?: number;
}

export type AttemptState = 'ok' | 'retry-prompt' | 'locked' | 'manual-support';

export interface AttemptStatus {
  subject: string;
  /** Whether a new attempt may start now. */
  allowed: boolean;
  state: AttemptState;
  /** Why `allowed` is false. */
  reason?: 'locked' | 'manual-support' | 'attempt-in-progress';
  /** When the current lock ends (epoch ms), and which tier imposed it. */
  lockedUntil?: number;
  lockTier?: string;
  /** `lockedUntil - now`, for a countdown. */
  retryAfterMs?: number;
  /** Failures inside each tier's rolling window (keyed by tier name), and inside the retry-prompt window. */
  failuresInWindow: Record<string, number>;
  /** Failures left before the nearest tier locks (0 while locked). */
  failuresUntilLock: number;
  /** Attempts started and not yet reported. */
  attemptsInProgress: number;
  manualSupportSince?: number;
}

export type AttemptTicket = { allowed: true; attemptId: string; status: AttemptStatus } | { allowed: false; status: AttemptStatus };

export type AttemptOutcome = 'pass' | 'fail';

interface ResolvedOptions {
  retryPrompt: { failures: number; windowMs: number };
  tiers: LockTier[];
  manualSupport: { tier: string; lockouts: number; windowMs: number } | null;
  attemptTimeoutMs: number;
  maxConcurrentAttempts: number;
  maxWriteRetries: number;
  keepFailuresMs: number;
  keepLockoutsMs: number;
}

export const defaultLockTiers: readonly LockTier[] = Object.freeze([
  Object.freeze({ name: 'short', failures: 5, windowMs: 30 * MINUTE, lockMs: 30 * MINUTE }),
  Object.freeze({ name: 'daily', failures: 10, windowMs: DAY, lockMs: DAY }),
]);

export class AttemptPolicy {
  private readonly store: AttemptStore;
  private readonly now: () => number;
  private readonly options: ResolvedOptions;

  constructor(options: AttemptPolicyOptions = {}) {
    this.store = options.store ?? new MemoryAttemptStore();
    this.now = options.now ?? Date.now;
    this.options = resolveOptions(options);
  }

  /** Current state; changes nothing in the store. */
  async check(subject: string): Promise<AttemptStatus> {
    assertSubject(subject);
    const stored = await this.store.read(subject);
    const now = this.now();
    const record = stored ? stored.record : emptyAttemptRecord();
    settle(record, now, this.options);
    return statusOf(subject, record, now, this.options);
  }

  /**
   * Start an attempt if the policy allows one. Until `record` reports it, the attempt holds a slot
   * (`maxConcurrentAttempts`), and after `attemptTimeoutMs` it counts as a failure.
   */
  async begin(subject: string): Promise<AttemptTicket> {
    assertSubject(subject);
    return this.update(subject, (record, now): AttemptTicket => {
      const status = statusOf(subject, record, now, this.options);
      if (!status.allowed) return { allowed: false, status };
      const attemptId = randomId();
      record.pending.push({ id: attemptId, startedAt: now });
      return { allowed: true, attemptId, status: statusOf(subject, record, now, this.options) };
    });
  }

  /**
   * Report an attempt's outcome. With the `attemptId` from `begin` it closes that attempt (an id that already timed
   * out was counted as a failure then and is not counted twice); without one it records a bare outcome.
   * A pass clears the failure streak; lockouts and manual support stay.
   */
  async record(subject: string, outcome: AttemptOutcome, attemptId?: string): Promise<AttemptStatus> {
    assertSubject(subject);
    if (outcome !== 'pass' && outcome !== 'fail') throw new LivecheckError('invalid-argument', `unknown attempt outcome ${String(outcome)}`, { outcome });
    return this.update(subject, (record, now) => {
      let counts = true;
      if (attemptId !== undefined) {
        const i = record.pending.findIndex((p) => p.id === attemptId);
        if (i >= 0) record.pending.splice(i, 1);
        else counts = outcome === 'pass'; // timed out: already a failure
      }
      if (counts) {
        if (outcome === 'fail') addFailure(record, now, this.options);
        else record.failures.length = 0;
      }
      return statusOf(subject, record, now, this.options);
    });
  }

  /** Clear a subject's history (an operator after manual support, or a test). */
  async reset(subject: string): Promise<AttemptStatus> {
    assertSubject(subject);
    return this.update(subject, (record, now) => {
      Object.assign(record, emptyAttemptRecord());
      return statusOf(subject, record, now, this.options);
    });
  }

  // Read, settle, mutate, compare-and-set; retry on a concurrent write.
  private async update<T>(subject: string, mutate: (record: AttemptRecord, now: number) => T): Promise<T> {
    const attempt = async (): Promise<T> => {
      for (let i = 0; i < this.options.maxWriteRetries; i++) {
        const stored = await this.store.read(subject);
        const now = this.now();
        const record = stored ? structuredClone(stored.record) : emptyAttemptRecord();
        settle(record, now, this.options);
        const result = mutate(record, now);
        if (await this.store.compareAndSet(subject, stored?.version ?? 0, record)) return result;
        // Jittered backoff so two tabs stop colliding.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** i)));
      }
      throw new LivecheckError('storage-failed', `attempt history for ${subject} kept changing under concurrent writes`, { subject, retries: this.options.maxWriteRetries });
    };
    return this.store.exclusive ? this.store.exclusive(subject, attempt) : attempt();
  }
}

/** The `attempts-locked` error for a denied ticket, for callers that throw rather than branch (detail: the status). */
export function attemptsLockedError(status: AttemptStatus): LivecheckError {
  const why =
    status.reason === 'attempt-in-progress'
      ? 'another attempt is in progress'
      : status.state === 'manual-support'
        ? 'too many lockouts: contact support'
        : `locked until ${new Date(status.lockedUntil ?? 0).toISOString()}`;
  return new LivecheckError('attempts-locked', `no attempt allowed for ${status.subject}: ${why}`, {
    state: status.state,
    reason: status.reason,
    lockedUntil: status.lockedUntil,
    retryAfterMs: status.retryAfterMs,
  });
}

/** Turn timed-out attempts into failures (at their deadline, so the result does not depend on when we look) and prune. */
function settle(record: AttemptRecord, now: number, o: ResolvedOptions): void {
  if (record.pending.length > 0) {
    const expired = record.pending.filter((p) => p.startedAt + o.attemptTimeoutMs <= now);
    if (expired.length > 0) {
      record.pending = record.pending.filter((p) => p.startedAt + o.attemptTimeoutMs > now);
      expired.sort((a, b) => a.startedAt - b.startedAt);
      for (const p of expired) addFailure(record, p.startedAt + o.attemptTimeoutMs, o);
    }
  }
  const oldestFailure = now - o.keepFailuresMs;
  if (record.failures.length > 0 && record.failures[0] <= oldestFailure) record.failures = record.failures.filter((t) => t > oldestFailure);
  const oldestLockout = now - o.keepLockoutsMs;
  if (record.lockouts.some((l) => l.at <= oldestLockout && l.until <= now)) {
    record.lockouts = record.lockouts.filter((l) => l.at > oldestLockout || l.until > now);
  }
}

function addFailure(record: AttemptRecord, t: number, o: ResolvedOptions): void {
  let i = record.failures.length;
  while (i > 0 && record.failures[i - 1] > t) i--;
  record.failures.splice(i, 0, t);
  for (const tier of o.tiers) {
    if (countSince(record.failures, t - tier.windowMs, t) < tier.failures) continue;
    if (record.lockouts.some((l) => l.tier === tier.name && l.at <= t && l.until > t)) continue; // already serving it
    record.lockouts.push({ tier: tier.name, at: t, until: t + tier.lockMs });
    const ms = o.manualSupport;
    if (ms && tier.name === ms.tier && record.manualSupportSince === null) {
      const recent = record.lockouts.filter((l) => l.tier === ms.tier && l.at > t - ms.windowMs && l.at <= t).length;
      if (recent >= ms.lockouts) record.manualSupportSince = t;
    }
  }
}

/** Failures in the half-open window (from, to]. */
function countSince(failures: number[], from: number, to: number): number {
  let n = 0;
  for (const t of failures) if (t > from && t <= to) n++;
  return n;
}

function statusOf(subject: string, record: AttemptRecord, now: number, o: ResolvedOptions): AttemptStatus {
  const failuresInWindow: Record<string, number> = {};
  let failuresUntilLock = Infinity;
  for (const tier of o.tiers) {
    const n = countSince(record.failures, now - tier.windowMs, now);
    failuresInWindow[tier.name] = n;
    failuresUntilLock = Math.min(failuresUntilLock, Math.max(0, tier.failures - n));
  }
  const promptCount = countSince(record.failures, now - o.retryPrompt.windowMs, now);
  failuresInWindow['retry-prompt'] = promptCount;
  const attemptsInProgress = record.pending.length;
  const base = { subject, failuresInWindow, attemptsInProgress };

  if (record.manualSupportSince !== null) {
    return { ...base, allowed: false, state: 'manual-support', reason: 'manual-support', failuresUntilLock: 0, manualSupportSince: record.manualSupportSince };
  }
  let active: { tier: string; until: number } | null = null;
  for (const l of record.lockouts) if (l.at <= now && l.until > now && (!active || l.until > active.until)) active = l;
  if (active) {
    return { ...base, allowed: false, state: 'locked', reason: 'locked', lockedUntil: active.until, lockTier: active.tier, retryAfterMs: active.until - now, failuresUntilLock: 0 };
  }
  const state: AttemptState = promptCount >= o.retryPrompt.failures ? 'retry-prompt' : 'ok';
  if (attemptsInProgress >= o.maxConcurrentAttempts) return { ...base, allowed: false, state, reason: 'attempt-in-progress', failuresUntilLock };
  return { ...base, allowed: true, state, failuresUntilLock };
}

function resolveOptions(options: AttemptPolicyOptions): ResolvedOptions {
  const retryPrompt = options.retryPrompt ?? { failures: 3, windowMs: 30 * MINUTE };
  const tiers = (options.tiers ?? defaultLockTiers).map((t) => ({ ...t }));
  const manualSupport = options.manualSupport === undefined ? { tier: 'daily', lockouts: 2, windowMs: 7 * DAY } : options.manualSupport;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10 * MINUTE;
  const maxConcurrentAttempts = options.maxConcurrentAttempts ?? 1;
  const maxWriteRetries = options.maxWriteRetries ?? 32;

  const positiveInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v <= 0) throw new LivecheckError('invalid-argument', `${what} must be a positive integer, got ${v}`, { [what]: v });
  };
  const positive = (v: number, what: string) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new LivecheckError('invalid-argument', `${what} must be a positive finite number, got ${v}`, { [what]: v });
  };
  positiveInt(retryPrompt.failures, 'retryPrompt.failures');
  positive(retryPrompt.windowMs, 'retryPrompt.windowMs');
  const names = new Set<string>();
  for (const t of tiers) {
    if (typeof t.name !== 'string' || t.name === '' || names.has(t.name)) throw new LivecheckError('invalid-argument', `lock tier names must be unique non-empty strings`, { name: t.name });
    names.add(t.name);
    positiveInt(t.failures, `tiers.${t.name}.failures`);
    positive(t.windowMs, `tiers.${t.name}.windowMs`);
    positive(t.lockMs, `tiers.${t.name}.lockMs`);
  }
  if (manualSupport) {
    if (!names.has(manualSupport.tier)) throw new LivecheckError('invalid-argument', `manualSupport.tier ${manualSupport.tier} is not a lock tier`, { tier: manualSupport.tier });
    positiveInt(manualSupport.lockouts, 'manualSupport.lockouts');
    positive(manualSupport.windowMs, 'manualSupport.windowMs');
  }
  positive(attemptTimeoutMs, 'attemptTimeoutMs');
  positiveInt(maxConcurrentAttempts, 'maxConcurrentAttempts');
  positiveInt(maxWriteRetries, 'maxWriteRetries');

  const keepFailuresMs = Math.max(retryPrompt.windowMs, ...tiers.map((t) => t.windowMs));
  const keepLockoutsMs = Math.max(manualSupport?.windowMs ?? 0, ...tiers.map((t) => t.lockMs));
  return { retryPrompt, tiers, manualSupport, attemptTimeoutMs, maxConcurrentAttempts, maxWriteRetries, keepFailuresMs, keepLockoutsMs };
}

function assertSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0) throw new LivecheckError('invalid-argument', 'attempt subject must be a non-empty string', { subject });
}

function randomId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return toHex(bytes);
}

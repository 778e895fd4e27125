// Where attempt history lives. The policy never trusts a read-modify-write to be atomic: every write is a
// compare-and-set on a version number, so two tabs (or two server processes) updating the same subject cannot lose
// each other's failures. A store may also offer an exclusive section (navigator.locks, a row lock) to cut retries.
import { LivecheckError } from '../errors.js';

/** A lock imposed at `at` by the tier named `tier`, ending at `until` (epoch ms). */
export interface AttemptLockout {
  tier: string;
  at: number;
  until: number;
}

/** An attempt that was started and has not reported yet. Abandoned ones turn into failures after a timeout. */
export interface PendingAttempt {
  id: string;
  startedAt: number;
}

/** Everything the policy remembers about one subject (a user, a document, a device). Plain JSON data. */
export interface AttemptRecord {
  /** Epoch ms of each failure, ascending; pruned to the longest window. */
  failures: number[];
  lockouts: AttemptLockout[];
  pending: PendingAttempt[];
  /** Set when repeated lockouts route the subject to manual support; only `AttemptPolicy.reset` clears it. */
  manualSupportSince: number | null;
}

export interface VersionedAttemptRecord {
  /** Starts at 1 for the first write, +1 per successful write. 0 means "absent" in compareAndSet. */
  version: number;
  record: AttemptRecord;
}

/**
 * Pluggable storage for `AttemptPolicy`. An integrator's server store implements the same three methods, e.g. SQL:
 * `UPDATE attempts SET record = $3, version = version + 1 WHERE subject = $1 AND version = $2` (an INSERT ... ON
 * CONFLICT DO NOTHING when expectedVersion is 0) and return whether one row changed.
 */
export interface AttemptStore {
  read(subject: string): Promise<VersionedAttemptRecord | null>;
  /** Store `record` as version expectedVersion + 1 only if the stored version is still `expectedVersion` (0 = absent). */
  compareAndSet(subject: string, expectedVersion: number, record: AttemptRecord): Promise<boolean>;
  /** Optional: run `fn` while holding an exclusive lock on `subject`. Compare-and-set still guards every write. */
  exclusive?<T>(subject: string, fn: () => Promise<T>): Promise<T>;
}

export function emptyAttemptRecord(): AttemptRecord {
  return { failures: [], lockouts: [], pending: [], manualSupportSince: null };
}

/** In-process store: one page, tests, or a single-process server. */
export class MemoryAttemptStore implements AttemptStore {
  // JSON text, so callers never share mutable objects with the store.
  private readonly entries = new Map<string, { version: number; json: string }>();

  async read(subject: string): Promise<VersionedAttemptRecord | null> {
    const entry = this.entries.get(subject);
    return entry ? { version: entry.version, record: JSON.parse(entry.json) as AttemptRecord } : null;
  }

  async compareAndSet(subject: string, expectedVersion: number, record: AttemptRecord): Promise<boolean> {
    const current = this.entries.get(subject)?.version ?? 0;
    if (current !== expectedVersion) return false;
    this.entries.set(subject, { version: current + 1, json: JSON.stringify(record) });
    return true;
  }
}

/** The part of the Web Storage API the store uses (`localStorage`, `sessionStorage`, or a fake in tests). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The part of `navigator.locks` the store uses. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export interface WebStorageAttemptStoreOptions {
  /** Key prefix in the storage. Default `livecheck:attempts:`. */
  prefix?: string;
  /** Cross-tab lock. Default: `navigator.locks` when present; `null` disables it (compare-and-set only). */
  locks?: LockManagerLike | null;
}

/**
 * Browser storage (localStorage survives reloads and is shared by the tabs of one origin). Each subject is one key
 * holding `{"v":version,"r":record}`; the version check and the write happen in one synchronous step, and tabs also
 * serialise through `navigator.locks` when the browser has it. This store is a convenience for the UX: a user can
 * clear it, so enforce the limits on the server with a server-side store as well.
 */
export class WebStorageAttemptStore implements AttemptStore {
  private readonly storage: StorageLike;
  private readonly prefix: string;
  private readonly locks: LockManagerLike | null;

  constructor(storage: StorageLike, options: WebStorageAttemptStoreOptions = {}) {
    this.storage = storage;
    this.prefix = options.prefix ?? 'livecheck:attempts:';
    const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
    this.locks = options.locks === undefined ? (nav?.locks ?? null) : options.locks;
    if (this.locks) {
      const locks = this.locks;
      this.exclusive = (subject, fn) => locks.request(`${this.prefix}${subject}`, fn);
    }
  }

  exclusive?: <T>(subject: string, fn: () => Promise<T>) => Promise<T>;

  async read(subject: string): Promise<VersionedAttemptRecord | null> {
    return this.readNow(subject);
  }

  async compareAndSet(subject: string, expectedVersion: number, record: AttemptRecord): Promise<boolean> {
    // No await between the version check and setItem: within one tab this is atomic.
    const current = this.readNow(subject)?.version ?? 0;
    if (current !== expectedVersion) return false;
    try {
      this.storage.setItem(this.prefix + subject, JSON.stringify({ v: current + 1, r: record }));
    } catch (cause) {
      throw new LivecheckError('storage-failed', 'could not write attempt history to storage', { subject }, { cause });
    }
    return true;
  }

  private readNow(subject: string): VersionedAttemptRecord | null {
    let text: string | null;
    try {
      text = this.storage.getItem(this.prefix + subject);
    } catch (cause) {
      throw new LivecheckError('storage-failed', 'could not read attempt history from storage', { subject }, { cause });
    }
    if (text === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new LivecheckError('storage-failed', 'stored attempt history is not JSON', { subject }, { cause });
    }
    if (!isStoredEntry(parsed)) throw new LivecheckError('storage-failed', 'stored attempt history has an unknown shape', { subject });
    return { version: parsed.v, record: parsed.r };
  }
}

function isStoredEntry(x: unknown): x is { v: number; r: AttemptRecord } {
  if (typeof x !== 'object' || x === null) return false;
  const { v, r } = x as { v?: unknown; r?: Partial<AttemptRecord> };
  return (
    Number.isInteger(v) &&
    (v as number) > 0 &&
    typeof r === 'object' &&
    r !== null &&
    Array.isArray(r.failures) &&
    Array.isArray(r.lockouts) &&
    Array.isArray(r.pending) &&
    (r.manualSupportSince === null || typeof r.manualSupportSince === 'number')
  );
}

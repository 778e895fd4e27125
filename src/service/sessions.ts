// Where the verification service keeps its sessions. Like the attempt store, a session store is a versioned
// key-value store whose only write is compare-and-set: consuming a nonce is "open -> verifying if still open", so two
// submissions of one bundle, on one process or on several sharing the store, cannot both be accepted.
import type { DocumentBinding } from '../evidence/bundle.js';
import type { ChallengeStep } from '../challenge/plan.js';
import type { EvidenceReport } from '../verify/evidence.js';

export type SessionState = 'open' | 'verifying' | 'verified';

/** What the server's verification concluded (verifyEvidence's report, less the head); a submission's `200` body. */
export type SessionResult = Pick<EvidenceReport, 'verdict' | 'reasons' | 'checks' | 'decision'>;

/** One session, as stored. Plain JSON data. */
export interface SessionRecord {
  id: string;
  subject: string;
  /** 256 random bits, hex: the challenge plan and the evidence chain come from it. */
  nonce: string;
  document: DocumentBinding;
  plan: ChallengeStep[];
  /** The attempt policy's id for this attempt (begun when the session was created). */
  attemptId: string;
  createdAt: number;
  /** Evidence must come before this (server clock, epoch ms). */
  expiresAt: number;
  state: SessionState;
  /** SHA-256 (hex) of the bundle that consumed the nonce. */
  bundleSha256?: string;
  consumedAt?: number;
  /** While verifying: the verifying process's claim ends here; a resubmission of the same bundle after it re-verifies. */
  leaseUntil?: number;
  result?: SessionResult;
  verifiedAt?: number;
  /** The bundle as submitted, kept only for a `review` verdict (for a human reviewer) until `captureExpiresAt`. */
  capture?: string;
  captureExpiresAt?: number;
}

export interface VersionedSession {
  /** 1 for the first write, +1 per successful write. 0 means "absent" in compareAndSet. */
  version: number;
  record: SessionRecord;
}

/**
 * Pluggable session storage: the in-memory store below (one process), the Redis store in `livecheck/node` (several),
 * or an integrator's own, e.g. SQL: `UPDATE sessions SET record = $3, version = version + 1, expires_at = $4 WHERE id
 * = $1 AND version = $2` (an INSERT ... ON CONFLICT DO NOTHING when expectedVersion is 0), true when one row changed.
 */
export interface SessionStore {
  read(id: string): Promise<VersionedSession | null>;
  /** Store `record` as version expectedVersion + 1 only if the stored version is still `expectedVersion` (0 = absent);
   *  the store may forget it `ttlMs` after this write. */
  compareAndSet(id: string, expectedVersion: number, record: SessionRecord, ttlMs: number): Promise<boolean>;
  /** Forget the session now; false when there was none. */
  delete(id: string): Promise<boolean>;
}

/** In-process session store: a single-process server, tests. Expired entries are dropped as they are met. */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, { version: number; json: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async read(id: string): Promise<VersionedSession | null> {
    const e = this.live(id);
    return e ? { version: e.version, record: JSON.parse(e.json) as SessionRecord } : null;
  }

  async compareAndSet(id: string, expectedVersion: number, record: SessionRecord, ttlMs: number): Promise<boolean> {
    const current = this.live(id)?.version ?? 0;
    if (current !== expectedVersion) return false;
    this.entries.set(id, { version: current + 1, json: JSON.stringify(record), expiresAt: this.now() + ttlMs });
    if (this.entries.size % 256 === 0) this.sweep();
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }

  private live(id: string) {
    const e = this.entries.get(id);
    if (e && e.expiresAt <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return e;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(id);
  }
}

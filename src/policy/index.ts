export { AttemptPolicy, attemptsLockedError, defaultLockTiers } from './attempt-policy.js';
export type { AttemptPolicyOptions, AttemptState, AttemptStatus, AttemptTicket, AttemptOutcome, LockTier } from './attempt-policy.js';
export { MemoryAttemptStore, WebStorageAttemptStore, emptyAttemptRecord } from './store.js';
export type { AttemptStore, AttemptRecord, AttemptLockout, PendingAttempt, VersionedAttemptRecord, StorageLike, LockManagerLike, WebStorageAttemptStoreOptions } from './store.js';

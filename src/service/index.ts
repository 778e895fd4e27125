// The verification service: the session API (single-use nonces, attempts counted on the server) on web-standard
// Request/Response, and its stores.
export { createVerificationService } from './service.js';
export type { VerificationService, VerificationServiceOptions, VerificationJob, VerifyCapture } from './service.js';
export { MemorySessionStore } from './sessions.js';
export type { SessionStore, SessionRecord, SessionResult, SessionState, VersionedSession } from './sessions.js';

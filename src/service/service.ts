// The verification service behind `livecheck serve`: sessions with single-use server nonces, attempts counted on the
// server, and the server's own verification of each capture. One handler on web-standard Request/Response, so it runs
// in Node's http (livecheck/node's adapter), in Hono, Express or Fastify, and in other runtimes that have them. The
// verification itself (decoding and re-analysing the video) is injected: a Node host runs it in a worker pool.
import { LivecheckError, isLivecheckError, type LivecheckErrorCode } from '../errors.js';
import { AttemptPolicy, type AttemptPolicyOptions } from '../policy/attempt-policy.js';
import { MemoryAttemptStore, type AttemptStore } from '../policy/store.js';
import { planFromNonce, type PlanOptions } from '../challenge/plan.js';
import type { AttemptConfig } from '../attempt/config.js';
import type { EvidenceReport, VerifyEvidenceOptions } from '../verify/evidence.js';
import { toHex } from '../util/hex.js';
import { MemorySessionStore, type SessionRecord, type SessionResult, type SessionStore } from './sessions.js';

const MINUTE = 60_000;

/** One capture to verify: the bundle as received and verifyEvidence's options as plain data (it may cross to a worker). */
export interface VerificationJob {
  bundle: string;
  options: Omit<VerifyEvidenceOptions, 'reanalyzeVideo' | 'planFromNonce' | 'acceptLibraryVersion'>;
}

/**
 * Runs verifyEvidence on a job with the host's re-analysis (createNodeReanalyzer, or livecheck/node's worker pool).
 * Throws `service-busy` when it cannot take the job now; gives up when `signal` aborts (the service's deadline).
 */
export type VerifyCapture = (job: VerificationJob, signal: AbortSignal) => Promise<EvidenceReport>;

export interface VerificationServiceOptions {
  /** The server's verification of a capture. */
  verify: VerifyCapture;
  /** Default: a MemorySessionStore (one process). */
  sessions?: SessionStore;
  /** Where each subject's attempts are counted. Default: a MemoryAttemptStore (one process). */
  attempts?: AttemptStore;
  /** The attempt policy's limits (retry prompt, lock tiers, manual support). Default: AttemptPolicy's, with up to 3
   *  sessions of one subject open at once. */
  policy?: Omit<AttemptPolicyOptions, 'store' | 'now' | 'attemptTimeoutMs'>;
  /** Required (`Authorization: Bearer`) to create, read and delete sessions. Null: no key (a demo; the host warns). */
  apiKey?: string | null;
  /** Server clock, epoch ms. Default Date.now. */
  now?: () => number;
  /** How long a session waits for its evidence. Default 10 min. */
  sessionTtlMs?: number;
  /** The capture must be verified within this long of the ID document's upload. Default 15 min. */
  captureWindowMs?: number;
  /** Longest a verification may take (its verdict is then `review`); a claim on a session lapses after twice this,
   *  so the same bundle can be verified again when the verifying process died. Default 2 min. */
  verifyDeadlineMs?: number;
  /** Largest request body, checked before it is parsed. Default 4 MB. */
  maxBodyBytes?: number;
  /** How long a kept capture stays retrievable (GET .../capture); 0 keeps none. Default 7 days. */
  reviewRetentionMs?: number;
  /** Whose captures are kept for that long: biometric data, so by default only a `review`'s, for a human reviewer. */
  keepCaptures?: ReadonlyArray<'pass' | 'fail' | 'review'>;
  /** How long a session's state and result stay readable after its last change. Default 24 h. */
  resultRetentionMs?: number;
  /** The challenge each session asks for (planFromNonce's options). Default: 2 random actions, as the browser's
   *  createLivenessCheck. */
  plan?: PlanOptions;
  /** The engine settings captures are verified with (verifyEvidence's `replay`). Default: the browser's defaults,
   *  identity check on. */
  replay?: AttemptConfig;
  tolerances?: VerifyEvidenceOptions['tolerances'];
  limits?: VerifyEvidenceOptions['limits'];
  /** Retry-After for a full verification queue, seconds. Default 5. */
  busyRetryAfterS?: number;
}

export interface VerificationService {
  /** The whole HTTP API: routes under /v1 (docs/server-and-evidence.md). Never throws: errors are JSON responses. */
  fetch(request: Request): Promise<Response>;
}

const STATUS: Partial<Record<LivecheckErrorCode, number>> = {
  'request-invalid': 400,
  'invalid-argument': 400,
  'evidence-invalid': 400,
  'evidence-version': 400,
  unauthorized: 401,
  'not-found': 404,
  'nonce-consumed': 409,
  'session-expired': 410,
  'payload-too-large': 413,
  'document-too-old': 422,
  'attempts-locked': 429,
  'service-busy': 503,
  'storage-failed': 503,
};

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Session creation bodies are small: a subject and a document binding. */
const MAX_SESSION_BODY = 16 * 1024;

export function createVerificationService(options: VerificationServiceOptions): VerificationService {
  const now = options.now ?? Date.now;
  const sessionTtlMs = options.sessionTtlMs ?? 10 * MINUTE;
  const captureWindowMs = options.captureWindowMs ?? 15 * MINUTE;
  const verifyDeadlineMs = options.verifyDeadlineMs ?? 2 * MINUTE;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const reviewRetentionMs = options.reviewRetentionMs ?? 7 * 24 * 60 * MINUTE;
  const resultRetentionMs = options.resultRetentionMs ?? 24 * 60 * MINUTE;
  const busyRetryAfterS = options.busyRetryAfterS ?? 5;
  const keepCaptures = new Set(options.keepCaptures ?? ['review']);
  const replay: AttemptConfig = options.replay ?? { identity: {} };
  const planOptions: PlanOptions = options.plan ?? { actions: 'random', count: 2 };
  for (const [name, v] of Object.entries({ sessionTtlMs, captureWindowMs, verifyDeadlineMs, maxBodyBytes, reviewRetentionMs, resultRetentionMs })) {
    if (!Number.isFinite(v) || v < 0) throw new LivecheckError('invalid-argument', `${name} must be a finite number >= 0`, { [name]: v });
  }
  const sessions = options.sessions ?? new MemorySessionStore(now);
  // an unsubmitted session is a failed attempt once it can no longer be submitted (its TTL and a verification's time)
  const policy = new AttemptPolicy({
    maxConcurrentAttempts: 3,
    ...options.policy,
    store: options.attempts ?? new MemoryAttemptStore(),
    now,
    attemptTimeoutMs: sessionTtlMs + 2 * verifyDeadlineMs,
  });
  const apiKey = options.apiKey ? options.apiKey : null;

  async function authorize(request: Request): Promise<void> {
    if (!apiKey) return;
    const header = request.headers.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!(await sameSecret(given, apiKey))) throw new LivecheckError('unauthorized', 'this route needs the API key (Authorization: Bearer)');
  }

  async function createSession(request: Request): Promise<Response> {
    await authorize(request);
    const body = parseJson(await readBody(request, Math.min(MAX_SESSION_BODY, maxBodyBytes)));
    const { subject, document } = body as { subject?: unknown; document?: { metadataHash?: unknown; uploadedAt?: unknown } };
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > 256) throw new LivecheckError('request-invalid', '`subject` must be a string of 1 to 256 characters');
    if (typeof document !== 'object' || document === null) throw new LivecheckError('request-invalid', '`document` must be { metadataHash, uploadedAt }');
    const { metadataHash, uploadedAt } = document;
    if (typeof metadataHash !== 'string' || !HEX64.test(metadataHash)) throw new LivecheckError('request-invalid', '`document.metadataHash` must be a SHA-256 in lowercase hex');
    if (typeof uploadedAt !== 'number' || !Number.isFinite(uploadedAt)) throw new LivecheckError('request-invalid', '`document.uploadedAt` must be epoch ms');
    const t = now();
    if (uploadedAt > t + MINUTE) throw new LivecheckError('request-invalid', '`document.uploadedAt` is in the future', { uploadedAt, now: t });
    if (t - uploadedAt >= captureWindowMs) {
      throw new LivecheckError('document-too-old', `the document was uploaded more than ${captureWindowMs} ms ago: upload it again`, { uploadedAt, captureWindowMs });
    }
    const ticket = await policy.begin(subject);
    if (!ticket.allowed) {
      const s = ticket.status;
      throw new LivecheckError('attempts-locked', `no attempt allowed for this subject now (${s.reason ?? s.state})`, {
        retryAt: s.lockedUntil ?? null,
        state: s.state,
        reason: s.reason ?? null,
      });
    }
    const nonce = toHex(randomBytes(32));
    const id = base64url(randomBytes(32));
    const plan = await planFromNonce(nonce, planOptions);
    const record: SessionRecord = {
      id,
      subject,
      nonce,
      document: { metadataHash, uploadedAt },
      plan: plan.steps,
      attemptId: ticket.attemptId,
      createdAt: t,
      expiresAt: Math.min(t + sessionTtlMs, uploadedAt + captureWindowMs),
      state: 'open',
    };
    if (!(await sessions.compareAndSet(id, 0, record, record.expiresAt - t + resultRetentionMs))) {
      throw new LivecheckError('storage-failed', 'a new session id was already taken');
    }
    return json(201, { sessionId: id, nonce, plan: plan.steps, expiresAt: record.expiresAt });
  }

  async function readSession(id: string) {
    const s = SESSION_ID.test(id) ? await sessions.read(id) : null;
    if (!s) throw new LivecheckError('not-found', 'no such session');
    return s;
  }

  function view(s: SessionRecord, t: number) {
    const state = s.state === 'open' && t > s.expiresAt ? 'expired' : s.state;
    const capture = s.capture !== undefined && (s.captureExpiresAt ?? 0) > t;
    return {
      sessionId: s.id,
      subject: s.subject,
      state,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      plan: s.plan,
      ...(s.result && { result: s.result, verifiedAt: s.verifiedAt }),
      captureAvailable: capture,
    };
  }

  /** Moves the session to `verifying` for this bundle: consumes an open nonce, or takes over a lapsed claim on the
   *  same bundle. Returns the record written. */
  async function claim(id: string, sha: string): Promise<SessionRecord> {
    for (let i = 0; i < 16; i++) {
      const { version, record: s } = await readSession(id);
      const t = now();
      if (s.state === 'verified') throw new LivecheckError('nonce-consumed', 'this session was already verified: GET it for the result', { state: s.state });
      if (s.state === 'verifying' && !(s.bundleSha256 === sha && (s.leaseUntil ?? 0) <= t)) {
        throw new LivecheckError('nonce-consumed', 'evidence for this session is being verified', { state: s.state });
      }
      if (s.state === 'open' && t > s.expiresAt) throw new LivecheckError('session-expired', 'this session expired before its evidence came', { expiresAt: s.expiresAt });
      const next: SessionRecord = { ...s, state: 'verifying', bundleSha256: sha, consumedAt: s.consumedAt ?? t, leaseUntil: t + 2 * verifyDeadlineMs };
      if (await sessions.compareAndSet(id, version, next, next.leaseUntil! - t + resultRetentionMs)) return next;
    }
    throw new LivecheckError('storage-failed', 'the session kept changing under concurrent writes');
  }

  /** Writes `change` of the stored session (null: leave it), re-reading on a concurrent write. */
  async function settle(id: string, change: (s: SessionRecord) => SessionRecord | null, ttlMs: number): Promise<void> {
    for (let i = 0; i < 16; i++) {
      const cur = await sessions.read(id);
      if (!cur) return; // deleted meanwhile
      const next = change(cur.record);
      if (!next) return;
      if (await sessions.compareAndSet(id, cur.version, next, ttlMs)) return;
    }
    throw new LivecheckError('storage-failed', 'the session kept changing under concurrent writes');
  }

  async function submitEvidence(request: Request, id: string): Promise<Response> {
    await readSession(id); // an unknown session costs no body read
    const bytes = await readBytes(request, maxBodyBytes);
    const sha = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
    const s = await claim(id, sha);
    let result: SessionResult;
    let text: string | undefined;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      const report = await options.verify(
        {
          bundle: text,
          options: {
            nonce: s.nonce,
            document: s.document,
            now: now(),
            plan: planOptions,
            replay,
            ...(options.tolerances && { tolerances: options.tolerances }),
            ...(options.limits && { limits: options.limits }),
          },
        },
        AbortSignal.timeout(verifyDeadlineMs),
      );
      result = { verdict: report.verdict, reasons: report.reasons, checks: report.checks, decision: report.decision };
    } catch (e) {
      if (isLivecheckError(e, 'service-busy')) {
        // nothing was judged: the nonce is handed back so the same bundle can come again
        await settle(
          id,
          (cur) => (cur.state === 'verifying' && cur.bundleSha256 === sha ? { ...s, state: 'open', bundleSha256: undefined, consumedAt: undefined, leaseUntil: undefined } : null),
          s.expiresAt - now() + resultRetentionMs,
        );
        throw e;
      }
      result = failedVerification(e);
    }
    // the attempt's outcome is the server's verdict; its id makes a re-verification after a crash count once
    await policy.record(s.subject, result.verdict === 'pass' ? 'pass' : 'fail', s.attemptId);
    const t = now();
    const keep = keepCaptures.has(result.verdict) && reviewRetentionMs > 0;
    await settle(
      id,
      (cur) =>
        cur.state === 'verifying' && cur.bundleSha256 === sha
          ? {
              ...cur,
              state: 'verified',
              leaseUntil: undefined,
              result,
              verifiedAt: t,
              ...(keep && { capture: text ?? new TextDecoder().decode(bytes), captureExpiresAt: t + reviewRetentionMs }),
            }
          : null,
      Math.max(resultRetentionMs, keep ? reviewRetentionMs : 0),
    );
    // a body that is not a bundle, or one over the limits, is the client's error: 400 with its code (the attempt
    // was still used up and failed, and GET has the result)
    const malformed = result.reasons.find((r) => r.code === 'evidence-invalid' || r.code === 'evidence-version' || r.code === 'format');
    if (malformed) {
      throw new LivecheckError(malformed.code === 'format' ? 'evidence-invalid' : (malformed.code as LivecheckErrorCode), malformed.message, { check: 'format', verdict: result.verdict });
    }
    return json(200, result);
  }

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'v1' || parts[1] !== 'sessions') throw new LivecheckError('not-found', `no route ${url.pathname}`);
    const m = request.method;
    if (parts.length === 2 && m === 'POST') return createSession(request);
    const id = parts[2];
    if (parts.length === 3 && m === 'GET') {
      await authorize(request);
      return json(200, view((await readSession(id)).record, now()));
    }
    if (parts.length === 3 && m === 'DELETE') {
      await authorize(request);
      if (!SESSION_ID.test(id) || !(await sessions.delete(id))) throw new LivecheckError('not-found', 'no such session');
      return new Response(null, { status: 204 });
    }
    if (parts.length === 4 && parts[3] === 'evidence' && m === 'POST') return submitEvidence(request, id);
    if (parts.length === 4 && parts[3] === 'capture' && m === 'GET') {
      await authorize(request);
      const s = (await readSession(id)).record;
      if (s.capture === undefined || (s.captureExpiresAt ?? 0) <= now()) throw new LivecheckError('not-found', 'no capture kept for this session');
      return new Response(s.capture, { status: 200, headers: { 'content-type': 'application/json' } });
    }
    throw new LivecheckError('not-found', `no route ${m} ${url.pathname}`);
  }

  return {
    async fetch(request) {
      try {
        return await route(request);
      } catch (e) {
        return errorResponse(e, busyRetryAfterS, now());
      }
    },
  };
}

/** A verification that threw: a bundle that is not one is the client's failure; anything else left it unjudged. */
function failedVerification(e: unknown): SessionResult {
  const code = isLivecheckError(e) ? e.code : 'verification-error';
  const message = e instanceof Error ? e.message : String(e);
  const clientFault = code === 'evidence-invalid' || code === 'evidence-version' || code === 'request-invalid';
  return { verdict: clientFault ? 'fail' : 'review', reasons: [{ code, message }], checks: [], decision: null };
}

function errorResponse(e: unknown, busyRetryAfterS: number, t: number): Response {
  const err = isLivecheckError(e) ? e : null;
  const status = (err && STATUS[err.code]) ?? 500;
  const headers: Record<string, string> = {};
  if (err?.code === 'service-busy') headers['retry-after'] = String(busyRetryAfterS);
  const retryAt = err?.detail?.retryAt;
  if (typeof retryAt === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil((retryAt - t) / 1000)));
  // a 5xx says what failed, never the internals (paths, stack)
  const body = err && status < 500 ? { code: err.code, message: err.message, ...err.detail } : { code: err?.code ?? 'internal', message: status === 503 && err ? err.message : 'internal error' };
  return json(status, { error: body }, headers);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** The body, refused past `max` bytes before more is read. */
async function readBytes(request: Request, max: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > max) throw new LivecheckError('payload-too-large', `the body is over ${max} bytes`, { max, declared });
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new LivecheckError('payload-too-large', `the body is over ${max} bytes`, { max });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

async function readBody(request: Request, max: number): Promise<string> {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await readBytes(request, max));
  } catch (e) {
    if (isLivecheckError(e)) throw e;
    throw new LivecheckError('request-invalid', 'the body is not UTF-8 text');
  }
}

function parseJson(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new LivecheckError('request-invalid', 'the body is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new LivecheckError('request-invalid', 'the body must be a JSON object');
  return v as Record<string, unknown>;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Compares two secrets in time independent of where they differ (their digests, byte by byte). */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [x, y] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(a)), crypto.subtle.digest('SHA-256', enc.encode(b))]);
  const u = new Uint8Array(x),
    v = new Uint8Array(y);
  let diff = 0;
  for (let i = 0; i < u.length; i++) diff |= u[i] ^ v[i];
  return diff === 0;
}

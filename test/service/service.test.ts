// The session API's own rules, on web-standard Requests: who may call what, single-use nonces, the server's clock,
// attempts counted from the server's verdicts, and the limits on what a client sends. The verification is injected
// here (a function returning the verdict a test chooses) so each rule is exercised alone; test/service/http.test.ts
// runs the same service over HTTP with the real verification, memory and Redis stores, and replicas.
import { describe, expect, it } from 'vitest';
import { createVerificationService, type VerificationServiceOptions, type VerifyCapture } from '../../src/server/index.js';
import type { EvidenceReport } from '../../src/verify/evidence.js';
import { MemorySessionStore } from '../../src/service/sessions.js';

const MIN = 60_000;
const KEY = 'test-api-key-7c1d';
const HASH = 'ab'.repeat(32);

function report(verdict: EvidenceReport['verdict']): EvidenceReport {
  return { ok: verdict === 'pass', verdict, reasons: verdict === 'pass' ? [] : [{ code: 'active-unsure', message: 'test' }], head: null, checks: [], decision: null };
}

function setup(o: Partial<VerificationServiceOptions> & { verdicts?: Array<EvidenceReport['verdict']> } = {}) {
  const clock = { t: Date.UTC(2026, 11, 1, 12, 0, 0) };
  const jobs: Parameters<VerifyCapture>[0][] = [];
  const verdicts = o.verdicts ?? [];
  const service = createVerificationService({
    verify: async (job) => {
      jobs.push(job);
      return report(verdicts.shift() ?? 'fail');
    },
    apiKey: KEY,
    now: () => clock.t,
    ...o,
  });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) =>
    service.fetch(
      new Request(`http://livecheck.test${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  const create = async (subject = 'user-1', uploadedAt = clock.t - 2 * MIN) => {
    const r = await call('POST', '/v1/sessions', { subject, document: { metadataHash: HASH, uploadedAt } });
    return { status: r.status, body: (await r.json()) as { sessionId: string; nonce: string; plan: unknown[]; expiresAt: number; error?: { code: string; retryAt?: number } }, headers: r.headers };
  };
  const submit = async (id: string, bundle = '{"bundle":1}') => {
    const r = await call('POST', `/v1/sessions/${id}/evidence`, bundle, {});
    return { status: r.status, body: (await r.json()) as { verdict?: string; error?: { code: string } }, headers: r.headers };
  };
  return { clock, jobs, service, call, create, submit };
}

describe('sessions', () => {
  it('issues 256-bit server nonces with the plan they give, and verifies with the session’s nonce and document', async () => {
    const s = setup({ verdicts: ['pass'] });
    const a = await s.create();
    const b = await s.create('user-2');
    expect(a.status).toBe(201);
    expect(a.body.nonce).toMatch(/^[0-9a-f]{64}$/);
    expect(a.body.nonce).not.toBe(b.body.nonce);
    expect(a.body.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.body.plan).toHaveLength(2);
    expect(a.body.expiresAt).toBe(s.clock.t + 10 * MIN);
    const r = await s.submit(a.body.sessionId);
    expect(r.status).toBe(200);
    expect(r.body.verdict).toBe('pass');
    // what the server verifies against comes from its own session, on its own clock
    expect(s.jobs[0].options.nonce).toBe(a.body.nonce);
    expect(s.jobs[0].options.document).toEqual({ metadataHash: HASH, uploadedAt: s.clock.t - 2 * MIN });
    expect(s.jobs[0].options.now).toBe(s.clock.t);
    expect(s.jobs[0].bundle).toBe('{"bundle":1}');
  });

  it('a nonce is consumed by the first submission, whatever its verdict: the next gets 409, and GET has the result', async () => {
    const s = setup({ verdicts: ['fail', 'pass'] });
    const { body } = await s.create();
    expect((await s.submit(body.sessionId)).body.verdict).toBe('fail');
    const again = await s.submit(body.sessionId);
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('nonce-consumed');
    expect(s.jobs).toHaveLength(1);
    const got = await s.call('GET', `/v1/sessions/${body.sessionId}`);
    const state = (await got.json()) as { state: string; result: { verdict: string } };
    expect(state.state).toBe('verified');
    expect(state.result.verdict).toBe('fail');
  });

  it('concurrent submissions of one session: exactly one is verified', async () => {
    const s = setup({ verdicts: ['pass'] });
    const { body } = await s.create();
    const results = await Promise.all(Array.from({ length: 6 }, () => s.submit(body.sessionId)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(s.jobs).toHaveLength(1);
  });

  it('time is the server’s: a session expires (410), a stale document is refused (422), an unsubmitted session counts as a failure', async () => {
    const s = setup({ policy: { tiers: [{ name: 'short', failures: 2, windowMs: 60 * MIN, lockMs: 30 * MIN }], manualSupport: null } });
    const { body } = await s.create();
    s.clock.t += 10 * MIN + 1;
    const late = await s.submit(body.sessionId);
    expect(late.status).toBe(410);
    expect(late.body.error?.code).toBe('session-expired');
    const old = await s.create('user-1', s.clock.t - 15 * MIN);
    expect(old.status).toBe(422);
    expect(old.body.error?.code).toBe('document-too-old');
    // the session's expiry is capped by the document's capture window
    const capped = await s.create('user-1', s.clock.t - 12 * MIN);
    expect(capped.body.expiresAt).toBe(s.clock.t + 3 * MIN);
    // both sessions left unsubmitted: once they can no longer be submitted, each is a failed attempt, and two lock
    s.clock.t += 15 * MIN;
    const locked = await s.create();
    expect(locked.status).toBe(429);
    expect(locked.body.error?.code).toBe('attempts-locked');
  });

  it('attempts are counted from the server’s verdicts: the fifth failure in 30 min locks (429 with retryAt), the tenth in a day for 24 h', async () => {
    const s = setup({ verdicts: Array(10).fill('fail') });
    for (let i = 0; i < 5; i++) {
      const { body } = await s.create('mallory');
      expect((await s.submit(body.sessionId)).body.verdict).toBe('fail');
      s.clock.t += MIN;
    }
    const locked = await s.create('mallory');
    expect(locked.status).toBe(429);
    expect(locked.body.error?.retryAt).toBe(s.clock.t - MIN + 30 * MIN);
    expect(Number(locked.headers.get('retry-after'))).toBe(29 * 60);
    // another subject is not affected
    expect((await s.create('alice')).status).toBe(201);
    s.clock.t += 30 * MIN;
    for (let i = 0; i < 5; i++) {
      const { body, status } = await s.create('mallory');
      expect(status).toBe(201);
      await s.submit(body.sessionId);
      s.clock.t += MIN;
    }
    const daily = await s.create('mallory');
    expect(daily.status).toBe(429);
    expect(daily.body.error!.retryAt! - s.clock.t).toBeGreaterThan(23 * 60 * MIN);
  });

  it('a review counts as a failed attempt; a pass clears the streak', async () => {
    const s = setup({ verdicts: ['review', 'review', 'review', 'review', 'pass', 'fail', 'fail', 'fail', 'fail'] });
    for (const _ of Array(4)) await s.submit((await s.create()).body.sessionId);
    await s.submit((await s.create()).body.sessionId); // pass
    for (const _ of Array(4)) await s.submit((await s.create()).body.sessionId);
    expect((await s.create()).status).toBe(201);
  });
});

describe('who may call what', () => {
  it('creating, reading and deleting need the API key; submitting needs only the session id', async () => {
    const s = setup({ verdicts: ['review'] });
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: KEY }] as Array<Record<string, string>>) {
      const r = await s.call('POST', '/v1/sessions', { subject: 'u', document: { metadataHash: HASH, uploadedAt: s.clock.t } }, headers);
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const { body } = await s.create();
    expect((await s.call('GET', `/v1/sessions/${body.sessionId}`, undefined, {})).status).toBe(401);
    expect((await s.submit(body.sessionId)).status).toBe(200);
    // a review keeps the capture for the integrator's reviewer, until DELETE
    const capture = await s.call('GET', `/v1/sessions/${body.sessionId}/capture`);
    expect(await capture.text()).toBe('{"bundle":1}');
    expect((await s.call('DELETE', `/v1/sessions/${body.sessionId}`, undefined, {})).status).toBe(401);
    expect((await s.call('DELETE', `/v1/sessions/${body.sessionId}`)).status).toBe(204);
    expect((await s.call('GET', `/v1/sessions/${body.sessionId}/capture`)).status).toBe(404);
    expect((await s.call('GET', `/v1/sessions/${body.sessionId}`)).status).toBe(404);
  });

  it('pass and fail keep no capture; a review’s capture expires', async () => {
    const s = setup({ verdicts: ['pass', 'review'], reviewRetentionMs: 60 * MIN });
    const a = (await s.create()).body;
    await s.submit(a.sessionId);
    expect((await s.call('GET', `/v1/sessions/${a.sessionId}/capture`)).status).toBe(404);
    const b = (await s.create()).body;
    await s.submit(b.sessionId);
    expect((await s.call('GET', `/v1/sessions/${b.sessionId}/capture`)).status).toBe(200);
    s.clock.t += 61 * MIN;
    expect((await s.call('GET', `/v1/sessions/${b.sessionId}/capture`)).status).toBe(404);
    expect((await s.call('GET', `/v1/sessions/${b.sessionId}`)).status).toBe(200);
  });

  it('an integrator may keep other captures too (keepCaptures)', async () => {
    const s = setup({ verdicts: ['fail'], keepCaptures: ['fail', 'review'] });
    const a = (await s.create()).body;
    await s.submit(a.sessionId);
    expect((await s.call('GET', `/v1/sessions/${a.sessionId}/capture`)).status).toBe(200);
  });

  it('unknown sessions and routes are 404 without reading the body', async () => {
    const s = setup();
    expect((await s.submit('x'.repeat(43))).status).toBe(404);
    expect((await s.submit('../../etc')).status).toBe(404);
    expect((await s.call('GET', '/v2/anything')).status).toBe(404);
    expect(s.jobs).toHaveLength(0);
  });
});

describe('limits on what a client sends', () => {
  it('a body over the limit is 413 before it is parsed, declared or not, and the session stays open', async () => {
    const s = setup({ maxBodyBytes: 1000, verdicts: ['pass'] });
    const { body } = await s.create();
    expect((await s.submit(body.sessionId, 'x'.repeat(1001))).status).toBe(413);
    // a streamed body without a length is cut at the limit
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += 600;
        c.enqueue(new Uint8Array(600));
        if (pulled > 1e7) c.close();
      },
    });
    const r = await s.service.fetch(new Request(`http://livecheck.test/v1/sessions/${body.sessionId}/evidence`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
    expect(r.status).toBe(413);
    expect(pulled).toBeLessThan(10_000);
    expect(s.jobs).toHaveLength(0);
    expect((await s.submit(body.sessionId)).status).toBe(200);
  });

  it('malformed session requests are 400 with a code', async () => {
    const s = setup();
    for (const bad of [
      'not json',
      '[]',
      { subject: '', document: { metadataHash: HASH, uploadedAt: s.clock.t } },
      { subject: 'x'.repeat(257), document: { metadataHash: HASH, uploadedAt: 1 } },
      { subject: 'u', document: { metadataHash: 'zz', uploadedAt: s.clock.t } },
      { subject: 'u', document: { metadataHash: HASH, uploadedAt: 'now' } },
      { subject: 'u', document: { metadataHash: HASH, uploadedAt: s.clock.t + 10 * MIN } },
    ]) {
      const r = await s.call('POST', '/v1/sessions', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('request-invalid');
    }
    expect((await s.call('POST', '/v1/sessions', 'x'.repeat(20_000))).status).toBe(413);
  });
});

describe('failures inside verification', () => {
  it('a full queue is 503 with Retry-After, and the nonce is handed back for the same bundle', async () => {
    let busy = true;
    const s = setup({
      verify: async () => {
        if (busy) {
          const { LivecheckError } = await import('../../src/errors.js');
          throw new LivecheckError('service-busy', 'the verification queue is full');
        }
        return report('pass');
      },
    });
    const { body } = await s.create();
    const r = await s.submit(body.sessionId);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    busy = false;
    expect((await s.submit(body.sessionId)).body.verdict).toBe('pass');
  });

  it('a bundle that is not one is 400 and fails the attempt; a verification that crashes or times out is review', async () => {
    const { LivecheckError } = await import('../../src/errors.js');
    const errors = [new LivecheckError('evidence-invalid', 'not a bundle'), new LivecheckError('worker-crashed', 'thread died')];
    const s = setup({
      verify: async () => {
        throw errors.shift();
      },
    });
    // not a bundle: 400 with its code, and the attempt is used up and failed (GET has the result)
    const a = (await s.create()).body.sessionId;
    const bad = await s.submit(a);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('evidence-invalid');
    expect(((await (await s.call('GET', `/v1/sessions/${a}`)).json()) as { result: { verdict: string } }).result.verdict).toBe('fail');
    expect((await s.submit(a)).status).toBe(409);
    expect((await s.submit((await s.create()).body.sessionId)).body.verdict).toBe('review');
  });

  it('a verification that died with its process: after the claim lapses the same bundle is verified again, another is refused, and the attempt counts once', async () => {
    const sessions = new MemorySessionStore(() => clock.t);
    const { AttemptPolicy, MemoryAttemptStore } = await import('../../src/policy/index.js');
    const attempts = new MemoryAttemptStore();
    const clock = { t: Date.UTC(2026, 11, 1, 12, 0, 0) };
    // replica A claims the session and never finishes
    const a = setup({ sessions, attempts, now: () => clock.t, verify: () => new Promise(() => undefined) });
    const b = setup({ sessions, attempts, now: () => clock.t, verdicts: ['fail'] });
    const { body } = await a.create('carol');
    void a.submit(body.sessionId, '{"same":1}');
    await new Promise((r) => setTimeout(r, 20));
    expect((await b.submit(body.sessionId, '{"same":1}')).status).toBe(409);
    clock.t += 4 * MIN + 1; // past A's claim (twice the deadline)
    expect((await b.submit(body.sessionId, '{"other":1}')).status).toBe(409);
    const retry = await b.submit(body.sessionId, '{"same":1}');
    expect(retry.status).toBe(200);
    expect(retry.body.verdict).toBe('fail');
    // counted once, even after the attempt's own timeout has passed
    clock.t += 30 * MIN;
    const status = await new AttemptPolicy({ store: attempts, now: () => clock.t }).check('carol');
    expect(status.failuresInWindow.daily).toBe(1);
  });
});

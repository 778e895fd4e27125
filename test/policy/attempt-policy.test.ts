import { describe, expect, it } from 'vitest';
import { AttemptPolicy, WebStorageAttemptStore, attemptsLockedError } from '../../src/policy/index.js';
import type { AttemptRecord, AttemptStore, LockManagerLike, StorageLike, VersionedAttemptRecord } from '../../src/policy/index.js';
import { isLivecheckError } from '../../src/errors.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

class FakeClock {
  t = T0;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A localStorage stand-in shared by several "tabs". */
class FakeStorage implements StorageLike {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.has(key) ? (this.map.get(key) as string) : null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, String(value));
  }
}

/** Wraps a store so every call yields to the event loop for a random while: interleaves concurrent tabs. */
class JitteryStore implements AttemptStore {
  conflicts = 0;
  constructor(
    private readonly inner: AttemptStore,
    private readonly rand: () => number,
  ) {}
  private pause(): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.floor(this.rand() * 3)));
  }
  async read(subject: string): Promise<VersionedAttemptRecord | null> {
    await this.pause();
    const v = await this.inner.read(subject);
    await this.pause();
    return v;
  }
  async compareAndSet(subject: string, expected: number, record: AttemptRecord): Promise<boolean> {
    await this.pause();
    const ok = await this.inner.compareAndSet(subject, expected, record);
    if (!ok) this.conflicts++;
    return ok;
  }
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function fail(policy: AttemptPolicy, subject: string, n: number, clock?: FakeClock, stepMs = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    await policy.record(subject, 'fail');
    if (clock) clock.advance(stepMs);
  }
}

describe('AttemptPolicy tiers', () => {
  it('asks for a retry prompt at the third failure, not before', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    expect((await policy.check('u')).state).toBe('ok');
    await fail(policy, 'u', 2, clock, MIN);
    let s = await policy.check('u');
    expect(s).toMatchObject({ state: 'ok', allowed: true, failuresUntilLock: 3 });
    await fail(policy, 'u', 1);
    s = await policy.check('u');
    expect(s).toMatchObject({ state: 'retry-prompt', allowed: true, failuresUntilLock: 2 });
    expect(s.failuresInWindow).toMatchObject({ short: 3, daily: 3, 'retry-prompt': 3 });
  });

  it('locks for 30 minutes at the fifth failure within 30 minutes, and says when the lock ends', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 4, clock, 5 * MIN); // t = 0, 5, 10, 15
    expect((await policy.check('u')).allowed).toBe(true);
    clock.t = T0 + 29 * MIN; // fifth failure 29 min after the first: inside the window
    const s = await policy.record('u', 'fail');
    expect(s).toMatchObject({ state: 'locked', allowed: false, reason: 'locked', lockTier: 'short', lockedUntil: T0 + 59 * MIN, retryAfterMs: 30 * MIN });
    clock.t = T0 + 59 * MIN - 1;
    expect((await policy.check('u')).state).toBe('locked');
    expect((await policy.begin('u')).allowed).toBe(false);
    clock.t = T0 + 59 * MIN;
    const after = await policy.check('u');
    expect(after).toMatchObject({ allowed: true, state: 'ok' });
    expect(after.lockedUntil).toBeUndefined();
  });

  it('does not lock when the five failures span more than 30 minutes', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 4, clock, 10 * MIN); // t = 0, 10, 20, 30
    clock.t = T0 + 30 * MIN; // window (0, 30]: the first failure is exactly 30 min old and out
    const s = await policy.record('u', 'fail');
    expect(s.allowed).toBe(true);
    expect(s.state).toBe('retry-prompt');
    expect(s.failuresInWindow.short).toBe(4);
  });

  it('locks for 24 hours at the tenth failure in a rolling day', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 9, clock, 2 * HOUR); // 0, 2h, ... 16h: never 5 in 30 min
    expect((await policy.check('u')).allowed).toBe(true);
    const s = await policy.record('u', 'fail'); // at 18h
    expect(s).toMatchObject({ state: 'locked', lockTier: 'daily', lockedUntil: T0 + 18 * HOUR + DAY });
    clock.t = T0 + 42 * HOUR - 1;
    expect((await policy.check('u')).state).toBe('locked');
    clock.t = T0 + 42 * HOUR;
    expect((await policy.check('u')).allowed).toBe(true);
  });

  it('uses a rolling day: the tenth failure 24 h after the first does not lock', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 9, clock, 3 * HOUR); // 0 .. 24h (the clock ends at 27h)
    clock.t = T0 + DAY; // first failure exactly 24 h old: out of (now - 24h, now]
    const s = await policy.record('u', 'fail');
    expect(s.failuresInWindow.daily).toBe(9);
    expect(s.allowed).toBe(true);
  });

  it('escalates a short lock to the daily lock when failures continue after it', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 5, clock, MIN);
    expect((await policy.check('u')).lockTier).toBe('short');
    clock.advance(30 * MIN);
    await fail(policy, 'u', 4, clock, MIN);
    const s = await policy.record('u', 'fail');
    expect(s).toMatchObject({ state: 'locked', lockTier: 'daily', lockedUntil: clock.t + DAY });
  });

  it('routes repeated daily lockouts within 7 days to manual support, until reset', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 10, clock, 2 * HOUR);
    expect((await policy.check('u')).lockTier).toBe('daily');
    clock.advance(3 * DAY);
    expect((await policy.check('u')).allowed).toBe(true);
    await fail(policy, 'u', 9, clock, 2 * HOUR);
    const s = await policy.record('u', 'fail');
    expect(s).toMatchObject({ state: 'manual-support', allowed: false, reason: 'manual-support' });
    clock.advance(30 * DAY);
    expect((await policy.check('u')).state).toBe('manual-support');
    await policy.reset('u');
    expect((await policy.check('u')).state).toBe('ok');
  });

  it('does not route to manual support when the daily lockouts are more than 7 days apart', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 10, clock, 2 * HOUR);
    clock.advance(8 * DAY);
    await fail(policy, 'u', 10, clock, 2 * HOUR);
    const s = await policy.check('u');
    expect(s.state).toBe('locked');
    expect(s.lockTier).toBe('daily');
  });

  it('takes its tiers from the options', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({
      now: clock.now,
      retryPrompt: { failures: 1, windowMs: HOUR },
      tiers: [{ name: 'burst', failures: 2, windowMs: MIN, lockMs: 5 * MIN }],
      manualSupport: { tier: 'burst', lockouts: 3, windowMs: HOUR },
    });
    await policy.record('u', 'fail');
    expect((await policy.check('u')).state).toBe('retry-prompt');
    const s = await policy.record('u', 'fail');
    expect(s).toMatchObject({ state: 'locked', lockTier: 'burst', lockedUntil: T0 + 5 * MIN });
    for (let k = 0; k < 2; k++) {
      clock.advance(5 * MIN);
      await fail(policy, 'u', 2);
    }
    expect((await policy.check('u')).state).toBe('manual-support');
  });

  it('rejects bad options and subjects with invalid-argument', async () => {
    expect(() => new AttemptPolicy({ tiers: [{ name: 'a', failures: 0, windowMs: 1, lockMs: 1 }] })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => new AttemptPolicy({ manualSupport: { tier: 'nope', lockouts: 2, windowMs: DAY } })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    await expect(new AttemptPolicy().check('')).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('AttemptPolicy attempts', () => {
  it('counts an attempt that never reports as a failure after the timeout', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    for (let i = 0; i < 5; i++) {
      const t = await policy.begin('u');
      expect(t.allowed).toBe(true);
      clock.advance(10 * MIN); // the tab was closed: no report
    }
    // Five abandoned attempts at 10, 20, 30, 40, 50 min: the 5th timeout is not within 30 min of the 1st.
    const s = await policy.check('u');
    expect(s.failuresInWindow.daily).toBe(5);
    expect(s.state).toBe('retry-prompt');
    const late = await policy.record('u', 'fail', 'no-such-attempt');
    expect(late.failuresInWindow.daily).toBe(5); // an unknown/expired id is not counted twice
  });

  it('locks when abandoned attempts pile up inside the window', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now, attemptTimeoutMs: MIN });
    for (let i = 0; i < 5; i++) {
      expect((await policy.begin('u')).allowed).toBe(true);
      clock.advance(MIN);
    }
    expect(await policy.check('u')).toMatchObject({ state: 'locked', lockedUntil: T0 + 5 * MIN + 30 * MIN });
  });

  it('allows one attempt at a time and frees the slot when it reports', async () => {
    const policy = new AttemptPolicy({ now: new FakeClock().now });
    const a = await policy.begin('u');
    expect(a.allowed).toBe(true);
    const b = await policy.begin('u');
    expect(b).toMatchObject({ allowed: false, status: { reason: 'attempt-in-progress', state: 'ok' } });
    if (!a.allowed) throw new Error('unreachable');
    const s = await policy.record('u', 'fail', a.attemptId);
    expect(s).toMatchObject({ allowed: true, attemptsInProgress: 0 });
    expect(s.failuresInWindow.short).toBe(1);
  });

  it('clears the failure streak on a pass but keeps an active lock', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 4);
    expect((await policy.record('u', 'pass')).failuresInWindow.short).toBe(0);
    await fail(policy, 'u', 5);
    expect((await policy.record('u', 'pass')).state).toBe('locked');
  });

  it('turns a denied ticket into an attempts-locked error carrying the lock end', async () => {
    const clock = new FakeClock();
    const policy = new AttemptPolicy({ now: clock.now });
    await fail(policy, 'u', 5);
    const t = await policy.begin('u');
    expect(t.allowed).toBe(false);
    const err = attemptsLockedError(t.status);
    expect(isLivecheckError(err, 'attempts-locked')).toBe(true);
    expect(err.detail).toMatchObject({ state: 'locked', reason: 'locked', lockedUntil: T0 + 30 * MIN, retryAfterMs: 30 * MIN });
    expect(err.message).toContain(new Date(T0 + 30 * MIN).toISOString());
  });

  it('keeps subjects apart', async () => {
    const policy = new AttemptPolicy({ now: new FakeClock().now });
    await fail(policy, 'alice', 5);
    expect((await policy.check('alice')).state).toBe('locked');
    expect((await policy.check('bob')).state).toBe('ok');
  });
});

describe('AttemptPolicy storage', () => {
  it('survives a reload: a new instance over the same Web Storage keeps the lock and its end', async () => {
    const clock = new FakeClock();
    const storage = new FakeStorage();
    const tab = new AttemptPolicy({ now: clock.now, store: new WebStorageAttemptStore(storage, { locks: null }) });
    await fail(tab, 'u', 5);
    clock.advance(10 * MIN);
    const reloaded = new AttemptPolicy({ now: clock.now, store: new WebStorageAttemptStore(storage, { locks: null }) });
    expect(await reloaded.check('u')).toMatchObject({ state: 'locked', lockedUntil: T0 + 30 * MIN, retryAfterMs: 20 * MIN });
    expect([...storage.map.keys()]).toEqual(['livecheck:attempts:u']);
  });

  it('two tabs starting attempts concurrently get exactly the allowed number before the lock', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const clock = new FakeClock();
      const storage = new FakeStorage();
      const rand = mulberry32(seed);
      const stores = [0, 1].map(() => new JitteryStore(new WebStorageAttemptStore(storage, { locks: null }), rand));
      const tabs = stores.map((store) => new AttemptPolicy({ now: clock.now, store }));
      let started = 0;
      const run = async (policy: AttemptPolicy) => {
        for (;;) {
          const t = await policy.begin('u');
          if (!t.allowed) {
            if (t.status.reason === 'attempt-in-progress') {
              await new Promise((r) => setTimeout(r, 1));
              continue;
            }
            return t.status;
          }
          started++;
          await new Promise((r) => setTimeout(r, Math.floor(rand() * 3)));
          await policy.record('u', 'fail', t.attemptId);
        }
      };
      const [a, b] = await Promise.all(tabs.map(run));
      expect(started).toBe(5);
      expect(a.state).toBe('locked');
      expect(b.state).toBe('locked');
      const stored = JSON.parse(storage.getItem('livecheck:attempts:u') as string);
      expect(stored.r.failures).toHaveLength(5);
      expect(stores[0].conflicts + stores[1].conflicts).toBeGreaterThan(0); // the tabs really collided
    }
  });

  it('two tabs recording failures at once lose none of them', async () => {
    const clock = new FakeClock();
    const storage = new FakeStorage();
    const rand = mulberry32(42);
    const tabs = [0, 1].map(() => new AttemptPolicy({ now: clock.now, store: new JitteryStore(new WebStorageAttemptStore(storage, { locks: null }), rand) }));
    await Promise.all(tabs.map((p) => fail(p, 'u', 6)));
    const s = await tabs[0].check('u');
    expect(s.failuresInWindow.daily).toBe(12);
    expect(s).toMatchObject({ state: 'locked', lockTier: 'daily' });
  });

  it('the concurrency test can fail: a store without compare-and-set loses updates', async () => {
    // Both tabs read before either writes; a store that ignores the version lets the second write erase the first.
    const rows = new Map<string, VersionedAttemptRecord>();
    let readers = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((r) => (release = r));
    const careless: AttemptStore = {
      async read(subject) {
        const v = rows.get(subject) ?? null;
        if (++readers === 2) release();
        await bothRead;
        return v && structuredClone(v);
      },
      async compareAndSet(subject, _expected, record) {
        rows.set(subject, { version: (rows.get(subject)?.version ?? 0) + 1, record: structuredClone(record) });
        return true;
      },
    };
    const tabs = [0, 1].map(() => new AttemptPolicy({ store: careless }));
    await Promise.all(tabs.map((p) => p.record('u', 'fail')));
    expect((await tabs[0].check('u')).failuresInWindow.short).toBe(1);
    // The real stores keep both under the same interleaving.
    const storage = new FakeStorage();
    let readers2 = 0;
    let release2!: () => void;
    const bothRead2 = new Promise<void>((r) => (release2 = r));
    const real = new WebStorageAttemptStore(storage, { locks: null });
    const gated: AttemptStore = {
      async read(subject) {
        const v = await real.read(subject);
        if (++readers2 === 2) release2();
        await bothRead2;
        return v;
      },
      compareAndSet: (s, e, r) => real.compareAndSet(s, e, r),
    };
    const tabs2 = [0, 1].map(() => new AttemptPolicy({ store: gated }));
    await Promise.all(tabs2.map((p) => p.record('u', 'fail')));
    expect((await tabs2[0].check('u')).failuresInWindow.short).toBe(2);
  });

  it('serialises tabs through navigator.locks when given one', async () => {
    // A minimal exclusive lock manager: one holder per name, FIFO.
    const queues = new Map<string, Promise<unknown>>();
    let requests = 0;
    const locks: LockManagerLike = {
      request<T>(name: string, cb: () => Promise<T>): Promise<T> {
        requests++;
        const prev = queues.get(name) ?? Promise.resolve();
        const next = prev.then(cb, cb);
        queues.set(
          name,
          next.catch(() => undefined),
        );
        return next;
      },
    };
    const storage = new FakeStorage();
    const rand = mulberry32(7);
    const stores = [0, 1].map(() => new JitteryStore(new WebStorageAttemptStore(storage, { locks }), rand));
    for (const s of stores) (s as AttemptStore).exclusive = (subject, fn) => locks.request(subject, fn);
    const tabs = stores.map((store) => new AttemptPolicy({ store }));
    await Promise.all(tabs.map((p) => fail(p, 'u', 4)));
    expect((await tabs[1].check('u')).failuresInWindow.short).toBe(8);
    expect(stores[0].conflicts + stores[1].conflicts).toBe(0);
    expect(requests).toBe(8);
  });

  it('uses the lock manager of a WebStorageAttemptStore for the whole read-modify-write', async () => {
    const names: string[] = [];
    const locks: LockManagerLike = { request: (name, cb) => (names.push(name), cb()) };
    const policy = new AttemptPolicy({ store: new WebStorageAttemptStore(new FakeStorage(), { locks, prefix: 'x:' }) });
    await policy.record('u', 'fail');
    await policy.check('u');
    expect(names).toEqual(['x:u']);
  });

  it('reports unreadable storage as storage-failed', async () => {
    const storage = new FakeStorage();
    storage.setItem('livecheck:attempts:u', '{not json');
    const policy = new AttemptPolicy({ store: new WebStorageAttemptStore(storage, { locks: null }) });
    const err = await policy.check('u').catch((e: unknown) => e);
    expect(isLivecheckError(err, 'storage-failed')).toBe(true);
    const full: StorageLike = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const err2 = await new AttemptPolicy({ store: new WebStorageAttemptStore(full, { locks: null }) }).record('u', 'fail').catch((e: unknown) => e);
    expect(isLivecheckError(err2, 'storage-failed')).toBe(true);
  });

  it('gives up with storage-failed when every write conflicts', async () => {
    const always: AttemptStore = { read: async () => null, compareAndSet: async () => false };
    const err = await new AttemptPolicy({ store: always, maxWriteRetries: 3 }).record('u', 'fail').catch((e: unknown) => e);
    expect(isLivecheckError(err, 'storage-failed')).toBe(true);
  });
});

// Session and attempt stores in Redis, for several server processes sharing one state. Each entry is a hash
// { v: version, r: record JSON }; the only write is a compare-and-set in one Lua script, so a nonce is consumed once
// and no failure is lost, whichever process writes. Commands fail at once while Redis is unreachable (no offline
// queue): the service answers 503 and the client reconnects in the background.
import { createClient } from 'redis';
import { LivecheckError } from '../errors.js';
import type { AttemptRecord, AttemptStore, VersionedAttemptRecord } from '../policy/store.js';
import type { SessionRecord, SessionStore, VersionedSession } from '../service/sessions.js';

const CAS = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'r', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
return 1
`;

/** Attempt histories live this long after their last write (the policy itself forgets after 7 days). */
const ATTEMPT_TTL_MS = 30 * 24 * 3600_000;

export interface RedisStoresOptions {
  /** `redis://host:port` (with `redis://user:password@...` or `rediss://` as Redis takes them). */
  url: string;
  /** Key prefix. Default `livecheck:`. */
  prefix?: string;
  /** Give up connecting after this long, ms. Default 5000. */
  connectTimeoutMs?: number;
}

export interface RedisStores {
  sessions: SessionStore;
  attempts: AttemptStore;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** Connects to Redis (throws `service-busy` when it cannot) and returns both stores on one connection. */
export async function connectRedisStores(options: RedisStoresOptions): Promise<RedisStores> {
  const prefix = options.prefix ?? 'livecheck:';
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: options.connectTimeoutMs ?? 5000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000) },
  });
  // a lost connection surfaces as failed commands (503); the client keeps reconnecting
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    await client.destroy();
    throw new LivecheckError('service-busy', `cannot connect to Redis at ${redactUrl(options.url)}`, {}, { cause });
  }
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (cause) {
      throw new LivecheckError('service-busy', `the session store is unreachable (${what})`, {}, { cause });
    }
  };
  const read = async <R>(key: string): Promise<{ version: number; record: R } | null> => {
    const [v, r] = await call('read', () => client.hmGet(key, ['v', 'r']));
    if (v === null || r === null) return null;
    return { version: Number(v), record: JSON.parse(r) as R };
  };
  const cas = async (key: string, expected: number, record: unknown, ttlMs: number): Promise<boolean> => {
    const ok = await call('write', () => client.eval(CAS, { keys: [key], arguments: [String(expected), JSON.stringify(record), String(Math.max(0, Math.ceil(ttlMs)))] }));
    return ok === 1;
  };
  const sessions: SessionStore = {
    read: (id) => read<SessionRecord>(`${prefix}session:${id}`) as Promise<VersionedSession | null>,
    compareAndSet: (id, expected, record, ttlMs) => cas(`${prefix}session:${id}`, expected, record, Math.max(1, ttlMs)),
    delete: async (id) => (await call('delete', () => client.del(`${prefix}session:${id}`))) > 0,
  };
  const attempts: AttemptStore = {
    read: (subject) => read<AttemptRecord>(`${prefix}attempts:${subject}`) as Promise<VersionedAttemptRecord | null>,
    compareAndSet: (subject, expected, record) => cas(`${prefix}attempts:${subject}`, expected, record, ATTEMPT_TTL_MS),
  };
  return {
    sessions,
    attempts,
    async close() {
      await client.close().catch(() => client.destroy());
    },
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

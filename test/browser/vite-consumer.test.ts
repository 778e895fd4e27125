// The package as a frontend team gets it: `npm pack` the library, install the tarball and Vite (from the npm
// registry) into a tiny app, `vite build` it, serve the build with COOP/COEP and the strict CSP, and run it in Debian
// Chromium with a real face clip as the fake camera. The app copies the runtime assets out of the installed package
// the way the README tells consumers to. The consumer's node_modules is cached in .cache/vite-consumer, so only the
// first run downloads (vite, onnxruntime-web); later runs reinstall the fresh tarball alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeVideo, writeY4m } from '../../src/node/media.js';
import { data, repoRoot, requireData } from '../helpers/data.js';
// @ts-expect-error plain .mjs tool without types
import { startServer } from '../../tools/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const app = join(repoRoot, '.cache', 'vite-consumer');
const rootPkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

/** The runtime assets a self-hosting app serves: what `assets.baseUrl` points at (README, "Using it with a bundler"). */
// iris-worker.js: the pipelined Iris worker, which worker.js starts from the asset folder; nn.simd.wasm: FaceMesh and
// Iris on livecheck's own kernels
const RUNTIME_ASSETS = ['dist/kernels.simd.wasm', 'dist/kernels.scalar.wasm', 'dist/nn.simd.wasm', 'dist/ort-wasm-simd-threaded.wasm', 'dist/ort-wasm-simd-threaded.mjs', 'dist/iris-worker.js'];
// facerec.onnx: the identity check (createLivenessCheck's `identity`, on by default) fetches it from the model folder
const BROWSER_MODELS = ['models/blazeface.onnx', 'models/blazeface-back.onnx', 'models/facemesh.onnx', 'models/iris.onnx', 'models/facerec.onnx'];

const APP_MAIN = `// A consumer's page: the camera, createLivenessCheck with self-hosted assets, and the events.
import { createLivenessCheck, openCamera } from 'livecheck';

const seen = { state: 'loading', frames: 0, faceFrames: 0, guidance: 0, guidanceCodes: [], challenge: [], errors: [], info: null };
window.consumer = seen;

try {
  const cam = await openCamera({ width: 640, height: 480 });
  const video = document.querySelector('video');
  video.srcObject = cam.stream;
  await video.play();
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  const check = await createLivenessCheck({
    assets: { baseUrl: '/livecheck/' },
    // 2 threads (not the 2-core default of 1): ORT's pthreads must start from the self-hosted loader in a Vite build
    numThreads: 2,
    challenge: { nonce, actions: 'random', count: 2 },
  });
  seen.info = check.stats().info;
  check.addEventListener('guidance', (e) => { seen.guidance++; seen.guidanceCodes.push(...e.detail.raised); });
  check.addEventListener('challenge', (e) => seen.challenge.push(e.detail.type));
  check.addEventListener('frame', (e) => { seen.frames++; if (e.detail.face) seen.faceFrames++; });
  check.addEventListener('error', (e) => seen.errors.push(e.detail.code));
  seen.state = 'running';
  await check.start(video);
  seen.state = 'done';
} catch (e) {
  seen.errors.push(e.code ?? String(e));
  seen.state = 'error';
}
`;

const APP_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>livecheck consumer</title></head>
<body><video muted playsinline></video><script type="module" src="/main.js"></script></body></html>
`;

// Copies the runtime assets out of the installed package into public/livecheck/ (Vite copies public/ verbatim).
const APP_COPY_ASSETS = `import { cpSync, mkdirSync } from 'node:fs';
const pkg = 'node_modules/livecheck/';
mkdirSync('public/livecheck/models', { recursive: true });
for (const f of ${JSON.stringify(RUNTIME_ASSETS)}) cpSync(pkg + f, 'public/livecheck/' + f.split('/').pop());
for (const f of ${JSON.stringify(BROWSER_MODELS)}) cpSync(pkg + f, 'public/livecheck/' + f);
`;

interface PackFile {
  path: string;
  size: number;
}
interface Seen {
  state: string;
  frames: number;
  faceFrames: number;
  guidance: number;
  guidanceCodes: string[];
  challenge: string[];
  errors: string[];
  info: { simd: boolean; threads: number; crossOriginIsolated: boolean } | null;
}

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

let packFiles: PackFile[];
let viteOutput: string;
let tmp: string;
let server: Server;
let origin: string;
const requests: Array<{ path: string; status: number }> = [];

beforeAll(async () => {
  requireData(data.cap13Mp4);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  for (const f of ['build/kernels.simd.wasm', 'build/kernels.scalar.wasm', 'build/nn.simd.wasm', ...BROWSER_MODELS]) {
    if (!existsSync(join(repoRoot, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  // the package as built from the current sources (rollup; the .d.ts come from `npm run build:js`)
  run(process.execPath, [join(repoRoot, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c', '--silent'], repoRoot);
  mkdirSync(join(app, 'src'), { recursive: true });
  for (const f of readdirSync(app)) if (f.endsWith('.tgz')) rmSync(join(app, f));
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', app], repoRoot)) as Array<{ filename: string; files: PackFile[] }>;
  packFiles = packed[0].files;
  renameSync(join(app, packed[0].filename), join(app, 'livecheck.tgz'));

  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'livecheck-vite-consumer',
        private: true,
        type: 'module',
        scripts: { build: 'node copy-assets.mjs && vite build' },
        dependencies: { livecheck: 'file:./livecheck.tgz', vite: rootPkg.devDependencies.vite },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(app, 'index.html'), APP_HTML);
  writeFileSync(join(app, 'main.js'), APP_MAIN);
  writeFileSync(join(app, 'copy-assets.mjs'), APP_COPY_ASSETS);
  // the cached install keeps vite and livecheck's dependencies; the tarball changes every run, so it goes in afresh
  rmSync(join(app, 'node_modules', 'livecheck'), { recursive: true, force: true });
  rmSync(join(app, 'package-lock.json'), { force: true });
  rmSync(join(app, 'public'), { recursive: true, force: true });
  rmSync(join(app, 'dist'), { recursive: true, force: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  expect(JSON.parse(readFileSync(join(app, 'node_modules', 'livecheck', 'package.json'), 'utf8')).version).toBe(rootPkg.version);
  run(process.execPath, ['copy-assets.mjs'], app);
  viteOutput = run(process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], app);

  tmp = mkdtempSync(join(tmpdir(), 'livecheck-vite-'));
  server = await startServer({ port: 0, staticDir: join(app, 'dist'), onRequest: (path: string, status: number) => requests.push({ path, status }) });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships exactly what a consumer needs, and each model once', () => {
    const paths = packFiles.map((f) => f.path);
    // what a consumer needs
    for (const p of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/livecheck.mjs',
      'dist/index.js',
      'dist/worker.js',
      'dist/server.js',
      'dist/node.js',
      'dist/cli.js',
      'dist/types/index.d.ts',
      'dist/types/server/index.d.ts',
      ...RUNTIME_ASSETS,
      ...BROWSER_MODELS,
      'models/blazeface-back.onnx',
      'models/facerec.onnx',
      'models/README.md',
    ]) {
      expect(paths, p).toContain(p);
    }
    // and nothing else: built JS, declarations, the runtime assets, the models and their provenance
    const allowed = [
      /^(package\.json|README\.md|LICENSE|bin\/livecheck\.mjs)$/,
      /^dist\/[\w-]+\.js$/,
      /^dist\/chunks\/[\w-]+\.js$/,
      /^dist\/types\/.+\.d\.ts$/,
      /^dist\/(kernels\.(simd|scalar)\.wasm|nn\.simd\.wasm|ort-wasm-simd-threaded\.(wasm|mjs))$/,
      /^models\/(blazeface|blazeface-back|facemesh|iris|facerec)\.onnx$/,
      /^models\/(README\.md|manifest\.json)$/,
    ];
    expect(paths.filter((p) => !allowed.some((r) => r.test(p)))).toEqual([]);
    // no source maps, no second copy of the models in dist/, no unused (licence-unverified) models
    const onnx = paths.filter((p) => p.endsWith('.onnx')).map((p) => p.split('/').pop());
    expect(new Set(onnx).size).toBe(onnx.length);
    expect(paths.some((p) => /antispoof|liveness\.onnx|\.map$|^src\/|^test\/|^dist\/dev\//.test(p))).toBe(false);
    // 0.2.0: no quality-kernels entry (internal now)
    expect(paths).not.toContain('dist/kernels.js');
    // no stale chunk of an earlier build: every packed chunk is imported by another packed file
    const js = paths.filter((p) => p.startsWith('dist/') && p.endsWith('.js')).map((p) => ({ p, text: readFileSync(join(repoRoot, p), 'utf8') }));
    const orphans = js.filter(({ p }) => p.startsWith('dist/chunks/') && !js.some((o) => o.p !== p && o.text.includes(p.split('/').pop()!)));
    expect(orphans.map((o) => o.p)).toEqual([]);
  });
});

describe('a Vite app that installs the packed tarball', () => {
  it('builds: Vite bundles the worker from dist/ and leaves the self-hosted assets to public/', () => {
    const built = readdirSync(join(app, 'dist', 'assets'));
    // the worker module was found through `new URL('./worker.js', import.meta.url)` and emitted as its own chunk
    expect(
      built.some((f) => /^worker-[\w-]+\.js$/.test(f)),
      `${built.join(', ')}\n${viteOutput}`,
    ).toBe(true);
    for (const f of [...RUNTIME_ASSETS, ...BROWSER_MODELS]) expect(existsSync(join(app, 'dist', 'livecheck', f.replace(/^dist\//, ''))), f).toBe(true);
    // Vite did not pull onnxruntime-web's default (WebGPU/JSEP, 28 MB) build into the app
    const big = built.filter((f) => f.endsWith('.wasm'));
    expect(big).toEqual([]);
  });

  it('runs in Chromium under COOP/COEP and the strict CSP: a real face from the fake camera, guidance and a challenge prompt', async () => {
    const clip = join(tmp, 'cap13.y4m');
    await writeY4m(clip, decodeVideo(data.cap13Mp4, { width: 640, height: 480, fps: 30, maxFrames: 90 }), 30);
    const context = await chromium.launchPersistentContext(mkdtempSync(join(tmp, 'profile-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--autoplay-policy=no-user-gesture-required',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${clip}`,
      ],
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused/i.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.goto(`${origin}/`);
      const read = () => page.evaluate(() => (window as unknown as { consumer?: Seen }).consumer ?? null);
      let s = await read();
      const end = Date.now() + 90_000;
      while (!(s && (s.state === 'error' || (s.frames >= 15 && s.challenge.length >= 1))) && Date.now() < end) {
        await page.waitForTimeout(250);
        s = await read();
      }
      expect(s, 'the app never started').not.toBeNull();
      expect(s!.errors, JSON.stringify(s)).toEqual([]);
      expect(s!.info).toEqual({ simd: true, threads: 2, crossOriginIsolated: true, landmarkRuntime: 'livecheck', irisWorker: true });
      expect(s!.frames).toBeGreaterThanOrEqual(15);
      // cap13 shows one face throughout
      expect(s!.faceFrames / s!.frames, JSON.stringify(s)).toBeGreaterThan(0.8);
      expect(s!.guidance).toBeGreaterThanOrEqual(1);
      expect(s!.challenge[0]).toBe('prompt');
      expect(problems).toEqual([]);
      // every asset came from the app's own origin and folders; nothing was missing
      expect(requests.filter((r) => r.status >= 400)).toEqual([]);
      const paths = requests.map((r) => r.path);
      expect(
        paths.some((p) => /^\/assets\/worker-[\w-]+\.js$/.test(p)),
        paths.join(', '),
      ).toBe(true);
      for (const f of [
        '/livecheck/models/blazeface-back.onnx',
        '/livecheck/models/facemesh.onnx',
        '/livecheck/models/iris.onnx',
        '/livecheck/kernels.simd.wasm',
        '/livecheck/nn.simd.wasm',
        '/livecheck/ort-wasm-simd-threaded.wasm',
        '/livecheck/iris-worker.js',
      ])
        expect(paths).toContain(f);
    } finally {
      await context.close();
    }
  }, 180_000);
});

// The kernel wrapper bundled for the browser (esbuild, no Node built-ins) runs in a module Worker of headless Debian
// Chromium, picks the SIMD build by feature detection, and gives bit-identical results to Node on a real frame pair.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decodeVideo } from '../../src/node/media.js';
import { kernelBuildDir } from '../../src/node/kernels.js';
import { data, repoRoot, requireData } from '../helpers/data.js';
import { bothBuilds } from '../quality/helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const WORKER = `
import { createKernels } from '/kernels.js';
self.onmessage = async ({ data: { count, width, height, face } }) => {
  try {
    const all = new Uint8Array(await (await fetch('/frames.bin')).arrayBuffer());
    const size = width * height * 4;
    const frames = Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
    const [simd, scalar] = await Promise.all(['simd', 'scalar'].map(async (b) => new Uint8Array(await (await fetch('/kernels.' + b + '.wasm')).arrayBuffer())));
    const k = await createKernels({ wasm: { simd, scalar } });
    const results = frames.map((f) => structuredClone(k.qualityPass(f, width, height, face)));
    self.postMessage({ simd: k.simd, results });
  } catch (e) {
    self.postMessage({ error: String(e) + ' ' + (e && e.code) });
  }
};`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>livecheck kernels</title>
<script type="module">
  window.runKernels = (msg) => new Promise((resolve) => {
    const w = new Worker('/worker.js', { type: 'module' });
    w.onmessage = (e) => { resolve(e.data); w.terminate(); };
    w.onerror = (e) => resolve({ error: e.message });
    w.postMessage(msg);
  });
  window.ready = true;
</script>`;

let server: Server;
let browser: Browser;
let base: string;
let bundle: string;
let framesBin: Uint8Array = new Uint8Array(0);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const out = await build({
    entryPoints: [join(repoRoot, 'src', 'quality', 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'error',
  });
  bundle = out.outputFiles[0].text;
  const wasmDir = kernelBuildDir();
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const js = { 'content-type': 'text/javascript' };
    if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    else if (path === '/worker.js') res.writeHead(200, js).end(WORKER);
    else if (path === '/kernels.js') res.writeHead(200, js).end(bundle);
    else if (path === '/frames.bin') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(framesBin);
    else if (path === '/kernels.simd.wasm' || path === '/kernels.scalar.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end(readFileSync(join(wasmDir, path.slice(1))));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

test('the browser bundle has no Node built-ins', () => {
  expect(bundle).not.toMatch(/\bnode:|require\(/);
});

test('quality pass in a module Worker equals Node, SIMD chosen by detection', async () => {
  requireData(data.cap13Mp4);
  const frames: Uint8Array[] = [];
  for await (const f of decodeVideo(data.cap13Mp4, { startMs: 5000, maxFrames: 3 })) frames.push(f.data);
  const face = { x: 145, y: 88, width: 112, height: 158 };
  framesBin = new Uint8Array(frames.length * frames[0].length);
  frames.forEach((f, i) => framesBin.set(f, i * f.length));
  const node = (await bothBuilds()).simd;
  const expected = frames.map((f) => structuredClone(node.qualityPass(f, 400, 300, face)));
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  const got = (await page.evaluate((msg) => (window as unknown as { runKernels: (m: unknown) => Promise<unknown> }).runKernels(msg), { count: frames.length, width: 400, height: 300, face })) as {
    simd?: boolean;
    results?: unknown[];
    error?: string;
  };
  await page.close();
  expect(got.error).toBeUndefined();
  expect(got.simd).toBe(true);
  // page.evaluate serialises NaN as null, so compare through JSON on both sides
  expect(JSON.parse(JSON.stringify(got.results))).toEqual(JSON.parse(JSON.stringify(expected)));
  expect(expected[2].motion).not.toBeNull();
});

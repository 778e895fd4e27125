// The shipped models in onnxruntime-web inside headless Debian Chromium (playwright-core) give the same outputs as
// onnxruntime-web in Node on the same inputs (seeded random and real face crops). Node's results are themselves
// checked against tfjs in fidelity.test.ts, so this closes the chain tfjs -> Node -> browser.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MODELS } from '../../tools/convert/models.js';
import { repoRoot } from '../helpers/data.js';
import { maxAbsDiff, ortSession, realFaceCases, runOrt, seededUniform, shippedModel } from '../models/harness.js';
import type { Case } from '../models/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ortDist = join(repoRoot, 'node_modules', 'onnxruntime-web', 'dist');

// The page imports the wasm-only ORT build (not the 28 MB WebGPU one) and exposes one runner.
const PAGE = `<!doctype html><meta charset="utf-8"><title>livecheck model fidelity</title>
<script type="module">
  import * as ort from '/ort/ort.wasm.min.mjs';
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  window.runModel = async (model, inputs, shape) => {
    const bytes = new Uint8Array(await (await fetch('/models/' + model + '.onnx')).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const results = [];
    for (const x of inputs) {
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), shape) });
      const r = {};
      for (const k of session.outputNames) r[k] = Array.from(out[k].data);
      results.push(r);
    }
    await session.release();
    return results;
  };
  window.ready = true;
</script>`;

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream' };

let server: Server;
let browser: Browser;
let page: Page;
let base: string;
let realCases: Map<string, Case[]>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  realCases = await realFaceCases(shippedModel('blazeface-back'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file: string | undefined;
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    if (url.pathname.startsWith('/ort/')) file = join(ortDist, normalize(url.pathname.slice(5)).replace(/^(\.\.[/\\])+/, ''));
    if (url.pathname.startsWith('/models/')) file = join(repoRoot, 'models', normalize(url.pathname.slice(8)).replace(/^(\.\.[/\\])+/, ''));
    if (!file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base);
  await page
    .waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 30_000 })
    .catch(() => {
      throw new Error(`test page did not load onnxruntime-web: ${errors.join('; ')}`);
    });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe.each(MODELS.map((m) => [m.name, m] as const))('%s in Chromium', (name, spec) => {
  test('same outputs as onnxruntime-web in Node', async () => {
    const bytes = shippedModel(name);
    const node = await ortSession(bytes);
    const meta = node.inputMetadata[0];
    // a dynamic batch (iris) is named, not numbered: run batch 1
    const shape = (meta.isTensor ? meta.shape : []).map((d) => (typeof d === 'number' ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    const cases = [{ label: 'seeded uniform', input: seededUniform(7 + n, n, spec.inputRange[0], spec.inputRange[1]) }, ...realCases.get(name)!];
    const inBrowser = (await page.evaluate(({ model, inputs, dims }) => (window as unknown as { runModel: (m: string, x: number[][], s: number[]) => unknown }).runModel(model, inputs, dims), {
      model: name,
      inputs: cases.map((c) => Array.from(c.input)),
      dims: shape,
    })) as Record<string, number[]>[];
    let worst = 0;
    for (let i = 0; i < cases.length; i++) {
      const inNode = await runOrt(node, cases[i].input, shape);
      expect(Object.keys(inBrowser[i]).sort(), cases[i].label).toEqual(Object.keys(inNode).sort());
      for (const k of Object.keys(inNode)) {
        const d = maxAbsDiff(inNode[k], inBrowser[i][k]);
        worst = Math.max(worst, d);
        // Same wasm build, one thread, same bytes in: the results must be identical, not just close.
        expect(d, `${cases[i].label} ${k}`).toBe(0);
      }
    }
    await node.release();
    console.log(`${name}: Chromium vs Node max abs diff ${worst} over ${cases.length} inputs`);
  }, 120_000);
});

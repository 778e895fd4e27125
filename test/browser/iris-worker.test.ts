// The pipelined worker in Debian Chromium (the shipped bundle): Iris in the iris worker, two frames in flight, gives
// the same landmarks, guidance and eye contours-driven results as the in-worker Iris on the same real frames, in
// frame order; and an iris worker that dies (uncaught exception, or a silent self.close()) costs no frame: the main
// worker reports it once (irisWorkerError) and runs Iris itself, with the same points, no hang.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeVideo } from '../../src/node/media.js';
import { requireModels } from '../face/engine.js';
import { data, repoRoot, requireData } from '../helpers/data.js';
// @ts-expect-error plain .mjs tool without types
import { startServer } from '../../tools/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FRAMES = 40;
const frames: Array<{ data: Buffer; t: number }> = [];
let width = 0,
  height = 0;
let server: Server, context: BrowserContext, page: Page, origin: string, tmp: string;
const pageErrors: string[] = [];

interface Rec {
  t: number;
  points: number[] | null;
  codes: string[];
  iris: string | null;
  irisError: string | null;
  hasContourPoints: boolean;
}
interface Run {
  frames: Rec[];
  errors: string[];
  depth: number;
  landmarkRuntime: string;
}

/**
 * The frames through check.analyzeFrame, `pairs`: two at a time (both in flight). `crash`: after frame `at`, the
 * test hook kills the iris worker ('throw' | 'close').
 */
function runPage(arg: { irisWorker: boolean; pairs: boolean; crash?: { at: number; mode: 'throw' | 'close' }; landmarkRuntime?: 'livecheck' | 'onnxruntime' }): Promise<Run> {
  return page.evaluate(`(async () => {
    const arg = ${JSON.stringify({ ...arg, n: FRAMES, width, height, timestamps: frames.map((f) => f.t) })};
    const lib = await import('/dist/index.js');
    const check = await lib.createLivenessCheck({ challenge: null, numThreads: 1, irisWorker: arg.irisWorker, landmarkRuntime: arg.landmarkRuntime,
      assets: { workerUrl: new URL('/dist/dev/worker.js', location.href).href } });
    const errors = [];
    check.addEventListener('error', (e) => errors.push(e.detail.code));
    const bytes = [];
    for (let i = 0; i < arg.n; i++) bytes.push(new Uint8Array(await (await fetch('/__iris/frame/' + i)).arrayBuffer()));
    const rec = (d) => ({ t: d.timestampMs, points: d.points ? Array.from(d.points) : null, codes: d.guidance.issues.map((x) => x.code),
      iris: d.profile ? d.profile.iris : null, irisError: d.irisWorkerError ? d.irisWorkerError.code : null, hasContourPoints: !!d.points && d.points.length === 956 });
    const send = (i) => { const buffer = new ArrayBuffer(bytes[i].byteLength); new Uint8Array(buffer).set(bytes[i]); return check.analyzeFrame({ width: arg.width, height: arg.height, buffer }, arg.timestamps[i]); };
    const out = [];
    const depth = await check.remote.depth();
    const landmarkRuntime = check.stats().info.landmarkRuntime;
    for (let i = 0; i < arg.n; i += arg.pairs ? 2 : 1) {
      // the crash lands between frames (none in flight), so its report cannot depend on how fast the frames after it go
      if (arg.crash && i === arg.crash.at) { check.worker.postMessage({ type: 'livecheck:test-crash', mode: arg.crash.mode, target: 'iris' }); await new Promise((r) => setTimeout(r, 300)); }
      const batch = arg.pairs && i + 1 < arg.n ? [send(i), send(i + 1)] : [send(i)];
      for (const d of await Promise.all(batch)) out.push(rec(d));
    }
    await check.close();
    return { frames: out, errors, depth, landmarkRuntime };
  })()`) as Promise<Run>;
}

beforeAll(async () => {
  requireModels();
  requireData(data.cap12Mp4);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c', '--silent'], { cwd: repoRoot, stdio: 'pipe' });
  // cap12: a real webcam clip, talking with blinks and closed eyes
  for await (const f of decodeVideo(data.cap12Mp4, { maxFrames: FRAMES })) {
    frames.push({ data: Buffer.from(f.data), t: f.timestampMs });
    width = f.width;
    height = f.height;
  }
  server = await startServer({ port: 0 });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-iris-'));
  context = await chromium.launchPersistentContext(tmp, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.route(`${origin}/__iris/frame/*`, (route) => {
    const i = Number(new URL(route.request().url()).pathname.split('/').pop());
    return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: frames[i].data });
  });
  await page.goto(`${origin}/demo/`);
}, 300_000);

afterAll(async () => {
  await context?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const maxDistance = (a: number[], b: number[]) => {
  let m = 0;
  for (let i = 0; i < a.length; i += 2) m = Math.max(m, Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]));
  return m;
};

function expectSameFrames(got: Rec[], ref: Rec[]): void {
  expect(got.map((f) => f.t)).toEqual(ref.map((f) => f.t)); // every frame, in frame order
  got.forEach((f, i) => {
    expect(f.codes, `frame ${i}`).toEqual(ref[i].codes);
    expect(!!f.points, `frame ${i}`).toBe(!!ref[i].points);
    // 468 mesh + 10 iris points: same models, same inputs, one thread each side (the landmark runtimes differ by float
    // rounding only)
    if (f.points && ref[i].points) expect(maxDistance(f.points, ref[i].points!), `frame ${i}`).toBeLessThan(1e-3);
  });
}

describe('iris worker pipeline (Chromium)', () => {
  let inWorker: Run;

  it("the iris worker, two frames in flight, gives the in-worker path's points and guidance, in frame order", async () => {
    inWorker = await runPage({ irisWorker: false, pairs: false });
    expect(inWorker.depth).toBe(1);
    expect(inWorker.landmarkRuntime).toBe('livecheck');
    expect(inWorker.errors).toEqual([]);
    expect(inWorker.frames.every((f) => f.iris === 'local')).toBe(true);
    // the clip shows a face in every frame, with iris points
    expect(inWorker.frames.filter((f) => f.hasContourPoints)).toHaveLength(FRAMES);
    const piped = await runPage({ irisWorker: true, pairs: true });
    expect(piped.depth).toBe(2);
    expect(piped.errors).toEqual([]);
    expect(piped.frames.every((f) => f.iris === 'worker' && f.irisError === null)).toBe(true);
    expectSameFrames(piped.frames, inWorker.frames);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('landmarkRuntime: onnxruntime runs FaceMesh and Iris on onnxruntime-web, with the same points and guidance', async () => {
    const onOrt = await runPage({ irisWorker: false, pairs: false, landmarkRuntime: 'onnxruntime' });
    expect(onOrt.landmarkRuntime).toBe('onnxruntime');
    expect(onOrt.errors).toEqual([]);
    expect(onOrt.frames.filter((f) => f.hasContourPoints)).toHaveLength(FRAMES);
    // the two runtimes differ by float rounding (1e-4 px in Node): the same guidance on every frame
    expectSameFrames(onOrt.frames, inWorker.frames);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('an asset folder without nn.simd.wasm keeps onnxruntime: same points, no error', async () => {
    const missing = `${origin}/dist/nn.simd.wasm`;
    let refused = 0;
    await page.route(missing, (route) => {
      refused++;
      return route.fulfill({ status: 404, body: 'not here' });
    });
    try {
      const run = await runPage({ irisWorker: true, pairs: true });
      expect(refused).toBeGreaterThan(0); // the worker asked for it
      expect(run.landmarkRuntime).toBe('onnxruntime');
      expect(run.errors).toEqual([]);
      expect(run.frames.every((f) => f.iris === 'worker' && f.irisError === null)).toBe(true);
      expectSameFrames(run.frames, inWorker.frames);
    } finally {
      await page.unroute(missing);
    }
  }, 300_000);

  for (const [mode, code] of [
    ['throw', 'worker-crashed'],
    ['close', 'worker-timeout'],
  ] as const) {
    it(`an iris worker that dies (${mode}) is reported once as ${code}; the main worker runs Iris, no frame lost`, async () => {
      const at = 10;
      const t0 = Date.now();
      const r = await runPage({ irisWorker: true, pairs: true, crash: { at, mode } });
      expect(r.errors).toEqual([]);
      expect(r.frames).toHaveLength(FRAMES);
      const reported = r.frames.filter((f) => f.irisError !== null);
      expect(reported.map((f) => f.irisError)).toEqual([code]);
      // before the crash the iris worker ran Iris, from the report on this worker did
      expect(r.frames.slice(0, at).every((f) => f.iris === 'worker')).toBe(true);
      const first = r.frames.findIndex((f) => f.irisError !== null);
      expect(first).toBeGreaterThanOrEqual(at);
      expect(r.frames.slice(first + 1).every((f) => f.iris === 'local')).toBe(true);
      expectSameFrames(r.frames, inWorker.frames);
      // a silent worker costs one timeout (3 s), not a hang
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(pageErrors).toEqual([]);
    }, 300_000);
  }
});

// The demo page in Debian Chromium, end to end through the bundle (dist/index.js + dist/worker.js) served by
// tools/serve.mjs with COOP/COEP and the strict CSP, with the verification service in the same process as `npm start`
// runs it: a real face clip as the fake camera, the sample clip with no camera (its evidence uploaded and the server's
// verdict shown), a denied camera and a missing model folder. Screenshots of each state go to test-results/browser/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeVideo, writeY4m } from '../../src/node/media.js';
import { data, repoRoot, requireData } from '../helpers/data.js';
// @ts-expect-error plain .mjs tool without types
import { ensureSample, startServer, startVerification } from '../../tools/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'];
const shots = join(repoRoot, 'test-results', 'browser');

interface DemoState {
  state: string;
  events: Record<'guidance' | 'challenge' | 'frame' | 'result' | 'error', number>;
  faceFrames: number;
  errors: string[];
  challengeTypes: string[];
  info: { simd: boolean; threads: number; crossOriginIsolated: boolean; landmarkRuntime: string } | null;
  stats: { framesAnalyzed: number; framesDropped: number; fpsAnalyzed: number; workerMsP50: number; mainMsP50: number } | null;
  server: { state: string; verdict?: string } | null;
}

let tmp: string;
let server: Server;
let verification: { listener: unknown; close(): Promise<void> };
const requests: Array<[string, number]> = [];
let origin: string;
let clip: string;

async function launch(args: string[]): Promise<{ context: BrowserContext; page: Page; cspViolations: string[]; pageErrors: string[] }> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmp, 'profile-')), { executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, ...args] });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  return { context, page, cspViolations, pageErrors };
}

const demoState = (page: Page) => page.evaluate(() => (window as unknown as { livecheckDemo: DemoState }).livecheckDemo);

async function waitFor(page: Page, pred: (s: DemoState) => boolean, timeoutMs: number): Promise<DemoState> {
  const end = Date.now() + timeoutMs;
  let s = await demoState(page);
  while (!pred(s) && Date.now() < end) {
    await page.waitForTimeout(250);
    s = await demoState(page);
  }
  return s;
}

beforeAll(async () => {
  requireData(data.cap13Mp4);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  // the test is of the shipped bundle: build it from the current sources (the kernels and models must exist)
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c', '--silent'], { cwd: repoRoot, stdio: 'pipe' });
  expect(ensureSample()).toBeTruthy();
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-demo-'));
  mkdirSync(shots, { recursive: true });
  // 4 s of cap13 (a real webcam clip) at 640x480 / 30 fps as the fake camera; it loops
  clip = join(tmp, 'cap13.y4m');
  await writeY4m(clip, decodeVideo(data.cap13Mp4, { width: 640, height: 480, fps: 30, maxFrames: 120 }), 30);
  verification = await startVerification();
  server = await startServer({ port: 0, verification: verification.listener, onRequest: (path: string, status: number) => requests.push([path, status]) });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await verification?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('demo page in Chromium (bundle + worker, COOP/COEP, strict CSP)', () => {
  it('runs a real face clip from the fake camera end to end in the worker', async () => {
    const { context, page, cspViolations, pageErrors } = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`]);
    try {
      // ?threads=2: the default is 1 on this 2-core machine; asking for 2 keeps ORT's pthreads under the strict CSP tested
      const response = await page.goto(`${origin}/demo/?camera&threads=2`);
      const csp = response!.headers()['content-security-policy'];
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(csp).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
      const s = await waitFor(page, (x) => x.state === 'error' || (x.events.frame >= 15 && x.events.challenge >= 1), 60_000);
      await page.screenshot({ path: join(shots, 'demo-camera-running.png') });
      expect(s.errors).toEqual([]);
      // isolated page: onnxruntime runs 2 threads (its pthreads start from ORT's own loader, not this worker)
      expect(s.info).toEqual({ simd: true, threads: 2, crossOriginIsolated: true, landmarkRuntime: 'livecheck', irisWorker: true });
      expect(s.events.frame).toBeGreaterThanOrEqual(15);
      // cap13 shows one face throughout: nearly every analysed frame finds it
      expect(s.faceFrames / s.events.frame, JSON.stringify(s)).toBeGreaterThan(0.8);
      expect(s.events.guidance).toBeGreaterThanOrEqual(1);
      expect(s.challengeTypes[0]).toBe('prompt');
      expect(await page.locator('#prompt').getAttribute('aria-live')).toBe('polite');
      expect(await page.locator('#prompt').textContent()).not.toBe('Press start.');
      expect(await page.locator('#steps li').count()).toBe(2);
      expect(cspViolations).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('plays the sample clip with no camera (?sample), reaches a verdict when stopped from the keyboard, and reports a missing model folder and a dead worker', async () => {
    const { context, page, cspViolations, pageErrors } = await launch([]);
    const from = requests.length;
    try {
      await page.goto(`${origin}/demo/?sample`);
      let s = await waitFor(page, (x) => x.state === 'error' || x.state === 'done' || x.events.frame >= 15, 60_000);
      await page.screenshot({ path: join(shots, 'demo-sample-running.png') });
      expect(s.errors).toEqual([]);
      expect(s.events.frame).toBeGreaterThanOrEqual(15);
      expect(s.faceFrames, JSON.stringify(s)).toBeGreaterThan(0.8 * s.events.frame);
      // keyboard: focus Stop and press Enter; the page shows a verdict (from the attempt or from what was seen)
      if (s.state !== 'done') {
        await page.focus('#stop');
        await page.keyboard.press('Enter');
      }
      s = await waitFor(page, (x) => x.events.result >= 1 || x.state === 'error', 20_000);
      expect(s.events.result).toBe(1);
      expect(s.errors).toEqual([]);
      expect(s.state).toBe('done');
      const verdict = (await page.locator('#verdict').textContent())?.trim().toLowerCase();
      expect(['pass', 'fail', 'review']).toContain(verdict);
      expect(await page.locator('#reasons li').count()).toBeGreaterThan(0);
      // the capture went to the verification service, which decided from the video itself
      s = await waitFor(page, (x) => x.server?.state !== 'verifying…' && x.server?.state !== '–', 90_000);
      expect(s.server?.state, JSON.stringify(s.server)).toBe('done');
      expect(['pass', 'fail', 'review']).toContain(s.server?.verdict);
      expect((await page.locator('#server-verdict').textContent())?.trim().toLowerCase()).toBe(s.server?.verdict);
      expect(
        requests
          .slice(from)
          .filter(([p]) => p.startsWith('/v1/'))
          .map(([p, status]) => `${p.replace(/[A-Za-z0-9_-]{43}/, '{id}')} ${status}`),
      ).toEqual(['/v1/sessions 201', '/v1/sessions/{id}/evidence 200']);
      await page.screenshot({ path: join(shots, 'demo-verdict.png') });

      // an asset folder without models: a typed model-missing error, and the page does not hang in "loading"
      await page.goto(`${origin}/demo/?sample&assets=/dist/no-such-folder/`);
      s = await waitFor(page, (x) => x.state === 'error', 30_000);
      await page.screenshot({ path: join(shots, 'demo-model-missing.png') });
      expect(s.state).toBe('error');
      expect(s.errors).toEqual(['model-missing']);
      expect(await page.locator('#status').textContent()).toContain('model-missing');
      expect(await page.locator('#start-sample').isDisabled()).toBe(false);

      // a worker that cannot start (its script is missing): worker-crashed, not a hang
      // a string, so vitest does not rewrite the page's dynamic import
      const crash = await page.evaluate(`(async () => {
        const lib = await import('/dist/index.js');
        try {
          await lib.createLivenessCheck({ assets: { workerUrl: '/dist/no-such-worker.js' } });
          return { code: 'resolved' };
        } catch (e) {
          return { code: e.code, name: e.name };
        }
      })()`);
      expect(crash).toMatchObject({ code: 'worker-crashed', name: 'LivecheckError' });
      expect(cspViolations).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('reports a denied camera as a typed camera-denied error', async () => {
    const { context, page } = await launch(['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`, '--deny-permission-prompts']);
    try {
      await page.goto(`${origin}/demo/`);
      await page.focus('#start-camera');
      await page.keyboard.press('Enter');
      const s = await waitFor(page, (x) => x.state === 'error' || x.state === 'running', 30_000);
      await page.screenshot({ path: join(shots, 'demo-camera-denied.png') });
      expect(s.errors).toEqual(['camera-denied']);
      expect(await page.locator('#status').textContent()).toContain('camera-denied');
    } finally {
      await context.close();
    }
  }, 60_000);
});

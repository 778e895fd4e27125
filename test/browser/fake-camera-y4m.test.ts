// A y4m clip from writeY4m is a working camera for Debian's Chromium (--use-file-for-fake-video-capture): real
// getUserMedia, the clip's size and rate, and the picture we wrote.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, writeY4m } from '../../src/node/media.js';
import { data, requireData } from '../helpers/data.js';

const CHROMIUM = '/usr/bin/chromium';
const W = 512;
const H = 512;

let tmp: string;
let server: Server;
let origin: string;

beforeAll(async () => {
  requireData(data.astronaut);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium`);
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-fakecam-'));
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>fake camera</title><video autoplay muted playsinline></video><canvas></canvas>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('writeY4m output as a Chromium fake camera', () => {
  it('delivers the written picture at the written size through getUserMedia', async () => {
    // Left half: the astronaut photo; right half: flat mid-grey, so both content and level are checked.
    const photo = decodeImage(data.astronaut);
    const frame = new Uint8Array(photo.data);
    for (let y = 0; y < H; y++) frame.fill(128, (y * W + W / 2) * 4, (y + 1) * W * 4);
    for (let p = 3; p < frame.length; p += 4) frame[p] = 255;
    const clip = join(tmp, 'astronaut.y4m');
    await writeY4m(
      clip,
      Array.from({ length: 30 }, () => ({ width: W, height: H, data: frame })),
      30,
    );

    const context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${clip}`,
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await context.newPage();
      await page.goto(origin);
      const seen = await page.evaluate(async () => {
        const stream = await navigator.mediaDevices.getUserMedia({ video: true });
        const video = document.querySelector('video')!;
        video.srcObject = stream;
        // a few presented frames in, so the capture pipeline is running (the first callbacks can precede pixels)
        for (let i = 0; i < 5; i++) await new Promise((resolve) => video.requestVideoFrameCallback(resolve));
        const settings = stream.getVideoTracks()[0].getSettings();
        const canvas = document.querySelector('canvas')!;
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        ctx.drawImage(video, 0, 0);
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        stream.getTracks().forEach((t) => t.stop());
        return { width: video.videoWidth, height: video.videoHeight, frameRate: settings.frameRate, rgba: Array.from(px) };
      });
      expect([seen.width, seen.height]).toEqual([W, H]);
      expect(seen.frameRate).toBeCloseTo(30, 0);
      const got = Uint8Array.from(seen.rgba);
      // grey half: limited-range 4:2:0 round trip of 128 stays within a couple of levels
      let greyErr = 0;
      let photoErr = 0;
      let photoVsGrey = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const p = (y * W + x) * 4;
          for (let c = 0; c < 3; c++) {
            const d = Math.abs(got[p + c] - frame[p + c]);
            if (x >= W / 2) greyErr += d;
            else {
              photoErr += d;
              photoVsGrey += Math.abs(got[p + c] - 128);
            }
          }
        }
      }
      const n = (W / 2) * H * 3;
      expect(greyErr / n).toBeLessThan(2);
      expect(photoErr / n).toBeLessThan(4); // 4:2:0 chroma and Chromium's own conversion
      expect(photoVsGrey / n).toBeGreaterThan(10 * (photoErr / n)); // the photo is really there
    } finally {
      await context.close();
    }
  }, 120_000); // a browser launch on a loaded 2-core machine
});

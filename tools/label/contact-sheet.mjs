#!/usr/bin/env node
// Contact sheets for hand labelling (test/challenge/fixtures/video-labels.json): frames [start, end] of a clip, every
// `step`-th one, tiled cols x rows with the 0-based frame index drawn on each tile, optionally cropped to a region
// (eyes, mouth) and scaled, so that a labeller can read lids, lips and head pose frame by frame.
//
//   node tools/label/contact-sheet.mjs <video> <start> <end> [--step 2] [--cols 6] [--rows 4]
//        [--crop w:h:x:y] [--scale 2] [--grid 10] [--out dir]
//
// --grid N draws a line every N source pixels, labelled with source-image coordinates, to read landmark positions
// (eye corners, nose tip) off the tiles by eye.
//
// Writes <out>/<basename>-<first>-<last>.png per sheet and prints the paths. Needs ffmpeg with drawtext (libfreetype).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const step = Number(opt('step', '2'));
const cols = Number(opt('cols', '6'));
const rows = Number(opt('rows', '4'));
const crop = opt('crop', '');
const scale = Number(opt('scale', '1'));
const grid = Number(opt('grid', '0'));
const outDir = opt('out', '.cache/labels/sheets');
const font = opt('font', '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf');
const [video, startArg, endArg] = args;
if (!video || startArg === undefined || endArg === undefined) {
  console.error('usage: contact-sheet.mjs <video> <start> <end> [--step 2] [--cols 6] [--rows 4] [--crop w:h:x:y] [--scale 2] [--grid 10] [--out dir]');
  process.exit(2);
}
if (!existsSync(video)) {
  console.error(`no such file: ${video}`);
  process.exit(1);
}
const start = Number(startArg),
  end = Number(endArg);
if (!(Number.isInteger(start) && Number.isInteger(end) && end >= start && step >= 1)) {
  console.error('start/end must be integers with end >= start, step >= 1');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
// Same frame numbering as src/node/media.ts decodeVideo: ffmpeg's fps filter at the stream's average rate.
const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=avg_frame_rate,r_frame_rate', '-of', 'csv=p=0', video], { encoding: 'utf8' });
const [avgRate, realRate] = probe.stdout.trim().split(',');
const rate = avgRate && !avgRate.startsWith('0/') ? avgRate : realRate;
const perSheet = cols * rows * step;

/** Grid lines every `grid` source px after scaling, each labelled with its source-image x or y. */
function gridFilters() {
  if (!grid) return [];
  if (!crop) throw new Error('--grid needs --crop (the labels are crop origin + offset)');
  const [cw, ch, cx, cy] = crop.split(':').map(Number);
  const out = [`drawgrid=w=${grid * scale}:h=${grid * scale}:t=1:c=white@0.35`];
  for (let x = grid; x < cw; x += grid) out.push(`drawtext=fontfile=${font}:text='${cx + x}':x=${x * scale + 1}:y=h-12:fontsize=9:fontcolor=white`);
  for (let y = grid; y < ch; y += grid) out.push(`drawtext=fontfile=${font}:text='${cy + y}':x=w-22:y=${y * scale + 1}:fontsize=9:fontcolor=white`);
  return out;
}
const stem = basename(video, extname(video));
for (let first = start; first <= end; first += perSheet) {
  const last = Math.min(end, first + perSheet - 1);
  const out = join(outDir, `${stem}-${first}-${last}.png`);
  // select by decoded frame index n (0-based, same numbering as the fixture), stamp the index, then tile
  const filters = [
    `fps=${rate}`,
    `select='between(n\\,${first}\\,${last})*not(mod(n-${first}\\,${step}))'`,
    crop ? `crop=${crop}` : null,
    scale !== 1 ? `scale=iw*${scale}:ih*${scale}:flags=neighbor` : null,
    ...gridFilters(),
    // drawtext's n counts the frames left after select: stamp the source index n*step+first instead
    `drawtext=fontfile=${font}:text='%{eif\\:n*${step}+${first}\\:d}':x=3:y=3:fontsize=14:fontcolor=yellow:box=1:boxcolor=black@0.6`,
    `tile=${cols}x${rows}:padding=2:color=white`,
  ].filter(Boolean);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', video, '-vf', filters.join(','), '-frames:v', '1', '-fps_mode', 'passthrough', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(out);
}

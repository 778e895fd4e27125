// Node-only media I/O for the CLI, tests and benchmarks: still images (PNG, JPEG) and video files to RGBA8 frames,
// and RGBA frames to y4m clips (Chromium's fake camera reads y4m). y4m is handled natively; every other container
// goes through an ffmpeg child process. Never imported by the browser bundle.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { LivecheckError } from '../errors.js';
import type { RgbaImage } from '../image.js';

/** A decoded image: RGBA in a Uint8Array. */
export interface DecodedImage extends RgbaImage {
  data: Uint8Array;
}

/** One decoded video frame. `timestampMs` is relative to the start of the file (not to `startMs`). */
export interface RgbaVideoFrame extends DecodedImage {
  timestampMs: number;
  /** 0-based index among the frames this call produced. */
  index: number;
}

export interface DecodeVideoOptions {
  /** Output size. Give one to keep the aspect ratio (rounded to even), both to force a size. Default: the file's. */
  width?: number;
  height?: number;
  /** Output frame rate (frames are dropped or repeated, like ffmpeg's fps filter). Default: the file's. */
  fps?: number;
  /**
   * `constant` (default): frames at a constant rate (`fps`, else the file's), timestamps index / fps. `source`: every
   * frame the file holds, once, in order, each with its own presentation time (a variable-rate capture, frame for
   * frame); `fps` and `startMs` do not apply.
   */
  timing?: 'constant' | 'source';
  /** Skip to this time before the first frame. Default 0. */
  startMs?: number;
  /** Stop after this many frames. Default: all. */
  maxFrames?: number;
  /**
   * Yield the same frame object and pixel buffer every time (no per-frame allocation); the frame is only valid
   * until the iterator is advanced. Default false: every frame owns fresh memory.
   */
  reuse?: boolean;
  /** ffmpeg executable. Default: `$FFMPEG_PATH` or `ffmpeg` on the PATH (ffprobe is looked up next to it). */
  ffmpegPath?: string;
  /**
   * Limits for a file that is not trusted (a capture uploaded to a server): checked before decoding where the file
   * states it, enforced while decoding where it does not. Each breach is `decode-failed` with `details.reason`.
   */
  limits?: VideoLimits;
}

/** Bounds on decoding an untrusted video. Every field is optional; absent: not bounded. */
export interface VideoLimits {
  /** Largest file, bytes (checked before anything reads it). reason: `file-too-large`. */
  maxFileBytes?: number;
  /** Largest frame, width x height, of the file and of the output (read from the header). reason: `frame-too-large`. */
  maxPixels?: number;
  /** More frames than this is an error (not a cut: `maxFrames` cuts). reason: `too-many-frames`. */
  maxFrames?: number;
  /** Wall time for probing and decoding together, ms: ffprobe / ffmpeg are killed. reason: `timeout`. */
  timeoutMs?: number;
}

export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  /** Frame count when the container states it (or y4m, where it follows from the file size). */
  frames?: number;
  durationMs?: number;
}

const require = createRequire(import.meta.url);
// pngjs and jpeg-js are CommonJS; only these two entry points are used.
const { PNG } = require('pngjs') as {
  PNG: { sync: { read(data: Uint8Array): { width: number; height: number; data: Uint8Array } } };
};
const jpeg = require('jpeg-js') as {
  decode(data: Uint8Array, opts: { useTArray: true; formatAsRGBA: true; maxMemoryUsageInMB: number; maxResolutionInMP: number }): { width: number; height: number; data: Uint8Array };
};

// ---- still images ----------------------------------------------------------------------------------------------

/**
 * Decodes a PNG (any colour type, 1-16 bit: converted to RGBA8) or a baseline/progressive JPEG to RGBA8.
 * EXIF orientation is not applied. Throws `decode-failed` for missing, truncated or unsupported files.
 */
export function decodeImage(path: string): DecodedImage {
  const bytes = readInput(path);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
      decoded = PNG.sync.read(bytes);
    } else if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
      decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024, maxResolutionInMP: 200 });
      // jpeg-js fills the missing tail of a truncated scan with grey instead of failing; the EOI marker tells.
      if (!hasJpegEnd(bytes)) throw new Error('no end-of-image marker (truncated file)');
    } else {
      throw new Error('not a PNG or JPEG file');
    }
  } catch (cause) {
    throw new LivecheckError('decode-failed', `cannot decode image ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  const { width, height, data } = decoded;
  if (data.length !== width * height * 4) {
    throw new LivecheckError('decode-failed', `decoded ${path} to ${data.length} bytes, expected ${width}x${height} RGBA`, {
      path,
    });
  }
  // A Buffer may be a view into a shared pool: hand out a plain Uint8Array that owns exactly these bytes.
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return { width, height, data: own ? new Uint8Array(data.buffer, 0, data.length) : new Uint8Array(data) };
}

function hasJpegEnd(bytes: Uint8Array): boolean {
  // Some writers append padding after EOI: look at the last few bytes.
  for (let i = bytes.length - 2; i >= Math.max(0, bytes.length - 64); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}

function readInput(path: string): Uint8Array {
  if (!existsSync(path)) throw new LivecheckError('decode-failed', `no such file: ${path}`, { path, reason: 'missing' });
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new LivecheckError('decode-failed', `cannot read ${path}`, { path, reason: 'unreadable' }, { cause });
  }
}

// ---- colour conversion (BT.601, limited range, integer as in libyuv) ----------------------------------------

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** I420 planes -> RGBA8 (alpha 255). Chroma is nearest-neighbour upsampled. */
export function i420ToRgba(y: Uint8Array, u: Uint8Array, v: Uint8Array, width: number, height: number, out: Uint8Array): void {
  const cw = (width + 1) >> 1;
  let o = 0;
  for (let row = 0; row < height; row++) {
    const yRow = row * width;
    const cRow = (row >> 1) * cw;
    for (let col = 0; col < width; col++) {
      const c = 298 * (y[yRow + col] - 16);
      const d = u[cRow + (col >> 1)] - 128;
      const e = v[cRow + (col >> 1)] - 128;
      out[o] = clamp8((c + 409 * e + 128) >> 8);
      out[o + 1] = clamp8((c - 100 * d - 208 * e + 128) >> 8);
      out[o + 2] = clamp8((c + 516 * d + 128) >> 8);
      out[o + 3] = 255;
      o += 4;
    }
  }
}

/** RGBA8 -> I420 planes; chroma is the mean of each 2x2 block (edge blocks use the pixels they have). */
export function rgbaToI420(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, y: Uint8Array, u: Uint8Array, v: Uint8Array): void {
  for (let i = 0, p = 0; i < width * height; i++, p += 4) {
    y[i] = ((66 * rgba[p] + 129 * rgba[p + 1] + 25 * rgba[p + 2] + 128) >> 8) + 16;
  }
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  for (let cy = 0; cy < ch; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let dy = 0; dy < 2; dy++) {
        const row = 2 * cy + dy;
        if (row >= height) break;
        for (let dx = 0; dx < 2; dx++) {
          const col = 2 * cx + dx;
          if (col >= width) break;
          const p = (row * width + col) * 4;
          r += rgba[p];
          g += rgba[p + 1];
          b += rgba[p + 2];
          n++;
        }
      }
      r /= n;
      g /= n;
      b /= n;
      u[cy * cw + cx] = clamp8(Math.round((-38 * r - 74 * g + 112 * b) / 256) + 128);
      v[cy * cw + cx] = clamp8(Math.round((112 * r - 94 * g - 18 * b) / 256) + 128);
    }
  }
}

// ---- y4m ----------------------------------------------------------------------------------------------------

interface Y4mHeader {
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  /** Byte length of the stream header including its newline. */
  headerBytes: number;
  frameBytes: number;
}

const Y4M_MAGIC = 'YUV4MPEG2 ';

function isY4m(path: string): boolean {
  return path.toLowerCase().endsWith('.y4m');
}

async function readY4mHeader(file: FileHandle, path: string): Promise<Y4mHeader> {
  const buf = new Uint8Array(512);
  const { bytesRead } = await file.read(buf, 0, buf.length, 0);
  const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
  const line = Buffer.from(buf.buffer, 0, nl < 0 ? bytesRead : nl).toString('latin1');
  if (nl < 0 || !line.startsWith(Y4M_MAGIC)) {
    throw new LivecheckError('decode-failed', `${path} is not a y4m file (bad stream header)`, { path });
  }
  let width = 0;
  let height = 0;
  let fpsNum = 0;
  let fpsDen = 0;
  let colour = '420jpeg'; // the spec's default
  for (const tag of line.slice(Y4M_MAGIC.length).split(' ')) {
    const value = tag.slice(1);
    if (tag[0] === 'W') width = Number(value);
    else if (tag[0] === 'H') height = Number(value);
    else if (tag[0] === 'F') [fpsNum, fpsDen] = value.split(':').map(Number);
    else if (tag[0] === 'C') colour = value;
  }
  if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new LivecheckError('decode-failed', `${path}: bad y4m size W${width} H${height}`, { path });
  }
  if (!(fpsNum > 0 && fpsDen > 0)) {
    throw new LivecheckError('decode-failed', `${path}: y4m header has no frame rate`, { path });
  }
  // 420, 420jpeg, 420mpeg2, 420paldv differ only in chroma siting; 10-bit (420p10) and other layouts are refused.
  if (!/^420(jpeg|mpeg2|paldv)?$/.test(colour)) {
    throw new LivecheckError('decode-failed', `${path}: y4m colour space C${colour} unsupported (need 8-bit 4:2:0)`, {
      path,
      colour,
    });
  }
  const chroma = ((width + 1) >> 1) * ((height + 1) >> 1);
  return { width, height, fpsNum, fpsDen, headerBytes: nl + 1, frameBytes: width * height + 2 * chroma };
}

async function* decodeY4m(path: string, opts: DecodeVideoOptions): AsyncGenerator<RgbaVideoFrame> {
  const file = await open(path, 'r');
  try {
    const h = await readY4mHeader(file, path);
    const fps = h.fpsNum / h.fpsDen;
    const firstFrame = Math.max(0, Math.ceil(((opts.startMs ?? 0) * fps) / 1000 - 1e-9));
    const maxFrames = opts.maxFrames ?? Infinity;
    const lumaBytes = h.width * h.height;
    const chromaBytes = (h.frameBytes - lumaBytes) / 2;
    // "FRAME\n" plus the planes in one read; frame headers with parameters are rare and cost one re-read.
    const raw = new Uint8Array(h.frameBytes + 6);
    const yPlane = raw.subarray(6, 6 + lumaBytes);
    const uPlane = raw.subarray(6 + lumaBytes, 6 + lumaBytes + chromaBytes);
    const vPlane = raw.subarray(6 + lumaBytes + chromaBytes, 6 + h.frameBytes);
    const shared: RgbaVideoFrame = { width: h.width, height: h.height, data: new Uint8Array(lumaBytes * 4), timestampMs: 0, index: 0 };
    let pos = h.headerBytes;
    let sourceIndex = 0;
    let produced = 0;
    while (produced < maxFrames) {
      const { bytesRead } = await file.read(raw, 0, raw.length, pos);
      if (bytesRead === 0) return;
      if (bytesRead < 6 || raw[0] !== 0x46 || raw[1] !== 0x52 || raw[4] !== 0x45) {
        throw new LivecheckError('decode-failed', `${path}: bad y4m frame header at byte ${pos}`, { path, frame: sourceIndex });
      }
      let planesAt = pos + 6;
      let planeBytes = bytesRead - 6;
      if (raw[5] !== 0x0a) {
        const nl = raw.subarray(0, Math.min(bytesRead, 256)).indexOf(0x0a);
        if (nl < 0) throw new LivecheckError('decode-failed', `${path}: unterminated y4m frame header`, { path });
        planesAt = pos + nl + 1;
        planeBytes = (await file.read(raw, 6, h.frameBytes, planesAt)).bytesRead;
      }
      if (planeBytes < h.frameBytes) {
        throw new LivecheckError('decode-failed', `${path}: truncated y4m frame ${sourceIndex}`, {
          path,
          frame: sourceIndex,
          reason: 'truncated',
        });
      }
      pos = planesAt + h.frameBytes;
      if (sourceIndex >= firstFrame) {
        const frame = opts.reuse ? shared : { ...shared, data: new Uint8Array(lumaBytes * 4) };
        i420ToRgba(yPlane, uPlane, vPlane, h.width, h.height, frame.data);
        frame.timestampMs = (sourceIndex * 1000 * h.fpsDen) / h.fpsNum;
        frame.index = produced++;
        yield frame;
      }
      sourceIndex++;
    }
  } finally {
    await file.close();
  }
}

/**
 * Writes RGBA frames as an 8-bit 4:2:0 y4m clip (C420jpeg, progressive, square pixels) at `fps`
 * (non-integer rates are stored as a rational, e.g. 29.97 -> 30000:1001). All frames must share one size.
 * Returns the number of frames written.
 */
export async function writeY4m(path: string, frames: Iterable<RgbaImage> | AsyncIterable<RgbaImage>, fps: number): Promise<number> {
  if (!(fps > 0 && Number.isFinite(fps))) throw new LivecheckError('invalid-argument', `fps must be > 0, got ${fps}`, { fps });
  const [num, den] = toRational(fps);
  const file = await open(path, 'w');
  let count = 0;
  try {
    let width = 0;
    let height = 0;
    let out: Uint8Array | null = null;
    for await (const frame of frames) {
      if (out === null) {
        ({ width, height } = frame);
        if (!(width > 0 && height > 0 && frame.data.length === width * height * 4)) {
          throw new LivecheckError('invalid-frame-size', `frame is ${width}x${height} with ${frame.data.length} bytes`, {
            width,
            height,
          });
        }
        await file.write(`${Y4M_MAGIC}W${width} H${height} F${num}:${den} Ip A1:1 C420jpeg\n`);
        const chroma = ((width + 1) >> 1) * ((height + 1) >> 1);
        out = new Uint8Array(6 + width * height + 2 * chroma);
        out.set([0x46, 0x52, 0x41, 0x4d, 0x45, 0x0a]); // "FRAME\n"
      } else if (frame.width !== width || frame.height !== height || frame.data.length !== width * height * 4) {
        throw new LivecheckError('invalid-frame-size', `frame ${count} is ${frame.width}x${frame.height}, clip is ${width}x${height}`, {
          width: frame.width,
          height: frame.height,
        });
      }
      const luma = width * height;
      const chroma = (out.length - 6 - luma) / 2;
      rgbaToI420(frame.data, width, height, out.subarray(6, 6 + luma), out.subarray(6 + luma, 6 + luma + chroma), out.subarray(6 + luma + chroma));
      await file.write(out);
      count++;
    }
  } finally {
    await file.close();
  }
  return count;
}

function toRational(fps: number): [number, number] {
  if (Number.isInteger(fps)) return [fps, 1];
  for (const den of [1001, 1000, 100]) {
    const num = Math.round(fps * den);
    if (Math.abs(num / den - fps) < 1e-6) return [num, den];
  }
  return [Math.round(fps * 1000), 1000];
}

// ---- ffmpeg -------------------------------------------------------------------------------------------------

const toolChecked = new Map<string, boolean>();

function ffmpegPathFor(opts: { ffmpegPath?: string }): string {
  return opts.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
}

function ffprobePathFor(ffmpeg: string): string {
  return ffmpeg.replace(/ffmpeg(\.exe)?$/, 'ffprobe$1');
}

function requireTool(tool: string): void {
  // Looked up on every call's PATH, cached per (tool, PATH) so tests that change PATH see the change.
  const key = `${tool}\0${process.env.PATH ?? ''}`;
  let ok = toolChecked.get(key);
  if (ok === undefined) {
    const r = spawnSync(tool, ['-version'], { stdio: 'ignore' });
    ok = r.error === undefined;
    toolChecked.set(key, ok);
  }
  if (!ok) {
    throw new LivecheckError('ffmpeg-missing', `${tool} not found: install ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH`, {
      tool,
    });
  }
}

function parseRate(rate: string | undefined): number {
  if (!rate) return NaN;
  const [n, d] = rate.split('/').map(Number);
  return d === undefined ? n : d > 0 ? n / d : NaN;
}

/** Size, frame rate and (when known) frame count and duration of a video file. y4m is read directly. */
export async function probeVideo(path: string, opts: { ffmpegPath?: string; limits?: VideoLimits } = {}): Promise<VideoInfo> {
  if (!existsSync(path)) throw new LivecheckError('decode-failed', `no such file: ${path}`, { path, reason: 'missing' });
  const limits = checkLimits(opts.limits);
  const bytes = statSync(path).size;
  if (limits.maxFileBytes !== undefined && bytes > limits.maxFileBytes) {
    throw new LivecheckError('decode-failed', `${path} is ${bytes} bytes, over the ${limits.maxFileBytes} allowed`, { path, reason: 'file-too-large', bytes, limit: limits.maxFileBytes });
  }
  const info = await probeFile(path, opts.ffmpegPath, limits.timeoutMs);
  checkFrameSize(path, info.width, info.height, limits);
  if (limits.maxFrames !== undefined && info.frames !== undefined && info.frames > limits.maxFrames) {
    throw new LivecheckError('decode-failed', `${path} states ${info.frames} frames, over the ${limits.maxFrames} allowed`, {
      path,
      reason: 'too-many-frames',
      frames: info.frames,
      limit: limits.maxFrames,
    });
  }
  return info;
}

function checkLimits(limits: VideoLimits = {}): VideoLimits {
  for (const [key, v] of Object.entries(limits)) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new LivecheckError('invalid-argument', `limits.${key} must be a positive integer, got ${v}`, { [key]: v });
  }
  return limits;
}

function checkFrameSize(path: string, width: number, height: number, limits: VideoLimits): void {
  if (limits.maxPixels !== undefined && width * height > limits.maxPixels) {
    throw new LivecheckError('decode-failed', `${path} has ${width}x${height} frames, over the ${limits.maxPixels} pixels allowed`, {
      path,
      reason: 'frame-too-large',
      width,
      height,
      limit: limits.maxPixels,
    });
  }
}

/** The video packets' presentation times, ms, ascending (ffprobe, no decoding), bounded like the decode. */
function packetTimes(path: string, ffmpeg: string, limits: VideoLimits): number[] {
  const ffprobe = ffprobePathFor(ffmpeg);
  const r = spawnSync(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path], {
    encoding: 'utf8',
    timeout: limits.timeoutMs,
    killSignal: 'SIGKILL',
    // ~12 bytes a line: room for the frame limit, or for 1M frames
    maxBuffer: 16 * (limits.maxFrames ?? 1 << 20) + 4096,
  });
  if (r.error || r.status !== 0) {
    const timeout = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    throw new LivecheckError('decode-failed', `ffprobe cannot list the packets of ${path}`, { path, reason: timeout ? 'timeout' : 'ffmpeg-error' });
  }
  const times = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Math.round(Number(l.split(',')[0]) * 1e6) / 1e3); // seconds with 6 decimals -> ms, no float residue
  if (times.some((t) => !Number.isFinite(t))) throw new LivecheckError('decode-failed', `${path}: a packet without a presentation time`, { path, reason: 'timestamps' });
  if (limits.maxFrames !== undefined && times.length > limits.maxFrames) {
    throw new LivecheckError('decode-failed', `${path} has ${times.length} frames, over the ${limits.maxFrames} allowed`, {
      path,
      reason: 'too-many-frames',
      frames: times.length,
      limit: limits.maxFrames,
    });
  }
  return times.sort((a, b) => a - b);
}

async function probeFile(path: string, ffmpegPath: string | undefined, timeoutMs: number | undefined): Promise<VideoInfo> {
  if (isY4m(path)) {
    const file = await open(path, 'r');
    try {
      const h = await readY4mHeader(file, path);
      const fps = h.fpsNum / h.fpsDen;
      // Exact when frame headers carry no parameters (all writers we know of).
      const frames = Math.floor((statSync(path).size - h.headerBytes) / (h.frameBytes + 6));
      return { width: h.width, height: h.height, fps, frames, durationMs: (frames * 1000) / fps };
    } finally {
      await file.close();
    }
  }
  const ffprobe = ffprobePathFor(ffmpegPathFor({ ffmpegPath }));
  requireTool(ffprobe);
  const r = spawnSync(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,r_frame_rate,avg_frame_rate,nb_frames,duration:format=duration', '-of', 'json', path], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 1 << 20,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    throw new LivecheckError('decode-failed', `ffprobe took longer than ${timeoutMs} ms on ${path}`, { path, reason: 'timeout', limit: timeoutMs });
  }
  let info: { streams?: Array<Record<string, string | number>>; format?: { duration?: string } } = {};
  try {
    info = JSON.parse(r.stdout || '{}');
  } catch {
    // fall through to the error below
  }
  const s = info.streams?.[0];
  if (r.status !== 0 || !s) {
    throw new LivecheckError('decode-failed', `ffprobe cannot read ${path}: ${(r.stderr || 'no video stream').trim()}`, { path });
  }
  const avg = parseRate(s.avg_frame_rate as string);
  const fps = Number.isFinite(avg) && avg > 0 ? avg : parseRate(s.r_frame_rate as string);
  const frames = Number(s.nb_frames);
  const seconds = Number(s.duration ?? info.format?.duration);
  const result: VideoInfo = { width: Number(s.width), height: Number(s.height), fps };
  if (Number.isInteger(frames) && frames > 0) result.frames = frames;
  if (Number.isFinite(seconds) && seconds > 0) result.durationMs = seconds * 1000;
  if (!(result.width > 0 && result.height > 0 && fps > 0)) {
    throw new LivecheckError('decode-failed', `ffprobe gave no usable size/frame rate for ${path}`, { path });
  }
  return result;
}

function outputSize(info: VideoInfo, opts: DecodeVideoOptions): [number, number] {
  const even = (v: number): number => Math.max(2, 2 * Math.round(v / 2));
  if (opts.width && opts.height) return [opts.width, opts.height];
  if (opts.width) return [opts.width, even((opts.width * info.height) / info.width)];
  if (opts.height) return [even((opts.height * info.width) / info.height), opts.height];
  return [info.width, info.height];
}

async function* decodeWithFfmpeg(path: string, opts: DecodeVideoOptions): AsyncGenerator<RgbaVideoFrame> {
  const ffmpeg = ffmpegPathFor(opts);
  requireTool(ffmpeg);
  const began = Date.now();
  const limits = opts.limits ?? {};
  const info = await probeVideo(path, opts);
  const [width, height] = outputSize(info, opts);
  checkFrameSize(path, width, height, limits);
  const fps = opts.fps ?? info.fps;
  const startMs = opts.startMs ?? 0;
  const source = opts.timing === 'source';
  // each frame's own presentation time, from the container (no decoding): in presentation order
  const times = source ? packetTimes(path, ffmpeg, limits) : null;
  const args = ['-nostdin', '-v', 'error', '-xerror'];
  if (startMs > 0) args.push('-ss', (startMs / 1000).toFixed(3));
  // The fps filter makes the output constant-rate, so index / fps is each frame's true timestamp; `source` passes
  // every decoded frame through once
  const filters = source ? [] : [`fps=${fps}`];
  if (width !== info.width || height !== info.height) filters.push(`scale=${width}:${height}:flags=bicubic`);
  args.push('-i', path, '-an', '-sn');
  if (filters.length) args.push('-vf', filters.join(','));
  if (source) args.push('-fps_mode', 'passthrough');
  if (opts.maxFrames !== undefined) args.push('-frames:v', String(opts.maxFrames));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1');

  const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // what is left of the time limit after probing: ffmpeg is killed when it runs out
  let timedOut = false;
  const timer =
    limits.timeoutMs === undefined
      ? null
      : setTimeout(
          () => {
            timedOut = true;
            child.kill('SIGKILL');
          },
          Math.max(0, limits.timeoutMs - (Date.now() - began)),
        );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', (e) => {
      spawnError = e;
      resolve(null);
    });
  });

  const frameBytes = width * height * 4;
  const shared: RgbaVideoFrame = { width, height, data: new Uint8Array(frameBytes), timestampMs: 0, index: 0 };
  let frame = opts.reuse ? shared : { ...shared, data: new Uint8Array(frameBytes) };
  let filled = 0;
  let produced = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - offset);
        frame.data.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          if (limits.maxFrames !== undefined && produced >= limits.maxFrames) {
            throw new LivecheckError('decode-failed', `${path} has more than the ${limits.maxFrames} frames allowed`, { path, reason: 'too-many-frames', limit: limits.maxFrames });
          }
          frame.index = produced;
          if (times && produced >= times.length) {
            throw new LivecheckError('decode-failed', `${path}: more frames decoded than the container has packets`, { path, reason: 'timestamps', frames: produced });
          }
          frame.timestampMs = times ? times[produced] : startMs + (produced * 1000) / fps;
          produced++;
          filled = 0;
          yield frame;
          if (!opts.reuse) frame = { ...shared, data: new Uint8Array(frameBytes) };
        }
      }
    }
    const code = await exited;
    finished = true;
    if (timedOut) {
      throw new LivecheckError('decode-failed', `decoding ${path} took longer than ${limits.timeoutMs} ms (${produced} frames)`, {
        path,
        reason: 'timeout',
        frames: produced,
        limit: limits.timeoutMs,
      });
    }
    if (spawnError) {
      throw new LivecheckError('ffmpeg-missing', `cannot run ${ffmpeg}: ${spawnError.message}`, { tool: ffmpeg }, { cause: spawnError });
    }
    if (code !== 0 || filled !== 0) {
      throw new LivecheckError('decode-failed', `ffmpeg failed on ${path} after ${produced} frames: ${stderr.trim() || `exit ${code}`}`, {
        path,
        frames: produced,
        exitCode: code,
        reason: filled !== 0 ? 'truncated' : 'ffmpeg-error',
      });
    }
  } finally {
    if (timer) clearTimeout(timer);
    // The consumer stopped early (break/throw): stop decoding.
    if (!finished) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/**
 * Decodes a video file to RGBA8 frames. y4m (8-bit 4:2:0) is read natively when no resize or rate change is asked
 * for; everything else needs ffmpeg. Throws `ffmpeg-missing` when ffmpeg is needed but not found, `decode-failed`
 * for missing, truncated or unreadable files (possibly after some frames were already yielded).
 */
export function decodeVideo(path: string, opts: DecodeVideoOptions = {}): AsyncIterable<RgbaVideoFrame> {
  return {
    [Symbol.asyncIterator]: () => openVideo(path, opts),
  };
}

async function* openVideo(path: string, opts: DecodeVideoOptions): AsyncGenerator<RgbaVideoFrame> {
  for (const key of ['width', 'height', 'maxFrames'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new LivecheckError('invalid-argument', `${key} must be a positive integer, got ${v}`, { [key]: v });
    }
  }
  if (opts.fps !== undefined && !(opts.fps > 0 && Number.isFinite(opts.fps))) {
    throw new LivecheckError('invalid-argument', `fps must be > 0, got ${opts.fps}`, { fps: opts.fps });
  }
  if (opts.startMs !== undefined && !(opts.startMs >= 0 && Number.isFinite(opts.startMs))) {
    throw new LivecheckError('invalid-argument', `startMs must be >= 0, got ${opts.startMs}`, { startMs: opts.startMs });
  }
  checkLimits(opts.limits);
  if (opts.timing !== undefined && opts.timing !== 'constant' && opts.timing !== 'source')
    throw new LivecheckError('invalid-argument', `timing must be constant or source, got ${String(opts.timing)}`);
  if (opts.timing === 'source' && (opts.fps !== undefined || opts.startMs)) throw new LivecheckError('invalid-argument', "timing source keeps the file's own frames: fps and startMs do not apply");
  if (!existsSync(path)) throw new LivecheckError('decode-failed', `no such file: ${path}`, { path, reason: 'missing' });
  if (isY4m(path) && opts.timing !== 'source' && (await y4mNative(path, opts))) {
    // the header states size and (from the file size) the frame count: the limits are checked before decoding
    if (opts.limits) await probeVideo(path, opts);
    yield* decodeY4m(path, opts);
  } else yield* decodeWithFfmpeg(path, opts);
}

async function y4mNative(path: string, opts: DecodeVideoOptions): Promise<boolean> {
  if (opts.width === undefined && opts.height === undefined && opts.fps === undefined) return true;
  const info = await probeVideo(path, opts);
  const [w, h] = outputSize(info, opts);
  return w === info.width && h === info.height && (opts.fps === undefined || Math.abs(opts.fps - info.fps) < 1e-9);
}

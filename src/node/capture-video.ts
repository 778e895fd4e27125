// The capture as video on the Node host, the same CaptureVideo the browser worker makes (src/worker/capture-video.ts):
// ffmpeg's libvpx encodes the analysed frames to VP8 (an IVF stream on its stdout, one packet per frame), and the
// packets are muxed here with mediabunny into WebM, each at its analysed frame's time. The chunks are the file's
// packets byte for byte.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { BufferTarget, EncodedPacket, EncodedVideoPacketSource, Output, WebMOutputFormat } from 'mediabunny';
import { LivecheckError } from '../errors.js';
import { sha256 } from '../evidence/encoding.js';
import { CAPTURE_VIDEO_DEFAULTS, type CaptureChunk, type CaptureVideo, type CaptureVideoOptions } from '../evidence/video.js';
import { toHex } from '../util/hex.js';

export interface NodeCaptureVideoOptions extends CaptureVideoOptions {
  /** ffmpeg executable. Default: `$FFMPEG_PATH` or `ffmpeg` on the PATH. */
  ffmpegPath?: string;
}

type FfmpegProcess = ChildProcessByStdio<Writable, Readable, Readable>;

const IVF_HEADER = 32;
const IVF_FRAME_HEADER = 12;

export class NodeCaptureVideoEncoder {
  private readonly chunks: CaptureChunk[] = [];
  /** The analysed frames' times, ms, in the order given to encode(). */
  private readonly times: number[] = [];
  /** Frames ffmpeg's stdin could not take yet (backpressure): written in order on 'drain'. */
  private readonly queue: Buffer[] = [];
  private draining = false;
  /** ffmpeg's stdout not yet parsed into packets. */
  private pending: Buffer = Buffer.alloc(0);
  private headerSeen = false;
  /** The last packet out, held until the next one gives its duration. */
  private held: { data: Uint8Array; key: boolean; index: number } | null = null;
  /** Digests and muxing, in packet order. */
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private stdinError: Error | null = null;
  private stderr = '';
  private readonly exited: Promise<number | null>;
  private finished: Promise<CaptureVideo> | null = null;

  private constructor(
    private readonly child: FfmpegProcess,
    private readonly ffmpeg: string,
    private readonly output: Output<WebMOutputFormat, BufferTarget>,
    private readonly source: EncodedVideoPacketSource,
    readonly width: number,
    readonly height: number,
  ) {
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4000);
    });
    child.stdout.on('data', (b: Buffer) => this.take(b));
    // ffmpeg gone (a failure, or close()): writes fail with EPIPE; its exit code and stderr tell why, in finish()
    child.stdin.on('error', (e) => {
      this.stdinError ??= e;
    });
    child.stdin.on('drain', () => this.drain());
  }

  /**
   * An encoder for width x height RGBA frames. Throws `ffmpeg-missing` when ffmpeg cannot be run,
   * `invalid-frame-size` / `invalid-argument` for a bad size or option.
   */
  static async open(width: number, height: number, options: NodeCaptureVideoOptions = {}): Promise<NodeCaptureVideoEncoder> {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 16383 && height <= 16383)) {
      throw new LivecheckError('invalid-frame-size', `capture video: bad frame size ${width}x${height}`, { width, height });
    }
    const bitrate = options.bitrate ?? CAPTURE_VIDEO_DEFAULTS.bitrate;
    const keyEvery = options.keyEvery ?? CAPTURE_VIDEO_DEFAULTS.keyEvery;
    if (!(Number.isInteger(bitrate) && bitrate > 0)) throw new LivecheckError('invalid-argument', `capture video: bitrate must be a positive integer, got ${bitrate}`, { bitrate });
    if (!(Number.isInteger(keyEvery) && keyEvery > 0)) throw new LivecheckError('invalid-argument', `capture video: keyEvery must be a positive integer, got ${keyEvery}`, { keyEvery });
    const ffmpeg = options.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
    // -r 30 only numbers ffmpeg's frames (the muxed times are the analysed frames'). One packet per frame in: no
    // look-ahead, no alt-ref (an extra, invisible packet), no frame dropping, no frame-rate conversion; a key frame
    // exactly every keyEvery frames, as the browser asks for. `good` (cpu-used 5 is its fastest), not `realtime`:
    // realtime trades quality for speed as the CPU is loaded, so the same frames would not give the same file.
    const args = [
      ...['-hide_banner', '-v', 'error'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-r', '30', '-i', 'pipe:0'],
      ...['-an', '-c:v', 'libvpx', '-pix_fmt', 'yuv420p', '-b:v', String(bitrate), '-g', String(keyEvery), '-keyint_min', String(keyEvery)],
      ...['-deadline', 'good', '-cpu-used', '5', '-auto-alt-ref', '0', '-lag-in-frames', '0', '-drop-threshold', '0'],
      ...['-fps_mode', 'passthrough', '-f', 'ivf', 'pipe:1'],
    ];
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new LivecheckError('ffmpeg-missing', `cannot run ${ffmpeg}: install ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH`, { tool: ffmpeg }, { cause: e })));
    });
    const output = new Output({ format: new WebMOutputFormat(), target: new BufferTarget() });
    const source = new EncodedVideoPacketSource('vp8');
    // no frameRate: mediabunny would snap the timestamps to its grid; the analysed frames come when they come
    output.addVideoTrack(source);
    try {
      await output.start();
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    return new NodeCaptureVideoEncoder(child, ffmpeg, output, source, width, height);
  }

  /**
   * Encodes one analysed frame (RGBA, copied: the caller keeps its buffer) at the analysed frame's time, ms. Frames
   * wait in order while ffmpeg is busy; none is dropped. A frame of another size makes finish() throw
   * `invalid-frame-size`.
   */
  encode(pixels: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }, timestampMs: number): void {
    if (this.finished) throw new LivecheckError('closed', 'the capture video is already finished');
    // after close() or a failure: finish() reports it
    if (this.failure) return;
    const bytes = this.width * this.height * 4;
    if (pixels.width !== this.width || pixels.height !== this.height || pixels.data.length < bytes) {
      this.fail(
        new LivecheckError('invalid-frame-size', `capture video: a ${pixels.width}x${pixels.height} frame (${pixels.data.length} bytes) in a ${this.width}x${this.height} capture`, {
          width: pixels.width,
          height: pixels.height,
        }),
      );
      return;
    }
    const last = this.times.length > 0 ? this.times[this.times.length - 1] : -Infinity;
    if (!(Number.isFinite(timestampMs) && timestampMs >= 0 && timestampMs >= last)) {
      this.fail(new LivecheckError('invalid-argument', `capture video: frame ${this.times.length} at ${timestampMs} ms, after ${last} ms (times must be finite, >= 0 and in order)`, { timestampMs }));
      return;
    }
    this.times.push(timestampMs);
    const copy = Buffer.allocUnsafe(bytes);
    copy.set(pixels.data.subarray(0, bytes));
    if (this.draining) this.queue.push(copy);
    else this.draining = !this.child.stdin.write(copy);
  }

  private drain(): void {
    this.draining = false;
    while (!this.draining && this.queue.length > 0) this.draining = !this.child.stdin.write(this.queue.shift() as Buffer);
    if (!this.draining && this.queue.length === 0 && this.finished) this.child.stdin.end();
  }

  /** Parses ffmpeg's IVF output into packets, and hands each on to be hashed and muxed. */
  private take(b: Buffer): void {
    if (this.failure) return;
    this.pending = this.pending.length === 0 ? b : Buffer.concat([this.pending, b]);
    if (!this.headerSeen) {
      if (this.pending.length < IVF_HEADER) return;
      if (this.pending.toString('latin1', 0, 4) !== 'DKIF' || this.pending.toString('latin1', 8, 12) !== 'VP80') {
        this.fail(this.ffmpegError('ffmpeg wrote something that is not a VP8 IVF stream', 'bad-output'));
        return;
      }
      this.headerSeen = true;
      this.pending = this.pending.subarray(this.pending.readUInt16LE(6));
    }
    let at = 0;
    while (this.pending.length - at >= IVF_FRAME_HEADER) {
      const size = this.pending.readUInt32LE(at);
      if (this.pending.length - at - IVF_FRAME_HEADER < size) break;
      // owned bytes: the stdout chunk is pooled memory
      this.packet(new Uint8Array(this.pending.subarray(at + IVF_FRAME_HEADER, at + IVF_FRAME_HEADER + size)));
      at += IVF_FRAME_HEADER + size;
    }
    this.pending = this.pending.subarray(at);
  }

  private packet(data: Uint8Array): void {
    const index = this.chunks.length;
    if (index >= this.times.length || data.length === 0) {
      this.fail(this.ffmpegError(`ffmpeg wrote packet ${index} for ${this.times.length} frames`, 'frame-count'));
      return;
    }
    // VP8: bit 0 of the frame tag is 0 on a key frame (RFC 6386, section 9.1)
    const key = (data[0] & 1) === 0;
    const entry: CaptureChunk = { t: this.times[index], key, bytes: data.length, sha256: '' };
    this.chunks.push(entry);
    const previous = this.held;
    this.held = { data, key, index };
    this.tail = this.tail.then(async () => {
      entry.sha256 = toHex(await sha256(data));
      if (previous) await this.mux(previous, this.times[index] - this.times[previous.index]);
    });
    this.tail.catch((e) => this.fail(e));
  }

  private async mux(p: { data: Uint8Array; key: boolean; index: number }, durationMs: number): Promise<void> {
    const packet = new EncodedPacket(p.data, p.key ? 'key' : 'delta', this.times[p.index] / 1000, durationMs / 1000);
    await this.source.add(packet, p.index === 0 ? { decoderConfig: { codec: 'vp8', codedWidth: this.width, codedHeight: this.height } } : undefined);
  }

  private fail(e: unknown): void {
    this.failure ??= e instanceof Error ? e : new Error(String(e));
  }

  private ffmpegError(message: string, reason: string, detail: Record<string, unknown> = {}): LivecheckError {
    const tail = this.stderr.trim();
    return new LivecheckError('encode-failed', `capture video: ${message}${tail ? `: ${tail}` : ''}`, { ...detail, tool: this.ffmpeg, reason, stderr: tail });
  }

  /** Encodes what is left and closes the file: the video of every frame encoded so far. */
  finish(): Promise<CaptureVideo> {
    this.finished ??= (async () => {
      try {
        if (!this.draining) this.child.stdin.end();
        const code = await this.exited;
        if (this.failure) throw this.failure;
        if (code !== 0) throw this.ffmpegError(`ffmpeg exited with ${code}`, 'ffmpeg-error', { exitCode: code });
        if (this.stdinError) throw this.ffmpegError(`ffmpeg stopped reading frames (${this.stdinError.message})`, 'ffmpeg-error');
        if (this.pending.length > 0 || !this.headerSeen) throw this.ffmpegError('ffmpeg left a truncated IVF stream', 'bad-output');
        if (this.chunks.length !== this.times.length) {
          throw this.ffmpegError(`${this.times.length} frames encoded, ${this.chunks.length} packets came out`, 'frame-count', { frames: this.times.length, packets: this.chunks.length });
        }
        await this.tail;
        const last = this.held;
        if (last) {
          // the last frame lasts as long as the mean frame before it (one frame: 1/30 s)
          const n = this.times.length;
          await this.mux(last, n > 1 ? (this.times[n - 1] - this.times[0]) / (n - 1) : 1000 / 30);
        }
        if (this.failure) throw this.failure;
        await this.output.finalize();
        const buffer = this.output.target.buffer;
        if (!buffer) throw new LivecheckError('invalid-argument', 'capture video: the muxer produced no file');
        return { mime: 'video/webm', codec: 'vp8', width: this.width, height: this.height, data: new Uint8Array(buffer), chunks: this.chunks };
      } catch (e) {
        this.close();
        throw e;
      }
    })();
    return this.finished;
  }

  /** Drops the capture (no file) and stops ffmpeg. */
  close(): void {
    this.fail(new LivecheckError('closed', 'the capture video was closed'));
    this.queue.length = 0;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    if (this.output.state === 'started') void this.output.cancel();
  }
}

// The capture as video: the worker encodes exactly the frames it analyses (WebCodecs VideoEncoder, a codec the server
// decodes with ffmpeg) and muxes them with mediabunny into one file. Each encoded chunk's SHA-256 is kept in frame
// order, so a bundle can bind the video to its records chunk by chunk. Nothing is re-encoded: the chunks are the
// file's packets, byte for byte.
import { BufferTarget, EncodedPacket, EncodedVideoPacketSource, MkvOutputFormat, Output, WebMOutputFormat } from 'mediabunny';
import { LivecheckError } from '../errors.js';
import { toHex } from '../util/hex.js';
import { CAPTURE_VIDEO_DEFAULTS, type CaptureChunk, type CaptureVideo, type CaptureVideoOptions } from '../evidence/video.js';

/** Codecs in order of preference, each with its mediabunny codec and container. */
const CODECS = [
  { codec: 'vp8', track: 'vp8', mime: 'video/webm' },
  { codec: 'vp09.00.10.08', track: 'vp9', mime: 'video/webm' },
  { codec: 'avc1.42001f', track: 'avc', mime: 'video/x-matroska' },
] as const;

export class CaptureVideoEncoder {
  private readonly chunks: CaptureChunk[] = [];
  /** Digests and packets are handed on in output order. */
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private frames = 0;
  private finished: Promise<CaptureVideo> | null = null;

  private constructor(
    private readonly encoder: VideoEncoder,
    private readonly output: Output<MkvOutputFormat, BufferTarget>,
    private readonly source: EncodedVideoPacketSource,
    private readonly choice: (typeof CODECS)[number],
    readonly width: number,
    readonly height: number,
    private readonly keyEvery: number,
  ) {}

  /**
   * An encoder for width x height frames with the first codec the browser supports; null where there is no
   * VideoEncoder or none of the codecs is supported (the capture is then not server-verifiable).
   */
  static async open(width: number, height: number, options: CaptureVideoOptions = {}): Promise<CaptureVideoEncoder | null> {
    if (typeof VideoEncoder !== 'function') return null;
    const bitrate = options.bitrate ?? CAPTURE_VIDEO_DEFAULTS.bitrate;
    const framerate = 30;
    for (const choice of CODECS) {
      // 'quality' never drops a frame: every analysed frame must become a chunk
      const config: VideoEncoderConfig = { codec: choice.codec, width, height, bitrate, framerate, latencyMode: 'quality' };
      let supported = false;
      try {
        supported = (await VideoEncoder.isConfigSupported(config)).supported === true;
      } catch {
        supported = false;
      }
      if (!supported) continue;
      const output = new Output({ format: choice.mime === 'video/webm' ? new WebMOutputFormat() : new MkvOutputFormat(), target: new BufferTarget() });
      const source = new EncodedVideoPacketSource(choice.track);
      // no frameRate: mediabunny would snap the timestamps to its grid; the analysed frames come when they come
      output.addVideoTrack(source);
      await output.start();
      let self: CaptureVideoEncoder | null = null;
      const encoder = new VideoEncoder({
        output: (chunk, meta) => self?.take(chunk, meta),
        error: (e) => self?.fail(e),
      });
      encoder.configure(config);
      self = new CaptureVideoEncoder(encoder, output, source, choice, width, height, options.keyEvery ?? CAPTURE_VIDEO_DEFAULTS.keyEvery);
      return self;
    }
    return null;
  }

  /**
   * Encodes one analysed frame from the RGBA pixels the engine analyses (copied: the caller keeps its buffer), so
   * the video shows exactly what was analysed whatever the frame arrived as. Its timestamp is the analysed frame's.
   */
  encode(pixels: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }, timestampMs: number): void {
    if (this.finished) throw new LivecheckError('closed', 'the capture video is already finished');
    if (this.failure) return;
    // dropped (close()) while a frame was on its way: no video, and not a crash of the frame's analysis
    if (this.encoder.state === 'closed') {
      this.fail(new LivecheckError('closed', 'the capture video was closed'));
      return;
    }
    if (pixels.width !== this.width || pixels.height !== this.height) {
      this.fail(new LivecheckError('invalid-frame-size', `capture video: a ${pixels.width}x${pixels.height} frame in a ${this.width}x${this.height} capture`));
      return;
    }
    const rgba = pixels.data.subarray(0, this.width * this.height * 4);
    // the encoder keys its output by timestamp (microseconds): the analysed frame's time, not the camera's
    const timed = new VideoFrame(rgba, { format: 'RGBA', codedWidth: this.width, codedHeight: this.height, timestamp: Math.round(timestampMs * 1000) });
    try {
      this.encoder.encode(timed, { keyFrame: this.frames % this.keyEvery === 0 });
    } finally {
      timed.close();
    }
    this.frames++;
  }

  private take(chunk: EncodedVideoChunk, meta: EncodedVideoChunkMetadata | undefined): void {
    const bytes = new Uint8Array(chunk.byteLength);
    chunk.copyTo(bytes);
    const packet = EncodedPacket.fromEncodedChunk(chunk);
    const entry: CaptureChunk = { t: chunk.timestamp / 1000, key: chunk.type === 'key', bytes: bytes.length, sha256: '' };
    this.chunks.push(entry);
    this.tail = this.tail.then(async () => {
      entry.sha256 = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
      await this.source.add(packet, meta);
    });
    this.tail.catch((e) => this.fail(e));
  }

  private fail(e: unknown): void {
    this.failure ??= e instanceof Error ? e : new Error(String(e));
  }

  /** Flushes the encoder and closes the file: the video of every frame encoded so far. */
  finish(): Promise<CaptureVideo> {
    this.finished ??= (async () => {
      try {
        if (!this.failure) await this.encoder.flush();
        await this.tail;
        if (this.failure) throw this.failure;
        if (this.chunks.length !== this.frames) throw new LivecheckError('invalid-argument', `capture video: ${this.frames} frames encoded, ${this.chunks.length} chunks came out`);
        await this.output.finalize();
        const buffer = this.output.target.buffer;
        if (!buffer) throw new LivecheckError('invalid-argument', 'capture video: the muxer produced no file');
        return { mime: this.choice.mime, codec: this.choice.codec, width: this.width, height: this.height, data: new Uint8Array(buffer), chunks: this.chunks };
      } finally {
        if (this.encoder.state !== 'closed') this.encoder.close();
      }
    })();
    return this.finished;
  }

  /** Drops the capture (no file). */
  close(): void {
    if (this.encoder.state !== 'closed') this.encoder.close();
    if (this.output.state === 'started') void this.output.cancel();
  }
}

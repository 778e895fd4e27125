// createLivenessCheck: the main-thread face of livecheck. It owns the worker and the frame pump and turns the
// worker's per-frame output into typed events. The main thread never touches pixels: frames cross as transferred
// ImageBitmaps (or caller buffers that come back for reuse). Nothing here runs at import time (SSR-safe).
import { wrap, transfer, releaseProxy, type Remote } from 'comlink';
import type { ChallengeAction } from '../challenge/actions.js';
import type { ChallengeConfigInput } from '../challenge/config.js';
import { planFromNonce, type ChallengePlan, type ScriptStep } from '../challenge/plan.js';
import type { ChallengeEvent } from '../challenge/session.js';
import type { LivenessDecision } from '../decision/consensus.js';
import { LivecheckError } from '../errors.js';
import type { GuidanceIssue, GuidanceState, GuidanceTrackerOptions } from '../guidance/tracker.js';
import type { DocumentBinding, EvidenceBundle } from '../evidence/bundle.js';
import type { CaptureVideoOptions } from '../evidence/video.js';
import { resolveDecisionConfig, type DecisionConfigInput } from '../decision/config.js';
import { fromWireError, installErrorTransfer, type FrameOutput, type RgbaBuffer, type WorkerApi, type WorkerInfo } from '../protocol/worker.js';
import { resolveIdentityOptions, type IdentityOptions } from '../evidence/identity.js';

export interface LivenessCheckOptions {
  /**
   * Where the self-hosted assets live. `baseUrl` (default: the folder of this bundle, i.e. `dist/`) holds
   * kernels.simd.wasm, kernels.scalar.wasm, nn.simd.wasm, ort-wasm-simd-threaded.wasm and ort-wasm-simd-threaded.mjs; `modelUrl`
   * (default `${baseUrl}models/`, or the package's own models/ when baseUrl is not given) holds blazeface.onnx,
   * blazeface-back.onnx, facemesh.onnx and iris.onnx; `workerUrl` (default `worker.js` next to this bundle).
   */
  assets?: { baseUrl?: string | URL; modelUrl?: string | URL; workerUrl?: string | URL };
  /**
   * The challenge. `nonce` comes from your server (>= 16 bytes) so the actions cannot be predicted. `actions:
   * 'random'` draws `count` (default 2) actions from the nonce; or give a `script` of actions. The nonce also draws
   * the gap before each prompt after the first (up to `maxGapMs`, default 2000). `null` = guidance only.
   */
  challenge?: {
    nonce: string | Uint8Array;
    actions?: 'random';
    count?: number;
    allowed?: ChallengeAction[];
    script?: Array<ChallengeAction | ScriptStep>;
    maxGapMs?: number;
    config?: ChallengeConfigInput;
  } | null;
  /** The frames are mirrored (you feed a flipped selfie image). Default false: camera frames are not mirrored, only
   *  the preview usually is (CSS). */
  mirrored?: boolean;
  /** Guidance thresholds and replacement messages (see docs/decision-and-calibration.md). */
  guidance?: GuidanceTrackerOptions;
  /**
   * Thresholds of the three signals and their consensus (a partial of the defaults; see
   * docs/decision-and-calibration.md). With `evidence` they are bound into the bundle: the server replays with them.
   */
  decision?: DecisionConfigInput;
  /** onnxruntime threads (more than 1 needs a crossOriginIsolated page). Default 0: 2 when the page is
   *  crossOriginIsolated and the device has more than 2 cores, else 1: on two cores the main and iris workers already
   *  keep both busy, and a second thread only competes with them. */
  numThreads?: number;
  /** Load the iris model (better blinks). Default true. */
  iris?: boolean;
  /** Run the iris model in a second worker, pipelined with the next frame's FaceMesh (two frames in flight, one
   *  frame of latency, more frames analysed). Needs iris-worker.js in the asset folder; without it the worker runs
   *  Iris itself.
   *  Default true. */
  irisWorker?: boolean;
  /**
   * Where FaceMesh and Iris run. `livecheck` (default): our own wasm SIMD kernels (nn.simd.wasm in the asset folder;
   * one thread, faster than onnxruntime, the same points within 1e-3 px). `onnxruntime`: onnxruntime-web.
   * Without wasm SIMD, or without nn.simd.wasm, the worker uses onnxruntime either way.
   */
  landmarkRuntime?: 'livecheck' | 'onnxruntime';
  /**
   * A frame (or the end-of-stream decision) the worker has not answered after this long means the worker is gone
   * (killed, closed or hung: a dead worker sends nothing): the check ends with a `worker-timeout` error instead of
   * waiting forever. Default 10000 ms, far above a slow frame or the first one (model warm-up).
   */
  workerTimeoutMs?: number;
  /**
   * Record a tamper-evident evidence bundle for the server (`verifyEvidence` in livecheck/server). Needs `challenge`
   * with a string `nonce`: the bundle is bound to that nonce, the plan derived from it, the engine configuration,
   * and `document` (the ID document: `metadataHash`, hex SHA-256 of its metadata, and `uploadedAt`, epoch ms, as your
   * server recorded them). The worker encodes the attempt's analysed frames as one video (WebCodecs VP8, else VP9
   * or H.264; muxed with mediabunny, nothing re-encoded), chains a record per frame (its time and the face as the
   * client saw it) and each frame's encoded chunk (size, SHA-256), and keeps one JPEG face crop (`jpegQuality`,
   * default 0.85) per challenge step; the `result` event then carries `evidence`, the video inside it. The server
   * decodes the video and re-runs the engine on it: its verdict is the one that counts. Iris runs in the main worker
   * (no iris pipeline: a keyframe is cropped from its own frame). `video`: `{ bitrate, keyEvery }` (default 300
   * kbit/s, a key frame every 75 frames), or `false` for a bundle without video, which the server cannot judge from
   * pixels (`review` at best; likewise in a browser without VideoEncoder). Default: no evidence.
   */
  evidence?: { document: DocumentBinding; jpegQuality?: number; video?: boolean | CaptureVideoOptions } | null;
  /**
   * Identity continuity: is the person at the end the one who started (another person stepping in must fail)?
   * Every `every`-th frame (default 5) with a frontal, large enough face is cut as a small aligned face chip; when
   * the attempt ends the chips are described with FaceRecognitionNet (facerec.onnx, 11 MB, from `modelUrl`,
   * fetched only with this on) and judged like `livecheck analyze` does: a changed identity makes the verdict `fail`
   * with the reason `identity-changed` first. `false` turns it off; an object sets `every`, `maxReadings` and the
   * thresholds (`config`: maxDistance, readings, referenceReadings, maxPoseDeg, minEyeDistancePx). Default on. With
   * `evidence`, the claimed continuity goes into the bundle; the server runs the identity check on the video itself
   * (`replay: { identity: <the same settings, {} for the defaults> }`).
   */
  identity?: boolean | IdentityOptions;
}

export interface LivenessResult extends LivenessDecision {
  framesAnalyzed: number;
  framesDropped: number;
  /** The evidence bundle (with the `evidence` option), the capture video inside: send `serializeEvidence(evidence)` to your server. */
  evidence?: EvidenceBundle;
}

export interface FrameEventDetail extends FrameOutput {
  /** Main-thread time for this frame (grab + post + events), ms. */
  mainMs: number;
}

export interface LivenessCheckEventMap {
  guidance: CustomEvent<{ state: GuidanceState; issues: GuidanceIssue[]; raised: GuidanceState['raised']; cleared: GuidanceState['cleared'] }>;
  challenge: CustomEvent<ChallengeEvent>;
  frame: CustomEvent<FrameEventDetail>;
  result: CustomEvent<LivenessResult>;
  error: CustomEvent<LivecheckError>;
}

export interface LivenessCheckStats {
  framesAnalyzed: number;
  framesDropped: number;
  /** Analysed frames per second since start(). */
  fpsAnalyzed: number;
  workerMsP50: number;
  mainMsP50: number;
  info: WorkerInfo;
}

type FrameSource = HTMLVideoElement | MediaStreamTrack;
type MediaStreamTrackProcessorCtor = new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> };

/** The live camera track behind a source, when this browser can read a track's frames directly (else null). */
function cameraTrackOf(source: FrameSource): MediaStreamTrack | null {
  if (typeof (globalThis as { MediaStreamTrackProcessor?: unknown }).MediaStreamTrackProcessor !== 'function') return null;
  if (typeof MediaStreamTrack !== 'undefined' && source instanceof MediaStreamTrack) return source.readyState === 'live' ? source : null;
  const stream = (source as HTMLVideoElement).srcObject;
  const track = typeof MediaStream !== 'undefined' && stream instanceof MediaStream ? stream.getVideoTracks()[0] : undefined;
  return track && track.readyState === 'live' ? track : null;
}
const STATS_WINDOW = 256;

function median(a: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const s = Array.from(a.subarray(0, n)).sort((x, y) => x - y);
  return s[Math.floor(n / 2)];
}

export class LivenessCheck extends EventTarget {
  readonly plan: ChallengePlan | null;
  private readonly worker: Worker;
  private readonly remote: Remote<WorkerApi>;
  private info!: WorkerInfo;
  private closed = false;
  private crashed: LivecheckError | null = null;
  private readonly crashWaiters = new Set<(e: LivecheckError) => void>();
  private pumping = false;
  /** Frames sent to the worker and not answered yet; up to `depth` (2 while the worker pipelines Iris, else 1). */
  private inFlight = 0;
  private depth = 1;
  /** The newest frame that arrived while the worker was busy (VideoFrame browsers), or its callback time. */
  private pending: { frame: VideoFrame; now: number } | null = null;
  private pendingNow = -1;
  /** The clone of the camera track that readTrack reads, while it runs. */
  private trackClone: MediaStreamTrack | null = null;
  /** Frames travel as VideoFrames where the browser has them (else as ImageBitmaps). */
  private videoFrames = typeof VideoFrame === 'function';
  /** Main-thread time spent taking the frame that analyzeFrame is about to send. */
  private grabMs = 0;
  private video: HTMLVideoElement | null = null;
  private ownedVideo = false;
  private frameHandle = 0;
  private lastT = -Infinity;
  private analyzed = 0;
  private dropped = 0;
  private startedAt = 0;
  private readonly workerMs = new Float64Array(STATS_WINDOW);
  private readonly mainMs = new Float64Array(STATS_WINDOW);
  private resultSent = false;
  private settle: ((r: LivenessResult | null) => void) | null = null;
  private fail: ((e: LivecheckError) => void) | null = null;

  /** @internal Use createLivenessCheck. */
  constructor(
    worker: Worker,
    plan: ChallengePlan | null,
    private readonly workerTimeoutMs = 10_000,
    private readonly withEvidence = false,
  ) {
    super();
    this.worker = worker;
    this.plan = plan;
    this.remote = wrap<WorkerApi>(worker);
    // A crash (script error, out of memory, failed module load) rejects everything pending: no caller hangs.
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      this.onCrash(new LivecheckError('worker-crashed', `livecheck worker failed: ${e.message || 'worker error'}`));
    });
    worker.addEventListener('messageerror', () => this.onCrash(new LivecheckError('worker-crashed', 'livecheck worker sent an unreadable message')));
  }

  override addEventListener<K extends keyof LivenessCheckEventMap>(type: K, listener: (e: LivenessCheckEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null | ((e: never) => void), options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  override removeEventListener<K extends keyof LivenessCheckEventMap>(type: K, listener: (e: LivenessCheckEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null | ((e: never) => void), options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  private emit<K extends keyof LivenessCheckEventMap>(type: K, detail: LivenessCheckEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * Calls the worker, rejecting with `worker-crashed` as soon as the worker dies. With `timeoutMs`, a call still
   * unanswered by then ends the worker with `worker-timeout`: a terminated or self-closed worker fires no event.
   */
  private call<R>(p: Promise<R>, timeoutMs = 0): Promise<R> {
    if (this.crashed) return Promise.reject(this.crashed);
    return new Promise<R>((resolve, reject) => {
      const onCrash = (e: LivecheckError) => reject(e);
      this.crashWaiters.add(onCrash);
      const timer =
        timeoutMs > 0 ? setTimeout(() => this.onCrash(new LivecheckError('worker-timeout', `livecheck worker did not answer within ${timeoutMs} ms (ended or hung)`, { timeoutMs })), timeoutMs) : 0;
      p.then(
        (v) => {
          clearTimeout(timer);
          this.crashWaiters.delete(onCrash);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          this.crashWaiters.delete(onCrash);
          reject(fromWireError(e));
        },
      );
    });
  }

  private onCrash(error: LivecheckError): void {
    if (this.crashed || this.closed) return;
    this.crashed = error;
    for (const w of this.crashWaiters) w(error);
    this.crashWaiters.clear();
    this.stopPump();
    this.emit('error', error);
    this.fail?.(error);
    this.settle = this.fail = null;
    this.worker.terminate();
  }

  /** @internal */
  async init(setup: Parameters<WorkerApi['init']>[0]): Promise<void> {
    this.info = await this.call(this.remote.init(setup));
    this.depth = await this.call(this.remote.depth());
  }

  /**
   * Analyses one frame you captured yourself (MediaPipe's video mode): an ImageBitmap or VideoFrame (transferred:
   * closed after the call) or an RGBA buffer (transferred, and handed back in the result's `buffer` for reuse).
   * Emits the same events as the pump. Timestamps must increase.
   */
  async analyzeFrame(frame: ImageBitmap | VideoFrame | RgbaBuffer, timestampMs: number): Promise<FrameEventDetail> {
    if (this.closed) throw new LivecheckError('closed', 'LivenessCheck used after close()');
    const t0 = performance.now();
    const transferable = ('buffer' in frame && frame.buffer instanceof ArrayBuffer ? frame.buffer : frame) as Transferable;
    const pending = this.call(this.remote.analyze(transfer(frame, [transferable]), timestampMs), this.workerTimeoutMs);
    // the pump's own cost of taking this frame counts as main-thread time too
    let mainMs = performance.now() - t0 + this.grabMs;
    this.grabMs = 0;
    const out = await pending;
    const t1 = performance.now();
    const detail = out as FrameEventDetail;
    detail.mainMs = mainMs;
    this.dispatchFrame(detail);
    mainMs += performance.now() - t1;
    detail.mainMs = mainMs;
    const i = this.analyzed % STATS_WINDOW;
    this.workerMs[i] = out.workerMs;
    this.mainMs[i] = mainMs;
    this.analyzed++;
    return detail;
  }

  private dispatchFrame(d: FrameEventDetail): void {
    const g = d.guidance;
    if (g.raised.length > 0 || g.cleared.length > 0 || this.analyzed === 0) {
      this.emit('guidance', { state: g, issues: g.issues, raised: g.raised, cleared: g.cleared });
    }
    for (const e of d.challenge) this.emit('challenge', e);
    this.emit('frame', d);
    if (d.decision && !this.resultSent) void this.sendResult(d.decision, this.analyzed + 1);
  }

  /** Emits the result; with evidence, once the worker handed over the sealed bundle. */
  private async sendResult(decision: LivenessDecision, framesAnalyzed: number): Promise<LivenessResult | null> {
    this.resultSent = true;
    this.stopPump();
    const result: LivenessResult = { ...decision, framesAnalyzed, framesDropped: this.dropped };
    if (this.withEvidence) {
      try {
        const bundle = await this.call(this.remote.evidence(), this.workerTimeoutMs);
        if (!bundle) throw new LivecheckError('evidence-invalid', 'the worker sealed no evidence bundle');
        result.evidence = bundle;
      } catch (e) {
        const err = e instanceof LivecheckError ? e : fromWireError(e);
        if (err !== this.crashed) this.emit('error', err);
        this.fail?.(err);
        this.settle = this.fail = null;
        return null;
      }
    }
    this.emit('result', result);
    this.settle?.(result);
    this.settle = this.fail = null;
    return result;
  }

  /**
   * Runs the check on a playing <video> (or a camera track): one frame in flight at a time, frames that arrive
   * while the worker is busy are dropped and counted. Resolves with the result when the challenge ends, or null
   * when stop()/close() comes first; rejects with a LivecheckError if the worker dies.
   */
  start(source: FrameSource): Promise<LivenessResult | null> {
    if (this.closed) return Promise.reject(new LivecheckError('closed', 'LivenessCheck used after close()'));
    if (this.crashed) return Promise.reject(this.crashed);
    if (this.pumping) return Promise.reject(new LivecheckError('invalid-argument', 'start() called while already running'));
    if (typeof (source as HTMLVideoElement).requestVideoFrameCallback === 'function' || 'videoWidth' in source) {
      this.video = source as HTMLVideoElement;
      this.ownedVideo = false;
    } else {
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      video.srcObject = new MediaStream([source as MediaStreamTrack]);
      void video.play();
      this.video = video;
      this.ownedVideo = true;
    }
    this.pumping = true;
    this.startedAt = performance.now();
    this.resultSent = false;
    const done = new Promise<LivenessResult | null>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    const track = cameraTrackOf(source);
    if (track) void this.readTrack(track);
    else this.schedule();
    return done;
  }

  /**
   * Camera frames straight from the track (Chromium's MediaStreamTrackProcessor): every captured frame arrives as a
   * VideoFrame whether or not the page gets to paint it, so a busy renderer does not thin out the frames analysed.
   * Reads a clone of the track, so stopping never ends the caller's camera.
   */
  private async readTrack(source: MediaStreamTrack): Promise<void> {
    const track = source.clone();
    this.trackClone = track;
    const reader = new (globalThis as unknown as { MediaStreamTrackProcessor: MediaStreamTrackProcessorCtor }).MediaStreamTrackProcessor({ track }).readable.getReader();
    try {
      for (;;) {
        const { value: frame, done } = await reader.read();
        if (done || !frame) break;
        if (!this.pumping || this.trackClone !== track) {
          frame.close();
          break;
        }
        const now = performance.now();
        if (this.inFlight < this.depth) {
          this.grab(now, frame);
          continue;
        }
        if (this.pending) {
          this.pending.frame.close();
          this.dropped++;
        }
        this.pending = { frame, now };
      }
    } catch {
      // the track ended or the reader was cancelled by stopPump
    } finally {
      void reader.cancel().catch(() => undefined);
      track.stop();
    }
  }

  private schedule(): void {
    const v = this.video;
    if (!this.pumping || !v) return;
    if (typeof v.requestVideoFrameCallback === 'function') this.frameHandle = v.requestVideoFrameCallback(this.onVideoFrame);
    else this.frameHandle = requestAnimationFrame(this.onVideoFrame);
  }

  private readonly onVideoFrame = (now: number): void => {
    if (!this.pumping) return;
    this.schedule();
    const v = this.video!;
    if (v.readyState < 2 || v.videoWidth === 0) return;
    if (this.inFlight < this.depth) {
      this.grab(now);
      return;
    }
    // The worker is busy: keep this frame (a VideoFrame only references the decoded picture) and send it the moment
    // the worker is free, so a worker slightly slower than the camera loses one frame, not every other one.
    const frame = this.videoFrames ? this.videoFrameOf(v, now) : null;
    if (frame) {
      if (this.pending) {
        this.pending.frame.close();
        this.dropped++;
      }
      this.pending = { frame, now };
    } else {
      if (this.pendingNow >= 0) this.dropped++;
      this.pendingNow = now;
    }
  };

  /** The video's current picture as a VideoFrame; null (and ImageBitmaps from then on) where that fails. */
  private videoFrameOf(v: HTMLVideoElement, t: number): VideoFrame | null {
    try {
      return new VideoFrame(v, { timestamp: Math.round(t * 1000) });
    } catch {
      this.videoFrames = false;
      return null;
    }
  }

  /** Sends the video's current picture (or a held VideoFrame) to the worker; one frame in flight at a time. */
  private grab(now: number, held: VideoFrame | null = null): void {
    const v = this.video!;
    // strictly increasing timestamps even if two callbacks share a `now`
    const t = now > this.lastT ? now : this.lastT + 0.001;
    this.lastT = t;
    this.inFlight++;
    const g0 = performance.now();
    let grabbed: Promise<VideoFrame | ImageBitmap>;
    try {
      // a VideoFrame wraps the decoded picture without copying it; the worker copies it once, to RGBA, into wasm
      const frame = held ?? (this.videoFrames ? this.videoFrameOf(v, t) : null);
      grabbed = frame ? Promise.resolve(frame) : createImageBitmap(v);
    } catch (e) {
      grabbed = Promise.reject(e);
    }
    this.grabMs = performance.now() - g0;
    grabbed
      .then((frame) => (this.pumping ? this.analyzeFrame(frame, t) : (frame.close(), null)))
      .catch((e: unknown) => {
        const err = e instanceof LivecheckError ? e : fromWireError(e);
        if (err === this.crashed) return; // already reported
        this.emit('error', err);
        // a bad frame is skipped; a closed worker or asset failure ends the run
        if (err.code !== 'invalid-argument' && err.code !== 'invalid-frame-size') {
          this.stopPump();
          this.fail?.(err);
          this.settle = this.fail = null;
        }
      })
      .finally(() => {
        this.inFlight--;
        const p = this.pending;
        const pn = this.pendingNow;
        this.pending = null;
        this.pendingNow = -1;
        if (!this.pumping || !this.video) {
          p?.frame.close();
          return;
        }
        if (p) this.grab(p.now, p.frame);
        else if (pn >= 0 && this.video.readyState >= 2) this.grab(pn);
      });
  }

  private stopPump(): void {
    this.pumping = false;
    this.trackClone?.stop(); // ends the track reader's stream
    this.trackClone = null;
    this.pending?.frame.close();
    this.pending = null;
    this.pendingNow = -1;
    const v = this.video;
    if (v && this.frameHandle) {
      if (typeof v.cancelVideoFrameCallback === 'function') v.cancelVideoFrameCallback(this.frameHandle);
      else cancelAnimationFrame(this.frameHandle);
    }
    this.frameHandle = 0;
    if (v && this.ownedVideo) v.srcObject = null;
    this.video = null;
  }

  /** Stops the pump. Without a result yet, asks the worker for a decision from what it saw and emits it. */
  async stop(): Promise<LivenessResult | null> {
    const wasRunning = this.pumping;
    this.stopPump();
    if (!wasRunning || this.resultSent || this.closed || this.crashed) {
      this.settle?.(null);
      this.settle = this.fail = null;
      return null;
    }
    const decision = await this.call(this.remote.finish(), this.workerTimeoutMs);
    if (decision && !this.resultSent) return this.sendResult(decision, this.analyzed);
    this.settle?.(null);
    this.settle = this.fail = null;
    return null;
  }

  stats(): LivenessCheckStats {
    const n = Math.min(this.analyzed, STATS_WINDOW);
    const seconds = (performance.now() - this.startedAt) / 1000;
    return {
      framesAnalyzed: this.analyzed,
      framesDropped: this.dropped,
      fpsAnalyzed: this.startedAt > 0 && seconds > 0 ? this.analyzed / seconds : 0,
      workerMsP50: median(this.workerMs, n),
      mainMsP50: median(this.mainMs, n),
      info: this.info,
    };
  }

  /** Stops everything and ends the worker. Pending calls reject with `closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopPump();
    this.settle?.(null);
    this.settle = this.fail = null;
    if (!this.crashed) {
      const closing = this.remote.close().catch(() => undefined);
      // a worker that does not answer within a second is ended anyway
      await Promise.race([closing, new Promise((r) => setTimeout(r, 1000))]);
    }
    this.closed = true;
    const err = new LivecheckError('closed', 'LivenessCheck closed');
    for (const w of this.crashWaiters) w(err);
    this.crashWaiters.clear();
    this.remote[releaseProxy]();
    this.worker.terminate();
  }
}

/**
 * Creates a check: starts the worker and loads the kernels, onnxruntime and the models from `assets`. Rejects with
 * a LivecheckError (`model-missing`, `wasm-unavailable`, `worker-crashed`, ...) when that fails.
 */
export async function createLivenessCheck(options: LivenessCheckOptions = {}): Promise<LivenessCheck> {
  const here = import.meta.url;
  const baseUrl = new URL(String(options.assets?.baseUrl ?? './'), here).href;
  // the package ships its models once, in models/ beside dist/; a self-hosted baseUrl holds them in its models/
  const defaultModels = options.assets?.baseUrl === undefined ? '../models/' : 'models/';
  const modelUrl = new URL(String(options.assets?.modelUrl ?? defaultModels), baseUrl.endsWith('/') ? baseUrl : baseUrl + '/').href;
  const c = options.challenge;
  let plan: ChallengePlan | null = null;
  if (c) {
    const gaps = c.maxGapMs === undefined ? {} : { maxGapMs: c.maxGapMs };
    plan = c.script
      ? await planFromNonce(c.nonce, { script: c.script, ...gaps })
      : await planFromNonce(c.nonce, { actions: 'random', count: c.count ?? 2, ...(c.allowed ? { allowed: c.allowed } : {}), ...gaps });
  }
  const ev = options.evidence ?? null;
  if (ev && (!c || typeof c.nonce !== 'string')) throw new LivecheckError('invalid-argument', 'evidence needs a challenge with a string nonce (the bundle is bound to it)');
  const video = !ev || ev.video === false ? null : ev.video === true || ev.video === undefined ? {} : ev.video;
  if (video?.bitrate !== undefined && !(Number.isInteger(video.bitrate) && video.bitrate >= 50_000 && video.bitrate <= 10_000_000)) {
    throw new LivecheckError('invalid-argument', `evidence.video.bitrate must be an integer from 50000 to 10000000, got ${String(video.bitrate)}`);
  }
  if (video?.keyEvery !== undefined && !(Number.isInteger(video.keyEvery) && video.keyEvery >= 1 && video.keyEvery <= 600)) {
    throw new LivecheckError('invalid-argument', `evidence.video.keyEvery must be an integer from 1 to 600, got ${String(video.keyEvery)}`);
  }
  const identity = options.identity === false ? null : options.identity === true || options.identity === undefined ? {} : options.identity;
  if (identity) resolveIdentityOptions(identity); // a bad setting throws here, typed, before the worker starts
  if (options.decision) resolveDecisionConfig(options.decision); // likewise for the decision's thresholds
  const timeoutMs = options.workerTimeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new LivecheckError('invalid-argument', `workerTimeoutMs must be > 0, got ${String(options.workerTimeoutMs)}`);
  if (typeof Worker === 'undefined') throw new LivecheckError('invalid-argument', 'createLivenessCheck needs a browser with module workers');
  installErrorTransfer();
  // a literal `new URL('./worker.js', import.meta.url)` so bundlers (rollup, Vite) find and emit the worker
  const worker = options.assets?.workerUrl
    ? new Worker(new URL(String(options.assets.workerUrl), here), { type: 'module', name: 'livecheck' })
    : new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'livecheck' });
  const check = new LivenessCheck(worker, plan, timeoutMs, ev !== null);
  try {
    await check.init({
      assetUrl: baseUrl.endsWith('/') ? baseUrl : baseUrl + '/',
      modelUrl: modelUrl.endsWith('/') ? modelUrl : modelUrl + '/',
      numThreads: options.numThreads ?? 0,
      iris: options.iris ?? true,
      irisWorker: options.irisWorker ?? true,
      landmarkRuntime: options.landmarkRuntime ?? 'livecheck',
      plan,
      challenge: c?.config,
      guidance: options.guidance,
      decision: options.decision,
      mirrored: options.mirrored ?? false,
      identity: identity && { ...identity, ...(identity.config && { config: { ...identity.config } }) },
      ...(ev && {
        evidence: {
          nonce: c!.nonce as string,
          document: { metadataHash: ev.document.metadataHash, uploadedAt: ev.document.uploadedAt },
          jpegQuality: ev.jpegQuality,
          video: video && { ...video },
        },
      }),
    });
  } catch (e) {
    worker.terminate();
    throw fromWireError(e);
  }
  return check;
}

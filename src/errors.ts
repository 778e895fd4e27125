/**
 * The one error class livecheck throws. `code` is stable across versions: branch on it, not on `message`.
 * Add new codes here (keep the list sorted by area) and document them in the README's error table.
 */
export type LivecheckErrorCode =
  // frames and regions
  | 'invalid-frame-size' // width/height zero, negative, non-integer, or not matching the buffer length
  | 'empty-buffer' // a zero-length pixel buffer
  | 'detached-buffer' // an ArrayBuffer that was transferred away
  | 'invalid-region' // a region outside the frame, empty, or not finite
  | 'invalid-argument' // any other bad option or argument (NaN, out of range, wrong type)
  // runtime and assets
  | 'wasm-unavailable' // WebAssembly missing or the kernel module failed to instantiate
  | 'model-missing' // a model file could not be read or fetched
  | 'model-corrupt' // a model file exists but cannot be parsed or run
  | 'unsupported-op' // the model converter, or the landmark runtime's planner, met an op it does not implement
  | 'decode-failed' // an image or video file could not be decoded
  | 'encode-failed' // the capture video could not be encoded (ffmpeg failed in Node)
  | 'ffmpeg-missing' // a non-y4m video was given and ffmpeg is not on the PATH
  // browser
  | 'camera-denied'
  | 'camera-not-found'
  | 'camera-unsupported'
  | 'worker-crashed'
  | 'worker-timeout'
  | 'closed' // the check or engine was used after close()
  // policy and evidence
  | 'attempts-locked'
  | 'storage-failed'
  | 'evidence-invalid'
  | 'evidence-version' // an evidence bundle of a format version this library does not read (detail.supported)
  // the verification service (HTTP status in brackets)
  | 'request-invalid' // [400] a body that is not the JSON the route takes, or a field out of its limits
  | 'unauthorized' // [401] a backend route called without the service's API key
  | 'not-found' // [404] no such route, or no such session
  | 'nonce-consumed' // [409] the session's nonce was already used by a submission
  | 'session-expired' // [410] the session's time ran out before its evidence came
  | 'payload-too-large' // [413] a body over the service's limit, refused before it is parsed
  | 'document-too-old' // [422] the ID document was uploaded longer ago than the capture window allows
  | 'service-busy'; // [503] the verification queue is full (Retry-After) or the session store is unreachable

export class LivecheckError extends Error {
  override readonly name = 'LivecheckError';
  readonly code: LivecheckErrorCode;
  /** Machine-readable context (sizes, file names, measured values). Plain data, safe to log. */
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(code: LivecheckErrorCode, message: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.detail = detail;
  }
}

export function isLivecheckError(e: unknown, code?: LivecheckErrorCode): e is LivecheckError {
  return e instanceof LivecheckError && (code === undefined || e.code === code);
}

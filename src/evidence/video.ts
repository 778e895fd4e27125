// The capture as video, as the browser worker records it: the container's bytes and, per analysed frame in order,
// its encoded chunk's time, kind, size and SHA-256. The chunks are the file's packets byte for byte, so a server can
// demux the file and match each packet to its chunk (and, with a bundle that records the digests, to its frame).

/** One encoded frame: its time (ms, the analysed frame's), whether it is a key frame, its bytes' SHA-256 (hex). */
export interface CaptureChunk {
  t: number;
  key: boolean;
  bytes: number;
  sha256: string;
}

export interface CaptureVideo {
  mime: 'video/webm' | 'video/x-matroska';
  /** The WebCodecs codec string the encoder ran with (vp8, vp09.00.10.08 or avc1.42001f). */
  codec: string;
  width: number;
  height: number;
  /** The container's bytes. */
  data: Uint8Array;
  /** One per analysed frame, in order. */
  chunks: CaptureChunk[];
}

/** Encoder settings for the capture video. */
export interface CaptureVideoOptions {
  /** Target bitrate, bits per second. Default CAPTURE_VIDEO_DEFAULTS.bitrate. */
  bitrate?: number;
  /** A key frame every this many frames. Default CAPTURE_VIDEO_DEFAULTS.keyEvery. */
  keyEvery?: number;
}

/**
 * The encoders' defaults, in the browser and in Node: 300 kbit/s keeps a 10 s capture near 375 kB (500 kB as base64
 * in the bundle) while the server's landmarks on the decoded frames stay within a fraction of a pixel of the
 * client's; a key frame every 75 frames bounds what one lost packet can spoil.
 */
export const CAPTURE_VIDEO_DEFAULTS = Object.freeze({ bitrate: 300_000, keyEvery: 75 });

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
  /** Target bitrate, bits per second. Default 400 000 (a 10 s capture near 500 kB). */
  bitrate?: number;
  /** A key frame every this many frames. Default 75. */
  keyEvery?: number;
}

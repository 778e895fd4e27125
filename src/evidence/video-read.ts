// Reading a capture video back: the container's packets as the browser worker (or the Node host) wrote them, each
// with its time, kind, size and SHA-256, so they can be matched one for one to a CaptureVideo's chunks. Nothing is
// decoded: mediabunny demuxes the WebM / Matroska file in memory, in the browser or in Node alike.
import { BufferSource, EncodedPacketSink, Input, MATROSKA, WEBM } from 'mediabunny';
import { LivecheckError } from '../errors.js';
import { toHex } from '../util/hex.js';
import { sha256 } from './encoding.js';

/** One packet of the file's video track, in decode order. */
export interface CaptureVideoPacket {
  /** Presentation time, ms, as the container stores it (WebM: whole milliseconds). */
  t: number;
  key: boolean;
  bytes: number;
  /** SHA-256 of the packet's bytes, hex. */
  sha256: string;
}

export interface CaptureVideoPackets {
  mime: 'video/webm' | 'video/x-matroska';
  /** mediabunny's codec name. */
  codec: 'vp8' | 'vp9' | 'avc';
  /** The track's coded size (the frames' size as encoded). */
  width: number;
  height: number;
  packets: CaptureVideoPacket[];
}

export interface ReadCaptureVideoLimits {
  /** More packets than this is an error (reason `too-many-packets`). Default 3000 (100 s at 30 fps). */
  maxPackets?: number;
}

const CODECS = new Set(['vp8', 'vp9', 'avc']);

/**
 * The packets of a capture video (WebM or Matroska, exactly one video track, VP8, VP9 or H.264). Throws
 * `decode-failed` with `detail.reason` for anything else: `not-a-container`, `no-video-track`, `several-video-tracks`,
 * `unsupported-codec`, `too-many-packets`, `no-packets`, `truncated` (shorter than its Segment says), `unreadable`
 * (malformed).
 */
export async function readCaptureVideo(data: Uint8Array, limits: ReadCaptureVideoLimits = {}): Promise<CaptureVideoPackets> {
  const maxPackets = limits.maxPackets ?? 3000;
  if (!(Number.isInteger(maxPackets) && maxPackets > 0)) throw new LivecheckError('invalid-argument', `limits.maxPackets must be a positive integer, got ${maxPackets}`, { maxPackets });
  if (data.length === 0) throw failed('the capture video is empty', 'not-a-container');
  // mediabunny reads a cut file as the clusters it still holds in full (none, if the cut is in the first): say so
  const end = segmentEnd(data);
  if (end !== null && end > data.length) throw failed(`the capture video is truncated: ${data.length} of ${end} bytes`, 'truncated', { bytes: data.length, expected: end });
  const input = new Input({ formats: [WEBM, MATROSKA], source: new BufferSource(data) });
  try {
    return await readInput(input, maxPackets);
  } catch (e) {
    if (e instanceof LivecheckError) throw e;
    throw failed(`cannot read the capture video: ${(e as Error)?.message ?? String(e)}`, 'unreadable', {}, e);
  } finally {
    input.dispose();
  }
}

async function readInput(input: Input, maxPackets: number): Promise<CaptureVideoPackets> {
  if (!(await input.canRead())) throw failed('the capture video is not a WebM or Matroska file', 'not-a-container');
  const format = await input.getFormat();
  const mime = format === WEBM ? 'video/webm' : 'video/x-matroska';
  const tracks = await input.getVideoTracks();
  if (tracks.length === 0) throw failed('the capture video has no video track', 'no-video-track');
  if (tracks.length > 1) throw failed(`the capture video has ${tracks.length} video tracks, not one`, 'several-video-tracks', { tracks: tracks.length });
  const track = tracks[0];
  const codec = await track.getCodec();
  if (codec === null || !CODECS.has(codec)) throw failed(`the capture video's codec is ${codec ?? 'unknown'}, not vp8, vp9 or avc`, 'unsupported-codec', { codec });
  const width = await track.getCodedWidth();
  const height = await track.getCodedHeight();
  const packets: CaptureVideoPacket[] = [];
  for await (const packet of new EncodedPacketSink(track).packets()) {
    if (packets.length >= maxPackets) throw failed(`the capture video has more than the ${maxPackets} packets allowed`, 'too-many-packets', { limit: maxPackets });
    packets.push({
      // microseconds -> ms without float residue (the container's own unit is whole ms for WebM)
      t: Math.round(packet.microsecondTimestamp) / 1000,
      key: packet.type === 'key',
      bytes: packet.data.length,
      sha256: toHex(await sha256(packet.data)),
    });
  }
  if (packets.length === 0) throw failed('the capture video has no packets', 'no-packets');
  return { mime, codec: codec as CaptureVideoPackets['codec'], width, height, packets };
}

const EBML_ID = 0x1a45dfa3;
const SEGMENT_ID = 0x18538067;

/**
 * Where the file's Segment ends, by its header (EBML header, then Segment, each an ID and a size); null where the
 * bytes do not start that way (mediabunny then says what they are) or the size is unknown (a live-streamed file).
 */
function segmentEnd(data: Uint8Array): number | null {
  const ebml = readVint(data, 0, false);
  if (ebml?.value !== EBML_ID) return null;
  const ebmlSize = readVint(data, ebml.end, true);
  if (ebmlSize === null || ebmlSize.value === null) return null;
  const segment = readVint(data, ebmlSize.end + ebmlSize.value, false);
  if (segment?.value !== SEGMENT_ID) return null;
  const size = readVint(data, segment.end, true);
  return size === null || size.value === null ? null : size.end + size.value;
}

/** An EBML variable-length integer at `at`: an element ID (marker kept) or a size (marker dropped; all ones: null). */
function readVint(data: Uint8Array, at: number, isSize: boolean): { value: number | null; end: number } | null {
  if (at >= data.length || data[at] === 0) return null;
  const length = Math.clz32(data[at]) - 23;
  if (at + length > data.length) return null;
  let value = isSize ? data[at] & (0xff >> length) : data[at];
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + data[at + i];
    allOnes &&= data[at + i] === 0xff;
  }
  return { value: isSize && allOnes ? null : value, end: at + length };
}

function failed(message: string, reason: string, detail: Record<string, unknown> = {}, cause?: unknown): LivecheckError {
  return new LivecheckError('decode-failed', message, { ...detail, reason }, cause === undefined ? undefined : { cause });
}

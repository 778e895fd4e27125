import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeEvidence, EvidenceRecorder } from '../../src/evidence/index.js';
import type { EvidenceBundle, VideoRecord } from '../../src/evidence/index.js';
import { rechain } from '../helpers/forge.js';
import { sha256, toBase64 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { verifyEvidence } from '../../src/server/index.js';
import { Attempt } from '../../src/attempt/attempt.js';
import type { EvidenceCheckName, EvidenceReport, VerifyEvidenceOptions, VideoReanalysis } from '../../src/server/index.js';
import { isLivecheckError } from '../../src/errors.js';
import { MIN, PLAN, UPLOADED_AT, captureFrames, documentFor, encodeCapture, encodeJpeg, recordCapture } from './capture.js';

const NONCE = 'session-7f3a9c2e4b1d5a60';
const OTHER_NONCE = 'session-0b91d2c47e38f115';
const NEW_NONCE = 'session-e5c8a7d30f6b2914';
const NOW = UPLOADED_AT + 6 * MIN;

let genuine: EvidenceBundle;
let genuineText: string;
let options: VerifyEvidenceOptions;

/** The checks that ran and failed (without a reanalyzer the expensive three are skipped, never passed). */
const failed = (r: EvidenceReport): EvidenceCheckName[] => r.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
const videoOf = (b: EvidenceBundle) => b.records[b.records.length - 3] as VideoRecord;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

beforeAll(async () => {
  const document = await documentFor('Franck');
  genuine = await recordCapture({ nonce: NONCE, document });
  genuineText = serializeEvidence(genuine);
  // the binding checks only: the server's re-analysis of the video is tested in server-verdict.test.ts
  options = { nonce: NONCE, document, now: NOW, plan: PLAN };
}, 180_000);

describe('a genuine bundle', () => {
  it('passes every binding check; without a reanalyzer the server cannot judge the pixels: review, never pass', async () => {
    const report = await verifyEvidence(genuineText, options);
    expect(failed(report)).toEqual([]);
    expect(report.head).toBe(genuine.head);
    expect(report.checks.map((c) => c.name)).toEqual([
      'format',
      'version',
      'chain',
      'nonce',
      'plan',
      'document',
      'timestamps',
      'video',
      'keyframes',
      'video-reanalysis',
      'injection',
      'client-agreement',
    ]);
    expect(report.checks.filter((c) => c.skipped).map((c) => c.name)).toEqual(['video-reanalysis', 'injection', 'client-agreement']);
    expect(report.ok).toBe(false);
    expect(report.verdict).toBe('review');
    expect(report.decision).toBeNull();
    const video = videoOf(genuine);
    expect(video.chunks).toHaveLength(8);
    expect(report.checks.find((c) => c.name === 'video')?.detail).toMatch(/^vp8 360x288, 8 packets bound/);
    console.log(`genuine: ${genuineText.length} bytes (video ${video.bytes} bytes)`);
  });

  it('verifies as a parsed object too', async () => {
    expect(failed(await verifyEvidence(JSON.parse(genuineText), options))).toEqual([]);
  });

  it('serialises and hashes the same every time', async () => {
    const again = await recordCapture({ nonce: NONCE, document: options.document });
    expect(again.head).toBe(genuine.head);
    expect(serializeEvidence(again)).toBe(genuineText);
    expect(serializeEvidence(JSON.parse(genuineText))).toBe(genuineText);
    const other = await recordCapture({ nonce: NONCE, document: options.document, startAt: UPLOADED_AT + 3 * MIN + 1 });
    expect(other.head).not.toBe(genuine.head);
  }, 60_000);

  it('without a plan source the plan check is skipped, never passed', async () => {
    const report = await verifyEvidence(genuineText, { nonce: NONCE, document: options.document, now: NOW });
    expect(report.checks.find((c) => c.name === 'plan')).toMatchObject({ ok: false, skipped: true });
    expect(report.verdict).not.toBe('pass');
  });
});

// ---- every byte ----

interface Span {
  start: number;
  end: number;
  path: (string | number)[];
  kind: 'key' | 'string' | 'number' | 'literal';
}

/** Spans of every key and scalar in canonical JSON text (no whitespace), with their paths. */
function spans(text: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  const str = (): number => {
    const s = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return s;
  };
  const value = (path: (string | number)[]): void => {
    const c = text[i];
    if (c === '{') {
      i++;
      while (text[i] !== '}') {
        const s = str();
        const key = JSON.parse(text.slice(s, i)) as string;
        out.push({ start: s + 1, end: i - 1, path: [...path, key], kind: 'key' });
        i++; // :
        value([...path, key]);
        if (text[i] === ',') i++;
      }
      i++;
    } else if (c === '[') {
      i++;
      let n = 0;
      while (text[i] !== ']') {
        value([...path, n++]);
        if (text[i] === ',') i++;
      }
      i++;
    } else if (c === '"') {
      const s = str();
      out.push({ start: s + 1, end: i - 1, path, kind: 'string' });
    } else {
      const s = i;
      while (i < text.length && !',]}'.includes(text[i])) i++;
      out.push({ start: s, end: i, path, kind: /^-?\d/.test(text.slice(s, i)) ? 'number' : 'literal' });
    }
  };
  value([]);
  return out;
}

const HEXCHARS = '0123456789abcdef';
const B64CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A replacement byte that keeps the value's type (hex stays hex, a number stays a valid number), or null for syntax. */
function typedReplacement(text: string, pos: number, span: Span | undefined): string {
  const c = text[pos];
  if (!span || span.kind === 'literal') return c === 'X' ? 'Y' : 'X';
  if (span.kind === 'number') {
    if (!/\d/.test(c)) return 'X'; // '-', '.', 'e': syntax
    const first = pos === span.start || (pos === span.start + 1 && text[span.start] === '-');
    const digits = first && span.end - span.start > 1 && text[pos + 1] !== '.' ? '123456789' : '0123456789';
    return digits[(digits.indexOf(c) + 1 + (pos % (digits.length - 1))) % digits.length];
  }
  const alphabet = /^[0-9a-f]+$/.test(text.slice(span.start, span.end))
    ? HEXCHARS
    : /^[A-Za-z0-9+/]+=*$/.test(text.slice(span.start, span.end)) && span.end - span.start > 64
      ? B64CHARS
      : 'abcdefghijklmnopqrstuvwxyz';
  if (c === '=') return 'A';
  const k = alphabet.indexOf(c);
  return k < 0 ? (c === 'a' ? 'b' : 'a') : alphabet[(k + 1 + (pos % (alphabet.length - 1))) % alphabet.length];
}

/** The checks that must fail for a change at `path`; 'throw:…' means verifyEvidence must throw evidence-invalid. */
function expectedChecks(span: Span | undefined, byte: string, replacement: string, mutated: string): string[] {
  if (span?.kind === 'number' && !/\d/.test(byte)) return ['format']; // '-' or '.' replaced: not JSON any more
  if (span?.kind === 'number') {
    // a digit that makes the number non-canonical (a trailing zero after the point) is the text check's
    const value = mutated.slice(span.start, span.end);
    if (JSON.stringify(Number(value)) !== value) return ['format'];
  }
  // Keys inside free-form maps (plan step parameters) are content, not structure: a renamed key either
  // breaks the canonical key order (format) or the chain.
  if (span?.kind === 'key') {
    const plan = span.path.indexOf('plan');
    if (plan >= 0 && plan < span.path.length - 2 && span.path[span.path.length - 1] !== 'action') return ['format|chain'];
  }
  if (span?.kind === 'key' && span.path.length === 1 && span.path[0] === 'version') return ['throw:version']; // no version field
  if (!span || span.kind === 'key' || span.kind === 'literal') return ['format'];
  const [top, a, b, c] = span.path;
  if (top === 'format') return ['throw:format'];
  if (top === 'version') return ['throw:version'];
  if (top === 'head') return ['chain'];
  if (top === 'genesis') {
    if (a === 'nonce') return ['chain', 'nonce'];
    if (a === 'document') return ['chain', 'document'];
    if (a === 'plan' && c === 'action') return ['chain', 'plan'];
    if (a === 'plan') return ['chain', 'plan'];
    if (a === 'library' && b === 'name') return ['chain', 'version'];
    return ['chain'];
  }
  if (top === 'records') {
    // values from a fixed set (kinds, verdicts, outcomes, media types) are the shape check's
    const last = span.path[span.path.length - 1];
    if (span.kind === 'string' && (last === 'type' || last === 'mime' || last === 'verdict' || last === 'outcome')) return ['format'];
    if (b === 'data') return [genuine.records[a as number].type === 'video' ? 'video' : 'keyframes'];
    // a face with a face count of 0 (or none with a count) is not a frame record any more
    if (b === 'faceCount' && (Number(mutated.slice(span.start, span.end)) === 0) !== ((genuine.records[a as number] as { face: unknown }).face === null)) return ['format'];
    return ['chain'];
  }
  return ['format'];
}

async function outcome(text: string): Promise<{ thrown?: string; failed: string[] }> {
  try {
    return { failed: failed(await verifyEvidence(text, options)) };
  } catch (e) {
    if (isLivecheckError(e, 'evidence-version')) return { thrown: 'version', failed: [] };
    if (!isLivecheckError(e, 'evidence-invalid')) throw e;
    return { thrown: String(e.detail?.check), failed: [] };
  }
}

describe('tampering', () => {
  it('every single-byte change is rejected by the check that owns the byte', async () => {
    const text = genuineText;
    const all = spans(text);
    const owner = new Array<Span | undefined>(text.length);
    for (const s of all) for (let p = s.start; p < s.end; p++) owner[p] = s;
    // Every byte outside the bulk; inside it a seeded sample: the keyframes' and the video's base64 (the first and
    // last 50 bytes and 50 spread over it) and the face points (every byte of each frame's first point, then 1 byte
    // in 60 at random).
    const inLandmarks = new Uint8Array(text.length);
    for (const sp of all) {
      if (sp.path[3] !== 'points' || sp.kind !== 'number') continue;
      // The number and the punctuation up to the next number ('],[' or ',').
      let end = sp.end;
      while (end < text.length && ',[]'.includes(text[end]) && end - sp.end < 3) end++;
      inLandmarks.fill(1, sp.start, end);
    }
    const positions: number[] = [];
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let p = 0; p < text.length; p++) {
      const s = owner[p];
      if (s && s.kind === 'string' && s.path[2] === 'data') {
        const off = p - s.start;
        const len = s.end - s.start;
        if (!(off < 50 || len - off <= 50 || off % Math.floor(len / 50) === 0)) continue;
      }
      if (inLandmarks[p] && !(s && s.path[3] === 'points' && s.path[4] === 0) && rand() >= 1 / 60) continue;
      positions.push(p);
    }
    expect(positions.length).toBeGreaterThan(2000);
    const misses: string[] = [];
    let syntax = 0;
    for (const p of positions) {
      const span = owner[p];
      const replacement = typedReplacement(text, p, span);
      const mutated = text.slice(0, p) + replacement + text.slice(p + 1);
      expect(mutated).not.toBe(text);
      const want = expectedChecks(span, text[p], replacement, mutated);
      const got = await outcome(mutated);
      const ok =
        want[0] === 'format|chain'
          ? got.thrown === 'format' || got.failed.includes('format') || got.failed.includes('chain')
          : want[0].startsWith('throw:')
            ? got.thrown === want[0].slice(6)
            : want[0] === 'format'
              ? got.thrown === 'format' || got.failed.includes('format')
              : got.thrown === undefined && want.every((w) => got.failed.includes(w));
      if (got.thrown === 'format') syntax++;
      if (!ok) misses.push(`@${p} ${JSON.stringify(span?.path)} ${JSON.stringify(text[p])}: want ${want.join('+')}, got ${got.thrown ? `throw:${got.thrown}` : got.failed.join('+') || 'ok'}`);
    }
    expect(misses.slice(0, 10)).toEqual([]);
    console.log(`single-byte changes tried: ${positions.length} of ${text.length} bytes`);
    // Most changes are semantic (the value keeps its type), not just broken JSON.
    expect(syntax).toBeLessThan(positions.length / 2);
  }, 300_000);

  it('rejects reordered frames, renumbered or not', async () => {
    const b = clone(genuine);
    [b.records[1], b.records[2]] = [b.records[2], b.records[1]];
    const r1 = await verifyEvidence(serializeEvidence(b), options);
    // sequence numbers out of order, frame times going back; nothing expensive runs on a broken chain
    expect(failed(r1)).toEqual(['chain', 'timestamps']);
    expect(r1.checks.filter((c) => c.skipped).map((c) => c.name)).toEqual(['video', 'video-reanalysis', 'injection', 'client-agreement']);
    expect(r1.verdict).toBe('fail');
    b.records[1].seq = 1;
    b.records[2].seq = 2;
    const r2 = await verifyEvidence(serializeEvidence(b), options);
    expect(failed(r2)).toContain('chain');
    expect(r2.checks.find((c) => c.name === 'chain')?.data).toEqual({ index: 1 });
  });

  it('rejects truncation', async () => {
    const noEnd = clone(genuine);
    noEnd.records.pop();
    noEnd.head = noEnd.records[noEnd.records.length - 1].hash;
    const r1 = await verifyEvidence(serializeEvidence(noEnd), options);
    expect(failed(r1)).toContain('chain');
    expect(r1.checks.find((c) => c.name === 'chain')?.detail).toMatch(/truncated/);

    const cut = clone(genuine);
    const end = cut.records.pop();
    cut.records.splice(cut.records.length - 2, 2);
    cut.records.push(end as (typeof cut.records)[number]);
    cut.records[cut.records.length - 1].seq = cut.records.length - 1;
    expect(failed(await verifyEvidence(serializeEvidence(cut), options))).toContain('chain');
  });

  it('rejects a splice of two bundles', async () => {
    const other = await recordCapture({ nonce: OTHER_NONCE, document: options.document, startMs: 9000 });
    expect(failed(await verifyEvidence(serializeEvidence(other), { ...options, nonce: OTHER_NONCE }))).toEqual([]);
    const spliced = clone(genuine);
    const half = 5;
    spliced.records = [...spliced.records.slice(0, half), ...clone(other.records.slice(half))];
    spliced.head = other.head;
    const r = await verifyEvidence(serializeEvidence(spliced), options);
    expect(failed(r)).toContain('chain');
    expect(r.checks.find((c) => c.name === 'chain')?.data).toEqual({ index: half });
    const swappedGenesis = { ...clone(other), genesis: clone(genuine.genesis) };
    expect(failed(await verifyEvidence(serializeEvidence(swappedGenesis), options))).toContain('chain');
  }, 60_000);

  it('rejects a replayed bundle under a new nonce, even when the attacker re-chains it', async () => {
    const later = { ...options, nonce: NEW_NONCE, now: NOW + 40 * MIN };
    const replay = await verifyEvidence(genuineText, later);
    expect(failed(replay)).toEqual(expect.arrayContaining(['nonce', 'plan']));
    expect(failed(replay)).not.toContain('chain');

    const forged = clone(genuine);
    forged.genesis.nonce = NEW_NONCE;
    await rechain(forged);
    const r = await verifyEvidence(serializeEvidence(forged), later);
    expect(failed(r)).not.toContain('chain');
    expect(failed(r)).not.toContain('nonce');
    expect(failed(r)).toContain('plan');
    // Re-verifying later also fails the time window, when the server keeps a maximum age.
    const aged = await verifyEvidence(serializeEvidence(forged), { ...later, tolerances: { maxAgeMs: 15 * MIN } });
    expect(aged.checks.find((c) => c.name === 'timestamps')).toMatchObject({ ok: false, data: { side: 'stale' } });
  });

  it('rejects a wrong document', async () => {
    const otherDoc = await documentFor('Someone Else');
    const r = await verifyEvidence(genuineText, { ...options, document: otherDoc });
    expect(failed(r)).toEqual(['document']);
    const moved = await verifyEvidence(genuineText, { ...options, document: { ...options.document, uploadedAt: UPLOADED_AT - 1 } });
    expect(failed(moved)).toContain('document');
  });
});

describe('timestamps', () => {
  const at = async (startAt: number, now = NOW + 30 * MIN) => {
    const b = await recordCapture({ nonce: NONCE, document: options.document, startAt });
    const r = await verifyEvidence(serializeEvidence(b), { ...options, now });
    return r.checks.find((c) => c.name === 'timestamps');
  };
  // The capture lasts 8 frames at 6 fps (the clock ticks before each frame): it ends 1333 ms after it starts.
  const DURATION = Math.round(8 * (1000 / 6));

  it('accepts a capture ending at 15 min + the 2 min skew allowance, and rejects one just after', async () => {
    expect(await at(UPLOADED_AT + 17 * MIN - DURATION)).toMatchObject({ ok: true });
    expect(await at(UPLOADED_AT + 17 * MIN - DURATION + 1)).toMatchObject({ ok: false, data: { side: 'after-window' } });
    expect(await at(UPLOADED_AT + 17 * MIN)).toMatchObject({ ok: false, data: { side: 'after-window' } });
  }, 60_000);

  it('rejects a capture that started before the upload beyond the skew allowance', async () => {
    expect(await at(UPLOADED_AT - 2 * MIN)).toMatchObject({ ok: true });
    expect(await at(UPLOADED_AT - 2 * MIN - 1)).toMatchObject({ ok: false, data: { side: 'before-upload' } });
  }, 60_000);

  it('rejects a client clock ahead of the server beyond the allowance', async () => {
    const start = UPLOADED_AT + 10 * MIN;
    const end = start + DURATION;
    expect(await at(start, end - 2 * MIN)).toMatchObject({ ok: true });
    expect(await at(start, end - 2 * MIN - 1)).toMatchObject({ ok: false, data: { side: 'future' } });
  }, 60_000);

  it('takes the window and skew from the tolerances', async () => {
    const b = await recordCapture({ nonce: NONCE, document: options.document, startAt: UPLOADED_AT + 20 * MIN });
    const text = serializeEvidence(b);
    const now = UPLOADED_AT + 25 * MIN;
    expect(failed(await verifyEvidence(text, { ...options, now }))).toEqual(['timestamps']);
    expect(failed(await verifyEvidence(text, { ...options, now, tolerances: { captureWindowMs: 30 * MIN } }))).toEqual([]);
    expect(failed(await verifyEvidence(text, { ...options, now, tolerances: { clockSkewMs: 6 * MIN } }))).toEqual([]);
  }, 60_000);
});

describe('the video bound to the records', () => {
  /** Replace the bundle's video with `video` (digest, size, chunks), re-chained: an attacker with the library. */
  async function withVideo(b: EvidenceBundle, video: { data: Uint8Array; chunks: VideoRecord['chunks'] }, keepTimes = false): Promise<EvidenceBundle> {
    const out = clone(b);
    const v = videoOf(out);
    v.data = toBase64(video.data);
    v.bytes = video.data.length;
    v.sha256 = toHex(await sha256(video.data));
    v.chunks = video.chunks.map((c, i) => ({ ...c, t: keepTimes ? v.chunks[i].t : c.t }));
    return rechain(out);
  }
  const videoCheck = (r: EvidenceReport) => r.checks.find((c) => c.name === 'video');

  it("another capture's video (its chunks with it) is refused: its frames are not these frames", async () => {
    const frames = await captureFrames({ startMs: 9000 });
    const other = await encodeCapture(frames.map((f) => ({ frame: f.frame, t: f.analysis.timestampMs })));
    const r = await verifyEvidence(serializeEvidence(await withVideo(genuine, other)), options);
    expect(failed(r)).toEqual(['video']);
    expect(videoCheck(r)?.detail).toMatch(/chunk 0 is timed/);
    expect(r.verdict).toBe('fail');
    // re-timed to these frames, the chunks are the other video's: they bind, and the pixels are then what the server
    // judges (server-verdict.test.ts): the video is the evidence, the records only the client's view of it
    const retimed = await withVideo(genuine, other, true);
    expect(failed(await verifyEvidence(serializeEvidence(retimed), options))).toEqual([]);
  }, 60_000);

  it("the same frames re-encoded at another frame rate are refused: the packets are not at the frames' times", async () => {
    const frames = await captureFrames();
    const slow = await encodeCapture(frames.map((f, i) => ({ frame: f.frame, t: f.analysis.timestampMs + i * 40 })));
    const r = await verifyEvidence(serializeEvidence(await withVideo(genuine, slow, true)), options);
    expect(failed(r)).toEqual(['video']);
    expect(videoCheck(r)?.detail).toMatch(/packet 1 is timed/);
  }, 60_000);

  it('a re-ordered video is refused (the chunk list re-ordered with it, re-chained)', async () => {
    const b = clone(genuine);
    const v = videoOf(b);
    [v.chunks[2], v.chunks[3]] = [
      { ...v.chunks[3], t: v.chunks[2].t },
      { ...v.chunks[2], t: v.chunks[3].t },
    ];
    const r = await verifyEvidence(serializeEvidence(await rechain(b)), options);
    expect(failed(r)).toEqual(['video']);
    expect(videoCheck(r)?.detail).toMatch(/packet 2 of the container is not chunk 2/);
  });

  it('a truncated video is refused, whatever the records say', async () => {
    const bytes = Uint8Array.from(Buffer.from(videoOf(genuine).data, 'base64'));
    for (const keep of [bytes.length - 200, Math.floor(bytes.length / 2), 100]) {
      const r = await verifyEvidence(serializeEvidence(await withVideo(genuine, { data: bytes.subarray(0, keep), chunks: videoOf(genuine).chunks })), options);
      expect(failed(r), `kept ${keep} bytes`).toEqual(['video']);
      expect(r.verdict).toBe('fail');
    }
  });

  it('a video whose bytes are not the recorded ones fails; one over the size limit is not even decoded', async () => {
    const b = clone(genuine);
    const v = videoOf(b);
    v.data = v.data.slice(0, -8) + (v.data.endsWith('AAAAAAAA') ? 'BBBBBBBB' : 'AAAAAAAA');
    expect(videoCheck(await verifyEvidence(serializeEvidence(b), options))?.detail).toMatch(/SHA-256|base64|bytes, the record says/);
    const small = await verifyEvidence(genuineText, { ...options, limits: { maxVideoBytes: 1000 } });
    expect(videoCheck(small)?.detail).toMatch(/above the limit of 1000/);
  });

  it('a video in a codec the server does not take (AV1, Motion JPEG) is refused before any decoding, whatever the record claims', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livecheck-codec-'));
    try {
      for (const [codec, file, expected] of [
        ['libsvtav1', 'clip.webm', /codec is av1, not vp8, vp9 or avc/],
        ['mjpeg', 'clip.mkv', /codec is unknown, not vp8, vp9 or avc/],
      ] as const) {
        const out = join(dir, file);
        execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', [
          '-nostdin',
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=320x240:rate=25',
          '-frames:v',
          String(videoOf(genuine).chunks.length),
          '-c:v',
          codec,
          out,
        ]);
        const r = await verifyEvidence(serializeEvidence(await withVideo(genuine, { data: readFileSync(out), chunks: videoOf(genuine).chunks })), options);
        expect(failed(r), codec).toEqual(['video']);
        expect(videoCheck(r)?.detail, codec).toMatch(expected);
        expect(r.verdict).toBe('fail');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a bundle without video is not server-verifiable: review, never pass nor fail', async () => {
    const b = clone(genuine);
    const v = videoOf(b);
    Object.assign(v, { missing: 'video turned off (evidence.video: false)', mime: null, codec: null, width: 0, height: 0, bytes: 0, sha256: null, chunks: [], data: '' });
    const r = await verifyEvidence(serializeEvidence(await rechain(b)), options);
    expect(failed(r)).toEqual(['video']);
    expect(r.verdict).toBe('review');
    expect(r.decision).toBeNull();
    expect(r.reasons[0]).toMatchObject({ code: 'video' });
  });
});

describe('the verdict rule around the re-analysis (a reanalyzer that reports what it is told)', () => {
  // The server's re-analysis itself is tested on real captures in server-verdict.test.ts; here only how the report
  // turns what a re-analysis returned (or threw) into checks and a verdict.
  const decision = (verdict: 'pass' | 'fail' | 'review') => ({ verdict, signals: { active: null, passive: null, motion: null }, reasons: [{ code: `server-${verdict}`, message: 'x' }] });
  const claim = (verdict: 'pass' | 'fail' | 'review') => ({ challenge: { events: [], ended: null }, signals: { active: null, passive: null, motion: null }, verdict, identity: null });
  const clear = { verdict: 'clear' as const, reasons: [], measured: { frames: 8, frozenShare: 0, longestFrozenRunMs: 0, intervalCv: 0.1, noise: null } };
  function answer(over: Partial<VideoReanalysis> = {}): VerifyEvidenceOptions['reanalyzeVideo'] {
    return async (c) => {
      const t0 = c.times[0];
      const claimed = genuine.records[genuine.records.length - 2] as { verdict: 'pass' | 'fail' | 'review' };
      return {
        frames: c.times.length,
        analysed: c.times.length,
        decodedTimes: c.times.map((t) => t - t0),
        decision: decision(claimed.verdict),
        claim: { ...claim(claimed.verdict), challenge: (genuine.records[genuine.records.length - 2] as unknown as { challenge: VideoReanalysis['claim']['challenge'] }).challenge },
        faces: genuine.records.filter((r) => r.type === 'frame').map((r) => (r.type === 'frame' && r.face ? { box: r.face.box, points: r.face.points } : null)),
        injection: clear,
        keyframes: c.keyframes.map((k) => ({ index: k.index, psnr: 40 })),
        ...over,
      };
    };
  }
  const run = (reanalyzeVideo: VerifyEvidenceOptions['reanalyzeVideo']) => verifyEvidence(genuineText, { ...options, reanalyzeVideo });

  it("every check passing: the report's verdict and decision are the re-analysis'", async () => {
    const r = await run(answer());
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.decision?.reasons[0].code).toMatch(/^server-/);
  });

  it('a re-analysis that throws is a failed check and review, never a throw', async () => {
    const r = await run(async () => {
      throw new Error('ffmpeg exploded');
    });
    expect(failed(r)).toEqual(['video-reanalysis', 'injection']);
    expect(r.checks.find((c) => c.name === 'video-reanalysis')?.detail).toMatch(/ffmpeg exploded/);
    expect(r.verdict).toBe('review');
    expect(r.decision).toBeNull();
  });

  it('a decoded video with other frames than the records is refused', async () => {
    const r = await run(answer({ frames: 7, decodedTimes: [0, 1, 2, 3, 4, 5, 6] }));
    expect(failed(r)).toContain('video-reanalysis');
    expect(r.verdict).toBe('review');
  });

  it('an injected camera fails whatever the decision; a suspect one lowers a pass to review; regular frame times alone are reported only', async () => {
    const injected = { verdict: 'injected' as const, reasons: [{ code: 'frozen-frames' as const, message: 'frozen', value: 0.8, threshold: 0.5 }], measured: clear.measured };
    const r1 = await run(answer({ decision: decision('pass'), injection: injected }));
    expect(r1.verdict).toBe('fail');
    expect(r1.decision).toBeNull();
    const suspect = { ...injected, verdict: 'suspect' as const };
    expect((await run(answer({ decision: decision('pass'), injection: suspect }))).verdict).toBe('review');
    const regular = { verdict: 'suspect' as const, reasons: [{ code: 'regular-timestamps' as const, message: 'regular', value: 0.01, threshold: 0.02 }], measured: clear.measured };
    const r3 = await run(answer({ decision: decision('pass'), injection: regular }));
    expect(r3.verdict).toBe('pass');
    expect(r3.checks.find((c) => c.name === 'injection')).toMatchObject({ ok: true });
  });

  it("the client's claim never decides: a server pass stays pass when the client claims fail, and the reverse", async () => {
    const r1 = await run(answer({ decision: decision('fail') }));
    expect(r1.verdict).toBe('fail');
    const r2 = await run(answer({ decision: decision('pass') }));
    expect(r2.verdict).toBe('pass');
    const claimed = (genuine.records[genuine.records.length - 2] as { verdict: string }).verdict;
    for (const r of [r1, r2]) {
      const agreement = r.checks.find((c) => c.name === 'client-agreement')!;
      expect(agreement.ok).toBe(r.verdict === claimed);
    }
  });

  it('faces the server does not see where the client recorded them are named by frame', async () => {
    const r = await run(answer({ faces: genuine.records.filter((x) => x.type === 'frame').map(() => null) }));
    const agreement = r.checks.find((c) => c.name === 'client-agreement')!;
    expect(agreement.ok).toBe(false);
    expect(agreement.detail).toMatch(/8 of 8 frames show a face other than the client recorded \(first: frame 0\)/);
  });
});

describe('unusable input', () => {
  it('throws evidence-invalid for text that is not a bundle, evidence-version for older formats, and reports the rest', async () => {
    const bad = async (input: unknown) => (await verifyEvidence(input, options).catch((e: unknown) => e)) as { code?: string; detail?: { check?: string } };
    expect(await bad('{"format":')).toMatchObject({ code: 'evidence-invalid', detail: { check: 'format' } });
    expect(await bad('[]')).toMatchObject({ code: 'evidence-invalid', detail: { check: 'format' } });
    expect(genuine.version).toBe(4);
    for (const v of [1, 2, 3, 5]) {
      expect(await bad(genuineText.replace('"version":4', `"version":${v}`))).toMatchObject({ code: 'evidence-version', detail: { version: v, supported: [4] } });
    }
    const missing = clone(genuine) as unknown as Record<string, unknown>;
    delete missing.head;
    const r = await verifyEvidence(missing, options);
    expect(r.ok).toBe(false);
    expect(r.verdict).toBe('fail');
    expect(r.checks[0]).toMatchObject({ name: 'format', ok: false });
    expect(r.checks.slice(1).every((c) => c.skipped && !c.ok)).toBe(true);
  });

  it('rejects a non-canonical text of a valid bundle (whitespace, key order)', async () => {
    const pretty = JSON.stringify(JSON.parse(genuineText), null, 1);
    expect(failed(await verifyEvidence(pretty, options))).toContain('format');
  });
});

describe('EvidenceRecorder', () => {
  it('refuses use after finish and keyframes before any frame', async () => {
    const rec = await EvidenceRecorder.start({ nonce: 'n', plan: [], document: options.document, encodeJpeg, configHash: '0'.repeat(64) });
    await expect(rec.addKeyframe('blink', { width: 2, height: 2, data: new Uint8Array(16) })).rejects.toMatchObject({ code: 'invalid-argument' });
    const attempt = await Attempt.start({ plan: null });
    await rec.finish(attempt.claim(await attempt.finish()), { missing: 'none here' });
    expect(() => rec.appendFrame({ timestampMs: 0, width: 1, height: 1, quality: {} as never, faces: [] })).toThrow(expect.objectContaining({ code: 'closed' }));
  });

  it('refuses a video with another number of chunks than frames', async () => {
    const rec = await EvidenceRecorder.start({ nonce: 'n', plan: [], document: options.document, encodeJpeg, configHash: '0'.repeat(64) });
    await rec.appendFrame({ timestampMs: 0, width: 2, height: 2, quality: {} as never, faces: [] });
    const attempt = await Attempt.start({ plan: null });
    const video = { mime: 'video/webm' as const, codec: 'vp8', width: 2, height: 2, data: new Uint8Array(4), chunks: [] };
    await expect(rec.finish(attempt.claim(await attempt.finish()), video)).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('rejects a bad document binding at the start', async () => {
    await expect(EvidenceRecorder.start({ nonce: 'n', plan: [], document: { metadataHash: 'abc', uploadedAt: 0 }, configHash: '0'.repeat(64) })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

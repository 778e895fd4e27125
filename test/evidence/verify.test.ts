import { beforeAll, describe, expect, it } from 'vitest';
import { serializeEvidence, EvidenceRecorder } from '../../src/evidence/index.js';
import type { EvidenceBundle, KeyframeRecord } from '../../src/evidence/index.js';
import { ChainHasher, genesisHash, hashedText } from '../../src/evidence/chain.js';
import { sha256, toBase64 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { verifyEvidence } from '../../src/server/index.js';
import { Attempt } from '../../src/attempt/attempt.js';
import type { EvidenceCheckName, EvidenceReport, VerifyEvidenceOptions } from '../../src/server/index.js';
import { isLivecheckError } from '../../src/errors.js';
import { decodeImage } from '../../src/node/media.js';
import { data } from '../helpers/data.js';
import { MIN, PLAN, UPLOADED_AT, documentFor, encodeJpeg, faceDetector, reanalyzeKeyframe, recordCapture } from './capture.js';

const NONCE = 'session-7f3a9c2e4b1d5a60';
const OTHER_NONCE = 'session-0b91d2c47e38f115';
const NEW_NONCE = 'session-e5c8a7d30f6b2914';
const NOW = UPLOADED_AT + 6 * MIN;

let genuine: EvidenceBundle;
let genuineText: string;
let options: VerifyEvidenceOptions;

const failed = (r: EvidenceReport): EvidenceCheckName[] => r.checks.filter((c) => !c.ok).map((c) => c.name);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** What an attacker with the library can do: recompute every hash after editing the bundle. */
async function rechain(b: EvidenceBundle): Promise<EvidenceBundle> {
  const hasher = new ChainHasher(await genesisHash(b.genesis));
  for (const r of b.records) r.hash = await hasher.push(hashedText(r));
  b.head = b.records[b.records.length - 1].hash;
  return b;
}

beforeAll(async () => {
  const document = await documentFor('Franck');
  genuine = await recordCapture({ nonce: NONCE, document });
  genuineText = serializeEvidence(genuine);
  options = { nonce: NONCE, document, now: NOW, plan: PLAN, reanalyze: reanalyzeKeyframe };
}, 180_000);

describe('a genuine bundle', () => {
  it('verifies, with every check passing', async () => {
    const report = await verifyEvidence(genuineText, options);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.head).toBe(genuine.head);
    expect(report.checks.map((c) => c.name)).toEqual([
      'format',
      'version',
      'chain',
      'nonce',
      'plan',
      'document',
      'timestamps',
      'keyframes',
      'reanalysis',
      'face-consistency',
      'challenge-replay',
      'signals-replay',
      'identity-replay',
      'verdict-replay',
    ]);
    expect(report.decision?.verdict).toBe((genuine.records[genuine.records.length - 2] as { verdict?: string }).verdict);
    const kf = genuine.records.filter((r): r is KeyframeRecord => r.type === 'keyframe');
    expect(kf.map((k) => k.moment)).toEqual(genuine.genesis.plan.map((s) => s.action));
    // The server's own detector agrees with the recorded keypoints to a few pixels on a ~160 px face.
    const nme = report.checks.find((c) => c.name === 'reanalysis')?.data?.nme as number[];
    expect(nme).toHaveLength(kf.length);
    for (const e of nme) expect(e).toBeLessThan(0.05);
    const fc = report.checks.find((c) => c.name === 'face-consistency')?.data?.distance as number;
    console.log(`genuine: ${genuineText.length} bytes, landmark error per keyframe ${nme.map((e) => e.toFixed(4)).join(', ')}, signature distance ${fc.toFixed(3)}`);
  });

  it('verifies as a parsed object too', async () => {
    expect((await verifyEvidence(JSON.parse(genuineText), options)).ok).toBe(true);
  });

  it('serialises and hashes the same every time', async () => {
    const again = await recordCapture({ nonce: NONCE, document: options.document });
    expect(again.head).toBe(genuine.head);
    expect(serializeEvidence(again)).toBe(genuineText);
    expect(serializeEvidence(JSON.parse(genuineText))).toBe(genuineText);
    const other = await recordCapture({ nonce: NONCE, document: options.document, startAt: UPLOADED_AT + 3 * MIN + 1 });
    expect(other.head).not.toBe(genuine.head);
  }, 60_000);

  it('without a reanalyzer or plan source the report is not ok: those checks are skipped, never passed', async () => {
    const report = await verifyEvidence(genuineText, { nonce: NONCE, document: options.document, now: NOW });
    expect(report.ok).toBe(false);
    const skipped = report.checks.filter((c) => c.skipped).map((c) => c.name);
    expect(skipped).toEqual(['plan', 'reanalysis', 'face-consistency']);
    expect(failed(report)).toEqual(skipped);
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
function expectedChecks(span: Span | undefined, byte: string, replacement: string): string[] {
  if (span?.kind === 'number' && !/\d/.test(byte)) return ['format']; // '-' or '.' replaced: not JSON any more
  // Keys inside free-form maps (quality metrics, plan step parameters) are content, not structure: a renamed key either
  // breaks the canonical key order (format) or the chain.
  if (span?.kind === 'key') {
    const quality = Math.max(span.path.indexOf('quality'), span.path.indexOf('regions'));
    const plan = span.path.indexOf('plan');
    if (quality >= 0 && quality < span.path.length - 1) return ['format|chain'];
    if (plan >= 0 && plan < span.path.length - 2 && span.path[span.path.length - 1] !== 'action') return ['format|chain'];
  }
  if (span?.kind === 'key' && span.path.length === 1 && span.path[0] === 'version') return ['throw:version']; // no version field
  if (!span || span.kind === 'key' || span.kind === 'literal') return ['format'];
  const [top, a, b, c] = span.path;
  if (top === 'format') return ['throw:format'];
  // version 2 is read too, and a version-3 result record (with `identity`) is not a valid version-2 one
  if (top === 'version') return replacement === '2' ? ['format'] : ['throw:version'];
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
    if (b === 'type' || b === 'mime') return ['format'];
    if (b === 'data') return ['keyframes'];
    return ['chain'];
  }
  return ['format'];
}

async function outcome(text: string): Promise<{ thrown?: string; failed: string[] }> {
  try {
    return { failed: failed(await verifyEvidence(text, options)) };
  } catch (e) {
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
    // Every byte outside the bulk; inside it a seeded sample: the keyframes' base64 (its first and last 50 bytes and
    // 50 spread over it) and the landmarks (every byte of each frame's first point, then 1 byte in 60 at random).
    const inLandmarks = new Uint8Array(text.length);
    for (const sp of all) {
      if ((sp.path[3] !== 'landmarks' && sp.path[3] !== 'eyeContours') || sp.kind !== 'number') continue;
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
      if (inLandmarks[p] && !(s && s.path[3] === 'landmarks' && s.path[4] === 0) && rand() >= 1 / 60) continue;
      positions.push(p);
    }
    expect(positions.length).toBeGreaterThan(3000);
    const misses: string[] = [];
    let syntax = 0;
    for (const p of positions) {
      const span = owner[p];
      const replacement = typedReplacement(text, p, span);
      const mutated = text.slice(0, p) + replacement + text.slice(p + 1);
      expect(mutated).not.toBe(text);
      const want = expectedChecks(span, text[p], replacement);
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
    // sequence numbers out of order, frame times going back; the replay is not run on a broken chain
    expect(failed(r1)).toEqual(['chain', 'timestamps', 'challenge-replay', 'signals-replay', 'identity-replay', 'verdict-replay']);
    expect(r1.checks.filter((c) => c.skipped).map((c) => c.name)).toEqual(['challenge-replay', 'signals-replay', 'identity-replay', 'verdict-replay']);
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
    expect((await verifyEvidence(serializeEvidence(other), { ...options, nonce: OTHER_NONCE })).ok).toBe(true);
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
    expect((await verifyEvidence(text, { ...options, now })).ok).toBe(false);
    expect((await verifyEvidence(text, { ...options, now, tolerances: { captureWindowMs: 30 * MIN } })).ok).toBe(true);
    expect((await verifyEvidence(text, { ...options, now, tolerances: { clockSkewMs: 6 * MIN } })).ok).toBe(true);
  }, 60_000);
});

describe('keyframes showing another face', () => {
  /** Replace keyframe `k` with a same-size crop of another person's photo and re-chain (an attacker with the library). */
  async function swapFace(k: number, photo: string): Promise<EvidenceBundle> {
    const b = clone(genuine);
    const kfs = b.records.filter((r): r is KeyframeRecord => r.type === 'keyframe');
    const kf = kfs[k];
    const img = decodeImage(photo);
    const [face] = await (await faceDetector()).detect(img);
    const side = Math.max(face.w, face.h) * 1.5;
    const x0 = Math.max(0, Math.round(face.cx - side / 2));
    const y0 = Math.max(0, Math.round(face.cy - side / 2));
    // Nearest-neighbour resample of the other face into the keyframe's size.
    const out = new Uint8Array(kf.width * kf.height * 4);
    for (let y = 0; y < kf.height; y++) {
      for (let x = 0; x < kf.width; x++) {
        const sx = Math.min(img.width - 1, x0 + Math.floor((x * side) / kf.width));
        const sy = Math.min(img.height - 1, y0 + Math.floor((y * side) / kf.height));
        out.set(img.data.subarray((sy * img.width + sx) * 4, (sy * img.width + sx) * 4 + 4), (y * kf.width + x) * 4);
      }
    }
    const jpeg = encodeJpeg({ width: kf.width, height: kf.height, data: out });
    kf.data = toBase64(jpeg);
    kf.sha256 = toHex(await sha256(jpeg));
    return rechain(b);
  }

  it('is rejected by reanalysis and face consistency with the real detector and descriptor', async () => {
    const forged = await swapFace(1, data.astronaut);
    const r = await verifyEvidence(serializeEvidence(forged), options);
    expect(failed(r)).toEqual(['reanalysis', 'face-consistency']);
    const fc = r.checks.find((c) => c.name === 'face-consistency');
    expect(fc?.data?.distance as number).toBeGreaterThan(0.6);
    console.log(`another face: ${r.checks.find((c) => c.name === 'reanalysis')?.detail}; distance ${(fc?.data?.distance as number).toFixed(3)}`);
    const genuineReport = await verifyEvidence(genuineText, options);
    expect(genuineReport.checks.find((c) => c.name === 'face-consistency')?.data?.distance as number).toBeLessThan(0.5);
  }, 120_000);

  it('is rejected by face consistency when only the signature differs', async () => {
    // A reanalyzer that finds the recorded landmarks but, for the second keyframe, another person's signature.
    let calls = 0;
    const r = await verifyEvidence(genuineText, {
      ...options,
      reanalyze: async (kf) => {
        const real = await reanalyzeKeyframe(kf);
        if (calls++ === 0 || !real?.signature) return real;
        return { landmarks: real.landmarks, signature: Array.from(real.signature, (v, i) => (i % 2 ? v + 0.1 : v - 0.1)) };
      },
    });
    expect(failed(r)).toEqual(['face-consistency']);
  }, 60_000);
});

describe('unusable input', () => {
  it('throws evidence-invalid for text that is not JSON or not a version-2 or -3 bundle, and reports the rest', async () => {
    const bad = async (input: unknown) => (await verifyEvidence(input, options).catch((e: unknown) => e)) as { code?: string; detail?: { check?: string } };
    expect(await bad('{"format":')).toMatchObject({ code: 'evidence-invalid', detail: { check: 'format' } });
    expect(await bad('[]')).toMatchObject({ code: 'evidence-invalid', detail: { check: 'format' } });
    expect(genuine.version).toBe(3);
    expect(await bad(genuineText.replace('"version":3', '"version":1'))).toMatchObject({ code: 'evidence-invalid', detail: { check: 'version' } });
    expect(await bad(genuineText.replace('"version":3', '"version":4'))).toMatchObject({ code: 'evidence-invalid', detail: { check: 'version' } });
    // relabelled version 2, it is read: its result record has version 3's `identity`, a format problem
    expect(failed(await verifyEvidence(genuineText.replace('"version":3', '"version":2'), options))).toContain('format');
    const missing = clone(genuine) as unknown as Record<string, unknown>;
    delete missing.head;
    const r = await verifyEvidence(missing, options);
    expect(r.ok).toBe(false);
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
    await rec.finish(attempt.claim(await attempt.finish()));
    expect(() => rec.appendFrame({ timestampMs: 0, width: 1, height: 1, quality: {} as never, faces: [] }, new Uint8Array(4))).toThrow(expect.objectContaining({ code: 'closed' }));
  });

  it('rejects a bad document binding at the start', async () => {
    await expect(EvidenceRecorder.start({ nonce: 'n', plan: [], document: { metadataHash: 'abc', uploadedAt: 0 }, configHash: '0'.repeat(64) })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

// Identity continuity in the evidence bundle (format version 3) and the server's `identity-replay` check, on real
// faces. The client path is the browser worker's (EvidenceSession with the identity check: the sampling rule's faces
// cut as 150x150 aligned chips, described with FaceRecognitionNet when the session is judged, recorded as JPEG), run
// in Node over the face-swap variant (franck for 3 s, then cap13: tools/make-variants.mjs) and a clean clip of one
// person. The server describes the recorded chips itself (createNodeReanalyzer().describeIdentity), checks that the
// readings are the frames the sampling rule picks on its own replay, and judges them with identityContinuity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeEvidence } from '../../src/evidence/index.js';
import type { EvidenceBundle, IdentityRecord, ResultRecord } from '../../src/evidence/bundle.js';
import { ChainHasher, genesisHash, hashedText } from '../../src/evidence/chain.js';
import { verifyEvidence, type EvidenceCheckName, type EvidenceReport, type VerifyEvidenceOptions } from '../../src/server/index.js';
import { createNodeReanalyzer, type NodeReanalyzer } from '../../src/node/reanalyzer.js';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/decision/identity.js';
import { planFromNonce } from '../../src/challenge/index.js';
import { fromBase64, sha256, toBase64 } from '../../src/evidence/encoding.js';
import { toHex } from '../../src/util/hex.js';
import { requireModels } from '../face/engine.js';
import { ensureVariants } from '../helpers/data.js';
import { MIN, UPLOADED_AT, documentFor, reanalyzeKeyframe, recordIdentityCapture, type IdentityEngineCapture } from './capture.js';

const NONCE = 'identity-nonce-3e71c0a95d2b8f46';
const SCRIPT = ['blink', 'turn-left'] as const;
const NOW = UPLOADED_AT + 8 * MIN;
const SWAP_AT_MS = 3000;

let swap: IdentityEngineCapture;
let live: IdentityEngineCapture;
let server: NodeReanalyzer;
let options: VerifyEvidenceOptions;

const failed = (r: EvidenceReport): EvidenceCheckName[] => r.checks.filter((c) => !c.ok).map((c) => c.name);
const check = (r: EvidenceReport, name: EvidenceCheckName) => r.checks.find((c) => c.name === name)!;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const resultOf = (b: EvidenceBundle) => b.records[b.records.length - 2] as ResultRecord;
const identityOf = (b: EvidenceBundle) => b.records.filter((r): r is IdentityRecord => r.type === 'identity');

/** An attacker with the library: edit, then recompute every hash. */
async function rechain(b: EvidenceBundle, version = b.version): Promise<EvidenceBundle> {
  const hasher = new ChainHasher(await genesisHash(b.genesis, version));
  for (const r of b.records) r.hash = await hasher.push(hashedText(r));
  b.head = b.records[b.records.length - 1].hash;
  return b;
}

/** Renumbers the records after removing some (seq and the frame references keep pointing at the same frames). */
function renumber(b: EvidenceBundle): void {
  const old = new Map<number, number>();
  b.records.forEach((r, i) => {
    old.set(r.seq, i);
    r.seq = i;
  });
  for (const r of b.records) if (r.type === 'keyframe' || r.type === 'identity') r.frameSeq = old.get(r.frameSeq)!;
}

const verify = (b: EvidenceBundle | string, extra: Partial<VerifyEvidenceOptions> = {}) => verifyEvidence(typeof b === 'string' ? b : serializeEvidence(b), { ...options, ...extra });

beforeAll(async () => {
  requireModels();
  const [swapClip, cleanClip] = await ensureVariants(['face-swap', 'clean-cap13']);
  const document = await documentFor('Franck');
  swap = await recordIdentityCapture({ file: swapClip.path, nonce: NONCE, script: [...SCRIPT], document });
  live = await recordIdentityCapture({ file: cleanClip.path, nonce: NONCE, script: [...SCRIPT], document });
  server = await createNodeReanalyzer();
  options = {
    nonce: NONCE,
    document,
    now: NOW,
    planFromNonce: async () => (await planFromNonce(NONCE, { script: [...SCRIPT] })).steps,
    reanalyze: reanalyzeKeyframe,
    describeIdentity: (c) => server.describeIdentity(c),
    replay: { identity: {} },
  };
}, 600_000);

afterAll(async () => {
  await server?.close();
});

describe('identity in the evidence bundle', () => {
  it('the swap capture claims the identity changed after the splice, and its verdict is fail with the identity reason first', () => {
    const claim = resultOf(swap.bundle);
    const id = claim.identity!;
    console.log(
      `swap: claim ${JSON.stringify(id)}, verdict ${claim.verdict}, signals ${JSON.stringify(claim.signals)}, ${identityOf(swap.bundle).length} chips, describe ${swap.describeMs.toFixed(0)} ms, bundle ${serializeEvidence(swap.bundle).length} bytes`,
    );
    expect(swap.bundle.version).toBe(3);
    expect(id.verdict).toBe('changed');
    expect(id.distance!).toBeGreaterThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(id.changedAtMs!).toBeGreaterThanOrEqual(SWAP_AT_MS);
    expect(id.changedAtMs!).toBeLessThan(SWAP_AT_MS + 1200);
    expect(claim.verdict).toBe('fail');
    expect(swap.decided.decision.verdict).toBe('fail');
    expect(swap.decided.decision.reasons[0].code).toBe('identity-changed');
    // one chip per reading, each the 150x150 JPEG of a recorded frame; readings every 5th frame with a face at most
    const chips = identityOf(swap.bundle);
    expect(chips.length).toBe(id.readings);
    expect(chips.length).toBe(swap.clientDescriptors.length);
    const frames = swap.bundle.records.filter((r) => r.type === 'frame').length;
    expect(chips.length).toBeLessThanOrEqual(Math.ceil(frames / 5));
    expect(chips.length).toBeGreaterThan(6);
    for (const c of chips) {
      expect([c.width, c.height]).toEqual([150, 150]);
      expect(fromBase64(c.data)!.subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xd8]));
      expect(swap.bundle.records[c.frameSeq].type).toBe('frame');
    }
  });

  it('the live capture claims one person throughout; its verdict is the consensus', () => {
    const claim = resultOf(live.bundle);
    console.log(`live: claim ${JSON.stringify(claim.identity)}, verdict ${claim.verdict}, describe ${live.describeMs.toFixed(0)} ms`);
    expect(claim.identity!.verdict).toBe('unchanged');
    expect(claim.identity!.distance!).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(live.decided.decision.reasons.map((r) => r.code)).not.toContain('identity-changed');
    expect(live.decided.decision.reasons.map((r) => r.code)).toContain('identity-continuous');
  });
});

describe('identity-replay on the server', () => {
  it('the swap bundle verifies with its fail claim: identity-replay and verdict-replay agree, the server decides fail', async () => {
    const r = await verify(swap.bundle);
    const checks = Object.fromEntries(r.checks.map((c) => [c.name, c.ok ? 'ok' : c.detail]));
    console.log(`swap verify: ${JSON.stringify(checks)}`);
    expect(check(r, 'identity-replay').ok, check(r, 'identity-replay').detail).toBe(true);
    expect(check(r, 'verdict-replay').ok).toBe(true);
    expect(r.decision!.verdict).toBe('fail');
    expect(r.decision!.reasons[0].code).toBe('identity-changed');
    // the JPEG moves the server's distances a little from the client's: well within the tolerance
    const data = check(r, 'identity-replay').data as { claimed: { distance: number; peakDistance: number }; replayed: { distance: number; peakDistance: number } };
    expect(Math.abs(data.claimed.distance - data.replayed.distance)).toBeLessThan(0.02);
    // every check passes: the bundle is an honest record of a swap (its keyframes, one per step, all fall before the
    // splice here, so face-consistency cannot see it; identity-replay does)
    expect(failed(r)).toEqual([]);
  }, 300_000);

  it('the live bundle verifies with every check ok', async () => {
    const r = await verify(live.bundle);
    expect(failed(r), JSON.stringify(r.checks.filter((c) => !c.ok))).toEqual([]);
    expect(r.decision!.verdict).toBe(resultOf(live.bundle).verdict);
  }, 300_000);

  it('the JPEG chips describe within a few hundredths of the client pixels', async () => {
    const chips = identityOf(live.bundle);
    let worst = 0;
    for (let i = 0; i < chips.length; i++) {
      const d = await server.describeIdentity({ index: i, frameSeq: chips[i].frameSeq, t: chips[i].t, width: 150, height: 150, jpeg: fromBase64(chips[i].data)! });
      let s = 0;
      for (let k = 0; k < d.length; k++) s += (d[k] - live.clientDescriptors[i][k]) ** 2;
      worst = Math.max(worst, Math.sqrt(s));
    }
    console.log(`client pixels vs server JPEG (q 92): largest descriptor distance ${worst.toFixed(4)} over ${chips.length} chips`);
    expect(worst).toBeLessThan(0.05);
  }, 120_000);

  it('a swap claimed continuous (verdict and identity edited, chain re-hashed) is rejected by identity-replay, by name', async () => {
    const b = clone(swap.bundle);
    const res = resultOf(b);
    res.identity = { ...res.identity!, verdict: 'unchanged', distance: 0.3, changedAtMs: null };
    res.verdict = 'review';
    const r = await verify(await rechain(b));
    expect(failed(r)).toContain('identity-replay');
    expect(check(r, 'identity-replay').detail).toMatch(/claims the identity unchanged, its chips show it changed/);
    expect(failed(r)).toContain('verdict-replay');
    expect(r.decision!.verdict).toBe('fail');
  }, 300_000);

  it('a chip of another person in a live bundle (chain re-hashed) is rejected by identity-replay', async () => {
    const b = clone(live.bundle);
    const mine = identityOf(b);
    const other = identityOf(swap.bundle);
    // the live clip is cap13; the swap's first chip is franck
    const franck = other[0];
    const i = mine.length - 3;
    mine[i].data = franck.data;
    mine[i].sha256 = franck.sha256;
    const r = await verify(await rechain(b));
    expect(failed(r)).toEqual(['identity-replay']);
    expect(check(r, 'identity-replay').detail).toMatch(/peak distance 0\.\d+, its chips give 0\.\d+: a chip is not the face the client described/);
  }, 300_000);

  it('a chip that is not a decodable JPEG (digest updated, chain re-hashed) fails identity-replay, reported, not thrown', async () => {
    const b = clone(live.bundle);
    const chip = identityOf(b)[4];
    const junk = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0, 4, 1, 2, 0xff, 0xd9]);
    chip.data = toBase64(junk);
    chip.sha256 = toHex(await sha256(junk));
    const r = await verify(await rechain(b));
    expect(failed(r)).toEqual(['identity-replay']);
    expect(check(r, 'identity-replay').detail).toMatch(/^identity 4: identity chip 4 is not a decodable JPEG/);
  }, 120_000);

  it('readings dropped to hide the change (claim recomputed, chain re-hashed) are rejected: not the frames the rule picks', async () => {
    const b = clone(swap.bundle);
    const changedAt = resultOf(b).identity!.changedAtMs!;
    b.records = b.records.filter((r) => !(r.type === 'identity' && r.t >= changedAt));
    renumber(b);
    const res = resultOf(b);
    res.identity = { ...res.identity!, verdict: 'unchanged', changedAtMs: null, readings: identityOf(b).length };
    const r = await verify(await rechain(b));
    expect(failed(r)).toContain('identity-replay');
    expect(check(r, 'identity-replay').detail).toMatch(/not the frames the sampling rule picks/);
  }, 300_000);

  it('without describeIdentity the check is skipped (never passed); the server without the identity setting rejects the configuration', async () => {
    const r = await verify(live.bundle, { describeIdentity: undefined });
    expect(check(r, 'identity-replay')).toMatchObject({ ok: false, skipped: true });
    expect(failed(r)).toEqual(['identity-replay']);
    const off = await verify(live.bundle, { replay: undefined });
    expect(failed(off)).toEqual(expect.arrayContaining(['version', 'identity-replay']));
    expect(check(off, 'version').detail).toMatch(/different engine configuration/);
  }, 300_000);

  it('a capture without the identity check fails a server expecting it (configuration and identity-replay), and verifies on one that does not', async () => {
    // the identity-off capture: drop the chips and the claim, bind the default configuration (what a client with
    // identity: false records), re-chain
    const b = clone(live.bundle);
    b.records = b.records.filter((r) => r.type !== 'identity');
    renumber(b);
    resultOf(b).identity = null;
    const { attemptConfigHash } = await import('../../src/attempt/config.js');
    b.genesis.configHash = await attemptConfigHash({});
    await rechain(b);
    const expecting = await verify(b);
    expect(failed(expecting)).toEqual(expect.arrayContaining(['version', 'identity-replay']));
    const plain = await verify(b, { replay: undefined });
    expect(failed(plain)).toEqual([]);
    expect(check(plain, 'identity-replay').detail).toMatch(/identity check off/);
  }, 300_000);

  it('a version-2 bundle (no identity records) is read and verified as before, its identity-replay saying why', async () => {
    const b = clone(live.bundle);
    b.records = b.records.filter((r) => r.type !== 'identity');
    renumber(b);
    delete resultOf(b).identity;
    const { attemptConfigHash } = await import('../../src/attempt/config.js');
    b.genesis.configHash = await attemptConfigHash({});
    b.version = 2;
    await rechain(b, 2);
    const r = await verify(b, { replay: undefined });
    expect(failed(r)).toEqual([]);
    expect(check(r, 'format').detail).toMatch(/version-2/);
    expect(check(r, 'identity-replay').detail).toMatch(/version-2 bundle/);
    // a v2 bundle hashed as v3 (the version swapped) breaks the chain
    const swapped = clone(b);
    swapped.version = 3;
    expect(failed(await verify(swapped, { replay: undefined }))).toContain('format'); // v3 needs result.identity
    const expecting = await verify(b);
    expect(check(expecting, 'identity-replay').detail).toMatch(/version-2 bundle: identity readings were not recorded/);
  }, 300_000);
});

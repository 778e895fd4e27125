// Identity continuity (src/decision/identity.ts) on plain data: descriptor series of one person, of a person change,
// with a single outlier, turned faces, too few readings; and how a change overrides the liveness consensus.
import { describe, expect, it } from 'vitest';
import { identityContinuity, withIdentity, identityFaceUsable, DEFAULT_IDENTITY_CONFIG, type IdentityReading } from '../../src/decision/identity.js';
import { decideLiveness } from '../../src/decision/index.js';
import type { SignalResult } from '../../src/decision/index.js';
import { mulberry32 } from '../helpers/random.js';

const DIM = 128;

/** A person: a random unit-scale descriptor; a reading of them: that descriptor plus noise of the given norm. */
function person(rand: () => number): Float64Array {
  const d = new Float64Array(DIM);
  for (let i = 0; i < DIM; i++) d[i] = (rand() - 0.5) * 0.2;
  return d;
}
function reading(of: Float64Array, noiseNorm: number, rand: () => number): Float64Array {
  const n = new Float64Array(DIM);
  let s = 0;
  for (let i = 0; i < DIM; i++) {
    n[i] = rand() - 0.5;
    s += n[i] * n[i];
  }
  const k = noiseNorm / Math.sqrt(s);
  return of.map((v, i) => v + n[i] * k);
}
const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

const live: SignalResult = { score: 0.9, verdict: 'live', reasons: [] };

describe('identity continuity on descriptor series', () => {
  const rand = mulberry32(61);
  const a = person(rand),
    b = person(rand);

  it('the two test people are farther apart than the threshold, and one person stays within it', () => {
    expect(dist(a, b)).toBeGreaterThan(DEFAULT_IDENTITY_CONFIG.maxDistance + 0.2);
  });

  it('one person throughout: unchanged, with the sustained distance reported', () => {
    const rs: IdentityReading[] = Array.from({ length: 20 }, (_, i) => ({ timestampMs: i * 200, descriptor: reading(a, 0.2, rand) }));
    const r = identityContinuity(rs);
    expect(r.verdict).toBe('unchanged');
    expect(r.changedAtMs).toBeNull();
    expect(r.readings).toBe(20);
    expect(r.distance).toBeGreaterThan(0.05);
    expect(r.distance).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(r.reasons[0].code).toBe('identity-continuous');
  });

  it('another person from the 11th reading: changed at that reading, distance beyond the threshold', () => {
    const rs: IdentityReading[] = Array.from({ length: 20 }, (_, i) => ({ timestampMs: i * 200, descriptor: reading(i < 10 ? a : b, 0.2, rand) }));
    const r = identityContinuity(rs);
    expect(r.verdict).toBe('changed');
    expect(r.changedAtMs).toBe(2000);
    expect(r.distance).toBeGreaterThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(r.reasons[0]).toMatchObject({ code: 'identity-changed', threshold: DEFAULT_IDENTITY_CONFIG.maxDistance });
  });

  it('a single far reading (blur, a hand) is not a change; two in a row are', () => {
    const rs: IdentityReading[] = Array.from({ length: 12 }, (_, i) => ({ timestampMs: i * 200, descriptor: reading(i === 6 ? b : a, 0.2, rand) }));
    const one = identityContinuity(rs);
    expect(one.verdict).toBe('unchanged');
    expect(one.peakDistance).toBeGreaterThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    expect(one.distance).toBeLessThan(DEFAULT_IDENTITY_CONFIG.maxDistance);
    rs[7] = { timestampMs: 1400, descriptor: reading(b, 0.2, rand) };
    const two = identityContinuity(rs);
    expect(two.verdict).toBe('changed');
    expect(two.changedAtMs).toBe(1200);
  });

  it('turned faces are left out: a change seen only at 40 deg yaw is not judged', () => {
    const rs: IdentityReading[] = Array.from({ length: 12 }, (_, i) => ({
      timestampMs: i * 200,
      descriptor: reading(i >= 6 ? b : a, 0.2, rand),
      yawDeg: i >= 6 ? 40 : 3,
      pitchDeg: 0,
    }));
    const r = identityContinuity(rs);
    expect(r.readings).toBe(6);
    expect(r.verdict).toBe('unchanged');
    expect(identityFaceUsable({ yawDeg: -24, pitchDeg: 10 })).toBe(true);
    expect(identityFaceUsable({ yawDeg: 0, pitchDeg: -30 })).toBe(false);
  });

  it('faces too small to describe steadily are left out', () => {
    const min = DEFAULT_IDENTITY_CONFIG.minEyeDistancePx;
    const rs: IdentityReading[] = Array.from({ length: 12 }, (_, i) => ({
      timestampMs: i * 200,
      descriptor: reading(i >= 6 ? b : a, 0.2, rand),
      eyeDistancePx: i >= 6 ? min - 1 : min + 30,
    }));
    expect(identityContinuity(rs)).toMatchObject({ verdict: 'unchanged', readings: 6 });
    for (const r of rs) r.eyeDistancePx = min;
    expect(identityContinuity(rs)).toMatchObject({ verdict: 'changed', readings: 12 });
    expect(identityFaceUsable({})).toBe(true);
  });

  it('too few readings: unknown, and the decision is left as it was', () => {
    const r = identityContinuity([
      { timestampMs: 0, descriptor: a },
      { timestampMs: 200, descriptor: b },
      { timestampMs: 400, descriptor: b },
    ]);
    expect(r.verdict).toBe('unknown');
    expect(r.distance).toBeNull();
    const d = decideLiveness({ active: live, passive: live, motion: live });
    expect(withIdentity(d, r).verdict).toBe('pass');
  });

  it('distances measured elsewhere are used as given; mixing both kinds is an error', () => {
    const ds = [0.2, 0.25, 0.3, 0.6, 0.3, 0.62, 0.7, 0.65];
    const r = identityContinuity(ds.map((distance, i) => ({ timestampMs: i * 100, distance })));
    expect(r.verdict).toBe('changed');
    expect(r.changedAtMs).toBe(500);
    expect(r.distance).toBeCloseTo(0.65, 10);
    expect(r.peakDistance).toBeCloseTo(0.7, 10);
    expect(() =>
      identityContinuity([
        { timestampMs: 0, descriptor: a },
        { timestampMs: 1, distance: 0.1 },
      ]),
    ).toThrow(/mix/);
    expect(() => identityContinuity([], { ...DEFAULT_IDENTITY_CONFIG, readings: 0 })).toThrow(/identity config/);
  });
});

describe('a changed identity overrides the consensus', () => {
  const changed = identityContinuity([0.1, 0.2, 0.7, 0.8].map((distance, i) => ({ timestampMs: i * 100, distance })));
  const same = identityContinuity([0.1, 0.2, 0.3, 0.2].map((distance, i) => ({ timestampMs: i * 100, distance })));

  it('all three signals live, yet the person changed: fail, identity-changed first', () => {
    const d = withIdentity(decideLiveness({ active: live, passive: live, motion: live }), changed);
    expect(d.verdict).toBe('fail');
    expect(d.reasons[0].code).toBe('identity-changed');
    expect(d.reasons.map((r) => r.code)).toContain('active-live');
  });

  it('the same person: the consensus verdict stands, the identity reason is appended', () => {
    const unsure: SignalResult = { score: 0.5, verdict: 'unsure', reasons: [] };
    const pass = withIdentity(decideLiveness({ active: live, passive: live, motion: live }), same);
    expect(pass.verdict).toBe('pass');
    expect(pass.reasons.at(-1)?.code).toBe('identity-continuous');
    expect(withIdentity(decideLiveness({ active: unsure, passive: live, motion: live }), same).verdict).toBe('review');
  });
});

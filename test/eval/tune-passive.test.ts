// The eval's passive threshold tuning on plain data: passive.liveMin is chosen as a print/screen detector on the
// tuning split only (midpoint between the highest print/screen score no artefact vetoed and the lowest live score).
import { describe, expect, it } from 'vitest';
import { tunePassive, type Presentation, type PresentationRecord, type Species } from '../../tools/eval/eval.js';
import { passiveSignal, type PassiveFrameFeatures } from '../../src/decision/index.js';
import type { Split } from '../../tools/eval/metrics.js';

/** 20 frames of constant passive features. */
function record(f: PassiveFrameFeatures): PresentationRecord {
  const passiveFrames = Array.from({ length: 20 }, (_, i) => ({ timestampMs: i * 40, ...f }));
  return { frames: 20, framesWithFace: 20, actions: [], motionFrames: [], passiveFrames, identity: [] };
}

const clean = (liveness: number): PassiveFrameFeatures => ({ antispoofReal: liveness, livenessLive: liveness, moire: 0, flicker: 0, deviceBorder: 0, specular: 0 });

function suite(entries: Array<[string, Species, Split, PassiveFrameFeatures]>) {
  const ps: Presentation[] = entries.map(([id, species, split]) => ({
    id,
    species,
    split,
    path: '/x.mp4',
    startMs: 0,
    durationMs: 1000,
    width: 640,
    height: 480,
    plan: ['blink'],
    note: '',
  }));
  const recs = new Map(entries.map(([id, , , f]) => [id, record(f)]));
  return { ps, recs, fused: (id: string) => passiveSignal(recs.get(id)!.passiveFrames).measurements.fused };
}

describe('tunePassive', () => {
  it('sits midway between the highest unvetoed print/screen score and the lowest live score, tuning split only', () => {
    const s = suite([
      ['live-a', 'bona-fide', 'tuning', clean(0.95)],
      ['live-b', 'bona-fide', 'tuning', clean(0.9)],
      ['print-a', 'print', 'tuning', { ...clean(0.8), deviceBorder: 0.4 }], // no veto: binds
      ['screen-a', 'screen-replay', 'tuning', { ...clean(0.99), moire: 0.95 }], // vetoed: spoof at any liveMin
      ['static-a', 'static-photo', 'tuning', clean(0.99)], // no artefact to see: not the passive signal's species
      ['live-held', 'bona-fide', 'held-out', clean(0.5)], // never looked at
      ['print-held', 'print', 'held-out', clean(0.99)],
    ]);
    const t = tunePassive(s.ps, s.recs);
    const expected = (s.fused('print-a') + s.fused('live-b')) / 2;
    expect(s.fused('print-a')).toBeLessThan(s.fused('live-b'));
    expect(t.liveMin).toBeCloseTo(expected, 10);
    expect(t.passive.liveMin).toBe(t.liveMin);
    // the held-out split moves nothing
    const s2 = suite([...s.ps.map((p) => [p.id, p.species, p.split, s.recs.get(p.id)!.passiveFrames[0]] as [string, Species, Split, PassiveFrameFeatures]).filter(([id]) => !id.endsWith('-held'))]);
    expect(tunePassive(s2.ps, s2.recs).liveMin).toBeCloseTo(expected, 10);
  });

  it('a print that scores above every live window pushes liveMin above all of them (no live passes passive)', () => {
    const s = suite([
      ['live-a', 'bona-fide', 'tuning', clean(0.7)],
      ['print-a', 'print', 'tuning', clean(0.95)],
    ]);
    expect(tunePassive(s.ps, s.recs).liveMin).toBeGreaterThan(s.fused('print-a'));
  });
});

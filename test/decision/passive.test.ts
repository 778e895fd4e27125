import { describe, expect, it } from 'vitest';
import { passiveSignal, type PassiveFrameFeatures } from '../../src/decision/passive.js';
import { DEFAULT_PASSIVE_CONFIG } from '../../src/decision/config.js';
import { mulberry32 } from './synthetic-head.js';

/** Frames whose features scatter around the given centres (like per-frame model and kernel outputs). */
function frames(centres: PassiveFrameFeatures, n = 30, spread = 0.08, seed = 1): PassiveFrameFeatures[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const f: PassiveFrameFeatures = { timestampMs: i * 33 };
    for (const [k, v] of Object.entries(centres)) {
      if (typeof v === 'number') (f as Record<string, number>)[k] = Math.min(1, Math.max(0, v + (rand() - 0.5) * 2 * spread));
    }
    return f;
  });
}
const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

describe('passive signal', () => {
  it('live-looking models and clean artefact kernels: live', () => {
    const r = passiveSignal(frames({ antispoofReal: 0.9, livenessLive: 0.85, moire: 0.1, flicker: 0.05, deviceBorder: 0.1 }));
    expect(r.verdict).toBe('live');
    expect(codes(r)).toContain('looks-live');
    expect(r.measurements.evidenceWeight).toBe(4);
  });

  it('a strong artefact vetoes, whatever the models say', () => {
    const r = passiveSignal(frames({ antispoofReal: 0.95, livenessLive: 0.95, moire: 0.95, flicker: 0.05, deviceBorder: 0.05 }));
    expect(r.verdict).toBe('spoof');
    expect(codes(r)).toContain('moire-artefact');
  });

  it('low fused score: spoof; middling: unsure', () => {
    expect(passiveSignal(frames({ antispoofReal: 0.1, livenessLive: 0.2, moire: 0.7, deviceBorder: 0.75 })).verdict).toBe('spoof');
    expect(passiveSignal(frames({ antispoofReal: 0.5, livenessLive: 0.5, moire: 0.5, deviceBorder: 0.5 })).verdict).toBe('unsure');
  });

  it('the models alone are weak evidence: unsure even when confident; nothing at all: unsure', () => {
    const models = passiveSignal(frames({ antispoofReal: 0.99, livenessLive: 0.99 }));
    expect(models.verdict).toBe('unsure');
    expect(codes(models)).toContain('weak-evidence');
    const none = passiveSignal([]);
    expect(none.verdict).toBe('unsure');
    expect(none.score).toBe(0.5);
  });

  it('aggregates robustly: a few wild frames do not flip the median', () => {
    const f = frames({ antispoofReal: 0.9, livenessLive: 0.9, moire: 0.1, flicker: 0.1 });
    for (let i = 0; i < 4; i++) f[i] = { ...f[i], antispoofReal: 0, livenessLive: 0 };
    expect(passiveSignal(f).verdict).toBe('live');
  });

  it('features seen on too few frames, NaN and missing values are ignored', () => {
    const f = frames({ antispoofReal: 0.9, livenessLive: 0.9, moire: 0.1, flicker: 0.1 });
    f[0].deviceBorder = 1; // one frame is not enough to veto
    f[1].moire = Number.NaN;
    const r = passiveSignal(f);
    expect(r.measurements.features.deviceBorder).toBeNull();
    expect(r.measurements.frames.moire).toBe(29);
    expect(r.verdict).toBe('live');
  });

  it('flicker up to its floor (what live captures show) costs nothing; above it, it lowers the score', () => {
    const clean = passiveSignal(frames({ antispoofReal: 0.8, livenessLive: 0.95, moire: 0, deviceBorder: 0, flicker: 0 }, 30, 0));
    const liveBanding = passiveSignal(frames({ antispoofReal: 0.8, livenessLive: 0.95, moire: 0, deviceBorder: 0, flicker: 0.45 }, 30, 0));
    const strong = passiveSignal(frames({ antispoofReal: 0.8, livenessLive: 0.95, moire: 0, deviceBorder: 0, flicker: 0.8 }, 30, 0));
    expect(liveBanding.measurements.fused).toBeCloseTo(clean.measurements.fused, 10);
    expect(liveBanding.reasons.find((r) => r.code === 'flicker')?.threshold).toBe(DEFAULT_PASSIVE_CONFIG.features.flicker.floor);
    // (0.8 - 0.5) / 0.5 = 0.6 of the flicker evidence gone, at weight 1 of 4
    expect(clean.measurements.fused - strong.measurements.fused).toBeCloseTo(0.6 / 4, 10);
    const noFloor = { ...DEFAULT_PASSIVE_CONFIG, features: { ...DEFAULT_PASSIVE_CONFIG.features, flicker: { kind: 'artefact' as const, weight: 1, floor: 0 } } };
    expect(clean.measurements.fused - passiveSignal(frames({ antispoofReal: 0.8, livenessLive: 0.95, moire: 0, deviceBorder: 0, flicker: 0.45 }, 30, 0), noFloor).measurements.fused).toBeCloseTo(
      0.45 / 4,
      10,
    );
  });

  it('weights and thresholds come from the config', () => {
    const f = frames({ antispoofReal: 0.99, livenessLive: 0.99 });
    const trustModels = { ...DEFAULT_PASSIVE_CONFIG, minEvidenceWeight: 1 };
    expect(passiveSignal(f, trustModels).verdict).toBe('live');
  });
});

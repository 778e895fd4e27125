import { describe, expect, it } from 'vitest';
import * as L from '../../src/quality/layout.js';

// Each kernel's result slots: distinct, and inside the buffer the wrapper reserves for it.
const GROUPS: Array<[string, number, string[]]> = [
  ['histogramStats', L.STATS_SLOTS, ['STATS_COUNT', 'STATS_MEAN', 'STATS_STD', 'STATS_DARK', 'STATS_BRIGHT', 'STATS_ENTROPY']],
  ['rgbSums', L.SUMS_SLOTS, ['SUMS_R', 'SUMS_G', 'SUMS_B']],
  ['laplacianSums', L.SUMS_SLOTS, ['LAPLACIAN_SUM', 'LAPLACIAN_SUM_SQ']],
  ['summarizeMotion', L.MOTION_SLOTS, Object.keys(L).filter((k) => k.startsWith('MOTION_') && k !== 'MOTION_SLOTS')],
  ['spectrumBands', L.PASSIVE_SLOTS, ['BANDS_POWER', 'BANDS_PEAK', 'BANDS_COUNT', 'BANDS_LOW']],
  ['colourStats', L.PASSIVE_SLOTS, Object.keys(L).filter((k) => k.startsWith('COLOUR_'))],
];

describe('quality kernel result layout', () => {
  it('every slot is an integer, distinct within its kernel, and fits the reserved buffer', () => {
    const named = new Set<string>();
    for (const [kernel, slots, names] of GROUPS) {
      const at = names.map((n) => (L as Record<string, number>)[n]);
      for (let i = 0; i < names.length; i++) {
        expect(Number.isInteger(at[i]) && at[i] >= 0 && at[i] < slots, `${kernel} ${names[i]} = ${at[i]} (of ${slots})`).toBe(true);
        named.add(names[i]);
      }
      expect(new Set(at).size, `${kernel}: distinct slots`).toBe(names.length);
    }
    // every exported slot belongs to one kernel (a new one must be added above)
    const slotsNames = ['STATS_SLOTS', 'SUMS_SLOTS', 'MOTION_SLOTS', 'PASSIVE_SLOTS'];
    expect(Object.keys(L).filter((k) => !slotsNames.includes(k) && !named.has(k))).toEqual([]);
  });
});

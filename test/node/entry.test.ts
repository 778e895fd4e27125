import { describe, expect, it } from 'vitest';
import * as nodeEntry from '../../src/node/index.js';
import { data, requireData } from '../helpers/data.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLivecheckError, type LivecheckError } from '../../src/errors.js';

describe('livecheck/node entry', () => {
  it('exposes the Node engine, analyze and media helpers, and no test helpers', () => {
    for (const name of ['createNodeEngine', 'createNodeReanalyzer', 'analyzeVideo', 'captureVideo', 'readAttemptConfig', 'decodeImage', 'decodeVideo', 'probeVideo']) {
      expect(typeof (nodeEntry as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of ['writeY4m', 'createNodeKernels', 'kernelBuildDir']) expect(name in nodeEntry, name).toBe(false);
  });

  it('createNodeReanalyzer refuses a models folder without the landmark models up front (model-missing)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'livecheck-no-models-'));
    try {
      const e = await nodeEntry.createNodeReanalyzer({ modelDir: empty }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(isLivecheckError(e, 'model-missing')).toBe(true);
      expect(String((e as LivecheckError).detail?.file)).toMatch(/blazeface\.onnx$/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('analyses a real photo end to end: one face, landmarks inside the image', async () => {
    requireData(data.astronaut);
    const img = nodeEntry.decodeImage(data.astronaut);
    const engine = await nodeEntry.createNodeEngine();
    try {
      const r = await engine.analyzeFrame(img, 0);
      expect(r.analysis.faces.length).toBe(1);
      const lm = r.analysis.faces[0].landmarks;
      expect(lm.length).toBeGreaterThanOrEqual(468);
      for (const [x, y] of lm) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(img.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThan(img.height);
      }
    } finally {
      await engine.close();
    }
  });
});

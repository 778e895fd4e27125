// Model loading errors are typed and name the file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { isLivecheckError } from '../../src/errors.js';
import { FaceTracker } from '../../src/face/index.js';
import { createSession, loadModelBytes } from '../../src/face/models.js';
import { loadImage, data, models, requireModels } from './engine.js';

const tmp = mkdtempSync(join(tmpdir(), 'livecheck-models-'));

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('model loading errors', () => {
  it('a missing file is model-missing and names the file', async () => {
    const file = join(tmp, 'nope', 'facemesh.onnx');
    const e = await caught(loadModelBytes(file));
    expect(isLivecheckError(e, 'model-missing')).toBe(true);
    expect((e as Error).message).toContain(file);
    expect((e as { detail: { file: string } }).detail.file).toBe(file);
  });

  it('FaceTracker.create with a missing mesh model names that file', async () => {
    requireModels();
    const mesh = join(tmp, 'missing-facemesh.onnx');
    const e = await caught(FaceTracker.create({ ort, models: { detector: models.detector, mesh } }));
    expect(isLivecheckError(e, 'model-missing')).toBe(true);
    expect((e as Error).message).toContain('missing-facemesh.onnx');
  });

  it('a corrupt file is model-corrupt and names the file', async () => {
    const file = join(tmp, 'corrupt.onnx');
    writeFileSync(file, Buffer.from('this is not a protobuf model, just text '.repeat(50)));
    const e = await caught(createSession(ort, file));
    expect(isLivecheckError(e, 'model-corrupt')).toBe(true);
    expect((e as Error).message).toContain(file);
  });

  it('a truncated real model is model-corrupt', async () => {
    requireModels();
    const { readFileSync } = await import('node:fs');
    const file = join(tmp, 'truncated-iris.onnx');
    const bytes = readFileSync(models.iris);
    writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    const e = await caught(createSession(ort, file));
    expect(isLivecheckError(e, 'model-corrupt')).toBe(true);
    expect((e as Error).message).toContain('truncated-iris.onnx');
  });

  it('an empty file is model-corrupt', async () => {
    const file = join(tmp, 'empty.onnx');
    writeFileSync(file, new Uint8Array(0));
    const e = await caught(createSession(ort, file));
    expect(isLivecheckError(e, 'model-corrupt')).toBe(true);
  });

  it('a valid model of the wrong kind (detector given as mesh) is model-corrupt at first use', async () => {
    requireModels();
    const tracker = await FaceTracker.create({ ort, models: { detector: models.detector, mesh: models.detector } });
    const e = await caught(tracker.detectImage(loadImage(data.astronaut)));
    expect(isLivecheckError(e, 'model-corrupt')).toBe(true);
    expect((e as Error).message).toContain('mesh');
    await tracker.close();
  });

  it('bytes work as well as paths', async () => {
    requireModels();
    const { readFileSync } = await import('node:fs');
    const session = await createSession(ort, new Uint8Array(readFileSync(models.detector)));
    expect(session.inputNames).toHaveLength(1);
    await session.release();
  });
});

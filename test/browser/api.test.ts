// The browser API in Node: importing the package entry touches no browser global (SSR), and the camera helper's
// pure parts and typed failures.
import { describe, expect, it } from 'vitest';

describe('livecheck entry under SSR (Node, no window / document / navigator.mediaDevices)', () => {
  it('imports without touching browser globals and exposes the browser API', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined');
    const lib = await import('../../src/index.js');
    expect(typeof lib.createLivenessCheck).toBe('function');
    expect(typeof lib.openCamera).toBe('function');
    // the check is a type: its constructor stays internal
    expect('LivenessCheck' in lib).toBe(false);
  });

  it('openCamera without a camera API rejects with camera-unsupported', async () => {
    const { openCamera, isLivecheckError } = await import('../../src/index.js');
    const err = await openCamera().catch((e: unknown) => e);
    expect(isLivecheckError(err, 'camera-unsupported')).toBe(true);
  });

  it('createLivenessCheck outside a browser rejects with a typed error (after validating the challenge)', async () => {
    const { createLivenessCheck, isLivecheckError } = await import('../../src/index.js');
    const short = await createLivenessCheck({ challenge: { nonce: 'short' } }).catch((e: unknown) => e);
    expect(isLivecheckError(short, 'invalid-argument')).toBe(true);
    expect((short as Error).message).toMatch(/nonce/);
    const noWorker = await createLivenessCheck({ challenge: { nonce: 'n'.repeat(32), actions: 'random', count: 2 } }).catch((e: unknown) => e);
    expect(isLivecheckError(noWorker, 'invalid-argument')).toBe(true);
    expect((noWorker as Error).message).toMatch(/worker/i);
  });
});

describe('camera labels', () => {
  it('spots infrared sensors and virtual cameras by label, and leaves ordinary webcams alone', async () => {
    const { isInfraredLabel, isVirtualCameraLabel } = await import('../../src/browser/camera.js');
    for (const l of ['Integrated IR Camera', 'HP IR Camera (04f2:b67c)', 'Intel(R) RealSense(TM) Infrared']) expect(isInfraredLabel(l)).toBe(true);
    for (const l of ['OBS Virtual Camera', 'ManyCam Virtual Webcam', 'Snap Camera', 'Dummy video device (0x0000) (v4l2loopback)', 'XSplit VCam']) {
      expect(isVirtualCameraLabel(l)).toBe(true);
    }
    for (const l of ['FaceTime HD Camera', 'Integrated Camera (5986:2113)', 'Logitech BRIO (046d:085e)', 'fake_device_0']) {
      expect(isInfraredLabel(l)).toBe(false);
      expect(isVirtualCameraLabel(l)).toBe(false);
    }
  });
});

// Module worker for test/browser/evidence.test.ts: times the evidence recording on its own, in a Chromium worker,
// with the attempt pipeline built for the browser (dist/dev/attempt.js), on the records of a real capture (their
// landmarks, eye contours, regions, quality and passive scores as the engine produced them) and a real 640x480 RGBA
// frame. Per frame: the pixel digest (the synchronous part, WebCrypto's copy of the bytes, and until it resolves),
// then attempt.push (interpretation, record, canonical JSON, chain hash, signals; the keyframe's crop and
// convertToBlob on the frame that takes it).

import * as lib from '/dist/dev/attempt.js';

const quantiles = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

self.onmessage = async (e) => {
  try {
    const { bundleText, pixels, width, height, repeats } = e.data;
    const bundle = JSON.parse(bundleText);
    const frames = bundle.records.filter((r) => r.type === 'frame');
    const image = { width, height, data: new Uint8Array(pixels) };
    const digestCall = [],
      digestDone = [],
      record = [];
    for (let rep = 0; rep < repeats; rep++) {
      const attempt = await lib.Attempt.start({
        plan: { nonceDigest: '', mode: 'script', steps: bundle.genesis.plan },
        evidence: { nonce: bundle.genesis.nonce, document: bundle.genesis.document, encodeJpeg: jpegEncoder(), framesPerStep: Math.floor(frames.length / 2) },
      });
      for (const r of frames) {
        const analysis = {
          timestampMs: r.t,
          width: r.width,
          height: r.height,
          quality: r.quality,
          faces: r.face ? [{ box: r.face.box, score: r.face.score, landmarks: r.face.landmarks, rotation: 0, tracked: true, eyeContours: r.face.eyeContours }] : [],
        };
        const t0 = performance.now();
        const digest = crypto.subtle.digest('SHA-256', image.data);
        const t1 = performance.now();
        const hex = Array.from(new Uint8Array(await digest), (b) => b.toString(16).padStart(2, '0')).join('');
        const t2 = performance.now();
        await attempt.push({ analysis, face: analysis.faces[0] ?? null, regions: r.regions, passive: r.passive }, { image, digest: { sha256: hex } });
        const t3 = performance.now();
        digestCall.push(t1 - t0);
        digestDone.push(t2 - t0);
        record.push(t3 - t2);
      }
      await attempt.finish();
    }
    self.postMessage({ frames: frames.length, repeats, digestCallMs: quantiles(digestCall), digestMs: quantiles(digestDone), recordMs: quantiles(record) });
  } catch (err) {
    self.postMessage({ error: String((err && err.stack) || err) });
  }
};

function jpegEncoder() {
  return async (img) => {
    const canvas = new OffscreenCanvas(img.width, img.height);
    canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.byteLength), img.width, img.height), 0, 0);
    return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 })).arrayBuffer());
  };
}

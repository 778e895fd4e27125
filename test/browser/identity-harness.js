// Page side of test/browser/identity.test.ts: plain browser ESM served next to the bundle, driven with page.evaluate.

import * as lib from '/dist/index.js';
import { cameraVideo } from './fake-camera.js';
import { servedFrame } from './served-frames.js';

const median = (v) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : null);

const decisionOf = (r) =>
  r && {
    verdict: r.verdict,
    reasons: r.reasons.map((x) => ({ code: x.code, value: x.value ?? null, threshold: x.threshold ?? null })),
    signals: Object.fromEntries(Object.entries(r.signals).map(([k, s]) => [k, s && { verdict: s.verdict, score: s.score }])),
  };

/**
 * Exact frames (RGBA served at `${urlBase}${i}`) through analyzeFrame until the result event. Returns the decision
 * and the per-frame worker time, with the identity share of it.
 */
export async function runFrames({ urlBase, timestamps, width, height, challenge, identity, irisWorker }) {
  const t0 = performance.now();
  const check = await lib.createLivenessCheck({ challenge, identity, irisWorker });
  const createMs = performance.now() - t0;
  const errors = [];
  let result = null;
  const gotResult = new Promise((resolve) => check.addEventListener('result', (e) => resolve((result = e.detail))));
  check.addEventListener('error', (e) => errors.push(e.detail.code));
  const workerMs = [];
  const identityMs = [];
  let endIdentityMs = null;
  let endWorkerMs = null;
  let buffer = null;
  let analysed = 0;
  for (let i = 0; i < timestamps.length && !result; i++) {
    buffer = await servedFrame(urlBase, i, buffer);
    const d = await check.analyzeFrame({ width, height, buffer }, timestamps[i]);
    buffer = d.buffer;
    analysed++;
    if (d.decision) {
      endIdentityMs = d.identityMs;
      endWorkerMs = d.workerMs;
      break;
    }
    workerMs.push(d.workerMs);
    identityMs.push(d.identityMs);
  }
  const r = await Promise.race([gotResult, new Promise((res) => setTimeout(() => res(null), 20_000))]);
  await check.close();
  const cut = identityMs.filter((x) => x > 0);
  return {
    analysed,
    errors,
    createMs,
    decision: decisionOf(r),
    workerMsP50: median(workerMs),
    identityMsP50: median(identityMs),
    chipFrames: cut.length,
    chipMsP50: median(cut),
    chipMsMax: cut.length ? Math.max(...cut) : null,
    endIdentityMs,
    endWorkerMs,
  };
}

/**
 * The fake camera through start(): frames reach the worker as VideoFrames at the camera's pace (a busy worker drops
 * some); stop() after `stopAfterMs` asks the worker for the decision from what it saw, identity applied.
 */
export async function runCamera({ challenge, identity, stopAfterMs }) {
  // the check loads first: the fake camera starts the file from its first frame when it opens
  const check = await lib.createLivenessCheck({ challenge, identity });
  const { video, stream } = await cameraVideo();
  const errors = [];
  check.addEventListener('error', (e) => errors.push(e.detail.code));
  const identityMs = [];
  const workerMs = [];
  check.addEventListener('frame', (e) => {
    identityMs.push(e.detail.identityMs);
    workerMs.push(e.detail.workerMs);
  });
  let stopped = false;
  let stopAt = NaN;
  const timer = setTimeout(() => {
    stopped = true;
    stopAt = performance.now();
    void check.stop();
  }, stopAfterMs);
  const r = await check.start(video).catch((e) => ({ rejected: e.code }));
  // with a stop: the decision from what was seen, the chips described now
  const stopToResultMs = performance.now() - stopAt;
  clearTimeout(timer);
  const stats = check.stats();
  await check.close();
  for (const t of stream.getTracks()) t.stop();
  const cut = identityMs.filter((x) => x > 0);
  return {
    stopped,
    errors,
    rejected: r?.rejected ?? null,
    decision: r && !r.rejected ? decisionOf(r) : null,
    framesAnalyzed: stats.framesAnalyzed,
    framesDropped: stats.framesDropped,
    fpsAnalyzed: stats.fpsAnalyzed,
    workerMsP50: median(workerMs),
    chipFrames: cut.length,
    chipMsP50: median(cut),
    stopToResultMs,
  };
}

/** createLivenessCheck with a model folder: null when it loads, else the typed error's code, message and detail. */
export async function tryCreate({ modelUrl, identity }) {
  try {
    const check = await lib.createLivenessCheck({ assets: { modelUrl: new URL(modelUrl, location.href).href }, identity });
    await check.close();
    return null;
  } catch (e) {
    return { code: e.code ?? null, message: String(e.message), detail: e.detail ?? null };
  }
}

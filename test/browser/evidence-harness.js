// Page side of test/browser/evidence.test.ts: plain browser ESM served next to the bundle, driven with page.evaluate.

import * as lib from '/dist/index.js';
import { cameraVideo } from './fake-camera.js';
import { servedFrame } from './served-frames.js';

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? null;

/**
 * Exact frames (RGBA served at `${urlBase}${i}`) through analyzeFrame, with or without evidence, until the result
 * event. Returns the decision, the bundle (with evidence) and the per-frame costs.
 */
export async function runCapture({ urlBase, timestamps, width, height, challenge, evidence }) {
  const check = await lib.createLivenessCheck({ challenge, evidence, irisWorker: false });
  const errors = [];
  const workerMs = [];
  const mainMs = [];
  let result = null;
  let resultAt = NaN;
  const gotResult = new Promise((resolve) =>
    check.addEventListener('result', (e) => {
      resultAt = performance.now();
      resolve((result = e.detail));
    }),
  );
  check.addEventListener('error', (e) => errors.push(e.detail.code));
  let buffer = null;
  let analysed = 0;
  let lastFrameAt = NaN;
  for (let i = 0; i < timestamps.length && !result; i++) {
    buffer = await servedFrame(urlBase, i, buffer);
    const d = await check.analyzeFrame({ width, height, buffer }, timestamps[i]);
    buffer = d.buffer;
    analysed++;
    workerMs.push(d.workerMs);
    mainMs.push(d.mainMs);
    lastFrameAt = performance.now();
    if (d.decision) break;
  }
  const r = await Promise.race([gotResult, new Promise((res) => setTimeout(() => res(null), 20_000))]);
  await check.close();
  return {
    analysed,
    errors,
    decision: r && {
      verdict: r.verdict,
      signals: Object.fromEntries(Object.entries(r.signals).map(([k, s]) => [k, s && { verdict: s.verdict, score: s.score }])),
      reasons: r.reasons.map((x) => x.code),
    },
    evidence: r?.evidence ? lib.serializeEvidence(r.evidence) : null,
    workerMsP50: median(workerMs),
    mainMsP50: median(mainMs),
    // from the ending frame's answer to the result event: with evidence, fetching the sealed bundle from the worker
    resultDelayMs: resultAt - lastFrameAt,
  };
}

/**
 * The fake camera (playing the clip) through start(): frames reach the worker as VideoFrames, copied to RGBA in the
 * worker (the digest reads the kernels' input buffer). Resolves with the result, or stop()s after `stopAfterMs`.
 */
export async function runCamera({ challenge, evidence, stopAfterMs }) {
  // the check loads first: the fake camera starts the file from its first frame when it opens
  const check = await lib.createLivenessCheck({ challenge, evidence });
  const { video, stream } = await cameraVideo();
  const errors = [];
  check.addEventListener('error', (e) => errors.push(e.detail.code));
  let stopped = false;
  const timer = setTimeout(() => {
    stopped = true;
    void check.stop();
  }, stopAfterMs);
  const r = await check.start(video).catch((e) => ({ rejected: e.code }));
  clearTimeout(timer);
  const stats = check.stats();
  await check.close();
  for (const t of stream.getTracks()) t.stop();
  return {
    stopped,
    errors,
    framesAnalyzed: stats.framesAnalyzed,
    info: stats.info,
    rejected: r?.rejected ?? null,
    verdict: r?.verdict ?? null,
    evidence: r?.evidence ? lib.serializeEvidence(r.evidence) : null,
  };
}

/**
 * The fake camera through start() with evidence, closed without stop() after `closeAfterMs`, frames in flight (as a
 * page that navigates away does). Returns the error codes the check reported.
 */
export async function runCameraAndClose({ challenge, evidence, closeAfterMs }) {
  const check = await lib.createLivenessCheck({ challenge, evidence });
  const { video, stream } = await cameraVideo();
  const errors = [];
  check.addEventListener('error', (e) => errors.push(`${e.detail.code}: ${e.detail.message}`));
  let ended = false;
  let endedAs = null;
  check.addEventListener('result', () => (ended = true));
  check.addEventListener('challenge', (e) => {
    if (e.detail.type === 'attempt-ended') endedAs = `${e.detail.outcome}: ${e.detail.reason}`;
  });
  void check.start(video).catch(() => undefined);
  await new Promise((r) => setTimeout(r, closeAfterMs));
  const framesAnalyzed = check.stats().framesAnalyzed;
  const endedBeforeClose = ended;
  await check.close();
  await new Promise((r) => setTimeout(r, 500));
  for (const t of stream.getTracks()) t.stop();
  return { errors, framesAnalyzed, endedBeforeClose, endedAs };
}

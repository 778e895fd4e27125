// Page side of test/browser/clips.test.ts: plain browser ESM, served same-origin next to the bundle (so the strict
// CSP allows it) and driven from Node with page.evaluate. Every function returns plain JSON-able data.
import * as lib from '/dist/index.js';
import { cameraVideo } from './fake-camera.js';
import { servedFrame } from './served-frames.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The separator frames of the concatenated clip are solid magenta (no face; the whole frame is measured). */
function isSeparator(d) {
  const [r, g, b] = d.quality.meanRgb;
  return !d.face && r > 180 && g < 80 && b > 180;
}

function frameRecord(d) {
  return {
    t: d.timestampMs,
    face: d.face !== null,
    codes: d.guidance.issues.map((i) => i.code),
    // whole-frame numbers only (independent of the face box): used to find the matching Node frame
    fp: [d.quality.frameLuma, d.quality.entropy],
    points: d.points ? Array.from(d.points.subarray(0, 468 * 2), (v) => Math.round(v * 100) / 100) : null,
  };
}

/**
 * The fake camera plays [separator][clip 0][separator][clip 1]...[separator]: runs the check (guidance only) until
 * the last separator, labelling each analysed frame with the clip it belongs to (separator runs seen so far - 1).
 * Each clip gets a fresh check, started when its separator begins: guidance has per-session baselines (the chin
 * texture of the first frames), and a clip of another person or light is a new session, as in the Node tests. The
 * next check is loaded while a clip plays (loading takes seconds on a busy machine), so the switch is instant.
 */
export async function runSegments({ segments, timeoutMs }) {
  const frames = [];
  const guidance = [];
  const errors = [];
  const createMs = [];
  let runs = 0;
  let inSeparator = false;
  let finished;
  const done = new Promise((r) => (finished = r));
  let current = null;
  let spare = null; // the next clip's check, loading or loaded
  let info = null;
  let analysed = 0;
  const { video, stream } = await (async () => {
    // the first check loads before the camera opens: the file starts from its first frame on open
    current = await newCheck();
    info = current.stats().info;
    spare = newCheck();
    return cameraVideo();
  })();

  async function newCheck() {
    const id = createMs.push(NaN); // this check's number, 1-based
    const t0 = performance.now();
    const check = await lib.createLivenessCheck({ challenge: null });
    createMs[id - 1] = performance.now() - t0;
    const mine = () => check === current;
    check.addEventListener('guidance', (e) => {
      if (mine()) guidance.push({ t: e.detail.state.timestampMs, raised: [...e.detail.raised], cleared: [...e.detail.cleared], issues: e.detail.issues.map((i) => i.code) });
    });
    check.addEventListener('frame', (e) => {
      if (!mine()) return;
      const d = e.detail;
      const sep = isSeparator(d);
      analysed++;
      if (sep && !inSeparator) {
        runs++;
        if (runs > segments) finished();
        else if (runs > 1) void swap();
      }
      inSeparator = sep;
      frames.push({ seg: runs - 1, sep, check: id, ...frameRecord(d) });
    });
    check.addEventListener('error', (e) => errors.push(e.detail.code));
    return check;
  }

  async function swap() {
    const old = current;
    current = null;
    void old.close();
    const next = await spare;
    spare = runs < segments ? newCheck() : null;
    current = next;
    void next.start(video).catch(() => undefined);
  }

  const started = performance.now();
  void current.start(video).catch(() => undefined);
  const timedOut = await Promise.race([done.then(() => false), sleep(timeoutMs).then(() => true)]);
  const last = current;
  current = null;
  await last?.close();
  if (spare) await (await spare).close();
  for (const t of stream.getTracks()) t.stop();
  const seconds = (performance.now() - started) / 1000;
  return { frames, guidance, errors, info, timedOut, seconds, createMs, stats: { framesAnalyzed: analysed, fpsAnalyzed: analysed / seconds } };
}

/** Exact frames (RGBA served by the test at `${urlBase}${i}`) through analyzeFrame, with Node's timestamps. */
export async function runFrames({ urlBase, timestamps, width, height, challenge, decision: thresholds }) {
  const check = await lib.createLivenessCheck({ challenge, decision: thresholds });
  const frames = [];
  const challengeEvents = [];
  const errors = [];
  let result = null;
  check.addEventListener('challenge', (e) =>
    challengeEvents.push(
      e.detail.type === 'attempt-ended'
        ? { type: e.detail.type, outcome: e.detail.outcome, reason: e.detail.reason ?? null, t: e.detail.timestampMs }
        : { type: e.detail.type, action: e.detail.action ?? null, t: e.detail.timestampMs },
    ),
  );
  check.addEventListener('result', (e) => (result = e.detail));
  check.addEventListener('error', (e) => errors.push(e.detail.code));
  // one buffer, transferred to the worker and handed back each frame
  let buffer = null;
  for (let i = 0; i < timestamps.length; i++) {
    buffer = await servedFrame(urlBase, i, buffer);
    const d = await check.analyzeFrame({ width, height, buffer }, timestamps[i]);
    buffer = d.buffer;
    frames.push(frameRecord(d));
  }
  await check.close();
  const decision = result && {
    verdict: result.verdict,
    signals: Object.fromEntries(Object.entries(result.signals).map(([k, s]) => [k, s && { verdict: s.verdict, score: s.score }])),
    reasons: result.reasons.map((r) => r.code),
  };
  return { frames, challenge: challengeEvents, decision, errors };
}

/**
 * Frames flowing from the fake camera, then the worker dies (the crash test hook: 'throw' = uncaught exception,
 * 'close' = silent self.close()). Records what the page sees, closes the dead check, and starts a new one.
 * The attempt policy (localStorage) stands for the state an integrator keeps across the crash.
 */
export async function runCrash({ mode, workerTimeoutMs }) {
  const policy = new lib.AttemptPolicy({ store: new lib.WebStorageAttemptStore(localStorage) });
  const subject = `crash-${mode}`;
  await policy.reset(subject);
  await policy.record(subject, 'fail'); // an earlier failed attempt
  const ticket = await policy.begin(subject);
  const { video, stream } = await cameraVideo();
  // the dev worker (dist/dev/worker.js) has the crash hook; the packaged one does not
  const check = await lib.createLivenessCheck({ workerTimeoutMs, assets: { workerUrl: new URL('/dist/dev/worker.js', location.href).href } });
  const errors = [];
  let frames = 0;
  check.addEventListener('error', (e) => errors.push({ code: e.detail.code, name: e.detail.name, isError: e.detail instanceof lib.LivecheckError }));
  check.addEventListener('frame', () => frames++);
  const run = check.start(video).then(
    (r) => ({ resolved: r === null ? null : r.verdict }),
    (e) => ({ rejected: e.code }),
  );
  for (let i = 0; i < 600 && frames < 5; i++) await sleep(50);
  const framesBefore = frames;
  const t0 = performance.now();
  check.worker.postMessage({ type: 'livecheck:test-crash', mode });
  const outcome = await Promise.race([run, sleep(workerTimeoutMs + 15_000).then(() => 'hang')]);
  const settledMs = performance.now() - t0;
  const framesAtSettle = frames;
  await sleep(600);
  const framesLater = frames;
  const stats = check.stats();
  const c0 = performance.now();
  await check.close();
  const closeMs = performance.now() - c0;
  const analyzeAfterClose = await check.analyzeFrame({ width: 2, height: 2, buffer: new ArrayBuffer(16) }, 1).then(
    () => 'resolved',
    (e) => e.code,
  );
  const policyAfterCrash = await policy.check(subject);
  // the integrator's choice for an attempt that died: it counts (a killed worker must not dodge a failure)
  const recorded = await policy.record(subject, 'fail', ticket.attemptId);
  const ticket2 = await policy.begin(subject);

  const check2 = await lib.createLivenessCheck({ workerTimeoutMs });
  let frames2 = 0;
  const errors2 = [];
  check2.addEventListener('frame', () => frames2++);
  check2.addEventListener('error', (e) => errors2.push(e.detail.code));
  void check2.start(video).catch(() => undefined);
  for (let i = 0; i < 600 && frames2 < 5; i++) await sleep(50);
  await check2.close();
  for (const t of stream.getTracks()) t.stop();
  return {
    ticketAllowed: ticket.allowed,
    framesBefore,
    outcome,
    settledMs,
    framesAtSettle,
    framesLater,
    errors,
    statsAfterCrash: { framesAnalyzed: stats.framesAnalyzed },
    closeMs,
    analyzeAfterClose,
    policyAfterCrash: { failures: policyAfterCrash.failuresInWindow.short, attemptsInProgress: policyAfterCrash.attemptsInProgress },
    policyRecorded: { failures: recorded.failuresInWindow.short, attemptsInProgress: recorded.attemptsInProgress },
    secondAttemptAllowed: ticket2.allowed,
    frames2,
    errors2,
  };
}

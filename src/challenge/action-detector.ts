// Free-running action detection: finds blinks, eye closures, mouth openings, head turns, nods and smiles in a stream
// of face geometry without prompts (for the `analyze` CLI, for recorded-video checks, and as a liveness cue).
// Each signal is measured against the person's own recent neutral:
// - eyes: the open-eye level is a high percentile of the last seconds of eye openness, and closure is judged on the
//   lid travel the eye contour can show at this face size (the contour of a closed eye still shows a pixel or so of
//   lid gap);
// - head: yaw and pitch against the median pose of the second before, frozen the moment a movement starts, so the
//   reference does not follow the movement it measures;
// - smile: a low percentile of the recent mouth widths that looked neutral (within `smile.release` of the neutral),
//   so a smile that builds up over a second never teaches the neutral its own widening.
// Allocation: fixed ring buffers; `push` allocates only when an action ended (else it returns a shared empty array).

import type { FaceGeometry } from '../geometry/face-geometry.js';
import { sortPrefix } from '../util/sort.js';

export type DetectedActionType = 'blink' | 'eyes-closed' | 'eyes-unresolved' | 'mouth-open' | 'turn-left' | 'turn-right' | 'nod' | 'smile';

export interface DetectedAction {
  type: DetectedActionType;
  startMs: number;
  endMs: number;
  /**
   * Peak of the action's signal: closure 0..1, mouth opening, degrees, or relative widening. For `eyes-unresolved`
   * (a span in which blinks could not be judged): the smallest lid travel, px, a full closure could have shown.
   */
  peak: number;
}

export interface ActionDetectorConfig {
  /** Frames are mirrored (selfie orientation): flips which image direction is the person's left. */
  mirrored: boolean;
  /** Open-eye level: this percentile of the eye openness over the last `windowMs`. */
  eyeBaseline: { windowMs: number; percentile: number };
  /**
   * Closure = (open level - openness) / (open level - closed floor): the share of the lid travel this eye can show.
   * The closed floor is `closedGapPx` of lid gap over the eye's width in px (`eyeWidthPerInterEye` x inter-eye px):
   * the iris model's contour never closes completely, so a blink of a small eye narrows the gap far less than 100%.
   * `closed` sits between the peak of a real blink and a downward gaze with lowered lids, which stays below it.
   */
  blink: {
    onset: number;
    closed: number;
    reopen: number;
    /** Closed (above `closed`) for longer than this is an eye closure, not a blink. */
    maxClosedMs: number;
    /** A closure that stays between `reopen` and `closed` this long after the closed phase has ended. */
    settleMs: number;
    /** Lid gap, image px, that a closed eye still shows in the eye contour. */
    closedGapPx: number;
    /** Eye width (contour corner to corner) / inter-eye distance, a ratio: turns inter-eye px into eye width px. */
    eyeWidthPerInterEye: number;
    /** Below this much lid travel (open gap - closed gap, px) blinks are not judged: `eyes-unresolved`. */
    minTravelPx: number;
  };
  /** Inner-lip gap / inter-ocular width; `open` sits above what ordinary talking reaches. */
  mouth: { open: number; close: number; minMs: number };
  /**
   * Head pose reference: the median yaw / pitch over [t - lagMs - windowMs, t - lagMs]; it freezes when the pose
   * leaves it by `moveDeg` (a movement starts) and follows again once the pose is back within `moveDeg`, or when
   * the pose has not come back within `maxRampMs` of the onset or of the end of the turn / nod it became (a posture
   * change: the reference re-arms once it has caught up). `lagMs` keeps the first part of a movement's ramp out of
   * the reference that measures it; after a movement the reference reads only the poses after it.
   */
  pose: { windowMs: number; lagMs: number; moveDeg: number; maxRampMs: number; stillMs: number; stillDeg: number };
  /**
   * Degrees of yaw from the reference; `minMs` is the time spent beyond `releaseDeg` (a pose glitch lasts a frame or
   * two; a look to the side and back spends 200+ ms there). A prompted turn's hold is the challenge's business.
   * A swing straight from a held turn (still within `pose.stillDeg` for `pose.stillMs`) to the other side, within
   * `pose.maxRampMs`, is measured from the held pose, like any movement from the pose it started from; it must still
   * end `releaseDeg` past the reference, so coming back from a held turn is not a turn the other way.
   */
  turn: { deg: number; releaseDeg: number; minMs: number };
  /** Degrees of pitch away from the reference and back within `maxMs`. */
  nod: { deg: number; releaseDeg: number; maxMs: number };
  /**
   * Relative mouth widening over the neutral width, with the corners lifted `lift` (corner lift units, see
   * FaceGeometry.mouthCornerLift) above their neutral height: a smile lifts the corners, while pressed lips or a lean
   * back widen the mouth with the corners nearly level. A smile ends when the widening falls below
   * `release` or the corners below half of `lift`. A smile starts (`startMs`) where the widening first
   * passed `release` (with the corners half way to `lift`) on its way to `widen`, as a labeller reads a smile's onset.
   */
  smile: { widen: number; release: number; lift: number; minMs: number };
  /**
   * Neutral mouth width: this percentile of the widths of the last `windowMs` that were within `smile.release` of the
   * neutral, with no smile or mouth opening under way (the neutral corner lift: the median of the same frames). A
   * slow running average would learn a slow smile onset as neutral and then miss a broad laugh entirely.
   */
  mouthNeutral: { windowMs: number; percentile: number };
}

export const DEFAULT_ACTION_DETECTOR_CONFIG: ActionDetectorConfig = {
  mirrored: false,
  eyeBaseline: { windowMs: 3000, percentile: 0.8 },
  blink: { onset: 0.3, closed: 0.6, reopen: 0.25, maxClosedMs: 500, settleMs: 200, closedGapPx: 1.25, eyeWidthPerInterEye: 0.38, minTravelPx: 0.5 },
  mouth: { open: 0.25, close: 0.15, minMs: 150 },
  pose: { windowMs: 1000, lagMs: 250, moveDeg: 5, maxRampMs: 1500, stillMs: 400, stillDeg: 3 },
  turn: { deg: 15, releaseDeg: 10, minMs: 200 },
  nod: { deg: 10, releaseDeg: 4, maxMs: 1500 },
  smile: { widen: 0.12, release: 0.06, lift: 0.02, minMs: 300 },
  mouthNeutral: { windowMs: 3000, percentile: 0.25 },
};

const NONE: readonly DetectedAction[] = Object.freeze([]);
const RING = 256;
/** Hysteresis on leaving `eyes-unresolved`: the travel must exceed the minimum by this factor. */
const RESOLVE_MARGIN = 1.25;

interface Episode {
  active: boolean;
  startMs: number;
  peak: number;
  /** blink: the closed level was reached */
  confirmed: boolean;
  sign: number;
}

const episode = (): Episode => ({ active: false, startMs: 0, peak: 0, confirmed: false, sign: 0 });

/** One head axis's reference: live lagged median, frozen during a movement. */
interface AxisReference {
  ref: number;
  frozen: boolean;
  /** When the movement that froze the reference started (crossed `moveDeg`). */
  onsetMs: number;
  /** A new movement may freeze the reference (false after an expired one, until the reference has caught up). */
  armed: boolean;
  /** The live reference reads only poses from this time on: not the frames of the movement that just ended. */
  since: number;
  /** `maxRampMs` counts from here: the movement's onset, or the end of the turn / nod it became. */
  quietFrom: number;
}

const axisReference = (): AxisReference => ({ ref: 0, frozen: false, onsetMs: 0, armed: true, since: -Infinity, quietFrom: 0 });

/** Fixed-size ring of timestamped values with a windowed percentile (no allocation). */
class Ring {
  readonly t = new Float64Array(RING);
  readonly v = new Float64Array(RING);
  start = 0;
  count = 0;

  push(t: number, v: number, keepMs: number): void {
    if (this.count === RING) {
      this.start = (this.start + 1) % RING;
      this.count--;
    }
    const i = (this.start + this.count) % RING;
    this.t[i] = t;
    this.v[i] = v;
    this.count++;
    while (this.count > 1 && t - this.t[this.start] > keepMs) {
      this.start = (this.start + 1) % RING;
      this.count--;
    }
  }

  /** How many values the last `percentile` call read (they lie sorted at the start of its scratch). */
  lastCount = 0;

  /** Max - min of the values the last `percentile` call read, from its sorted scratch. */
  static spread(scratch: Float64Array, n: number): number {
    return n > 0 ? scratch[n - 1] - scratch[0] : NaN;
  }

  /** The `p` percentile of the values with from <= t <= to (NaN when there are none). */
  percentile(from: number, to: number, p: number, scratch: Float64Array): number {
    let n = 0;
    for (let k = 0; k < this.count; k++) {
      const i = (this.start + k) % RING;
      if (this.t[i] >= from && this.t[i] <= to) scratch[n++] = this.v[i];
    }
    this.lastCount = n;
    if (n === 0) return NaN;
    sortPrefix(scratch, n);
    return scratch[Math.min(n - 1, Math.floor(p * (n - 1)))];
  }
}

export class ActionDetector {
  readonly config: ActionDetectorConfig;
  private readonly open = new Ring();
  private readonly yaws = new Ring();
  private readonly pitches = new Ring();
  private readonly widths = new Ring();
  private readonly lifts = new Ring();
  private readonly scratch = new Float64Array(RING);
  private readonly yawRef = axisReference();
  private readonly pitchRef = axisReference();
  private neutralWidth = NaN;
  private neutralLift = NaN;
  /** When the mouth last widened past `smile.release` with the corners rising (NaN: it is not doing so). */
  private widenFrom = NaN;
  private readonly eyes = episode();
  private readonly mouth = episode();
  private readonly turn = episode();
  private readonly nod = episode();
  private readonly smile = episode();
  private out: DetectedAction[] | null = null;
  private closedFrom = 0;
  private closedTo = 0;
  /** Since when the yaw has been beyond `turn.releaseDeg` on the current side (NaN: it is not). */
  private turnDwellFrom = NaN;
  private turnDwellSign = 0;
  /** When the current turn reached `turn.deg`, and the pose it was held still at (NaN: not held). */
  private turnActiveAt = 0;
  private heldYaw = NaN;
  /** A turn that ended from a held pose: a swing to the other side before `swingUntil` is measured from there. */
  private swingFrom = NaN;
  private swingSign = 0;
  private swingUntil = 0;
  /** The current turn is such a swing: its amplitude counts from this pose (NaN: from the reference). */
  private turnFrom = NaN;
  /** Start of the current `eyes-unresolved` span (NaN: the eyes are resolved). */
  private unresolvedFrom = NaN;
  private unresolvedTravel = Infinity;
  private lastT = NaN;

  constructor(config: Partial<ActionDetectorConfig> = {}) {
    this.config = { ...DEFAULT_ACTION_DETECTOR_CONFIG, ...config };
  }

  /** Feeds one frame (geometry null = no face; `usable` false = a frame the guidance skipped). */
  push(timestampMs: number, g: FaceGeometry | null, usable = true): readonly DetectedAction[] {
    this.out = null;
    this.lastT = timestampMs;
    if (!usable) return NONE;
    if (g === null) {
      // losing the face ends whatever was under way without reporting it
      this.eyes.active = this.mouth.active = this.turn.active = this.nod.active = this.smile.active = false;
      this.yawRef.frozen = this.pitchRef.frozen = false;
      this.turnDwellFrom = this.heldYaw = this.swingFrom = this.widenFrom = NaN;
      return NONE;
    }
    const t = timestampMs;
    this.eyesStep(t, g);
    this.mouthStep(t, g);
    this.headStep(t, g);
    this.smileStep(t, g);
    return this.out ?? NONE;
  }

  /** Ends the stream: reports actions still under way that already qualify (e.g. a clip ending on a turned head). */
  flush(): readonly DetectedAction[] {
    this.out = null;
    const t = this.lastT,
      c = this.config;
    if (this.turn.active && t - this.turnDwellFrom >= c.turn.minMs) this.emitTurn(this.turn.startMs, t);
    if (this.mouth.active && t - this.mouth.startMs >= c.mouth.minMs) this.emit('mouth-open', this.mouth.startMs, t, this.mouth.peak);
    if (this.eyes.active && this.eyes.confirmed) this.emit(this.closedTo - this.closedFrom <= c.blink.maxClosedMs ? 'blink' : 'eyes-closed', this.eyes.startMs, t, this.eyes.peak);
    if (!Number.isNaN(this.unresolvedFrom)) this.emit('eyes-unresolved', this.unresolvedFrom, t, this.unresolvedTravel);
    this.eyes.active = this.mouth.active = this.turn.active = this.nod.active = this.smile.active = false;
    this.yawRef.frozen = this.pitchRef.frozen = false;
    this.unresolvedFrom = NaN;
    this.turnDwellFrom = NaN;
    return this.out ?? NONE;
  }

  private eyesStep(t: number, g: FaceGeometry): void {
    const b = this.config.blink;
    const open = 0.5 * (g.rightEye.openness + g.leftEye.openness);
    const level = this.openLevel(t);
    const e = this.eyes;
    if (!(level > 0)) {
      this.open.push(t, open, this.config.eyeBaseline.windowMs);
      return;
    }
    // lid travel this eye can show, px: open gap minus what a closed eye still reads
    const eyePx = b.eyeWidthPerInterEye * g.interEyePx;
    const travelPx = level * eyePx - b.closedGapPx;
    const resolved = Number.isNaN(this.unresolvedFrom) ? travelPx >= b.minTravelPx : travelPx >= b.minTravelPx * RESOLVE_MARGIN;
    if (!resolved) {
      if (Number.isNaN(this.unresolvedFrom)) {
        this.unresolvedFrom = t;
        this.unresolvedTravel = travelPx;
      } else this.unresolvedTravel = Math.min(this.unresolvedTravel, travelPx);
      e.active = false; // a closure under way cannot be judged any more
      this.open.push(t, open, this.config.eyeBaseline.windowMs);
      return;
    }
    if (!Number.isNaN(this.unresolvedFrom)) {
      this.emit('eyes-unresolved', this.unresolvedFrom, t, this.unresolvedTravel);
      this.unresolvedFrom = NaN;
    }
    const closure = ((level - open) * eyePx) / travelPx;

    if (!e.active && closure >= b.onset) Object.assign(e, { active: true, startMs: t, peak: closure, confirmed: false });
    if (e.active) {
      e.peak = Math.max(e.peak, closure);
      if (closure >= b.closed) {
        if (!e.confirmed) this.closedFrom = t;
        e.confirmed = true;
        this.closedTo = t;
      }
      // ends when the eyes reopen, or when they stay half open (a blink that ends in a downward gaze)
      const settled = e.confirmed && closure < b.closed && t - this.closedTo > b.settleMs;
      if (closure < b.reopen || settled) {
        if (e.confirmed) this.emit(this.closedTo - this.closedFrom <= b.maxClosedMs ? 'blink' : 'eyes-closed', e.startMs, t, e.peak);
        e.active = false;
      }
    } else this.open.push(t, open, this.config.eyeBaseline.windowMs); // the open-eye level learns only from frames without a closure
  }

  private mouthStep(t: number, g: FaceGeometry): void {
    const c = this.config.mouth,
      m = this.mouth;
    if (!m.active && g.mouthOpening >= c.open) Object.assign(m, { active: true, startMs: t, peak: g.mouthOpening });
    if (m.active) {
      m.peak = Math.max(m.peak, g.mouthOpening);
      if (g.mouthOpening < c.close) {
        if (t - m.startMs >= c.minMs) this.emit('mouth-open', m.startMs, t, m.peak);
        m.active = false;
      }
    }
  }

  private headStep(t: number, g: FaceGeometry): void {
    const c = this.config;
    const yaw = g.pose.yawDeg,
      pitch = g.pose.pitchDeg;
    const keep = c.pose.windowMs + c.pose.lagMs;
    this.yaws.push(t, yaw, keep);
    this.pitches.push(t, pitch, keep);
    const dyaw = this.follow(this.yawRef, this.yaws, t, yaw);
    const dpitch = this.follow(this.pitchRef, this.pitches, t, pitch);

    // turn: reaches `deg` (from the reference, or for a swing from the held pose it left), and spends `minMs`
    // beyond `releaseDeg` on that side
    const tr = this.turn;
    if (tr.active && tr.sign * dyaw < c.turn.releaseDeg) {
      if (t - this.turnDwellFrom >= c.turn.minMs) {
        this.emitTurn(tr.startMs, t);
        if (!Number.isNaN(this.heldYaw)) {
          this.swingFrom = this.heldYaw;
          this.swingSign = tr.sign;
          this.swingUntil = t + c.pose.maxRampMs;
        }
      }
      tr.active = false;
      this.heldYaw = NaN;
    }
    const side = Math.sign(dyaw);
    if (Math.abs(dyaw) < c.turn.releaseDeg) this.turnDwellFrom = NaN;
    else if (Number.isNaN(this.turnDwellFrom) || side !== this.turnDwellSign) {
      this.turnDwellFrom = t;
      this.turnDwellSign = side;
    }
    if (t > this.swingUntil) this.swingFrom = NaN;
    const swing = !Number.isNaN(this.swingFrom) && side === -this.swingSign && Math.abs(dyaw) >= c.turn.releaseDeg && Math.abs(yaw - this.swingFrom) >= c.turn.deg;
    if (!tr.active && (Math.abs(dyaw) >= c.turn.deg || swing)) {
      Object.assign(tr, { active: true, startMs: this.yawRef.frozen ? this.yawRef.onsetMs : t, peak: 0, sign: side });
      this.turnActiveAt = t;
      this.turnFrom = swing ? this.swingFrom : NaN;
      this.swingFrom = NaN;
    }
    if (tr.active) {
      tr.peak = Math.max(tr.peak, Number.isNaN(this.turnFrom) ? tr.sign * dyaw : tr.sign * (yaw - this.turnFrom));
      // held still at the turned pose: where a swing to the other side would start from
      const p = c.pose;
      if (t - this.turnActiveAt >= p.stillMs) {
        const median = this.yaws.percentile(t - p.stillMs, t, 0.5, this.scratch);
        if (Ring.spread(this.scratch, this.yaws.lastCount) <= p.stillDeg) this.heldYaw = median;
      }
    }

    const n = this.nod;
    if (!n.active && Math.abs(dpitch) >= c.nod.deg && !tr.active) {
      Object.assign(n, { active: true, startMs: this.pitchRef.frozen ? this.pitchRef.onsetMs : t, peak: Math.abs(dpitch) });
    }
    if (n.active) {
      n.peak = Math.max(n.peak, Math.abs(dpitch));
      if (Math.abs(dpitch) < c.nod.releaseDeg) {
        if (t - n.startMs <= c.nod.maxMs) this.emit('nod', n.startMs, t, n.peak);
        n.active = false;
      } else if (t - n.startMs > c.nod.maxMs) {
        // can no longer be a nod: a posture change; let the reference follow it
        n.active = false;
        this.pitchRef.frozen = false;
        this.pitchRef.armed = false;
      }
    }

    this.release(this.yawRef, t, dyaw, tr.active);
    this.release(this.pitchRef, t, dpitch, n.active);
  }

  /** Updates an axis reference for this frame and returns the pose's offset from it. */
  private follow(a: AxisReference, ring: Ring, t: number, x: number): number {
    const p = this.config.pose;
    if (!a.frozen) {
      const lagged = ring.percentile(Math.max(a.since, t - p.lagMs - p.windowMs), t - p.lagMs, 0.5, this.scratch);
      // no pose yet in the window: right after a movement, keep the reference from before it; at the start of the
      // stream, the median so far
      if (!Number.isNaN(lagged)) a.ref = lagged;
      else if (a.since === -Infinity) a.ref = ring.percentile(-Infinity, t, 0.5, this.scratch);
      const d = x - a.ref;
      if (Math.abs(d) >= p.moveDeg) {
        if (a.armed) {
          a.frozen = true;
          a.onsetMs = a.quietFrom = t;
        }
      } else a.armed = true;
    }
    return x - a.ref;
  }

  /**
   * Lets a frozen reference follow again: the pose is back, or it has not come back within `maxRampMs` of the onset
   * (a movement that never became a turn or nod) or of the end of the turn or nod (the head settled elsewhere).
   */
  private release(a: AxisReference, t: number, d: number, episodeActive: boolean): void {
    if (!a.frozen) return;
    if (episodeActive) {
      a.quietFrom = t;
      return;
    }
    const p = this.config.pose;
    if (Math.abs(d) < p.moveDeg) {
      a.frozen = false;
      a.since = t;
    } else if (t - a.quietFrom > p.maxRampMs) {
      a.frozen = false;
      a.armed = false;
    }
  }

  private smileStep(t: number, g: FaceGeometry): void {
    const c = this.config;
    if (Number.isNaN(this.neutralWidth)) {
      this.neutralWidth = g.mouthWidth;
      this.neutralLift = g.mouthCornerLift;
    }
    const widen = g.mouthWidth / this.neutralWidth - 1;
    const rise = g.mouthCornerLift - this.neutralLift;
    const s = this.smile;
    // a smile under way: wider than `release` with the corners at least half way up (pressed lips widen without
    // lifting them); its onset is where this began
    const smiling = widen >= c.smile.release && rise >= 0.5 * c.smile.lift;
    if (!smiling) this.widenFrom = NaN;
    else if (Number.isNaN(this.widenFrom)) this.widenFrom = t;
    const lifted = rise >= c.smile.lift;
    // not while the head moves: pitching back lifts the corners' image height and widens the mouth as a smile does
    const headStill = !this.yawRef.frozen && !this.pitchRef.frozen;
    if (!s.active && widen >= c.smile.widen && lifted && headStill && !this.mouth.active) Object.assign(s, { active: true, startMs: this.widenFrom, peak: widen });
    if (s.active) {
      s.peak = Math.max(s.peak, widen);
      if (!smiling) {
        if (t - s.startMs >= c.smile.minMs) this.emit('smile', s.startMs, t, s.peak);
        s.active = false;
      }
    }
    // only widths that look neutral teach the neutral: a smile building up stays out of it however slowly it comes
    if (!s.active && !this.mouth.active && widen < c.smile.release) {
      const n = c.mouthNeutral;
      this.widths.push(t, g.mouthWidth, n.windowMs);
      this.lifts.push(t, g.mouthCornerLift, n.windowMs);
      const v = this.widths.percentile(t - n.windowMs, t, n.percentile, this.scratch);
      if (!Number.isNaN(v)) this.neutralWidth = v;
      const l = this.lifts.percentile(t - n.windowMs, t, 0.5, this.scratch);
      if (!Number.isNaN(l)) this.neutralLift = l;
    }
  }

  private emitTurn(startMs: number, endMs: number): void {
    // + yaw = nose toward the image's right = the person's left on unmirrored frames
    const left = this.turn.sign > 0 !== this.config.mirrored;
    this.emit(left ? 'turn-left' : 'turn-right', startMs, endMs, this.turn.peak);
  }

  private emit(type: DetectedActionType, startMs: number, endMs: number, peak: number): void {
    (this.out ??= []).push({ type, startMs, endMs, peak });
  }

  /** Open-eye level: the configured percentile of recent openness (0 before any frame). */
  private openLevel(t: number): number {
    const v = this.open.percentile(-Infinity, t, this.config.eyeBaseline.percentile, this.scratch);
    return Number.isNaN(v) ? 0 : v;
  }
}

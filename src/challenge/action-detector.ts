// Free-running action detection: finds blinks, eye closures, mouth openings, head turns, nods and smiles in a stream
// of face geometry without prompts (for the `analyze` CLI, for recorded-video checks, and as a liveness cue).
// Each signal is measured against the person's own recent neutral: the open-eye level is a high percentile of the
// last seconds of eye openness, pose and mouth width follow slow averages taken while no action is under way.
// Allocation: fixed ring buffers; `push` allocates only when an action ended (else it returns a shared empty array).

import type { FaceGeometry } from '../geometry/face-geometry.js';
import { sortPrefix } from '../util/sort.js';

export type DetectedActionType = 'blink' | 'eyes-closed' | 'mouth-open' | 'turn-left' | 'turn-right' | 'nod' | 'smile';

export interface DetectedAction {
  type: DetectedActionType;
  startMs: number;
  endMs: number;
  /** Peak of the action's signal: closure 0..1, mouth opening, degrees, or relative widening. */
  peak: number;
}

export interface ActionDetectorConfig {
  /** Frames are mirrored (selfie orientation): flips which image direction is the person's left. */
  mirrored: boolean;
  /** Open-eye level: this percentile of the eye openness over the last `windowMs`. */
  eyeBaseline: { windowMs: number; percentile: number };
  /**
   * Closure = 1 - openness / open-eye level. Measured on franck.mp4 (iris-model eye contours): open ~0.30, a blink
   * ~0.10-0.14 (closure 0.55-0.65), looking down ~0.17-0.18 (closure ~0.4): `closed` sits between the two.
   */
  blink: {
    onset: number;
    closed: number;
    reopen: number;
    /** Closed (above `closed`) for longer than this is an eye closure, not a blink. */
    maxClosedMs: number;
    /** A closure that stays between `reopen` and `closed` this long after the closed phase has ended. */
    settleMs: number;
  };
  /** Inner-lip gap / inter-ocular width (talking in franck.mp4 stays below ~0.2). */
  mouth: { open: number; close: number; minMs: number };
  /** Degrees of yaw away from the slow neutral. */
  turn: { deg: number; releaseDeg: number; minMs: number };
  /** Degrees of pitch away from the neutral and back within `maxMs`. */
  nod: { deg: number; releaseDeg: number; maxMs: number };
  /** Relative mouth widening over the neutral width. */
  smile: { widen: number; release: number; minMs: number };
  /** Weight of a new frame in the slow neutral pose / mouth width averages. */
  neutralRate: number;
}

export const DEFAULT_ACTION_DETECTOR_CONFIG: ActionDetectorConfig = {
  mirrored: false,
  eyeBaseline: { windowMs: 3000, percentile: 0.8 },
  blink: { onset: 0.25, closed: 0.45, reopen: 0.2, maxClosedMs: 500, settleMs: 200 },
  mouth: { open: 0.25, close: 0.15, minMs: 150 },
  turn: { deg: 15, releaseDeg: 10, minMs: 300 },
  nod: { deg: 10, releaseDeg: 4, maxMs: 1500 },
  smile: { widen: 0.12, release: 0.06, minMs: 300 },
  neutralRate: 0.03,
};

const NONE: readonly DetectedAction[] = Object.freeze([]);
const RING = 256;

interface Episode {
  active: boolean;
  startMs: number;
  peak: number;
  /** blink: the closed level was reached */
  confirmed: boolean;
  sign: number;
}

const episode = (): Episode => ({ active: false, startMs: 0, peak: 0, confirmed: false, sign: 0 });

export class ActionDetector {
  readonly config: ActionDetectorConfig;
  private readonly openT = new Float64Array(RING);
  private readonly openV = new Float64Array(RING);
  private openStart = 0;
  private openCount = 0;
  private readonly scratch = new Float64Array(RING);
  private neutralYaw = NaN;
  private neutralPitch = NaN;
  private neutralWidth = NaN;
  private readonly eyes = episode();
  private readonly mouth = episode();
  private readonly turn = episode();
  private readonly nod = episode();
  private readonly smile = episode();
  private out: DetectedAction[] | null = null;
  private closedFrom = 0;
  private closedTo = 0;
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
      return NONE;
    }
    const c = this.config;
    const t = timestampMs;
    const open = 0.5 * (g.rightEye.openness + g.leftEye.openness);
    const level = this.openLevel();
    const closure = level > 0 ? 1 - open / level : 0;

    // eyes
    const e = this.eyes;
    if (!e.active && closure >= c.blink.onset) Object.assign(e, { active: true, startMs: t, peak: closure, confirmed: false });
    if (e.active) {
      e.peak = Math.max(e.peak, closure);
      if (closure >= c.blink.closed) {
        if (!e.confirmed) this.closedFrom = t;
        e.confirmed = true;
        this.closedTo = t;
      }
      // ends when the eyes reopen, or when they stay half open (a blink that ends in a downward gaze)
      const settled = e.confirmed && closure < c.blink.closed && t - this.closedTo > c.blink.settleMs;
      if (closure < c.blink.reopen || settled) {
        if (e.confirmed) this.emit(this.closedTo - this.closedFrom <= c.blink.maxClosedMs ? 'blink' : 'eyes-closed', e.startMs, t, e.peak);
        e.active = false;
      }
    } else this.pushOpen(t, open); // the open-eye level learns only from frames without a closure

    // mouth
    const m = this.mouth;
    if (!m.active && g.mouthOpening >= c.mouth.open) Object.assign(m, { active: true, startMs: t, peak: g.mouthOpening });
    if (m.active) {
      m.peak = Math.max(m.peak, g.mouthOpening);
      if (g.mouthOpening < c.mouth.close) {
        if (t - m.startMs >= c.mouth.minMs) this.emit('mouth-open', m.startMs, t, m.peak);
        m.active = false;
      }
    }

    // head and smile against slow neutrals
    if (Number.isNaN(this.neutralYaw)) {
      this.neutralYaw = g.pose.yawDeg;
      this.neutralPitch = g.pose.pitchDeg;
      this.neutralWidth = g.mouthWidth;
    }
    const dyaw = g.pose.yawDeg - this.neutralYaw;
    const dpitch = g.pose.pitchDeg - this.neutralPitch;
    const widen = g.mouthWidth / this.neutralWidth - 1;

    const tr = this.turn;
    if (!tr.active && Math.abs(dyaw) >= c.turn.deg) Object.assign(tr, { active: true, startMs: t, peak: Math.abs(dyaw), sign: Math.sign(dyaw) });
    if (tr.active) {
      tr.peak = Math.max(tr.peak, tr.sign * dyaw);
      if (tr.sign * dyaw < c.turn.releaseDeg) {
        if (t - tr.startMs >= c.turn.minMs) {
          // + yaw = nose toward the image's right = the person's left on unmirrored frames
          const left = (tr.sign > 0) !== c.mirrored;
          this.emit(left ? 'turn-left' : 'turn-right', tr.startMs, t, tr.peak);
        }
        tr.active = false;
      }
    }

    const n = this.nod;
    if (!n.active && Math.abs(dpitch) >= c.nod.deg && !tr.active) Object.assign(n, { active: true, startMs: t, peak: Math.abs(dpitch) });
    if (n.active) {
      n.peak = Math.max(n.peak, Math.abs(dpitch));
      if (Math.abs(dpitch) < c.nod.releaseDeg) {
        if (t - n.startMs <= c.nod.maxMs) this.emit('nod', n.startMs, t, n.peak);
        n.active = false;
      }
    }

    const s = this.smile;
    if (!s.active && widen >= c.smile.widen && !m.active) Object.assign(s, { active: true, startMs: t, peak: widen });
    if (s.active) {
      s.peak = Math.max(s.peak, widen);
      if (widen < c.smile.release) {
        if (t - s.startMs >= c.smile.minMs) this.emit('smile', s.startMs, t, s.peak);
        s.active = false;
      }
    }

    if (!tr.active && !n.active) {
      this.neutralYaw += (g.pose.yawDeg - this.neutralYaw) * c.neutralRate;
      this.neutralPitch += (g.pose.pitchDeg - this.neutralPitch) * c.neutralRate;
    }
    if (!s.active && !m.active) this.neutralWidth += (g.mouthWidth - this.neutralWidth) * c.neutralRate;
    return this.out ?? NONE;
  }

  /** Ends the stream: reports actions still under way that already qualify (e.g. a clip ending on a turned head). */
  flush(): readonly DetectedAction[] {
    this.out = null;
    const t = this.lastT, c = this.config;
    if (this.turn.active && t - this.turn.startMs >= c.turn.minMs) {
      const left = (this.turn.sign > 0) !== c.mirrored;
      this.emit(left ? 'turn-left' : 'turn-right', this.turn.startMs, t, this.turn.peak);
    }
    if (this.mouth.active && t - this.mouth.startMs >= c.mouth.minMs) this.emit('mouth-open', this.mouth.startMs, t, this.mouth.peak);
    if (this.eyes.active && this.eyes.confirmed) this.emit(this.closedTo - this.closedFrom <= c.blink.maxClosedMs ? 'blink' : 'eyes-closed', this.eyes.startMs, t, this.eyes.peak);
    this.eyes.active = this.mouth.active = this.turn.active = this.nod.active = this.smile.active = false;
    return this.out ?? NONE;
  }

  private emit(type: DetectedActionType, startMs: number, endMs: number, peak: number): void {
    (this.out ??= []).push({ type, startMs, endMs, peak });
  }

  private pushOpen(t: number, v: number): void {
    if (this.openCount === RING) {
      this.openStart = (this.openStart + 1) % RING;
      this.openCount--;
    }
    const i = (this.openStart + this.openCount) % RING;
    this.openT[i] = t;
    this.openV[i] = v;
    this.openCount++;
    while (this.openCount > 1 && t - this.openT[this.openStart] > this.config.eyeBaseline.windowMs) {
      this.openStart = (this.openStart + 1) % RING;
      this.openCount--;
    }
  }

  /** Open-eye level: the configured percentile of recent openness (NaN-free; 0 before any frame). */
  private openLevel(): number {
    const n = this.openCount;
    if (n === 0) return 0;
    for (let i = 0; i < n; i++) this.scratch[i] = this.openV[(this.openStart + i) % RING];
    sortPrefix(this.scratch, n);
    return this.scratch[Math.min(n - 1, Math.floor(this.config.eyeBaseline.percentile * (n - 1)))];
  }
}

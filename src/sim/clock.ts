/**
 * Per-node clocks derived from true virtual time.
 *
 * - Monotonic time: ms since the node's process started, running at rate (1 + driftPpm / 1e6) of true time.
 *   Never goes back. Restarts from 0 when the node restarts (a new process).
 * - Wall time: EPOCH_MS + true time scaled by the same rate + offset + the sum of jumps. Jumps (forward or
 *   back) and offset changes affect wall time only.
 * - Timers are measured on the monotonic clock: a 100 ms timer on a node running 1% fast fires after
 *   about 99 ms of true time.
 *
 * The rate is piecewise constant: changing drift re-anchors, so neither clock jumps when drift changes.
 */
import { EPOCH_MS } from './world.ts';

/** Clock settings of a node. */
export interface ClockSpec {
  /** Wall clock offset from true time, ms (skew). Default 0. */
  offsetMs?: number;
  /** Rate error in parts per million (positive runs fast). Default 0. */
  driftPpm?: number;
}

/** A node's clock state; the node layer adds timers on top. */
export class NodeClock {
  private rate: number;
  private anchorTrueUs: number;
  private anchorScaledUs: number;
  private wallOffsetMs: number;
  private bootScaledUs = 0;
  /** Called after every change of rate or wall offset (evidence recorders read the clock then). */
  onChange: (() => void) | null = null;

  constructor(
    private readonly trueNowUs: () => number,
    spec: ClockSpec = {},
  ) {
    this.rate = 1 + (spec.driftPpm ?? 0) / 1e6;
    if (!(this.rate > 0)) throw new RangeError(`driftPpm ${spec.driftPpm} makes the clock stop or run backwards`);
    this.anchorTrueUs = trueNowUs();
    this.anchorScaledUs = this.anchorTrueUs;
    this.wallOffsetMs = spec.offsetMs ?? 0;
  }

  /** Scaled (drifting) time in µs since virtual time 0. */
  private scaledUs(): number {
    return this.anchorScaledUs + (this.trueNowUs() - this.anchorTrueUs) * this.rate;
  }

  /** Current drift in ppm. */
  get driftPpm(): number {
    return (this.rate - 1) * 1e6;
  }

  /** Wall-clock ms since the epoch (integer, like Date.now()). */
  wallMs(): number {
    return Math.floor(EPOCH_MS + this.scaledUs() / 1000 + this.wallOffsetMs);
  }

  /** Monotonic ms since the node's process started (fractional, like performance.now()). */
  monotonicMs(): number {
    return (this.scaledUs() - this.bootScaledUs) / 1000;
  }

  /** Marks a process start: monotonic time restarts from 0. */
  boot(): void {
    this.bootScaledUs = this.scaledUs();
  }

  /** Steps the wall clock by `deltaMs` (negative steps back). Monotonic time is unaffected. */
  jump(deltaMs: number): void {
    this.wallOffsetMs += deltaMs;
    this.onChange?.();
  }

  /** Changes the drift from now on (neither clock jumps). */
  setDrift(driftPpm: number): void {
    const rate = 1 + driftPpm / 1e6;
    if (!(rate > 0)) throw new RangeError(`driftPpm ${driftPpm} makes the clock stop or run backwards`);
    this.anchorScaledUs = this.scaledUs();
    this.anchorTrueUs = this.trueNowUs();
    this.rate = rate;
    this.onChange?.();
  }

  /** True-time µs that pass while this node's monotonic clock advances `ms`. */
  trueDelayUs(ms: number): number {
    const us = ms > 0 ? (ms * 1000) / this.rate : 0;
    return Math.ceil(us);
  }
}

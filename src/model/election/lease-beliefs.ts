/**
 * invariant:lease-exclusive (lease mode): no tab acquires an epoch while another tab still trusts its lease
 * by its own reckoning, and no leader batch begins with an epoch older than one already acquired.
 *
 * A belief is what a tab reported (`validMs` on 'election.leader' / 'election.renewed': trust left on its
 * own monotonic clock), placed on that tab's *true* monotonic clock from `fact.clock` (the simulator's
 * readings, not the tab's): the belief ends when that clock reaches `monotonic(t) + validMs`. Another tab
 * acquiring at true time t' overlaps it when the believer's monotonic clock at t' (extrapolated from its
 * latest fact.clock, so drift changes in between count) is still below that end. Without a clock fact for
 * the believer, a belief is read as ending after validMs * 0.99 of true time.
 */
import type { TraceRecord } from '../../sim/trace.ts';
import { monotonicAt, type ClockSample } from './election-machine.ts';
import type { Violation } from './election-invariants.ts';

/** Without a clock fact, a lease belief of `validMs` is read as ending after validMs * 0.99 of true time. */
const BELIEF_ALLOWANCE = 0.99;

interface Belief {
  epoch: number;
  /** End on the believer's monotonic clock (ms), or in true time (µs) when its clock is unknown. */
  endMonoMs: number | null;
  endUs: number;
}

/** The lease beliefs of the tabs of one device, and the epochs acquired there. */
export class LeaseBeliefs {
  private readonly beliefs = new Map<string, Belief>();
  private maxAcquired = 0;
  private maxAcquiredBy = '';

  constructor(private readonly clockOf: (node: string) => ClockSample | null) {}

  /** A tab reported trusting its lease for `validMs` more (at rec.t). */
  believe(rec: TraceRecord): void {
    const validMs = rec.data.validMs;
    if (typeof validMs !== 'number') return;
    const mono = monotonicAt(this.clockOf(rec.node), rec.t);
    this.beliefs.set(rec.node, { epoch: Number(rec.data.epoch), endMonoMs: mono === null ? null : mono + validMs, endUs: rec.t + validMs * 1000 * BELIEF_ALLOWANCE });
  }

  /** The tab stopped trusting (stepped down, crashed, stopped). */
  forget(tab: string): void {
    this.beliefs.delete(tab);
  }

  /** `tab` acquired `epoch`: a violation when another tab still believes in its lease of an older epoch. */
  acquired(tab: string, epoch: number, rec: TraceRecord): Violation | null {
    for (const [other, b] of this.beliefs) {
      if (other === tab || b.epoch >= epoch) continue;
      const leftMs = this.leftMs(other, b, rec.t);
      if (leftMs <= 0) continue;
      return {
        check: 'invariant:lease-exclusive',
        message:
          `'${tab}' acquired epoch ${epoch} (trace #${rec.i}) while '${other}' still held the lease of epoch ${b.epoch} ` +
          `by its own reckoning for ${Math.round(leftMs)} ms more of its monotonic clock (fact.clock): two tabs believed they held the lease`,
        node: tab,
        details: { epoch, other, otherEpoch: b.epoch, overlapMs: leftMs },
      };
    }
    if (epoch > this.maxAcquired) {
      this.maxAcquired = epoch;
      this.maxAcquiredBy = tab;
    }
    return null;
  }

  /** A leader batch begins with `epoch`: a violation when a higher epoch was acquired already. */
  writeBegins(tab: string, epoch: number, rec: TraceRecord): Violation | null {
    if (this.maxAcquired <= epoch) return null;
    return {
      check: 'invariant:lease-exclusive',
      message:
        `'${tab}' began a leader write with epoch ${epoch} (trace #${rec.i}) after '${this.maxAcquiredBy}' had ` +
        `acquired epoch ${this.maxAcquired}: two tabs believed they held the lease`,
      node: tab,
      details: { epoch, newer: this.maxAcquired, newerHolder: this.maxAcquiredBy },
    };
  }

  /** How much longer (ms of its clock) `tab` trusts belief `b` at true time `tUs`. */
  private leftMs(tab: string, b: Belief, tUs: number): number {
    const mono = b.endMonoMs === null ? null : monotonicAt(this.clockOf(tab), tUs);
    return mono === null || b.endMonoMs === null ? (b.endUs - tUs) / 1000 : b.endMonoMs - mono;
  }
}

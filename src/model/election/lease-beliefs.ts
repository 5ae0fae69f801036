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
 *
 * invariant:lease-bounded (lease mode, given the scenario's lease terms): a belief ends, in true time, within
 * `leaseMs` of the commit of the tab's lease record it rests on. That is the leader's half of the lease
 * protocol: a leader trusts at most `leaseMs` of true time after its renewal (or campaign) started, and a
 * follower waits more than `leaseMs` of true time after it read the record, so the halves never overlap
 * whatever the clock rates within `clockDriftMaxPpm`. The commit is the tab's latest kv commit that wrote
 * the lease record's store 'election', of any durability, before the report (`kv.commit` with puts, a
 * simulator record: the lease's compare-and-set or renewal), the rate its true clock's (`fact.clock`). This sees a leader that trusts too
 * long without needing a follower to take over inside the overlap (which needs the largest opposite drifts
 * and a follower acting right at its takeover time: election-opposite-drifts): a slow leader clock, or a
 * trust counted from after a slow transaction, is enough. Not judged while the believer's clock runs
 * outside the assumed bound (the protocol then promises nothing) or before any such commit of the tab.
 */
import type { TraceRecord } from '../../sim/trace.ts';
import { monotonicAt, type ClockSample } from './election-machine.ts';
import type { Violation } from './election-invariants.ts';

/** Without a clock fact, a lease belief of `validMs` is read as ending after validMs * 0.99 of true time. */
const BELIEF_ALLOWANCE = 0.99;

/** The lease the scenario configured: a belief must end within `leaseMs` of true time after its record's commit. */
export interface LeaseTerms {
  leaseMs: number;
  clockDriftMaxPpm: number;
}

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

  /** Tab -> true time (µs) of its latest kv commit that wrote the lease record's store. */
  private readonly leaseCommitUs = new Map<string, number>();

  constructor(
    private readonly clockOf: (node: string) => ClockSample | null,
    private readonly terms: LeaseTerms | null = null,
  ) {}

  /** `tab` committed a strict kv transaction outside the protected store at true time `tUs`. */
  committed(tab: string, tUs: number): void {
    this.leaseCommitUs.set(tab, tUs);
  }

  /** Whether invariant:lease-bounded is judged (the scenario gave its lease terms). */
  get bounded(): boolean {
    return this.terms !== null;
  }

  /**
   * A tab reported trusting its lease for `validMs` more (at rec.t). Returns an invariant:lease-bounded
   * violation when that trust outlasts `leaseMs` of true time after its lease record's commit; `judged` is
   * called when it was decided.
   */
  believe(rec: TraceRecord, judged: () => void = () => {}): Violation | null {
    const validMs = rec.data.validMs;
    if (typeof validMs !== 'number') return null;
    const clock = this.clockOf(rec.node);
    const mono = monotonicAt(clock, rec.t);
    this.beliefs.set(rec.node, { epoch: Number(rec.data.epoch), endMonoMs: mono === null ? null : mono + validMs, endUs: rec.t + validMs * 1000 * BELIEF_ALLOWANCE });
    const committedUs = this.leaseCommitUs.get(rec.node);
    if (this.terms === null || clock === null || committedUs === undefined) return null;
    // (1 ppm of slack: a rate set to the bound reads back a hair above it.)
    if (Math.abs(clock.driftPpm) > this.terms.clockDriftMaxPpm + 1) return null;
    judged();
    const endUs = rec.t + (validMs * 1000) / (1 + clock.driftPpm / 1e6);
    const boundUs = committedUs + this.terms.leaseMs * 1000;
    if (endUs <= boundUs) return null;
    return {
      check: 'invariant:lease-bounded',
      message:
        `'${rec.node}' reported trusting its lease of epoch ${String(rec.data.epoch)} for ${validMs.toFixed(1)} ms more (${rec.kind}, trace #${rec.i}); ` +
        `its clock runs at ${clock.driftPpm} ppm (fact.clock), so the trust ends ${((endUs - committedUs) / 1000).toFixed(1)} ms of true time after its lease record ` +
        `committed (kv.commit at ${committedUs} µs), past the lease of ${this.terms.leaseMs} ms: a follower that read the record then may take over while it still believes`,
      node: rec.node,
      details: { epoch: rec.data.epoch, validMs, driftPpm: clock.driftPpm, committedUs, overMs: (endUs - boundUs) / 1000 },
    };
  }

  /** The tab stopped trusting (stepped down, crashed, stopped). */
  forget(tab: string): void {
    this.beliefs.delete(tab);
  }

  /** The tab went down: its next incarnation starts without a lease record. */
  down(tab: string): void {
    this.beliefs.delete(tab);
    this.leaseCommitUs.delete(tab);
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

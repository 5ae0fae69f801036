/**
 * invariant:no-spurious-failover: leadership changes only for a cause. Every check of the ledger is about
 * safety, and an election that deposes its own healthy leader every few hundred ms (a renewal that never
 * extends the lease, a lock handler that gives the lock up, a fence that steps down the wrong term) stays
 * safe: fencing rejects the old leader's writes and a new leader comes quickly. Users see a sync engine
 * that keeps re-electing and failing writes. This check catches that class.
 *
 * Evidence (never the implementation's word):
 * - a failover: the durable fencing epoch of the store (`fact.store`, decoded from the kv image by the
 *   simulator) rises above an epoch some tab already fenced (the first fence is the first election);
 * - causes: any injected fault (`fault.*`, the injector's record), a node lifecycle event the simulator
 *   records that can end a leader's term (`node.crash`, `node.stop`, `node.pause`, `node.resume`; a tab
 *   starting deposes no one), and the workload's own handovers (`workload.handover`: a tab closed or told
 *   to take over).
 * Judged only until the first injected fault of the run: after a fault, its effects (a clock drifting for
 * seconds, a store failing transactions) can excuse a failover long after its record, and attributing them
 * is guesswork. So the check bites in the fault-free stretches of every election scenario (all of the
 * scripted fault-free ones, and the start of the others), and a failover there needs a lifecycle event or
 * a handover within `CAUSE_WINDOW_MS` before it.
 */
import { appliedFaultKind } from '../../faults/schema.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck } from '../check.ts';
import { watchCheck, type WatchViolation } from './trace-watch.ts';

/** A failover must follow its cause within this (lease takeover ~1.1 s, plus polls and retries). */
export const CAUSE_WINDOW_MS = 5_000;

/** The invariant's name. */
export const NO_SPURIOUS_FAILOVER = 'invariant:no-spurious-failover';

/** A tab told to take over must have fenced the store at a higher epoch within this (a steal is immediate). */
export const TAKEOVER_WITHIN_MS = 2_000;

/** The converse invariant's name: a takeover the workload asked for happens. */
export const TAKEOVER_HONOURED = 'invariant:takeover-honoured';

/** Trace kinds the check reads. */
export const STABILITY_KINDS: readonly string[] = ['fact.store', 'node.crash', 'node.stop', 'node.pause', 'node.resume', 'workload.handover'];

/** The check's state over one run; `onRecord` gets every record (fault records included). */
export class StabilityWatch {
  /** Device/root -> highest durable fencing epoch seen. */
  private readonly epochs = new Map<string, number>();
  /** Time (ms) and description of the latest cause. */
  private lastCause: { ms: number; what: string } | null = null;
  private faulted = false;
  /** Takeovers asked for and not yet seen in the store: node, time (ms), the highest epoch then, trace index. */
  private takeovers: { node: string; ms: number; epoch: number; i: number }[] = [];

  constructor(
    private readonly root: string,
    private readonly exercised: (name: string) => void = () => {},
  ) {}

  onRecord(rec: TraceRecord): WatchViolation | null {
    const ms = rec.t / 1000;
    const late = this.lateTakeover(ms);
    if (late !== null) return late;
    if (rec.kind.startsWith('fault.')) {
      if (appliedFaultKind(rec.kind) !== null) this.faulted = true;
      return null;
    }
    if (rec.kind !== 'fact.store') {
      if (STABILITY_KINDS.includes(rec.kind)) this.lastCause = { ms, what: `${rec.kind} of ${String(rec.data.node ?? rec.node)} (trace #${rec.i})` };
      if (rec.kind === 'workload.handover' && rec.data.how === 'takeOver' && typeof rec.data.node === 'string') {
        this.takeovers.push({ node: rec.data.node, ms, epoch: this.highest(), i: rec.i });
      }
      return null;
    }
    const d = rec.data;
    if (d.backend !== 'kv' || d.root !== this.root || typeof d.epoch !== 'number') return null;
    const key = `${String(d.device)}/${this.root}`;
    const before = this.epochs.get(key) ?? 0;
    if (d.epoch <= before) return null;
    this.epochs.set(key, d.epoch);
    this.takeovers = this.takeovers.filter((t) => {
      if ((d.epoch as number) <= t.epoch) return true;
      this.exercised(TAKEOVER_HONOURED);
      return false;
    });
    if (before === 0 || this.faulted) return null;
    this.exercised(NO_SPURIOUS_FAILOVER);
    if (this.lastCause !== null && ms - this.lastCause.ms <= CAUSE_WINDOW_MS) return null;
    const since = this.lastCause === null ? 'nothing happened to any tab since the run began' : `the last was ${this.lastCause.what} at ${this.lastCause.ms.toFixed(1)} ms`;
    return {
      check: NO_SPURIOUS_FAILOVER,
      message:
        `device ${String(d.device)}: the store was fenced at epoch ${d.epoch} over epoch ${before} (trace #${rec.i}, ${ms.toFixed(1)} ms) with no fault injected ` +
        `and no tab stopped, crashed, paused or handed over in the ${CAUSE_WINDOW_MS} ms before (${since}): a healthy leader was deposed`,
      details: { device: d.device, epoch: d.epoch, previous: before, lastCause: this.lastCause },
    };
  }

  /** True once nothing later can be judged: after the first injected fault (the watch then ignores every record). */
  done(): boolean {
    return this.faulted;
  }

  /** The end of the run at `ms`: a takeover still pending past its deadline fails. */
  final(ms: number): WatchViolation | null {
    return this.lateTakeover(ms);
  }

  private highest(): number {
    let h = 0;
    for (const e of this.epochs.values()) h = Math.max(h, e);
    return h;
  }

  /**
   * invariant:takeover-honoured: the workload told a follower to take over (steal the lock): the store's
   * durable fencing epoch must rise within TAKEOVER_WITHIN_MS, or the scenario's premise (a leader deposed
   * mid-write) never happened and its run proves nothing. Excused once a fault is injected or a tab stops,
   * crashes or pauses after the request (it may be the thief). Evidence: the workload's own record and the
   * store's durable epoch (fact.store).
   */
  private lateTakeover(ms: number): WatchViolation | null {
    const t = this.takeovers[0];
    if (t === undefined || ms - t.ms <= TAKEOVER_WITHIN_MS) return null;
    this.takeovers.shift();
    if (this.faulted || (this.lastCause !== null && this.lastCause.ms > t.ms && !this.lastCause.what.startsWith('workload.handover'))) return null;
    this.exercised(TAKEOVER_HONOURED);
    return {
      check: TAKEOVER_HONOURED,
      message: `${t.node} was told to take over at ${t.ms.toFixed(1)} ms (trace #${t.i}), but the store's fencing epoch stayed at ${t.epoch} for ${TAKEOVER_WITHIN_MS} ms: the takeover never happened`,
      details: { node: t.node, atMs: t.ms, epoch: t.epoch },
    };
  }
}

/**
 * invariant:no-spurious-failover : leadership changes only for a cause; and
 * invariant:takeover-honoured, its converse: a takeover the workload asked for happens.
 */
export function stableLeadership(root = 'store'): TraceCheck {
  return watchCheck('stable-leadership', [NO_SPURIOUS_FAILOVER, TAKEOVER_HONOURED], STABILITY_KINDS, (ex) => new StabilityWatch(root, ex));
}

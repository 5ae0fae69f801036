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

/** A failover must follow its cause within this (lease takeover ~1.1 s, plus polls and retries). */
export const CAUSE_WINDOW_MS = 5_000;

/** The invariant's name. */
export const NO_SPURIOUS_FAILOVER = 'invariant:no-spurious-failover';

/** Trace kinds the check reads. */
export const STABILITY_KINDS: readonly string[] = ['fact.store', 'node.crash', 'node.stop', 'node.pause', 'node.resume', 'workload.handover'];

/** What a violation reports. */
export interface StabilityViolation {
  check: string;
  message: string;
  details: Record<string, unknown>;
}

/** The check's state over one run; `onRecord` gets every record (fault records included). */
export class StabilityWatch {
  /** Device/root -> highest durable fencing epoch seen. */
  private readonly epochs = new Map<string, number>();
  /** Time (ms) and description of the latest cause. */
  private lastCause: { ms: number; what: string } | null = null;
  private faulted = false;

  constructor(
    private readonly root: string,
    private readonly exercised: (name: string) => void = () => {},
  ) {}

  onRecord(rec: TraceRecord): StabilityViolation | null {
    const ms = rec.t / 1000;
    if (rec.kind.startsWith('fault.')) {
      if (appliedFaultKind(rec.kind) !== null) this.faulted = true;
      return null;
    }
    if (rec.kind !== 'fact.store') {
      if (STABILITY_KINDS.includes(rec.kind)) this.lastCause = { ms, what: `${rec.kind} of ${String(rec.data.node ?? rec.node)} (trace #${rec.i})` };
      return null;
    }
    const d = rec.data;
    if (d.backend !== 'kv' || d.root !== this.root || typeof d.epoch !== 'number') return null;
    const key = `${String(d.device)}/${this.root}`;
    const before = this.epochs.get(key) ?? 0;
    if (d.epoch <= before) return null;
    this.epochs.set(key, d.epoch);
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
}

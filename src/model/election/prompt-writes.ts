/**
 * invariant:prompt-writes: while nothing disturbs the tabs, a write settles promptly. Every safety check
 * passes an election whose tabs only make progress when a timer runs out (a new leader that never tells
 * the followers, a follower that does not re-send its pending writes when it learns of a new leader, a
 * leader that does not start its queue when it takes over): writes then take the forward timeout or a
 * lease period instead of a few round trips, and the 10 s write deadline hides it. Users see a sync engine
 * that stalls for a second at every handover.
 *
 * Evidence (never the implementation's word): the workload's own record of each write and its result
 * (`workload.write`, `workload.result`), the store's durable fencing epoch (`fact.store`: a leader fenced
 * the store), injected faults (`fault.*`) and lifecycle events (`node.crash`, `.stop`, `.pause`,
 * `.resume`, `.start`, `workload.handover`).
 *
 * A write issued at time w must have its result by max(w, the latest fence) + PROMPT_WRITE_MS, judged only
 * until the first injected fault of the run (as no-spurious-failover), and excused when a lifecycle event
 * happened between its issue and its deadline, or when no tab has fenced the store yet. After a lifecycle
 * event, leadership may move: a write counts from the next fence, or, when none comes (the event did not
 * touch the leader), is judged again once SETTLE_MS have passed.
 */
import { appliedFaultKind } from '../../faults/schema.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck } from '../check.ts';
import { watchCheck, type WatchViolation } from './trace-watch.ts';

/** The bound: a few bus round trips and store commits, well under the forward timeout (400 ms by default). */
export const PROMPT_WRITE_MS = 250;

/** The invariant's name. */
export const PROMPT_WRITES = 'invariant:prompt-writes';

/** After a lifecycle event and no new fence, leadership is taken as settled after this (LIVENESS_BOUNDS.leaderMs). */
export const SETTLE_MS = 3_000;

/** Lifecycle kinds that excuse a slow write. */
const DISTURBING = ['node.crash', 'node.stop', 'node.pause', 'node.resume', 'node.start', 'workload.handover'];

/** Trace kinds the check reads (besides the injector's `fault.<kind>` records). */
export const PROMPT_KINDS: readonly string[] = ['fact.store', 'workload.write', 'workload.result', ...DISTURBING];

/** The check's state over one run. */
export class PromptWrites {
  /** Time (ms) the store's durable fencing epoch last rose, -1 before any fence. */
  private fencedAt = -1;
  private epoch = 0;
  private faulted = false;
  private disturbedAt = -1;
  /** Writes without a result: value -> issue time (ms), node, trace index. */
  private readonly open = new Map<string, { ms: number; node: string; i: number }>();

  constructor(
    private readonly root: string,
    private readonly exercised: (name: string) => void = () => {},
  ) {}

  onRecord(rec: TraceRecord): WatchViolation | null {
    const ms = rec.t / 1000;
    const late = this.overdue(ms);
    if (late !== null) return late;
    if (rec.kind.startsWith('fault.')) {
      if (appliedFaultKind(rec.kind) !== null) this.faulted = true;
      return null;
    }
    const d = rec.data;
    switch (rec.kind) {
      case 'fact.store':
        if (d.backend === 'kv' && d.root === this.root && typeof d.epoch === 'number' && d.epoch > this.epoch) {
          this.epoch = d.epoch;
          this.fencedAt = ms;
        }
        return null;
      case 'workload.write':
        if (typeof d.value === 'string') this.open.set(d.value, { ms, node: String(d.node), i: rec.i });
        return null;
      case 'workload.result': {
        const w = typeof d.value === 'string' ? this.open.get(d.value) : undefined;
        if (w === undefined) return null;
        this.open.delete(d.value as string);
        if (this.deadline(w) !== null) this.exercised(PROMPT_WRITES);
        return null;
      }
      default:
        if (DISTURBING.includes(rec.kind)) this.disturbedAt = ms;
        return null;
    }
  }

  /** True once nothing later can be judged: after the first injected fault (the watch then ignores every record). */
  done(): boolean {
    return this.faulted;
  }

  /** The end of the run at `ms`: a write still open past its deadline fails. */
  final(ms: number): WatchViolation | null {
    return this.overdue(ms);
  }

  /**
   * The deadline of the write issued as `w`, or null while it is not judged: a fault was injected, no tab
   * has fenced yet, something disturbed the tabs after it was issued, or leadership may still be moving
   * (a disturbance with no fence since, less than SETTLE_MS before the write).
   */
  private deadline(w: { ms: number }): number | null {
    if (this.faulted || this.fencedAt < 0 || this.disturbedAt >= w.ms) return null;
    if (this.fencedAt > this.disturbedAt) return Math.max(w.ms, this.fencedAt) + PROMPT_WRITE_MS;
    return w.ms > this.disturbedAt + SETTLE_MS ? w.ms + PROMPT_WRITE_MS : null;
  }

  private overdue(ms: number): WatchViolation | null {
    if (this.faulted) return null;
    for (const [value, w] of this.open) {
      const deadline = this.deadline(w);
      if (deadline === null) {
        if (this.disturbedAt >= w.ms) this.open.delete(value); // excused for good
        continue;
      }
      if (ms <= deadline) continue;
      this.open.delete(value);
      this.exercised(PROMPT_WRITES);
      return {
        check: PROMPT_WRITES,
        message:
          `write ${value} at ${w.node} (issued ${w.ms.toFixed(1)} ms, trace #${w.i}) has no result ${PROMPT_WRITE_MS} ms after ` +
          `${w.ms >= this.fencedAt ? 'it was issued' : `the store was fenced at epoch ${this.epoch} (${this.fencedAt.toFixed(1)} ms)`}, ` +
          `with no fault injected and no tab started, stopped, crashed, paused or handed over since: progress waited for a timer`,
        details: { value, node: w.node, issuedMs: w.ms, fencedAtMs: this.fencedAt, epoch: this.epoch },
      };
    }
    return null;
  }
}

/** invariant:prompt-writes: undisturbed, a write settles in a few round trips. */
export function promptWrites(root = 'store'): TraceCheck {
  return watchCheck('prompt-writes', [PROMPT_WRITES], PROMPT_KINDS, (ex) => new PromptWrites(root, ex));
}

/**
 * invariant:no-stranded-writes: a tab that reaches a leader does not leave an earlier write behind. Every
 * pending write is retried (re-sent at each forward timeout and at each new leader, applied locally when
 * the tab leads), so once a leader freshly commits another write of the same tab, the earlier one follows
 * within a retry. A write that the tab instead gives up on at its deadline was stranded: dropped from a
 * flush batch at a step-down, a retry timer lost, an attempt marked as running for good. The caller waited
 * its whole deadline and was told "maybe applied" for a write that nobody would apply. The write deadline
 * hides it from every other check (the write settles), and invariant:prompt-writes stops judging at the
 * first injected fault, which is where step-downs happen.
 *
 * Evidence (never the implementation's word): the workload's own record (`workload.write`, and of
 * `workload.result` only that the write failed and when; `workload.lost`), the store's durable request
 * records (`fact.request`: a request record written is a leader's fresh commit of that write, its value
 * naming the workload's write), the tabs' lifecycle (`node.start`, `node.crash`, `node.stop`,
 * `node.pause`, `node.resume`), and the scenario's `writeDeadlineMs`.
 *
 * Fails when a write issued at tab T at time w fails at f >= w + 0.9 * writeDeadlineMs
 * (given up at its deadline, whatever code the tab chose) while no request record of it was ever written,
 * and the store recorded another write of the same incarnation of T, issued after w, at least
 * STRANDED_SLACK_MS before f and after the last lifecycle event of any tab of the run (a pause, resume,
 * crash, stop or start), with no tab frozen at f: a leader that froze, crashed or stopped after applying
 * the later write (and maybe holds the store: a frozen tab's open transaction blocks every other) cannot
 * apply the earlier one, and a frozen tab's timers run late (election-swarm-long seed 11000: leader C
 * froze 4 ms after recording A's w131, holding the store until after A's w12 timed out).
 */
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck } from '../check.ts';
import type { TraceWatch, WatchViolation } from './trace-watch.ts';

/** The invariant's name. */
export const NO_STRANDED_WRITES = 'invariant:no-stranded-writes';

/** Time a pending write has to follow a fresh commit of its tab: two forward timeouts (400 ms) and more. */
export const STRANDED_SLACK_MS = 1_000;

/** A failure this late (a share of writeDeadlineMs: room for the tab's clock drift) is the tab giving up at its deadline. */
export const DEADLINE_SHARE = 0.9;

/** Trace kinds the check reads. */
export const STRANDED_KINDS: readonly string[] = ['workload.write', 'workload.result', 'workload.lost', 'fact.request', 'node.start', 'node.crash', 'node.stop', 'node.pause', 'node.resume'];

interface OpenWrite {
  node: string;
  incarnation: number;
  ms: number;
  i: number;
  /** A request record of it was written (some leader applied it). */
  applied: boolean;
}

/** The check's state over one run. */
export class StrandedWrites implements TraceWatch {
  private readonly open = new Map<string, OpenWrite>();
  /** Every write issued (value -> its tab, incarnation and time), open or settled: a request record names it by value. */
  private readonly issued = new Map<string, OpenWrite>();
  /** Tab -> its incarnation (count of node.start), and its incarnation's freshly recorded writes (ms, value), in order. */
  private readonly incarnation = new Map<string, number>();
  private readonly fresh = new Map<string, { ms: number; value: string; issuedMs: number }[]>();
  /** Tabs frozen now, and when any tab last paused, resumed, crashed, stopped or started (ms). */
  private readonly frozen = new Set<string>();
  private lastLifecycleMs = -Infinity;

  constructor(
    private readonly deadlineMs: number,
    private readonly exercised: (name: string) => void = () => {},
  ) {}

  onRecord(rec: TraceRecord): WatchViolation | null {
    const ms = rec.t / 1000;
    const d = rec.data;
    switch (rec.kind) {
      case 'node.start':
        this.incarnation.set(rec.node, (this.incarnation.get(rec.node) ?? 0) + 1);
        this.fresh.delete(rec.node);
        this.frozen.delete(rec.node);
        this.lastLifecycleMs = ms;
        return null;
      case 'node.crash':
      case 'node.stop':
        this.fresh.delete(rec.node);
        this.frozen.delete(rec.node);
        this.lastLifecycleMs = ms;
        return null;
      case 'node.pause':
        this.frozen.add(rec.node);
        this.lastLifecycleMs = ms;
        return null;
      case 'node.resume':
        this.frozen.delete(rec.node);
        this.lastLifecycleMs = ms;
        return null;
      case 'workload.write':
        if (typeof d.value === 'string' && typeof d.node === 'string') {
          const w: OpenWrite = { node: d.node, incarnation: this.incarnation.get(d.node) ?? 0, ms, i: rec.i, applied: false };
          this.open.set(d.value, w);
          this.issued.set(d.value, w);
        }
        return null;
      case 'fact.request':
        return this.recorded(d, ms);
      case 'workload.lost':
        if (typeof d.value === 'string') this.open.delete(d.value);
        return null;
      case 'workload.result':
        return typeof d.value === 'string' ? this.result(d.value, d, ms, rec) : null;
      default:
        return null;
    }
  }

  /** A request record became durable: a leader applied that write, now. */
  private recorded(d: Record<string, unknown>, ms: number): null {
    const value = (d.result as { value?: unknown } | null)?.value;
    if (typeof value !== 'string') return null;
    const w = this.issued.get(value);
    if (w === undefined || w.applied) return null;
    w.applied = true;
    if ((this.incarnation.get(w.node) ?? 0) !== w.incarnation) return null;
    let acks = this.fresh.get(w.node);
    if (acks === undefined) this.fresh.set(w.node, (acks = []));
    acks.push({ ms, value, issuedMs: w.ms });
    return null;
  }

  private result(value: string, d: Record<string, unknown>, ms: number, rec: TraceRecord): WatchViolation | null {
    const w = this.open.get(value);
    if (w === undefined) return null;
    this.open.delete(value);
    if (d.ok === true || w.applied || (this.incarnation.get(w.node) ?? 0) !== w.incarnation) return null;
    // Given up at its deadline (whatever code the tab chose), not refused early.
    if (ms < w.ms + this.deadlineMs * DEADLINE_SHARE) return null;
    // A tab frozen now: timers run late, and a frozen leader may hold the store.
    if (this.frozen.size > 0) return null;
    this.exercised(NO_STRANDED_WRITES);
    // The latest fresh commit of a later write of the tab, STRANDED_SLACK_MS before this one failed and
    // after the last lifecycle event of any tab.
    const fresh = (this.fresh.get(w.node) ?? []).findLast((a) => a.issuedMs > w.ms && a.ms <= ms - STRANDED_SLACK_MS && a.ms > this.lastLifecycleMs);
    if (fresh === undefined) return null;
    return {
      check: NO_STRANDED_WRITES,
      message:
        `write ${value} at ${w.node} (issued ${w.ms.toFixed(1)} ms, trace #${w.i}) failed at its deadline with ${String(d.code)} at ${ms.toFixed(1)} ms (trace #${rec.i}), never recorded applied, ` +
        `${(ms - fresh.ms).toFixed(1)} ms after the store recorded ${fresh.value}, a later write of the same tab (fact.request): ` +
        `the tab reached a leader and left this write behind instead of retrying it`,
      details: { value, node: w.node, issuedMs: w.ms, failedMs: ms, code: d.code, freshValue: fresh.value, freshMs: fresh.ms },
    };
  }

  final(): WatchViolation | null {
    return null;
  }

  done(): boolean {
    return false;
  }
}

/** invariant:no-stranded-writes (see the file comment). */
export function strandedWrites(writeDeadlineMs: number): TraceCheck {
  const key = 'election.watch.stranded-writes';
  return {
    onTrace: true,
    name: 'stranded-writes',
    covers: [NO_STRANDED_WRITES],
    setup(ctx) {
      const watch = new StrandedWrites(writeDeadlineMs, (n) => ctx.exercised(n));
      ctx.runState.set(key, watch);
      for (const kind of STRANDED_KINDS) {
        ctx.trace.on(kind, (rec) => {
          const v = watch.onRecord(rec);
          if (v !== null) ctx.fail('correctness', v.check, v.message, { ...v.details, traceIndex: rec.i });
        });
      }
    },
  };
}

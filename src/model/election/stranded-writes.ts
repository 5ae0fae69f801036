/**
 * invariant:no-stranded-writes: a tab that reaches a leader does not leave an earlier write behind. Every
 * pending write is retried (re-sent at each forward timeout and at each new leader, applied locally when
 * the tab leads), so once a leader freshly commits another write of the same tab, the earlier one follows
 * within a retry. A write that the tab instead gives up on at its deadline (ETIMEDOUT, or EFENCED as its
 * last refusal) was stranded: dropped from a flush batch at a step-down, a retry timer lost, an attempt
 * marked as running for good. The caller waited its whole deadline and was told "maybe applied" for a
 * write that nobody would apply. The write deadline hides it from every other check (the write settles),
 * and invariant:prompt-writes stops judging at the first injected fault, which is where step-downs happen.
 *
 * Evidence (never the implementation's word): the workload's own record (`workload.write`,
 * `workload.result` with `ok`, `dedup`, `code`; `workload.lost`), the tabs' lifecycle (`node.start`,
 * `node.crash`, `node.stop`, `node.pause`, `node.resume`).
 *
 * Fails when a write issued at tab T fails with ETIMEDOUT or EFENCED at time f, and another write of the
 * same incarnation of T was acknowledged as freshly applied (`ok`, `dedup: false`: a leader committed it
 * then, not a lookup finding an old attempt) after the first was issued and at least STRANDED_SLACK_MS
 * before f, with T never frozen in between (a frozen tab's timers run late, so its deadline may fire
 * right at its resume).
 */
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck } from '../check.ts';
import type { TraceWatch, WatchViolation } from './trace-watch.ts';

/** The invariant's name. */
export const NO_STRANDED_WRITES = 'invariant:no-stranded-writes';

/** Time a pending write has to follow a fresh commit of its tab: two forward timeouts (400 ms) and more. */
export const STRANDED_SLACK_MS = 1_000;

/** Failure codes a write gets at its deadline (the last definite refusal, or ETIMEDOUT). */
const DEADLINE_CODES = ['ETIMEDOUT', 'EFENCED'];

/** Trace kinds the check reads. */
export const STRANDED_KINDS: readonly string[] = ['workload.write', 'workload.result', 'workload.lost', 'node.start', 'node.crash', 'node.stop', 'node.pause', 'node.resume'];

interface OpenWrite {
  node: string;
  incarnation: number;
  ms: number;
  i: number;
}

/** The check's state over one run. */
export class StrandedWrites implements TraceWatch {
  private readonly open = new Map<string, OpenWrite>();
  /** Tab -> its incarnation (count of node.start), and its incarnation's fresh acknowledgements (ms, value), in order. */
  private readonly incarnation = new Map<string, number>();
  private readonly fresh = new Map<string, { ms: number; value: string }[]>();
  /** Tab -> when its latest freeze began (ms), and whether it is frozen now. */
  private readonly frozenAt = new Map<string, number>();
  private readonly frozen = new Set<string>();

  constructor(private readonly exercised: (name: string) => void = () => {}) {}

  onRecord(rec: TraceRecord): WatchViolation | null {
    const ms = rec.t / 1000;
    const d = rec.data;
    switch (rec.kind) {
      case 'node.start':
        this.incarnation.set(rec.node, (this.incarnation.get(rec.node) ?? 0) + 1);
        this.fresh.delete(rec.node);
        this.frozen.delete(rec.node);
        return null;
      case 'node.crash':
      case 'node.stop':
        this.fresh.delete(rec.node);
        this.frozen.delete(rec.node);
        return null;
      case 'node.pause':
        this.frozen.add(rec.node);
        this.frozenAt.set(rec.node, ms);
        return null;
      case 'node.resume':
        this.frozen.delete(rec.node);
        return null;
      case 'workload.write':
        if (typeof d.value === 'string' && typeof d.node === 'string') {
          this.open.set(d.value, { node: d.node, incarnation: this.incarnation.get(d.node) ?? 0, ms, i: rec.i });
        }
        return null;
      case 'workload.lost':
        if (typeof d.value === 'string') this.open.delete(d.value);
        return null;
      case 'workload.result':
        return typeof d.value === 'string' ? this.result(d.value, d, ms, rec) : null;
      default:
        return null;
    }
  }

  private result(value: string, d: Record<string, unknown>, ms: number, rec: TraceRecord): WatchViolation | null {
    const w = this.open.get(value);
    if (w === undefined) return null;
    this.open.delete(value);
    if ((this.incarnation.get(w.node) ?? 0) !== w.incarnation) return null;
    if (d.ok === true) {
      if (d.dedup !== false) return null;
      let acks = this.fresh.get(w.node);
      if (acks === undefined) this.fresh.set(w.node, (acks = []));
      acks.push({ ms, value });
      return null;
    }
    if (!DEADLINE_CODES.includes(String(d.code))) return null;
    // A freeze since the write was issued: its timers ran late, the deadline may have fired at the resume.
    if (this.frozen.has(w.node) || (this.frozenAt.get(w.node) ?? -1) >= w.ms) return null;
    this.exercised(NO_STRANDED_WRITES);
    // The latest fresh acknowledgement after the write was issued and STRANDED_SLACK_MS before it failed.
    const fresh = (this.fresh.get(w.node) ?? []).findLast((a) => a.ms > w.ms && a.ms <= ms - STRANDED_SLACK_MS);
    if (fresh === undefined) return null;
    return {
      check: NO_STRANDED_WRITES,
      message:
        `write ${value} at ${w.node} (issued ${w.ms.toFixed(1)} ms, trace #${w.i}) failed with ${String(d.code)} at ${ms.toFixed(1)} ms (trace #${rec.i}), ` +
        `${(ms - fresh.ms).toFixed(1)} ms after a leader freshly applied ${fresh.value}, a later write of the same tab (workload.result, dedup false): ` +
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
export function strandedWrites(): TraceCheck {
  const key = 'election.watch.stranded-writes';
  return {
    onTrace: true,
    name: 'stranded-writes',
    covers: [NO_STRANDED_WRITES],
    setup(ctx) {
      const watch = new StrandedWrites((n) => ctx.exercised(n));
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

/**
 * invariant:fails-for-cause: a write fails only for one of the causes the API documents (docs/election.md,
 * "Single writer"): at once with `EBUSY` (the tab's `pendingWritesMax` bound: invariant:pending-bound judges
 * whether it was right), with `ECLOSED` once the user closed the tab, or at the write's deadline
 * (`writeDeadlineMs`, whatever code the tab then chose). Everything else is retried until the deadline: a
 * refusal by the leader (`ok: false`), a store error, a lost forward. A tab that gives up on a transient
 * error at once (a store error taken as final, a refused forward failed at once) passes every safety check
 * (the write was definitely not applied and says so) and every liveness check (the write settled), though
 * its caller lost a write a retry a few milliseconds later would have stored.
 *
 * Evidence (never the implementation's word): the workload's own record (`workload.write`: the tab and when;
 * `workload.result`: that and when the write failed, with its code; `workload.handover {how: 'close'}`: the
 * user closed the tab), the tabs' lifecycle (`node.start`: a new incarnation, never closed), and the
 * scenario's `writeDeadlineMs`.
 *
 * Fails when a write issued at tab T at time w fails at f < w + 0.9 * writeDeadlineMs (the share
 * no-stranded-writes allows for the tab's clock drift) and neither (a) the code is `EBUSY` and f = w (a
 * refusal at once), nor (b) the code is `ECLOSED` and the workload closed T (this incarnation) before f.
 */
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck } from '../check.ts';
import { DEADLINE_SHARE } from './stranded-writes.ts';

/** The invariant's name. */
export const FAILS_FOR_CAUSE = 'invariant:fails-for-cause';

/** Trace kinds the check reads. */
export const FAILS_FOR_CAUSE_KINDS: readonly string[] = ['workload.write', 'workload.result', 'workload.handover', 'node.start'];

/** The violation the watch reports. */
export interface FailsForCauseViolation {
  check: string;
  message: string;
  details: Record<string, unknown>;
}

/** The check's state over one run. */
export class FailsForCause {
  /** Value -> its tab and when it was issued (µs). */
  private readonly issued = new Map<string, { node: string; t: number }>();
  /** Tab -> when the workload closed its current incarnation (µs); absent while open. */
  private readonly closed = new Map<string, number>();

  constructor(
    private readonly deadlineMs: number,
    private readonly exercised: (name: string) => void = () => {},
  ) {}

  onRecord(rec: TraceRecord): FailsForCauseViolation | null {
    const d = rec.data;
    switch (rec.kind) {
      case 'node.start':
        this.closed.delete(rec.node);
        return null;
      case 'workload.handover':
        if (d.how === 'close' && typeof d.node === 'string' && !this.closed.has(d.node)) this.closed.set(d.node, rec.t);
        return null;
      case 'workload.write':
        if (typeof d.value === 'string' && typeof d.node === 'string') this.issued.set(d.value, { node: d.node, t: rec.t });
        return null;
      case 'workload.result': {
        const w = typeof d.value === 'string' ? this.issued.get(d.value) : undefined;
        if (w === undefined) return null;
        this.issued.delete(d.value as string);
        if (d.ok !== false) return null;
        this.exercised(FAILS_FOR_CAUSE);
        const afterMs = (rec.t - w.t) / 1000;
        if (afterMs >= DEADLINE_SHARE * this.deadlineMs) return null;
        if (d.code === 'EBUSY' && rec.t === w.t) return null;
        const closedAt = this.closed.get(w.node);
        if (d.code === 'ECLOSED' && closedAt !== undefined && closedAt <= rec.t) return null;
        return {
          check: FAILS_FOR_CAUSE,
          message:
            `write ${String(d.value)} at ${w.node} failed with ${String(d.code)} ${afterMs.toFixed(1)} ms after it was issued (trace #${rec.i}), before its deadline ` +
            `(writeDeadlineMs ${this.deadlineMs}), not refused at once under the pending bound and its tab not closed: a write is retried until its deadline (the workload's record)`,
          details: { value: d.value, node: w.node, code: d.code, afterMs },
        };
      }
      default:
        return null;
    }
  }
}

/** invariant:fails-for-cause for tabs with `writeDeadlineMs` (see the file comment). */
export function failsForCause(writeDeadlineMs: number): TraceCheck {
  return {
    onTrace: true,
    name: 'fails-for-cause',
    covers: [FAILS_FOR_CAUSE],
    setup(ctx) {
      const watch = new FailsForCause(writeDeadlineMs, (n) => ctx.exercised(n));
      for (const kind of FAILS_FOR_CAUSE_KINDS) {
        ctx.trace.on(kind, (rec) => {
          const v = watch.onRecord(rec);
          if (v !== null) ctx.fail('correctness', v.check, v.message, { ...v.details, traceIndex: rec.i });
        });
      }
    },
  };
}

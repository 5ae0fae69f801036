/**
 * A watch over the trace (`TraceWatch`) and `watchCheck`, the trace check that runs one per run: how the
 * election's stateful watches (stable-leadership.ts, prompt-writes.ts, frozen-leader-replaced.ts) become
 * checks. A watch stops judging at the first injected fault it cannot account for.
 */
import { FAULT_KINDS } from '../../faults/schema.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck } from '../check.ts';

/** What a trace watch of the election reports when an invariant breaks (stability, prompt-writes, frozen leader). */
export interface WatchViolation {
  check: string;
  message: string;
  details: Record<string, unknown>;
}

/** A watch over the trace that reports violations as it reads records and at the end of the run. */
export interface TraceWatch {
  onRecord(rec: TraceRecord): WatchViolation | null;
  final(ms: number): WatchViolation | null;
  /** True once nothing later in the run can be judged (both watches stop at the first injected fault). */
  done(): boolean;
}

/** A check running one `TraceWatch` per run over the applied faults (the injector's 'fault.<kind>') and `kinds`. */
export function watchCheck(name: string, covers: readonly string[], kinds: readonly string[], make: (exercised: (name: string) => void) => TraceWatch): TraceCheck {
  const key = `election.watch.${name}`;
  return {
    onTrace: true,
    name,
    covers,
    setup(ctx) {
      const watch = make((n) => ctx.exercised(n));
      ctx.runState.set(key, watch);
      const offs: (() => void)[] = [];
      const onRecord = (rec: TraceRecord): void => {
        const v = watch.onRecord(rec);
        if (v !== null) ctx.fail('correctness', v.check, v.message, { ...v.details, traceIndex: rec.i });
        // Unsubscribed once done: the rest of a swarm's trace would only cost time.
        if (watch.done()) offs.splice(0).forEach((off) => off());
      };
      for (const kind of [...FAULT_KINDS.map((k) => `fault.${k}`), ...kinds]) offs.push(ctx.trace.on(kind, onRecord));
    },
    final(ctx) {
      const v = (ctx.runState.get(key) as TraceWatch).final(ctx.nowMs());
      if (v !== null) ctx.fail('correctness', v.check, v.message, v.details);
    },
  };
}

/**
 * invariant:queue-bound — a job's work queue never holds more than `queueMax` items (pushes minus takes,
 * counted from the queue's own trace records).
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { D } from './check-options.ts';

/** Pushes minus takes of a job's queue never exceed `queueMax`. */
export function queueBoundCheck(queueMax: number): TraceCheck {
  const name = 'invariant:queue-bound';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const length = new Map<string, number>();
      const key = (r: TraceRecord): string => `${r.node}#${(r.data as D).job as number}`;
      ctx.trace.on('provider.queue.push', (r) => {
        const n = (length.get(key(r)) ?? 0) + 1;
        length.set(key(r), n);
        ctx.exercised(name);
        if (n > queueMax) ctx.fail('correctness', name, `the work queue of job ${(r.data as D).job as number} on ${r.node} holds ${n} items, above queueMax ${queueMax} (trace #${r.i})`);
      });
      ctx.trace.on('provider.queue.take', (r) => void length.set(key(r), (length.get(key(r)) ?? 0) - 1));
    },
  };
}

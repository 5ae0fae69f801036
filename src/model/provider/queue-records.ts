/**
 * invariant:queue-records — a job's work queue never holds more than `queueMax` items, counted by this
 * check from the queue's own `provider.queue.push` / `.take` records (never a size the queue reports).
 *
 * A second line behind `invariant:queue-bound`: it reads the implementation's records, so it is exact
 * (one item over `queueMax` fails) but only as honest as the queue's tracing; a library that holds work
 * outside its queue, or does not trace it, passes it. `invariant:queue-bound` judges the same bound on
 * the simulator's evidence, with slack for the pages and the workers.
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { D } from './check-options.ts';

/** Pushes minus takes of a job's queue never exceed `queueMax`. */
export function queueRecordsCheck(queueMax: number): TraceCheck {
  const name = 'invariant:queue-records';
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
        if (n > queueMax) ctx.fail('correctness', name, `the work queue of job ${(r.data as D).job as number} on ${r.node} holds ${n} items by its own push and take records, above queueMax ${queueMax} (trace #${r.i})`);
      });
      ctx.trace.on('provider.queue.take', (r) => void length.set(key(r), (length.get(key(r)) ?? 0) - 1));
      // A new process starts with empty queues (the job ids of its jobs are new, or reused by a flawed library).
      ctx.trace.on('node.start', (r) => {
        for (const k of [...length.keys()]) if (k.startsWith(`${r.node}#`)) length.delete(k);
      });
    },
  };
}

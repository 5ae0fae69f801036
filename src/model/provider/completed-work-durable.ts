/**
 * invariant:completed-work-durable — when a job becomes durably completed with cursor `e:s`, the
 * library's durable tracks of that provider equal the provider's files as of revision s: no change lost
 * (added, modified, moved, deleted), nothing extra; a file changed again after s may lag behind (its
 * content as of s is gone; the next job, starting at s, brings it: `differences`). Evidence: the trace's
 * facts (provider-truth.ts; docs/provider-sync.md, Model and invariants).
 */
import type { TraceCheck } from '../check.ts';
import { cursorSeq, differences, truthOf } from './provider-truth.ts';
import type { D } from './check-options.ts';

/** A completed job's tracks equal the provider as of its cursor. */
export function completedWorkCheck(): TraceCheck {
  const name = 'invariant:completed-work-durable';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx);
      const seen = new Set<string>();
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}#${d.job as number}`;
        if (d.state !== 'completed' || seen.has(key)) return;
        seen.add(key);
        const seq = cursorSeq(d.cursor as string | null);
        ctx.exercised(name);
        if (seq === null) return ctx.fail('correctness', name, `job ${d.job as number} of ${d.provider as string} completed on ${d.device as string} without a cursor (trace #${r.i})`);
        const diff = differences(truth, d.device as string, d.provider as string, seq, 3, true);
        if (diff.length > 0) {
          ctx.fail('correctness', name, `job ${d.job as number} of ${d.provider as string} completed on ${d.device as string} with cursor ${d.cursor as string}, but the durable library is not the provider as of rev ${seq}: ${diff.join('; ')} (trace #${r.i})`);
        }
      });
    },
  };
}

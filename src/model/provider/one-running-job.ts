/**
 * invariant:one-running-job — at most one job per (library, provider) is durably running. Evidence: the
 * library's durable jobs (fact records).
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './check-options.ts';

/** At most one durably running job per (library, provider). */
export function oneRunningJobCheck(): TraceCheck {
  const name = 'invariant:one-running-job';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const running = new Map<string, number>();
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}|${d.provider as string}`;
        const held = running.get(key);
        if (d.state === 'running') {
          ctx.exercised(name);
          if (held !== undefined && held !== d.job) return ctx.fail('correctness', name, `job ${d.job as number} of ${d.provider as string} is running on ${d.device as string} while job ${held} still is (trace #${r.i})`);
          running.set(key, d.job as number);
        } else if (held === d.job) running.delete(key);
      });
    },
  };
}

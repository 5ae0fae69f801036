/**
 * Virtual-time helpers the client-server checks share: a periodic judge driven by the trace's own
 * records (a recorded trace has no timers), and durations for messages.
 */
import type { TraceContext } from '../check.ts';

/** Calls `fn` at most every `periodUs` of virtual time, on any record. */
export function ticking(ctx: TraceContext, periodUs: number, fn: (nowUs: number) => void): void {
  let next = 0;
  ctx.trace.on('*', (r) => {
    if (r.t < next) return;
    next = r.t + periodUs;
    fn(r.t);
  });
}

/** Virtual µs as whole ms, for messages. */
export const ms = (us: number): string => `${(us / 1000).toFixed(0)} ms`;

import type { TraceCheck } from '../check.ts';

/**
 * A scenario's own expectation (the seed's e2e assertions): `client` shows one of `statuses` at some
 * point within `withinMs` after `fromMs` (with exactly `pending` pending, when given). Checked on the
 * statuses the client emitted (cs.status), at the end of the run.
 */
export function statusSeen(client: string, statuses: readonly string[], fromMs: number, withinMs: number, what: string, pending?: number): TraceCheck {
  const name = `expect:${client}-${what.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      let seen = false;
      let last: { status: string; pending: number } | null = null;
      const fits = (s: { status: string; pending: number }): boolean => statuses.includes(s.status) && (pending === undefined || s.pending === pending);
      ctx.trace.on('cs.status', (r) => {
        if (r.node !== client) return;
        const s = { status: r.data.status as string, pending: r.data.pending as number };
        const t = r.t / 1000;
        if (t >= fromMs && t <= fromMs + withinMs && fits(s)) seen = true;
        if (t < fromMs) last = s;
      });
      ctx.trace.on('*', (r) => {
        // The status shown when the window opened counts too.
        if (last !== null && r.t / 1000 >= fromMs) {
          if (fits(last)) seen = true;
          last = null;
        }
      });
      ctx.runState.set(name, () => seen);
    },
    final(ctx) {
      ctx.exercised(name);
      if (!(ctx.runState.get(name) as () => boolean)()) ctx.fail('correctness', name, `${client} never showed ${statuses.join(' or ')}${pending === undefined ? '' : ` with ${pending} pending`} between ${fromMs} and ${fromMs + withinMs} ms: ${what}`);
    },
  };
}

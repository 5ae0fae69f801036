import type { TraceCheck } from '../check.ts';

/** `client` showed stuck with `reason` at some point in [fromMs, fromMs + withinMs] (its cs.status). */
export function stuckReasonSeen(client: string, reason: string, fromMs: number, withinMs: number): TraceCheck {
  const name = `expect:${client}-stuck-${reason}`;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      ctx.trace.on('cs.status', (r) => {
        const t = r.t / 1000;
        if (r.node === client && r.data.status === 'stuck' && r.data.reason === reason && t >= fromMs && t <= fromMs + withinMs) ctx.runState.set(name, true);
      });
    },
    final(ctx) {
      ctx.exercised(name);
      if (ctx.runState.get(name) !== true) ctx.fail('correctness', name, `${client} never showed stuck (${reason}) between ${fromMs} and ${fromMs + withinMs} ms`);
    },
  };
}

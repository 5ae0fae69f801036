/**
 * invariant:green-pushes (the seed's promise 2) — while a client shows green, each of its local changes
 * reaches the server's durable log within `pushMs` of being written (or of the client turning green), or
 * the status leaves green. Evidence: cs-truth.ts.
 */
import type { TraceCheck } from '../check.ts';
import { heldGreen, RESUME_GRACE_US, truthOf } from './cs-truth.ts';
import { ticking, ms } from './cs-time.ts';

/** (2) While green, local writes reach the server's durable log within the bound. */
export function greenPushesCheck(clients: readonly string[], boundMs: number): TraceCheck {
  const name = 'invariant:green-pushes';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Per client: its versions up to this one are in the server's durable log (a client pushes in
      // version order and the server appends in arrival order, so the stored ones form a prefix).
      const floor = new Map<string, number>();
      truth.on('fact.cs.client', (_r, c) => c?.wiped && floor.delete(c.id));
      ticking(ctx, 50_000, (nowUs) => {
        for (const c of truth.clients.values()) {
          if (!heldGreen(c, nowUs) || c.site === null) continue;
          let f = floor.get(c.id) ?? 0;
          while (c.local.has(f + 1) && truth.storedFor(c, f + 1)) f++;
          floor.set(c.id, f);
          const writtenUs = c.local.get(f + 1);
          if (writtenUs === undefined) continue;
          ctx.exercised(name);
          const sinceUs = Math.max(writtenUs, c.greenSinceUs ?? nowUs, c.proc.resumedUs + RESUME_GRACE_US);
          if (nowUs - sinceUs < boundMs * 1000) continue;
          ctx.fail('correctness', name, `${c.id} has shown ${c.status} for ${ms(nowUs - sinceUs)} while its local change v${f + 1} is not in the server's durable log (bound ${boundMs} ms)`);
          return;
        }
      });
    },
  };
}

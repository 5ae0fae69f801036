/**
 * invariant:eager-push, a live check of the demo's gossip nodes (src/impl/demo/gossip.ts, scenarios/demo/gossip.ts): it reads
 * their sets through their handles (gossip-reads.ts) against the trace and its evidence. Described below.
 */
import type { Check } from '../../scenario/types.ts';
import { readSet } from './gossip-reads.ts';

/**
 * Eager push: an item acknowledged at a node at time t is held by every node by t + `boundMs`, on links
 * without faults (each hop is one `items` message and one append + fsync at the receiver; anti-entropy,
 * every second, is the fallback for lost pushes and must not be what delivers them). Catches a node that
 * stops pushing or relaying, or relays to the wrong peers. Evidence: the workload's record of the ack and
 * its reads of each node's set.
 */
export function eagerPush(nodes: readonly string[], boundMs: number): Check {
  return {
    name: 'invariant:eager-push',
    covers: ['invariant:eager-push'],
    setup(ctx) {
      ctx.trace.on('workload.acked', (rec) => {
        const item = rec.data.item as string;
        ctx.at(ctx.nowMs() + boundMs, () => {
          for (const id of nodes) {
            const got = readSet(ctx, this.name, id);
            if (got === null) continue;
            ctx.exercised(this.name);
            if (!got.includes(item)) ctx.fail('correctness', this.name, `'${item}', acknowledged at ${rec.data.node as string} ${boundMs} ms ago over healthy links, has not reached ${id}`, { traceIndex: rec.i });
          }
        });
      });
    },
  };
}

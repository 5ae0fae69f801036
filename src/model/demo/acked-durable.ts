/**
 * invariant:acked-durable, a live check of the demo's gossip nodes (src/impl/demo/gossip.ts, scenarios/demo/gossip.ts): it reads
 * their sets through their handles (gossip-reads.ts) against the trace and its evidence. Described below.
 */
import type { Check } from '../../scenario/types.ts';
import { deviceOf, durableItems } from './gossip-reads.ts';

/**
 * Durability at the acknowledgement: when `add(item)` resolves at a node, the item is already in that node's
 * durable log (fact.demo.log, decoded from the simulator's durable image with the documented line format).
 * Catches an acknowledgement before the fsync, an append at the wrong offset or glued to a torn line, a
 * checksum that does not follow the format. Evidence: the workload's own record of what it was told
 * (`workload.acked`) and the durable image; nothing the node says about itself.
 */
export const ackedDurable: Check = {
  name: 'invariant:acked-durable',
  covers: ['invariant:acked-durable'],
  setup(ctx) {
    const durable = durableItems(ctx);
    ctx.trace.on('workload.acked', (rec) => {
      const node = rec.data.node as string;
      const item = rec.data.item as string;
      ctx.exercised(this.name);
      if (durable.get(deviceOf(ctx, node))?.has(item) !== true) {
        ctx.fail('correctness', this.name, `add('${item}') at ${node} was acknowledged, but ${node}'s durable log holds no valid line for it (a power loss now would lose it)`, { traceIndex: rec.i });
      }
    });
  },
};

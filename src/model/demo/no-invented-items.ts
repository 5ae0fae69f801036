/**
 * invariant:no-invented-items — safety: no node ever holds an item nobody added (checked on every merge and
 * add, right after each recovery, and at the end). A live check: it reads each node's set through its
 * handle, and judges it against the workload's own ledger of the items it tried to add (the scenario
 * passes its accessor: scenarios/demo/gossip.ts).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { afterRecovery, readSet } from './gossip-reads.ts';

/** The check; `addedOf(ctx)` is every item the workload tried to add (its own ledger). */
export function noInventedItems(addedOf: (ctx: ScenarioContext) => ReadonlySet<string>): Check {
  return {
    name: 'invariant:no-invented-items',
    covers: ['invariant:no-invented-items'],
    setup(ctx) {
      const added = addedOf(ctx);
      const judge = (node: string): void => {
        const got = readSet(ctx, this.name, node);
        if (got === null) return;
        ctx.exercised(this.name);
        for (const i of got) {
          if (!added.has(i)) ctx.fail('correctness', this.name, `${node} holds '${i}', which was never added`);
        }
      };
      ctx.trace.on('demo.merged', (rec) => judge(rec.node));
      afterRecovery(ctx, (rec) => judge(rec.node));
    },
    final(ctx) {
      const added = addedOf(ctx);
      for (const id of ctx.sim.nodes.keys()) {
        for (const i of readSet(ctx, this.name, id) ?? []) {
          if (!added.has(i)) ctx.fail('correctness', this.name, `${id} holds '${i}' at the end, which was never added`);
        }
      }
    },
  };
}

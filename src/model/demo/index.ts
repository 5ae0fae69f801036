/**
 * The demo's checkers (a durable grow-only set gossiped between peers: src/impl/demo/gossip.ts), one per
 * file named after its invariant (docs/models.md, Layout), and `demoChecks`, the ones every demo scenario
 * runs. All are live checks: they read the nodes' sets through their handles (gossip-reads.ts).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { ackedDurable } from './acked-durable.ts';
import { heldDurable } from './held-durable.ts';
import { noInventedItems } from './no-invented-items.ts';
import { recoveredFromLog } from './recovered-from-log.ts';

export { ackedDurable, heldDurable, noInventedItems, recoveredFromLog };
export { eagerPush } from './eager-push.ts';
export type { ItemSetView } from './gossip-reads.ts';

/** The checks of every demo scenario; `addedOf(ctx)` is the workload's ledger of the items it tried to add. */
export function demoChecks(addedOf: (ctx: ScenarioContext) => ReadonlySet<string>): Check[] {
  return [noInventedItems(addedOf), ackedDurable, recoveredFromLog, heldDurable];
}

/**
 * invariant:epoch-survives-recovery — once a commit at fencing epoch e was acknowledged, every recovery ends
 * with the durable marker at epoch e or above (`fact.store`, read from the durable image): a recovery that
 * rewrites a lost marker from the committed metadata must carry the metadata's epoch over, or a deposed
 * writer's stale epoch would pass.
 *
 * A live check: the acknowledged epoch is what the workload was told (its forceSync promise resolved),
 * kept in its memory; the scenario passes its accessor (scenarios/storage/crash-points.ts). The marker's
 * epoch comes from the trace's evidence.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

const NAME = 'invariant:epoch-survives-recovery';

/** The check; `ackedEpoch(ctx)` is the epoch of the latest commit the workload saw acknowledged, undefined before any. */
export function epochSurvivesRecovery(ackedEpoch: (ctx: ScenarioContext) => number | undefined): Check {
  return {
    name: NAME,
    covers: [NAME],
    setup(ctx) {
      let epoch: number | null = null;
      ctx.trace.on('fact.store', (rec) => void (epoch = typeof rec.data.epoch === 'number' ? rec.data.epoch : 0));
      ctx.trace.on('store.recover.done', (rec) => {
        const acked = ackedEpoch(ctx);
        if (acked === undefined) return;
        ctx.exercised(NAME);
        if ((epoch ?? 0) < acked) ctx.fail('correctness', NAME, `recovery ended (trace #${rec.i}) with the durable marker at epoch ${String(epoch)}, below epoch ${acked} of an acknowledged commit`);
      });
    },
  };
}

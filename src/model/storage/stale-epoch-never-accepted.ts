/**
 * invariant:stale-epoch-never-accepted — once a commit at epoch 2 is acknowledged, no commit of stale
 * epoch 1 may be accepted (it must be refused with EFENCED, or fail on an injected environment error), and
 * a reopen must see epoch 2 and its write. Judged on what the workload saw happen: a step a fault cut short
 * (a tab down, an ack that never came) is not held against the store.
 *
 * A live check: it judges the workload's own record (`FencingResult`: the outcome of each stale attempt as
 * the store's promise settled, and the final read), which a recorded trace does not hold. The scenario
 * passes the accessor of its record (scenarios/storage/fencing.ts). The epoch that survives is judged on
 * the evidence first: the durable commit marker's epoch (`fact.store`, the simulator's durable image) must
 * be 2 at the end; then the reopened store's own `highestEpoch()` must agree with it.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

const NAME = 'invariant:stale-epoch-never-accepted';
const DURABLE = 'stale-epoch-never-accepted.durable';

/** What the workload saw happen (faults may cut any step short: the check judges what did happen). */
export interface FencingResult {
  /** B's epoch-2 commit was acknowledged (durable). */
  epoch2Acked: boolean;
  /** Each commit attempted with stale epoch 1 after epoch 2 was acknowledged: how it ended. */
  stale: { step: string; outcome: 'accepted' | 'refused' | 'env-error' | 'other-error' | 'pending'; code?: string }[];
  /** What the final reopen read in block 0 (null: no block there; undefined: the step did not run). */
  finalBlock: number | null | undefined;
  finalEpoch: number | undefined;
}

/** The check over the record `resultOf(ctx)` returns. */
export function staleEpochNeverAccepted(resultOf: (ctx: ScenarioContext) => FencingResult): Check {
  return {
    name: NAME,
    covers: [NAME],
    setup(ctx) {
      // The durable marker epoch of each store (device and root), from the latest fact.store (per run).
      const durable = new Map<string, number | null>();
      ctx.runState.set(DURABLE, durable);
      ctx.trace.on('fact.store', (rec) => {
        const d = rec.data as { device: string; root: string; epoch: number | null };
        durable.set(`${d.device}:${d.root}`, d.epoch);
      });
    },
    final(ctx) {
      const r = resultOf(ctx);
      for (const a of r.stale) {
        if (a.outcome === 'pending') continue;
        ctx.exercised(NAME);
        if (a.outcome === 'accepted') return ctx.fail('correctness', NAME, `a commit of stale epoch 1 (${a.step}) was accepted after epoch 2 was acknowledged`);
        if (a.outcome === 'other-error') return ctx.fail('correctness', NAME, `a commit of stale epoch 1 (${a.step}) failed with ${a.code ?? '?'}, not refused with EFENCED`);
      }
      if (!r.epoch2Acked || r.finalBlock === undefined) return;
      ctx.exercised(NAME);
      const durable = ctx.runState.get(DURABLE) as Map<string, number | null>;
      const stale = [...durable].find(([, epoch]) => epoch !== 2);
      if (stale !== undefined) ctx.fail('correctness', NAME, `epoch 2 was acknowledged, but the durable commit marker of ${stale[0]} holds epoch ${String(stale[1])} at the end (fact.store)`);
      else if (r.finalBlock !== 2) ctx.fail('correctness', NAME, `after reopening, block 0 holds ${String(r.finalBlock)}, expected epoch 2's write (2)`);
      else if (r.finalEpoch !== 2) ctx.fail('correctness', NAME, `after reopening, the recorded epoch is ${String(r.finalEpoch)}, expected 2`);
    },
  };
}

/**
 * invariant:write-epoch-fenced — a write carrying an epoch below the highest one its store instance knows
 * throws `FencedError` (docs/storage.md, Fencing: "A write with a lower epoch than the instance knows
 * throws FencedError"), where the instance knows the epoch of its committed metadata and every epoch a
 * write it accepted carried since, committed or still buffered. A check of the committed epoch alone
 * accepts a late write of an earlier term while a newer term's write waits in the same instance: the batch
 * then commits at the newer epoch with the stale write inside it, and the store's durable fencing epoch
 * says nothing is wrong (`invariant:stale-epoch-never-accepted` judges commits after a newer epoch was
 * acknowledged, and sees none here).
 *
 * A live check of the workload's own record (`EpochAttempt`: each write the workload made with an epoch
 * below one it had made the same instance accept, how the call ended), like the fencing scenarios' record:
 * a recorded trace does not hold it.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

/** The invariant's name. */
export const WRITE_EPOCH_FENCED = 'invariant:write-epoch-fenced';

/** One write the workload made below an epoch the same instance had accepted, and how it ended. */
export interface EpochAttempt {
  step: string;
  /** The write's epoch. */
  epoch: number;
  /** The highest epoch the workload had made the instance accept before it (committed or buffered). */
  known: number;
  outcome: 'accepted' | 'refused' | 'other-error';
  code?: string;
}

/** The check over the record `attemptsOf(ctx)` returns. */
export function writeEpochFenced(attemptsOf: (ctx: ScenarioContext) => readonly EpochAttempt[]): Check {
  return {
    name: WRITE_EPOCH_FENCED,
    covers: [WRITE_EPOCH_FENCED],
    final(ctx) {
      for (const a of attemptsOf(ctx)) {
        ctx.exercised(WRITE_EPOCH_FENCED);
        if (a.outcome === 'refused') continue;
        const how = a.outcome === 'accepted' ? 'was accepted' : `failed with ${a.code ?? '?'}, not FencedError`;
        return ctx.fail('correctness', WRITE_EPOCH_FENCED, `a write with epoch ${a.epoch} (${a.step}) ${how} after the same store instance had accepted a write with epoch ${a.known}: a write below the epoch the instance knows must throw FencedError (the workload's record)`);
      }
    },
  };
}

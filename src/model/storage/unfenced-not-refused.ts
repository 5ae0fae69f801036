/**
 * invariant:unfenced-not-refused — a call without an epoch is not fenced (docs/storage.md, Fencing: "Calls
 * without an epoch are not fenced"): a write and commit that carry no epoch, made by the only writer of a
 * store whose durable epoch it set itself (nobody raised it since), must not be refused with
 * `FencedError`. Such a commit keeps the store's epoch: it is the highest epoch the store has recorded and
 * the instance's own writes carried. A commit epoch drawn from the batch alone (0 for an unfenced batch)
 * instead of at least the recorded one makes every unfenced commit after a fenced one look like a deposed
 * writer's: the store refuses it and, fenced, refuses everything afterwards.
 *
 * A live check of the workload's own record (`UnfencedAttempt`: each unfenced write-and-commit the workload
 * made, the epoch the workload itself had committed to that store before, and how the call ended), like the
 * fencing scenarios' record: a recorded trace does not hold it.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

/** The invariant's name. */
export const UNFENCED_NOT_REFUSED = 'invariant:unfenced-not-refused';

/** One unfenced write-and-commit of the store's only writer, and how it ended. */
export interface UnfencedAttempt {
  step: string;
  /** The highest epoch the workload had committed to the store before (the store's durable epoch). */
  durableEpoch: number;
  /** 'pending' until the call settles; 'env-error': a fault of the environment (no verdict). */
  outcome: 'pending' | 'committed' | 'refused' | 'env-error' | 'other-error';
  code?: string;
}

/** The check over the record `attemptsOf(ctx)` returns. */
export function unfencedNotRefused(attemptsOf: (ctx: ScenarioContext) => readonly UnfencedAttempt[]): Check {
  return {
    name: UNFENCED_NOT_REFUSED,
    covers: [UNFENCED_NOT_REFUSED],
    final(ctx) {
      for (const a of attemptsOf(ctx)) {
        if (a.outcome === 'pending' || a.outcome === 'env-error') continue;
        ctx.exercised(UNFENCED_NOT_REFUSED);
        if (a.outcome === 'committed') continue;
        const how = a.outcome === 'refused' ? 'was refused with FencedError' : `failed with ${a.code ?? '?'}`;
        return ctx.fail(
          'correctness',
          UNFENCED_NOT_REFUSED,
          `a write and commit without an epoch (${a.step}) ${how}, though its store instance is the store's only writer and committed its durable epoch ${a.durableEpoch} itself: calls without an epoch are not fenced (the workload's record)`,
        );
      }
    },
  };
}

/**
 * invariant:concurrent-recovery-keeps-commits — every block of tab A holds, after both tabs stopped, the
 * last write A was told is durable or a later write of A to that block (one that landed without its
 * acknowledgement reaching A): never an older one, never nothing. Another tab's recoveries ran while A
 * committed: one that deleted A's newer blocks as strays (not starting over when the marker moved) or
 * adopted stale metadata over A's commit would leave an older write or none.
 *
 * A live check: it judges the workload's own ledger (`CommitLedger`: what A wrote, what it was told is
 * durable, what a final open read back), which the workload keeps in memory and a recorded trace does not
 * hold. The scenario passes the accessor of its ledger (scenarios/storage/shared-open.ts).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

const NAME = 'invariant:concurrent-recovery-keeps-commits';

/** What the workload recorded of tab A's writes, per block id; a write carries its number k. */
export interface CommitLedger {
  /** Block id -> the numbers k of the writes issued to it, in order. */
  readonly attempted: ReadonlyMap<number, readonly number[]>;
  /** Block id -> the highest k whose forceSync was acknowledged. */
  readonly acked: ReadonlyMap<number, number>;
  /** Block id -> k read back by the final open (null: absent or not a write of A); null until that read ended. */
  readonly final: ReadonlyMap<number, number | null> | null;
}

/** The check over the ledger `ledgerOf(ctx)` returns. */
export function concurrentRecoveryKeepsCommits(ledgerOf: (ctx: ScenarioContext) => CommitLedger): Check {
  return {
    name: NAME,
    covers: [NAME],
    final(ctx) {
      const l = ledgerOf(ctx);
      if (l.final === null) return;
      for (const [id, acked] of l.acked) {
        const got = l.final.get(id);
        if (got === undefined) continue; // the read failed (an injected error): no verdict on this block
        ctx.exercised(NAME);
        const attempted = l.attempted.get(id) ?? [];
        if (got === null || got < acked || !attempted.includes(got)) {
          return ctx.fail(
            'correctness',
            NAME,
            `block ${id} holds ${got === null ? 'nothing of A' : `A's write ${got}`}, but A's write ${acked} to it was acknowledged (writes to it: ${attempted.slice(-5).join(', ')}...)`,
          );
        }
      }
    },
  };
}

/**
 * The workload's own record that a live check judges (the user's sync requests, the commits it made and
 * what it was answered): one per run, kept in `ctx.shared` under `key` and made on first use, so the
 * workload and the check reach the same one through the same accessor.
 */
import type { ScenarioContext } from '../scenario/types.ts';

/** The accessor of the run's ledger under `key`, made by `make` the first time. */
export function workloadLedger<L>(key: string, make: () => L): (ctx: ScenarioContext) => L {
  return (ctx) => {
    let l = ctx.shared.get(key) as L | undefined;
    if (l === undefined) ctx.shared.set(key, (l = make()));
    return l;
  };
}

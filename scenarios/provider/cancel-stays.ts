/**
 * A cancellation stays: the user cancels a provider's running job and asks for nothing for 1.5 s; no job of
 * that provider may start meanwhile (invariant:cancel-is-final, judged from the durable job records and the
 * workload's own record of its requests). Then the user asks again and the library catches up.
 *
 * provider-cancel requests syncs every 150 ms between its cancellations, which hides a library that retries
 * a cancelled job as if it had failed.
 */
import { cancelIsFinal, type CancelLedger } from '../../src/model/provider/cancel-is-final.ts';
import { workloadLedger } from '../../src/model/workload-ledger.ts';
import type { LibraryHandle } from '../../src/impl/provider/index.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { PROVIDER_SEAMS, LIBRARY, caughtUp, providerChecking, providerIds, providerProgram, providerTopology, randomChanges, askSync, type ProviderSetup } from './_common.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 5, seedFiles: id === 'P1' ? 120 : 30 }),
  library: { maxConcurrent: 2, queueMax: 8, requestTimeoutMs: 300, retriesMax: 2, backoffMs: 20, retryJobMs: 300 },
};

interface Ledger extends CancelLedger {
  requestedUs: Map<string, number>;
}

const ledger = workloadLedger<Ledger>('provider.cancel-ledger', () => ({ requestedUs: new Map() }));

/** The user asks for a sync of `p` (recorded before the call: the job record follows it). */
function request(ctx: ScenarioContext, p: string): void {
  const h = ctx.handle<LibraryHandle>(LIBRARY);
  if (h === null) return;
  ledger(ctx).requestedUs.set(p, ctx.nowMs() * 1000);
  askSync(ctx, h, p);
}

const cancelStays: Scenario = {
  name: 'provider-cancel-stays',
  description:
    "The library's first sync of P1 (120 files) is cancelled by the user while it runs; nobody asks for P1 for 1.5 s while its files change: no job of P1 may start meanwhile (only failed jobs are retried by themselves). Then the user asks for both providers and the library catches up.",
  suites: ['ci'],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    randomChanges(ctx, two, 60, 100, 25);
    // Cancel P1's first job once it runs (the start requests it by itself).
    let done = false;
    for (let t = 5; t < 600; t += 5) {
      ctx.at(t, () => {
        if (!done && ctx.handle<LibraryHandle>(LIBRARY)?.cancel('P1') === true) done = true;
      });
    }
    for (const t of [2_200, 2_205]) ctx.at(t, () => two.forEach((p) => request(ctx, p)));
  },
  durationMs: 3_000,
  liveness: caughtUp(two),
  ...(() => {
    const c = providerChecking(setup);
    return { ...c, checks: [...c.checks, cancelIsFinal(LIBRARY, ledger)] };
  })(),
};

export default [cancelStays];

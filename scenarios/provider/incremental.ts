/**
 * Incremental sync without faults: the library's first sync of each provider escalates to a full listing
 * (no completed job yet), then every sync reads the change feed from the last completed job's cursor.
 * Bursts of sync requests for one provider in one instant (a user tapping "sync" repeatedly, several push
 * notifications at once) exercise the rule that a provider has at most one pending job: later requests
 * join the job being created (the sync-job model refuses a second pending job, `newPending`).
 */
import type { LibraryHandle } from '../../src/impl/provider/index.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { LIBRARY, PROVIDER_SEAMS, caughtUp, finalSync, providerChecking, providerIds, providerProgram, providerTopology, randomChanges, syncRequests, askSync, type ProviderSetup } from './_common.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 5, seedFiles: id === 'P1' ? 60 : 40, listingLagMs: 200 }),
  library: { maxConcurrent: 3, queueMax: 16 },
};

/** `n` sync requests for `provider` in the same instant at `atMs` (none when the library is down). */
function burst(ctx: ScenarioContext, provider: string, n: number, atMs: number): void {
  ctx.at(atMs, () => {
    const h = ctx.handle<LibraryHandle>(LIBRARY);
    if (h !== null) for (let k = 0; k < n; k++) askSync(ctx, h, provider);
  });
}

const incremental: Scenario = {
  name: 'provider-incremental',
  description:
    'A library syncs from two providers (60 and 40 files, pages of 5) while their users add, modify, move and delete files and the library\'s user asks for syncs every 250 ms, and in bursts of 4 at once for one provider (at most one pending job per provider); every completed job leaves the library equal to the provider as of its cursor, and after the last sync to its head.',
  suites: ['smoke', 'ci', 'default'],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    randomChanges(ctx, two, 160, 100, 25);
    syncRequests(ctx, two, 50, 250, 4_500);
    // Between the periodic requests (at 50 + 250k ms), when no job of the provider is likely pending.
    [1_130, 2_170, 3_380].forEach((t, k) => burst(ctx, two[k % 2]!, 4, t));
    [1_620, 2_910, 3_920].forEach((t, k) => burst(ctx, two[(k + 1) % 2]!, 4, t));
    finalSync(ctx, two, 4_600);
  },
  durationMs: 5_000,
  liveness: caughtUp(two),
  ...providerChecking(setup),
};

export default [incremental];

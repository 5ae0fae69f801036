/**
 * Incremental sync without faults: the library's first sync of each provider escalates to a full listing
 * (no completed job yet), then every sync reads the change feed from the last completed job's cursor.
 */
import type { Scenario } from '../../src/scenario/types.ts';
import { PROVIDER_SEAMS, caughtUp, finalSync, providerChecking, providerIds, providerProgram, providerTopology, randomChanges, syncRequests, type ProviderSetup } from './_common.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 5, seedFiles: id === 'P1' ? 60 : 40, listingLagMs: 200 }),
  library: { maxConcurrent: 3, queueMax: 16 },
};

const incremental: Scenario = {
  name: 'provider-incremental',
  description:
    'A library syncs from two providers (60 and 40 files, pages of 5) while their users add, modify, move and delete files and the library\'s user asks for syncs every 250 ms; every completed job leaves the library equal to the provider as of its cursor, and after the last sync to its head.',
  suites: ['smoke', 'ci', 'default'],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    randomChanges(ctx, two, 160, 100, 25);
    syncRequests(ctx, two, 50, 250, 4_500);
    finalSync(ctx, two, 4_600);
  },
  durationMs: 5_000,
  liveness: caughtUp(two),
  ...providerChecking(setup),
};

export default [incremental];

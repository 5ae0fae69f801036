/**
 * Progress under load: two large first syncs at once overrun a small progress channel, so the progress
 * view (a slow subscriber) lags and must resynchronise.
 */
import type { Scenario } from '../../src/scenario/types.ts';
import { PROVIDER_SEAMS, caughtUp, finalSync, providerChecking, providerIds, providerProgram, providerTopology, randomChanges, type ProviderSetup } from './_common.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 25, seedFiles: id === 'P1' ? 150 : 300 }),
  library: { maxConcurrent: 6, queueMax: 32, progressCapacity: 2, viewRenderMs: 10 },
};

const progress: Scenario = {
  name: 'provider-two-providers',
  description:
    'The first syncs of two providers (150 and 300 files) run at once and send progress faster than the progress view renders it (channel capacity 2, 10 ms per event): the view is told it lagged, catches up from the latest statuses, never shows progress going back, and ends showing every job as it durably ended.',
  suites: ['ci', 'default'],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    randomChanges(ctx, two, 40, 1_000, 50);
    finalSync(ctx, two, 3_500);
  },
  durationMs: 4_000,
  liveness: caughtUp(two),
  ...providerChecking(setup),
};

export default [progress];

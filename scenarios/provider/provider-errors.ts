/**
 * Provider errors: rate limiting (429 with retry-after), transient 5xx, expired cursors (a feed trimmed
 * past the library's cursor, and a feed reset).
 */
import type { Scenario } from '../../src/scenario/types.ts';
import type { ProviderHandle } from '../../src/impl/provider/index.ts';
import { PROVIDER_SEAMS, caughtUp, finalSync, providerChecking, providerIds, providerProgram, providerTopology, randomChanges, syncRequests, type ProviderSetup } from './_common.ts';

const two = providerIds(2);

const errorsSetup: ProviderSetup = {
  providers: two,
  provider: { pageSize: 10, seedFiles: 50, errors: { rate429: 0.1, rate5xx: 0.15, retryAfterMs: 80 } },
  library: { maxConcurrent: 3, queueMax: 16, retriesMax: 8, backoffMs: 20 },
};

const errors: Scenario = {
  name: 'provider-errors',
  description:
    'Both providers answer 10% of requests 429 (retry after 80 ms) and 15% with 500/503 while their files change and syncs are requested: requests and downloads are retried with backoff, failed jobs are requested again, and the library catches up with both.',
  suites: ['ci', 'default'],
  topology: providerTopology(errorsSetup),
  program: providerProgram(errorsSetup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    randomChanges(ctx, two, 120, 100, 30);
    syncRequests(ctx, two, 50, 300, 4_000);
    finalSync(ctx, two, 4_600);
    // The providers heal with the rest of the world: their users stop seeing errors.
    ctx.at(5_000, () => two.forEach((p) => ctx.handle<ProviderHandle>(p)?.setErrors({})));
  },
  durationMs: 5_000,
  liveness: caughtUp(two),
  ...providerChecking(errorsSetup),
};

const expiredSetup: ProviderSetup = {
  providers: two,
  provider: { pageSize: 5, seedFiles: 30, feedMax: 12, listingLagMs: 1_000 },
  library: { maxConcurrent: 2, queueMax: 8 },
};

/**
 * The providers change about 11 files per provider between two syncs of it (one change every 20 ms over
 * both, a sync of a random one every 450 ms), around the 12 feed entries they keep: incremental jobs often
 * find their cursor expired (410) and escalate to a full listing, whose index trails the feed by 1 s (so
 * it misses files the library already has from the feed); P2's feed is also reset at 2.5 s.
 */
const expired: Scenario = {
  name: 'provider-cursor-expired',
  description:
    'Providers keep only 12 feed entries (their listing index 1 s behind the feed) and P2 resets its feed at 2.5 s, while syncs are requested every 450 ms: incremental jobs meet 410s and escalate to full listings, which reconcile deletions and keep tracks newer than the listing; the library still equals both providers after every completed job.',
  suites: ['ci', 'default'],
  topology: providerTopology(expiredSetup),
  program: providerProgram(expiredSetup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    randomChanges(ctx, two, 200, 100, 20);
    syncRequests(ctx, two, 50, 450, 4_200);
    ctx.at(2_500, () => void ctx.handle<ProviderHandle>('P2')?.resetFeed().catch(() => undefined));
    finalSync(ctx, two, 4_600);
  },
  durationMs: 5_000,
  liveness: caughtUp(two),
  ...providerChecking(expiredSetup),
};

export default [errors, expired];

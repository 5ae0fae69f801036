/**
 * Self-resume: the library catches up by itself, with no sync requested after its last jobs were lost to
 * a crash and to failures. Every other scenario ends with `finalSync` (two user requests per provider),
 * which would hide a library that never resumes on its own.
 */
import type { Scenario } from '../../src/scenario/types.ts';
import { PROVIDER_SEAMS, LIBRARY, caughtUp, providerChecking, providerIds, providerProgram, providerTopology, randomChanges, syncRequests, askSync, type ProviderSetup } from './_common.ts';
import type { LibraryHandle } from '../../src/impl/provider/index.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 5, seedFiles: id === 'P1' ? 40 : 30 }),
  library: { maxConcurrent: 3, queueMax: 16, requestTimeoutMs: 300, retriesMax: 2, backoffMs: 20, retryJobMs: 300 },
};

/** The user's last sync requests (both providers), while the library is cut off from both. */
const LAST_REQUEST_MS = 2_600;

const selfResume: Scenario = {
  name: 'provider-self-resume',
  description:
    "The user's last sync requests (2.6 s) find the library cut off from both providers; it loses power while both jobs run and restarts, P1 heals at 3 s and P2 only at 5 s, so P2's jobs keep failing. Nobody asks for a sync again: the restart must request both providers (their last jobs were interrupted) and each failed job must be requested again, until the library is caught up.",
  suites: ['ci', 'default'],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    randomChanges(ctx, two, 120, 100, 20);
    syncRequests(ctx, two, 50, 250, 2_000);
    ctx.at(LAST_REQUEST_MS, () => {
      const h = ctx.handle<LibraryHandle>(LIBRARY);
      if (h !== null) for (const p of two) askSync(ctx, h, p);
    });
  },
  faults: {
    events: [
      { kind: 'crash', node: LIBRARY, powerLoss: true, restartAfterMs: 200, atMs: 1_300 },
      { kind: 'partition', atMs: 2_580, a: [LIBRARY], b: ['P1'], durationMs: 420 },
      { kind: 'partition', atMs: 2_580, a: [LIBRARY], b: ['P2'], durationMs: 2_420 },
      // Both jobs of the last requests are running (their first feed request lost in the partition).
      { kind: 'crash', node: LIBRARY, powerLoss: true, restartAfterMs: 200, atMs: 2_700 },
    ],
  },
  durationMs: 5_000,
  liveness: caughtUp(two),
  ...providerChecking(setup),
};

/**
 * The restart finds a pending job (requested while the provider's job ran, never started) above the
 * interrupted one: it must run it, not wait for a request nobody makes. provider-self-resume's last jobs
 * were all running at the crash, and every other scenario requests syncs after its restarts, which hides a
 * restart that leaves a pending job without waking its runner.
 */
const resumePending: Scenario = {
  ...selfResume,
  name: 'provider-resume-pending',
  description:
    "As provider-self-resume, but the user asks twice for each provider (2.6 s and 2.65 s): the second request, made while the first job runs (cut off), leaves a durable pending job. The library loses power at 2.7 s; at restart the interrupted jobs are failed and the pending ones must run by themselves (nobody asks again) until the library is caught up.",
  suites: ['ci'],
  workload: (ctx) => {
    randomChanges(ctx, two, 120, 100, 20);
    syncRequests(ctx, two, 50, 250, 2_000);
    for (const t of [LAST_REQUEST_MS, LAST_REQUEST_MS + 50]) {
      ctx.at(t, () => {
        const h = ctx.handle<LibraryHandle>(LIBRARY);
        if (h !== null) for (const p of two) askSync(ctx, h, p);
      });
    }
  },
};

export default [selfResume, resumePending];

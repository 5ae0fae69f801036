/**
 * The `providerLibrary` seam: the library of the provider slice (its durable store, sync coordinator and
 * progress view), pluggable (docs/provider-sync.md, "Plugging in another library"). The simulated cloud
 * providers `P1`, `P2`... stay built-in; the library node `L` of every stock scenario is started through
 * this seam:
 *
 *   program = providerLibraryFactory(ctx.implementations.providerLibrary)   (scenarios/provider/_common.ts;
 *             the built-in startLibrary when none is plugged, a checked wrapper around yours)
 *   withImplementations(await stockScenarios('provider'), { label: 'mine', providerLibrary: myFactory })
 *
 * What to implement: a `ProviderLibraryFactory`, `(env, options) => Promise<LibraryHandle>`. It is called
 * at every start of the node (after each crash too) with the node's `Env` (use nothing else: no global
 * timers, clock, randomness or I/O) and the scenario's `LibraryOptions` (`providers`: the addresses to sync
 * from; `maxConcurrent` and `queueMax`, which the checks hold it to; the rest are tuning; `variant` names
 * the built-in's weakened variants and may be ignored). It resolves once the library runs: recovered its
 * jobs (a job durably `running` at start was interrupted: end it `failed`) and requested a sync of every
 * provider whose last job did not complete.
 *
 * What the checks rely on (they never read the handle: only the trace and the simulator's evidence):
 *
 * 1. Storage (library-store.ts; decoded independently by src/evidence/provider-library.ts): the device's
 *    kv store, `durability: 'strict'` transactions, stores `tracks` (`<provider>/<fileId>` -> `{provider,
 *    fileId, path, hash, size, rev, deleted, title, dupOf}`), `blobs` (same key -> `{rev, data}`, written
 *    in the same transaction as its track) and `jobs` (`<id>` -> `{id, provider, requested, type, state,
 *    from, cursor, items, bytes, error}`). A track's revision only rises (a tombstone may replace the live
 *    track of its own revision, and the conflict phase may rewrite a track as it is with only `dupOf`
 *    changed: `invariant:duplicates-resolved` judges the marks); a live track's durable blob is of its
 *    revision and hashes to its `hash`; a tombstone (`deleted: true`) has no content: its blob is deleted
 *    in the same transaction (`invariant:track-revisions`). The durable job records *are* the job reporter: the sync-job model
 *    steps on each one (`fact.library.job`), so their order is the contract — docs/guides/sync-job.md
 *    says which record is legal in which state: `pending`, then `running` with `type` and `from` (an
 *    incremental from the cursor of the provider's last *completed* job, else full), the `cursor` only
 *    once the delivered stream is consumed, then `completed` (only with that cursor, and only once every
 *    item is durable: `invariant:completed-work-durable`), `failed` or `cancelled`; at most one running
 *    job per provider (`invariant:one-running-job`). A record never goes back and job ids are never
 *    reused: each new job's id is above every earlier one, an ended job is never written again
 *    (`invariant:job-records-forward`). A job record's `bytes` is what the job downloaded and durably
 *    applied; each entry delivered for a job is one item, counted once (`invariant:job-progress`); no
 *    track is written and no `Download` sent for a provider while none of its jobs is durably running
 *    (`invariant:writes-inside-job`). A live track's `title` is its content's first line, at most 64
 *    UTF-16 code units (`invariant:track-titles`, against the provider's stored content).
 * 2. Wire (messages.ts; decoded independently by src/evidence/provider-wire.ts): `ListFiles`, `GetChanges`,
 *    `Download` with an integer `reqId`, to the provider's address through `env.net.connect`; the model
 *    follows the delivered pages (a listing from its first page, the feed from the job's cursor, after a
 *    410 no read until the job is durably `type: 'full'`). At most `maxConcurrent` downloads in flight
 *    (`invariant:concurrency-bound`, from the request's send to its reply's delivery). One `Download` per
 *    entry and revision (`invariant:downloads-once`); a request answered 429 is not sent again before its
 *    `retryAfterMs` (`invariant:respects-retry-after`). A move (a change page's `moved` entry) of a file
 *    whose content the library durably holds is applied without a `Download` (`invariant:moves-local`).
 *    The library closes its connection to a provider only when a request on it went unanswered for
 *    `requestTimeoutMs` (`invariant:closes-when-overdue`, from the simulator's network records).
 * 3. Trace (src/trace/schema/provider.ts, docs/trace-schema.md):
 *    - `provider.queue.push {job, id, priority}` / `provider.queue.take {job, id}` for each work item
 *      queued and taken (`invariant:queue-records` counts them: at most `queueMax` queued per job; a second
 *      line, since they are the library's own word). The bound that does not take its word,
 *      `invariant:queue-bound`, reads the wire and the durable tracks: when a page is delivered, the entries
 *      delivered for the running job that no delivered `Download` and no durable track at their revision
 *      settled are at most `queueMax + maxConcurrent +` that page's entries (discovery waits for room
 *      before it asks for more);
 *    - `provider.view {job, provider, state, items, total}` each time the progress view shows a job's
 *      status, the view's process being the library node (`invariant:progress-view`:
 *      never backwards; never an ended state (completed, failed, cancelled) before the job's durable
 *      record holds it: publish the end after its commit; and every job that durably ended while the
 *      view's process ran shown as ended, a completed one at items = total = the durable count);
 *    - any other `provider.*` kind must be one the area knowingly ignores (docs/guides/sync-job.md,
 *      "Areas and ignored kinds"); another fails the run (unmapped kind).
 *
 * The workload and liveness use the handle (they are the user, not checks): `requestSync` and `cancel`,
 * and `viewBusy()` for liveness, which otherwise decides from the facts (every provider's last job
 * durably completed at the provider's head). `tracks`, `jobs` and `view` are for tests and tools.
 */
import type { Env } from '../env.ts';
import { notAFactory, SeamError } from '../seam/seam-error.ts';
import { startLibrary, type LibraryHandle } from './library.ts';
import type { LibraryOptions } from './options.ts';

export type { LibraryHandle } from './library.ts';
export type { LibraryOptions } from './options.ts';

/** Starts a library on its node; resolves with its handle once it runs. */
export type ProviderLibraryFactory = (env: Env, options: LibraryOptions) => Promise<LibraryHandle>;

/** The built-in library (library.ts): the default of the seam. */
export const builtInProviderLibrary: ProviderLibraryFactory = startLibrary;

/** The methods a `LibraryHandle` must have. */
const LIBRARY_METHODS: readonly (keyof LibraryHandle)[] = ['requestSync', 'cancel', 'tracks', 'jobs', 'view', 'viewBusy'];

/**
 * The factory the library node runs: the built-in one, or `plugged` checked: a plugged factory whose
 * result is not a `LibraryHandle` makes the node's start throw an error naming the seam (the run ends as
 * a crash with that message).
 */
export function providerLibraryFactory(plugged: ProviderLibraryFactory | undefined): ProviderLibraryFactory {
  if (plugged === undefined) return builtInProviderLibrary;
  return async (env, options) => {
    const why = notAFactory(plugged, 'a ProviderLibraryFactory (env, options) => Promise<handle>', (name) => `(env, options) => ${name}.start(env, options)`);
    if (why !== null) throw new SeamError('providerLibrary', `${why} (src/impl/provider/seam.ts)`);
    const lib: unknown = await plugged(env, options);
    const absent = LIBRARY_METHODS.filter((m) => typeof lib !== 'object' || lib === null || typeof (lib as Record<string, unknown>)[m] !== 'function');
    if (absent.length === 0) return lib as LibraryHandle;
    throw new SeamError('providerLibrary', `the plugged-in factory resolved to ${lib === null ? 'null' : typeof lib}, not a LibraryHandle (missing ${absent.join(', ')}; src/impl/provider/seam.ts)`);
  };
}

/**
 * The `csClient` seam: the sync client of the client-server slice, pluggable (docs/client-server.md,
 * "Plugging in another client"). The server `S` and the meta endpoint `M` stay built-in; every client
 * node `C1..Cn` of the stock scenarios is started through this seam:
 *
 *   program = csClientFactory(ctx.implementations.csClient)   (scenarios/clientserver/_common.ts; the
 *             built-in startClient when none is plugged, a checked wrapper around yours)
 *   withImplementations(await stockScenarios('clientserver'), { label: 'mine', csClient: myFactory })
 *
 * What to implement: a `CsClientFactory`, `(env, options) => Promise<ClientHandle>`. It is called at every
 * start of the node (incarnation 0, then after each crash) with the node's `Env` (use nothing else: no
 * global timers, clock, randomness or I/O) and the scenario's `ClientOptions` (`server`, `meta`, `db`,
 * `schema`; `stuckAfterMs` and `rapidFailuresMax`, the bounds the model judges "stuck" by; the other
 * timings are the built-in's tuning — the green promises are checked at 2 s whatever they are; `variant`
 * names the built-in's weakened variants and may be ignored). It resolves once the local database is
 * loaded; the node's `handle` is then what it resolved with.
 *
 * What the checks rely on (they never read the handle: only the trace and the simulator's evidence):
 *
 * 1. Trace (src/trace/schema/clientserver.ts, docs/trace-schema.md; kinds and fields exactly as there):
 *    - `cs.client.start {site, schema, version, acked, cursor, server, unsaved}` once per process start,
 *      after the local database is loaded and before the first `cs.status` (the model's START in `down`;
 *      it reads `schema`);
 *    - `cs.status {status, pending, unsaved, reason, failures}` every time the footer's view changes (and
 *      only then), the first one right after `cs.client.start`. `status` is one of `STATUSES`; `pending` is
 *      the local changes the server has not acknowledged (never "sent"), `unsaved` the changes a Nuke and
 *      Resync kept aside. Which status may follow which, and on what evidence, is the sync-status model:
 *      docs/guides/sync-status.md (a status the model refuses in its state fails the run as
 *      `model:sync-status`); the invariants of docs/client-server.md judge green, pending and unsaved;
 *    - `cs.progress {download, done, total, bytes, totalBytes, etaMs}` at the start of each download
 *      (`done` 0, `total`/`totalBytes` from the Welcome) and each time records are applied (in records
 *      and bytes, never chunks; exactly `total` at the end) — `invariant:progress`;
 *    - any other `cs.*` kind must be one the area knowingly ignores (docs/guides/sync-status.md, "Areas
 *      and ignored kinds": `cs.client.invalid`, `cs.client.store-error`, `cs.store-retry`,
 *      `cs.incompatible`, `cs.nuke`); another fails the run (unmapped kind). Probes (`env.trace.probe`)
 *      are only counted: the coverage report lists the built-in's (CS_PROBES) a plugged client never
 *      reaches, which is no failure.
 * 2. Wire (messages.ts; decoded independently by src/evidence/cs-wire.ts): one sync connection at a time
 *    to `options.server` through `env.net.connect`, opened with `Hello {db, schema, client, server, cursor}`;
 *    `Push {changes}` of its own changes in version order, no gap after what the server acknowledged;
 *    `Ping {n}` (green needs a recent `Pong`); and `MetaRequest {db}` to `options.meta` if it uses the
 *    meta channel. Messages are plain JSON objects.
 * 3. Storage (client-store.ts; decoded independently by src/evidence/cs-client.ts): the device's kv store,
 *    every write a `durability: 'strict'` transaction, stores `cells` (`<table>\0<pk>\0<col>` -> `[value,
 *    colVersion, site]`), `local` (version -> `[table, pk, col, value, colVersion]`), `meta` (`site`,
 *    `version`, `cursor`, `acked`, `server`) and `unsaved` (`<site>/<version>` -> the change). The
 *    invariants compare these durable images with the server's durable log: a client that keeps its
 *    state elsewhere fails them.
 *
 * The workload and liveness do use the handle (they are the app and its user, not checks): `write` for
 * local edits, `status()` and `nuke()` for the user who clicks Nuke and Resync on a stuck or incompatible
 * footer, and `status()` and `digest()` for liveness (every client synced, its digest equal to the
 * server's: `digestCells` of digest.ts over the cells, the same function the server uses).
 */
import type { Env } from '../env.ts';
import { notAFactory, SeamError } from '../seam/seam-error.ts';
import { startClient, type ClientHandle } from './client.ts';
import type { ClientOptions } from './options.ts';

export type { ClientHandle } from './client.ts';
export type { ClientOptions } from './options.ts';

/** Starts a client on its node; resolves with its handle once its local database is loaded. */
export type CsClientFactory = (env: Env, options: ClientOptions) => Promise<ClientHandle>;

/** The built-in client (client.ts): the default of the seam. */
export const builtInCsClient: CsClientFactory = startClient;

/** The methods a `ClientHandle` must have. */
const CLIENT_METHODS: readonly (keyof ClientHandle)[] = ['site', 'status', 'onStatus', 'onProgress', 'write', 'get', 'digest', 'nuke'];

/**
 * The factory a client node runs: the built-in one, or `plugged` checked: a plugged factory whose result
 * is not a `ClientHandle` makes the node's start throw an error naming the seam (the run ends as a crash
 * with that message), rather than leaving a handle the workload would trip over.
 */
export function csClientFactory(plugged: CsClientFactory | undefined): CsClientFactory {
  if (plugged === undefined) return builtInCsClient;
  return async (env, options) => {
    const why = notAFactory(plugged, 'a CsClientFactory (env, options) => Promise<handle>', (name) => `(env, options) => ${name}.start(env, options)`);
    if (why !== null) throw new SeamError('csClient', `${why} (src/impl/clientserver/seam.ts)`);
    const h: unknown = await plugged(env, options);
    const missing = typeof h === 'object' && h !== null ? CLIENT_METHODS.filter((m) => typeof (h as Record<string, unknown>)[m] !== 'function') : CLIENT_METHODS;
    if (missing.length > 0) {
      throw new SeamError('csClient', `the plugged-in factory resolved to ${h === null ? 'null' : typeof h}, not a ClientHandle (missing ${missing.join(', ')}; src/impl/clientserver/seam.ts)`);
    }
    return h as ClientHandle;
  };
}

/**
 * Test-only "third-party" peer nodes for the peer seam (src/impl/peer/seam.ts), each with one bug of a kind
 * a port or an adapted library really has. Each wraps the built-in node's environment, so the bug is the
 * only difference: its storage layer misbehaves the way a port's might, and the rest of the node trusts it.
 *
 * - `forgetfulResume`: its recovery scan skips the backfill checkpoint (a port that keeps the checkpoint
 *   under a key its loader does not list), so a joiner that crashes mid-backfill starts the backfill over
 *   from zero. The bug the backfill checks were designed for (issue 11's escape).
 * - `eagerAck`: commits with relaxed durability (a port on a store whose default is "relaxed", as
 *   IndexedDB's is in some browsers), so a write is acknowledged before it is durable and a power loss
 *   loses acknowledged writes.
 * - `pagedRecovery`: its recovery scan returns only the first 1,000 keys of the record store (a paged
 *   `getAll` whose caller never asks for the next page), so a restarted device serves part of what it
 *   durably holds. Nothing in the peer checks was written for storage paging; where catch-up fetches the
 *   missing records again before the end (peer-join-10k-crash) it escaped every end-of-run check, and
 *   invariant:ready-serves-durable was written for it: at the restarted node's ready, what it serves must
 *   include what its kv store durably holds.
 * - `eagerFounder`: `eagerAck` on the founders only, so the backfill model (which catches `eagerAck` on a
 *   joiner) has nothing to refuse: a founder restarted after a power loss no longer holds writes it
 *   acknowledged (invariant:ready-serves-durable, the workload's record of acknowledged writes).
 */
import type { Env, KvKey, KvStore } from '../../src/impl/env.ts';
import { startPeerNode } from '../../src/impl/peer/node.ts';
import type { PeerNodeFactory } from '../../src/impl/peer/seam.ts';

/** The built-in node over `env` with its kv store replaced by `wrap(env.kv)`. */
function withKv(wrap: (kv: KvStore) => KvStore): PeerNodeFactory {
  return (env, options) => startPeerNode({ ...env, kv: wrap(env.kv) } satisfies Env, options);
}

/** A kv store whose read-only transactions see `keys` filtered by `filter(store, keys)`. */
function filteredReads(kv: KvStore, filter: (store: string, keys: KvKey[]) => KvKey[]): KvStore {
  return {
    transaction: (stores, mode, fn, options) =>
      kv.transaction(
        stores,
        mode,
        (tx) =>
          mode !== 'readonly'
            ? fn(tx)
            : fn({
                get: (store, key) => tx.get(store, key),
                put: (store, key, value) => tx.put(store, key, value),
                delete: (store, key) => tx.delete(store, key),
                keys: async (store, range) => filter(store, await tx.keys(store, range)),
                abort: () => tx.abort(),
              }),
        options,
      ),
  };
}

/** Recovery never sees `meta/checkpoint`: a crashed backfill restarts from zero. */
export const forgetfulResume: PeerNodeFactory = withKv((kv) => filteredReads(kv, (store, keys) => (store === 'meta' ? keys.filter((k) => k !== 'checkpoint') : keys)));

/** Every commit relaxed: writes are acknowledged before they are durable. */
export const eagerAck: PeerNodeFactory = withKv((kv) => ({
  transaction: (stores, mode, fn, options) => kv.transaction(stores, mode, fn, options === undefined ? undefined : { ...options, durability: 'relaxed' }),
}));

/** Keys of the record store listed a page of 1,000 at most: recovery loads only the first page. */
export const PAGE = 1_000;
export const pagedRecovery: PeerNodeFactory = withKv((kv) => filteredReads(kv, (store, keys) => (store === 'rec' ? keys.slice(0, PAGE) : keys)));

/**
 * `eagerAck` on the founders only (a joiner's backfill stays strict, so the backfill model has nothing to
 * refuse): a founder's local writes are acknowledged before they are durable, and a power loss loses
 * acknowledged writes from its store, so its restarted process does not serve them.
 */
export const eagerFounder: PeerNodeFactory = (env, options) => (options.founder === true ? eagerAck(env, options) : startPeerNode(env, options));

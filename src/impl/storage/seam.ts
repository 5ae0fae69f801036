/**
 * The storage seam: the block store a storage scenario's node runs (`Implementations.storage`, plugged in
 * with `withImplementations(await stockScenarios('storage'), { label, storage })`). The built-in
 * `BlockStore` is the default (`builtInStorage`). Guide: docs/storage.md, "Plugging in another block store".
 *
 * What to implement: a `BlockStorageFactory` `(env, options) => Promise<BlockStorage>` that opens the store
 * (running its startup recovery) through `env` only: `env.disk` for `options.backend` 'file', `env.kv` for
 * 'kv', `env.clock` for time and timers, `env.trace` for the records below. A port in another language is
 * run through an adapter that maps its file and transaction calls onto `env.disk` / `env.kv`.
 *
 * The evidence contract (what the checks read instead of the store's state): the stock checks decode the
 * simulator's durable image of `options.root` on the medium of `options.backend` with their own decoders
 * (src/evidence/store.ts, store-blocks.ts, store-image.ts, block-checksum.ts), never the store's objects. A
 * plugged store must therefore keep the reference layout and formats of docs/storage.md ("File backend:
 * layout and commit protocol", "kv backend"): the framed `marker`, `meta.json`, `pending.json` (file) or
 * the `<root>:meta` keys `marker` and `meta` (kv), the metadata JSON, block entries `<id>.<version>` of
 * exactly `blockSize` bytes with the metadata's `crc32` / `fast` checksum, a block's version being the
 * commit that wrote it and the marker the commit point. A store with another format cannot pass these
 * checks (its durable writes do not show in `fact.store`: its first reported marker fails
 * `model:recovery` `markerDurable`, its first acknowledged forceSync `ackDurable`); docs/storage.md says
 * why the seam takes no decoder of the implementation's own.
 *
 * The trace contract (through `env.trace.emit`; kinds and fields in docs/trace-schema.md, meanings in
 * docs/storage.md "Trace records"): `store.open` before recovery, `store.recover.begin`, `.finalize`,
 * `.rollback`, `.restart`, `.done` / `.failed`; `store.write {seq, id, op}` for every write or
 * deallocation accepted, with the `seq` the call returns (1, 2, ... per instance); per commit
 * `store.commit.begin {commit, upTo, blocks, epoch, strict}` (upTo: the highest seq in the batch; the batch
 * is every accepted write of this instance up to it that no earlier commit took), `store.commit.synced`
 * (file), `store.commit.marker-write {commit, atomic}`, `store.commit.marker` only once the marker is
 * durable (a relaxed kv commit: once visible), then `store.commit.done`, or `store.commit.failed {commit, code, stage}` /
 * `.refused` / `.discarded`; `store.flushed`, `store.closed`. The recovery model (`model:recovery`, which
 * owns the `store.` and `autosync.` areas: an unknown kind there fails the run) says which record is
 * legal in which of its states: docs/guides/recovery.md. Every durability claim is held against
 * `fact.store`, the simulator's durable image, when the store makes it.
 *
 * Errors: throw the bench's `StoreError` with its `code` (`FencedError` for a stale epoch,
 * `RequestAppliedError` for an applied request id); environment errors (EIO, ENOSPC) may pass through.
 * The workloads tell a refusal from a crash by these classes.
 */
import type { Env } from '../env.ts';
import { describeValue, notAFactory, SeamError } from '../seam/seam-error.ts';
import type { StoreListener, StoreMetrics } from './metrics.ts';
import type { StoreOptions } from './options.ts';
import { BlockStore, type CommitInfo, type CommitOptions, type WriteAck, type WriteOptions } from './store.ts';

/**
 * What the storage scenarios and `AutoSync` ask of an open block store: the calls of the API in
 * docs/storage.md that they make. Semantics are the built-in's (`BlockStore`, store.ts), summarized here.
 */
export interface BlockStorage {
  /**
   * Buffers a write of one whole block (`data` exactly blockSize bytes; keep a copy). Synchronous; traces
   * `store.write {seq, id, op: 'write'}` and returns that seq. A write with an epoch below the highest the
   * store knows throws FencedError (traced `store.fenced`); a bad id or size throws StoreError EINVAL.
   */
  write(id: number, data: Uint8Array, options?: WriteOptions): WriteAck;
  /** Buffers a deallocation (tombstone at the next commit); as `write` with `op: 'dealloc'`. */
  deallocate(id: number, options?: WriteOptions): WriteAck;
  /**
   * The block's bytes (null: absent): this instance's latest write unless `committedOnly`, else the
   * committed version gated by the marker and checksum-verified. Never unverified bytes: reject instead.
   * The oracle judges the answer (invariant:read-returns-committed-data).
   */
  read(id: number, options?: { committedOnly?: boolean }): Promise<Uint8Array | null>;
  /** Commits everything buffered (one commit at a time, in call order); may return before it is durable on relaxed kv. */
  sync(options?: CommitOptions): Promise<CommitInfo>;
  /**
   * Resolves only once everything written before the call is durable, with the commit now current; the
   * workload traces `workload.force-synced {node, commit}` and `model:recovery` (`ackDurable`) holds
   * `commit` against the durable image at that moment. Rejects when that could not be achieved.
   */
  forceSync(options?: CommitOptions): Promise<CommitInfo>;
  /** The highest fencing epoch this instance knows (recorded, or carried by an accepted write). */
  highestEpoch(): number;
  /** Waits for queued commits, then refuses everything with ECLOSED; traces `store.closed {commit, dirty}`. */
  close(): Promise<void>;
  /** Store events; AutoSync reads `{type: 'write', dirtyCount, dirtyBytes}` after each buffered write. */
  subscribe(listener: StoreListener): () => void;
  /** AutoSync reads `dirtyCount` (buffered and in-flight blocks not yet committed). */
  metrics(): Pick<StoreMetrics, 'dirtyCount'>;
}

/** Opens a block store with `options` (backend, root, blockSize, ...) on the node's `env`, running recovery. */
export type BlockStorageFactory = (env: Env, options: StoreOptions) => Promise<BlockStorage>;

/** The built-in block store (`BlockStore.open`): the default of the storage seam. */
export const builtInStorage: BlockStorageFactory = (env, options) => BlockStore.open(env, options);

/** The methods `checkBlockStorage` requires (every member of `BlockStorage`). */
export const BLOCK_STORAGE_METHODS: readonly (keyof BlockStorage)[] = ['write', 'deallocate', 'read', 'sync', 'forceSync', 'highestEpoch', 'close', 'subscribe', 'metrics'];

/** A plugged-in factory's result that is not a `BlockStorage` (thrown in the node: a crash verdict naming the seam). */
export class StorageSeamError extends SeamError {
  override name = 'StorageSeamError';
  constructor(message: string) {
    super('storage', message);
  }
}

/** `store` if it has every `BlockStorage` method; else StorageSeamError naming the seam and what is missing. */
export function checkBlockStorage(store: unknown): BlockStorage {
  const what = describeValue(store);
  if (typeof store !== 'object' || store === null) {
    throw new StorageSeamError(`the BlockStorageFactory resolved to ${what}, not a BlockStorage (methods: ${BLOCK_STORAGE_METHODS.join(', ')})`);
  }
  const missing = BLOCK_STORAGE_METHODS.filter((m) => typeof (store as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new StorageSeamError(`the BlockStorageFactory's store lacks ${missing.join(', ')} (a BlockStorage has ${BLOCK_STORAGE_METHODS.join(', ')})`);
  return store as BlockStorage;
}

/**
 * Opens a store through `factory` (the built-in when undefined) and checks what it returns. A factory that
 * throws a StoreError or an environment error passes it on unchanged (the caller retries EIO as usual);
 * a class given instead of a factory, or a result that is no BlockStorage, throws StorageSeamError.
 */
export async function openBlockStorage(factory: BlockStorageFactory | undefined, env: Env, options: StoreOptions): Promise<BlockStorage> {
  if (factory === undefined) return builtInStorage(env, options);
  const why = notAFactory(factory, 'a BlockStorageFactory', (name) => `(env, options) => ${name}.open(env, options)`);
  if (why !== null) throw new StorageSeamError(why);
  return checkBlockStorage(await (factory(env, options) as unknown));
}

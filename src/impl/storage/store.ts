/**
 * The block store: fixed-size blocks with per-block metadata (checksum, version, last-modified time),
 * atomic batched commits behind a commit marker, startup recovery, and fencing by epoch.
 *
 * Usage: `const store = await BlockStore.open(env, options)` (runs recovery), then `write` / `deallocate`
 * (buffered, synchronous), `read`, and `sync()` / `forceSync()` to commit. Commits run one at a time in
 * call order. Writes are visible to this instance's reads at once; they are durable once a commit that
 * includes them resolves.
 *
 * Fencing (for leader election): every mutating call and commit may carry an `epoch`. The store durably
 * records the highest epoch it has committed (in the same atomic commit as the data). A write whose epoch
 * is lower than the highest the store knows throws `FencedError` at once; a commit whose batch epoch is
 * lower than the durable one (another writer moved on) throws `FencedError` and applies nothing. Calls
 * without an epoch are not fenced. A store instance that was fenced or found another writer's commit
 * (ESTALE) refuses everything afterwards: reopen it.
 *
 * Several tabs, one writer at a time (kv backend; see docs/storage.md "Multi-tab use"): a new writer
 * first calls the static `BlockStore.fence(env, options, epoch)` (raises the durable epoch in one
 * transaction, no instance, no recovery), then opens its instance. Commits may record request ids
 * (`requests`) in the same transaction; `BlockStore.lookupRequest` finds them without opening the store.
 */
import type { Env } from '../env.ts';
import type { Backend, CommitBatch, CommitHooks, CommitRequest } from './backend.ts';
import { checksum } from './checksum.ts';
import { FencedError, RequestAppliedError, StoreError, errorCode, type AppliedRequest } from './errors.ts';
import { FileBackend } from './file-backend.ts';
import type { Marker, StoreMeta } from './format.ts';
import { cloneMeta, emptyMeta, stateDigest } from './format.ts';
import { KvBackend } from './kv-backend.ts';
import type { StoreEvent, StoreListener, StoreMetrics } from './metrics.ts';
import type { StoreConfig, StoreOptions } from './options.ts';
import { resolveStoreOptions } from './options.ts';
import { recover } from './recovery.ts';
import { STABLE_POLICY, TRANSIENT_POLICY, type StablePolicy } from './stable-read.ts';

/** Options of a mutating call. */
export interface WriteOptions {
  /** Fencing epoch of the caller (a leader's term); omitted: not fenced. */
  epoch?: number;
}

/** Options of a commit (sync / forceSync). */
export interface CommitOptions extends WriteOptions {
  /**
   * Request ids to record atomically with the commit (kv backend; the commit must have buffered writes).
   * If one is already recorded, the commit applies nothing, its writes are discarded (they are a retry's)
   * and it rejects with RequestAppliedError (EAPPLIED) carrying what the first commit recorded.
   */
  requests?: readonly CommitRequest[];
}

/** What a write or deallocation returns. */
export interface WriteAck {
  /** Sequence number of the write in this store instance (1, 2, ...). */
  seq: number;
  /** True when dirty data is above the backpressure bound: slow down (see waitForCapacity). */
  backpressure: boolean;
}

/** The outcome of a commit. */
export interface CommitInfo {
  /** The commit marker after the call (unchanged when there was nothing to commit). */
  commit: number;
  /** Blocks written or deallocated by it. */
  blocks: number;
}

/** Committed metadata of one block. */
export interface BlockInfo {
  version: number;
  checksum: number;
  lastModifiedMs: number;
}

/** A summary of the committed state, for checks and tools. */
export interface StoreSummary {
  commit: number;
  epoch: number;
  blocks: number;
  tombstones: number;
  /** Digest of (id, version) of every allocated block (format.ts `stateDigest`). */
  digest: string;
  /** Blocks recovery found corrupt and could not repair. */
  corrupt: number[];
}

interface DirtyEntry {
  data: Uint8Array | null; // null: deallocation
  seq: number;
  epoch: number;
}

/** A batch whose marker write failed: it may or may not have taken effect. */
interface Uncertain {
  commit: number;
  entries: Map<number, DirtyEntry>;
}

/** The block store. */
export class BlockStore {
  private meta: StoreMeta;
  private dirty = new Map<number, DirtyEntry>();
  private inflight: Map<number, DirtyEntry> | null = null;
  private dirtyBytes = 0;
  private seq = 0;
  private epochSeen = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private unfinalized: CommitBatch | null = null;
  /**
   * The highest commit known durable (backends with relaxed commits): a forced commit, or a flush. Relaxed
   * commits above it may still vanish on power loss, so a forceSync with nothing buffered flushes before it
   * acknowledges meta.commit. 0 after opening or reloading: an earlier incarnation's relaxed commits may
   * not be durable yet.
   */
  private durableCommit = 0;
  private uncertain: Uncertain | null = null;
  /**
   * Block id -> the commit number of a failed attempt that wrote its version file (data or marker stage).
   * The retry reuses the number: a block the retry deallocates instead would leave that file to no one
   * until the next open's recovery (a leak found by invariant:no-leaked-versions' review), so the retry
   * names it as garbage. Cleared when a commit succeeds.
   */
  private readonly attempted = new Map<number, number>();
  private refused: StoreError | null = null;
  private closed = false;
  private backpressured = false;
  private capacityWaiters: (() => void)[] = [];
  /**
   * Blocks recovery found corrupt: id -> the version found corrupt. A later commit that rewrites the block
   * gives it a new, intact version, which reads again (the set of ids once kept failing reads for good).
   */
  private readonly corrupt = new Map<number, number>();
  private readonly listeners: StoreListener[] = [];
  private readonly counters = { commits: 0, failed: 0, bytes: 0, checksumFailures: 0 };
  private readonly openedMs: number;

  private constructor(
    private readonly env: Env,
    private readonly config: StoreConfig,
    private readonly backend: Backend,
    meta: StoreMeta,
    corrupt: number[],
  ) {
    this.meta = meta;
    this.noteCorrupt(corrupt);
    this.openedMs = env.clock.monotonic();
  }

  /**
   * Raises the store's durable epoch to `epoch` in one atomic transaction, without opening the store
   * (no recovery): a metadata-only commit (commit number + 1, blocks unchanged), traced 'store.fence'
   * {commit, epoch}. Every later write or commit carrying a lower epoch is refused inside its own
   * transaction. Throws FencedError when the store has recorded a higher epoch. kv backend only.
   */
  static async fence(env: Env, options: StoreOptions, epoch: number): Promise<Marker> {
    const { config, backend } = kvOnly(env, options, 'fence');
    if (!Number.isInteger(epoch) || epoch < 0) throw new StoreError('EINVAL', `epoch: expected a non-negative integer, got ${String(epoch)}`);
    env.trace.emit('store.fence.begin', { epoch });
    try {
      const marker = await backend.fence(epoch, emptyMeta(config.blockSize, config.algorithm));
      env.trace.emit('store.fence', { commit: marker.commit, epoch });
      return marker;
    } catch (e) {
      env.trace.emit('store.fence.failed', { epoch, code: errorCode(e), highest: e instanceof FencedError ? e.highestEpoch : -1 });
      throw e;
    }
  }

  /** What the commit that recorded request `id` recorded, or null; one read, no open, no recovery. kv only. */
  static lookupRequest(env: Env, options: StoreOptions, id: string): Promise<AppliedRequest | null> {
    return kvOnly(env, options, 'lookupRequest').backend.lookupRequest(id);
  }

  /** The committed, checksum-verified bytes of block `id` (null: absent); one read, no open. kv only. */
  static readCommitted(env: Env, options: StoreOptions, id: number): Promise<Uint8Array | null> {
    const { config, backend } = kvOnly(env, options, 'readCommitted');
    return backend.readCommitted(id, config.blockSize);
  }

  /** Opens (creating if needed) the store and runs startup recovery. */
  static async open(env: Env, options: StoreOptions = {}): Promise<BlockStore> {
    const config = resolveStoreOptions(options);
    const backend = makeBackend(env, config);
    env.trace.emit('store.open', { backend: config.backend, root: config.root, relaxed: config.backend === 'kv' && config.relaxedCommits, variant: config.variant });
    const result = await recover(backend, recoveryOptions(config, false), env.trace);
    return new BlockStore(env, config, backend, result.meta, result.corrupt);
  }

  /** The resolved options. */
  get options(): Readonly<StoreConfig> {
    return this.config;
  }

  // ------------------------------------------------------------------ writes

  /** Buffers a write of one whole block (exactly blockSize bytes; copied). Durable after the next commit. */
  write(id: number, data: Uint8Array, options: WriteOptions = {}): WriteAck {
    if (!(data instanceof Uint8Array) || data.length !== this.config.blockSize) {
      throw new StoreError('EINVAL', `data: expected ${this.config.blockSize} bytes, got ${data?.length ?? typeof data}`);
    }
    // Variant storage-write-keeps-caller-buffer: the caller's buffer is kept, so refilling it changes the write.
    return this.buffer(id, this.config.variant === 'storage-write-keeps-caller-buffer' ? data : data.slice(), options);
  }

  /** Buffers a deallocation: the block becomes absent and a tombstone records it. */
  deallocate(id: number, options: WriteOptions = {}): WriteAck {
    return this.buffer(id, null, options);
  }

  private buffer(id: number, data: Uint8Array | null, options: WriteOptions): WriteAck {
    this.checkUsable();
    this.checkId(id);
    const epoch = this.checkEpoch(options.epoch);
    const size = data?.length ?? 0;
    const old = this.dirty.get(id);
    const grow = size - (old?.data?.length ?? 0);
    if (this.dirtyBytes + grow > this.config.maxDirtyBytes) {
      throw new StoreError('ELIMIT', `dirty data would exceed maxDirtyBytes ${this.config.maxDirtyBytes}; commit first`);
    }
    const seq = ++this.seq;
    this.dirty.set(id, { data, seq, epoch });
    this.dirtyBytes += grow;
    this.env.trace.emit('store.write', { seq, id, op: data === null ? 'dealloc' : 'write' });
    this.updateBackpressure();
    this.notify({ type: 'write', seq, dirtyCount: this.dirtyCount(), dirtyBytes: this.dirtyBytes });
    return { seq, backpressure: this.backpressured };
  }

  private checkUsable(): void {
    if (this.closed) throw new StoreError('ECLOSED', 'the store was shut down');
    if (this.refused !== null) throw this.refused;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.config.maxBlocks) {
      throw new StoreError('EINVAL', `id: expected an integer in 0..${this.config.maxBlocks - 1}, got ${String(id)}`);
    }
  }

  private checkEpoch(epoch: number | undefined): number {
    if (epoch === undefined) return 0;
    if (!Number.isInteger(epoch) || epoch < 0) throw new StoreError('EINVAL', `epoch: expected a non-negative integer, got ${String(epoch)}`);
    // Variant storage-epoch-check-committed: only the committed epoch counts, not those of writes accepted since.
    const highest = this.config.variant === 'storage-epoch-check-committed' ? this.meta.epoch : this.highestEpoch();
    if (epoch < highest && this.config.variant !== 'storage-no-fencing') {
      this.env.trace.emit('store.fenced', { epoch, highest, at: 'write' });
      throw new FencedError(epoch, highest);
    }
    this.epochSeen = Math.max(this.epochSeen, epoch);
    return epoch;
  }

  // ------------------------------------------------------------------ reads

  /**
   * The block's bytes: this instance's latest write (committed or not) unless `committedOnly`; else the
   * committed version, checksum-verified. Null when the block is absent. Never returns unverified data:
   * a checksum mismatch that persists throws StoreError('ECHECKSUM').
   */
  async read(id: number, options: { committedOnly?: boolean } = {}): Promise<Uint8Array | null> {
    this.checkUsable();
    this.checkId(id);
    if (options.committedOnly !== true) {
      // The latest write first: a block written again while a commit of it runs is in both (the variant
      // storage-read-inflight-first answers with the commit's older one).
      const d = this.config.variant === 'storage-read-inflight-first' ? (this.inflight?.get(id) ?? this.dirty.get(id)) : (this.dirty.get(id) ?? this.inflight?.get(id));
      // Variant storage-read-returns-own-buffer: the buffered write itself, which the caller may scribble on.
      if (d !== undefined) return d.data === null || this.config.variant === 'storage-read-returns-own-buffer' ? d.data : d.data.slice();
    }
    return this.readCommitted(id);
  }

  private async readCommitted(id: number): Promise<Uint8Array | null> {
    const b = this.meta.blocks.get(id);
    if (b === undefined) return null;
    if (b.v > this.meta.commit) {
      this.env.trace.probe('store.read-gated');
      return null; // newer than the marker: not visible
    }
    if (this.corrupt.get(id) === b.v) throw new StoreError('ECHECKSUM', `block ${id} v${b.v} is corrupt (found by recovery)`);
    const verify = this.config.variant !== 'storage-no-read-verify';
    // Variant storage-read-no-retry: the first mismatch is reported as damage (a flipped read is not read again).
    const attempts = this.config.variant === 'storage-read-no-retry' ? 1 : 2;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const data = await this.backend.readBlock(id, b.v);
      if (data === null) throw new StoreError('ECORRUPT', `block ${id} v${b.v} is missing from the medium`);
      if (!verify || (data.length === this.config.blockSize && checksum(this.config.algorithm, data) === b.sum)) return data;
      this.counters.checksumFailures++;
      this.env.trace.emit('store.checksum.fail', { id, v: b.v, attempt });
      this.env.trace.probe('storage.read.checksum-mismatch');
    }
    throw new StoreError('ECHECKSUM', `block ${id} v${b.v} failed its checksum twice`);
  }

  /** Committed metadata of a block, or null when absent. */
  stat(id: number): BlockInfo | null {
    const b = this.meta.blocks.get(id);
    return b === undefined ? null : { version: b.v, checksum: b.sum, lastModifiedMs: b.mtime };
  }

  /** True when the block was deallocated (its tombstone is recorded) and not written since. */
  isTombstoned(id: number): boolean {
    return this.meta.tombstones.has(id);
  }

  /** Ids of the allocated committed blocks, ascending. */
  blockIds(): number[] {
    return [...this.meta.blocks.keys()].sort((a, b) => a - b);
  }

  /** The committed marker (number of the last commit that took effect). */
  commitMarker(): number {
    return this.meta.commit;
  }

  /** The highest epoch this instance knows (committed, or carried by an accepted write). */
  highestEpoch(): number {
    return Math.max(this.meta.epoch, this.epochSeen);
  }

  /** The highest epoch recorded on the medium now (another instance may have raised it). */
  async readDurableEpoch(): Promise<number> {
    return (await this.backend.header()).epoch;
  }

  /** A summary of the committed state. */
  summary(): StoreSummary {
    const m = this.meta;
    return {
      commit: m.commit,
      epoch: m.epoch,
      blocks: m.blocks.size,
      tombstones: m.tombstones.size,
      digest: stateDigest(m.blocks),
      corrupt: [...this.corrupt].filter(([id, v]) => m.blocks.get(id)?.v === v).map(([id]) => id).sort((a, b) => a - b),
    };
  }

  // ------------------------------------------------------------------ commits

  /** Commits everything buffered so far (nothing to do: resolves at once). */
  sync(options: CommitOptions = {}): Promise<CommitInfo> {
    return this.enqueue(false, options);
  }

  /**
   * The xSync mapping: resolves only when everything written before the call is durable (strict
   * durability on the kv backend); rejects if that could not be achieved.
   */
  forceSync(options: CommitOptions = {}): Promise<CommitInfo> {
    return this.enqueue(true, options);
  }

  private enqueue(strict: boolean, options: CommitOptions): Promise<CommitInfo> {
    const requests = this.checkRequests(options.requests ?? []);
    // bind rather than an arrow: under tsx every named arrow made at run time costs a __name call.
    const run = this.commitOnce.bind(this, strict, options.epoch, requests);
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Validates a commit's request ids (kv backend, unique non-empty strings); returns a copy. */
  private checkRequests(requests: readonly CommitRequest[]): CommitRequest[] {
    if (requests.length === 0) return [];
    if (this.config.backend !== 'kv') {
      throw new StoreError('EINVAL', `requests: recording request ids needs StoreOptions.backend 'kv' (got '${this.config.backend}')`);
    }
    const ids = new Set<string>();
    for (const r of requests) {
      if (typeof r.id !== 'string' || r.id === '' || ids.has(r.id)) throw new StoreError('EINVAL', `requests: ids must be distinct non-empty strings, got '${String(r.id)}'`);
      ids.add(r.id);
    }
    return requests.map((r) => ({ id: r.id, result: r.result ?? null }));
  }

  private async commitOnce(strict: boolean, epoch: number | undefined, requests: CommitRequest[]): Promise<CommitInfo> {
    this.checkUsable();
    const batchEpochFloor = this.checkEpoch(epoch);
    if (this.unfinalized !== null) await this.finalize(this.unfinalized);
    if (this.uncertain !== null) {
      await this.reload();
      this.noteKeptDirty();
    }
    if (this.dirty.size === 0) {
      if (requests.length > 0) throw new StoreError('EINVAL', 'requests: a commit recording request ids needs buffered writes');
      if (strict && this.backend.relaxedCommits && this.durableCommit < this.meta.commit) await this.flush();
      return { commit: this.meta.commit, blocks: 0 };
    }
    const entries = this.dirty;
    this.dirty = new Map();
    this.inflight = entries;
    const batch = this.buildBatch(entries, strict, batchEpochFloor, requests);
    return this.runCommit(batch, entries);
  }

  private buildBatch(entries: Map<number, DirtyEntry>, strict: boolean, epochFloor: number, requests: CommitRequest[]): CommitBatch {
    const base = this.meta;
    const next = cloneMeta(base);
    next.commit = base.commit + 1;
    // Variant storage-mtime-monotonic: the commit's mtime from the monotonic clock (performance.now()
    // for Date.now()): ms since the process started, not wall-clock time.
    const mtime = this.config.variant === 'storage-mtime-monotonic' ? this.env.clock.monotonic() : this.env.clock.now();
    const writes: CommitBatch['writes'] = [];
    const garbage: CommitBatch['garbage'] = [];
    // Variant storage-commit-epoch-from-batch: the commit's epoch from its batch alone, not at least the
    // recorded one, so an unfenced commit after a fenced one carries epoch 0 and is refused as a deposed writer's.
    let epoch = this.config.variant === 'storage-commit-epoch-from-batch' ? epochFloor : Math.max(base.epoch, epochFloor);
    for (const id of [...entries.keys()].sort((a, b) => a - b)) {
      const e = entries.get(id)!;
      epoch = Math.max(epoch, e.epoch);
      const cur = next.blocks.get(id);
      if (e.data === null) {
        // Weakened variant storage-retry-keeps-attempt: the built-in before this fix.
        if (this.attempted.get(id) === next.commit && this.config.variant !== 'storage-retry-keeps-attempt') garbage.push({ id, v: next.commit });
        if (cur === undefined) continue;
        garbage.push({ id, v: cur.v });
        // Variant storage-dealloc-keeps-previous: the deallocated block's previous version is left on the medium.
        if (cur.prev !== null && this.config.variant !== 'storage-dealloc-keeps-previous') garbage.push({ id, v: cur.prev.v });
        next.blocks.delete(id);
        next.tombstones.set(id, next.commit);
        continue;
      }
      if (cur?.prev) garbage.push({ id, v: cur.prev.v });
      // Variant storage-finalize-drops-previous: finalize also deletes the version this commit replaces, which
      // the new metadata keeps as the block's previous version (the copy a repair rolls back to).
      if (cur !== undefined && this.config.variant === 'storage-finalize-drops-previous') garbage.push({ id, v: cur.v });
      const prev = cur === undefined ? null : { v: cur.v, sum: cur.sum, mtime: cur.mtime };
      next.blocks.set(id, { v: next.commit, sum: checksum(this.config.algorithm, e.data), mtime, prev });
      next.tombstones.delete(id);
      writes.push({ id, data: e.data });
    }
    next.epoch = epoch;
    return { next, base: base.commit, writes, garbage, strict, requests };
  }

  private async runCommit(batch: CommitBatch, entries: Map<number, DirtyEntry>): Promise<CommitInfo> {
    const n = batch.next.commit;
    const upTo = Math.max(...[...entries.values()].map((e) => e.seq));
    this.env.trace.emit('store.commit.begin', { commit: n, upTo, blocks: entries.size, epoch: batch.next.epoch, strict: batch.strict });
    this.notify({ type: 'sync-start', commit: n, blocks: entries.size });
    let stage: 'data' | 'marker' = 'data';
    const trace = this.env.trace;
    // Methods rather than arrow-valued properties (no __name call per commit under tsx).
    const hooks: CommitHooks = {
      synced() {
        trace.emit('store.commit.synced', { commit: n });
      },
      markerWrite(atomic) {
        stage = 'marker';
        trace.emit('store.commit.marker-write', { commit: n, atomic });
      },
      marker() {
        trace.emit('store.commit.marker', { commit: n });
      },
    };
    try {
      await this.backend.commit(batch, hooks);
    } catch (e) {
      throw this.commitFailed(batch, entries, e, stage);
    }
    this.meta = batch.next;
    if (batch.strict) this.durableCommit = n;
    this.inflight = null;
    this.attempted.clear();
    if (this.config.variant !== 'storage-dirty-bytes-leak') this.dirtyBytes -= bytesOf(entries);
    this.counters.commits++;
    this.counters.bytes += batch.writes.length * this.config.blockSize;
    this.updateBackpressure();
    await this.finalize(batch).catch(() => undefined);
    this.notify({ type: 'sync-success', commit: n, blocks: entries.size, bytes: batch.writes.length * this.config.blockSize });
    this.emitMetrics();
    return { commit: n, blocks: entries.size };
  }

  /** Handles a failed commit; returns the error to throw. */
  private commitFailed(batch: CommitBatch, entries: Map<number, DirtyEntry>, e: unknown, stage: 'data' | 'marker'): unknown {
    const n = batch.next.commit;
    const code = errorCode(e);
    this.inflight = null;
    this.counters.failed++;
    if (e instanceof FencedError || (e instanceof StoreError && e.code === 'ESTALE')) {
      this.refused = e;
      this.dirtyBytes -= bytesOf(entries);
      for (const d of this.dirty.values()) this.dirtyBytes -= d.data?.length ?? 0;
      this.dirty.clear();
      this.env.trace.emit('store.commit.refused', { commit: n, code, durableEpoch: e instanceof FencedError ? e.highestEpoch : -1 });
      this.env.trace.probe('storage.commit.refused');
    } else if (e instanceof RequestAppliedError) {
      // Already applied by an earlier commit: this batch is a retry's; it is discarded, not kept dirty. The
      // transaction applied nothing: traced as such (not as a failure, whose marker outcome is unknown).
      this.dirtyBytes -= bytesOf(entries);
      this.env.trace.emit('store.commit.discarded', { commit: n, code, dirty: this.dirty.size > 0 });
      this.env.trace.probe('storage.commit.request-applied');
    } else {
      // A block written again while the commit ran keeps the newer write (the variant puts the batch's back).
      const olderWins = this.config.variant === 'storage-failed-batch-overwrites';
      for (const [id, d] of entries) {
        const newer = this.dirty.get(id);
        if (newer !== undefined && !olderWins) this.dirtyBytes -= d.data?.length ?? 0;
        else {
          if (newer !== undefined) this.dirtyBytes -= newer.data?.length ?? 0;
          this.dirty.set(id, d);
        }
      }
      for (const w of batch.writes) this.attempted.set(w.id, n);
      if (stage === 'marker') {
        this.uncertain = { commit: n, entries };
        this.env.trace.probe('storage.commit.marker-uncertain');
      }
      this.env.trace.emit('store.commit.failed', { commit: n, code, stage });
    }
    this.notify({ type: 'sync-failure', commit: n, code });
    this.updateBackpressure();
    this.emitMetrics();
    return e;
  }

  /** Finalizes a durable commit; on failure the commit stays durable and finalize is retried first thing. */
  private async finalize(batch: CommitBatch): Promise<void> {
    this.unfinalized = batch;
    try {
      await this.backend.finalize(batch);
    } catch (e) {
      this.env.trace.emit('store.commit.finalize-failed', { commit: batch.next.commit, code: errorCode(e) });
      this.env.trace.probe('storage.commit.finalize-failed');
      throw e;
    }
    this.unfinalized = null;
    this.env.trace.emit('store.commit.done', { commit: batch.next.commit, dirty: this.dirty.size > 0 });
  }

  /**
   * forceSync with nothing buffered after relaxed commits (an AutoSync commit may have taken the caller's
   * writes): those commits must be durable before the caller hears meta.commit.
   */
  private async flush(): Promise<void> {
    const commit = this.meta.commit;
    await this.backend.flush?.();
    this.durableCommit = Math.max(this.durableCommit, commit);
    this.env.trace.emit('store.flushed', { commit });
    this.env.trace.probe('storage.force-sync-flush');
  }

  /** Records the blocks recovery found corrupt, at their current versions. */
  private noteCorrupt(ids: readonly number[]): void {
    for (const id of ids) {
      const v = this.meta.blocks.get(id)?.v;
      if (v !== undefined) this.corrupt.set(id, v);
    }
  }

  /** After a marker write failed: recover in place to learn whether the batch took effect. */
  private async reload(): Promise<void> {
    const u = this.uncertain!;
    const result = await recover(this.backend, recoveryOptions(this.config, true), this.env.trace);
    this.meta = result.meta;
    this.durableCommit = 0;
    this.noteCorrupt(result.corrupt);
    this.uncertain = null;
    if (result.meta.commit < u.commit) return;
    for (const [id, d] of u.entries) {
      const now = this.dirty.get(id);
      if (now !== undefined && now.seq === d.seq) {
        this.dirty.delete(id);
        this.dirtyBytes -= d.data?.length ?? 0;
      }
    }
    this.updateBackpressure();
  }

  /** Tells observers (the model) that dirty data survived an in-place recovery. */
  private noteKeptDirty(): void {
    if (this.dirty.size > 0) this.env.trace.emit('store.recover.kept-dirty', { count: this.dirty.size });
  }

  // ------------------------------------------------------------------ observability

  /** Current metrics. */
  metrics(): StoreMetrics {
    // Variant storage-throughput-per-ms: the elapsed time left in ms (a time unit confused): the rate is 1000 times too low.
    const elapsedS = Math.max((this.env.clock.monotonic() - this.openedMs) / (this.config.variant === 'storage-throughput-per-ms' ? 1 : 1000), 1e-3);
    const attempts = this.counters.commits + this.counters.failed;
    return {
      dirtyCount: this.dirtyCount(),
      dirtyBytes: this.dirtyBytes,
      commits: this.counters.commits,
      failedCommits: this.counters.failed,
      bytesCommitted: this.counters.bytes,
      throughputBytesPerSec: this.counters.bytes / elapsedS,
      errorRate: attempts === 0 ? 0 : this.counters.failed / attempts,
      checksumFailures: this.counters.checksumFailures,
    };
  }

  private emitMetrics(): void {
    const m = this.metrics();
    this.env.trace.emit('store.metrics', {
      dirtyCount: m.dirtyCount,
      dirtyBytes: m.dirtyBytes,
      commits: m.commits,
      failed: m.failedCommits,
      // Rounded so the trace stays readable; the API gives the exact figures.
      throughputBytesPerSec: Math.round(m.throughputBytesPerSec),
      errorRate: Math.round(m.errorRate * 10_000) / 10_000,
      checksumFailures: m.checksumFailures,
    });
  }

  private dirtyCount(): number {
    let n = this.dirty.size;
    if (this.inflight !== null) for (const id of this.inflight.keys()) if (!this.dirty.has(id)) n++;
    return n;
  }

  /** Subscribes to store events; returns an unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  private notify(event: StoreEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Resolves when dirty data is below the backpressure bound. */
  waitForCapacity(): Promise<void> {
    if (!this.backpressured) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  private updateBackpressure(): void {
    const on = this.dirtyBytes > this.config.backpressureBytes;
    if (on === this.backpressured) return;
    this.backpressured = on;
    this.env.trace.emit('store.backpressure', { on, dirtyBytes: this.dirtyBytes });
    this.notify({ type: 'backpressure', on, dirtyBytes: this.dirtyBytes });
    if (!on) for (const w of this.capacityWaiters.splice(0)) w();
  }

  /** Waits for queued commits, then refuses every further call with ECLOSED. */
  async close(): Promise<void> {
    if (this.config.variant !== 'storage-close-without-drain') await this.chain;
    this.closed = true;
    this.env.trace.emit('store.closed', { commit: this.meta.commit, dirty: this.dirty.size });
  }
}

function bytesOf(entries: Map<number, DirtyEntry>): number {
  let n = 0;
  for (const e of entries.values()) n += e.data?.length ?? 0;
  return n;
}

function makeBackend(env: Env, config: StoreConfig): Backend {
  if (config.backend === 'kv') return makeKvBackend(env, config);
  return new FileBackend(env.disk, config.root, {
    markerBeforeFsync: config.variant === 'storage-marker-before-fsync',
    noDirFsync: config.variant === 'storage-no-dir-fsync',
    noFencing: config.variant === 'storage-no-fencing',
    readPolicy: readPolicy(config),
    lazyMarkerFsync: config.variant === 'storage-lazy-marker-fsync',
    stalePendingBody: config.variant === 'storage-repair-stale-pending',
    finalizeSwallowsErrors: config.variant === 'storage-finalize-error-swallowed',
  });
}

/** When recovery's failing reads count as damage at rest (the variant trusts two reads of one path). */
function readPolicy(config: StoreConfig): StablePolicy {
  return config.variant === 'storage-repair-on-transient-read' ? TRANSIENT_POLICY : STABLE_POLICY;
}

function makeKvBackend(env: Env, config: StoreConfig): KvBackend {
  return new KvBackend(env.kv, config.root, {
    relaxed: config.relaxedCommits,
    noFencing: config.variant === 'storage-no-fencing',
    relaxedForced: config.variant === 'storage-relaxed-force-sync',
    firstRequestOnly: config.variant === 'storage-request-check-first-only',
    readCommittedUnverified: config.variant === 'storage-read-committed-unverified',
  });
}

/** The kv backend for a static (instance-less) operation; EINVAL naming the option for the file backend. */
function kvOnly(env: Env, options: StoreOptions, what: string): { config: StoreConfig; backend: KvBackend } {
  const config = resolveStoreOptions(options);
  if (config.backend !== 'kv') {
    throw new StoreError('EINVAL', `BlockStore.${what} needs StoreOptions.backend 'kv' (got '${config.backend}'): files give no atomic read-modify-write for several writers`);
  }
  return { config, backend: makeKvBackend(env, config) };
}

function recoveryOptions(config: StoreConfig, inPlace: boolean): Parameters<typeof recover>[1] {
  return {
    blockSize: config.blockSize,
    algorithm: config.algorithm,
    corruption: config.corruption,
    verify: config.verifyOnOpen,
    keepPending: config.variant === 'storage-keep-pending',
    dropTombstones: config.variant === 'storage-drop-tombstones',
    readPolicy: readPolicy(config),
    ignoreMarker: config.variant === 'storage-rollback-durable',
    reportHighest: config.variant === 'storage-done-misreports',
    repairUnverified: config.variant === 'storage-repair-unverified-previous',
    repairSlot: config.variant === 'storage-repair-keeps-damaged' ? 'current' : config.variant === 'storage-repair-stale-checksum' ? 'sum' : undefined,
    inPlace,
  };
}

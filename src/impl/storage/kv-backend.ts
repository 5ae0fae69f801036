/**
 * The block store on the IndexedDB-like transactional store.
 *
 * Object stores (names prefixed with the store's root, e.g. `store:blocks`):
 *   <root>:blocks   key `<id>.<version>` -> block bytes (Uint8Array)
 *   <root>:meta     key 'meta' -> committed metadata (JSON);  key 'marker' -> {commit, epoch}
 *   <root>:requests key <request id> -> {commit, epoch, result}: request ids recorded by commits
 *
 * Commit N is one readwrite transaction: check the marker (fencing and stale writers, atomically with the
 * write), put every `<id>.<N>`, put metadata N, put marker N. There is no pending state to finalize: the
 * transaction is all or nothing. Finalize is a second transaction deleting superseded versions; recovery
 * scans the blocks store and deletes versions newer than the marker (rolled-back leftovers) or no longer
 * referenced (unfinished finalize). forceSync commits use strict durability; other commits may use relaxed
 * durability (the last of them may vanish on power loss, never a part of one).
 *
 * Several tabs may share the store (one writer at a time, chosen by leader election): every commit checks
 * the durable epoch and marker inside its own transaction; `fence` raises the epoch in one transaction
 * without an instance (a metadata-only commit); recovery deletes strays and adopts metadata only while the
 * marker is still the one it loaded (`ifCommit`), so a concurrent commit is never mistaken for strays;
 * `lookupRequest` and `readCommitted` read without opening the store (no recovery).
 */
import type { KvKey, KvStore, KvTx, Value } from '../env.ts';
import type { Backend, BlockEntry, CommitBatch, CommitHooks, DurableState } from './backend.ts';
import { blockName, parseBlockName } from './backend.ts';
import { checksum } from './checksum.ts';
import { FencedError, RequestAppliedError, StoreError, type AppliedRequest } from './errors.ts';
import type { Marker, StoreMeta } from './format.ts';
import { markerFromJson, metaFromJson, metaToJson } from './format.ts';

/** Options of the kv backend. */
export interface KvBackendOptions {
  /** Durability of commits that are not forced. */
  relaxed: boolean;
  /** Variant: `readCommitted` checks the length only, not the checksum. */
  readCommittedUnverified?: boolean;
  /** Do not check epochs (the 'storage-no-fencing' variant). */
  noFencing?: boolean;
  /** Forced commits use relaxed durability too (the 'storage-relaxed-force-sync' variant). */
  relaxedForced?: boolean;
  /** Only a commit's first request id is looked up (the 'storage-request-check-first-only' variant). */
  firstRequestOnly?: boolean;
}

/** The kv backend. */
export class KvBackend implements Backend {
  readonly kind = 'kv' as const;
  private readonly blocks: string;
  private readonly metaStore: string;
  private readonly requests: string;

  constructor(
    private readonly kv: KvStore,
    root: string,
    private readonly options: KvBackendOptions,
  ) {
    this.blocks = `${root}:blocks`;
    this.metaStore = `${root}:meta`;
    this.requests = `${root}:requests`;
  }

  /** Refusal of a commit or fence of `epoch` by the durable marker, or null. */
  private fencedBy(current: Marker, epoch: number): FencedError | null {
    return current.epoch > epoch && this.options.noFencing !== true ? new FencedError(epoch, current.epoch) : null;
  }

  /** StoreError('ESTALE') unless the durable marker is at `commit`. */
  private static moved(current: Marker, commit: number): StoreError | null {
    if (current.commit === commit) return null;
    return new StoreError('ESTALE', `the store is at commit ${current.commit}, this writer built on ${commit}`);
  }

  async init(): Promise<void> {
    // Object stores exist implicitly in the kernel's kv store.
  }

  private async readHeader(tx: KvTx): Promise<{ marker: Marker | null; meta: StoreMeta | null }> {
    const marker = markerFromJson(await tx.get(this.metaStore, 'marker'));
    const meta = metaFromJson(await tx.get(this.metaStore, 'meta'));
    return { marker, meta };
  }

  async load(): Promise<DurableState> {
    const { marker, meta } = await this.kv.transaction([this.metaStore], 'readonly', (tx) => this.readHeader(tx));
    return { marker, meta, pending: null, pendingTorn: false };
  }

  async header(): Promise<Marker> {
    const { marker } = await this.load();
    return marker ?? { commit: 0, epoch: 0 };
  }

  async adopt(meta: StoreMeta, ifCommit: number): Promise<void> {
    const refused = await this.kv.transaction(
      [this.metaStore],
      'readwrite',
      async (tx) => {
        const stale = KvBackend.moved((await this.readHeader(tx)).marker ?? { commit: 0, epoch: 0 }, ifCommit);
        if (stale !== null) return stale;
        await tx.put(this.metaStore, 'meta', metaToJson(meta) as Value);
        await tx.put(this.metaStore, 'marker', { commit: meta.commit, epoch: meta.epoch });
        return null;
      },
      { durability: 'strict' },
    );
    if (refused !== null) throw refused;
  }

  async dropPending(): Promise<void> {
    // Transactions leave nothing pending.
  }

  async listBlocks(): Promise<BlockEntry[]> {
    return this.kv.transaction([this.blocks], 'readonly', async (tx) => {
      const out: BlockEntry[] = [];
      for (const key of await tx.keys(this.blocks)) {
        const value = await tx.get(this.blocks, key);
        const name = String(key);
        const size = value instanceof Uint8Array ? value.length : -1;
        out.push({ name, key: typeof key === 'string' ? parseBlockName(name) : null, size });
      }
      return out;
    });
  }

  async deleteBlocks(names: readonly string[], ifCommit?: number): Promise<boolean> {
    if (names.length === 0) return true;
    return this.kv.transaction(
      [this.blocks, this.metaStore],
      'readwrite',
      async (tx) => {
        if (ifCommit !== undefined && KvBackend.moved((await this.readHeader(tx)).marker ?? { commit: 0, epoch: 0 }, ifCommit) !== null) return false;
        for (const name of names) await tx.delete(this.blocks, name as KvKey);
        return true;
      },
      { durability: 'strict' },
    );
  }

  async moved(commit: number): Promise<boolean> {
    const { marker } = await this.kv.transaction([this.metaStore], 'readonly', (tx) => this.readHeader(tx));
    return KvBackend.moved(marker ?? { commit: 0, epoch: 0 }, commit) !== null;
  }

  async syncEntries(): Promise<void> {
    // Every kv transaction of recovery is strict: nothing to flush.
  }

  /** Both read paths are a read-only transaction of their own (the kv store offers no other way to read). */
  async readBlock(id: number, v: number): Promise<Uint8Array | null> {
    const value = await this.kv.transaction([this.blocks], 'readonly', (tx) => tx.get(this.blocks, blockName(id, v)));
    return value instanceof Uint8Array ? value : null;
  }

  async commit(batch: CommitBatch, hooks: CommitHooks): Promise<void> {
    const next = batch.next;
    hooks.markerWrite(true);
    const stores = batch.requests.length > 0 ? [this.blocks, this.metaStore, this.requests] : [this.blocks, this.metaStore];
    const refused = await this.kv.transaction(
      stores,
      'readwrite',
      async (tx) => {
        const { marker } = await this.readHeader(tx);
        const current = marker ?? { commit: 0, epoch: 0 };
        const bad = this.fencedBy(current, next.epoch) ?? KvBackend.moved(current, batch.base);
        if (bad !== null) return bad;
        for (const r of this.options.firstRequestOnly === true ? batch.requests.slice(0, 1) : batch.requests) {
          const applied = asApplied(await tx.get(this.requests, r.id));
          if (applied !== null) return new RequestAppliedError(r.id, applied);
        }
        for (const w of batch.writes) await tx.put(this.blocks, blockName(w.id, next.commit), w.data);
        await tx.put(this.metaStore, 'meta', metaToJson(next) as Value);
        await tx.put(this.metaStore, 'marker', { commit: next.commit, epoch: next.epoch });
        for (const r of batch.requests) await tx.put(this.requests, r.id, { commit: next.commit, epoch: next.epoch, result: r.result } as Value);
        return null;
      },
      { durability: (batch.strict && this.options.relaxedForced !== true) || !this.options.relaxed ? 'strict' : 'relaxed' },
    );
    if (refused !== null) throw refused;
    hooks.marker();
  }

  async finalize(batch: CommitBatch): Promise<void> {
    await this.deleteBlocks(batch.garbage.map((g) => blockName(g.id, g.v)));
  }

  get relaxedCommits(): boolean {
    return this.options.relaxed;
  }

  async flush(): Promise<void> {
    // An empty strict readwrite transaction: when it resolves, every earlier relaxed commit is durable too.
    await this.kv.transaction([this.blocks, this.metaStore], 'readwrite', async () => undefined, { durability: 'strict' });
  }

  /**
   * Raises the durable epoch to `epoch` in one strict transaction, without an instance: a metadata-only
   * commit (commit number + 1, blocks unchanged). `blank` is the metadata of an empty store. Returns the
   * new marker; FencedError when the store has recorded a higher epoch (an equal one is accepted: the
   * same leader fencing again).
   */
  async fence(epoch: number, blank: StoreMeta): Promise<Marker> {
    const r = await this.kv.transaction(
      [this.metaStore],
      'readwrite',
      async (tx): Promise<Marker | StoreError> => {
        const { marker, meta } = await this.readHeader(tx);
        const current = marker ?? { commit: 0, epoch: 0 };
        const bad = this.fencedBy(current, epoch);
        if (bad !== null) return bad;
        const base = meta ?? (current.commit === 0 ? blank : null);
        if (base === null || base.commit !== current.commit) {
          return new StoreError('ECORRUPT', `marker at commit ${current.commit} but metadata at ${base?.commit ?? 'none'}: open the store to recover it first`);
        }
        const next: StoreMeta = { ...base, commit: base.commit + 1, epoch: Math.max(base.epoch, epoch) };
        await tx.put(this.metaStore, 'meta', metaToJson(next) as Value);
        await tx.put(this.metaStore, 'marker', { commit: next.commit, epoch: next.epoch });
        return { commit: next.commit, epoch: next.epoch };
      },
      { durability: 'strict' },
    );
    if (r instanceof StoreError) throw r;
    return r;
  }

  /** What a commit recorded for request `id`, or null (one read-only transaction). */
  async lookupRequest(id: string): Promise<AppliedRequest | null> {
    return asApplied(await this.kv.transaction([this.requests], 'readonly', (tx) => tx.get(this.requests, id)));
  }

  /**
   * The committed bytes of block `id` (null when absent), read with the metadata in one read-only
   * transaction and checksum-verified (ECHECKSUM when they do not match).
   */
  async readCommitted(id: number, blockSize: number): Promise<Uint8Array | null> {
    return this.kv.transaction([this.blocks, this.metaStore], 'readonly', async (tx) => {
      const { meta } = await this.readHeader(tx);
      const b = meta?.blocks.get(id);
      if (meta === null || b === undefined) return null;
      const data = await tx.get(this.blocks, blockName(id, b.v));
      if (!(data instanceof Uint8Array)) throw new StoreError('ECORRUPT', `block ${id} v${b.v} is missing from the medium`);
      // Variant storage-read-committed-unverified: only the length is checked, so damaged bytes are returned.
      if (data.length !== blockSize || (this.options.readCommittedUnverified !== true && checksum(meta.algorithm, data) !== b.sum)) throw new StoreError('ECHECKSUM', `block ${id} v${b.v} failed its checksum`);
      return data;
    });
  }
}

/** A stored request record, or null when absent; anything malformed is corruption. */
function asApplied(v: Value | undefined): AppliedRequest | null {
  if (v === undefined) return null;
  const r = v as { commit?: unknown; epoch?: unknown; result?: unknown } | null;
  if (r === null || typeof r !== 'object' || typeof r.commit !== 'number' || typeof r.epoch !== 'number') {
    throw new StoreError('ECORRUPT', 'a request record is malformed');
  }
  return { commit: r.commit, epoch: r.epoch, result: r.result ?? null };
}

/**
 * The block store on the IndexedDB-like transactional store.
 *
 * Object stores (names prefixed with the store's root, e.g. `store:blocks`):
 *   <root>:blocks   key `<id>.<version>` -> block bytes (Uint8Array)
 *   <root>:meta     key 'meta' -> committed metadata (JSON);  key 'marker' -> {commit, epoch}
 *
 * Commit N is one readwrite transaction: check the marker (fencing and stale writers, atomically with the
 * write), put every `<id>.<N>`, put metadata N, put marker N. There is no pending state to finalize: the
 * transaction is all or nothing. Finalize is a second transaction deleting superseded versions; recovery
 * scans the blocks store and deletes versions newer than the marker (rolled-back leftovers) or no longer
 * referenced (unfinished finalize). forceSync commits use strict durability; other commits may use relaxed
 * durability (the last of them may vanish on power loss, never a part of one).
 */
import type { KvKey, KvStore, KvTx, Value } from '../env.ts';
import type { Backend, BlockEntry, CommitBatch, CommitHooks, DurableState } from './backend.ts';
import { blockName, parseBlockName } from './backend.ts';
import { FencedError, StoreError } from './errors.ts';
import type { Marker, StoreMeta } from './format.ts';
import { markerFromJson, metaFromJson, metaToJson } from './format.ts';

/** Options of the kv backend. */
export interface KvBackendOptions {
  /** Durability of commits that are not forced. */
  relaxed: boolean;
}

/** The kv backend. */
export class KvBackend implements Backend {
  readonly kind = 'kv' as const;
  private readonly blocks: string;
  private readonly metaStore: string;

  constructor(
    private readonly kv: KvStore,
    root: string,
    private readonly options: KvBackendOptions,
  ) {
    this.blocks = `${root}:blocks`;
    this.metaStore = `${root}:meta`;
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

  async adopt(meta: StoreMeta): Promise<void> {
    await this.kv.transaction(
      [this.metaStore],
      'readwrite',
      async (tx) => {
        await tx.put(this.metaStore, 'meta', metaToJson(meta) as Value);
        await tx.put(this.metaStore, 'marker', { commit: meta.commit, epoch: meta.epoch });
      },
      { durability: 'strict' },
    );
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

  async deleteBlocks(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.kv.transaction(
      [this.blocks],
      'readwrite',
      async (tx) => {
        for (const name of names) await tx.delete(this.blocks, name as KvKey);
      },
      { durability: 'strict' },
    );
  }

  async syncEntries(): Promise<void> {
    // Every kv transaction of recovery is strict: nothing to flush.
  }

  async readBlock(id: number, v: number): Promise<Uint8Array | null> {
    const value = await this.kv.transaction([this.blocks], 'readonly', (tx) => tx.get(this.blocks, blockName(id, v)));
    return value instanceof Uint8Array ? value : null;
  }

  async commit(batch: CommitBatch, hooks: CommitHooks): Promise<void> {
    const next = batch.next;
    hooks.markerWrite(true);
    const refused = await this.kv.transaction(
      [this.blocks, this.metaStore],
      'readwrite',
      async (tx) => {
        const { marker } = await this.readHeader(tx);
        const current = marker ?? { commit: 0, epoch: 0 };
        if (current.epoch > next.epoch) return new FencedError(next.epoch, current.epoch);
        if (current.commit !== batch.base) {
          return new StoreError('ESTALE', `the store is at commit ${current.commit}, this writer built on ${batch.base}`);
        }
        for (const w of batch.writes) await tx.put(this.blocks, blockName(w.id, next.commit), w.data);
        await tx.put(this.metaStore, 'meta', metaToJson(next) as Value);
        await tx.put(this.metaStore, 'marker', { commit: next.commit, epoch: next.epoch });
        return null;
      },
      { durability: batch.strict || !this.options.relaxed ? 'strict' : 'relaxed' },
    );
    if (refused !== null) throw refused;
    hooks.marker();
  }

  async finalize(batch: CommitBatch): Promise<void> {
    await this.deleteBlocks(batch.garbage.map((g) => blockName(g.id, g.v)));
  }
}

/**
 * A flawed "third-party" block store (test only) with a read cache for committed reads that is dropped
 * when a block is written, not when the write commits: a committed read between a write and its commit
 * caches the old version, and every later committed read returns it. A cache-coherence bug, a class the
 * storage checks were not designed around (they were built for crash consistency); it is caught because
 * the oracle judges every read's answer against what was committed (invariant:read-returns-committed-data).
 */
import type { BlockStorageFactory } from '../../src/impl/storage/seam.ts';
import { BlockStore, type WriteAck, type WriteOptions } from '../../src/impl/storage/store.ts';
import { DelegatingStore } from './_delegating-store.ts';

class StaleCacheStore extends DelegatingStore {
  private readonly cache = new Map<number, Uint8Array | null>();

  override write(id: number, data: Uint8Array, options?: WriteOptions): WriteAck {
    this.cache.delete(id); // the bug: the cache should be dropped when the write commits
    return super.write(id, data, options);
  }

  override deallocate(id: number, options?: WriteOptions): WriteAck {
    this.cache.delete(id);
    return super.deallocate(id, options);
  }

  override async read(id: number, options?: { committedOnly?: boolean }): Promise<Uint8Array | null> {
    if (options?.committedOnly !== true) return super.read(id, options);
    if (this.cache.has(id)) return this.cache.get(id)?.slice() ?? null;
    const data = await super.read(id, options);
    this.cache.set(id, data);
    return data?.slice() ?? null;
  }
}

export const staleCacheStorage: BlockStorageFactory = async (env, options) => new StaleCacheStore(await BlockStore.open(env, options));

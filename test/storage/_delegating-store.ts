/**
 * Test-only base of the "third-party" block stores plugged into the storage seam: every BlockStorage call
 * goes to a built-in BlockStore; a flawed store overrides the one call it gets wrong. The stock checks
 * judge such a store only by the trace and the simulator's durable image, like any other.
 */
import type { BlockStorage } from '../../src/impl/storage/seam.ts';
import type { BlockStore, CommitInfo, CommitOptions, WriteAck, WriteOptions } from '../../src/impl/storage/store.ts';
import type { StoreListener, StoreMetrics } from '../../src/impl/storage/metrics.ts';

export class DelegatingStore implements BlockStorage {
  constructor(protected readonly inner: BlockStore) {}
  write(id: number, data: Uint8Array, options?: WriteOptions): WriteAck {
    return this.inner.write(id, data, options);
  }
  deallocate(id: number, options?: WriteOptions): WriteAck {
    return this.inner.deallocate(id, options);
  }
  read(id: number, options?: { committedOnly?: boolean }): Promise<Uint8Array | null> {
    return this.inner.read(id, options);
  }
  sync(options?: CommitOptions): Promise<CommitInfo> {
    return this.inner.sync(options);
  }
  forceSync(options?: CommitOptions): Promise<CommitInfo> {
    return this.inner.forceSync(options);
  }
  highestEpoch(): number {
    return this.inner.highestEpoch();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  subscribe(listener: StoreListener): () => void {
    return this.inner.subscribe(listener);
  }
  metrics(): Pick<StoreMetrics, 'dirtyCount'> {
    return this.inner.metrics();
  }
}

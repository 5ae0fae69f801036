/**
 * A flawed "third-party" block store (test only): forceSync acknowledges as soon as its commit starts
 * writing (the store's `sync-start` event), with that commit's number, instead of once the commit is
 * durable. The bug the storage checks were built for: `model:recovery` (`ackDurable`) holds the
 * acknowledged commit against the simulator's durable image at the moment of the ack.
 */
import type { BlockStorageFactory } from '../../src/impl/storage/seam.ts';
import { BlockStore, type CommitInfo, type CommitOptions } from '../../src/impl/storage/store.ts';
import { DelegatingStore } from './_delegating-store.ts';

class EagerAckStore extends DelegatingStore {
  override forceSync(options?: CommitOptions): Promise<CommitInfo> {
    return new Promise((resolve, reject) => {
      const off = this.inner.subscribe((e) => {
        if (e.type !== 'sync-start') return;
        off();
        resolve({ commit: e.commit, blocks: e.blocks }); // the bug: the commit has only begun
      });
      this.inner.forceSync(options).then(
        (info) => {
          off();
          resolve(info);
        },
        (e: unknown) => {
          off();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }
}

export const eagerAckStorage: BlockStorageFactory = async (env, options) => new EagerAckStore(await BlockStore.open(env, options));

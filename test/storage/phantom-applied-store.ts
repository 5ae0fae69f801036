/**
 * A flawed "third-party" block store (test only, kv backend): it answers EAPPLIED to forceSyncs that carry
 * no request id at all. Its first forceSync with buffered writes records a request id of its own; every
 * third one after that carries that id again, so the store finds it applied, discards the batch (traced as
 * `store.commit.discarded`, like a real retry's) and rejects with RequestAppliedError. The writes of the
 * caller are gone although it asked for no request to be checked: only the workload knows the EAPPLIED is
 * not an answer to anything it asked, so the oracle must not take the store's discard record for it.
 */
import type { BlockStorageFactory } from '../../src/impl/storage/seam.ts';
import { BlockStore, type CommitInfo, type CommitOptions } from '../../src/impl/storage/store.ts';
import { DelegatingStore } from './_delegating-store.ts';

const OWN_ID = 'phantom';

class PhantomAppliedStore extends DelegatingStore {
  private recorded = false;
  private calls = 0;

  override forceSync(options?: CommitOptions): Promise<CommitInfo> {
    if ((options?.requests ?? []).length > 0 || this.inner.metrics().dirtyCount === 0) return this.inner.forceSync(options);
    if (!this.recorded) {
      this.recorded = true;
      return this.inner.forceSync({ ...options, requests: [{ id: OWN_ID, result: null }] });
    }
    // The bug: the store's own id checked again on a commit that carries none of the caller's.
    if (++this.calls % 3 === 0) return this.inner.forceSync({ ...options, requests: [{ id: OWN_ID, result: null }] });
    return this.inner.forceSync(options);
  }
}

export const phantomAppliedStorage: BlockStorageFactory = async (env, options) => new PhantomAppliedStore(await BlockStore.open(env, options));

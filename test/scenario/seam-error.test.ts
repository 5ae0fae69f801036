/** The seams' shared refusal: SeamError names the seam; notAFactory refuses a non-function and a class. */
import { describe, expect, it } from 'vitest';
import { notAFactory, SeamError } from '../../src/impl/seam/seam-error.ts';
import { PeerSeamError } from '../../src/impl/peer/seam.ts';
import { StorageSeamError } from '../../src/impl/storage/seam.ts';

describe('SeamError', () => {
  it('names the seam in the message and as a field; the storage and peer errors are SeamErrors', () => {
    const e = new SeamError('csClient', 'the plugged-in factory resolved to null');
    expect(e.message).toBe('csClient seam: the plugged-in factory resolved to null');
    expect(e.seam).toBe('csClient');
    expect(new StorageSeamError('x')).toBeInstanceOf(SeamError);
    expect(new PeerSeamError('x').seam).toBe('peer');
  });

  it('notAFactory refuses a non-function and a class, accepts a function', () => {
    class MyStore {}
    const use = (n: string): string => `(env, options) => ${n}.open(env, options)`;
    expect(notAFactory(42, 'a BlockStorageFactory', use)).toBe('expected a BlockStorageFactory, got number');
    expect(notAFactory(null, 'a BlockStorageFactory', use)).toBe('expected a BlockStorageFactory, got null');
    expect(notAFactory(MyStore, 'a BlockStorageFactory', use)).toBe('got the class MyStore, not a BlockStorageFactory: pass (env, options) => MyStore.open(env, options)');
    expect(notAFactory(async () => ({}), 'a BlockStorageFactory', use)).toBeNull();
  });
});

/**
 * The block store's API contract for bad input and failures: every option is validated with the field
 * named and the accepted range given, the defaults are exactly the documented ones, and the error classes
 * carry their code, name and message (callers and the scenarios' retry logic branch on `code`).
 */
import { describe, expect, it } from 'vitest';
import { AutoSync, BlockStore, FencedError, RequestAppliedError, STORE_LIMITS, StoreError, resolveStoreOptions, type StoreOptions } from '../../src/impl/storage/index.ts';
import { errorCode } from '../../src/impl/storage/errors.ts';
import { fakeEnv } from './_fake-env.ts';

describe('StoreOptions', () => {
  it('fills in exactly the documented defaults', () => {
    expect(resolveStoreOptions()).toEqual({
      backend: 'file',
      root: '/store',
      blockSize: 4096,
      maxBlocks: 65536,
      algorithm: 'crc32',
      corruption: 'repair',
      verifyOnOpen: true,
      backpressureBytes: 256 * 4096,
      maxDirtyBytes: 4 * 256 * 4096,
      relaxedCommits: false,
      variant: '',
    });
    expect(resolveStoreOptions({ backend: 'kv' }).root).toBe('store');
    expect(resolveStoreOptions({ blockSize: 64 }).backpressureBytes).toBe(256 * 64);
    expect(resolveStoreOptions({ backpressureBytes: 1000, blockSize: 16 }).maxDirtyBytes).toBe(4000);
  });

  it('keeps what the caller set', () => {
    const o: StoreOptions = {
      backend: 'kv',
      root: 'tabs.db-1',
      blockSize: 16,
      maxBlocks: 1,
      algorithm: 'fast',
      corruption: 'report',
      verifyOnOpen: false,
      backpressureBytes: 16,
      maxDirtyBytes: 16,
      relaxedCommits: true,
      variant: 'storage-keep-pending',
    };
    expect(resolveStoreOptions(o)).toEqual(o);
    expect(resolveStoreOptions({ root: '/a/b_c/d.e-f' }).root).toBe('/a/b_c/d.e-f');
    // Another area's variant does not concern the store.
    expect(resolveStoreOptions({ variant: 'election-no-fence' }).variant).toBe('election-no-fence');
  });

  it('accepts the limits themselves', () => {
    expect(resolveStoreOptions({ blockSize: STORE_LIMITS.blockSizeMin }).blockSize).toBe(16);
    expect(resolveStoreOptions({ blockSize: STORE_LIMITS.blockSizeMax }).blockSize).toBe(1 << 20);
    expect(resolveStoreOptions({ maxBlocks: STORE_LIMITS.maxBlocksMax }).maxBlocks).toBe(1 << 24);
  });

  it.each<[StoreOptions, string]>([
    [{ backend: 'disk' as 'file' }, "StoreOptions.backend: expected 'file' or 'kv', got 'disk'"],
    [{ root: 'store' }, "StoreOptions.root: 'store' is not an absolute path like /store"],
    [{ root: '/' }, "StoreOptions.root: '/' is not an absolute path like /store"],
    [{ root: '/a b' }, "StoreOptions.root: '/a b' is not an absolute path like /store"],
    [{ root: '/a/' }, "StoreOptions.root: '/a/' is not an absolute path like /store"],
    [{ root: 'x/a' }, "StoreOptions.root: 'x/a' is not an absolute path like /store"],
    [{ backend: 'kv', root: '/store' }, "StoreOptions.root: '/store' is not a simple name like store"],
    [{ backend: 'kv', root: 'a b' }, "StoreOptions.root: 'a b' is not a simple name like store"],
    [{ backend: 'kv', root: 'a/' }, "StoreOptions.root: 'a/' is not a simple name like store"],
    [{ blockSize: 15 }, 'StoreOptions.blockSize: expected an integer in 16..1048576, got 15'],
    [{ blockSize: (1 << 20) + 1 }, 'StoreOptions.blockSize: expected an integer in 16..1048576, got 1048577'],
    [{ blockSize: 16.5 }, 'StoreOptions.blockSize: expected an integer in 16..1048576, got 16.5'],
    [{ maxBlocks: 0 }, 'StoreOptions.maxBlocks: expected an integer in 1..16777216, got 0'],
    [{ maxBlocks: (1 << 24) + 1 }, 'StoreOptions.maxBlocks: expected an integer in 1..16777216, got 16777217'],
    [{ algorithm: 'md5' as 'crc32' }, "StoreOptions.algorithm: expected one of crc32, fast, got 'md5'"],
    [{ corruption: 'ignore' as 'repair' }, "StoreOptions.corruption: expected 'report' or 'repair', got 'ignore'"],
    [{ blockSize: 16, backpressureBytes: 15 }, 'StoreOptions.backpressureBytes: expected an integer in 16..9007199254740991, got 15'],
    [{ blockSize: 16, backpressureBytes: 32, maxDirtyBytes: 31 }, 'StoreOptions.maxDirtyBytes: expected an integer in 32..9007199254740991, got 31'],
  ])('refuses %j: %s', (o, message) => {
    expect(() => resolveStoreOptions(o)).toThrow(new RangeError(message));
  });

  it('refuses an unknown storage variant, listing the known ones', () => {
    expect(() => resolveStoreOptions({ variant: 'storage-nope' })).toThrow(/^StoreOptions\.variant: unknown storage variant 'storage-nope' \(known: storage-[a-z-]+(, storage-[a-z-]+)+\)$/);
  });

  it('refuses to open a store with a different block size or algorithm than it was created with', async () => {
    const env = fakeEnv();
    const s = await BlockStore.open(env, { blockSize: 64 });
    s.write(1, new Uint8Array(64).fill(1));
    await s.forceSync();
    await expect(BlockStore.open(fakeEnv(env), { blockSize: 128 })).rejects.toThrow(/^EINVAL: options\.blockSize 128 differs from the store's/);
    await expect(BlockStore.open(fakeEnv(env), { blockSize: 64, algorithm: 'fast' })).rejects.toThrow(/^EINVAL: options\.algorithm 'fast' differs from the store's/);
    await expect(BlockStore.open(fakeEnv(env), { blockSize: 64, algorithm: 'fast' })).rejects.toMatchObject({ name: 'StoreError', code: 'EINVAL' });
  });
});

describe('store errors', () => {
  it('carry code, name and a message that starts with the code', () => {
    const e = new StoreError('ELIMIT', 'too many dirty bytes');
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message]).toEqual(['StoreError', 'ELIMIT', 'ELIMIT: too many dirty bytes']);
    const f = new FencedError(2, 5);
    expect(f).toBeInstanceOf(StoreError);
    expect([f.name, f.code, f.epoch, f.highestEpoch, f.message]).toEqual(['FencedError', 'EFENCED', 2, 5, "EFENCED: epoch 2 is lower than the store's highest epoch 5"]);
    const r = new RequestAppliedError('req-7', { commit: 4, epoch: 1, result: { ok: true } });
    expect(r).toBeInstanceOf(StoreError);
    expect([r.name, r.code, r.requestId, r.applied.commit, r.message]).toEqual(['RequestAppliedError', 'EAPPLIED', 'req-7', 4, "EAPPLIED: request 'req-7' was applied by commit 4"]);
  });

  it.each<[unknown, string]>([
    [new StoreError('ENOSPC', 'x'), 'ENOSPC'],
    [Object.assign(new Error('disk'), { code: 'EROFS' }), 'EROFS'],
    [{ code: 'EBUSY' }, 'EBUSY'],
    [{ code: 7 }, 'EIO'],
    [new Error('plain'), 'EIO'],
    [null, 'EIO'],
    ['ENOENT', 'EIO'],
    [undefined, 'EIO'],
  ])('errorCode(%j) is %s', (e, code) => {
    expect(errorCode(e)).toBe(code);
  });
});

describe('SyncPolicy', () => {
  it.each([
    [{ intervalMs: -1 }, 'SyncPolicy.intervalMs: expected a non-negative number, got -1'],
    [{ debounceMs: Number.NaN }, 'SyncPolicy.debounceMs: expected a non-negative number, got NaN'],
    [{ maxDirtyBytes: Number.POSITIVE_INFINITY }, 'SyncPolicy.maxDirtyBytes: expected a non-negative number, got Infinity'],
    [{ maxDirtyBlocks: 0 }, 'SyncPolicy.maxDirtyBlocks: expected at least 1, got 0'],
  ])('refuses %j', async (policy, message) => {
    const env = fakeEnv();
    const store = await BlockStore.open(env, { blockSize: 64 });
    expect(() => new AutoSync(env, store, policy)).toThrow(new RangeError(message));
  });

  it('accepts zeros where they mean "off" or "at once"', async () => {
    const env = fakeEnv();
    const store = await BlockStore.open(env, { blockSize: 64 });
    expect(() => new AutoSync(env, store, { intervalMs: 0, debounceMs: 0, maxDirtyBytes: 0, maxDirtyBlocks: 1 }).stopTimers()).not.toThrow();
  });
});

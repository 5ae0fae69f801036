/**
 * The block store's API contract for bad input and failures: every option is validated with the field
 * named and the accepted range given, the defaults are exactly the documented ones, and the error classes
 * carry their code, name and message (callers and the scenarios' retry logic branch on `code`).
 */
import { describe, expect, it } from 'vitest';
import { AutoSync, BlockStore, FencedError, RequestAppliedError, STORE_LIMITS, StoreError, resolveStoreOptions, type StoreOptions } from '../../src/impl/storage/index.ts';
import { errorCode } from '../../src/impl/storage/errors.ts';
import { onePath, STABLE_POLICY, stableRead, TRANSIENT_POLICY } from '../../src/impl/storage/stable-read.ts';
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

describe('stableRead: the exact read sequence and verdicts', () => {
  const good = new Uint8Array([1, 2, 3, 4]);
  const bad = new Uint8Array([9, 9, 9, 9]);
  const check = (b: Uint8Array): number | undefined => (b[0] === 1 ? 1 : undefined);
  /** Paths that answer from scripted lists and log which path was read. */
  function scripted(primary: (Uint8Array | null)[], independent: (Uint8Array | null)[]) {
    const log: string[] = [];
    const paths = {
      primary: async () => (log.push('p'), primary.length > 1 ? primary.shift()! : primary[0]!),
      independent: async () => (log.push('i'), independent.length > 1 ? independent.shift()! : independent[0]!),
    };
    return { paths, log };
  }
  // 4-byte items need max(3, 1 + ceil(40 / log2(32))) = 9 identical failing reads, with 2 * 9 + 2 = 20 attempts.
  it('confirms damage at rest only after the needed identical failures through both paths, alternating', async () => {
    expect(STABLE_POLICY.confirmations(4)).toBe(9);
    expect(STABLE_POLICY.confirmations(4096)).toBe(4);
    expect(STABLE_POLICY.confirmations(1)).toBe(15);
    expect(STABLE_POLICY.attempts(9)).toBe(20);
    const { paths, log } = scripted([bad], [bad]);
    expect(await stableRead(paths, check)).toEqual({ kind: 'bad' });
    expect(log.join('')).toBe('pipipipip');
  });
  it('is ok at the first good read, on either path, and missing when the item is gone', async () => {
    const a = scripted([bad], [good]);
    expect(await stableRead(a.paths, check)).toEqual({ kind: 'ok', value: 1 });
    expect(a.log.join('')).toBe('pi');
    const b = scripted([null], [good]);
    expect(await stableRead(b.paths, check)).toEqual({ kind: 'missing' });
    expect(b.log).toEqual(['p']);
  });
  it('is suspect when failures repeat on one path only, after exactly the attempt budget', async () => {
    let n = 0;
    const log: string[] = [];
    const paths = {
      primary: async () => (log.push('p'), bad),
      independent: async () => (log.push('i'), new Uint8Array([7, 7, 7, n++ & 255])),
    };
    // The primary path repeats the same wrong bytes 10 times; the independent one never agrees: no 'bad'.
    expect(await stableRead(paths, check)).toEqual({ kind: 'suspect' });
    expect(log).toHaveLength(20);
  });
  it('is unstable when no failing bytes ever repeat', async () => {
    let n = 0;
    const fresh = async () => new Uint8Array([9, 9, 9, n++ & 255]);
    const r = await stableRead({ primary: fresh, independent: fresh }, check);
    expect(r).toEqual({ kind: 'unstable' });
    expect(n).toBe(20);
  });
  it('the transient policy (a weakened variant) reads one path and calls two agreeing failures damage', async () => {
    const { paths, log } = scripted([bad], [good]);
    expect(await stableRead(paths, check, TRANSIENT_POLICY)).toEqual({ kind: 'bad' });
    expect(log.join('')).toBe('pp');
    const one = onePath(async () => bad);
    expect(await one.primary()).toBe(await one.independent());
  });
});

describe('the write path refuses bad input and closed stores', () => {
  const BS = 64;
  const data = (v: number) => new Uint8Array(BS).fill(v);
  it('takes ids 0..maxBlocks-1 only, and epochs that are non-negative integers', async () => {
    const s = await BlockStore.open(fakeEnv(), { blockSize: BS, maxBlocks: 4 });
    expect(() => s.write(3, data(1))).not.toThrow();
    expect(() => s.write(0, data(1))).not.toThrow();
    for (const id of [4, -1, 1.5, Number.NaN]) expect(() => s.write(id, data(1))).toThrow(`EINVAL: id: expected an integer in 0..3, got ${String(id)}`);
    expect(() => s.write(1, data(1), { epoch: 0 })).not.toThrow();
    for (const epoch of [-1, 0.5]) expect(() => s.write(1, data(1), { epoch })).toThrow(/^EINVAL: epoch: expected a non-negative integer/);
  });
  it('counts an overwrite of a dirty block once against maxDirtyBytes, and refuses the write that would exceed it', async () => {
    const s = await BlockStore.open(fakeEnv(), { blockSize: BS, backpressureBytes: BS, maxDirtyBytes: 2 * BS });
    s.write(1, data(1));
    s.write(2, data(2));
    expect(() => s.write(2, data(3))).not.toThrow(); // the same block again: no growth
    expect(() => s.deallocate(1)).not.toThrow(); // a dealloc of a dirty block shrinks it
    expect(() => s.write(3, data(4))).not.toThrow();
    expect(() => s.write(4, data(5))).toThrow(/^ELIMIT: dirty data would exceed maxDirtyBytes 128/);
    expect(s.metrics().dirtyBytes).toBe(2 * BS);
  });
  it('refuses everything once closed, with ECLOSED', async () => {
    const s = await BlockStore.open(fakeEnv(), { blockSize: BS });
    await s.close();
    expect(() => s.write(1, data(1))).toThrow('ECLOSED: the store was shut down');
    await expect(s.forceSync()).rejects.toThrow('ECLOSED: the store was shut down');
  });
});

describe('AutoSync shutdown', () => {
  it('drains what is dirty, then neither commits nor accepts forceSync', async () => {
    const env = fakeEnv();
    const store = await BlockStore.open(env, { blockSize: 64 });
    const auto = new AutoSync(env, store, { intervalMs: 5, maxDirtyBlocks: 1, debounceMs: 0 });
    store.write(1, new Uint8Array(64).fill(1));
    const info = await auto.drainAndShutdown();
    expect(info.commit).toBe(1);
    await expect(auto.forceSync()).rejects.toThrow('ECLOSED: the AutoSync manager was shut down');
  });
});

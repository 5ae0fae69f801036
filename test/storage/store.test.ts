import { describe, expect, it } from 'vitest';
import { BlockStore, FencedError, crc32, fastHash } from '../../src/impl/storage/index.ts';
import { onePath, STABLE_POLICY, stableRead, TRANSIENT_POLICY } from '../../src/impl/storage/stable-read.ts';
import { fakeEnv } from './_fake-env.ts';

const BS = 64;
const block = (fill: number): Uint8Array => new Uint8Array(BS).fill(fill);

describe('checksums', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
  it('fast hash sees a single flipped bit', () => {
    const a = block(7);
    const b = a.slice();
    b[13]! ^= 4;
    expect(fastHash(a)).not.toBe(fastHash(b));
  });
});

for (const backend of ['file', 'kv'] as const) {
  describe(`block store (${backend} backend)`, () => {
    const open = (env = fakeEnv(), extra = {}) => BlockStore.open(env, { backend, blockSize: BS, ...extra });

    it('commits a batch atomically and reads it back after reopening', async () => {
      const env = fakeEnv();
      const s = await open(env);
      s.write(1, block(1));
      s.write(2, block(2));
      expect(await s.read(1)).toEqual(block(1)); // read-your-writes before commit
      expect(await s.read(1, { committedOnly: true })).toBeNull();
      const info = await s.forceSync();
      expect(info).toEqual({ commit: 1, blocks: 2 });
      const again = await open(fakeEnv(env));
      expect(again.commitMarker()).toBe(1);
      expect(await again.read(2)).toEqual(block(2));
      expect(again.stat(1)?.version).toBe(1);
    });

    it('bumps version and last-modified on a same-data write, and only for touched blocks', async () => {
      const s = await open();
      s.write(1, block(1));
      s.write(2, block(2));
      await s.sync();
      const before2 = s.stat(2)!;
      s.write(1, block(1));
      await s.sync();
      expect(s.stat(1)!.version).toBe(2);
      expect(s.stat(1)!.lastModifiedMs).toBeGreaterThan(before2.lastModifiedMs);
      expect(s.stat(2)).toEqual(before2);
    });

    it('keeps tombstones across reopen and never resurrects a deallocated block', async () => {
      const env = fakeEnv();
      const s = await open(env);
      s.write(3, block(3));
      await s.sync();
      s.deallocate(3);
      await s.sync();
      const again = await open(fakeEnv(env));
      expect(await again.read(3)).toBeNull();
      expect(again.isTombstoned(3)).toBe(true);
      expect(again.blockIds()).toEqual([]);
    });

    it('fences a lower epoch on write and on commit, and records the epoch durably', async () => {
      const env = fakeEnv();
      const s = await open(env);
      s.write(1, block(1), { epoch: 5 });
      await s.forceSync();
      expect(s.highestEpoch()).toBe(5);
      expect(() => s.write(1, block(9), { epoch: 4 })).toThrow(FencedError);
      const again = await open(fakeEnv(env));
      expect(again.highestEpoch()).toBe(5);
      expect(await again.readDurableEpoch()).toBe(5);
      // A second instance moves the epoch on; the first one's next commit is fenced, never silently applied.
      again.write(2, block(2), { epoch: 6 });
      await again.forceSync();
      s.write(1, block(8), { epoch: 5 });
      await expect(s.forceSync()).rejects.toBeInstanceOf(FencedError);
      const third = await open(fakeEnv(env));
      expect(await third.read(1)).toEqual(block(1));
      expect(() => s.write(1, block(8))).toThrow(FencedError);
    });

    it('rejects a bad block size, id and option with the field named', async () => {
      const s = await open();
      expect(() => s.write(1, new Uint8Array(3))).toThrow(/data: expected 64 bytes/);
      expect(() => s.write(-1, block(1))).toThrow(/id: expected an integer/);
      await expect(BlockStore.open(fakeEnv(), { backend, blockSize: 3 })).rejects.toThrow(/StoreOptions.blockSize/);
    });

    it('signals backpressure above the bound and refuses beyond the hard limit', async () => {
      const s = await open(fakeEnv(), { backpressureBytes: 2 * BS, maxDirtyBytes: 4 * BS });
      const events: string[] = [];
      s.subscribe((e) => e.type === 'backpressure' && events.push(e.on ? 'on' : 'off'));
      expect(s.write(0, block(0)).backpressure).toBe(false);
      s.write(1, block(1));
      expect(s.write(2, block(2)).backpressure).toBe(true);
      s.write(3, block(3));
      expect(() => s.write(4, block(4))).toThrow(/ELIMIT/);
      const waited = s.waitForCapacity();
      await s.sync();
      await waited;
      expect(events).toEqual(['on', 'off']);
      expect(s.metrics()).toMatchObject({ dirtyCount: 0, dirtyBytes: 0, commits: 1, bytesCommitted: 4 * BS });
    });
  });
}

describe('block store (file backend): recovery and faults', () => {
  const open = (env = fakeEnv(), extra = {}) => BlockStore.open(env, { blockSize: BS, ...extra });

  it('rolls back pending metadata the marker never reached and deletes its stray files', async () => {
    const env = fakeEnv();
    const s = await open(env);
    s.write(1, block(1));
    await s.sync();
    // Simulate a crash after step 2 of commit 2: block file and pending metadata exist, marker at 1.
    const pending = env.files.get('/store/meta.json')!;
    env.files.set('/store/blocks/2.2', block(2));
    env.files.set('/store/blocks/1.2', block(9));
    env.files.set('/store/pending.json', pending); // any pending doc; commit 1 <= marker: cleaned up
    const again = await open(fakeEnv(env));
    expect(again.commitMarker()).toBe(1);
    expect([...env.files.keys()].filter((k) => k.startsWith('/store/blocks/'))).toEqual(['/store/blocks/1.1']);
    expect(env.files.has('/store/pending.json')).toBe(false);
  });

  it('deletes invalid-sized block files and repairs a rotten block from its previous version', async () => {
    const env = fakeEnv();
    const s = await open(env);
    s.write(1, block(1));
    await s.sync();
    s.write(1, block(2));
    await s.sync();
    env.files.set('/store/blocks/1.2', block(2).fill(0xff, 0, 3)); // rot in the current version
    env.files.set('/store/blocks/7.1', new Uint8Array(5)); // wrong size, unknown block
    const again = await open(fakeEnv(env));
    expect(again.stat(1)!.version).toBe(1);
    expect(await again.read(1)).toEqual(block(1));
    expect(env.files.has('/store/blocks/7.1')).toBe(false);
    const reported = await open(fakeEnv(env), {});
    expect(reported.summary().corrupt).toEqual([]);
  });

  it('reports (and never returns) a rotten block in report mode', async () => {
    const env = fakeEnv();
    const s = await open(env);
    s.write(1, block(1));
    await s.sync();
    env.files.set('/store/blocks/1.1', block(3));
    const again = await open(fakeEnv(env), { corruption: 'report' });
    expect(again.summary().corrupt).toEqual([1]);
    await expect(again.read(1)).rejects.toThrow(/ECHECKSUM/);
  });

  it('gives the caller ENOSPC during a commit and loses nothing committed; the retry commits everything', async () => {
    const env = fakeEnv();
    const s = await open(env);
    s.write(1, block(1));
    await s.sync();
    s.write(1, block(2));
    s.write(2, block(2));
    env.failNext('write', 'ENOSPC');
    const events: string[] = [];
    s.subscribe((e) => events.push(e.type === 'sync-failure' ? `${e.type} ${e.code}` : e.type));
    await expect(s.forceSync()).rejects.toThrow(/ENOSPC/);
    expect(events).toEqual(['sync-start', 'sync-failure ENOSPC']);
    expect(s.metrics().errorRate).toBe(0.5);
    expect(env.records.filter((r) => r.kind === 'store.metrics').at(-1)!.data).toMatchObject({ commits: 1, failed: 1, errorRate: 0.5 });
    expect(await s.read(1, { committedOnly: true })).toEqual(block(1));
    expect(await open(fakeEnv(env)).then((r) => r.read(1))).toEqual(block(1));
    await s.forceSync();
    const again = await open(fakeEnv(env));
    expect(await again.read(1)).toEqual(block(2));
    expect(await again.read(2)).toEqual(block(2));
    // The retry rewrote the same (block, version) names: one file per version, nothing left over.
    expect([...env.files.keys()].filter((k) => k.startsWith('/store/blocks/')).sort()).toEqual(['/store/blocks/1.1', '/store/blocks/1.2', '/store/blocks/2.2']);
  });

  it('retries a batch whose data stage failed', async () => {
    const env = fakeEnv();
    const s = await open(env);
    s.write(1, block(1));
    env.failNext('fsyncDir', 'EIO'); // 1st fsyncDir of the commit: blocks/ in step 3
    await expect(s.sync()).rejects.toThrow(/EIO/);
    s.write(2, block(2));
    await s.forceSync();
    expect(s.commitMarker()).toBe(1);
    expect(await s.read(1, { committedOnly: true })).toEqual(block(1));
  });

  it('recovers in place when the marker step fails after its rename, without double-applying the batch', async () => {
    const env = fakeEnv();
    const s = await open(env);
    s.write(1, block(1));
    env.failNext('fsyncDir', 'EIO', 2); // blocks/, root/, then root/ after the marker rename fails
    await expect(s.sync()).rejects.toThrow(/EIO/);
    s.write(2, block(2));
    await s.forceSync();
    expect(s.commitMarker()).toBe(2);
    expect(s.stat(1)!.version).toBe(1); // commit 1 took effect; block 1 was not written again
    expect(s.stat(2)!.version).toBe(2);
    expect(env.records.map((r) => r.kind)).toContain('store.recover.finalize');
  });
});

describe('stable reads tell rot from flaky reads', () => {
  const reader = (seq: (Uint8Array | null)[]) => {
    let i = 0;
    return async (): Promise<Uint8Array | null> => seq[Math.min(i++, seq.length - 1)]!;
  };
  /** Reads alternate primary, independent, primary...: `seq` lists them in that order. */
  const both = (seq: (Uint8Array | null)[]) => {
    const next = reader(seq);
    return { primary: next, independent: next };
  };
  const good = block(1);
  const check = (b: Uint8Array): true | undefined => (b[0] === 1 && b[5] === 1 ? true : undefined);
  const flipped = (at: number): Uint8Array => {
    const b = good.slice();
    b[at]! ^= 1;
    return b;
  };
  /** Eight failing reads, all different. */
  const flaky = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? flipped(0) : flipped(5)).map((x, k) => (k === 9 ? i : x)));

  it('accepts a good read after flipped ones', async () => {
    expect((await stableRead(both([flipped(0), flipped(5), good]), check)).kind).toBe('ok');
  });
  it('calls the same failing bytes three times, through both read paths, damage at rest', async () => {
    expect((await stableRead(both([flipped(0), flipped(0), flipped(0)]), check)).kind).toBe('bad');
    expect((await stableRead(both([flipped(0), flipped(5), flipped(0), flipped(0)]), check)).kind).toBe('bad');
  });
  it('does not take two flips that happen to agree for damage (storage-bit-rot-read seed 300184)', async () => {
    // The same wrong bytes twice, then a good read: the old rule (two identical failing reads) said 'bad'.
    expect((await stableRead(both([flipped(0), flipped(0), good]), check)).kind).toBe('ok');
    expect((await stableRead(both([flipped(0), flipped(0), good]), check, TRANSIENT_POLICY)).kind).toBe('bad');
    // Failing bytes that repeat only through one path, the other path never agreeing: 'suspect', no verdict.
    const onePathOnly = { primary: async () => flipped(0), independent: reader(flaky) };
    expect((await stableRead(onePathOnly, check)).kind).toBe('suspect');
  });
  it('needs more identical reads of a smaller item (odds of a chance agreement 2^-40 at most)', async () => {
    expect(STABLE_POLICY.confirmations(4096)).toBe(4);
    expect(STABLE_POLICY.confirmations(64)).toBe(6);
    expect(STABLE_POLICY.confirmations(16)).toBe(7);
    // Five identical failing reads of a 64-byte block (six needed), then a good one: not damage.
    let n = 0;
    const fiveThenGood = onePath(async () => (n++ < 5 ? flipped(0) : good));
    expect((await stableRead(fiveThenGood, check)).kind).toBe('ok');
  });
  it('gives no verdict when every read differs and none verifies', async () => {
    expect((await stableRead(both(flaky), check)).kind).toBe('unstable');
    expect((await stableRead(onePath(reader(flaky)), check)).kind).toBe('unstable');
  });
  it('reports a missing item', async () => {
    expect((await stableRead(both([null]), check)).kind).toBe('missing');
  });
});

/**
 * Both checksum algorithms, on both backends: a store created with `algorithm: 'fast'` commits, reopens
 * and verifies with it, and detects rot with it (the algorithm is fixed for the life of a store); startup
 * verification reports rot (report mode) or rolls the block back to its previous version (repair mode).
 */
import { describe, expect, it } from 'vitest';
import { BlockStore, crc32, fastHash } from '../../src/impl/storage/index.ts';
import { fakeEnv, type FakeEnv } from './_fake-env.ts';

const BS = 64;
const block = (fill: number): Uint8Array => new Uint8Array(BS).fill(fill);

/** Flips one byte of block `id` version `v` on the medium, whichever backend holds it. */
function rot(env: FakeEnv, backend: 'file' | 'kv', id: number, v: number): void {
  if (backend === 'file') {
    const bytes = env.files.get(`/store/blocks/${id}.${v}`)!;
    bytes[0] = bytes[0]! ^ 0xff;
    return;
  }
  const bytes = env.kvData.get('store:blocks')!.get(`${id}.${v}`) as Uint8Array;
  bytes[0] = bytes[0]! ^ 0xff;
}

for (const backend of ['file', 'kv'] as const) {
  for (const algorithm of ['crc32', 'fast'] as const) {
    describe(`${backend} backend, ${algorithm} checksums`, () => {
      const options = { backend, blockSize: BS, algorithm };

      it('a block rotten after open fails its read with ECHECKSUM after two tries, counted and traced; a missing one is ECORRUPT', async () => {
        const env = fakeEnv();
        const s = await BlockStore.open(env, options);
        s.write(1, block(1));
        s.write(2, block(2));
        await s.forceSync();
        rot(env, backend, 1, 1);
        const e = await s.read(1).catch((x: unknown) => x);
        expect(e).toMatchObject({ code: 'ECHECKSUM', message: expect.stringMatching(/block 1 v1 failed its checksum twice/) });
        expect(s.metrics().checksumFailures).toBe(2);
        expect(env.records.filter((r) => r.kind === 'store.checksum.fail').map((r) => r.data)).toEqual([
          { id: 1, v: 1, attempt: 0 },
          { id: 1, v: 1, attempt: 1 },
        ]);
        if (backend === 'file') env.files.delete('/store/blocks/2.1');
        else env.kvData.get('store:blocks')!.delete('2.1');
        await expect(s.read(2)).rejects.toMatchObject({ code: 'ECORRUPT', message: expect.stringMatching(/block 2 v1 is missing/) });
      });

      it('commits, reopens with verification and reads back', async () => {
        const env = fakeEnv();
        const s = await BlockStore.open(env, options);
        for (let id = 0; id < 4; id++) s.write(id, block(id + 1));
        await s.forceSync();
        const again = await BlockStore.open(fakeEnv(env), { ...options, verifyOnOpen: true });
        expect(again.summary()).toMatchObject({ commit: 1, blocks: 4, corrupt: [] });
        for (let id = 0; id < 4; id++) expect(await again.read(id)).toEqual(block(id + 1));
        // The metadata holds this algorithm's checksum (the two differ on these bytes).
        const sum = algorithm === 'fast' ? fastHash(block(1)) : crc32(block(1));
        expect(again.stat(0)!.checksum).toBe(sum);
        expect(fastHash(block(1))).not.toBe(crc32(block(1)));
      });

      it('finds a flipped byte on the medium at open (report mode) and never returns it', async () => {
        const env = fakeEnv();
        const s = await BlockStore.open(env, options);
        s.write(1, block(1));
        s.write(2, block(2));
        await s.forceSync();
        rot(env, backend, 2, 1);
        const again = await BlockStore.open(fakeEnv(env), { ...options, verifyOnOpen: true, corruption: 'report' });
        expect(again.summary().corrupt).toEqual([2]);
        expect(await again.read(1)).toEqual(block(1));
        await expect(again.read(2)).rejects.toThrow(/ECHECKSUM/);
        // Rewritten and committed, the block has a new, intact version: it reads again (it kept failing).
        again.write(2, block(7));
        await again.forceSync();
        expect(await again.read(2)).toEqual(block(7));
        expect(again.summary().corrupt).toEqual([]);
      });

      it('repairs a rotten current version from the previous one at open (repair mode), durably', async () => {
        const env = fakeEnv();
        const s = await BlockStore.open(env, options);
        s.write(1, block(1));
        await s.forceSync();
        s.write(1, block(2));
        await s.forceSync();
        rot(env, backend, 1, 2);
        const repaired = await BlockStore.open(fakeEnv(env), { ...options, verifyOnOpen: true, corruption: 'repair' });
        expect(repaired.summary().corrupt).toEqual([]);
        expect(repaired.stat(1)!.version).toBe(1);
        expect(await repaired.read(1)).toEqual(block(1));
        // The repair was committed: a later open (no verification) sees version 1, not the rotten 2.
        const later = await BlockStore.open(fakeEnv(env), { ...options, verifyOnOpen: false });
        expect(later.stat(1)!.version).toBe(1);
        expect(await later.read(1)).toEqual(block(1));
      });
    });
  }
}

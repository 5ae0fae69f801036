/**
 * The block store (src/impl/storage), written only against Env, on the real runtime: both backends
 * (files with renames and directory fsyncs; the kv store) survive a close and reopen of the env.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { EnvPool, tempDir, within } from './helpers.ts';

const block = (fill: number): Uint8Array => new Uint8Array(64).fill(fill);

describe.each(['file', 'kv'] as const)('the block store on the real runtime (%s backend)', (backend) => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  const open = async (): Promise<BlockStore> => {
    const h = await pool.create({ nodeId: 'n', dataDir: dir.path });
    return within(5000, 'BlockStore.open', BlockStore.open(h.env, { backend, blockSize: 64, maxBlocks: 128 }));
  };

  it('keeps every force-synced commit across a restart, and the unsynced write is not half there', async () => {
    let store = await open();
    for (let id = 0; id < 10; id++) store.write(id, block(id + 1));
    await within(5000, 'forceSync', store.forceSync());
    store.write(3, block(99));
    store.deallocate(4);
    await within(5000, 'forceSync', store.forceSync());
    const before = store.summary();
    store.write(5, block(77)); // never synced
    await pool.closeAll();

    store = await open();
    const after = store.summary();
    expect(after.commit).toBe(before.commit);
    expect(after.digest).toBe(before.digest);
    expect(after.corrupt).toEqual([]);
    expect(await store.read(3)).toEqual(block(99));
    expect(await store.read(4)).toBeNull();
    expect(await store.read(5)).toEqual(block(6));
  });
});

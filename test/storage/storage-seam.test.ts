/**
 * The storage seam (docs/storage.md, "Plugging in another block store"): the stock storage scenarios run a
 * plugged-in block store through `withImplementations`. The built-in store plugged in gives the stock
 * traces; flawed "third-party" stores are caught by the stock checks, which read only the trace and the
 * simulator's durable image; a factory that yields no store fails the run naming the seam.
 */
import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../src/impl/storage/store.ts';
import { builtInStorage, type BlockStorageFactory } from '../../src/impl/storage/seam.ts';
import { stockScenarios, withImplementations } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { expectStockHashes, plugged as pluggedInto } from '../scenario/seam-testing.ts';
import { eagerAckStorage } from './eager-ack-store.ts';
import { staleCacheStorage } from './stale-cache-store.ts';

const storage = await stockScenarios('storage');
const plugged = (name: string, label: string, factory: BlockStorageFactory): Scenario => pluggedInto(storage, name, label, { storage: factory });

describe('storage seam', () => {
  it('every stock storage scenario builds its store through the seam', () => {
    expect(storage.length).toBeGreaterThan(20);
    for (const s of storage) expect(s.seams, s.name).toContain('storage');
  });

  it('the built-in store plugged in gives the stock trace hashes', async () => {
    // A scripted crash scenario (storeProgram), both fencing tabs (their own program), a swarm (AutoSync
    // over the seam), and the shared kv store whose tabs reopen through the seam.
    await expectStockHashes(storage, ['storage-power-loss-after-ack', 'storage-fencing-two-tabs-kv', 'storage-swarm-kv'], { storage: builtInStorage }, [0, 1]);
    await expectStockHashes(storage, ['storage-shared-open-kv'], { storage: builtInStorage }, [0]);
  }, 30_000);

  it('a store acknowledging forceSync when its commit starts is caught by the recovery model (ackDurable)', async () => {
    for (const [name, seed] of [['storage-power-loss-after-ack', 0], ['storage-swarm-kv', 1], ['storage-shared-open-kv', 0]] as const) {
      const r = await runScenario(plugged(name, 'eager-ack', eagerAckStorage), seed);
      expect(r.verdict, name).toBe('correctness');
      expect(r.failure?.check, name).toBe('model:recovery');
      expect(r.failure?.message, name).toMatch(/ackDurable: forceSync acknowledged commit \d+/);
    }
  });

  it('a store whose read cache outlives commits is caught by invariant:read-returns-committed-data', async () => {
    // Found only where a verified read falls between a write and its commit and another after it: the
    // swarms' random workloads, on some seeds (file 6, kv 4; seeds 0-3 of both pass).
    for (const [name, seed] of [['storage-swarm-kv', 4], ['storage-swarm-file', 6]] as const) {
      const r = await runScenario(plugged(name, 'stale-cache', staleCacheStorage), seed);
      expect(r.verdict, name).toBe('correctness');
      expect(r.failure?.check, name).toBe('invariant:read-returns-committed-data');
    }
  });

  it('a store that ignores StoreOptions.root (writes outside the evidence contract) fails, never passes', async () => {
    const elsewhere: BlockStorageFactory = (env, o) => BlockStore.open(env, { ...o, root: o.backend === 'kv' ? 'data' : '/data' });
    for (const name of ['storage-power-loss-after-ack', 'storage-kv-crash-after-commit']) {
      const r = await runScenario(plugged(name, 'elsewhere', elsewhere), 0);
      expect(r.verdict, name).toBe('correctness');
      expect(r.failure?.check, name).toBe('model:recovery');
      expect(r.failure?.message, name).toMatch(/markerDurable/);
    }
  });

  it('a factory that yields no BlockStorage fails the run naming the seam', async () => {
    const notAStore = (async () => 42) as unknown as BlockStorageFactory;
    const r = await runScenario(plugged('storage-power-loss-after-ack', 'bad', notAStore), 0);
    expect(r.verdict).toBe('crash');
    expect(r.failure?.message).toMatch(/storage seam: the BlockStorageFactory resolved to number, not a BlockStorage/);

    const partial = (async () => ({ write() {}, read() {} })) as unknown as BlockStorageFactory;
    const p = await runScenario(plugged('storage-fencing-two-tabs-kv', 'partial', partial), 0);
    expect(p.verdict).toBe('crash');
    expect(p.failure?.message).toMatch(/storage seam: the BlockStorageFactory's store lacks deallocate, sync, forceSync, highestEpoch, close, subscribe, metrics/);

    // The class itself instead of a factory (a function too, so withImplementations takes it).
    const c = await runScenario(plugged('storage-swarm-kv', 'class', BlockStore as unknown as BlockStorageFactory), 0);
    expect(c.verdict).toBe('crash');
    expect(c.failure?.message).toMatch(/storage seam: got the class BlockStore, not a BlockStorageFactory: pass \(env, options\) => BlockStore\.open\(env, options\)/);
  });

  it('withImplementations refuses a storage entry that is no factory, or scenarios without the seam', async () => {
    expect(() => withImplementations(storage, { label: 'x', storage: {} } as never)).toThrow(/storage must be a BlockStorageFactory \(env, options\) => Promise<BlockStorage>, got object/);
    const peer = await stockScenarios('peer');
    expect(() => withImplementations(peer, { label: 'x', storage: builtInStorage })).toThrow(/builds its nodes through the 'storage' seam/);
  });
});

/**
 * The kv backend's refusals of a damaged or inconsistent store, and the durability of its one-transaction
 * operations: a malformed request record, a marker ahead of its metadata, and the strict transactions of
 * fence and flush (found by mutation testing: each refusal could be removed and each transaction made
 * relaxed with every scenario still passing, because no scenario damages the kv image that way).
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/impl/env.ts';
import { BlockStore, StoreError } from '../../src/impl/storage/index.ts';
import { fakeEnv, type FakeEnv } from './_fake-env.ts';

const KV = { backend: 'kv' as const, blockSize: 16 };

/** The kv object store `name` of the fake env (created empty when missing). */
function store(env: FakeEnv, name: string): Map<string, Value> {
  let m = env.kvData.get(name);
  if (m === undefined) env.kvData.set(name, (m = new Map()));
  return m;
}

/** A kv store on `env` with two commits (marker and metadata both at commit 2). */
async function twoCommits(env: FakeEnv): Promise<void> {
  const s = await BlockStore.open(env, KV);
  for (let k = 0; k < 2; k++) {
    s.write(k, new Uint8Array(16).fill(k + 1));
    await s.forceSync();
  }
  await s.close();
}

/** Records the options of every kv transaction of `env`. */
function spyDurability(env: FakeEnv): { durability: unknown; stores: readonly string[] }[] {
  const seen: { durability: unknown; stores: readonly string[] }[] = [];
  const real = env.kv.transaction.bind(env.kv);
  env.kv.transaction = ((stores, mode, fn, options) => {
    seen.push({ durability: options?.durability, stores });
    return real(stores, mode, fn, options);
  }) as typeof env.kv.transaction;
  return seen;
}

describe('kv backend: request records', () => {
  it('finds a recorded request, returns null for an unknown one, and refuses a malformed record as ECORRUPT', async () => {
    const env = fakeEnv();
    await twoCommits(env);
    const requests = store(env, 'store:requests');
    requests.set('ok', { commit: 2, epoch: 1, result: { value: 'v' } });
    expect(await BlockStore.lookupRequest(env, KV, 'ok')).toEqual({ commit: 2, epoch: 1, result: { value: 'v' } });
    requests.set('no-result', { commit: 2, epoch: 1 });
    expect(await BlockStore.lookupRequest(env, KV, 'no-result')).toEqual({ commit: 2, epoch: 1, result: null });
    expect(await BlockStore.lookupRequest(env, KV, 'absent')).toBeNull();
    const malformed: Value[] = [null, 'text', 7, { commit: '2', epoch: 1 }, { commit: 2 }, { epoch: 1 }, { commit: 2, epoch: '1' }];
    for (const [k, v] of malformed.entries()) {
      requests.set(`bad${k}`, v);
      const e = await BlockStore.lookupRequest(env, KV, `bad${k}`).then(() => null, (x: unknown) => x);
      expect(e, JSON.stringify(v)).toBeInstanceOf(StoreError);
      expect((e as StoreError).code).toBe('ECORRUPT');
      expect((e as StoreError).message).toContain('a request record is malformed');
    }
  });

  it('the kv-only calls name themselves when used on a file store', async () => {
    const env = fakeEnv();
    expect(() => BlockStore.lookupRequest(env, {}, 'x')).toThrow(/^EINVAL: BlockStore\.lookupRequest needs StoreOptions\.backend 'kv'/);
    expect(() => BlockStore.readCommitted(env, {}, 0)).toThrow(/^EINVAL: BlockStore\.readCommitted needs StoreOptions\.backend 'kv'/);
  });
});

describe('kv backend: fence', () => {
  it('raises the epoch of a consistent store in one strict transaction', async () => {
    const env = fakeEnv();
    await twoCommits(env);
    const seen = spyDurability(env);
    expect(await BlockStore.fence(env, KV, 3)).toEqual({ commit: 3, epoch: 3 });
    expect(seen.map((s) => s.durability)).toEqual(['strict']);
    expect(store(env, 'store:meta').get('marker')).toEqual({ commit: 3, epoch: 3 });
  });

  it('fences a store that has no commit yet from the empty metadata', async () => {
    expect(await BlockStore.fence(fakeEnv(), KV, 1)).toEqual({ commit: 1, epoch: 1 });
  });

  it('refuses, as ECORRUPT, a marker that is ahead of its metadata or has none', async () => {
    const env = fakeEnv();
    await twoCommits(env);
    const meta = store(env, 'store:meta');
    meta.set('marker', { commit: 3, epoch: 0 });
    const ahead = await BlockStore.fence(env, KV, 2).then(() => null, (x: unknown) => x);
    expect((ahead as StoreError).code).toBe('ECORRUPT');
    expect((ahead as StoreError).message).toBe('ECORRUPT: marker at commit 3 but metadata at 2: open the store to recover it first');
    store(env, 'store:meta').delete('meta'); // (the fake kv replaced the map when that transaction ended)
    const none = await BlockStore.fence(env, KV, 2).then(() => null, (x: unknown) => x);
    expect((none as StoreError).message).toContain('marker at commit 3 but metadata at none');
  });
});

describe('kv backend: flush', () => {
  it('a forceSync with nothing buffered after relaxed commits flushes them in a strict transaction', async () => {
    const env = fakeEnv();
    const s = await BlockStore.open(env, { ...KV, relaxedCommits: true });
    s.write(0, new Uint8Array(16).fill(9));
    await s.sync();
    const seen = spyDurability(env);
    await s.forceSync();
    expect(seen.some((t) => t.durability === 'strict' && t.stores.includes('store:meta'))).toBe(true);
    await s.close();
  });
});

/**
 * The block store shared by several tabs (kv backend): BlockStore.fence, request ids recorded atomically
 * with a commit, the read-only lookup, and recovery that runs while another tab commits.
 */
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/impl/env.ts';
import { BlockStore, FencedError, RequestAppliedError, StoreError } from '../../src/impl/storage/index.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import { ModelMonitor } from '../../src/model/monitor.ts';
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import { fakeEnv } from './_fake-env.ts';

const BS = 64;
const block = (fill: number): Uint8Array => new Uint8Array(BS).fill(fill);
const KV = { backend: 'kv', blockSize: BS } as const;

describe('BlockStore.fence', () => {
  it('raises the durable epoch in one metadata-only commit; lower epochs are refused everywhere', async () => {
    const env = fakeEnv();
    const a = await BlockStore.open(env, KV);
    a.write(1, block(1), { epoch: 1 });
    await a.forceSync({ epoch: 1 });
    expect(await BlockStore.fence(fakeEnv(env), KV, 3)).toEqual({ commit: 2, epoch: 3 });
    expect(await BlockStore.fence(fakeEnv(env), KV, 3)).toEqual({ commit: 3, epoch: 3 }); // the same epoch again: fine
    const lower = await BlockStore.fence(fakeEnv(env), KV, 2).catch((e: unknown) => e);
    expect(lower).toBeInstanceOf(FencedError);
    expect((lower as FencedError).highestEpoch).toBe(3);
    // The instance opened before the fence is refused at its next commit, inside the transaction.
    a.write(1, block(9), { epoch: 1 });
    await expect(a.forceSync({ epoch: 1 })).rejects.toBeInstanceOf(FencedError);
    // A fresh open sees the epoch, the commit number and the data of before the fence.
    const b = await BlockStore.open(fakeEnv(env), KV);
    expect(b.summary()).toMatchObject({ commit: 3, epoch: 3, blocks: 1 });
    expect(await b.read(1)).toEqual(block(1));
    expect(() => b.write(1, block(5), { epoch: 2 })).toThrow(FencedError);
  });

  it('works on an empty store and is kv-only, naming the option', async () => {
    expect(await BlockStore.fence(fakeEnv(), KV, 1)).toEqual({ commit: 1, epoch: 1 });
    await expect(BlockStore.fence(fakeEnv(), { blockSize: BS }, 1)).rejects.toThrow(/StoreOptions\.backend 'kv'/);
  });
});

describe('request ids', () => {
  it('are recorded with the commit and found by a read-only lookup that opens nothing', async () => {
    const env = fakeEnv();
    const s = await BlockStore.open(env, KV);
    s.write(2, block(2), { epoch: 4 });
    const info = await s.forceSync({ epoch: 4, requests: [{ id: 'r1', result: { value: 'x' } }] });
    const reader = fakeEnv(env);
    const before = JSON.stringify([...env.kvData].map(([k, m]) => [k, [...m.keys()]]));
    expect(await BlockStore.lookupRequest(reader, KV, 'r1')).toEqual({ commit: info.commit, epoch: 4, result: { value: 'x' } });
    expect(await BlockStore.lookupRequest(reader, KV, 'r2')).toBeNull();
    expect(await BlockStore.readCommitted(reader, KV, 2)).toEqual(block(2));
    expect(await BlockStore.readCommitted(reader, KV, 3)).toBeNull();
    expect(reader.records.map((r) => r.kind)).toEqual([]); // no open, no recovery
    expect(JSON.stringify([...env.kvData].map(([k, m]) => [k, [...m.keys()]]))).toBe(before); // nothing written
  });

  it('a commit carrying an applied request id applies nothing and discards its writes', async () => {
    const env = fakeEnv();
    const s = await BlockStore.open(env, KV);
    s.write(1, block(1));
    const first = await s.forceSync({ requests: [{ id: 'r1', result: 'first' }] });
    s.write(1, block(7));
    s.write(2, block(7));
    const dup = await s.forceSync({ requests: [{ id: 'r1', result: 'second' }] }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(RequestAppliedError);
    expect((dup as RequestAppliedError).applied).toEqual({ commit: first.commit, epoch: 0, result: 'first' });
    expect(s.commitMarker()).toBe(first.commit);
    expect(await s.read(1)).toEqual(block(1)); // the retry's writes are gone, not kept dirty
    expect(await s.read(2)).toBeNull();
    // The instance stays usable; the next commit does not carry the discarded writes.
    s.write(3, block(3));
    await s.forceSync({ requests: [{ id: 'r2', result: null }] });
    const again = await BlockStore.open(fakeEnv(env), KV);
    expect(again.blockIds()).toEqual([1, 3]);
  });

  it('a commit found applied is traced as discarded (nothing applied), which the recovery model accepts', async () => {
    // It was traced as a data-stage commit failure after the atomic marker write had begun: the model
    // (markerWriting) cannot take a failure that says the marker write never started.
    const sim = new Simulation({ seed: 3, trace: { keepAll: true } });
    storeEvidence([{ backend: 'kv', root: 'store' }]).install(sim);
    const failures: string[] = [];
    new ModelMonitor(recoveryModel, { fail: (f) => void failures.push(f.message) }).attach(sim.trace);
    let dup: unknown;
    sim.addNode('A', {
      device: 'dev',
      program: async (env: Env) => {
        const s = await BlockStore.open(env, KV);
        s.write(1, block(1));
        await s.forceSync({ requests: [{ id: 'r1', result: 'first' }] });
        s.write(1, block(7));
        dup = await s.forceSync({ requests: [{ id: 'r1', result: 'second' }] }).catch((e: unknown) => e);
        s.write(2, block(2));
        await s.forceSync();
      },
    });
    sim.start('A');
    await sim.run({ untilUs: 1_000_000 });
    expect(dup).toBeInstanceOf(RequestAppliedError);
    const kinds = sim.trace.records()!.map((r) => r.kind);
    expect(kinds).toContain('store.commit.discarded');
    expect(kinds).not.toContain('store.commit.failed');
    expect(failures).toEqual([]);
  });

  it('a refused commit records none of its request ids (same transaction)', async () => {
    const env = fakeEnv();
    const s = await BlockStore.open(env, KV);
    await BlockStore.fence(fakeEnv(env), KV, 5);
    s.write(1, block(1), { epoch: 1 });
    await expect(s.forceSync({ epoch: 1, requests: [{ id: 'lost', result: 1 }] })).rejects.toBeInstanceOf(FencedError);
    expect(await BlockStore.lookupRequest(fakeEnv(env), KV, 'lost')).toBeNull();
  });

  it('need the kv backend and buffered writes', async () => {
    const file = await BlockStore.open(fakeEnv(), { blockSize: BS });
    file.write(1, block(1));
    expect(() => file.forceSync({ requests: [{ id: 'r', result: null }] })).toThrow(/StoreOptions\.backend 'kv'/);
    const kv = await BlockStore.open(fakeEnv(), KV);
    await expect(kv.forceSync({ requests: [{ id: 'r', result: null }] })).rejects.toThrow(StoreError);
  });
});

describe('recovery while another tab commits (simulated kv store)', () => {
  it('never deletes a concurrent commit as strays', async () => {
    const sim = new Simulation({ seed: 11, trace: { keepAll: true } });
    const opts = { ...KV, maxBlocks: 8, verifyOnOpen: false };
    const last = new Map<number, number>();
    let reads: (Uint8Array | null)[] = [];
    let error: unknown;
    const writer = async (env: Env): Promise<void> => {
      const s = await BlockStore.open(env, opts);
      for (let i = 1; i <= 120; i++) {
        s.write(i % 4, block(i % 250));
        await s.forceSync();
        last.set(i % 4, i % 250);
      }
    };
    const opener = async (env: Env): Promise<void> => {
      for (let i = 0; i < 40; i++) await BlockStore.open(env, opts);
    };
    const checker = async (env: Env): Promise<void> => {
      reads = await Promise.all([0, 1, 2, 3].map((id) => BlockStore.readCommitted(env, opts, id)));
    };
    const run = (body: (env: Env) => Promise<void>) => (env: Env) => body(env).catch((e: unknown) => void (error = e));
    sim.addNode('A', { device: 'dev', program: run(writer) });
    sim.addNode('B', { device: 'dev', program: run(opener) });
    sim.addNode('C', { device: 'dev', program: run(checker) });
    sim.start('A');
    sim.start('B');
    await sim.run({ untilUs: 5_000_000 });
    sim.start('C');
    await sim.run({ untilUs: 6_000_000 });
    expect(error).toBeUndefined();
    expect(sim.failure).toBeNull();
    const kinds = sim.trace.records()!.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'store.recover.done').length).toBeGreaterThan(40);
    expect(kinds).toContain('store.recover.restart'); // the race happened and recovery started over
    expect(reads.map((r) => r?.[0])).toEqual([0, 1, 2, 3].map((id) => last.get(id)));
  });

  it("never reports a version the other tab's commits replaced as corrupt (verification starts over too)", async () => {
    // Regression (storage-shared-open-kv): B verified blocks of the metadata it loaded while A's finalize
    // deleted the versions A's newer commits replaced, and reported them corrupt (confirmed).
    const sim = new Simulation({ seed: 12, trace: { keepAll: true } });
    const opts = { ...KV, maxBlocks: 8 };
    let error: unknown;
    const writer = async (env: Env): Promise<void> => {
      const s = await BlockStore.open(env, opts);
      // Blocks 0-6 once (a verification reads them first), then block 7 over and over: each commit's
      // finalize deletes the version of block 7 two commits back.
      for (let id = 0; id < 7; id++) s.write(id, block(id));
      await s.forceSync();
      for (let i = 1; i <= 300; i++) {
        s.write(7, block(i % 250));
        await s.forceSync();
      }
    };
    const opener = async (env: Env): Promise<void> => {
      for (let i = 0; i < 30; i++) {
        const s = await BlockStore.open(env, opts).catch((e: unknown) => {
          if (e instanceof StoreError && e.code === 'ESTALE') return null; // A committed during every attempt
          throw e;
        });
        expect(s?.summary().corrupt ?? []).toEqual([]);
      }
    };
    const run = (body: (env: Env) => Promise<void>) => (env: Env) => body(env).catch((e: unknown) => void (error = e));
    sim.addNode('A', { device: 'dev', program: run(writer) });
    sim.addNode('B', { device: 'dev', program: run(opener) });
    sim.start('A');
    sim.start('B');
    await sim.run({ untilUs: 5_000_000 });
    expect(error).toBeUndefined();
    expect(sim.failure).toBeNull();
    const kinds = sim.trace.records()!.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'store.recover.done').length).toBeGreaterThan(4);
    expect(kinds).toContain('store.recover.restart');
    expect(kinds).not.toContain('store.recover.corrupt');
  });
});

describe('metrics: the dirty counters follow the dirty blocks through every way a commit ends', () => {
  // Every write here is a whole block, so the dirty bytes are the dirty blocks times the block size.
  const consistent = (s: BlockStore): void => {
    const m = s.metrics();
    expect(m.dirtyBytes).toBe(m.dirtyCount * BS);
  };
  /** Resolves once the store traced its `n`th commit's start (its batch is built: later writes are not in it). */
  const begun = async (env: ReturnType<typeof fakeEnv>, n: number): Promise<void> => {
    for (let i = 0; i < 10_000; i++) {
      if (env.records.filter((r) => r.kind === 'store.commit.begin').length >= n) return;
      await Promise.resolve();
    }
    throw new Error(`commit ${n} never began`);
  };

  it('refused (fenced): the batch and the writes made while it ran are dropped, and counted so', async () => {
    const env = fakeEnv();
    const a = await BlockStore.open(env, KV);
    a.write(1, block(1), { epoch: 1 });
    await a.forceSync({ epoch: 1 });
    await BlockStore.fence(fakeEnv(env), KV, 3);
    a.write(1, block(2), { epoch: 1 });
    a.write(2, block(2), { epoch: 1 });
    const commit = a.forceSync({ epoch: 1 }).catch((e: unknown) => e);
    await begun(env, 2);
    a.write(3, block(3), { epoch: 1 }); // while the commit runs
    consistent(a);
    expect(a.metrics().dirtyCount).toBe(3);
    expect(await commit).toBeInstanceOf(FencedError);
    expect(a.metrics()).toMatchObject({ dirtyCount: 0, dirtyBytes: 0 });
  });

  it('discarded (request already applied): the batch goes, a write made while it ran stays dirty', async () => {
    const env = fakeEnv();
    const s = await BlockStore.open(env, KV);
    s.write(1, block(1));
    await s.forceSync({ requests: [{ id: 'r1', result: null }] });
    s.write(1, block(7));
    s.write(2, block(7));
    const dup = s.forceSync({ requests: [{ id: 'r1', result: null }] }).catch((e: unknown) => e);
    await begun(env, 2);
    s.write(4, block(4));
    expect(await dup).toBeInstanceOf(RequestAppliedError);
    expect(s.metrics()).toMatchObject({ dirtyCount: 1, dirtyBytes: BS });
  });

  it('failed: the batch is dirty again, a block written again while it ran counted once', async () => {
    const env = fakeEnv();
    const s = await BlockStore.open(env, { blockSize: BS });
    s.write(1, block(1));
    s.write(2, block(2));
    env.failNext('fsyncDir', 'EIO');
    const commit = s.forceSync().catch((e: unknown) => e);
    await begun(env, 1);
    s.write(2, block(9)); // newer than the batch's block 2
    s.write(5, block(5));
    expect(await commit).toMatchObject({ code: 'EIO' });
    consistent(s);
    expect(s.metrics()).toMatchObject({ dirtyCount: 3, dirtyBytes: 3 * BS, failedCommits: 1 });
    await s.forceSync();
    expect(s.metrics()).toMatchObject({ dirtyCount: 0, dirtyBytes: 0 });
    expect(await s.read(2)).toEqual(block(9));
  });
});

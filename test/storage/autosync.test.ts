/**
 * AutoSync and observability in the simulator: the interval and threshold policies commit without being
 * asked, debounce holds a threshold commit until writes pause, forceSync resolves only once what was
 * written before it is durable, drainAndShutdown leaves nothing dirty, and metrics and events are traced.
 */
import { describe, expect, it } from 'vitest';
import { AutoSync, BlockStore, type StoreEvent, type SyncPolicy } from '../../src/impl/storage/index.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const BS = 512;
const data = (v: number): Uint8Array => new Uint8Array(BS).fill(v);

interface World {
  sim: Simulation;
  records: TraceRecord[];
  handle: () => { store: BlockStore; auto: AutoSync };
}

function world(policy: SyncPolicy, extra: { backpressureBytes?: number; backend?: 'kv'; relaxedCommits?: boolean } = {}): World {
  const sim = new Simulation({ seed: 7 });
  const records: TraceRecord[] = [];
  sim.trace.on('*', (r) => {
    if (r.kind.startsWith('store.') || r.kind.startsWith('autosync.')) records.push(r);
  });
  sim.addNode('S', {
    program: async (env) => {
      const store = await BlockStore.open(env, { blockSize: BS, maxBlocks: 64, ...extra });
      return { store, auto: new AutoSync(env, store, policy) };
    },
  });
  sim.start('S');
  return { sim, records, handle: () => sim.node('S').handle as { store: BlockStore; auto: AutoSync } };
}

const kinds = (w: World, kind: string): TraceRecord[] => w.records.filter((r) => r.kind === kind);

describe('AutoSync', () => {
  it('commits on its interval when dirty, and not when clean', async () => {
    const w = world({ intervalMs: 100, maxDirtyBlocks: 1000 });
    await w.sim.runUntil(10_000);
    w.handle().store.write(1, data(1));
    await w.sim.runUntil(95_000);
    expect(kinds(w, 'store.commit.begin')).toHaveLength(0);
    await w.sim.runUntil(150_000);
    expect(kinds(w, 'store.commit.marker')).toHaveLength(1);
    await w.sim.runUntil(1_000_000);
    expect(kinds(w, 'store.commit.begin')).toHaveLength(1); // nothing dirty since: no empty commits
  });

  it('commits once the dirty-count threshold is crossed, after the debounce', async () => {
    const w = world({ intervalMs: 10_000, maxDirtyBlocks: 3, debounceMs: 20 });
    await w.sim.runUntil(10_000);
    const { store } = w.handle();
    for (let id = 0; id < 3; id++) store.write(id, data(id));
    w.sim.scheduler.at(25_000, () => store.write(3, data(3))); // pushes the debounce back
    await w.sim.runUntil(40_000);
    expect(kinds(w, 'store.commit.begin')).toHaveLength(0);
    await w.sim.runUntil(60_000);
    const begins = kinds(w, 'store.commit.begin');
    expect(begins).toHaveLength(1);
    expect(begins[0]!.data.blocks).toBe(4);
    expect(kinds(w, 'autosync.start')[0]!.data.reason).toBe('threshold');
  });

  it('commits once the dirty-bytes threshold is crossed, with the block count far below its own', async () => {
    const w = world({ intervalMs: 10_000, maxDirtyBlocks: 1000, maxDirtyBytes: 3 * BS, debounceMs: 5 });
    await w.sim.runUntil(10_000);
    const { store } = w.handle();
    store.write(0, data(0));
    store.write(1, data(1));
    await w.sim.runUntil(30_000);
    expect(kinds(w, 'store.commit.begin')).toHaveLength(0); // 2 x BS: below the threshold
    store.write(2, data(2));
    await w.sim.runUntil(60_000);
    expect(kinds(w, 'autosync.start').map((r) => r.data.reason)).toEqual(['threshold']);
    expect(kinds(w, 'store.commit.begin')[0]!.data.blocks).toBe(3);
  });

  it('a failed background commit is traced and counted, keeps the data dirty, and the next one commits it', async () => {
    const w = world({ intervalMs: 100, maxDirtyBlocks: 1000 });
    let failing = true;
    w.sim.addInterceptor((op) => (failing && op.area === 'disk' && op.op === 'writeFile' ? { type: 'error', code: 'EIO' } : null));
    await w.sim.runUntil(10_000);
    const { store, auto } = w.handle();
    store.write(1, data(1));
    await w.sim.runUntil(150_000);
    expect(kinds(w, 'autosync.failed').map((r) => r.data.code)).toEqual(['EIO']);
    expect(auto.failures).toBe(1);
    expect(store.metrics()).toMatchObject({ dirtyCount: 1, failedCommits: 1, commits: 0 });
    failing = false;
    await w.sim.runUntil(250_000);
    expect(kinds(w, 'autosync.done')).toHaveLength(1);
    expect(store.metrics()).toMatchObject({ dirtyCount: 0, commits: 1 });
  });

  it('forceSync resolves only when everything written before it is durable; drainAndShutdown closes', async () => {
    const w = world({ intervalMs: 0, maxDirtyBlocks: 1000 });
    await w.sim.runUntil(10_000);
    const { store, auto } = w.handle();
    store.write(1, data(1));
    let acked = -1;
    let durableAtAck = false;
    void auto.forceSync().then((info) => {
      acked = info.commit;
      const files = w.sim.device('S').disk.durableSnapshot();
      durableAtAck = files.has('/store/blocks/1.1') && files.has('/store/marker');
    });
    store.write(2, data(2)); // written after the call, before the commit started: included too
    await w.sim.runUntil(100_000);
    expect(acked).toBe(1);
    expect(durableAtAck).toBe(true);
    store.write(3, data(3));
    let shut = false;
    void auto.drainAndShutdown().then(() => (shut = true));
    await w.sim.runUntil(200_000);
    expect(shut).toBe(true);
    expect(store.metrics().dirtyCount).toBe(0);
    expect(() => store.write(4, data(4))).toThrow(/ECLOSED/);
    expect(kinds(w, 'store.closed')).toHaveLength(1);
  });

  it('kv, relaxed commits: forceSync with nothing buffered makes the relaxed commit that took its writes durable', async () => {
    // Storage-swarm-kv-long seed 93: an AutoSync (relaxed) commit took the writes, the forceSync queued
    // behind it found nothing dirty and acknowledged the commit, which a power loss then took away.
    const w = world({ intervalMs: 0, maxDirtyBlocks: 1000 }, { backend: 'kv', relaxedCommits: true });
    await w.sim.runUntil(10_000);
    const { store } = w.handle();
    const kv = w.sim.device('S').kv;
    store.write(1, data(1));
    let relaxed = -1;
    void store.sync().then((info) => (relaxed = info.commit));
    let acked = -1;
    let volatileAtAck: number[] = [];
    void store.forceSync().then((info) => {
      acked = info.commit;
      volatileAtAck = kv.volatileTxs();
    });
    await w.sim.runUntil(10_000 + 5_000); // well before the kv's background flush
    expect(relaxed).toBe(1);
    expect(acked).toBe(1);
    expect(volatileAtAck).toEqual([]);
    expect(kinds(w, 'store.flushed').map((r) => r.data)).toEqual([{ commit: 1 }]);
    // A second forceSync with nothing new does not flush again.
    void store.forceSync();
    await w.sim.runUntil(30_000);
    expect(kinds(w, 'store.flushed')).toHaveLength(1);
  });

  it('signals backpressure in events and the trace, and reports metrics', async () => {
    const w = world({ intervalMs: 0, maxDirtyBlocks: 1000 }, { backpressureBytes: 2 * BS });
    await w.sim.runUntil(10_000);
    const { store } = w.handle();
    const events: StoreEvent['type'][] = [];
    store.subscribe((e) => events.push(e.type));
    for (let id = 0; id < 4; id++) store.write(id, data(id));
    void store.sync();
    await w.sim.runUntil(100_000);
    expect(kinds(w, 'store.backpressure').map((r) => r.data.on)).toEqual([true, false]);
    expect(events).toEqual(['write', 'write', 'backpressure', 'write', 'write', 'sync-start', 'backpressure', 'sync-success']);
    const m = store.metrics();
    expect(m).toMatchObject({ dirtyCount: 0, commits: 1, failedCommits: 0, errorRate: 0, bytesCommitted: 4 * BS });
    expect(m.throughputBytesPerSec).toBeGreaterThan(0);
    const traced = kinds(w, 'store.metrics').at(-1)!.data;
    expect(traced).toMatchObject({ commits: 1, dirtyCount: 0, failed: 0, errorRate: 0, checksumFailures: 0 });
    expect(traced.throughputBytesPerSec).toBeGreaterThan(0); // traced at the commit, so not m's figure
  });
});

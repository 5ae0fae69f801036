/**
 * Sync metrics and their persistence (seed 004, TODO #9 "Metrics Persistence Not Implemented": snapshots in
 * the sync db, table sync_metrics_snapshots(timestamp, library_id, snapshot_json)).
 *
 * The counters move where the node does the work (compared with the trace records of the same work), a
 * restart resumes from the latest snapshot, a clean stop loses nothing, the stored snapshots are bounded, a
 * failing snapshot write fails nothing else, a snapshot never shares a transaction with data, and the
 * snapshots do not shift the kv commits that the crash scenarios count to place their faults.
 */
import { describe, expect, it } from 'vitest';
import type { Env, KvStore, Value } from '../../src/impl/env.ts';
import { METRICS_STORE, startPeerNode, type MetricsSnapshot, type PeerHandle, type PeerOptions } from '../../src/impl/peer/index.ts';
import { MetricsRecorder, parseSnapshot, SyncMetrics, COUNTER_NAMES, type MetricsCounters } from '../../src/impl/peer/metrics.ts';
import { resolvePeerOptions } from '../../src/impl/peer/options.ts';
import { PeerStore } from '../../src/impl/peer/store.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Check, Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { LIBRARY, RESOURCES } from '../../scenarios/peer/_common.ts';
import join from '../../scenarios/peer/join.ts';
import partitions from '../../scenarios/peer/partition-heal.ts';
import rogue from '../../scenarios/peer/rogue.ts';
import clocks from '../../scenarios/peer/clocks-and-links.ts';

const byName = (list: Scenario[], name: string): Scenario => list.find((s) => s.name === name)!;
const partitionHeal = byName(partitions, 'peer-partition-heal');
const peerDrop = byName(join, 'peer-backfill-peer-drop');

type Data = Record<string, unknown> & { n?: number; count?: number; peer?: string; writer?: string };

interface Observed {
  failure: string;
  replay: string;
  /** Every trace record of interest, in order. */
  recs: TraceRecord[];
  /** handle.metrics() of every node up at the end. */
  final: Map<string, MetricsSnapshot>;
  /** Stored snapshots per node at the end: key -> value. */
  stored: Map<string, Map<number, Value>>;
}

/** The program of `s` with extra peer options (the members are the topology's nodes). */
function withOptions(s: Scenario, extra: Partial<PeerOptions>): Scenario['program'] {
  const ids = s.topology.nodes.map((n) => n.id);
  return (node, ctx) => (env: Env) =>
    startPeerNode(env, { library: LIBRARY, peers: ids.filter((p) => p !== node.id), resources: RESOURCES, founder: node.role !== 'joiner', variant: ctx.variant, ...extra });
}

/** Runs `s`, collecting peer, kv, node and fault trace records, and the metrics and stored snapshots at the end. */
async function observe(s: Scenario, seed: number, setup?: (ctx: ScenarioContext) => void): Promise<Observed> {
  const recs: TraceRecord[] = [];
  const final = new Map<string, MetricsSnapshot>();
  const stored = new Map<string, Map<number, Value>>();
  const capture: Check = {
    name: 'test:capture',
    setup(ctx) {
      ctx.sim.trace.on('*', (r) => {
        if (r.kind.startsWith('peer.') || r.kind.startsWith('kv.') || r.kind.startsWith('node.') || r.node === 'fault') recs.push(r);
      });
    },
    final(ctx) {
      for (const n of s.topology.nodes) {
        const h = ctx.handle<PeerHandle>(n.id);
        if (h === null || typeof h.metrics !== 'function') continue;
        final.set(n.id, h.metrics());
        const table = ctx.sim.device(ctx.sim.node(n.id).deviceId).kv.visibleSnapshot().get(METRICS_STORE);
        stored.set(n.id, new Map([...(table ?? new Map())].map(([k, v]) => [k as number, v])));
      }
    },
  };
  const scenario: Scenario = {
    ...s,
    checks: [...(s.checks ?? []), capture],
    workload: (ctx) => {
      s.workload?.(ctx);
      setup?.(ctx);
    },
  };
  const r = await runScenario(scenario, seed);
  return { failure: r.failure?.message ?? 'pass', replay: r.replay, recs, final, stored };
}

const of = (o: Observed, node: string, kind: string): Data[] => o.recs.filter((r) => r.node === node && r.kind === kind).map((r) => r.data as Data);
const sum = (list: Data[], field: 'n' | 'count'): number => list.reduce((a, d) => a + (d[field] ?? 0), 0);
const countersOf = (d: Data): MetricsCounters => Object.fromEntries(COUNTER_NAMES.map((n) => [n, d[n]])) as unknown as MetricsCounters;

describe('sync metrics', () => {
  it('count what the node does (peer-backfill-peer-drop seed 1: C a founder, D the joiner, neither restarted)', async () => {
    const o = await observe(peerDrop, 1);
    expect(o.failure, o.replay).toBe('pass');
    for (const node of ['C', 'D']) {
      const m = o.final.get(node)!;
      const c = m.counters;
      expect(c.starts, node).toBe(1);
      // Each counter against the trace records of the same work.
      expect(c.changesSent, node).toBe(sum(of(o, node, 'peer.commit'), 'n'));
      expect(c.acksSent, node).toBe(of(o, node, 'peer.ack.send').length);
      expect(c.acksReceived, node).toBe(of(o, node, 'peer.ack.recv').length);
      expect(c.sharedChangesAcked, node).toBe(sum(of(o, node, 'peer.log.prune'), 'count'));
      expect(c.backfillBatches, node).toBe(of(o, node, 'peer.backfill.batch').length);
      expect(c.backfillRecords, node).toBe(sum(of(o, node, 'peer.backfill.batch'), 'n'));
      const batches = of(o, node, 'peer.catchup.batch');
      expect(c.catchupRecords, node).toBe(sum(batches, 'n'));
      expect(c.relayedRecords, node).toBe(sum(batches.filter((b) => b.writer !== b.peer), 'n'));
      expect(c.changesBuffered, node).toBe(of(o, node, 'peer.buffer.push').length);
      // Everything received was applied or superseded, or is still buffered/duplicated (never more).
      expect(c.changesApplied, node).toBeGreaterThan(0);
      expect(c.changesApplied + (m.changesRejected.superseded ?? 0), node).toBeLessThanOrEqual(c.changesReceived);
      expect(c.messagesSent, node).toBeGreaterThan(0);
      expect(c.messagesReceived, node).toBeGreaterThan(0);
      // RTTs are the links' measurements.
      expect(Object.keys(m.rttMs).sort(), node).toEqual(['A', 'B', 'C', 'D'].filter((p) => p !== node));
      expect(Object.values(m.rttMs).some((x) => x !== null && x > 0), node).toBe(true);
    }
    const d = o.final.get('D')!.counters;
    expect(d.backfillRecords).toBeGreaterThanOrEqual(4_000);
    expect(d.changesReceived).toBeGreaterThanOrEqual(d.backfillRecords + d.catchupRecords);
    expect(d.changesSent).toBe(0); // D never wrote
    expect(o.final.get('C')!.counters.changesSent).toBeGreaterThan(0);
    // C (started at 0) saved a periodic snapshot at 5 s of its clock, traced as peer.metrics, counters no
    // greater than at the end.
    const saved = of(o, 'C', 'peer.metrics');
    expect(saved.length).toBeGreaterThan(0);
    expect(saved[0]!.reason).toBe('periodic');
    for (const n of COUNTER_NAMES) expect(countersOf(saved[0]!)[n], n).toBeLessThanOrEqual(o.final.get('C')!.counters[n]);
    // A snapshot is always a transaction of its own: never with data.
    const kv = o.recs.filter((r) => r.kind === 'kv.commit' && (r.data.stores as string[]).includes(METRICS_STORE));
    expect(kv.length).toBeGreaterThan(0);
    for (const r of kv) expect(r.data.stores).toEqual([METRICS_STORE]);
  }, 30_000);

  it('count rejected messages by reason (peer-rogue-messages seed 1, peer-clock-drift-rejected seed 1)', async () => {
    const o = await observe(rogue[0]!, 1);
    expect(o.failure, o.replay).toBe('pass');
    for (const node of ['A', 'B']) {
      const tally: Record<string, number> = {};
      for (const d of of(o, node, 'peer.msg.rejected')) tally[d.code as string] = (tally[d.code as string] ?? 0) + 1;
      expect(Object.keys(tally).length, node).toBeGreaterThan(1);
      expect(o.final.get(node)!.messagesRejected, node).toEqual(tally);
      expect(o.final.get(node)!.counters.errorsSent, node).toBeGreaterThanOrEqual(of(o, node, 'peer.msg.rejected').length);
    }
    const drift = await observe(byName(clocks, 'peer-clock-drift-rejected'), 1);
    expect(drift.failure, drift.replay).toBe('pass');
    let total = 0;
    for (const [node, m] of drift.final) {
      const n = of(drift, node, 'peer.hlc.rejected').length;
      total += n;
      expect(m.messagesRejected['clock-drift'] ?? 0, node).toBe(n);
    }
    expect(total).toBeGreaterThan(0);
  }, 30_000);

  it('a restart resumes from the latest snapshot; a clean stop loses nothing (peer-partition-heal seed 1)', async () => {
    let stopped: MetricsSnapshot | null = null;
    const s: Scenario = {
      ...partitionHeal,
      program: withOptions(partitionHeal, { metricsSnapshotMs: 400 }),
      faults: { events: [...((partitionHeal.faults as { events: [] }).events ?? []), { kind: 'crash', atMs: 2_700, node: 'B', powerLoss: true, restartAfterMs: 300 }] },
    };
    const o = await observe(s, 1, (ctx) => {
      // A clean stop of C: the final snapshot, then the process ends; C starts again later.
      ctx.at(4_100, () => {
        const h = ctx.handle<PeerHandle>('C')!;
        void h.stop().then(() => {
          stopped = h.metrics();
          ctx.sim.stop('C');
        });
      });
      ctx.at(4_600, () => ctx.sim.start('C'));
    });
    expect(o.failure, o.replay).toBe('pass');

    // B: power loss. The restored counters are those of the last snapshot saved before the crash.
    const crashAt = o.recs.find((r) => r.node === 'B' && r.kind === 'node.crash')!.i;
    const before = o.recs.filter((r) => r.node === 'B' && r.kind === 'peer.metrics' && r.i < crashAt);
    expect(before.length).toBeGreaterThanOrEqual(5);
    const last = before[before.length - 1]!.data as Data;
    const restored = of(o, 'B', 'peer.metrics.restored');
    expect(restored).toHaveLength(1);
    expect(restored[0]!.timestamp).toBe(last.timestamp);
    expect(countersOf(restored[0]!)).toEqual(countersOf(last));
    const b = o.final.get('B')!.counters;
    for (const n of COUNTER_NAMES) expect(b[n], n).toBeGreaterThanOrEqual(countersOf(last)[n]);
    expect(b.starts).toBe(2);
    expect(b.messagesSent).toBeGreaterThan(countersOf(last).messagesSent);
    // Later snapshots have later keys, above the restored one.
    const after = of(o, 'B', 'peer.metrics').filter((d) => (d.timestamp as number) > (last.timestamp as number));
    expect(after.length).toBeGreaterThan(0);

    // C: clean stop. The 'stop' snapshot holds everything counted, and the restart resumes from exactly it.
    expect(stopped).not.toBeNull();
    const stopSnap = of(o, 'C', 'peer.metrics').find((d) => d.reason === 'stop')!;
    expect(stopSnap).toBeDefined();
    const cRestored = of(o, 'C', 'peer.metrics.restored');
    expect(cRestored).toHaveLength(1);
    expect(cRestored[0]!.timestamp).toBe(stopSnap.timestamp);
    expect(countersOf(cRestored[0]!)).toEqual(stopped!.counters);
    expect(o.final.get('C')!.counters.starts).toBe(2);
    // The partitions cut live changes: healing needed catch-up, counted where it ran.
    const sessions = [...o.final.values()].reduce((a, m) => a + m.counters.catchupSessions, 0);
    expect(sessions).toBeGreaterThan(0);
  }, 30_000);

  it('keeps at most metricsSnapshotsKept snapshots, the latest under the last key (peer-partition-heal seed 2)', async () => {
    const s: Scenario = { ...partitionHeal, program: withOptions(partitionHeal, { metricsSnapshotMs: 100, metricsSnapshotsKept: 3 }) };
    const o = await observe(s, 2);
    expect(o.failure, o.replay).toBe('pass');
    for (const node of ['A', 'B', 'C']) {
      const saved = of(o, node, 'peer.metrics');
      expect(saved.length, node).toBeGreaterThan(20);
      const keys = [...o.stored.get(node)!.keys()];
      expect(keys, node).toEqual(saved.slice(-3).map((d) => d.timestamp));
      expect(sum(saved.map((d) => ({ n: d.deleted as number })), 'n'), node).toBe(saved.length - 3);
      const latest = parseSnapshot(o.stored.get(node)!.get(keys[2]!))!;
      expect(latest.library).toBe(LIBRARY);
      expect(latest.snapshot.counters).toEqual(countersOf(saved[saved.length - 1]!));
      expect(o.final.get(node)!.counters.snapshotsSaved, node).toBe(saved.length);
    }
    // 0 disables periodic snapshots: nothing is written.
    const off = await observe({ ...partitionHeal, program: withOptions(partitionHeal, { metricsSnapshotMs: 0 }) }, 2);
    expect(off.failure, off.replay).toBe('pass');
    expect(off.recs.filter((r) => r.kind === 'peer.metrics' || (r.kind === 'kv.commit' && (r.data.stores as string[]).includes(METRICS_STORE)))).toEqual([]);
  }, 30_000);

  it('a failing snapshot write fails nothing else (peer-partition-heal seed 3, every snapshot commit of B fails with EIO)', async () => {
    const s: Scenario = { ...partitionHeal, program: withOptions(partitionHeal, { metricsSnapshotMs: 100 }) };
    let hits = 0;
    const o = await observe(s, 3, (ctx) => {
      ctx.sim.addInterceptor((op) => {
        if (op.area !== 'kv' || op.op !== 'commit' || op.node !== 'B' || op.target !== METRICS_STORE) return null;
        hits++;
        return { type: 'error', code: 'EIO' };
      });
    });
    // Sync is unaffected: converged, every invariant holds.
    expect(o.failure, o.replay).toBe('pass');
    expect(hits).toBeGreaterThan(20);
    const errors = of(o, 'B', 'peer.metrics.error');
    expect(errors).toHaveLength(hits);
    expect(errors.every((e) => e.what === 'save' && String(e.error).includes('EIO'))).toBe(true);
    expect(of(o, 'B', 'peer.metrics')).toEqual([]);
    expect(of(o, 'B', 'peer.store.error')).toEqual([]);
    const b = o.final.get('B')!.counters;
    expect(b.snapshotErrors).toBe(hits);
    expect(b.snapshotsSaved).toBe(0);
    expect(b.changesSent + b.changesApplied).toBeGreaterThan(0);
    expect(o.stored.get('B')!.size).toBe(0);
    // The others are not affected.
    expect(of(o, 'A', 'peer.metrics').length).toBeGreaterThan(20);
  }, 30_000);

  it('a failing or throwing kv never rejects save() (unit)', async () => {
    const env = fakeEnv({
      transaction: () => Promise.reject(new Error('EIO: injected')),
    });
    const metrics = new SyncMetrics();
    const rec = new MetricsRecorder(env, 'lib', new PeerStore(env.kv), metrics, () => ({}), 3);
    await expect(rec.save('stop')).resolves.toBeUndefined();
    expect(metrics.c.snapshotErrors).toBe(1);
    const env2 = fakeEnv({
      transaction: () => {
        throw new Error('ESTATE: queue full');
      },
    });
    const m2 = new SyncMetrics();
    await expect(new MetricsRecorder(env2, 'lib', new PeerStore(env2.kv), m2, () => ({}), 3).save('periodic')).resolves.toBeUndefined();
    expect(m2.c.snapshotErrors).toBe(1);
    expect(resolvePeerOptions({ library: 'l', peers: [], resources: { t: 'shared' } })).toMatchObject({ metricsSnapshotMs: 5_000, metricsSnapshotsKept: 10 });
    expect(() => resolvePeerOptions({ library: 'l', peers: [], resources: { t: 'shared' }, metricsSnapshotMs: -1 })).toThrow(/metricsSnapshotMs/);
    expect(() => resolvePeerOptions({ library: 'l', peers: [], resources: { t: 'shared' }, metricsSnapshotsKept: 0 })).toThrow(/metricsSnapshotsKept/);
    expect(parseSnapshot({ timestamp: 1, library: 'l', snapshot: { counters: { starts: -1 } } })).toBeNull();
    expect(parseSnapshot({ timestamp: 1, library: 'l', snapshot: { counters: { starts: 2 } } })?.snapshot.counters.starts).toBe(2);
  });

  // The crash scenarios place faults at the nth kv commit of a device ("E loses power at its 8th kv
  // commit", "at D's 3rd kv commit"): a metrics snapshot before the trigger would shift it. The default
  // period (5 s of the device's clock) fires after them.
  it.each([
    ['peer-join-10k-crash', 0], ['peer-join-10k-crash', 1],
    ['peer-backfill-peer-drop', 0], ['peer-backfill-peer-drop', 1], ['peer-backfill-peer-drop', 2],
    ['peer-all-peers-gone', 0], ['peer-all-peers-gone', 1], ['peer-all-peers-gone', 2],
  ] as const)('%s seed %i: no snapshot before the kv commits that trigger its faults', async (name, seed) => {
    const s = byName(join, name);
    const o = await observe(s, seed);
    expect(o.failure, o.replay).toBe('pass');
    const triggered = (s.faults as { events: { trigger?: { node: string } }[] }).events.filter((e) => e.trigger !== undefined);
    expect(triggered.length).toBeGreaterThan(0);
    const fired = o.recs.filter((r) => r.node === 'fault' && r.data.op === 'kv.commit');
    expect(fired.length).toBe(triggered.length);
    for (const f of fired) expect(String(f.data.target ?? '')).not.toContain(METRICS_STORE);
    for (const t of triggered) {
      const last = fired[fired.length - 1]!.i;
      const early = o.recs.filter((r) => r.node === t.trigger!.node && r.kind === 'kv.commit' && r.i < last && (r.data.stores as string[]).includes(METRICS_STORE));
      expect(early).toEqual([]);
    }
  }, 60_000);
});

/** An Env whose kv is `kv` and whose other facets do nothing (unit tests of the recorder). */
function fakeEnv(kv: KvStore): Env {
  const nothing = (): never => {
    throw new Error('not used');
  };
  return {
    nodeId: 'X',
    deviceId: 'X',
    incarnation: 0,
    clock: { now: () => 1_000, monotonic: () => 0, sleep: nothing, setTimeout: nothing, setInterval: nothing, clearTimer: nothing },
    random: { float: nothing, int: nothing, uuid: nothing, bytes: nothing },
    disk: {} as Env['disk'],
    kv,
    net: {} as Env['net'],
    bus: {} as Env['bus'],
    locks: {} as Env['locks'],
    trace: { emit: () => undefined, probe: () => undefined },
  };
}

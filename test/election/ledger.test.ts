/**
 * The global view's invariants, fed synthetic trace records: the store's history comes from the facts
 * (fact.store, fact.request) and the committing tab from 'kv.commit'; each invariant fires, and only when
 * it should.
 */
import { describe, expect, it } from 'vitest';
import { ElectionLedger } from '../../src/model/election/election-invariants.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

function feeder(leaseExclusive = true): { feed(node: string, kind: string, data: Record<string, unknown>, tMs?: number): string | null; ledger: ElectionLedger; ran: Map<string, number> } {
  const ran = new Map<string, number>();
  const ledger = new ElectionLedger({ leaseExclusive, deviceOf: () => 'dev', exercised: (n) => void ran.set(n, (ran.get(n) ?? 0) + 1) });
  let i = 0;
  return {
    ledger,
    ran,
    feed(node, kind, data, tMs = i) {
      const rec: TraceRecord = { i: i++, t: tMs * 1000, node, kind, data };
      return ledger.onRecord(rec)?.check ?? null;
    },
  };
}

type Feed = ReturnType<typeof feeder>['feed'];

/** `tab`'s strict kv commit that moved the durable marker to (commit, epoch). */
function commit(feed: Feed, tab: string, marker: number, epoch: number): string | null {
  feed(tab, 'kv.commit', { tx: marker, stores: ['store:meta'], puts: 2, deletes: 0, durability: 'strict' });
  return feed('sim', 'fact.store', { device: 'dev', backend: 'kv', root: 'store', marker, epoch, meta: marker, pending: null });
}

function record(feed: Feed, reqId: string, commitNo: number, value: string, node = 'A'): string | null {
  feed('workload', 'workload.write', { node: 'A', value });
  return feed('sim', 'fact.request', { device: 'dev', root: 'store', reqId, commit: commitNo, epoch: 1, node, result: { key: 'k', value, epoch: 1, writer: node } });
}

describe('ElectionLedger on ground truth', () => {
  it('no-stale-write: a tab committing after the store was fenced above its epoch (fencing disabled)', () => {
    const f = feeder(false);
    f.feed('A', 'election.acquired', { epoch: 1 });
    expect(commit(f.feed, 'A', 1, 1)).toBeNull();
    f.feed('B', 'election.acquired', { epoch: 2 });
    expect(commit(f.feed, 'B', 2, 2)).toBeNull();
    // The store raised A's commit to its own durable epoch (2), but A's term is epoch 1.
    expect(commit(f.feed, 'A', 3, 2)).toBe('invariant:no-stale-write');
  });

  it('no-stale-write: a commit below the epoch of a tab that already leads (it led without fencing)', () => {
    const f = feeder(false);
    f.feed('A', 'election.acquired', { epoch: 1 });
    commit(f.feed, 'A', 1, 1);
    f.feed('B', 'election.acquired', { epoch: 2 });
    f.feed('B', 'election.leader', { epoch: 2 });
    expect(commit(f.feed, 'A', 2, 1)).toBe('invariant:no-stale-write');
  });

  it('no-stale-write: the durable epoch going down', () => {
    const f = feeder(false);
    commit(f.feed, 'A', 1, 3);
    expect(commit(f.feed, 'A', 2, 2)).toBe('invariant:no-stale-write');
  });

  it('one-writer-per-epoch: a commit with an epoch acquired by another tab', () => {
    const f = feeder(false);
    f.feed('A', 'election.acquired', { epoch: 1 });
    expect(commit(f.feed, 'B', 1, 1)).toBe('invariant:one-writer-per-epoch');
    const g = feeder(false);
    expect(commit(g.feed, 'A', 1, 4)).toBeNull(); // nobody acquired 4: A is its first committer
    expect(commit(g.feed, 'B', 2, 4)).toBe('invariant:one-writer-per-epoch');
  });

  it('epoch-unique: two tabs acquiring one epoch', () => {
    const f = feeder(false);
    expect(f.feed('A', 'election.acquired', { epoch: 1 })).toBeNull();
    expect(f.feed('B', 'election.acquired', { epoch: 1 })).toBe('invariant:epoch-unique');
  });

  it('exactly-once: a write recorded twice (a new request id, or the same record written again)', () => {
    const f = feeder();
    expect(record(f.feed, 'B.0.1', 2, 'w1')).toBeNull();
    expect(record(f.feed, 'B.0.9', 5, 'w1')).toBe('invariant:exactly-once');
    const g = feeder();
    record(g.feed, 'B.0.1', 2, 'w1');
    expect(record(g.feed, 'B.0.1', 6, 'w1')).toBe('invariant:exactly-once');
  });

  it('exactly-once: a write recorded that no caller issued', () => {
    const f = feeder();
    expect(f.feed('sim', 'fact.request', { device: 'dev', root: 'store', reqId: 'A.0.1', commit: 1, epoch: 1, node: 'A', result: { key: 'k', value: 'w7' } })).toBe('invariant:exactly-once');
  });

  it('final check: acknowledged writes are recorded, definitely failed ones are not', () => {
    const f = feeder();
    record(f.feed, 'A.0.1', 1, 'w1');
    f.feed('workload', 'workload.result', { node: 'A', value: 'w1', ok: true, seq: 1 });
    expect(f.ledger.finalCheck()).toBeNull();
    f.feed('workload', 'workload.result', { node: 'A', value: 'w2', ok: true, seq: 2 });
    expect(f.ledger.finalCheck()?.message).toMatch(/'w2' was acknowledged but the store .* has no durable record/);
    const g = feeder();
    record(g.feed, 'A.0.1', 1, 'w1');
    g.feed('workload', 'workload.result', { node: 'A', value: 'w1', ok: false, definite: true });
    expect(g.ledger.finalCheck()?.message).toMatch(/definite error/);
  });

  it('store-log: a tab reporting a commit the store never made durable, or made otherwise', () => {
    const f = feeder();
    commit(f.feed, 'A', 1, 1);
    expect(f.feed('A', 'fenced.fence', { pos: 1, epoch: 1, writer: 'A' })).toBeNull();
    expect(f.feed('A', 'fenced.fence', { pos: 1, epoch: 2, writer: 'A' })).toBe('invariant:store-log');
    expect(f.feed('A', 'fenced.write', { pos: 2, epoch: 1, value: 'w1', reqId: null, writer: 'A' })).toBe('invariant:store-log');
    record(f.feed, 'A.0.1', 2, 'w1');
    expect(f.feed('A', 'fenced.write', { pos: 2, epoch: 1, value: 'w1', reqId: 'A.0.1', writer: 'A' })).toBeNull();
    expect(f.feed('A', 'fenced.write', { pos: 3, epoch: 1, value: 'w1', reqId: 'A.0.1', writer: 'A' })).toBe('invariant:store-log');
    expect(f.feed('A', 'fenced.write', { pos: 4, epoch: 1, value: 'w4', reqId: 'A.0.4', writer: 'A' })).toBe('invariant:store-log');
  });

  it('lease-exclusive: beliefs on the believer true monotonic clock (fact.clock), and a deposed leader writing', () => {
    const clock = (f: Feed, node: string, driftPpm: number, tMs: number, monotonicMs: number): void => void f('sim', 'fact.clock', { node, driftPpm, wallMs: 0, monotonicMs }, tMs);
    const f = feeder();
    clock(f.feed, 'A', 0, 0, 0);
    f.feed('A', 'election.acquired', { epoch: 1 }, 0);
    f.feed('A', 'election.leader', { epoch: 1, validMs: 900 }, 1);
    expect(f.feed('B', 'election.acquired', { epoch: 2 }, 500)).toBe('invariant:lease-exclusive');
    // A's clock runs 50% slow from t = 100 ms: its belief (to 901 ms of its clock) lasts until true 1,002 ms.
    const g = feeder();
    clock(g.feed, 'A', 0, 0, 0);
    g.feed('A', 'election.acquired', { epoch: 1 }, 0);
    g.feed('A', 'election.leader', { epoch: 1, validMs: 900 }, 1);
    clock(g.feed, 'A', -500_000, 100, 100);
    expect(g.feed('B', 'election.acquired', { epoch: 2 }, 1_500)).toBe('invariant:lease-exclusive');
    const h = feeder();
    clock(h.feed, 'A', 0, 0, 0);
    h.feed('A', 'election.acquired', { epoch: 1 }, 0);
    h.feed('A', 'election.leader', { epoch: 1, validMs: 900 }, 1);
    expect(h.feed('B', 'election.acquired', { epoch: 2 }, 1_100)).toBeNull(); // A's trust ran out
    expect(h.feed('A', 'writer.begin', { epoch: 1, count: 1 }, 1_200)).toBe('invariant:lease-exclusive');
    const lock = feeder(false); // lock mode: preemption is allowed, fencing guards the store
    lock.feed('A', 'election.acquired', { epoch: 1 }, 0);
    expect(lock.feed('B', 'election.acquired', { epoch: 2 }, 5)).toBeNull();
    expect(lock.feed('A', 'writer.begin', { epoch: 1, count: 1 }, 6)).toBeNull();
  });

  it('a tab that stepped down or crashed no longer trusts its lease', () => {
    const f = feeder();
    f.feed('A', 'election.acquired', { epoch: 1 }, 0);
    f.feed('A', 'election.renewed', { epoch: 1, validMs: 900 }, 1);
    f.feed('A', 'node.crash', { incarnation: 0, powerLoss: false }, 2);
    expect(f.feed('B', 'election.acquired', { epoch: 2 }, 3)).toBeNull();
  });

  it('counts what each invariant decided (ctx.exercised)', () => {
    const f = feeder();
    f.feed('A', 'election.acquired', { epoch: 1 });
    commit(f.feed, 'A', 1, 1);
    record(f.feed, 'A.0.1', 1, 'w1');
    f.feed('A', 'fenced.fence', { pos: 1, epoch: 1, writer: 'A' });
    expect(Object.fromEntries(f.ran)).toEqual({
      'invariant:lease-exclusive': 1,
      'invariant:epoch-unique': 1,
      'invariant:no-stale-write': 1,
      'invariant:one-writer-per-epoch': 1,
      'invariant:exactly-once': 1,
      'invariant:store-log': 1,
    });
  });
});

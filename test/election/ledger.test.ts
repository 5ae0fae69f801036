/** The global view's invariants, fed synthetic trace records: each one fires, and only when it should. */
import { describe, expect, it } from 'vitest';
import { ElectionLedger } from '../../src/model/election/ledger.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

function feeder(leaseExclusive = true): { feed(node: string, kind: string, data: Record<string, unknown>, tMs?: number): string | null; ledger: ElectionLedger } {
  const ledger = new ElectionLedger({ leaseExclusive, deviceOf: () => 'dev' });
  let i = 0;
  return {
    ledger,
    feed(node, kind, data, tMs = i) {
      const rec: TraceRecord = { i: i++, t: tMs * 1000, node, kind, data };
      return ledger.onRecord(rec)?.check ?? null;
    },
  };
}

describe('ElectionLedger', () => {
  it('flags a write accepted below an epoch the store already accepted', () => {
    const f = feeder();
    expect(f.feed('A', 'fenced.write', { pos: 1, epoch: 1, writer: 'A', value: 'a' })).toBeNull();
    expect(f.feed('B', 'fenced.fence', { pos: 2, epoch: 2, writer: 'B' })).toBeNull();
    expect(f.feed('A', 'fenced.write', { pos: 3, epoch: 1, writer: 'A', value: 'b' })).toBe('invariant:no-stale-write');
  });

  it('records may arrive late: an inversion is found whichever of the pair arrives first', () => {
    const f = feeder();
    expect(f.feed('B', 'fenced.fence', { pos: 3, epoch: 2, writer: 'B' })).toBeNull();
    // A's write committed at position 2, before B's fence; its record arrives late: fine.
    expect(f.feed('A', 'fenced.write', { pos: 2, epoch: 1, writer: 'A', value: 'a' })).toBeNull();
    // A stale write committed at position 4 whose record arrived before the fence's: caught on arrival.
    const g = feeder();
    expect(g.feed('A', 'fenced.write', { pos: 4, epoch: 1, writer: 'A', value: 'a' })).toBeNull();
    expect(g.feed('B', 'fenced.fence', { pos: 3, epoch: 2, writer: 'B' })).toBe('invariant:no-stale-write');
  });

  it('a value at two positions is applied twice; the same record twice is not', () => {
    const f = feeder();
    expect(f.feed('A', 'fenced.write', { pos: 1, epoch: 1, writer: 'A', value: 'b' })).toBeNull();
    expect(f.feed('A', 'fenced.write', { pos: 1, epoch: 1, writer: 'A', value: 'b' })).toBeNull();
    expect(f.feed('A', 'fenced.write', { pos: 1, epoch: 1, writer: 'A', value: 'c' })).toBe('invariant:store-log');
    expect(f.feed('A', 'fenced.write', { pos: 5, epoch: 1, writer: 'A', value: 'b' })).toBe('invariant:exactly-once');
  });

  it('flags two tabs acquiring one epoch, and writes with an epoch another tab acquired', () => {
    const f = feeder(false);
    expect(f.feed('A', 'election.acquired', { epoch: 1 })).toBeNull();
    expect(f.feed('B', 'fenced.write', { pos: 1, epoch: 1, writer: 'B', value: 'x' })).toBe('invariant:one-writer-per-epoch');
    const g = feeder(false);
    expect(g.feed('A', 'election.acquired', { epoch: 1 })).toBeNull();
    expect(g.feed('B', 'election.acquired', { epoch: 1 })).toBe('invariant:epoch-unique');
  });

  it('lease-exclusive: an acquisition while another tab still trusts its lease, and a deposed leader writing', () => {
    const f = feeder();
    f.feed('A', 'election.acquired', { epoch: 1 }, 0);
    f.feed('A', 'election.leader', { epoch: 1, validMs: 900 }, 1);
    expect(f.feed('B', 'election.acquired', { epoch: 2 }, 500)).toBe('invariant:lease-exclusive');
    const g = feeder();
    g.feed('A', 'election.acquired', { epoch: 1 }, 0);
    g.feed('A', 'election.leader', { epoch: 1, validMs: 900 }, 1);
    expect(g.feed('B', 'election.acquired', { epoch: 2 }, 1_100)).toBeNull(); // A's trust ran out
    expect(g.feed('A', 'writer.begin', { epoch: 1, count: 1 }, 1_200)).toBe('invariant:lease-exclusive');
    const h = feeder(false); // lock mode: preemption is allowed, fencing guards the store
    h.feed('A', 'election.acquired', { epoch: 1 }, 0);
    expect(h.feed('B', 'election.acquired', { epoch: 2 }, 5)).toBeNull();
    expect(h.feed('A', 'writer.begin', { epoch: 1, count: 1 }, 6)).toBeNull();
  });

  it('a tab that stepped down or crashed no longer trusts its lease', () => {
    const f = feeder();
    f.feed('A', 'election.acquired', { epoch: 1 }, 0);
    f.feed('A', 'election.renewed', { epoch: 1, validMs: 900 }, 1);
    f.feed('A', 'node.crash', { incarnation: 0, powerLoss: false }, 2);
    expect(f.feed('B', 'election.acquired', { epoch: 2 }, 3)).toBeNull();
  });

  it('final check: acknowledged writes are in the store once, definitely failed ones are not', () => {
    const f = feeder();
    f.feed('A', 'fenced.write', { pos: 1, epoch: 1, writer: 'A', value: 'w1' });
    f.feed('workload', 'workload.result', { node: 'A', value: 'w1', ok: true });
    expect(f.ledger.finalCheck()).toBeNull();
    f.feed('workload', 'workload.result', { node: 'A', value: 'w2', ok: true });
    expect(f.ledger.finalCheck()?.check).toBe('invariant:exactly-once');
    const g = feeder();
    g.feed('A', 'fenced.write', { pos: 1, epoch: 1, writer: 'A', value: 'w1' });
    g.feed('workload', 'workload.result', { node: 'A', value: 'w1', ok: false, definite: true });
    expect(g.ledger.finalCheck()?.message).toMatch(/definite error/);
    g.feed('workload', 'workload.result', { node: 'A', value: 'w9', ok: false, definite: false });
  });
});

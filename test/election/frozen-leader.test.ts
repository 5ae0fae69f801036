/**
 * invariant:frozen-leader-replaced's watch fed hand-made records: a frozen leader must be challenged within
 * the bound, unless another fault that lasts was already in effect when it froze (another tab frozen with a
 * kv transaction open holds the lease record's store: election-swarm seed 4046 failed on that before), or
 * the leader itself froze holding the lease record's store (election-swarm-long seed 6014 failed on that).
 */
import { describe, expect, it } from 'vitest';
import { FrozenLeaderWatch } from '../../src/model/election/frozen-leader-replaced.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

type Rec = [ms: number, node: string, kind: string, data?: Record<string, unknown>];

/** The violations the watch reports over `recs` and at `endMs`. */
function violations(recs: Rec[], endMs: number): string[] {
  const watch = new FrozenLeaderWatch('lease', 1_000);
  const out: string[] = [];
  recs.forEach(([ms, node, kind, data], i) => {
    const v = watch.onRecord({ i, t: ms * 1000, node, kind, data: data ?? {} } as TraceRecord);
    if (v !== null) out.push(v.message);
  });
  const v = watch.final(endMs);
  if (v !== null) out.push(v.message);
  return out;
}

const start: Rec[] = [
  [0, 'A', 'node.start'],
  [0, 'B', 'node.start'],
  [0, 'C', 'node.start'],
  [10, 'A', 'election.leader', { epoch: 1 }],
];
const freezeA: Rec[] = [
  [600, 'fault', 'fault.pause', { event: 1, node: 'A', durationMs: 3_000 }],
  [600, 'A', 'node.pause'],
];

describe('frozen-leader-replaced: the windows it judges', () => {
  it('a frozen leader nobody challenges fails; a campaign within the bound passes', () => {
    expect(violations([...start, ...freezeA], 3_000)[0]).toContain('leader A froze at 600.0 ms');
    expect(violations([...start, ...freezeA, [1_500, 'B', 'election.campaign', { mode: 'lease' }]], 3_000)).toEqual([]);
  });

  it('not judged while another lasting fault from before the freeze is in effect; judged again once it ended', () => {
    const freezeC: Rec[] = [
      [5, 'fault', 'fault.pause', { event: 0, node: 'C', durationMs: 1_000 }],
      [5, 'C', 'node.pause'],
    ];
    expect(violations([...start, ...freezeC, ...freezeA], 3_000)).toEqual([]);
    const ended: Rec[] = [...freezeC, [400, 'fault', 'fault.end', { event: 0, kind: 'pause' }], [400, 'C', 'node.resume']];
    expect(violations([...start, ...ended, ...freezeA], 3_000)[0]).toContain('leader A froze at 600.0 ms');
    // A storage fault's record is a hit of an armed fault, not a lasting one: the window still opens.
    const hit: Rec = [300, 'fault', 'fault.diskError', { event: 2, node: 'B', op: 'kv.commit', durationMs: 500 }];
    expect(violations([...start, hit, ...freezeA], 3_000)[0]).toContain('leader A froze');
  });

  it('lease mode: not judged when the leader froze holding a kv transaction on the lease store (kv.held); judged otherwise', () => {
    const held = (node: string, stores: string[]): Rec => [600, node, 'kv.held', { txs: [7], stores, readwrite: stores }];
    expect(violations([...start, ...freezeA, held('A', ['election', 'store:meta'])], 3_000)).toEqual([]);
    // Holding other stores only, or another tab's record: the followers can still poll the lease.
    expect(violations([...start, ...freezeA, held('A', ['store:meta'])], 3_000)[0]).toContain('leader A froze');
    expect(violations([...start, ...freezeA, held('B', ['election'])], 3_000)[0]).toContain('leader A froze');
  });

  it('judged again once the held transactions end while the leader is still frozen (a pause at a commit lets it finish)', () => {
    const held: Rec = [600, 'A', 'kv.held', { txs: [7, 8], stores: ['election'], readwrite: ['election'] }];
    const commit7: Rec = [600, 'A', 'kv.commit', { tx: 7 }];
    const abort8: Rec = [900, 'A', 'kv.abort', { tx: 8, reason: 'error' }];
    // One of two ended: still excused. Both ended: the bound counts from the second end (900 ms).
    expect(violations([...start, ...freezeA, held, commit7], 3_000)).toEqual([]);
    const late = violations([...start, ...freezeA, held, commit7, abort8], 3_000);
    expect(late[0]).toContain('leader A froze at 900.0 ms');
    expect(violations([...start, ...freezeA, held, commit7, abort8, [1_800, 'B', 'election.campaign', { mode: 'lease' }]], 3_000)).toEqual([]);
    // Another tab's commit does not end the leader's hold.
    expect(violations([...start, ...freezeA, held, [600, 'B', 'kv.commit', { tx: 7 }]], 3_000)).toEqual([]);
  });
});

/**
 * The recovery model on its own, fed hand-written traces: the commit lifecycle, and each guard deciding
 * from the durable commit point (`fact.store`) and the workload's acknowledgements, not from the store's
 * word: a marker reported durable before it is, a recovery that finalizes past or rolls back below the
 * durable point, a recovery that moves the durable point itself, a DONE naming a state it did not reach,
 * an acknowledged commit lost; and what it must allow (a crash without power loss whose marker rename
 * lands during the next recovery, another tab's commits, relaxed commits, writes during an in-place
 * recovery). Then its graph: every state is the target of some transition.
 */
import { describe, expect, it } from 'vitest';
import { ModelMonitor } from '../../src/model/monitor.ts';
import { modelGraph } from '../../src/model/graph.ts';
import { recoveryMachine } from '../../src/model/storage/recovery-machine.ts';
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

type Rec = [node: string, kind: string, data?: Record<string, unknown>];

/** Feeds `recs` (node S on device D unless named) and returns S's state and the first failure's message. */
function feed(recs: Rec[], extraNodes: string[] = []): { state: string; failure: string | null; context: Record<string, unknown> } {
  let failure: string | null = null;
  const m = new ModelMonitor(recoveryModel, { fail: (f) => void (failure ??= f.message) });
  const starts: Rec[] = ['S', ...extraNodes].map((n) => [n, 'node.start', { device: 'D' }]);
  [...starts, ...recs].forEach(([node, kind, data], i) => m.onRecord({ i, t: i, node, kind, data: data ?? {} } as TraceRecord));
  return { state: m.state('S'), failure, context: m.context('S') as Record<string, unknown> };
}

const fact = (marker: number, meta = marker, extra: Record<string, unknown> = {}): Rec => ['sim', 'fact.store', { device: 'D', backend: 'file', root: '/store', marker, meta, epoch: 0, pending: null, ...extra }];
const open = (commit = 0): Rec[] => [['S', 'store.open', { backend: 'file', root: '/store', relaxed: false }], ['S', 'store.recover.begin', { inPlace: false }], ['S', 'store.recover.done', { commit }]];
/** Commit `n` of the file backend up to (not including) its marker rename. */
const toMarkerWrite = (n: number): Rec[] => [
  ['S', 'store.write', {}],
  ['S', 'store.commit.begin', { commit: n, strict: true }],
  ['S', 'store.commit.synced', { commit: n }],
  ['S', 'store.commit.marker-write', { commit: n, atomic: false }],
];
const commit = (n: number): Rec[] => [...toMarkerWrite(n), fact(n, n - 1), ['S', 'store.commit.marker', { commit: n }], ['S', 'store.commit.done', { commit: n, dirty: false }]];
const powerLoss: Rec[] = [['sim', 'device.powerloss', { device: 'D' }], ['S', 'node.crash', { powerLoss: true }]];
const restart: Rec[] = [['S', 'store.open', { backend: 'file', root: '/store', relaxed: false }], ['S', 'store.recover.begin', { inPlace: false }]];
const reason = (r: { failure: string | null }): string => r.failure?.replace(/^.*?: (\w+): /, '$1: ') ?? '';

describe('recovery model: the commit lifecycle', () => {
  it('follows a file commit from dirty to finalized, and a kv commit through its atomic marker write', () => {
    expect(feed([...open(), ...commit(1)])).toMatchObject({ state: 'idle', failure: null, context: { committed: 1, durable: 1 } });
    const kv: Rec[] = [
      ['S', 'store.write', {}],
      ['S', 'store.commit.begin', { commit: 1, strict: true }],
      ['S', 'store.commit.marker-write', { commit: 1, atomic: true }],
      fact(1),
      ['S', 'store.commit.marker', { commit: 1 }],
      ['S', 'store.commit.done', { commit: 1, dirty: true }],
    ];
    expect(feed([...open(), ...kv]).state).toBe('dirty');
  });

  it('numbers commits marker + 1 and rejects a marker before the data is synced', () => {
    expect(reason(feed([...open(), ['S', 'store.write', {}], ['S', 'store.commit.begin', { commit: 2, strict: true }]]))).toMatch(/^beginsNext: commit 2 began, but this process's last commit is 0/);
    expect(feed([...open(), ['S', 'store.write', {}], ['S', 'store.commit.begin', { commit: 1, strict: true }], ['S', 'store.commit.marker-write', { commit: 1, atomic: false }]]).failure).toContain("in state 'writing' refused MARKER_WRITE");
  });

  it('refuses a marker reported durable before the durable image has it (report before the directory fsync)', () => {
    const r = feed([...open(), ...toMarkerWrite(1), ['S', 'store.commit.marker', { commit: 1 }]]);
    expect(reason(r)).toMatch(/^markerDurable: the store reports commit 1's marker durable, but the durable commit point is 0 \(trace #\d+, S store.commit.marker/);
  });

  it('traces a request found applied (EAPPLIED) as a discarded commit, never as a data-stage failure after the marker write', () => {
    const kvBegin: Rec[] = [['S', 'store.write', {}], ['S', 'store.commit.begin', { commit: 1, strict: true }], ['S', 'store.commit.marker-write', { commit: 1, atomic: true }]];
    expect(feed([...open(), ...kvBegin, ['S', 'store.commit.discarded', { commit: 1, dirty: false }]]).state).toBe('idle');
    expect(feed([...open(), ...kvBegin, ['S', 'store.commit.failed', { commit: 1, stage: 'data' }]]).failure).toContain("in state 'markerWriting' refused COMMIT_FAILED");
    // A commit reported as not applied whose marker is durable is refused.
    expect(reason(feed([...open(), ...kvBegin, fact(1), ['S', 'store.commit.discarded', { commit: 1, dirty: false }]]))).toMatch(/^failedUnapplied: commit 1 is reported as not applied, but the durable commit point is 1/);
  });
});

describe('recovery model: recovery decisions against the durable commit point when recovery began', () => {
  it('after a power loss before the marker rename: only a rollback; a finalize is past the durable marker', () => {
    const crashed: Rec[] = [...open(), ...commit(1), ...toMarkerWrite(2), ...powerLoss, ...restart];
    expect(feed([...crashed, ['S', 'store.recover.rollback', { commit: 2 }], ['S', 'store.recover.done', { commit: 1 }]])).toMatchObject({ state: 'idle', failure: null });
    expect(reason(feed([...crashed, ['S', 'store.recover.finalize', { commit: 2 }]]))).toMatch(/^finalizeBelowDurable: recovery finalizes commit 2, above the durable commit point 1 when it began/);
  });

  it('refuses a recovery that moves the durable point itself (storage-keep-pending writes marker 2, then traces its finalize)', () => {
    const r = feed([...open(), ...commit(1), ...toMarkerWrite(2), ...powerLoss, ...restart, fact(1, 2), ['S', 'store.recover.finalize', { commit: 2 }]]);
    expect(reason(r)).toMatch(/^durableAdvance: the durable commit point advanced from 1 to 2, but no marker write or fence of this process that could still land reaches it: only a commit's own marker write may move it, never a recovery/);
  });

  it('after the marker rename is durable: finalize, never roll back; DONE names the commit reached', () => {
    const crashed: Rec[] = [...open(), ...commit(1), ...toMarkerWrite(2), fact(2, 1), ...powerLoss, ...restart];
    expect(feed([...crashed, ['S', 'store.recover.finalize', { commit: 2 }], ['S', 'store.recover.done', { commit: 2 }]]).failure).toBeNull();
    expect(reason(feed([...crashed, ['S', 'store.recover.rollback', { commit: 2 }]]))).toMatch(/^rollbackAboveDurable: recovery rolls back commit 2, at or below the durable commit point 2/);
    expect(reason(feed([...crashed, ['S', 'store.recover.done', { commit: 1 }]]))).toMatch(/^reachedDurable: recovery ended at commit 1, below the durable commit point 2 when it began/);
    expect(reason(feed([...crashed, ['S', 'store.recover.done', { commit: 3 }]]))).toMatch(/^reachedDurable: recovery reports commit 3, but the durable commit point is 2: it names a state it did not reach/);
  });

  it('after a crash without power loss the pending marker rename may land during the next recovery (its first directory fsync)', () => {
    const crashed: Rec[] = [...open(), ...commit(1), ...toMarkerWrite(2), ['S', 'node.crash', { powerLoss: false }], ...restart, fact(2, 1)];
    expect(feed([...crashed, ['S', 'store.recover.finalize', { commit: 2 }], ['S', 'store.recover.done', { commit: 2 }]]).failure).toBeNull();
    // Once a recovery ended, nothing of the earlier commit is pending any more.
    const settled: Rec[] = [...open(), ...commit(1), ...toMarkerWrite(2), ['S', 'node.crash', {}], ...restart, ['S', 'store.recover.rollback', { commit: 2 }], ['S', 'store.recover.done', { commit: 1 }], fact(2, 1)];
    expect(reason(feed(settled))).toMatch(/^durableAdvance: the durable commit point advanced from 1 to 2/);
  });

  it('never loses or rolls back an acknowledged commit, and an acknowledgement must be durable', () => {
    const acked: Rec[] = [...open(), ...commit(1), ['workload', 'workload.force-synced', { node: 'S', commit: 1 }]];
    expect(feed(acked).failure).toBeNull();
    expect(reason(feed([...acked, ...powerLoss, fact(0, 0)]))).toMatch(/^durableAdvance: the durable commit point fell to 0, below commit 1 that forceSync acknowledged/);
    expect(reason(feed([...acked, ...powerLoss, ...restart, ['S', 'store.recover.done', { commit: 0 }]]))).toMatch(/^reachedDurable: recovery ended at commit 0, below commit 1 that forceSync acknowledged/);
    expect(reason(feed([...open(), ...toMarkerWrite(1), ['workload', 'workload.force-synced', { node: 'S', commit: 1 }]]))).toMatch(/^ackDurable: forceSync acknowledged commit 1, but the durable commit point is 0/);
  });

  it('takes writes during an in-place recovery after a failed marker write, never during a startup recovery', () => {
    const uncertain: Rec[] = [...open(), ...toMarkerWrite(1), ['S', 'store.commit.failed', { commit: 1, stage: 'marker' }]];
    const reload: Rec = ['S', 'store.recover.begin', { inPlace: true }];
    const finalized = feed([...uncertain, reload, ['S', 'store.write', {}], fact(1, 0), ['S', 'store.recover.finalize', { commit: 1 }], ['S', 'store.write', {}], ['S', 'store.recover.done', { commit: 1 }], ['S', 'store.recover.kept-dirty', {}]]);
    expect(finalized).toMatchObject({ state: 'dirty', failure: null });
    expect(feed([...uncertain, reload, ['S', 'store.recover.rollback', { commit: 1 }], ['S', 'store.write', {}], ['S', 'store.recover.failed', {}], reload, ['S', 'store.recover.done', { commit: 0 }]]).failure).toBeNull();
    expect(feed([...uncertain, ['S', 'store.closed', { commit: 0, dirty: 0 }]]).state).toBe('closed');
    expect(feed([...restart, ['S', 'store.write', {}]]).failure).toContain("in state 'recovering.scanning' refused WRITE");
    expect(feed([...uncertain, ['S', 'store.recover.begin', { inPlace: false }]]).failure).toContain("in state 'uncertain' refused RECOVER_BEGIN");
  });
});

describe('recovery model: several processes and relaxed commits', () => {
  it('lets another tab move the durable point of a shared store, but not a process alone on its device', () => {
    expect(feed([...open(), fact(3)], ['T']).failure).toBeNull();
    expect(reason(feed([...open(), fact(3)]))).toMatch(/^durableAdvance: the durable commit point advanced from 0 to 3, but no marker write/);
    // A recovery on a shared store may end below a later tab's commit, never below where it began.
    const reopen: Rec[] = [...open(), fact(2), ['S', 'store.closed', { commit: 0, dirty: 0 }], ...restart, fact(4)];
    expect(feed([...reopen, ['S', 'store.recover.done', { commit: 2 }]], ['T']).failure).toBeNull();
    expect(reason(feed([...reopen, ['S', 'store.recover.done', { commit: 1 }]], ['T']))).toMatch(/^reachedDurable: recovery ended at commit 1, below the durable commit point 2 when it began/);
  });

  it('accepts its own static fence and refuses one reported before it is durable', () => {
    const fenced = (extra: Rec[]): Rec[] => [['S', 'store.fence.begin', { epoch: 2 }], ...extra];
    expect(feed(fenced([fact(1, 1, { epoch: 2 }), ['S', 'store.fence', { commit: 1, epoch: 2 }]])).failure).toBeNull();
    expect(reason(feed(fenced([['S', 'store.fence', { commit: 1, epoch: 2 }]])))).toMatch(/^fenceDurable: the store reports fence commit 1, but the durable commit point is 0/);
    expect(reason(feed(fenced([fact(1, 1, { epoch: 1 }), ['S', 'store.fence', { commit: 1, epoch: 2 }]])))).toMatch(/^fenceDurable: the store reports a fence at epoch 2, but the durable marker's epoch is 1/);
  });

  it('with relaxed commits: a non-forced marker need not be durable, and recovery may end at a visible relaxed commit', () => {
    const kvFact = (n: number): Rec => ['sim', 'fact.store', { device: 'D', backend: 'kv', root: 'store', marker: n, meta: n, epoch: 0, pending: null }];
    const relaxed: Rec[] = [
      ['S', 'store.open', { backend: 'kv', root: 'store', relaxed: true }],
      ['S', 'store.recover.begin', { inPlace: false }],
      ['S', 'store.recover.done', { commit: 0 }],
      ['S', 'store.write', {}],
      ['S', 'store.commit.begin', { commit: 1, strict: false }],
      ['S', 'store.commit.marker-write', { commit: 1, atomic: true }],
      ['S', 'store.commit.marker', { commit: 1 }],
      ['S', 'store.commit.done', { commit: 1, dirty: false }],
    ];
    expect(feed(relaxed).failure).toBeNull();
    const crash: Rec[] = [['S', 'node.crash', { powerLoss: false }], ['S', 'store.open', { backend: 'kv', root: 'store', relaxed: true }], ['S', 'store.recover.begin', { inPlace: false }]];
    expect(feed([...relaxed, ...crash, ['S', 'store.recover.done', { commit: 1 }], kvFact(1)]).failure).toBeNull();
    const lost: Rec[] = [...relaxed, ['sim', 'device.powerloss', { device: 'D' }] as Rec, ...crash];
    expect(reason(feed([...lost, ['S', 'store.recover.done', { commit: 1 }]]))).toMatch(/^reachedDurable: recovery reports commit 1, but the durable commit point is 0/);
    // A forced commit is strict: its marker must be durable when reported.
    const forced = relaxed.map((r): Rec => (r[1] === 'store.commit.begin' ? ['S', r[1], { commit: 1, strict: true }] : r));
    expect(reason(feed(forced))).toMatch(/^markerDurable: /);
  });
});

describe('recovery model graph', () => {
  it('has every state as the target of some transition, and no copies per uncertainty', () => {
    const g = modelGraph(recoveryMachine);
    expect(g.states.length).toBeLessThanOrEqual(20);
    const targets = new Set(g.transitions.map((t) => t.split('|')[2]));
    for (const s of g.states) if (s !== 'down') expect(targets.has(s), s).toBe(true);
    expect(g.transitions).toContain('recovering.scanning|RECOVER_FINALIZE|recovering.finalized');
    expect(g.transitions).toContain('reloading.scanning|WRITE|reloading.scanning');
  });
});

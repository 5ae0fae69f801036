/**
 * Decoding a stored metrics snapshot (`sync_metrics_snapshots`, docs/peer-sync.md "Metrics"): what a restart
 * continues its counters from. A snapshot stored by the node reads back exactly as written; one written by an
 * older version (a counter, the rejection maps or the RTTs missing) reads with zeros / empty maps; anything
 * malformed (a counter or rejection count that is not a non-negative integer, a rejection map that is not an
 * object) is refused as a whole, so the counters start at zero rather than from garbage.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/impl/env.ts';
import type { Env } from '../../src/impl/env.ts';
import { COUNTER_NAMES, MetricsRecorder, parseSnapshot, snapshotValue, SyncMetrics, type StoredSnapshot } from '../../src/impl/peer/metrics.ts';
import type { PeerStore } from '../../src/impl/peer/store.ts';

function sample(): StoredSnapshot {
  const m = new SyncMetrics();
  COUNTER_NAMES.forEach((n, i) => (m.c[n] = i * 3 + 1));
  m.applied(5, 2);
  m.rejectChanges('clock-drift', 4);
  m.rejectMessage('malformed');
  m.rejectMessage('malformed');
  m.rejectMessage('busy');
  return { timestamp: 1_767_225_605_000, library: 'lib', snapshot: m.snapshot({ B: 12.3, C: null }) };
}

/** The stored value of `sample()` with `patch` merged into its `snapshot`. */
function stored(patch: Record<string, Value | undefined>): Value {
  const v = structuredClone(snapshotValue(sample())) as { snapshot: Record<string, Value> };
  for (const [k, x] of Object.entries(patch)) {
    if (x === undefined) delete v.snapshot[k];
    else v.snapshot[k] = x;
  }
  return v as unknown as Value;
}

describe('stored metrics snapshots', () => {
  it('read back exactly as the node wrote them (counters, rejections by reason, RTTs)', () => {
    const s = sample();
    expect(s.snapshot.changesRejected).toEqual({ superseded: 3, 'clock-drift': 4 });
    expect(parseSnapshot(snapshotValue(s))).toEqual(s);
  });

  it('written by an older version: missing counters, rejection maps and RTTs read as zero and empty', () => {
    const v = stored({ changesRejected: undefined, messagesRejected: undefined, rttMs: undefined, counters: { starts: 2 } });
    const p = parseSnapshot(v)!;
    expect(p.snapshot.counters.starts).toBe(2);
    expect(p.snapshot.counters.changesSent).toBe(0);
    expect(p.snapshot.changesRejected).toEqual({});
    expect(p.snapshot.messagesRejected).toEqual({});
    expect(p.snapshot.rttMs).toEqual({});
  });

  it('an RTT that is not a number reads as not measured', () => {
    expect(parseSnapshot(stored({ rttMs: { B: 'fast', C: 7.5 } }))!.snapshot.rttMs).toEqual({ B: null, C: 7.5 });
    expect(parseSnapshot(stored({ rttMs: null }))!.snapshot.rttMs).toEqual({});
  });

  it.each([
    ['a fractional counter', { counters: { starts: 1.5 } }],
    ['a string counter', { counters: { starts: '3' } }],
    ['a negative counter', { counters: { changesSent: -2 } }],
    ['a fractional change rejection', { changesRejected: { superseded: 0.5 } }],
    ['a negative message rejection', { messagesRejected: { malformed: -1 } }],
    ['a string rejection count', { changesRejected: { superseded: '2' } }],
    ['change rejections as an array', { changesRejected: [1, 2] }],
    ['message rejections as a number', { messagesRejected: 3 }],
  ] as const)('with %s is refused whole', (_what, patch) => {
    expect(parseSnapshot(stored(patch as Record<string, Value>))).toBeNull();
  });

  it('a value that is not a snapshot is refused', () => {
    expect(parseSnapshot(undefined)).toBeNull();
    expect(parseSnapshot({ timestamp: '1', library: 'lib', snapshot: { counters: {} } })).toBeNull();
    expect(parseSnapshot({ timestamp: 1, library: 2, snapshot: { counters: {} } })).toBeNull();
    expect(parseSnapshot({ timestamp: 1, library: 'lib', snapshot: { counters: null } })).toBeNull();
    expect(parseSnapshot({ timestamp: 1, library: 'lib' })).toBeNull();
  });

  it('a restart continues from the snapshot: its counts are added to what the new process counted', () => {
    const m = new SyncMetrics();
    m.c.starts = 1;
    m.rejectChanges('superseded', 2);
    m.rejectChanges('clock-drift', 0); // nothing refused: nothing counted
    m.rejectMessage('busy');
    expect(m.snapshot({}).changesRejected).toEqual({ superseded: 2 });
    m.restore(sample().snapshot);
    const s = m.snapshot({});
    expect(s.counters.starts).toBe(sample().snapshot.counters.starts + 1);
    expect(s.changesRejected).toEqual({ superseded: 5, 'clock-drift': 4 });
    expect(s.messagesRejected).toEqual({ malformed: 2, busy: 2 });
  });

  it("a snapshot of another library is not restored (its counts are another library's): the refusal is traced", () => {
    const traced: { kind: string; data: Record<string, unknown> }[] = [];
    const env = { trace: { emit: (kind: string, data: Record<string, unknown> = {}) => void traced.push({ kind, data }) } } as unknown as Env;
    const recorder = new MetricsRecorder(env, 'lib', {} as PeerStore, new SyncMetrics(), () => ({}), 3);
    recorder.restore({ ...sample(), library: 'other' });
    expect(recorder.metrics.snapshot({}).counters).toEqual(new SyncMetrics().snapshot({}).counters);
    expect(traced).toEqual([{ kind: 'peer.metrics.error', data: { what: 'restore', error: "snapshot of library 'other'" } }]);
    recorder.restore(sample());
    expect(recorder.metrics.snapshot({}).counters.starts).toBe(sample().snapshot.counters.starts);
    expect(traced.map((t) => t.kind)).toEqual(['peer.metrics.error', 'peer.metrics.restored']);
  });
});

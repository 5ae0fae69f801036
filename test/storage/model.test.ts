/**
 * The recovery model on its own: a normal commit and each recovery decision it allows, the decisions it
 * forbids (finalize after a crash before the marker write, roll back after a durable marker), and its
 * graph: every state reachable from the initial one.
 */
import { describe, expect, it } from 'vitest';
import { ModelMonitor } from '../../src/model/monitor.ts';
import { modelGraph } from '../../src/model/graph.ts';
import { recoveryMachine } from '../../src/model/recovery/machine.ts';
import { recoveryModel } from '../../src/model/recovery/spec.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

function feed(kinds: (string | [string, Record<string, unknown>])[]): { state: string; failure: string | null } {
  let failure: string | null = null;
  const m = new ModelMonitor(recoveryModel, { fail: (f) => void (failure ??= `${f.details?.state as string} ${f.details?.event as string}`) });
  kinds.forEach((k, i) => {
    const [kind, data] = typeof k === 'string' ? [k, {}] : k;
    m.onRecord({ i, t: i, node: 'S', kind, data } as TraceRecord);
  });
  return { state: m.state('S'), failure };
}

const open = ['store.recover.begin', 'store.recover.done'];
const commitToSynced = ['store.write', 'store.commit.begin', 'store.commit.synced'];
const marker = [['store.commit.marker-write', { atomic: false }] as [string, Record<string, unknown>], 'store.commit.marker'];

describe('recovery model', () => {
  it('follows a commit from dirty to finalized', () => {
    expect(feed([...open, ...commitToSynced, ...marker, ['store.commit.done', { dirty: false }]])).toEqual({ state: 'idle', failure: null });
    expect(feed([...open, 'store.write', 'store.commit.begin', ['store.commit.marker-write', { atomic: true }], 'store.commit.marker', ['store.commit.done', { dirty: true }]]).state).toBe('dirty');
  });

  it('allows only a rollback after a crash before the marker write', () => {
    const crashed = [...open, ...commitToSynced, 'node.crash', 'store.recover.begin'];
    expect(feed([...crashed, 'store.recover.rollback', 'store.recover.done']).failure).toBeNull();
    expect(feed([...crashed, 'store.recover.finalize']).failure).toBe('recovering.uncommitted RECOVER_FINALIZE');
  });

  it('allows only finalize (or clean) after a crash with the marker durable', () => {
    const crashed = [...open, ...commitToSynced, ...marker, 'node.crash', 'store.recover.begin'];
    expect(feed([...crashed, 'store.recover.finalize', 'store.recover.done']).failure).toBeNull();
    expect(feed([...crashed, 'store.recover.done']).failure).toBeNull();
    expect(feed([...crashed, 'store.recover.rollback']).failure).toBe('recovering.committed RECOVER_ROLLBACK');
  });

  it('allows either decision when the crash hit the marker write, and keeps the uncertainty across a crash in recovery', () => {
    const crashed = [...open, ...commitToSynced, marker[0]!, 'node.crash', 'store.recover.begin'];
    expect(feed([...crashed, 'store.recover.finalize', 'store.recover.done']).failure).toBeNull();
    expect(feed([...crashed, 'store.recover.rollback', 'store.recover.done']).failure).toBeNull();
    const twice = [...open, ...commitToSynced, ...marker, 'node.crash', 'store.recover.begin', 'node.crash', 'store.recover.begin'];
    expect(feed([...twice, 'store.recover.rollback']).failure).toBe('recovering.committed RECOVER_ROLLBACK');
  });

  it('takes writes during an in-place recovery after a failed marker write, never during a startup recovery', () => {
    // storage-swarm-file-long seeds 58 and 282: writes arrived while the open store reloaded.
    const uncertain = [...open, ...commitToSynced, marker[0]!, ['store.commit.failed', { stage: 'marker' }] as [string, Record<string, unknown>]];
    const reload = ['store.recover.begin', { inPlace: true }] as [string, Record<string, unknown>];
    expect(feed([...uncertain, reload, 'store.write', 'store.recover.finalize', 'store.write', 'store.recover.done', 'store.recover.kept-dirty'])).toEqual({ state: 'dirty', failure: null });
    expect(feed([...uncertain, reload, 'store.recover.rollback', 'store.write', 'store.recover.failed', 'store.write', reload, 'store.recover.done']).failure).toBeNull();
    // A startup recovery has no store instance to write to; and only an uncertain (or stalled) store reloads.
    expect(feed([...open, ...commitToSynced, 'node.crash', 'store.recover.begin', 'store.write']).failure).toBe('recovering.uncommitted WRITE');
    expect(feed(['store.recover.begin', 'store.write']).failure).toBe('recovering.unknown WRITE');
    expect(feed([...uncertain, 'store.recover.begin']).failure).toBe('uncertain RECOVER_BEGIN');
    expect(feed([...open, reload]).failure).toBe('idle RELOAD_BEGIN');
  });

  it('rejects a marker before the data is synced and a commit before anything was written', () => {
    expect(feed([...open, 'store.write', 'store.commit.begin', marker[0]!]).failure).toBe('writing MARKER_WRITE');
    expect(feed([...open, 'store.commit.begin']).failure).toBe('idle COMMIT_BEGIN');
  });

  it('has a graph whose every state is the target of some transition', () => {
    const g = modelGraph(recoveryMachine);
    expect(g.states.length).toBeGreaterThanOrEqual(20);
    const targets = new Set(g.transitions.map((t) => t.split('|')[2]));
    for (const s of g.states) if (s !== 'down') expect(targets.has(s), s).toBe(true);
  });
});

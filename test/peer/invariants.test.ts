/**
 * The peer invariants fed with small hand-written traces: each one fails on the violation it names and
 * passes on the sound version (the variants test shows them catching real weakened implementations).
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { ackedWritesCheck, bufferCheck, catchupDeltaCheck, convergedCheck, hlcCheck, memoryIsDurableCheck, pruneCheck, watermarkCheck } from '../../src/model/peer/invariants.ts';
import type { ViewRecord } from '../../src/model/peer/view.ts';
import { ackedWrites, type PeerView } from '../../src/model/peer/view.ts';
import type { Check, ScenarioContext } from '../../src/scenario/types.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { Trace } from '../../src/sim/trace.ts';

const h = (ms: number, d = 'A'): string => formatHlc({ physicalMs: ms, counter: 0, device: d });

function harness(check: Check, handles: Record<string, PeerView> = {}) {
  const trace = new Trace(() => 0);
  const failures: string[] = [];
  const ctx = {
    sim: { trace },
    shared: new Map(),
    fail: (_kind: string, name: string, message: string) => failures.push(`${name}: ${message}`),
    handle: (id: string) => handles[id] ?? null,
  } as unknown as ScenarioContext;
  check.setup?.(ctx);
  return { emit: (node: string, kind: string, data: Record<string, unknown>) => trace.emit(node, kind, data), failures, ctx, final: () => check.final?.(ctx) };
}

describe('peer invariants', () => {
  it('hlc: a commit not above the previous one, or not above a change applied before it, fails', () => {
    const t = harness(hlcCheck(['A', 'B']));
    t.emit('A', 'peer.commit', { resource: 'tag', hlc: h(10), n: 1 });
    t.emit('A', 'peer.applied', { from: 'B', maxTs: h(20, 'B') });
    t.emit('A', 'peer.commit', { resource: 'tag', hlc: h(21), n: 1 });
    expect(t.failures).toEqual([]);
    t.emit('A', 'peer.applied', { from: 'B', maxTs: h(30, 'B') });
    t.emit('A', 'peer.commit', { resource: 'tag', hlc: h(25), n: 1 });
    expect(t.failures.join()).toMatch(/after applying a change at .*30-000000-B/);
    const u = harness(hlcCheck(['A']));
    u.emit('A', 'peer.commit', { resource: 'tag', hlc: h(10), n: 1 });
    u.emit('A', 'peer.commit', { resource: 'tag', hlc: h(10), n: 1 });
    expect(u.failures.join()).toMatch(/not strictly increasing/);
  });

  it('prune: pruning past what some member acknowledged fails', () => {
    const t = harness(pruneCheck(['A', 'B', 'C']));
    t.emit('B', 'peer.ack.send', { to: 'A', resource: 'tag', upTo: h(20) });
    t.emit('C', 'peer.ack.send', { to: 'A', resource: 'tag', upTo: h(10) });
    t.emit('A', 'peer.log.prune', { resource: 'tag', upTo: h(10), count: 1 });
    expect(t.failures).toEqual([]);
    t.emit('A', 'peer.log.prune', { resource: 'tag', upTo: h(20), count: 1 });
    expect(t.failures.join()).toMatch(/C acknowledged only .*10-000000-A/);
  });

  it('buffer: an update applied twice, or never applied nor visibly discarded, fails', () => {
    const t = harness(bufferCheck(['D']));
    t.emit('D', 'peer.buffer.push', { id: 'x' });
    t.emit('D', 'peer.buffer.push', { id: 'y' });
    t.emit('D', 'peer.buffer.overflow', { discarded: 2 });
    t.emit('D', 'peer.buffer.push', { id: 'z' });
    t.emit('D', 'peer.buffer.applied', { ids: ['z'] });
    t.emit('D', 'peer.sync.ready', {});
    expect(t.failures).toEqual([]);
    t.emit('D', 'peer.buffer.applied', { ids: ['z'] });
    expect(t.failures.join()).toMatch(/applied buffered update z that was not pending/);
    const check = bufferCheck(['D']);
    const u = harness(check);
    u.emit('D', 'peer.buffer.push', { id: 'lost' });
    u.emit('D', 'peer.sync.ready', {});
    expect(u.failures.join()).toMatch(/1 buffered live updates never applied/);
    // The same check object in the next run starts clean (scenarios are reused across seeds).
    const v = harness(check);
    v.emit('D', 'peer.sync.ready', {});
    expect(v.failures).toEqual([]);
  });

  it('catch-up delta: moving more than the peer committed since the watermark plus one batch fails', () => {
    const t = harness(catchupDeltaCheck(['A', 'B'], 10));
    for (let i = 1; i <= 5; i++) t.emit('A', 'peer.commit.begin', { resource: 'entry', hlc: h(i * 10), n: 4 });
    t.emit('B', 'peer.catchup.begin', { peer: 'A', resource: 'entry', since: h(30) });
    t.emit('B', 'peer.catchup.batch', { peer: 'A', resource: 'entry', n: 18 });
    t.emit('B', 'peer.catchup.done', { peer: 'A', resource: 'entry' });
    expect(t.failures).toEqual([]); // 3 commits >= since: 12 records + 10
    t.emit('B', 'peer.catchup.begin', { peer: 'A', resource: 'entry', since: h(30) });
    t.emit('B', 'peer.catchup.batch', { peer: 'A', resource: 'entry', n: 23 });
    t.emit('B', 'peer.catchup.done', { peer: 'A', resource: 'entry' });
    expect(t.failures.join()).toMatch(/caught up 23 'entry' records of A since .* A committed only 12 newer/);
  });

  it('catch-up delta: a relayed stream is bounded by its writer\'s commits, not the relay\'s', () => {
    const t = harness(catchupDeltaCheck(['A', 'B', 'C'], 10));
    for (let i = 1; i <= 5; i++) t.emit('A', 'peer.commit.begin', { resource: 'entry', hlc: h(i * 10), n: 4 });
    for (let i = 1; i <= 20; i++) t.emit('B', 'peer.commit.begin', { resource: 'entry', hlc: h(i * 10, 'B'), n: 4 });
    t.emit('C', 'peer.catchup.begin', { peer: 'B', writer: 'A', resource: 'entry', since: null });
    t.emit('C', 'peer.catchup.batch', { peer: 'B', writer: 'A', resource: 'entry', n: 25 });
    t.emit('C', 'peer.catchup.done', { peer: 'B', writer: 'A', resource: 'entry' });
    expect(t.failures).toEqual([]); // A committed 20 records: 20 + 10
    t.emit('C', 'peer.catchup.begin', { peer: 'B', writer: 'A', resource: 'entry', since: null });
    t.emit('C', 'peer.catchup.batch', { peer: 'B', writer: 'A', resource: 'entry', n: 31 });
    t.emit('C', 'peer.catchup.done', { peer: 'B', writer: 'A', resource: 'entry' });
    expect(t.failures.join()).toMatch(/caught up 31 'entry' records of A \(relayed by B\) since the start, but A committed only 20 newer/);
  });

  it('watermark: resuming a resource past anything received for it (a global watermark) fails', () => {
    const t = harness(watermarkCheck(['A', 'B']));
    t.emit('B', 'peer.recv', { from: 'A', resource: 'entry', n: 5, maxTs: h(50) });
    t.emit('B', 'peer.recv', { from: 'A', resource: 'location', n: 5, maxTs: h(20) });
    t.emit('B', 'peer.catchup.begin', { peer: 'A', resource: 'entry', since: h(50) });
    t.emit('B', 'peer.catchup.begin', { peer: 'A', resource: 'location', since: h(20) });
    expect(t.failures).toEqual([]);
    t.emit('B', 'peer.catchup.begin', { peer: 'A', resource: 'location', since: h(50) });
    expect(t.failures.join()).toMatch(/resumes 'location' of A at watermark .*50-000000-A, beyond anything received for it/);
  });

  it('watermark: what a relay delivered counts for its writer, not for the relay', () => {
    const t = harness(watermarkCheck(['A', 'B', 'C']));
    t.emit('C', 'peer.recv', { from: 'B', writer: 'A', resource: 'entry', n: 5, maxTs: h(50) });
    t.emit('C', 'peer.catchup.begin', { peer: 'B', writer: 'A', resource: 'entry', since: h(50) });
    t.emit('C', 'peer.catchup.begin', { peer: 'A', resource: 'entry', since: h(50) });
    expect(t.failures).toEqual([]);
    t.emit('C', 'peer.catchup.begin', { peer: 'B', resource: 'entry', since: h(50) });
    expect(t.failures.join()).toMatch(/resumes 'entry' of B at watermark .*50-000000-A, beyond anything received for it \(nothing\)/);
    t.emit('C', 'peer.catchup.begin', { peer: 'B', writer: 'A', resource: 'entry', since: h(60) });
    expect(t.failures.join()).toMatch(/resumes 'entry' of A \(relayed by B\) at watermark .*60-000000-A/);
  });

  it('acked writes: a lost write or a resurrected delete fails at the end', () => {
    const rec = new Map<string, { ts: string; data: string | null }>([['tag/t1', { ts: h(5), data: 'old' }], ['tag/t2', { ts: h(9), data: 'back' }]]);
    const view: PeerView = { state: () => 'ready', digest: () => '', get: (r, u) => rec.get(`${r}/${u}`), records: () => [], resources: () => ['tag'] };
    const t = harness(ackedWritesCheck(['A']), { A: view });
    ackedWrites(t.ctx).push({ node: 'B', resource: 'tag', uuid: 't1', hlc: h(7, 'B'), deleted: false });
    t.final();
    expect(t.failures.join()).toMatch(/invariant:acked-not-lost: A: acknowledged write of 'tag' t1 .* is lost/);
    const u = harness(ackedWritesCheck(['A']), { A: view });
    ackedWrites(u.ctx).push({ node: 'B', resource: 'tag', uuid: 't2', hlc: h(8, 'B'), deleted: true });
    u.final();
    expect(u.failures.join()).toMatch(/invariant:no-resurrection: A: 'tag' t2 deleted by B .* is alive again/);
  });
  /** A view over fixed records, with a digest that only counts them (as a broken digest might). */
  const viewOf = (records: Record<string, ViewRecord[]>, state = 'ready'): PeerView => ({
    state: () => state,
    digest: () => Object.values(records).map((l) => l.length).join(','),
    get: (r, u) => records[r]?.find((x) => x.uuid === u),
    records: (r) => records[r] ?? [],
    resources: () => Object.keys(records),
  });
  const rec = (uuid: string, ts: string, data: string | null, writer = 'A'): ViewRecord => ({ uuid, writer, ts, data });

  it('converged: devices whose digests agree but whose records differ fail, record by record', () => {
    const a = viewOf({ tag: [rec('t1', h(5), 'x'), rec('t2', h(6), null)] });
    const same = viewOf({ tag: [rec('t2', h(6), null), rec('t1', h(5), 'x')] });
    const ok = harness(convergedCheck(['A', 'B']), { A: a, B: same });
    ok.final();
    expect(ok.failures).toEqual([]);
    const other = viewOf({ tag: [rec('t1', h(5), 'x'), rec('t2', h(6), 'alive')] });
    const t = harness(convergedCheck(['A', 'B']), { A: a, B: other });
    t.final();
    expect(t.failures.join()).toMatch(/invariant:converged: 'tag' t2: A holds .*\(tombstone\), B holds .*"alive" \(digests equal\)/);
    // A device not ready is the liveness check's business, not this one's.
    const u = harness(convergedCheck(['A', 'B']), { A: a, B: viewOf({ tag: [] }, 'backfilling') });
    u.final();
    expect(u.failures).toEqual([]);
  });

  it('memory-is-durable: a record served from memory that the kv store does not hold fails', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.addDevice('dA');
    sim.addNode('A', { device: 'dA', program: () => {} });
    const kv = sim.device('dA').kv;
    const stored = { tag: [rec('t1', h(5), 'x')] };
    sim.addNode('W', {
      device: 'dA',
      program: (env) => void env.kv.transaction(['rec'], 'readwrite', async (tx) => void (await tx.put('rec', 'tag/t1', { u: 't1', w: 'A', t: h(5), d: 'x' }))),
    });
    sim.start('W');
    await sim.run();
    expect(kv.visibleSnapshot().get('rec')?.size).toBe(1);
    const check = (records: Record<string, ViewRecord[]>): string[] => {
      const failures: string[] = [];
      const ctx = { sim, handle: () => viewOf(records), fail: (_k: string, n: string, m: string) => failures.push(`${n}: ${m}`) } as unknown as ScenarioContext;
      memoryIsDurableCheck(['A']).final?.(ctx);
      return failures;
    };
    expect(check(stored)).toEqual([]);
    expect(check({ tag: [rec('t1', h(5), 'x'), rec('t9', h(7), 'new')] }).join()).toMatch(/A: 'tag' t9: serves .*"new" from memory, its kv store holds nothing/);
    expect(check({ tag: [rec('t1', h(6), 'x')] }).join()).toMatch(/A: 'tag' t1: serves .* from memory, its kv store holds/);
  });
});

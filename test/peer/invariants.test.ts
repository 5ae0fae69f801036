/**
 * The peer invariants fed with small hand-written traces: each one fails on the violation it names and
 * passes on the sound version (the variants test shows them catching real weakened implementations).
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import {
  ackedWritesCheck,
  backfillProgressCheck,
  backfillResumeCheck,
  bufferCheck,
  catchupDeltaCheck,
  convergedCheck,
  hlcCheck,
  hlcDriftCheck,
  memoryIsDurableCheck,
  pruneCheck,
  resendCheck,
  watermarkCheck,
} from '../../src/model/peer/index.ts';
import type { ViewRecord } from '../../src/model/peer/peer-view.ts';
import { ackedWrites, type PeerView } from '../../src/model/peer/peer-view.ts';
import type { Check, ScenarioContext } from '../../src/scenario/types.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { Trace } from '../../src/sim/trace.ts';
import { checkHarness } from '../check-harness.ts';

const h = (ms: number, d = 'A'): string => formatHlc({ physicalMs: ms, counter: 0, device: d });

function harness(check: Check, handles: Record<string, PeerView> = {}, now: () => number = () => 0) {
  const trace = new Trace(now);
  return checkHarness(check, { handles, trace, extra: { sim: { trace } } });
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

  it('prune: pruning past what the network delivered of some member\'s acknowledgements fails', () => {
    const t = harness(pruneCheck(['A', 'B', 'C']));
    t.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', resource: 'tag', upTo: h(20) });
    t.emit('sim', 'fact.peer.ack', { from: 'C', to: 'A', resource: 'tag', upTo: h(10) });
    // C says it sent more, but the network did not deliver it: it does not count.
    t.emit('C', 'peer.ack.send', { to: 'A', resource: 'tag', upTo: h(20) });
    t.emit('A', 'peer.log.prune', { resource: 'tag', upTo: h(10), count: 1 });
    expect(t.failures).toEqual([]);
    t.emit('A', 'peer.log.prune', { resource: 'tag', upTo: h(20), count: 1 });
    expect(t.failures.join()).toMatch(/acknowledgements of C only up to .*10-000000-A/);
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

  const change = (from: string, to: string, resource: string, last: string, shared = false): Record<string, unknown> => ({ from, to, sentUs: 0, resource, shared, n: 1, minTs: last, maxTs: last, last, lastUuid: 'u' });
  const request = (from: string, to: string, resource: string, writer: string | null, since: string | null, sinceUuid: string | null = 'u', sentUs = 0): Record<string, unknown> => ({ from, to, sentUs, reqId: 1, resource, writer, since, sinceUuid });

  it('watermark: a catch-up request past anything the network delivered of that stream (a global watermark) fails', () => {
    const t = harness(watermarkCheck(['A', 'B']));
    t.emit('sim', 'fact.peer.change', change('A', 'B', 'entry', h(50)));
    t.emit('sim', 'fact.peer.change', change('A', 'B', 'location', h(20)));
    t.emit('B', 'peer.recv', { from: 'A', resource: 'location', n: 5, maxTs: h(50) }); // a claim: does not count
    t.emit('sim', 'fact.peer.request', request('B', 'A', 'entry', 'A', h(50)));
    t.emit('sim', 'fact.peer.request', request('B', 'A', 'location', 'A', h(20)));
    expect(t.failures).toEqual([]);
    t.emit('sim', 'fact.peer.request', request('B', 'A', 'location', 'A', h(50)));
    expect(t.failures.join()).toMatch(/B resumes 'location' of A at watermark .*50-000000-A\/u, beyond anything of A's the network delivered to it/);
  });

  it('watermark: what a relay delivered counts for its writer; an adoption counts up to what the writer announced', () => {
    const t = harness(watermarkCheck(['A', 'B', 'C']));
    t.emit('sim', 'fact.peer.response', { from: 'B', to: 'C', writer: 'A', resource: 'entry', n: 5, last: h(50), lastUuid: 'u' });
    t.emit('sim', 'fact.peer.request', request('C', 'B', 'entry', 'A', h(50)));
    t.emit('sim', 'fact.peer.request', request('C', 'A', 'entry', 'A', h(50)));
    expect(t.failures).toEqual([]);
    t.emit('sim', 'fact.peer.request', request('C', 'B', 'entry', 'B', h(50)));
    expect(t.failures.join()).toMatch(/resumes 'entry' of B at watermark .*50-000000-A\/u, beyond anything .* \(the start\)/);
    const u = harness(watermarkCheck(['A', 'B']));
    u.emit('sim', 'fact.peer.heartbeat', { from: 'A', to: 'B', sentUs: 0, hlc: h(70), latest: { tag: [h(60), 'u'] } });
    u.emit('B', 'peer.watermark', { peer: 'A', resource: 'tag', ts: h(60), adopted: true });
    u.emit('sim', 'fact.peer.request', request('B', 'A', 'tag', 'A', h(60), null));
    expect(u.failures).toEqual([]);
    u.emit('B', 'peer.watermark', { peer: 'A', resource: 'album', ts: h(60), adopted: true }); // never announced
    u.emit('sim', 'fact.peer.request', request('B', 'A', 'album', 'A', h(60), null));
    expect(u.failures.join()).toMatch(/resumes 'album' of A at watermark .*60-000000-A, beyond anything/);
  });

  it('resend: a shared change sent after the peer\'s acknowledgement of it was delivered fails', () => {
    const t = harness(resendCheck(['A', 'B']));
    t.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', resource: 'tag', upTo: h(20) });
    t.emit('sim', 'fact.peer.change', { ...change('A', 'B', 'tag', h(30), true), minTs: h(25) });
    t.emit('sim', 'fact.peer.change', { ...change('A', 'C', 'tag', h(30), true), minTs: h(10) }); // C acked nothing
    expect(t.failures).toEqual([]);
    t.emit('sim', 'fact.peer.change', { ...change('A', 'B', 'tag', h(30), true), minTs: h(20), sentUs: 5 });
    expect(t.failures.join()).toMatch(/A sent B 1 'tag' changes from .*20-000000-A, but B had acknowledged everything up to .*20-000000-A/);
  });

  it('resend: what a restarted sender knows is what its store held at the start and what its new process received', () => {
    let now = 0;
    const at = (us: number): void => void (now = us);
    const run = (stored: Record<string, Record<string, string>> | null) => {
      now = 0;
      const t = harness(resendCheck(['A', 'B']), {}, () => now);
      t.emit('A', 'node.start', {});
      at(10);
      t.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', resource: 'tag', upTo: h(20) });
      at(20);
      t.emit('A', 'node.crash', {}); // before its commit stored the acknowledgement (or after: `stored`)
      at(30);
      t.emit('A', 'node.start', {});
      if (stored !== null) t.emit('sim', 'fact.peer.acks', { device: 'A', acks: stored });
      at(40);
      t.emit('sim', 'fact.peer.change', { ...change('A', 'B', 'tag', h(20), true), sentUs: 35 });
      return t;
    };
    // peer-swarm-long seed 1021009: the acknowledgement died with the process that received it: the resend is due.
    expect(run(null).failures).toEqual([]);
    expect(run({ B: { tag: h(10) } }).failures).toEqual([]);
    // Stored before the crash: the new process loads it, and must not resend what it covers.
    expect(run({ B: { tag: h(20) } }).failures.join()).toMatch(/A sent B 1 'tag' changes from .*20-000000-A, but B had acknowledged everything up to .*20-000000-A \(delivered to the sending process before the send, or stored when it started\)/);
    // A stored acknowledgement is believed only up to what the network delivered of B's.
    expect(run({ B: { tag: h(30) } }).failures.join()).toMatch(/acknowledged everything up to .*20-000000-A/);
    // The new process learns acknowledgements again; a change sent by the old process before it died is
    // judged on what that one knew.
    const t = run(null);
    at(50);
    t.emit('sim', 'fact.peer.change', { ...change('A', 'B', 'tag', h(20), true), sentUs: 15 });
    expect(t.failures.join()).toMatch(/from .*20-000000-A, but B had acknowledged everything up to .*20-000000-A/);
    t.failures.length = 0;
    t.emit('sim', 'fact.peer.ack', { from: 'B', to: 'A', resource: 'tag', upTo: h(20) });
    at(60);
    t.emit('sim', 'fact.peer.change', { ...change('A', 'B', 'tag', h(20), true), sentUs: 55 });
    expect(t.failures.join()).toMatch(/but B had acknowledged everything up to .*20-000000-A/);
  });

  it('backfill-resume: a request from zero, or behind the durable checkpoint, fails; the first one after a start must be at it', () => {
    const cp = (ts: string | null, uuid: string | null) => ({ device: 'E', init: false, checkpoint: { entry: { ts, uuid, done: false } } });
    const t = harness(backfillResumeCheck(['A', 'E']));
    t.emit('E', 'node.start', {});
    t.emit('sim', 'fact.peer.request', request('E', 'A', 'entry', null, null, null));
    t.emit('sim', 'fact.peer.store', cp(h(10), 'u5'));
    t.emit('sim', 'fact.peer.request', request('E', 'A', 'entry', null, h(10), 'u5', 1));
    expect(t.failures).toEqual([]);
    t.emit('sim', 'fact.peer.request', request('E', 'A', 'entry', null, null, null, 2));
    expect(t.failures.join()).toMatch(/E asked A for 'entry' from the start \(started over from zero\), but its durable checkpoint of 'entry' was at .*10-000000-A\/u5/);
    const u = harness(backfillResumeCheck(['A', 'E']));
    u.emit('sim', 'fact.peer.store', cp(h(10), 'u5'));
    u.emit('E', 'node.start', {});
    u.emit('sim', 'fact.peer.request', request('E', 'A', 'entry', null, h(10), 'u9', 1));
    expect(u.failures.join()).toMatch(/as its first request after starting \(records in between skipped\)/);
  });

  it('backfill-progress: figures beyond what the network delivered, an expectation no response announced, or a ratio going back fail', () => {
    const run = (batches: Record<string, unknown>[]): string => {
      const t = harness(backfillProgressCheck(['A', 'E']));
      t.emit('E', 'node.start', {});
      t.emit('sim', 'fact.peer.response', { from: 'A', to: 'E', writer: null, resource: 'entry', n: 10, totals: { entry: 30, tag: 10 } });
      t.emit('sim', 'fact.peer.store', { device: 'E', init: false, checkpoint: { entry: { ts: h(1), uuid: 'u', done: false }, tag: { ts: null, uuid: null, done: false } } });
      for (const b of batches) t.emit('E', 'peer.backfill.batch', b);
      return t.failures.join();
    };
    expect(run([{ received: 10, expected: 40, ratio: 0.25 }])).toBe('');
    expect(run([{ received: 12, expected: 40, ratio: 0.3 }])).toMatch(/reports 12 records synced, but the network delivered 10/);
    expect(run([{ received: 10, expected: 30, ratio: 1 / 3 }])).toMatch(/expects 30 records, but the full-scan responses delivered counted 40/);
    expect(run([{ received: 10, expected: 40, ratio: 0.25 }, { received: 9, expected: 40, ratio: 0.225 }])).toMatch(/went back from 0.2500/);
    const t = harness(backfillProgressCheck(['A', 'E']));
    t.emit('E', 'node.start', {});
    t.emit('sim', 'fact.peer.response', { from: 'A', to: 'E', writer: null, resource: 'entry', n: 30, totals: { entry: 30, tag: 10 } });
    t.emit('sim', 'fact.peer.response', { from: 'A', to: 'E', writer: null, resource: 'tag', n: 10, totals: { entry: 30, tag: 10 } });
    t.emit('sim', 'fact.peer.store', { device: 'E', init: false, checkpoint: { entry: { ts: h(1), uuid: 'u', done: false }, tag: { ts: h(2), uuid: 'u', done: true } } });
    t.emit('E', 'peer.backfill.batch', { received: 40, expected: 40, ratio: 1 });
    expect(t.failures.join()).toMatch(/reports progress 1 while its durable checkpoint says 'entry' is not done/);
  });

  it('hlc-drift: a rejection within the bound of the true wall clock, or an HLC taken beyond it, fails', () => {
    const wall = 1_000_000;
    const t = harness(hlcDriftCheck(['A', 'B'], 5_000));
    t.emit('sim', 'fact.clock', { node: 'A', driftPpm: 0, wallMs: wall, monotonicMs: 0 });
    t.emit('A', 'peer.hlc.rejected', { from: 'B', remote: h(wall + 6_000, 'B') });
    t.emit('sim', 'fact.peer.heartbeat', { from: 'A', to: 'B', sentUs: 0, hlc: h(wall + 4_999) });
    expect(t.failures).toEqual([]);
    t.emit('A', 'peer.hlc.rejected', { from: 'B', remote: h(wall + 3_000, 'B') });
    expect(t.failures.join()).toMatch(/A rejected .* as too far ahead, but it is 3000 ms ahead of A's true wall clock/);
    const u = harness(hlcDriftCheck(['A', 'B'], 5_000));
    u.emit('sim', 'fact.clock', { node: 'A', driftPpm: 0, wallMs: wall, monotonicMs: 0 });
    // A clock stepping back lowers the wall clock, not what A may have taken before.
    u.emit('sim', 'fact.clock', { node: 'A', driftPpm: 0, wallMs: wall - 8_000, monotonicMs: 0 });
    u.emit('sim', 'fact.peer.change', { ...change('A', 'B', 'tag', h(wall + 5_000)), maxTs: h(wall + 5_000) });
    expect(u.failures).toEqual([]);
    u.emit('sim', 'fact.peer.heartbeat', { from: 'A', to: 'B', sentUs: 0, hlc: h(wall + 7_000) });
    expect(u.failures.join()).toMatch(/A sent a heartbeat with HLC .*, 7000 ms ahead of the highest true reading of its wall clock/);
  });

  it('acked writes: a lost write or a resurrected delete fails at the end', () => {
    const rec = new Map<string, { ts: string; data: string | null }>([['tag/t1', { ts: h(5), data: 'old' }], ['tag/t2', { ts: h(9), data: 'back' }]]);
    const view: PeerView = { state: () => 'ready', digest: () => '', get: (r, u) => rec.get(`${r}/${u}`), records: () => [], resources: () => ['tag'] };
    const b: PeerView = { ...view, get: () => undefined };
    const t = harness(ackedWritesCheck(['A']), { A: view, B: b });
    ackedWrites(t.ctx).push({ node: 'B', resource: 'tag', uuid: 't1', hlc: h(7, 'B'), deleted: false });
    t.final();
    expect(t.failures.join()).toMatch(/invariant:acked-not-lost: A: acknowledged write of 'tag' t1 .* is lost/);
    const u = harness(ackedWritesCheck(['A']), { A: view, B: b });
    ackedWrites(u.ctx).push({ node: 'B', resource: 'tag', uuid: 't2', hlc: h(8, 'B'), deleted: true });
    u.final();
    expect(u.failures.join()).toMatch(/invariant:no-resurrection: A: acknowledged delete of 'tag' t2 by B .* is alive again/);
  });
  it('acked writes: a writer down at the end owes only what the network delivered to a device that is up', () => {
    const empty: PeerView = { state: () => 'ready', digest: () => '', get: () => undefined, records: () => [], resources: () => ['tag'] };
    // B is down at the end (no handle); its write never left it: durable on B, not lost.
    const t = harness(ackedWritesCheck(['A']), { A: empty });
    ackedWrites(t.ctx).push({ node: 'B', resource: 'tag', uuid: 't1', hlc: h(7, 'B'), deleted: false });
    t.final();
    expect(t.failures).toEqual([]);
    // The network delivered it to A (a live change from B, then a relay naming B as writer): A must hold it.
    for (const fact of [
      { kind: 'fact.peer.change', data: { from: 'B', to: 'A', resource: 'tag', minTs: h(6, 'B'), maxTs: h(8, 'B') } },
      { kind: 'fact.peer.response', data: { from: 'C', to: 'A', resource: 'tag', writer: 'B', since: h(1, 'B'), maxTs: h(7, 'B') } },
    ]) {
      const u = harness(ackedWritesCheck(['A']), { A: empty });
      ackedWrites(u.ctx).push({ node: 'B', resource: 'tag', uuid: 't1', hlc: h(7, 'B'), deleted: false });
      u.emit('sim', fact.kind, fact.data);
      u.final();
      expect(u.failures.join(), fact.kind).toMatch(/A: acknowledged write of 'tag' t1 .* is lost/);
    }
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
      const ctx = { sim, shared: new Map(), exercised: () => undefined, handle: () => viewOf(records), fail: (_k: string, n: string, m: string) => failures.push(`${n}: ${m}`) } as unknown as ScenarioContext;
      memoryIsDurableCheck(['A']).final?.(ctx);
      return failures;
    };
    expect(check(stored)).toEqual([]);
    expect(check({ tag: [rec('t1', h(5), 'x'), rec('t9', h(7), 'new')] }).join()).toMatch(/A: 'tag' t9: serves .*"new" from memory, its kv store holds nothing/);
    expect(check({ tag: [rec('t1', h(6), 'x')] }).join()).toMatch(/A: 'tag' t1: serves .* from memory, its kv store holds/);
  });
});

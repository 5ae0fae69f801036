/**
 * The backfill model with data, fed hand-written traces: a join with a crash and a resume passes; each
 * guard refuses the violation it names, with its reason (the variants test shows them catching real
 * weakened implementations).
 */
import { describe, expect, it } from 'vitest';
import { modelGraph } from '../../src/model/graph.ts';
import { ModelMonitor } from '../../src/model/monitor.ts';
import { backfillModel } from '../../src/model/peer/backfill-model.ts';

const spec = backfillModel(['A', 'B', 'E'], { resources: ['entry', 'tag'], joiners: ['E'] });
type Rec = [node: string, kind: string, data?: Record<string, unknown>];

function feed(recs: Rec[]): { monitor: ModelMonitor; failures: string[] } {
  const failures: string[] = [];
  const monitor = new ModelMonitor(spec, { fail: (f) => void failures.push(f.message) });
  recs.forEach(([node, kind, data], i) => monitor.onRecord({ i, t: i * 1000, node, kind, data: data ?? {} }));
  return { monitor, failures };
}

const start = (n: string): Rec => [n, 'node.start', { device: n }];
const ready = (from: string, to = 'E'): Rec => ['sim', 'fact.peer.heartbeat', { from, to, ready: true }];
const response = (from: string, resource: string, since: [string, string] | null, last: [string, string], hasMore: boolean, n = 2): Rec => [
  'sim',
  'fact.peer.response',
  { from, to: 'E', writer: null, resource, since: since?.[0] ?? null, sinceUuid: since?.[1] ?? null, n, last: last[0], lastUuid: last[1], hasMore },
];
const recv = (peer: string, resource: string, cursor: string, n = 2): Rec => ['E', 'peer.backfill.recv', { peer, resource, n, cursor }];
type Cp = Record<string, [string | null, string | null, boolean]>;
const durable = (cp: Cp | null, init = false, device = 'E'): Rec => [
  'sim',
  'fact.peer.store',
  { device, init, checkpoint: cp === null ? null : Object.fromEntries(Object.entries(cp).map(([r, [ts, uuid, done]]) => [r, { ts, uuid, done }])) },
];
const batch = (peer: string, resource: string): Rec => ['E', 'peer.backfill.batch', { peer, resource }];

/** E joins from A: one batch of 'entry', a crash, the rest from B. */
const JOIN: Rec[] = [
  start('A'), durable(null, true, 'A'), ['A', 'peer.sync.ready'],
  start('B'), durable(null, true, 'B'), ['B', 'peer.sync.ready'],
  start('E'), ready('A'), ready('B'),
  ['E', 'peer.backfill.begin'],
  ['E', 'peer.backfill.assign', { peer: 'A', resources: ['entry', 'tag'] }],
  response('A', 'entry', null, ['t1', 'u2'], true),
  recv('A', 'entry', 't1'),
  durable({ entry: ['t1', 'u2', false], tag: [null, null, false] }),
  batch('A', 'entry'),
  ['E', 'node.crash'],
  start('E'), ready('B'),
  ['E', 'peer.backfill.begin', { resumed: true }],
  ['E', 'peer.backfill.assign', { peer: 'B', resources: ['entry', 'tag'] }],
  response('B', 'entry', ['t1', 'u2'], ['t1', 'u4'], false),
  recv('B', 'entry', 't1'),
  durable({ entry: ['t1', 'u4', true], tag: [null, null, false] }),
  batch('B', 'entry'),
  ['E', 'peer.buffer.push', { id: 'x' }],
  response('B', 'tag', null, ['t3', 'tag-1'], false, 1),
  recv('B', 'tag', 't3', 1),
  durable({ entry: ['t1', 'u4', true], tag: ['t3', 'tag-1', true] }),
  batch('B', 'tag'),
  ['E', 'peer.backfill.complete'],
  durable(null, true),
  ['E', 'peer.buffer.applied', { ids: ['x'] }],
  ['E', 'peer.sync.ready'],
  ['E', 'peer.applied'],
];

/** JOIN up to (not including) the first record of `kind` numbered `nth`, then `tail`. */
function cutAt(kind: string, nth: number, tail: Rec[]): Rec[] {
  let seen = 0;
  const at = JOIN.findIndex((r) => r[1] === kind && ++seen === nth);
  return [...JOIN.slice(0, at), ...tail];
}

describe('backfill model with data', () => {
  it('refuses a founder that goes ready over live updates it buffered while starting (peer-swarm seed 2)', () => {
    const base: Rec[] = [start('A'), ['A', 'peer.buffer.push', { id: 'x' }]];
    expect(feed([...base, ['A', 'peer.sync.ready']]).failures.join()).toMatch(/readyFromStart: live updates it buffered while starting were never applied/);
    expect(feed([...base, ['A', 'peer.buffer.applied', { ids: ['x'] }], ['A', 'peer.sync.ready']]).failures).toEqual([]);
    expect(feed([...base, ['A', 'peer.buffer.overflow'], ['A', 'peer.sync.ready']]).failures).toEqual([]);
  });

  it('accepts a join with a crash, a resume at the durable checkpoint, a peer switch and buffered updates', () => {
    const { monitor, failures } = feed(JOIN);
    expect(failures).toEqual([]);
    expect(monitor.state('E')).toBe('ready');
    expect(monitor.state('A')).toBe('ready');
    expect(monitor.hot()).toEqual([]);
  });

  it('refuses a batch from a peer the resource is not assigned to', () => {
    const { failures } = feed(cutAt('peer.backfill.recv', 1, [response('B', 'entry', null, ['t1', 'u2'], true), recv('B', 'entry', 't1')]));
    expect(failures.join()).toMatch(/refused RECV .*recvAsDelivered: 'entry' is assigned to A, not B/);
  });

  it('refuses a batch that is not what the network delivered', () => {
    expect(feed(cutAt('peer.backfill.recv', 1, [recv('A', 'entry', 't9')])).failures.join()).toMatch(/recvAsDelivered: applies 2 records up to t9, but A's response held 2 up to t1/);
    const none = feed(cutAt('fact.peer.response', 1, [recv('A', 'entry', 't1')]));
    expect(none.failures.join()).toMatch(/recvAsDelivered: no response of A for 'entry' answers the last full scan/);
  });

  it('refuses a batch answering an older request: the last one was refused (an Error) or not answered', () => {
    // E asks A again from t1 (fact.peer.request delivered); A refuses; E applies A's earlier answer again.
    const request: Rec = ['sim', 'fact.peer.request', { from: 'E', to: 'A', writer: null, resource: 'entry', since: 't1', sinceUuid: 'u2' }];
    const after = JOIN.findIndex((r) => r[1] === 'peer.backfill.batch') + 1;
    const stale = feed([...JOIN.slice(0, after), request, recv('A', 'entry', 't1')]);
    expect(stale.failures.join()).toMatch(/recvAsDelivered: no response of A for 'entry' answers the last full scan of 'entry' this device asked it for/);
    // A catch-up request (writer named) leaves the backfill's answer alone; an answer to the new request is applied.
    const catchup: Rec = ['sim', 'fact.peer.request', { from: 'E', to: 'A', writer: 'A', resource: 'entry', since: 't1', sinceUuid: 'u2' }];
    expect(feed([...JOIN.slice(0, after), catchup]).failures).toEqual([]);
    const answered = feed([...JOIN.slice(0, after), request, response('A', 'entry', ['t1', 'u2'], ['t2', 'u1'], true), recv('A', 'entry', 't2')]);
    expect(answered.failures).toEqual([]);
  });

  it('refuses a resumed backfill that starts over from zero, or past the durable checkpoint', () => {
    const zero = feed(cutAt('fact.peer.response', 2, [response('B', 'entry', null, ['t1', 'u2'], true), recv('B', 'entry', 't1')]));
    expect(zero.failures.join()).toMatch(/answers a request from the start \(restarted from zero\?\), but the durable checkpoint of 'entry' is at t1\/u2/);
    const past = feed(cutAt('fact.peer.response', 2, [response('B', 'entry', ['t1', '\uffff'], ['t2', 'u1'], true), recv('B', 'entry', 't2')]));
    expect(past.failures.join()).toMatch(/from t1\/\uffff, past it .* durable checkpoint of 'entry' is at t1\/u2/);
  });

  it('refuses a batch whose checkpoint is not durable, and a checkpoint that is not the batch', () => {
    expect(feed(cutAt('fact.peer.store', 3, [batch('A', 'entry')])).failures.join()).toMatch(/batchCheckpointed: the batch of 'entry' is applied but the durable checkpoint of 'entry' is at the start/);
    const ahead = feed(cutAt('fact.peer.store', 3, [durable({ entry: ['t5', 'u9', false], tag: [null, null, false] })]));
    expect(ahead.failures.join()).toMatch(/durableAsApplied: the durable checkpoint of 'entry' moved to t5\/u9, but the batch being applied \(from A\) ends at t1\/u2/);
  });

  it('refuses the library marked complete before the backfill completes, and completion with a resource not done', () => {
    expect(feed(cutAt('fact.peer.store', 3, [durable({ entry: ['t1', 'u2', false], tag: [null, null, false] }, true)])).failures.join()).toMatch(
      /durableAsApplied: the library was marked complete \(meta\/init\) while the backfill is still running/,
    );
    expect(feed(cutAt('node.crash', 1, [['E', 'peer.backfill.complete']])).failures.join()).toMatch(/allDone: completed while the durable checkpoint says 'entry', 'tag' not done/);
  });

  it('refuses ready at start for a joiner whose durable state is incomplete, but not once it is complete', () => {
    expect(feed([start('E'), ['E', 'peer.sync.ready']]).failures.join()).toMatch(/readyFromStart: not a configured founder/);
    const restarted: Rec[] = [...JOIN, ['E', 'node.crash'], start('E')];
    expect(feed([...restarted, ['E', 'peer.sync.ready']]).failures).toEqual([]);
    expect(feed([...restarted, ['E', 'peer.backfill.begin']]).failures.join()).toMatch(/backfillOnlyIfIncomplete: its durable state says the library is complete/);
    expect(feed([start('E'), durable(null, true)]).failures.join()).toMatch(/initOnlyForFounder: the library was marked complete .* not a configured founder/);
  });

  it('refuses work dealt to a peer that never said it was ready, and ready before the library is durably complete', () => {
    expect(feed([start('E'), ['E', 'peer.backfill.begin'], ['E', 'peer.backfill.assign', { peer: 'B', resources: ['tag'] }]]).failures.join()).toMatch(
      /assignReadyPeer: B never said it was ready/,
    );
    const early = JOIN.filter((r) => !(r[1] === 'fact.peer.store' && r[2]?.device === 'E' && r[2]?.init === true));
    expect(feed(early).failures.join()).toMatch(/readyWhenComplete: its library is not durably complete/);
  });

  it('keeps the finite rules: no live apply before ready, no batch while paused, no buffering once ready', () => {
    expect(feed([start('E'), ['E', 'peer.backfill.begin'], ['E', 'peer.applied']]).failures.join()).toMatch(/refused LIVE_APPLY/);
    expect(feed([start('E'), ['E', 'peer.backfill.begin'], ['E', 'peer.backfill.pause'], batch('A', 'entry')]).failures.join()).toMatch(/no transition for BATCH in 'paused'/);
    expect(feed([...JOIN, ['E', 'peer.buffer.push', { id: 'y' }]]).failures.join()).toMatch(/no transition for BUFFER in 'ready'/);
  });

  it('has the states of the issue, all reachable in the graph', () => {
    const g = modelGraph(spec.machine);
    expect(g.states).toEqual(['backfilling', 'bufferApplied', 'catchingUp', 'down', 'paused', 'ready', 'uninitialized']);
    expect(g.transitions.length).toBeGreaterThan(25);
  });
});

/**
 * The receive path of live changes, seen from the wire (docs/peer-sync.md, "Receiving, watermarks and
 * catch-up"): a real founder A gets hand-made changes from a scripted member B and we watch what A stores,
 * sends back and counts.
 *
 * - Watermark `wm/B/<resource>` (announced in A's heartbeat `marks`, what A can relay of B's stream) moves to
 *   the last record of a live change whose `prev` its watermark covers, and never after a gap.
 * - Shared chain: a change whose `prev` is at or before A's contiguous point is acknowledged
 *   (`AckSharedChanges upTo`); a change after a gap is applied but not acknowledged, and A asks B for what it
 *   missed (a `SharedChangeRequest` from A's watermark).
 * - A change whose HLC is more than `maxDriftMs` ahead of A's wall clock is refused whole: `Error clock-drift`
 *   back, nothing stored, counted as rejected.
 * - Metrics: received, applied, and rejected by reason ('superseded', 'clock-drift').
 */
import { describe, expect, it } from 'vitest';
import { formatHlc, parseHlc } from '../../src/impl/peer/hlc.ts';
import type { Cursor, SyncRecord } from '../../src/impl/peer/records.ts';
import { LIB, peerWorld, type PeerWorld, type Wire } from './scripted-peer.ts';

const rec = (uuid: string, ts: string, data: string | null = uuid): SyncRecord => ({ uuid, writer: 'B', ts, data });
const key = (r: SyncRecord): Cursor => ({ ts: r.ts, uuid: r.uuid });

/** The mark for B in `resource` of A's latest heartbeat to B (A's watermark for B's stream there). */
async function markOf(w: PeerWorld, resource: string): Promise<Cursor | null> {
  await w.advance(150); // a heartbeat round (heartbeatMs 100) after the change was applied
  const hbs = w.got('Heartbeat');
  const marks = hbs[hbs.length - 1]!.marks as unknown as Record<string, Record<string, Cursor>>;
  return marks[resource]!.B ?? null;
}

const owned = (prev: Cursor | null, records: SyncRecord[]) =>
  records.length === 1
    ? ({ type: 'StateChange', library: LIB, from: 'B', resource: 'entry', prev, record: records[0]! } as const)
    : ({ type: 'StateBatch', library: LIB, from: 'B', resource: 'entry', prev, records } as const);
const shared = (prev: string | null, changes: SyncRecord[]) =>
  changes.length === 1
    ? ({ type: 'SharedChange', library: LIB, from: 'B', resource: 'tag', prev, change: changes[0]! } as const)
    : ({ type: 'SharedChangeBatch', library: LIB, from: 'B', resource: 'tag', prev, changes } as const);

describe('live device-owned changes and the watermark', () => {
  it('follows a contiguous chain to the last record of each change (prev at the watermark included), not a change after a gap', async () => {
    const w = await peerWorld();
    expect(await markOf(w, 'entry')).toBeNull();

    const e1 = rec('e1', w.ts(0));
    w.send(owned(null, [e1])); // B's first change in the resource
    expect(await markOf(w, 'entry')).toEqual(key(e1));
    expect(await markOf(w, 'tag')).toBeNull(); // one watermark per (writer, resource)

    // One transaction of B: two records with one ts, chained from exactly the watermark.
    const t2 = w.ts(0);
    const [e2, e3] = [rec('e2', t2), rec('e3', t2)];
    w.send(owned(key(e1), [e2, e3]));
    expect(await markOf(w, 'entry')).toEqual(key(e3));

    // A change after a gap (its prev is a key A never received): applied, but the watermark stays.
    const e5 = rec('e5', w.ts(5));
    w.send(owned({ ts: w.ts(4), uuid: 'e4' }, [e5]));
    expect(await markOf(w, 'entry')).toEqual(key(e3));
    expect(w.a().get('entry', 'e5')).toEqual(e5);
    // The watermark is durable: the same in A's kv store (meta wm/B/entry).
    expect(w.stored('meta', 'wm/B/entry')).toEqual(key(e3));
    expect(w.a().records('entry').map((r) => r.uuid).sort()).toEqual(['e1', 'e2', 'e3', 'e5']);
  });

  it('a watermark inside a transaction: a change chained from that transaction\'s last key is after a gap (the uuid breaks the tie)', async () => {
    // A holds only the first records of B's transaction at ts T (as a catch-up page ending inside it leaves
    // it); B's next change names the transaction's last key as prev. Same ts, later uuid: A misses the rest
    // of the transaction, and a watermark that followed would let catch-up skip it for good.
    const w = await peerWorld();
    const t = w.ts(0);
    const [a1, a2] = [rec('a1', t), rec('a2', t)];
    w.send(owned(null, [a1, a2]));
    expect(await markOf(w, 'entry')).toEqual(key(a2));
    const next = rec('n1', w.ts(1));
    w.send(owned({ ts: t, uuid: 'a9' }, [next]));
    expect(await markOf(w, 'entry')).toEqual(key(a2));
    expect(w.a().get('entry', 'n1')).toEqual(next);
    // Chained from exactly the watermark's key, it follows.
    const n2 = rec('n2', w.ts(2));
    w.send(owned(key(a2), [n2]));
    expect(await markOf(w, 'entry')).toEqual(key(n2));
  });

  it('a first change chained after a gap (no watermark yet) is applied and sets no watermark', async () => {
    const w = await peerWorld();
    const e9 = rec('e9', w.ts(1));
    w.send(owned({ ts: w.ts(0), uuid: 'e8' }, [e9]));
    expect(await markOf(w, 'entry')).toBeNull();
    expect(w.a().get('entry', 'e9')).toEqual(e9);
    expect(w.stored('rec', 'entry/e9')).toEqual({ u: 'e9', w: 'B', t: e9.ts, d: 'e9' });
    expect(w.stored('meta', 'wm/B/entry')).toBeUndefined();
  });
});

describe('live shared changes: chain, acknowledgements and gaps', () => {
  it('acknowledges each change that extends the chain, and on a gap acknowledges nothing and asks B from the watermark', async () => {
    const w = await peerWorld();
    const acks = (): Wire[] => w.got('AckSharedChanges');

    const t1 = rec('t1', w.ts(0));
    w.send(shared(null, [t1]));
    await w.advance(20);
    expect(acks().map((m) => [m.resource, m.upTo])).toEqual([['tag', t1.ts]]);
    expect(await markOf(w, 'tag')).toEqual(key(t1));

    // A batch chained from t1: acknowledged up to its newest change; the watermark follows to it.
    const [t2, t3] = [rec('t2', w.ts(0)), rec('t3', w.ts(1))];
    w.send(shared(t1.ts, [t2, t3]));
    await w.advance(20);
    expect(acks().map((m) => m.upTo)).toEqual([t1.ts, t3.ts]);
    expect(await markOf(w, 'tag')).toEqual(key(t3));

    // A gap: prev is a change A never got. Applied, not acknowledged, watermark kept, and A asks B for its
    // stream after the watermark.
    const t5 = rec('t5', w.ts(5));
    w.send(shared(w.ts(4), [t5]));
    await w.advance(20);
    expect(w.a().get('tag', 't5')).toEqual(t5);
    expect(acks().map((m) => m.upTo)).toEqual([t1.ts, t3.ts]);
    // The catch-up session goes through the resources in order: B's owned stream first (nothing new).
    const owners = w.got('StateRequest');
    expect(owners).toMatchObject([{ resource: 'entry', writer: 'B', since: null }]);
    w.send({ type: 'StateResponse', library: LIB, from: 'B', reqId: owners[0]!.reqId as number, resource: 'entry', records: [], hasMore: false, remaining: 0, totals: null });
    await w.advance(20);
    const reqs = w.got('SharedChangeRequest');
    expect(reqs).toMatchObject([{ resource: 'tag', writer: 'B', since: t3.ts }]);
    expect(await markOf(w, 'tag')).toEqual(key(t3));
    // B answers with what A missed: the gap is filled, the watermark follows and the chain is acknowledged
    // up to B's head.
    const t4 = rec('t4', formatHlc({ ...parseHlc(t3.ts), counter: parseHlc(t3.ts).counter + 1 }));
    expect(t3.ts < t4.ts && t4.ts < t5.ts).toBe(true);
    w.send({ type: 'SharedChangeResponse', library: LIB, from: 'B', reqId: reqs[0]!.reqId as number, resource: 'tag', changes: [t4, t5], hasMore: false, remaining: 0, head: t5.ts, totals: null });
    await w.advance(20);
    expect(w.a().get('tag', 't4')).toEqual(t4);
    expect(acks().map((m) => m.upTo)).toEqual([t1.ts, t3.ts, t5.ts]);
    expect(await markOf(w, 'tag')).toEqual(key(t5));
    expect(w.a().metrics().counters.acksSent).toBe(3);
  });
});

describe('clock drift and rejection counts', () => {
  it('refuses a change too far ahead of its wall clock whole: Error clock-drift, nothing stored, counted by reason', async () => {
    const w = await peerWorld({ maxDriftMs: 10_000 });
    const remote = w.ts(0, 30_000);
    w.send(owned(null, [rec('far1', remote), rec('far2', remote)]));
    await w.advance(20);
    const errors = w.got('Error');
    expect(errors).toEqual([{ type: 'Error', library: LIB, from: 'A', code: 'clock-drift', message: expect.any(String), ref: 'StateBatch', reqId: null }]);
    expect(w.via(errors[0]!)).toBe('connection'); // answered where the change came from
    expect(w.a().get('entry', 'far1')).toBeUndefined();
    expect(w.stored('rec', 'entry/far1')).toBeUndefined();
    // Traced with the remote clock it refused (what invariant:hlc-drift checks).
    expect(w.recs('peer.hlc.rejected').map((r) => [r.data.from, r.data.remote])).toEqual([['B', remote]]);
    const m = w.a().metrics();
    expect(m.counters.changesReceived).toBe(0);
    expect(m.changesRejected).toEqual({ 'clock-drift': 2 });
    expect(m.messagesRejected).toEqual({ 'clock-drift': 1 });
    expect(m.counters.errorsSent).toBe(1);
    // A's clock did not move to the refused one: the next own write is stamped near its wall clock.
    let own: string[] = [];
    void w.a().writeShared('tag', [{ uuid: 'mine', data: 'x' }]).then((t) => (own = t));
    await w.advance(20);
    expect(own).toHaveLength(1);
    expect(own[0]! < remote).toBe(true);
  });

  it('counts received changes, the applied ones, and those that lost the merge as superseded', async () => {
    const w = await peerWorld();
    const e1 = rec('e1', w.ts(0));
    w.send(owned(null, [e1]));
    await w.advance(20);
    let m = w.a().metrics();
    expect([m.counters.changesReceived, m.counters.changesApplied]).toEqual([1, 1]);
    expect(m.changesRejected).toEqual({});

    // The same version again (a duplicate) and an older version of a record A holds newer: both lose.
    const t = w.ts(3);
    const [x, y] = [rec('x', t), rec('y', t)];
    w.send(owned(key(e1), [x, y]));
    await w.advance(20);
    w.send(owned(null, [e1]));
    await w.advance(20);
    const older = rec('x', w.ts(0, -50), 'old');
    w.send(owned(null, [older]));
    await w.advance(20);
    m = w.a().metrics();
    expect([m.counters.changesReceived, m.counters.changesApplied]).toEqual([5, 3]);
    expect(m.changesRejected).toEqual({ superseded: 2 });
    expect(w.a().get('entry', 'x')).toEqual(x);
  });
});

describe('the weakened variant peer-global-watermark', () => {
  it('keeps one watermark per peer: a change in one resource shows as its mark in every resource', async () => {
    const w = await peerWorld({ variant: 'peer-global-watermark' });
    const e1 = rec('e1', w.ts(0));
    w.send(owned(null, [e1]));
    expect(await markOf(w, 'entry')).toEqual(key(e1));
    expect(await markOf(w, 'tag')).toEqual(key(e1));
  });
});

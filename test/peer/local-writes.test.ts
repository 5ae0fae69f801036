/**
 * What the transaction manager refuses (docs/peer-sync.md, "Transaction manager", and the handle's
 * `writeOwned` / `writeShared`): a write to a resource of the other kind, an empty write or one over
 * WRITE_ITEMS_MAX items, a write naming a uuid twice, a write while the device is not ready, and a shared write
 * that would overflow the unacknowledged log. A refused write rejects with an error naming the problem, and
 * stores and sends nothing; a write at the limit goes through whole.
 */
import { describe, expect, it } from 'vitest';
import { WRITE_ITEMS_MAX } from '../../src/impl/peer/transactions.ts';
import { peerWorld, type PeerWorld } from './scripted-peer.ts';

const items = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => ({ uuid: `${prefix}${String(i).padStart(5, '0')}`, data: 'd' }));

/**
 * How a write ends: its rejection (an Error) or its resolution, after the simulation ran a little (a write
 * that should have been refused but was not resolves instead of hanging the test).
 */
async function outcome(w: PeerWorld, p: Promise<unknown>): Promise<unknown> {
  let result: unknown = 'pending';
  p.then((v) => (result = { resolved: v }), (e: unknown) => (result = e));
  await w.advance(20);
  return result;
}

/** The error a write was refused with (fails the test if it was not refused). */
async function refusal(w: PeerWorld, p: Promise<unknown>): Promise<Error> {
  const r = await outcome(w, p);
  if (!(r instanceof Error)) throw new Error(`not refused: ${JSON.stringify(r)}`);
  return r;
}

/** Change messages A sent B so far. */
const changesSent = (w: PeerWorld) => w.got().filter((m) => ['StateChange', 'StateBatch', 'SharedChange', 'SharedChangeBatch'].includes(m.type));

describe('local writes the transaction manager refuses', () => {
  it('a write to an unknown resource or one of the other kind, an empty or oversized write, or one naming a uuid twice: rejected, nothing stored or sent', async () => {
    const w = await peerWorld();
    const a = w.a();
    expect((await refusal(w, a.writeOwned('tag', items(1)))).message).toBe("peer: resource 'tag' does not hold owned data");
    expect((await refusal(w, a.writeShared('entry', items(1)))).message).toBe("peer: resource 'entry' does not hold shared data");
    expect((await refusal(w, a.writeOwned('album', items(1)))).message).toBe("peer: unknown resource 'album'");
    expect((await refusal(w, a.writeShared('album', items(1)))).message).toBe("peer: unknown resource 'album'");
    const empty = await refusal(w, a.writeOwned('entry', []));
    expect(empty).toBeInstanceOf(RangeError);
    expect(empty.message).toBe(`peer: a write holds 1..${WRITE_ITEMS_MAX} items, got 0`);
    expect(await refusal(w, a.writeShared('tag', []))).toBeInstanceOf(RangeError);
    expect((await refusal(w, a.writeOwned('entry', items(WRITE_ITEMS_MAX + 1)))).message).toContain(`got ${WRITE_ITEMS_MAX + 1}`);
    const twice = await refusal(w, a.writeShared('tag', [{ uuid: 'x', data: '1' }, { uuid: 'y', data: '2' }, { uuid: 'x', data: '3' }]));
    expect(twice).toBeInstanceOf(RangeError);
    expect(twice.message).toBe('peer: a write names a uuid twice');
    await w.advance(50);
    expect(a.count('entry') + a.count('tag')).toBe(0);
    expect(w.sim.device('A').kv.visibleSnapshot().get('rec')?.size ?? 0).toBe(0);
    expect(changesSent(w)).toEqual([]);
    expect(a.metrics().counters.changesSent).toBe(0);
  });

  it('a write of exactly WRITE_ITEMS_MAX items is one transaction, stored whole and broadcast as one batch', async () => {
    const w = await peerWorld();
    let hlc: string | null = null;
    void w.a().writeOwned('entry', items(WRITE_ITEMS_MAX)).then((h) => (hlc = h));
    await w.advance(100);
    expect(hlc).not.toBeNull();
    expect(w.a().count('entry')).toBe(WRITE_ITEMS_MAX);
    expect(w.stored('rec', 'entry/u04999')).toEqual({ u: 'u04999', w: 'A', t: hlc, d: 'd' });
    const sent = changesSent(w);
    expect(sent.map((m) => [m.type, (m.records as unknown[]).length])).toEqual([['StateBatch', WRITE_ITEMS_MAX]]);
    expect(w.a().metrics().counters.changesSent).toBe(WRITE_ITEMS_MAX);
  });

  it('a shared write that would take the unacknowledged log past logMax is refused, naming the resource', async () => {
    const w = await peerWorld({ logMax: 3 });
    let done: string[] = [];
    void w.a().writeShared('tag', items(2)).then((t) => (done = t));
    await w.advance(20);
    expect(done).toHaveLength(2);
    expect((await refusal(w, w.a().writeShared('tag', items(2, 'v')))).message).toContain("peer log of 'tag' full: 2 changes");
    void w.a().writeShared('tag', items(1, 'v')).then((t) => (done = t)); // up to logMax: accepted
    await w.advance(20);
    expect(done).toHaveLength(1);
    expect(w.a().logSize('tag')).toBe(3);
  });

  it('no write while the device is not ready (a joiner that has no peer to backfill from)', async () => {
    const w = await peerWorld({ founder: false });
    expect(w.a().state()).not.toBe('ready');
    expect((await refusal(w, w.a().writeOwned('entry', items(1)))).message).toMatch(/^peer A: cannot write while (backfilling|paused|uninitialized)$/);
    expect((await refusal(w, w.a().writeShared('tag', items(1)))).message).toMatch(/cannot write while/);
    expect(w.a().count('entry')).toBe(0);
  });
});

/**
 * How a node takes a peer's acknowledgement of its shared changes (src/impl/peer/receive.ts `onAck`), driven
 * by a scripted member B in front of a real node A:
 * - an acknowledgement above A's own head acknowledges changes A never made: ignored (nothing stored, nothing
 *   pruned, `peer.ack.invalid` traced);
 * - one at or below what B acknowledged before is ignored (the stored point never moves back);
 * - a valid one is stored durably (`meta ack/B/<resource>`), prunes A's log up to it (B is A's only peer),
 *   and restarts the resend clock for B: A resends nothing B acknowledged, and resends what it did not once
 *   `ackTimeoutMs` passed.
 * Scenarios see few of these paths (the built-in node never acknowledges past the head or backwards), so
 * their rules are pinned here.
 */
import { describe, expect, it } from 'vitest';
import type { WriteItem } from '../../src/impl/peer/transactions.ts';
import { LIB, peerWorld, type PeerWorld } from './scripted-peer.ts';

/** A's shared write, run to its durable commit (the simulation only moves when a test advances it). */
async function write(w: PeerWorld, items: WriteItem[]): Promise<string[]> {
  const p = w.a().writeShared('tag', items);
  await w.advance(20);
  return p;
}

const ack = (upTo: string) => ({ type: 'AckSharedChanges', library: LIB, from: 'B', resource: 'tag', upTo }) as const;

describe('acknowledgements of shared changes', () => {
  it('stores a valid acknowledgement and prunes the log up to it; ignores one above the head or going back', async () => {
    const w = await peerWorld({ ackTimeoutMs: 2_000 });
    const ts = await write(w, [
      { uuid: 't1', data: 'one' },
      { uuid: 't2', data: 'two' },
    ]);
    const [t3] = await write(w, [{ uuid: 't3', data: 'three' }]);
    await w.advance(20);
    expect(w.a().logSize('tag')).toBe(3);
    const head = t3!;

    // Above A's head (a change A never made): ignored, traced, nothing stored or pruned.
    const beyond = `${head.slice(0, 5)}9${head.slice(6)}`;
    expect(beyond > head).toBe(true);
    w.send(ack(beyond));
    await w.advance(20);
    expect(w.stored('meta', 'ack/B/tag')).toBeUndefined();
    expect(w.recs('peer.ack.invalid').map((r) => r.data)).toEqual([{ from: 'B', resource: 'tag', upTo: beyond }]);
    expect(w.a().logSize('tag')).toBe(3);

    // Up to the first transaction: stored durably, and the log pruned up to it (B is the only peer).
    w.send(ack(ts[1]!));
    await w.advance(20);
    expect(w.stored('meta', 'ack/B/tag')).toBe(ts[1]);
    expect(w.recs('peer.ack.recv').map((r) => r.data)).toEqual([{ from: 'B', resource: 'tag', upTo: ts[1] }]);
    expect(w.a().logSize('tag')).toBe(1);

    // Going back (or repeating it): ignored, the stored point does not move.
    w.send(ack(ts[0]!));
    w.send(ack(ts[1]!));
    await w.advance(20);
    expect(w.stored('meta', 'ack/B/tag')).toBe(ts[1]);
    expect(w.recs('peer.ack.recv')).toHaveLength(1);

    // The head itself: stored, the log empty.
    w.send(ack(head));
    await w.advance(20);
    expect(w.stored('meta', 'ack/B/tag')).toBe(head);
    expect(w.a().logSize('tag')).toBe(0);
    expect(w.recs('peer.ack.invalid')).toHaveLength(1);
  });

  it('an acknowledgement restarts the resend clock: what B acknowledged is never resent, the rest is, ackTimeoutMs after the acknowledgement', async () => {
    // Resends are checked every ackTimeoutMs / 2 (1 s here); a change stays unacknowledged from the first check
    // that sees it; it is resent once ackTimeoutMs passed since then, or since B's last acknowledgement.
    const w = await peerWorld({ ackTimeoutMs: 2_000 });
    const resends = () => w.got('SharedChangeBatch');
    const [t1] = await write(w, [{ uuid: 't1', data: 'one' }]);
    const [t2] = await write(w, [{ uuid: 't2', data: 'two' }]);
    // Unacknowledged since the check at about 1 s: due at about 3 s. B acknowledges t1 at 2.4 s.
    await w.advance(2_400 - 90);
    expect(resends()).toHaveLength(0);
    w.send(ack(t1!));
    await w.advance(1_100);
    expect(resends(), 'resent 600 ms after an acknowledgement, as if the clock had not restarted').toHaveLength(0);
    await w.advance(2_000);
    // t2 only, chained from what B acknowledged.
    expect(resends()).toHaveLength(1);
    expect(resends()[0]).toMatchObject({ resource: 'tag', prev: t1, changes: [{ u: 't2', t: t2 }] });
    // Acknowledged up to the head: never resent again, however long A waits.
    w.send(ack(t2!));
    await w.advance(20_000);
    expect(resends()).toHaveLength(1);
  });

  it('ignores an acknowledgement of a resource in which A made no change at all', async () => {
    const w = await peerWorld();
    w.send(ack(w.ts()));
    await w.advance(20);
    expect(w.stored('meta', 'ack/B/tag')).toBeUndefined();
    expect(w.recs('peer.ack.invalid')).toHaveLength(1);
    expect(w.recs('peer.ack.recv')).toHaveLength(0);
  });

  it('an acknowledgement A gets before its first resend round after a start is stored (no state of that peer yet)', async () => {
    const w = await peerWorld({ ackTimeoutMs: 60_000 });
    const [t1] = await write(w, [{ uuid: 't1', data: 'one' }]);
    await w.advance(20);
    w.send(ack(t1!));
    await w.advance(20);
    expect(w.stored('meta', 'ack/B/tag')).toBe(t1);
    expect(w.a().logSize('tag')).toBe(0);
  });
});

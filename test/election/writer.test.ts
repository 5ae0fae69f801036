/**
 * The leader side of write forwarding (SingleWriter.onRequest), driven by hand over a fake bus: a
 * forwarded write of the wrong shape is ignored (no reply, nothing applied), and once the store fences a
 * batch's first write, the rest of that batch fails EFENCED without reaching the store.
 */
import { describe, expect, it } from 'vitest';
import type { Bus, Clock, Tracer, Value } from '../../src/impl/env.ts';
import { FencedError, type FencedStore, type StoreWrite } from '../../src/impl/election/fenced-store.ts';
import { resolveTabOptions } from '../../src/impl/election/options.ts';
import type { Election } from '../../src/impl/election/types.ts';
import { REPLY_CHANNEL, REQUEST_CHANNEL, SingleWriter } from '../../src/impl/election/writer.ts';

/** A leader tab's writer over a fake bus and `store`; returns it, what it posted, and a way to deliver a request. */
function leader(store: FencedStore) {
  const handlers = new Map<string, (m: Value, from: string) => void>();
  const posted: { channel: string; message: Value }[] = [];
  const bus: Bus = {
    post: (channel, message) => void posted.push({ channel, message }),
    subscribe: (channel, handler) => {
      handlers.set(channel, handler);
      return () => handlers.delete(channel);
    },
  };
  const clock: Clock = {
    now: () => 0,
    monotonic: () => 0,
    sleep: () => new Promise(() => undefined),
    setTimeout: () => 0 as never,
    setInterval: () => 0 as never,
    clearTimer: () => undefined,
  };
  const trace: Tracer = { emit: () => undefined, probe: () => undefined };
  let fencedAt: number | null = null;
  const election: Election = {
    start: () => undefined,
    role: () => 'leader' as never,
    epoch: () => 1,
    canWrite: () => fencedAt === null,
    fenced: (epoch) => void (fencedAt = epoch),
    subscribe: () => () => undefined,
    close: async () => undefined,
  };
  const w = new SingleWriter({ nodeId: 'A', incarnation: 1, clock, bus, trace, store, election, settings: resolveTabOptions({}) });
  w.start();
  const deliver = (m: Value): void => handlers.get(REQUEST_CHANNEL)!(m, 'B');
  return { posted, deliver, fencedAt: () => fencedAt };
}

/** Lets the writer's promise chains settle. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('the leader answering forwarded writes', () => {
  it('ignores a forwarded write of the wrong shape: no reply, nothing applied', async () => {
    const applied: StoreWrite[] = [];
    const { posted, deliver } = leader({
      fence: async () => undefined,
      apply: async (w) => (applied.push(w), { seq: applied.length, dedup: false }),
      lookup: async () => null,
      read: async () => undefined,
    });
    const good = { type: 'fwd', id: 'B.1.1', reqId: 'B.1.1', from: 'B', key: 'k', value: 'v' };
    for (const bad of [
      { ...good, type: 'reply' },
      { ...good, id: 7 },
      { ...good, from: null },
      { ...good, key: 1 },
      { ...good, value: false },
    ]) {
      deliver(bad as Value);
    }
    await settle();
    expect(posted).toEqual([]);
    expect(applied).toEqual([]);
    deliver(good);
    await settle();
    expect(applied).toEqual([{ key: 'k', value: 'v', epoch: 1, reqId: 'B.1.1' }]);
    expect(posted).toEqual([{ channel: REPLY_CHANNEL, message: { type: 'reply', id: 'B.1.1', to: 'B', ok: true, seq: 1, dedup: false } }]);
  });

  it("fails the rest of a batch EFENCED once the store fences its first write, without trying them", async () => {
    let calls = 0;
    const { posted, deliver, fencedAt } = leader({
      fence: async () => undefined,
      apply: async () => {
        calls++;
        throw new FencedError(1, 2);
      },
      lookup: async () => null,
      read: async () => undefined,
    });
    // Three requests in one turn: one batch.
    for (const n of [1, 2, 3]) deliver({ type: 'fwd', id: `B.1.${n}`, reqId: `B.1.${n}`, from: 'B', key: `k${n}`, value: `v${n}` });
    await settle();
    expect(calls).toBe(1);
    expect(fencedAt()).toBe(1);
    expect(posted.map((p) => p.message)).toEqual([1, 2, 3].map((n) => ({ type: 'reply', id: `B.1.${n}`, to: 'B', ok: false, code: 'EFENCED' })));
  });
});

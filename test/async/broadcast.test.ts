/**
 * broadcast: every receiver accounts for every value sent after it subscribed, each either received in
 * order or counted in exactly one lag report; a send wakes every waiting receiver; close wakes every
 * receiver after it drained; an unsubscribed receiver no longer counts and reads closed. Explored over
 * interleavings of senders and slow receivers by fast-check's scheduler; 'silent-lag' must fail it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcast, type BroadcastOptions, type Recv } from '../../src/impl/async/index.ts';
import { expectCaught, Rules, sendWhileSubscribing, step } from './scheduling.ts';

interface ReceiverSpec {
  /** Values sent before it subscribes (it subscribes at the first send step at or after this count). */
  subscribeAfter: number;
  /** Scheduled steps before each recv: a slow receiver falls behind. */
  slowness: number;
  /** Unsubscribed at a scheduled point (maybe while it waits in recv): from then on its recv says closed. */
  leaves: boolean;
}

/**
 * Sends 0..values-1 (one per scheduled step) then closes, either racing the receivers or once everything
 * settled; receivers subscribe along the way, read at their own pace until `closed`, and some unsubscribe
 * midway. Checks each receiver's sequence of results against what was sent.
 */
async function broadcastRun(
  s: fc.Scheduler,
  capacity: number,
  values: number,
  receivers: ReceiverSpec[],
  closeWhenSettled: boolean,
  opts: BroadcastOptions = {},
): Promise<void> {
  const rules = new Rules();
  const channel = broadcast<number>(capacity, opts);
  // `leftAt`: how many results it had read when it was unsubscribed (null while subscribed).
  const logs = receivers.map(() => ({ from: -1, results: [] as Recv<number>[], leftAt: null as number | null }));
  const next = receivers.map(() => 0); // the first value a receiver has not accounted for yet
  const waiting = receivers.map(() => false);
  const read = async (r: number, sent: number): Promise<void> => {
    const spec = receivers[r]!;
    const rx = r % 2 === 0 ? channel.subscribe() : channel.sender.subscribe();
    const log = logs[r]!;
    log.from = next[r] = sent;
    if (spec.leaves) {
      void step(s, `unsubscribe ${r}`).then(() => {
        rx.unsubscribe();
        log.leftAt = log.results.length;
      });
    }
    for (;;) {
      for (let k = 0; k < spec.slowness; k++) await step(s, `receiver ${r} busy`);
      waiting[r] = true;
      const got = await rx.recv();
      waiting[r] = false;
      log.results.push(got);
      if (got.kind === 'value') next[r] = got.value + 1;
      if (got.kind === 'lagged') next[r] += got.missed;
      if (got.kind === 'closed') return;
    }
  };
  const live = (): number => logs.filter((l, r) => started[r] && l.leftAt === null).length;
  const { started, done } = sendWhileSubscribing(
    s,
    values,
    receivers,
    (r, sent) => void read(r, sent).catch(rules.unexpected),
    (v) => rules.check(channel.sender.send(v) === live(), 'send returns the number of subscribed receivers'),
  );
  if (closeWhenSettled) {
    void done.catch(rules.unexpected);
    await s.waitIdle();
    // Settled: a receiver waiting in recv has read or counted every value (each send woke it).
    waiting.forEach((w, r) => {
      rules.check(!w || logs[r]!.leftAt === null, `receiver ${r}: waits in recv though it was unsubscribed (unsubscribe did not wake it)`);
      rules.check(!w || next[r] === values, `receiver ${r}: waits in recv with values ${next[r]}..${values - 1} unread (a send did not wake it)`);
    });
    channel.sender.close();
  } else {
    void done
      .then(() => step(s, 'close'))
      .then(() => channel.sender.close())
      .catch(rules.unexpected);
  }
  await s.waitIdle();

  logs.forEach(({ from, results, leftAt }, r) => checkReceiver(rules, r, from, values, capacity, results, leftAt));
  rules.verify();
}

/**
 * Walks one receiver's results: values in order, lags counted exactly, then closed; every value accounted
 * for, unless it was unsubscribed after reading `leftAt` results: then the next one (if any) is closed.
 */
function checkReceiver(rules: Rules, r: number, from: number, values: number, capacity: number, results: Recv<number>[], leftAt: number | null): void {
  let expected = from;
  for (const got of results) {
    if (got.kind === 'value') {
      rules.check(got.value === expected, `receiver ${r}: got ${got.value}, expected ${expected} (a skip without a lag report)`);
      expected = got.value + 1;
    } else if (got.kind === 'lagged') {
      // Two reports in a row are fine (it fell behind again before reading); each counts new misses only.
      rules.check(got.missed > 0, `receiver ${r}: lag report of ${got.missed}`);
      expected += got.missed;
    }
  }
  rules.check(results.at(-1)?.kind === 'closed', `receiver ${r}: did not see closed (close must wake it)`);
  rules.check(results.filter((x) => x.kind === 'closed').length === 1, `receiver ${r}: read past closed`);
  if (leftAt !== null) rules.check(results.length <= leftAt + 1, `receiver ${r}: read ${results[leftAt]?.kind} after it was unsubscribed`);
  else rules.check(expected === values, `receiver ${r}: accounted for values ${from}..${expected - 1} of ${from}..${values - 1}`);
  if (values - from <= capacity) rules.check(!results.some((x) => x.kind === 'lagged'), `receiver ${r}: lag reported though the ring never overflowed`);
}

const receiverSpec = (values: number): fc.Arbitrary<ReceiverSpec> =>
  fc.record({
    subscribeAfter: fc.integer({ min: 0, max: values }),
    slowness: fc.integer({ min: 0, max: 3 }),
    leaves: fc.boolean(),
  });

const property = (opts: BroadcastOptions = {}) =>
  fc.asyncProperty(
    fc.scheduler(),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 0, max: 10 }).chain((values) =>
      fc.record({ values: fc.constant(values), receivers: fc.array(receiverSpec(values), { minLength: 1, maxLength: 4 }) }),
    ),
    fc.boolean(),
    (s, capacity, { values, receivers }, closeWhenSettled) => broadcastRun(s, capacity, values, receivers, closeWhenSettled, opts),
  );

describe('broadcast', { timeout: 10_000 }, () => {
  it('every receiver gets every value in order or an exact lag report, then closed (property)', async () => {
    await fc.assert(property(), { numRuns: 300 });
  });

  it("weaken 'silent-lag' (a lagging receiver skips ahead without a report) fails the property", async () => {
    await expectCaught(property({ weaken: 'silent-lag' }), /a skip without a lag report|accounted for values/);
  });

  it('a receiver that fell behind gets one lag report with the exact count, then the oldest kept value', async () => {
    const { sender, subscribe } = broadcast<string>(2);
    const rx = subscribe();
    for (const v of ['a', 'b', 'c', 'd', 'e']) sender.send(v);
    expect(await rx.recv()).toEqual({ kind: 'lagged', missed: 3 });
    expect(await rx.recv()).toEqual({ kind: 'value', value: 'd' });
    sender.send('f');
    expect(await rx.recv()).toEqual({ kind: 'value', value: 'e' });
    expect(await rx.recv()).toEqual({ kind: 'value', value: 'f' });
  });

  it('close wakes every waiting receiver, lets others drain first, and unsubscribe ends one receiver', async () => {
    const { sender, subscribe } = broadcast<number>(4);
    const waiting = [subscribe(), subscribe()];
    const pending = waiting.map((rx) => rx.recv());
    expect(sender.send(1)).toBe(2);
    expect(await Promise.all(pending)).toEqual([
      { kind: 'value', value: 1 },
      { kind: 'value', value: 1 },
    ]);
    const late = waiting.map((rx) => rx.recv());
    const behind = subscribe();
    sender.send(2);
    await Promise.all(late);
    const idle = [waiting[0]!.recv(), waiting[1]!.recv()];
    sender.close();
    expect(await Promise.all(idle)).toEqual([{ kind: 'closed' }, { kind: 'closed' }]);
    expect(await behind.recv()).toEqual({ kind: 'value', value: 2 });
    expect(await behind.recv()).toEqual({ kind: 'closed' });
    expect(() => sender.send(3)).toThrow(/after close/);
    const gone = subscribe();
    gone.unsubscribe();
    expect(await gone.recv()).toEqual({ kind: 'closed' });
    expect(() => broadcast(0)).toThrow(/capacity/);
  });
});

/**
 * broadcast: every receiver accounts for every value sent after it subscribed, each either received in
 * order or counted in exactly one lag report; close wakes every receiver after it drained. Explored over
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
}

/**
 * Sends 0..values-1 (one per scheduled step) then closes; receivers subscribe along the way and read at
 * their own pace until `closed`. Checks each receiver's sequence of results against what was sent.
 */
async function broadcastRun(
  s: fc.Scheduler,
  capacity: number,
  values: number,
  receivers: ReceiverSpec[],
  opts: BroadcastOptions = {},
): Promise<void> {
  const rules = new Rules();
  const channel = broadcast<number>(capacity, opts);
  const logs = receivers.map(() => ({ from: -1, results: [] as Recv<number>[] }));
  const read = async (r: number, sent: number): Promise<void> => {
    const spec = receivers[r]!;
    const rx = r % 2 === 0 ? channel.subscribe() : channel.sender.subscribe();
    logs[r]!.from = sent;
    for (;;) {
      for (let k = 0; k < spec.slowness; k++) await step(s, `receiver ${r} busy`);
      const got = await rx.recv();
      logs[r]!.results.push(got);
      if (got.kind === 'closed') return;
    }
  };
  const { started, done } = sendWhileSubscribing(
    s,
    values,
    receivers,
    (r, sent) => void read(r, sent).catch(rules.unexpected),
    (v) => rules.check(channel.sender.send(v) === started.filter(Boolean).length, 'send returns the receiver count'),
  );
  void done
    .then(() => step(s, 'close'))
    .then(() => channel.sender.close())
    .catch(rules.unexpected);
  await s.waitIdle();

  logs.forEach(({ from, results }, r) => checkReceiver(rules, r, from, values, capacity, results));
  rules.verify();
}

/** Walks one receiver's results: values in order, lags counted exactly, every value accounted for, then closed. */
function checkReceiver(rules: Rules, r: number, from: number, values: number, capacity: number, results: Recv<number>[]): void {
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
  rules.check(expected === values, `receiver ${r}: accounted for values ${from}..${expected - 1} of ${from}..${values - 1}`);
  if (values - from <= capacity) rules.check(!results.some((x) => x.kind === 'lagged'), `receiver ${r}: lag reported though the ring never overflowed`);
}

const receiverSpec = (values: number): fc.Arbitrary<ReceiverSpec> =>
  fc.record({ subscribeAfter: fc.integer({ min: 0, max: values }), slowness: fc.integer({ min: 0, max: 3 }) });

const property = (opts: BroadcastOptions = {}) =>
  fc.asyncProperty(
    fc.scheduler(),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 0, max: 10 }).chain((values) =>
      fc.record({ values: fc.constant(values), receivers: fc.array(receiverSpec(values), { minLength: 1, maxLength: 4 }) }),
    ),
    (s, capacity, { values, receivers }) => broadcastRun(s, capacity, values, receivers, opts),
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

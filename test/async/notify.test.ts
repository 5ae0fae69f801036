/**
 * Notify: no lost wake-ups (a consumer that checks, does async work, then waits never sleeps through an
 * item), explored over interleavings by fast-check's scheduler; tokio's exact semantics (one stored permit
 * at most, notifyWaiters wakes only current waiters) against a reference model; 'lose-stored-permit' must
 * make the wake-up property fail.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cancelled, CancellationToken, Notify, type NotifyOptions } from '../../src/impl/async/index.ts';
import { expectCaught, Rules, step } from './scheduling.ts';

/**
 * Producers push items and `notifyOne`; one consumer loops "take everything, do async bookkeeping, wait on
 * the Notify". The bookkeeping step is where a producer can slip in: its `notifyOne` finds no waiter and must
 * be remembered. After the scheduler ran everything, no item may be left behind.
 */
async function wakeUpRun(s: fc.Scheduler, items: number, producers: number, opts: NotifyOptions = {}): Promise<void> {
  const notify = new Notify(opts);
  const rules = new Rules();
  const queue: number[] = [];
  const taken: number[] = [];
  let next = 0;
  const consumer = async (): Promise<never> => {
    for (;;) {
      while (queue.length > 0) taken.push(queue.shift()!);
      await step(s, 'consumer bookkeeping'); // e.g. a write of what it took
      await notify.notified();
    }
  };
  const producer = async (p: number): Promise<void> => {
    while (next < items) {
      await step(s, `producer ${p}`);
      if (next >= items) return;
      queue.push(next++);
      notify.notifyOne();
    }
  };
  void consumer().catch(rules.unexpected);
  for (let p = 0; p < producers; p++) void producer(p).catch(rules.unexpected);
  await s.waitIdle();
  rules.check(queue.length === 0, `lost wake-up: ${queue.length} item(s) left while the consumer sleeps (took ${taken.length} of ${items})`);
  rules.check(taken.join() === [...Array(items).keys()].join(), `order: took [${taken.join()}]`);
  rules.verify();
}

const wakeUpProperty = (opts: NotifyOptions = {}) =>
  fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), (s, items, producers) =>
    wakeUpRun(s, items, producers, opts),
  );

type Op = { op: 'wait' } | { op: 'wait-cancelled' } | { op: 'one' } | { op: 'all' } | { op: 'cancel'; waiter: number };

/**
 * Applies `ops` one by one to a Notify and to a reference model of tokio's semantics (a FIFO of waiters and
 * one stored permit), comparing after each op which waiters resolved.
 */
async function modelRun(ops: Op[]): Promise<void> {
  const notify = new Notify();
  const woken: boolean[] = [];
  const cancelledWaiters: boolean[] = [];
  const tokens: CancellationToken[] = [];
  const model = { permit: false, queue: [] as number[], woken: [] as boolean[] };
  for (const o of ops) {
    if (o.op === 'wait') {
      const id = tokens.length;
      tokens.push(new CancellationToken());
      woken.push(false);
      cancelledWaiters.push(false);
      model.woken.push(false);
      notify.notified(tokens[id]).then(
        () => (woken[id] = true),
        (e: unknown) => (cancelledWaiters[id] = e instanceof Cancelled),
      );
      if (model.permit) [model.permit, model.woken[id]] = [false, true];
      else model.queue.push(id);
    } else if (o.op === 'wait-cancelled') {
      // A wait with a token that already fired rejects at once and leaves a stored permit where it is.
      const token = new CancellationToken();
      token.cancel('gone');
      let outcome = 'pending';
      notify.notified(token).then(
        () => (outcome = 'woken'),
        (e: unknown) => (outcome = e instanceof Cancelled ? 'cancelled' : String(e)),
      );
      await Promise.resolve();
      expect(outcome, 'a wait with a cancelled token').toBe('cancelled');
    } else if (o.op === 'one') {
      notify.notifyOne();
      const id = model.queue.shift();
      if (id === undefined) model.permit = true;
      else model.woken[id] = true;
    } else if (o.op === 'all') {
      notify.notifyWaiters();
      for (const id of model.queue.splice(0)) model.woken[id] = true;
    } else if (o.waiter < tokens.length) {
      tokens[o.waiter]!.cancel();
      model.queue = model.queue.filter((id) => id !== o.waiter);
    }
    await Promise.resolve();
    await Promise.resolve();
    expect(woken, `waiters woken after ${o.op}`).toEqual(model.woken);
    expect(notify.hasPermit, `a stored permit after ${o.op}`).toBe(model.permit);
    expect(notify.waiting, `waiters queued after ${o.op}`).toBe(model.queue.length);
  }
  // A waiter is woken or cancelled, never both; cancelled ones were still queued when their token fired.
  woken.forEach((w, id) => expect(w && cancelledWaiters[id]).toBe(false));
}

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ op: 'wait' as const }),
  fc.constant({ op: 'wait-cancelled' as const }),
  fc.constant({ op: 'one' as const }),
  fc.constant({ op: 'all' as const }),
  fc.record({ op: fc.constant('cancel' as const), waiter: fc.nat(10) }),
);

const modelProperty = (): fc.IAsyncPropertyWithHooks<[Op[]]> => fc.asyncProperty(fc.array(op, { maxLength: 30 }), modelRun);

describe('Notify', { timeout: 10_000 }, () => {
  it('never loses a wake-up: a consumer that checks, works, then waits takes every item (property)', async () => {
    await fc.assert(wakeUpProperty(), { numRuns: 300 });
  });

  it("weaken 'lose-stored-permit' (notifyOne with no waiter is dropped) fails the property", async () => {
    await expectCaught(wakeUpProperty({ weaken: 'lose-stored-permit' }), /lost wake-up/);
  });

  it("follows tokio's semantics: at most one stored permit, notifyWaiters wakes only current waiters, FIFO, cancel leaves, a cancelled wait takes nothing (property)", async () => {
    await fc.assert(modelProperty(), { numRuns: 300 });
  });

  it('stores one permit however many notifyOne calls, and notifyWaiters stores none', async () => {
    const notify = new Notify();
    notify.notifyOne();
    notify.notifyOne();
    await notify.notified(); // the stored permit
    let second = false;
    void notify.notified().then(() => (second = true));
    notify.notifyWaiters();
    await Promise.resolve();
    expect(second).toBe(true);
    let third = false;
    void notify.notified().then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false); // notifyWaiters before it stored nothing
    expect(notify.waiting).toBe(1);
  });
});

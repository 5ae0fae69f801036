/**
 * Semaphore: FIFO grants (no overtaking, also by a large waiter), the bound on permits held, and every
 * permit back after any mix of throws and cancellations, explored over promise interleavings by
 * fast-check's scheduler; the 'leak-on-error' weakening must make the property fail.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cancelled, CancellationToken, Semaphore, type Permit, type SemaphoreOptions } from '../../src/impl/async/index.ts';
import { expectCaught, Rules, step } from './scheduling.ts';

/** One task of a property run: what it asks for and how its attempt goes. */
interface TaskSpec {
  count: number;
  /** Holds through `withPermit` (count 1) instead of `acquireMany` + release in `finally`. */
  withPermit: boolean;
  holdSteps: number;
  throws: boolean;
  cancels: boolean;
  /** Calls `release()` twice (only the first may count). */
  releasesTwice: boolean;
}

const taskSpec = (permits: number): fc.Arbitrary<TaskSpec> =>
  fc.record({
    count: fc.integer({ min: 1, max: permits }),
    withPermit: fc.boolean(),
    holdSteps: fc.integer({ min: 0, max: 2 }),
    throws: fc.boolean(),
    cancels: fc.boolean(),
    releasesTwice: fc.boolean(),
  });

const runSpec = fc.integer({ min: 1, max: 3 }).chain((permits) =>
  fc.record({ permits: fc.constant(permits), tasks: fc.array(taskSpec(permits), { minLength: 1, maxLength: 8 }) }),
);

class Boom extends Error {}

type Outcome = 'waiting' | 'held' | 'done' | 'threw' | 'cancelled';

/**
 * Starts every task at a scheduled point, cancels some at other scheduled points, lets the scheduler pick
 * the order of everything, then checks the rules (throwing the first broken one).
 */
async function semaphoreRun(s: fc.Scheduler, permits: number, tasks: TaskSpec[], opts: SemaphoreOptions = {}): Promise<void> {
  const sem = new Semaphore(permits, opts);
  const rules = new Rules();
  const rule = (cond: boolean, message: string): void => rules.check(cond, message);
  const outcome: Outcome[] = tasks.map(() => 'waiting');
  const tokens = tasks.map(() => new CancellationToken());
  const called: number[] = []; // task indices in the order they called acquire
  let held = 0; // permits held by tasks, counted by the test itself

  const onGrant = (i: number, count: number): void => {
    outcome[i] = 'held';
    held += count;
    rule(held <= permits, `bound: ${held} permits held of ${permits}`);
    for (const j of called.slice(0, called.indexOf(i))) {
      rule(outcome[j] !== 'waiting' || tokens[j]!.cancelled, `FIFO: task ${i} granted before earlier waiter ${j}`);
    }
  };
  const countOf = (i: number): number => (tasks[i]!.withPermit ? 1 : tasks[i]!.count);
  // No idle permit while the queue's head waits: the queue is the tail of the tasks still waiting (in call
  // order), since grants take from the front synchronously and the test learns of them a microtask later.
  const checkWorkConserving = (when: string): void => {
    const waiting = called.filter((j) => outcome[j] === 'waiting' && !tokens[j]!.cancelled);
    if (sem.waiting === 0) return;
    const head = waiting[waiting.length - sem.waiting]!;
    rule(countOf(head) > sem.available, `idle permits: task ${head} waits for ${countOf(head)} with ${sem.available} free (${when})`);
  };
  const run = async (i: number, t: TaskSpec): Promise<void> => {
    const count = countOf(i);
    const body = async (): Promise<void> => {
      onGrant(i, count);
      for (let k = 0; k < t.holdSteps; k++) {
        await step(s, `hold ${i}`);
        checkWorkConserving(`while task ${i} holds`);
      }
      held -= count;
      if (t.throws) throw new Boom();
    };
    called.push(i);
    try {
      if (t.withPermit) {
        await sem.withPermit(body, tokens[i]);
      } else {
        const permit = await sem.acquireMany(count, tokens[i]);
        try {
          await body();
        } finally {
          permit.release();
          if (t.releasesTwice) permit.release();
          checkWorkConserving(`after task ${i} released`);
        }
      }
      outcome[i] = 'done';
    } catch (error) {
      if (error instanceof Boom) outcome[i] = 'threw';
      else if (error instanceof Cancelled) {
        rule(outcome[i] === 'waiting', `task ${i} was cancelled after its grant`);
        outcome[i] = 'cancelled';
      } else throw error;
    }
  };
  tasks.forEach((t, i) => {
    void step(s, `start ${i}`)
      .then(() => run(i, t))
      .catch(rules.unexpected);
    if (t.cancels) {
      void step(s, `cancel ${i}`)
        .then(() => {
          tokens[i]!.cancel('test');
          checkWorkConserving(`after cancelling task ${i}`);
        })
        .catch(rules.unexpected);
    }
  });
  await s.waitIdle();

  outcome.forEach((o, i) => {
    rule(o !== 'waiting' && o !== 'held', `liveness: task ${i} is still ${o} (${sem.waiting} queued, ${sem.available} free)`);
    if (o === 'cancelled') rule(tokens[i]!.cancelled, `task ${i} rejected as cancelled without a cancel`);
  });
  rule(sem.available === permits, `permits: ${sem.available} of ${permits} back after all tasks ended`);
  rule(sem.waiting === 0, `queue: ${sem.waiting} waiters left`);
  tokens.forEach((t, i) => rule(t.listenerCount === 0, `token ${i} keeps ${t.listenerCount} listeners`));
  rules.verify();
}

const property = (opts: SemaphoreOptions = {}) =>
  fc.asyncProperty(fc.scheduler(), runSpec, (s, { permits, tasks }) => semaphoreRun(s, permits, tasks, opts));

describe('Semaphore', { timeout: 10_000 }, () => {
  it('grants FIFO within the bound and gets every permit back after throws and cancellations (property)', async () => {
    await fc.assert(property(), { numRuns: 300 });
  });

  it("weaken 'leak-on-error' (withPermit keeps the permit when fn throws) fails the property", async () => {
    await expectCaught(property({ weaken: 'leak-on-error' }), /permits: \d of \d back|liveness: task \d+ is still waiting/);
  });

  it('a waiter for many permits at the head is not overtaken by a smaller one, and its cancellation lets the queue move', async () => {
    const sem = new Semaphore(2);
    const first = await sem.acquire();
    const token = new CancellationToken();
    const order: string[] = [];
    const big = sem.acquireMany(2, token).then(
      () => order.push('big'),
      (e: unknown) => order.push(e instanceof Cancelled ? `big cancelled: ${e.reason}` : 'big failed'),
    );
    let second: Permit | undefined;
    void sem.acquire().then((p) => {
      order.push('small');
      second = p;
    });
    await Promise.resolve();
    expect([sem.available, sem.waiting, order]).toEqual([1, 2, []]); // one permit free, yet small waits
    token.cancel('gave up');
    expect([sem.available, sem.inUse, sem.waiting]).toEqual([0, 2, 0]); // small granted in the same step
    await big;
    expect(order).toEqual(['big cancelled: gave up', 'small']);
    first.release();
    second!.release();
    expect(sem.available).toBe(2);
  });

  it('a release is idempotent, a cancelled token rejects at once, and a bad request is refused', async () => {
    const sem = new Semaphore(1);
    const p = await sem.acquire();
    p.release();
    p.release();
    expect(sem.available).toBe(1);
    const token = new CancellationToken();
    token.cancel('early');
    await expect(sem.acquire(token)).rejects.toThrow(Cancelled);
    expect(sem.available).toBe(1);
    await expect(sem.acquireMany(2)).rejects.toThrow(RangeError);
    expect(() => new Semaphore(-1)).toThrow(/permits/);
  });

  it('a granted permit stays granted when the token fires later, and the listener is gone', async () => {
    const sem = new Semaphore(1);
    const held = await sem.acquire();
    const token = new CancellationToken();
    const waiting = sem.acquire(token);
    expect(token.listenerCount).toBe(1);
    held.release();
    const p = await waiting;
    expect(token.listenerCount).toBe(0);
    token.cancel();
    expect(sem.inUse).toBe(1);
    p.release();
    expect(sem.available).toBe(1);
  });
});

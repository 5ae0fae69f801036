/**
 * CancellationToken and spawn: children cancelled with their parent (and only then), whenCancelled
 * resolving also when already cancelled, listeners released on every path, join carrying the task's
 * outcome and abort reaching the task through its token.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cancelled, CancellationToken, Notify, Semaphore, spawn } from '../../src/impl/async/index.ts';
import { Rules, settled, step } from './scheduling.ts';

/** A forest: parents[k] < k is token k's parent (or -1 for a root). */
const forest: fc.Arbitrary<number[]> = fc
  .array(fc.integer({ min: -1, max: 11 }), { minLength: 1, maxLength: 12 })
  .map((ps) => ps.map((p, k) => (p < k ? p : -1)));

/** Builds a forest of tokens, cancels the named ones in order, and compares each token with the reference. */
const treeProperty = fc.asyncProperty(forest, fc.array(fc.nat(11), { maxLength: 6 }), async (parents, cancels) => {
  const tokens: CancellationToken[] = [];
  parents.forEach((p) => tokens.push(p < 0 ? new CancellationToken() : tokens[p]!.child()));
  const heard = tokens.map(() => [] as (string | undefined)[]); // what each token's onCancel listener got
  tokens.forEach((t, k) => t.onCancel((reason) => heard[k]!.push(reason)));
  const resolved = tokens.map(() => false);
  tokens.forEach((t, k) => void t.whenCancelled().then(() => (resolved[k] = true)));
  const expectedReason: (string | undefined)[] = parents.map(() => undefined);
  const reach = (k: number, reason: string): void => {
    if (expectedReason[k] !== undefined) return;
    expectedReason[k] = reason;
    parents.forEach((p, c) => p === k && reach(c, reason));
  };
  cancels.forEach((k, n) => {
    if (k >= tokens.length) return;
    tokens[k]!.cancel(`cancel ${n}`);
    reach(k, `cancel ${n}`);
  });
  await settled([]); // every pending microtask ran
  tokens.forEach((t, k) => {
    const cancelled = expectedReason[k] !== undefined;
    expect(t.cancelled, `token ${k} cancelled`).toBe(cancelled);
    expect(t.reason, `token ${k} reason`).toBe(expectedReason[k]);
    expect(heard[k], `token ${k}: its listener ran once, with the reason`).toEqual(cancelled ? [expectedReason[k]] : []);
    expect(resolved[k], `token ${k}: whenCancelled() resolved`).toBe(cancelled);
    // A live token holds its own listener and one per live child; a cancelled one holds nothing.
    const liveChildren = parents.filter((p, c) => p === k && expectedReason[c] === undefined).length;
    expect(t.listenerCount, `token ${k} listeners`).toBe(cancelled ? 0 : 1 + liveChildren);
  });
});

describe('CancellationToken', { timeout: 10_000 }, () => {
  it('a token is cancelled iff it or an ancestor was, with the reason of the first cancel that reached it; waits resolve; cancelled children leave their parent (property)', async () => {
    await fc.assert(treeProperty, { numRuns: 300 });
  });

  it('whenCancelled resolves when cancelled, at once when already cancelled, and is one promise for all callers', async () => {
    const token = new CancellationToken();
    const a = token.whenCancelled();
    expect(token.whenCancelled()).toBe(a);
    let fired = false;
    void a.then(() => (fired = true));
    await Promise.resolve();
    expect(fired).toBe(false);
    token.cancel('stop');
    await a;
    await token.whenCancelled();
    expect(() => token.throwIfCancelled()).toThrow(Cancelled);
    expect(() => token.throwIfCancelled()).toThrow('cancelled: stop');
    token.cancel('again');
    expect(token.reason).toBe('stop');
  });

  it('waits that end normally release their listeners; a finished task leaves its parent; a child never cancels its parent', async () => {
    const root = new CancellationToken();
    const sem = new Semaphore(1);
    const notify = new Notify();
    for (let k = 0; k < 100; k++) {
      (await sem.acquire(root)).release();
      const woken = notify.notified(root);
      notify.notifyOne();
      await woken;
    }
    expect(root.listenerCount).toBe(0);
    const tasks = Array.from({ length: 50 }, (_, k) => spawn(async () => k, root));
    expect(root.listenerCount).toBe(50);
    expect(await Promise.all(tasks.map((t) => t.join()))).toEqual([...Array(50).keys()]);
    expect(root.listenerCount).toBe(0);
    const child = root.child();
    child.cancel();
    expect(root.cancelled).toBe(false);
    expect(root.listenerCount).toBe(0);
  });

  it('every listener runs even if one throws, and the first error is rethrown', () => {
    const token = new CancellationToken();
    const ran: number[] = [];
    token.onCancel(() => ran.push(1));
    token.onCancel(() => {
      throw new Error('listener failed');
    });
    token.onCancel(() => ran.push(3));
    expect(() => token.cancel()).toThrow('listener failed');
    expect(ran).toEqual([1, 3]);
    let late = false;
    token.onCancel(() => (late = true)); // already cancelled: runs now
    expect(late).toBe(true);
  });
});

/**
 * Tasks under one parent check their token between scheduled steps; some are aborted and the parent may
 * be cancelled, at scheduled points. join must report exactly what each task saw, and nothing may stay
 * registered on the parent once every task settled.
 */
async function spawnRun(s: fc.Scheduler, tasks: { steps: number; abort: boolean }[], cancelParent: boolean): Promise<void> {
  const rules = new Rules();
  const parent = new CancellationToken();
  const sawCancel = tasks.map(() => false);
  const aborted = tasks.map(() => false);
  let parentCancelled = false;
  const handles = tasks.map((t, k) =>
    spawn(async (token) => {
      for (let i = 0; i < t.steps; i++) {
        await step(s, `task ${k} step ${i}`);
        sawCancel[k] = token.cancelled;
        rules.check(!handles[k]!.finished, `task ${k}: finished while it runs`);
        // Abort and a parent cancel are synchronous: the task's token says so at its next look.
        rules.check(token.cancelled === (aborted[k] || parentCancelled), `task ${k}: token cancelled ${token.cancelled}, aborted ${aborted[k]}, parent cancelled ${parentCancelled}`);
        token.throwIfCancelled();
      }
      return k;
    }, parent),
  );
  tasks.forEach((t, k) => {
    if (!t.abort) return;
    void step(s, `abort ${k}`).then(() => {
      aborted[k] = true;
      handles[k]!.abort(`abort ${k}`);
    });
  });
  if (cancelParent) {
    void step(s, 'cancel parent').then(() => {
      parentCancelled = true;
      parent.cancel('parent');
    });
  }
  await s.waitIdle();
  const outcomes = await Promise.allSettled(handles.map((h) => h.join()));
  outcomes.forEach((o, k) => {
    rules.check(handles[k]!.finished, `task ${k} not finished`);
    if (sawCancel[k]) rules.check(o.status === 'rejected' && o.reason instanceof Cancelled, `task ${k} saw its token cancelled but join did not reject with Cancelled`);
    else rules.check(o.status === 'fulfilled' && o.value === k, `task ${k} ran to its end but join gave ${JSON.stringify(o)}`);
  });
  rules.check(parent.listenerCount === 0, `the parent keeps ${parent.listenerCount} listeners after every task settled`);
  rules.verify();
}

const spawnTask = fc.record({ steps: fc.integer({ min: 0, max: 3 }), abort: fc.boolean() });
const spawnProperty = fc.asyncProperty(fc.scheduler(), fc.array(spawnTask, { minLength: 1, maxLength: 5 }), fc.boolean(), spawnRun);

describe('spawn', { timeout: 10_000 }, () => {
  it('join reports what each task saw under aborts and a parent cancel, and finished tasks leave their parent (property)', async () => {
    await fc.assert(spawnProperty, { numRuns: 300 });
  });

  it('join resolves with the value or rejects with the task error; the body starts after the caller', async () => {
    const order: string[] = [];
    const ok = spawn(async () => {
      order.push('task');
      return 7;
    });
    order.push('caller');
    expect(ok.finished).toBe(false);
    expect(await ok.join()).toBe(7);
    expect(ok.finished).toBe(true);
    expect(order).toEqual(['caller', 'task']);
    const bad = spawn(() => {
      throw new Error('sync throw');
    });
    await expect(bad.join()).rejects.toThrow('sync throw');
    await expect(bad.join()).rejects.toThrow('sync throw'); // the same outcome for every join
  });

  it('abort cancels the task token: a task waiting in a cancellable wait rejects with Cancelled; a parent cancel aborts too', async () => {
    const sem = new Semaphore(1);
    await sem.acquire(); // held for good: the task's acquire waits
    const t = spawn((token) => sem.acquire(token));
    await Promise.resolve();
    t.abort('shutdown');
    await expect(t.join()).rejects.toThrow(new Cancelled('shutdown'));
    expect(sem.waiting).toBe(0);
    const parent = new CancellationToken();
    const u = spawn((token) => token.whenCancelled().then(() => token.reason), parent);
    parent.cancel('job cancelled');
    expect(await u.join()).toBe('job cancelled');
  });
});

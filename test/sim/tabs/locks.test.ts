import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvError, type Env, type Lock } from '../../../src/impl/env.ts';
import { SimLocks } from '../../../src/sim/tabs/locks.ts';
import { kinds, tabWorld, withLocks, type TabWorld } from './helpers.ts';

const idle = (): void => {};

/** What happened to one request, as seen by the requesting tab. */
interface Outcome {
  granted: Lock | null | undefined; // undefined: fn never called
  settled: 'pending' | 'resolved' | 'rejected';
  value?: unknown;
}

/**
 * `id` requests lock `name` at `ms`; fn runs for `holdMs` of the tab's clock (forever when null) and then
 * returns `result` (or throws `result` when it is an Error).
 */
function request(
  w: TabWorld,
  id: string,
  ms: number,
  name: string,
  holdMs: number | null,
  options: { ifAvailable?: boolean; steal?: boolean } = {},
  result: unknown = `${id}-done`,
): Outcome {
  const out: Outcome = { granted: undefined, settled: 'pending' };
  w.at(ms, () => {
    const env = w.env(id);
    env.locks
      .request(name, options, async (lock) => {
        out.granted = lock;
        if (lock !== null) {
          if (holdMs === null) await new Promise(() => {});
          else await env.clock.sleep(holdMs);
        }
        if (result instanceof Error) throw result;
        return result;
      })
      .then(
        (v) => Object.assign(out, { settled: 'resolved', value: v }),
        (e: unknown) => Object.assign(out, { settled: 'rejected', value: e }),
      );
  });
  return out;
}

/** Times (ms, virtual) at which each tab's fn was granted 'L', from the trace. */
function grants(w: TabWorld, name = 'L'): [string, number][] {
  return kinds(w.sim, 'lock.grant')
    .filter((r) => r.data.name === name)
    .map((r) => [r.node, r.t / 1000]);
}

describe('SimLocks', () => {
  it('grants one holder at a time, in request order, releasing when fn resolves', async () => {
    const w = tabWorld(1, { t1: idle, t2: idle, t3: idle, t4: idle });
    const a = request(w, 't1', 1, 'L', 10);
    const b = request(w, 't3', 2, 'L', 10);
    const c = request(w, 't2', 3, 'L', 10);
    const d = request(w, 't4', 4, 'L', 10);
    w.at(5, () => {
      expect(w.sim.device('dev1').locks.holder('L')).toBe('t1');
      expect(w.sim.device('dev1').locks.queue('L')).toEqual(['t3', 't2', 't4']);
    });
    await w.sim.run();
    expect(grants(w)).toEqual([
      ['t1', 1],
      ['t3', 11],
      ['t2', 21],
      ['t4', 31],
    ]);
    for (const o of [a, b, c, d]) expect(o.settled).toBe('resolved');
    expect(a.value).toBe('t1-done');
    expect(a.granted).toEqual({ name: 'L' });
    expect(kinds(w.sim, 'lock.release').map((r) => r.data.reason)).toEqual(['settled', 'settled', 'settled', 'settled']);
    expect(w.sim.device('dev1').locks.holder('L')).toBeNull();
  });

  it('keeps different names independent', async () => {
    const w = tabWorld(2, { t1: idle, t2: idle });
    request(w, 't1', 1, 'A', null);
    const b = request(w, 't2', 2, 'B', 5);
    await w.sim.run();
    expect(b.settled).toBe('resolved');
    expect(grants(w, 'B')).toEqual([['t2', 2]]);
  });

  it('releases when fn rejects or throws, and the request rejects the same way', async () => {
    const w = tabWorld(3, { t1: idle, t2: idle, t3: idle });
    const boom = new Error('boom');
    const a = request(w, 't1', 1, 'L', 5, {}, boom);
    let thrown: unknown;
    w.at(2, () => {
      w.env('t2')
        .locks.request('L', {}, () => {
          throw new Error('sync throw');
        })
        .catch((e: unknown) => (thrown = e));
    });
    const c = request(w, 't3', 3, 'L', 1);
    await w.sim.run();
    expect(a.settled).toBe('rejected');
    expect(a.value).toBe(boom);
    expect((thrown as Error).message).toBe('sync throw');
    expect(c.settled).toBe('resolved');
    expect(grants(w)).toEqual([
      ['t1', 1],
      ['t2', 6],
      ['t3', 6],
    ]);
  });

  it('ifAvailable: fn(null) when held or contended, the lock when free', async () => {
    const w = tabWorld(4, { t1: idle, t2: idle, t3: idle });
    request(w, 't1', 1, 'L', 10);
    const denied = request(w, 't2', 2, 'L', 10, { ifAvailable: true }, 'no lock');
    const later = request(w, 't3', 20, 'L', 1, { ifAvailable: true });
    w.at(3, () => expect(w.sim.device('dev1').locks.queue('L')).toEqual([])); // nothing queued
    await w.sim.run();
    expect(denied.granted).toBeNull();
    expect(denied).toMatchObject({ settled: 'resolved', value: 'no lock' });
    expect(later.granted).toEqual({ name: 'L' });
    expect(kinds(w.sim, 'lock.denied')).toMatchObject([{ node: 't2', t: 2000, data: { name: 'L' } }]);
    expect(grants(w)).toEqual([
      ['t1', 1],
      ['t3', 20],
    ]);
  });

  it('ifAvailable is denied at a hand-over instant: the next queued request is granted in the same step', async () => {
    const w = tabWorld(5, { t1: idle, t2: idle, t3: idle });
    request(w, 't1', 1, 'L', 10);
    request(w, 't2', 2, 'L', 10);
    let outcome: Lock | null | undefined;
    w.at(11, () => {
      // At 11 ms t1 released and t2 was granted in the same step: the lock is held again.
      void w.env('t3').locks.request('L', { ifAvailable: true }, (l) => (outcome = l));
    });
    await w.sim.run();
    expect(outcome).toBeNull();
  });

  it('steal: the holder loses the lock (EABORT), the stealer runs at once, queued requests stay queued', async () => {
    const w = tabWorld(6, { t1: idle, t2: idle, t3: idle });
    const victim = request(w, 't1', 1, 'L', 8, {}, 'victim-finished');
    request(w, 't3', 2, 'L', 1);
    const thief = request(w, 't2', 5, 'L', 10, { steal: true });
    w.at(6, () => {
      expect(w.sim.device('dev1').locks.holder('L')).toBe('t2');
      expect(w.sim.device('dev1').locks.queue('L')).toEqual(['t3']);
    });
    await w.sim.run();
    expect(victim.settled).toBe('rejected');
    expect(victim.value).toBeInstanceOf(EnvError);
    expect((victim.value as EnvError).code).toBe('EABORT');
    expect((victim.value as EnvError).message).toMatch(/lock stolen/);
    expect(thief.settled).toBe('resolved');
    // t1's fn finished at 9 ms, while t2 held the lock: that released nothing; t3 waited for t2 (15 ms).
    expect(grants(w)).toEqual([
      ['t1', 1],
      ['t2', 5],
      ['t3', 15],
    ]);
    expect(kinds(w.sim, 'lock.release').map((r) => [r.node, r.data.reason, r.t / 1000])).toEqual([
      ['t1', 'stolen', 5],
      ['t2', 'settled', 15],
      ['t3', 'settled', 16],
    ]);
  });

  it('a crashed holder releases its locks and its queued requests are dropped', async () => {
    const w = tabWorld(7, { t1: idle, t2: idle, t3: idle, t4: idle });
    const a = request(w, 't1', 1, 'L', null);
    request(w, 't1', 1, 'M', null);
    request(w, 't2', 2, 'L', null);
    const c = request(w, 't3', 3, 'L', 5);
    request(w, 't2', 3, 'M', 5);
    w.at(4, () => w.sim.crash('t2')); // t2 was only queued
    w.at(5, () => {
      expect(w.sim.device('dev1').locks.queue('L')).toEqual(['t3']);
      expect(w.sim.device('dev1').locks.queue('M')).toEqual([]);
      w.sim.crash('t1');
      expect(w.sim.device('dev1').locks.holder('L')).toBe('t3');
      expect(w.sim.device('dev1').locks.holder('M')).toBeNull();
    });
    await w.sim.run();
    expect(a.settled).toBe('pending'); // a crashed tab's promises never settle
    expect(c.settled).toBe('resolved');
    expect(kinds(w.sim, 'lock.release').map((r) => [r.node, r.data.name, r.data.reason])).toEqual([
      ['t1', 'L', 'crash'],
      ['t1', 'M', 'crash'],
      ['t3', 'L', 'settled'],
    ]);
  });

  it('a power loss releases every lock of the device', async () => {
    const w = tabWorld(8, { t1: idle, t2: idle });
    request(w, 't1', 1, 'L', null);
    request(w, 't2', 1, 'M', null);
    w.at(2, () => w.sim.powerLoss('dev1'));
    await w.sim.run();
    expect(w.sim.device('dev1').locks.holder('L')).toBeNull();
    expect(w.sim.device('dev1').locks.holder('M')).toBeNull();
  });

  it('a paused holder keeps its lock; a lock granted to a paused tab runs fn only on resume', async () => {
    const w = tabWorld(9, { t1: idle, t2: idle, t3: idle });
    request(w, 't1', 1, 'L', 5);
    const b = request(w, 't2', 2, 'L', 5);
    const c = request(w, 't3', 3, 'L', 1);
    w.at(4, () => w.sim.pause('t2')); // t2 queued, then frozen
    w.at(100, () => {
      expect(w.sim.device('dev1').locks.holder('L')).toBe('t2'); // granted at 6 ms, still held
      expect(b.granted).toBeUndefined(); // its fn has not run
      expect(w.sim.device('dev1').locks.queue('L')).toEqual(['t3']);
      w.sim.resume('t2');
    });
    await w.sim.run();
    expect(b.settled).toBe('resolved');
    expect(c.settled).toBe('resolved');
    expect(grants(w)).toEqual([
      ['t1', 1],
      ['t2', 6],
      ['t3', 105],
    ]);
  });

  it('a paused holder blocks others indefinitely (the frozen-leader hazard)', async () => {
    const w = tabWorld(10, { t1: idle, t2: idle });
    request(w, 't1', 1, 'L', 5);
    w.at(2, () => w.sim.pause('t1'));
    const b = request(w, 't2', 3, 'L', 1);
    await w.sim.runUntil(60_000_000);
    expect(w.sim.device('dev1').locks.holder('L')).toBe('t1');
    expect(b.granted).toBeUndefined();
  });

  it('a request from a dead incarnation is never granted and never settles', async () => {
    const w = tabWorld(11, { t1: idle });
    let old: Env | undefined;
    let called = false;
    let settled = false;
    w.at(1, () => {
      old = w.env('t1');
      w.sim.crash('t1');
      w.sim.start('t1');
    });
    w.at(2, () => {
      old!.locks
        .request('L', {}, () => {
          called = true;
        })
        .then(
          () => (settled = true),
          () => (settled = true),
        );
    });
    await w.sim.run();
    expect(called).toBe(false);
    expect(settled).toBe(false);
    expect(w.sim.device('dev1').locks.holder('L')).toBeNull();
    expect(kinds(w.sim, 'lock.request')).toEqual([]);
  });

  it('a tab crashing between grant and fn still releases the lock', async () => {
    const w = tabWorld(12, { t1: idle, t2: idle });
    request(w, 't1', 1, 'L', 5);
    const b = request(w, 't2', 2, 'L', 5);
    w.at(3, () => w.sim.pause('t2'));
    w.at(10, () => {
      expect(w.sim.device('dev1').locks.holder('L')).toBe('t2');
      w.sim.crash('t2');
      expect(w.sim.device('dev1').locks.holder('L')).toBeNull();
    });
    await w.sim.run();
    expect(b.granted).toBeUndefined();
  });

  it('rejects malformed requests as the Web Locks API does', async () => {
    const w = tabWorld(13, { t1: idle });
    const errors: unknown[] = [];
    w.at(1, () => {
      const { locks } = w.env('t1');
      locks.request('L', { ifAvailable: true, steal: true }, () => 1).catch((e: unknown) => errors.push(e));
      locks.request('-reserved', {}, () => 1).catch((e: unknown) => errors.push(e));
    });
    await w.sim.run();
    expect(errors.map((e) => (e as EnvError).code)).toEqual(['ESTATE', 'ESTATE']);
    expect((errors[0] as Error).message).toMatch(/ifAvailable and steal/);
  });

  it('applies injected faults: error rejects the request, crash takes the requester down', async () => {
    const w = tabWorld(14, { t1: idle, t2: idle, t3: idle });
    w.sim.addInterceptor((op) => {
      if (op.area !== 'lock') return null;
      if (op.node === 't1') return { type: 'error', code: 'EIO' };
      if (op.node === 't2') return { type: 'crash', when: 'before' };
      if (op.node === 't3') return { type: 'crash', when: 'after' };
      return null;
    });
    const a = request(w, 't1', 1, 'L', 1);
    const b = request(w, 't2', 2, 'L', 1);
    const c = request(w, 't3', 3, 'L', 1);
    await w.sim.run();
    expect(a.settled).toBe('rejected');
    expect((a.value as EnvError).code).toBe('EIO');
    expect([b.settled, c.settled]).toEqual(['pending', 'pending']);
    expect(w.sim.node('t2').status).toBe('down');
    expect(w.sim.node('t3').status).toBe('down');
    expect(w.sim.device('dev1').locks.holder('L')).toBeNull();
    // t3's request was registered (and granted) before its crash released it.
    expect(kinds(w.sim, 'lock.release')).toMatchObject([{ node: 't3', data: { reason: 'crash' } }]);
  });

  it('fails the run when a lock queue exceeds its bound', async () => {
    const w = tabWorld(15, { t1: idle, t2: idle });
    withLocks(w.sim, { queueLengthMax: 3 });
    request(w, 't1', 1, 'L', null);
    for (let i = 0; i < 4; i++) request(w, 't2', 2, 'L', 1);
    await w.sim.run();
    expect(w.sim.failure).toMatchObject({ kind: 'crash', check: 'lock-queue-bound', node: 't2' });
    expect(w.sim.failure!.message).toMatch(/queueLengthMax/);
  });

  it('validates its options, naming the field', () => {
    const w = tabWorld(16, {});
    expect(() => new SimLocks(w.sim, 'x', { queueLengthMax: 0 })).toThrow(/queueLengthMax/);
  });

  it('mutual exclusion and FIFO hold for random request schedules (property)', async () => {
    const tabs = ['t1', 't2', 't3'];
    const req = fc.record({
      tab: fc.constantFrom(...tabs),
      atMs: fc.integer({ min: 1, max: 50 }),
      holdMs: fc.integer({ min: 0, max: 20 }),
      ifAvailable: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.array(req, { minLength: 1, maxLength: 12 }), async (seed, reqs) => {
        const w = tabWorld(seed, { t1: idle, t2: idle, t3: idle });
        let inside = 0;
        let maxInside = 0;
        const entered: number[] = [];
        reqs.forEach((r, k) => {
          w.at(r.atMs, () => {
            const env = w.env(r.tab);
            void env.locks.request('L', { ifAvailable: r.ifAvailable }, async (lock) => {
              if (lock === null) return;
              entered.push(k);
              maxInside = Math.max(maxInside, ++inside);
              await env.clock.sleep(r.holdMs);
              inside--;
            });
          });
        });
        await w.sim.run();
        expect(maxInside).toBeLessThanOrEqual(1);
        // Plain requests are granted in the order they were made (by time, then by schedule order).
        const plain = entered.filter((k) => !reqs[k]!.ifAvailable);
        const order = reqs
          .map((r, k) => ({ r, k }))
          .filter(({ r }) => !r.ifAvailable)
          .sort((x, y) => x.r.atMs - y.r.atMs || x.k - y.k)
          .map(({ k }) => k);
        expect(plain).toEqual(order);
        expect(w.sim.device('dev1').locks.holder('L')).toBeNull();
      }),
      { numRuns: 100 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Env, Value } from '../../../src/impl/env.ts';
import { SimBus } from '../../../src/sim/tabs/bus.ts';
import { ValueCloneError } from '../../../src/impl/seam/value.ts';
import { kinds, tabWorld, withBus, type TabProgram } from './helpers.ts';

/** A received message: who got it, from whom, what, and when (µs). */
interface Got {
  to: string;
  from: string;
  message: Value;
  t: number;
}

/** A program that subscribes to `channel` and logs what it receives into `log`. */
function listener(log: Got[], channel = 'c'): TabProgram {
  return (env: Env) => {
    env.bus.subscribe(channel, (message, from) => {
      log.push({ to: env.nodeId, from, message, t: monotonicUs(env) });
    });
  };
}

/** The tab's monotonic time in µs: virtual time for a tab started at 0 and never restarted. */
function monotonicUs(env: Env): number {
  return Math.round(env.clock.monotonic() * 1000);
}

describe('SimBus', () => {
  it('delivers to every other subscribed tab of the device, not to the sender or other devices', async () => {
    const log: Got[] = [];
    const w = tabWorld(1, { t1: listener(log), t2: listener(log), t3: listener(log) });
    w.sim.addNode('other', { device: 'dev2', program: listener(log) });
    w.sim.start('other');
    w.at(1, () => w.env('t1').bus.post('c', { type: 'hello' }));
    await w.sim.run();
    expect(log.map((g) => `${g.from}->${g.to}`).sort()).toEqual(['t1->t2', 't1->t3']);
    for (const g of log) expect(g.t).toBeGreaterThan(1000); // after a latency
    expect(kinds(w.sim, 'bus.post')).toMatchObject([{ node: 't1', data: { channel: 'c', msg: 1, to: 2, type: 'hello' } }]);
    // Each delivery carries the post's msg id (timelines match a post to its deliveries by it).
    expect(kinds(w.sim, 'bus.deliver').map((r) => r.data)).toEqual([
      { channel: 'c', msg: 1, from: 't1', type: 'hello' },
      { channel: 'c', msg: 1, from: 't1', type: 'hello' },
    ]);
  });

  it('delivers only to subscribers of the channel', async () => {
    const log: Got[] = [];
    const w = tabWorld(2, { t1: () => {}, t2: listener(log, 'a'), t3: listener(log, 'b') });
    w.at(1, () => w.env('t1').bus.post('a', 1));
    await w.sim.run();
    expect(log.map((g) => g.to)).toEqual(['t2']);
  });

  it('keeps each (sender, receiver) pair FIFO despite random latencies', async () => {
    const log: Got[] = [];
    const w = tabWorld(3, { t1: () => {}, t2: () => {}, t3: listener(log) });
    w.at(1, () => {
      for (let i = 0; i < 300; i++) {
        w.env('t1').bus.post('c', i);
        w.env('t2').bus.post('c', 1000 + i);
      }
    });
    await w.sim.run();
    const from1 = log.filter((g) => g.from === 't1').map((g) => g.message);
    const from2 = log.filter((g) => g.from === 't2').map((g) => g.message);
    expect(from1).toEqual([...Array(300).keys()]);
    expect(from2).toEqual([...Array(300).keys()].map((i) => 1000 + i));
    // The two senders interleave: latencies really are random, so the FIFO above is not an accident.
    const senders = log.map((g) => g.from).join('');
    expect(senders).not.toBe('t1'.repeat(300) + 't2'.repeat(300));
  });

  it('queues for a paused tab and delivers the queue in order on resume', async () => {
    const log: Got[] = [];
    const w = tabWorld(4, { t1: () => {}, t2: listener(log) });
    w.at(1, () => w.sim.pause('t2'));
    w.at(2, () => {
      for (let i = 0; i < 100; i++) w.env('t1').bus.post('c', i);
    });
    let seenWhilePaused = -1;
    w.at(50, () => {
      seenWhilePaused = log.length;
      expect(w.sim.device('dev1').bus.pendingFor('t2')).toBe(100);
      w.sim.resume('t2');
    });
    await w.sim.run();
    expect(seenWhilePaused).toBe(0);
    expect(log.map((g) => g.message)).toEqual([...Array(100).keys()]);
    for (const g of log) expect(g.t).toBeGreaterThanOrEqual(50_000);
    expect(w.sim.device('dev1').bus.pendingFor('t2')).toBe(0);
  });

  it('keeps pair order across pause/resume at any moment (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 8 }),
        async (seed, pauses) => {
          const log: Got[] = [];
          const w = tabWorld(seed, { t1: () => {}, t2: listener(log) });
          // t2 is paused and resumed at arbitrary µs while t1 posts 4 messages every 20 µs for 3 ms.
          for (const [startUs, lenUs] of pauses) {
            w.sim.scheduler.at(1000 + startUs, () => w.sim.pause('t2'));
            w.sim.scheduler.at(1000 + startUs + lenUs, () => w.sim.resume('t2'));
          }
          const n = 600;
          for (let i = 0; i < n; i += 4) {
            w.sim.scheduler.at(1000 + i * 5, () => {
              for (let k = i; k < i + 4; k++) w.env('t1').bus.post('c', k);
            });
          }
          await w.sim.run();
          expect(log.map((g) => g.message)).toEqual([...Array(n).keys()]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps pair order when a message arrives exactly when its paused receiver resumes', async () => {
    const log: Got[] = [];
    const w = tabWorld(14, { t1: () => {}, t2: listener(log) });
    const bus = withBus(w.sim, { latencyUsMin: 100, latencyUsMax: 100 });
    expect(bus.settings.latencyUsMax).toBe(100);
    // Scheduled before the posts, so at 1150 µs the resume runs before the arrival of message 1.
    w.sim.scheduler.at(1150, () => w.sim.resume('t2'));
    w.sim.scheduler.at(900, () => w.sim.pause('t2'));
    w.sim.scheduler.at(1000, () => w.env('t1').bus.post('c', 0)); // arrives at 1100, t2 paused
    w.sim.scheduler.at(1050, () => w.env('t1').bus.post('c', 1)); // arrives at 1150, as t2 resumes
    await w.sim.run();
    expect(log.map((g) => [g.message, g.t])).toEqual([
      [0, 1150],
      [1, 1150],
    ]);
  });

  it('drops the queue of a crashed tab; the restarted tab has no subscriptions until it subscribes', async () => {
    const log: Got[] = [];
    const w = tabWorld(5, {
      t1: () => {},
      // t2 subscribes only in its first incarnation
      t2: (env) => {
        if (env.incarnation === 0) listener(log)(env);
      },
    });
    w.at(1, () => w.sim.pause('t2'));
    w.at(2, () => w.env('t1').bus.post('c', 'queued while paused'));
    w.at(3, () => {
      expect(w.sim.device('dev1').bus.pendingFor('t2')).toBe(1);
      w.sim.crash('t2');
      expect(w.sim.device('dev1').bus.pendingFor('t2')).toBe(0); // the queue is gone, not just unreachable
      expect(w.sim.device('dev1').bus.subscribers('c')).toEqual([]);
    });
    w.at(4, () => w.sim.start('t2'));
    w.at(5, () => w.env('t1').bus.post('c', 'after restart, not subscribed'));
    w.at(10, () => listener(log)(w.env('t2')));
    w.at(11, () => w.env('t1').bus.post('c', 'after resubscribing'));
    await w.sim.run();
    expect(log.map((g) => g.message)).toEqual(['after resubscribing']);
    expect(kinds(w.sim, 'bus.post').map((r) => r.data.to)).toEqual([1, 0, 1]);
    expect(w.sim.device('dev1').bus.pendingFor('t2')).toBe(0);
  });

  it('drops messages in flight to a tab that crashes before they arrive', async () => {
    const log: Got[] = [];
    const w = tabWorld(6, { t1: () => {}, t2: listener(log) });
    w.at(1, () => {
      w.env('t1').bus.post('c', 'x');
      w.sim.crash('t2');
    });
    await w.sim.run();
    expect(log).toEqual([]);
    expect(kinds(w.sim, 'bus.deliver')).toEqual([]);
  });

  it('ignores posts and subscriptions of a dead incarnation', async () => {
    const log: Got[] = [];
    const w = tabWorld(7, { t1: () => {}, t2: listener(log) });
    let oldT1: Env | undefined;
    w.at(1, () => {
      oldT1 = w.env('t1');
      w.sim.crash('t1');
      w.sim.start('t1');
    });
    w.at(2, () => {
      oldT1!.bus.post('c', 'from the dead');
      oldT1!.bus.subscribe('c', () => log.push({ to: 'dead', from: '', message: null, t: 0 }));
      w.env('t2').bus.post('c', 'to t1, which has no live subscription');
    });
    await w.sim.run();
    expect(log).toEqual([]);
    expect(kinds(w.sim, 'bus.post').map((r) => r.node)).toEqual(['t2']);
  });

  it('gives every receiver (and every subscription) its own deep copy', async () => {
    const got: Value[] = [];
    const mutate: TabProgram = (env) => {
      env.bus.subscribe('c', (m) => {
        got.push(structuredClone(m));
        (m as { list: number[] }).list.push(99);
        (m as { bytes: Uint8Array }).bytes[0] = 99;
      });
    };
    const w = tabWorld(8, { t1: () => {}, t2: (env) => (mutate(env), mutate(env)), t3: mutate });
    w.at(1, () => {
      const message = { type: 'm', list: [1, 2], bytes: new Uint8Array([1, 2]), nested: { deep: [{ x: 1 }] } };
      w.env('t1').bus.post('c', message);
      message.list.push(3); // the sender changes it after posting
      message.bytes[1] = 7;
    });
    await w.sim.run();
    expect(got).toHaveLength(3);
    for (const m of got) {
      expect(m).toEqual({ type: 'm', list: [1, 2], bytes: new Uint8Array([1, 2]), nested: { deep: [{ x: 1 }] } });
    }
  });

  it('rejects messages that are not Values, naming the path', async () => {
    const w = tabWorld(9, { t1: () => {} });
    let error: unknown;
    w.at(1, () => {
      try {
        w.env('t1').bus.post('c', { a: [1, { f: () => 1 }] } as unknown as Value);
      } catch (e) {
        error = e;
      }
    });
    await w.sim.run();
    expect(error).toBeInstanceOf(ValueCloneError);
    expect((error as Error).message).toContain('message.a[1].f is a function');
  });

  it('delivers only to subscriptions that existed at post time and still exist at delivery', async () => {
    const log: string[] = [];
    const w = tabWorld(10, { t1: () => {}, t2: () => {} });
    let unsubscribe = (): void => {};
    w.at(1, () => {
      unsubscribe = w.env('t2').bus.subscribe('c', (m) => log.push(`early:${String(m)}`));
      w.env('t1').bus.post('c', 1);
      w.env('t2').bus.subscribe('c', (m) => log.push(`late:${String(m)}`)); // after the post
      unsubscribe(); // before delivery
      w.env('t1').bus.post('c', 2);
    });
    await w.sim.run();
    expect(log).toEqual(['late:2']);
    expect(kinds(w.sim, 'bus.discard').map((r) => r.data)).toEqual([{ channel: 'c', msg: 1, from: 't1' }]);
  });

  it('fails the run when a receiver queue exceeds its bound (never drops silently)', async () => {
    const w = tabWorld(11, { t1: () => {}, t2: listener([]) });
    w.at(1, () => w.sim.pause('t2'));
    w.at(2, () => {
      for (let i = 0; i <= w.sim.device('dev1').bus.settings.queueLengthMax; i++) w.env('t1').bus.post('c', i);
    });
    await w.sim.run();
    expect(w.sim.failure).toMatchObject({ kind: 'crash', check: 'bus-queue-bound', node: 't2' });
    expect(w.sim.failure!.message).toContain('queueLengthMax 10000');
  });

  it('applies injected faults: error drops the post, crash stops the poster before or after', async () => {
    const log: Got[] = [];
    const w = tabWorld(12, { t1: () => {}, t2: () => {}, t3: () => {}, rx: listener(log) });
    w.sim.addInterceptor((op) => {
      if (op.area !== 'bus' || op.op !== 'post') return null;
      if (op.node === 't1') return { type: 'error', code: 'EIO' };
      if (op.node === 't2') return { type: 'crash', when: 'before' };
      if (op.node === 't3') return { type: 'crash', when: 'after' };
      return null;
    });
    w.at(1, () => {
      w.env('t1').bus.post('c', { type: 'one' });
      w.env('t2').bus.post('c', 'two');
      w.env('t3').bus.post('c', 'three');
    });
    await w.sim.run();
    expect(log.map((g) => g.message)).toEqual(['three']);
    expect(kinds(w.sim, 'bus.drop')).toMatchObject([{ node: 't1', data: { channel: 'c', code: 'EIO', type: 'one' } }]);
    expect(w.sim.node('t1').status).toBe('running');
    expect(w.sim.node('t2').status).toBe('down');
    expect(w.sim.node('t3').status).toBe('down');
    expect(kinds(w.sim, 'device.powerloss')).toEqual([]); // a tab crash, not a power loss
  });

  it('is deterministic per seed and the latency depends on the seed', async () => {
    const arrivals = async (seed: number): Promise<[string, number[]]> => {
      const log: Got[] = [];
      const w = tabWorld(seed, { t1: () => {}, t2: listener(log) });
      w.at(1, () => {
        for (let i = 0; i < 20; i++) w.env('t1').bus.post('c', i);
      });
      await w.sim.run();
      return [w.sim.trace.hashHex(), log.map((g) => g.t)];
    };
    const a = await arrivals(42);
    expect(await arrivals(42)).toEqual(a);
    expect((await arrivals(43))[1]).not.toEqual(a[1]);
  });

  it('validates its options, naming the field', () => {
    const w = tabWorld(13, {});
    expect(() => new SimBus(w.sim, 'x', { latencyUsMin: 10, latencyUsMax: 5 })).toThrow(/latencyUsMax/);
    expect(() => new SimBus(w.sim, 'x', { queueLengthMax: 0 })).toThrow(/queueLengthMax/);
    expect(() => new SimBus(w.sim, 'x', { latencyUsMin: 1.5 })).toThrow(/latencyUsMin/);
  });
});

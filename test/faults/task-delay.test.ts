/**
 * The taskDelay fault: a tab's BroadcastChannel messages and lock manager callbacks run late while it lasts,
 * in order, while its other tasks (timers here) run on time; it ends, and a crash drops what it held.
 */
import { describe, expect, it } from 'vitest';
import { installFaults } from '../../src/faults/inject.ts';
import { EnvError, type Env } from '../../src/impl/env.ts';
import { tabWorld, type TabWorld } from '../sim/tabs/helpers.ts';

const idle = (): void => {};

/** What tab `id` handled, in order, with the true time (ms) it ran. */
interface Handled {
  what: string;
  atMs: number;
}

function recorder(w: () => TabWorld, log: Handled[]) {
  return (env: Env): void => {
    env.bus.subscribe('c', (m) => log.push({ what: `bus ${String(m)}`, atMs: w().sim.nowUs() / 1000 }));
  };
}

describe('taskDelay', () => {
  it('bus messages delivered while it lasts run delayMs late, in order; other tasks run on time; after it, on time again', async () => {
    const log: Handled[] = [];
    let world: TabWorld | null = null;
    const w = (world = tabWorld(1, { t1: idle, t2: recorder(() => world!, log) }));
    installFaults(w.sim, { events: [{ kind: 'taskDelay', atMs: 10, node: 't2', source: 'bus', delayMs: 50, durationMs: 20 }] });
    for (const [k, atMs] of [[1, 5], [2, 12], [3, 14], [4, 40]] as const) w.at(atMs, () => w.env('t1').bus.post('c', k));
    // A timer of t2 at 20 ms runs on time, between the late messages.
    w.at(0.5, () => w.env('t2').clock.setTimeout(() => log.push({ what: 'timer', atMs: w.sim.nowUs() / 1000 }), 19.5));
    await w.sim.run();
    const order = log.map((h) => h.what);
    expect(order).toEqual(['bus 1', 'timer', 'bus 2', 'bus 3', 'bus 4']);
    const at = (what: string): number => log.find((h) => h.what === what)!.atMs;
    expect(at('bus 1')).toBeLessThan(10); // before the fault
    expect(at('timer')).toBeCloseTo(20, 3);
    // Posted at 12 and 14 ms, delivered after the bus's latency (< 1 ms here), then 50 ms late.
    expect(at('bus 2')).toBeGreaterThanOrEqual(62);
    expect(at('bus 3')).toBeGreaterThanOrEqual(64);
    // Posted at 40 ms, after the fault ended (30 ms), but still behind the late ones: order is kept.
    expect(at('bus 4')).toBeGreaterThanOrEqual(at('bus 3'));
    expect(at('bus 4')).toBeLessThan(70);
    const records = w.sim.trace.records()!;
    expect(records.filter((r) => r.kind === 'fault.taskDelay').map((r) => r.data)).toEqual([{ event: 0, node: 't2', source: 'bus', delayMs: 50, durationMs: 20 }]);
    expect(records.filter((r) => r.kind === 'fault.end').map((r) => [r.t / 1000, r.data.kind])).toEqual([[30, 'taskDelay']]);
  });

  it("a steal's rejection reaches the holder late, after its own timers; the thief is granted at once", async () => {
    const w = tabWorld(2, { t1: idle, t2: idle });
    installFaults(w.sim, { events: [{ kind: 'taskDelay', atMs: 3, node: 't1', source: 'lock', delayMs: 200, durationMs: 100 }] });
    const seen: string[] = [];
    const stamp = (what: string): void => {
      seen.push(`${what}@${w.sim.nowUs() / 1000}`);
    };
    w.at(1, () => {
      void w
        .env('t1')
        .locks.request('L', {}, () => new Promise(() => {}))
        .catch((e: unknown) => stamp(`t1 ${(e as EnvError).code}`));
      w.env('t1').clock.setTimeout(() => stamp('t1 timer'), 50);
    });
    w.at(5, () => void w.env('t2').locks.request('L', { steal: true }, () => stamp('t2 granted')));
    await w.sim.run({ untilUs: 400_000 });
    expect(seen).toEqual(['t2 granted@5', 't1 timer@51', 't1 EABORT@205']);
    // The lock manager took the lock from t1 at the steal (its record); only the notice was late.
    expect(w.sim.trace.records()!.filter((r) => r.kind === 'lock.release').map((r) => [r.node, r.data.reason, r.t / 1000])).toEqual([
      ['t1', 'stolen', 5],
      ['t2', 'settled', 5],
    ]);
  });

  it('without a source it delays both; a crash drops the late tasks and the restarted tab gets later ones on time once it ended', async () => {
    const log: Handled[] = [];
    let world: TabWorld | null = null;
    const w = (world = tabWorld(3, { t1: idle, t2: recorder(() => world!, log) }));
    installFaults(w.sim, {
      events: [
        { kind: 'taskDelay', atMs: 1, node: 't2', delayMs: 100, durationMs: 30 },
        { kind: 'crash', atMs: 50, node: 't2', restartAfterMs: 10 },
      ],
    });
    w.at(10, () => w.env('t1').bus.post('c', 'lost'));
    w.at(100, () => w.env('t1').bus.post('c', 'after'));
    await w.sim.run();
    expect(log.map((h) => h.what)).toEqual(['bus after']);
    expect(log[0]!.atMs).toBeLessThan(102);
  });

  it('overlapping faults on one source: the largest delay applies until each ends; without a source the lock is late too', async () => {
    const log: Handled[] = [];
    let world: TabWorld | null = null;
    const w = (world = tabWorld(5, { t1: idle, t2: recorder(() => world!, log) }));
    installFaults(w.sim, {
      events: [
        { kind: 'taskDelay', atMs: 1, node: 't2', source: 'bus', delayMs: 80, durationMs: 30 },
        { kind: 'taskDelay', atMs: 2, node: 't2', source: 'bus', delayMs: 20, durationMs: 100 },
        { kind: 'taskDelay', atMs: 1, node: 't2', delayMs: 40, durationMs: 200 },
      ],
    });
    // At 10 ms the three overlap: the 80 ms one wins although the 20 ms one began later; from 31 ms only
    // the 20 and 40 ms ones last (40 wins: the both-sources one), from 102 ms the 40 ms one alone.
    w.at(10, () => w.env('t1').bus.post('c', 'a'));
    w.at(200, () => w.env('t1').bus.post('c', 'b'));
    const lockAt: number[] = [];
    w.at(150, () => void w.env('t2').locks.request('L', {}, () => void lockAt.push(w.sim.nowUs() / 1000)));
    await w.sim.run({ untilUs: 1_000_000 });
    const at = (what: string): number => log.find((h) => h.what === what)!.atMs;
    expect(at('bus a')).toBeGreaterThanOrEqual(90);
    expect(at('bus a')).toBeLessThan(92);
    expect(at('bus b')).toBeGreaterThanOrEqual(240);
    expect(at('bus b')).toBeLessThan(242);
    // The grant of a lock requested at 150 ms (during the both-sources fault) runs 40 ms late.
    expect(lockAt).toEqual([190]);
  });

  it('is checked like every kind: a bad source or a missing delay is a clear plan error', () => {
    const w = tabWorld(4, { t1: idle });
    const message = (event: unknown): string => {
      try {
        installFaults(w.sim, { events: [event as never] });
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message({ kind: 'taskDelay', atMs: 1, node: 't1', source: 'timer', delayMs: 5, durationMs: 5 })).toMatch(/events\[0\]\.source: expected one of bus, lock, got 'timer'/);
    expect(message({ kind: 'taskDelay', atMs: 1, node: 't1', durationMs: 5 })).toMatch(/events\[0\]\.delayMs: missing/);
    expect(message({ kind: 'taskDelay', atMs: 1, node: 't1', delayMs: 0, durationMs: 5 })).toMatch(/events\[0\]\.delayMs: .*positive/);
  });
});

import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/impl/env.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { EPOCH_MS } from '../../src/sim/world.ts';

/** Starts one node running `body` and runs the simulation until `untilUs`. */
async function withNode(body: (env: Env, sim: Simulation) => Promise<void> | void, opts: { driftPpm?: number; offsetMs?: number; untilUs?: number } = {}): Promise<Simulation> {
  const sim = new Simulation({ seed: 7 });
  sim.addNode('A', { clock: { driftPpm: opts.driftPpm, offsetMs: opts.offsetMs }, program: (env) => body(env, sim) });
  sim.start('A');
  await sim.run({ untilUs: opts.untilUs ?? 10_000_000 });
  return sim;
}

describe('node clocks and timers', () => {
  it('wall clock starts at the fixed epoch plus offset; monotonic starts at 0', async () => {
    let wall = 0;
    let mono = -1;
    await withNode((env) => {
      wall = env.clock.now();
      mono = env.clock.monotonic();
    }, { offsetMs: 2500 });
    expect(wall).toBe(EPOCH_MS + 2500);
    expect(mono).toBe(0);
  });

  it('sleep advances virtual time exactly, and timers fire in order', async () => {
    const log: string[] = [];
    const sim = await withNode(async (env) => {
      env.clock.setTimeout(() => log.push(`t30@${env.clock.monotonic()}`), 30);
      env.clock.setTimeout(() => log.push(`t10@${env.clock.monotonic()}`), 10);
      await env.clock.sleep(20);
      log.push(`slept@${env.clock.monotonic()}`);
    });
    expect(log).toEqual(['t10@10', 'slept@20', 't30@30']);
    expect(sim.nowUs()).toBe(30_000);
  });

  it('drift makes a fast clock fire its timers early in true time', async () => {
    let trueUs = 0;
    let mono = 0;
    await withNode(async (env) => {
      await env.clock.sleep(1000);
      mono = env.clock.monotonic();
    }, { driftPpm: 10_000 }).then((sim) => {
      trueUs = sim.nowUs();
    });
    // 1% fast: 1000 ms of node time is about 990.1 ms of true time.
    expect(trueUs).toBe(Math.ceil(1_000_000 / 1.01));
    expect(mono).toBeGreaterThanOrEqual(1000);
    expect(mono).toBeLessThan(1000.01);
  });

  it('a jump moves the wall clock (back too) but never the monotonic clock', async () => {
    const samples: [number, number][] = [];
    await withNode(async (env, sim) => {
      samples.push([env.clock.now(), env.clock.monotonic()]);
      await env.clock.sleep(100);
      sim.node('A').clock.jump(-5000);
      samples.push([env.clock.now(), env.clock.monotonic()]);
      await env.clock.sleep(100);
      sim.node('A').clock.jump(+60_000);
      samples.push([env.clock.now(), env.clock.monotonic()]);
    });
    expect(samples[1]![0] - samples[0]![0]).toBe(100 - 5000);
    expect(samples[2]![0] - samples[1]![0]).toBe(100 + 60_000);
    expect(samples.map((s) => s[1])).toEqual([0, 100, 200]);
  });

  it('setDrift re-anchors without a jump', async () => {
    const monos: number[] = [];
    await withNode(async (env, sim) => {
      await env.clock.sleep(100);
      const before = env.clock.monotonic();
      sim.node('A').clock.setDrift(500_000);
      monos.push(before, env.clock.monotonic());
      await env.clock.sleep(150); // 150 ms node time at 1.5x = 100 ms true time
      monos.push(env.clock.monotonic());
    });
    expect(monos[0]).toBe(monos[1]);
    expect(monos[2]! - monos[1]!).toBeCloseTo(150, 2);
  });

  it('intervals repeat until cleared', async () => {
    let ticks = 0;
    await withNode(async (env) => {
      const id = env.clock.setInterval(() => ticks++, 10);
      await env.clock.sleep(55);
      env.clock.clearTimer(id);
      await env.clock.sleep(100);
    });
    expect(ticks).toBe(5);
  });

  it('a crash kills timers and pending sleeps never settle; a restart resets monotonic time', async () => {
    const log: string[] = [];
    const sim = new Simulation({ seed: 1 });
    sim.addNode('A', {
      program: async (env) => {
        log.push(`start${env.incarnation}@${env.clock.monotonic()}`);
        env.clock.setTimeout(() => log.push(`timer${env.incarnation}`), 50);
        await env.clock.sleep(100);
        log.push(`woke${env.incarnation}`);
      },
    });
    sim.start('A');
    sim.scheduler.at(20_000, () => sim.crash('A'));
    sim.scheduler.at(30_000, () => sim.start('A'));
    await sim.run();
    expect(log).toEqual(['start0@0', 'start1@0', 'timer1', 'woke1']);
  });

  it('a paused node receives its timers on resume, its clock kept running', async () => {
    const log: number[] = [];
    const sim = new Simulation({ seed: 1 });
    sim.addNode('A', {
      program: (env) => {
        env.clock.setTimeout(() => log.push(env.clock.monotonic()), 10);
      },
    });
    sim.start('A');
    sim.scheduler.at(5_000, () => sim.pause('A'));
    sim.scheduler.at(40_000, () => sim.resume('A'));
    await sim.run();
    expect(log).toEqual([40]);
  });
});

import { describe, expect, it } from 'vitest';
import { healAll, installFaults, type InstallOptions } from '../../src/faults/inject.ts';
import { FaultPlanError, type FaultEvent, type FaultPlan } from '../../src/faults/plan.ts';
import type { Env } from '../../src/impl/env.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import type { OpInfo } from '../../src/sim/types.ts';

/** A node that ticks every 100 ms and remembers (true time, wall clock) at each tick. */
function ticker(log: { tUs: number; wallMs: number; node: string; inc: number }[], sim: () => Simulation) {
  return (env: Env): void => {
    env.clock.setInterval(() => {
      log.push({ tUs: sim().nowUs(), wallMs: env.clock.now(), node: env.nodeId, inc: env.incarnation });
    }, 100);
  };
}

interface World {
  sim: Simulation;
  ticks: { tUs: number; wallMs: number; node: string; inc: number }[];
  records(kind?: string): TraceRecord[];
}

/** Two ticking nodes A and B (own devices), started, with `events` installed. */
function world(events: FaultEvent[], options?: InstallOptions, nodes = ['A', 'B']): World & { injector: ReturnType<typeof installFaults> } {
  const sim = new Simulation({ seed: 7, trace: { keepAll: true } });
  const ticks: World['ticks'] = [];
  for (const id of nodes) sim.addNode(id, { program: ticker(ticks, () => sim) });
  for (const id of nodes) sim.start(id);
  const injector = installFaults(sim, { events }, options);
  const records = (kind?: string): TraceRecord[] =>
    (sim.trace.records() ?? []).filter((r) => kind === undefined || r.kind === kind);
  return { sim, ticks, records, injector };
}

const ms = (n: number): number => n * 1000;

describe('installFaults: process and clock faults', () => {
  it('crashes a node at atMs and restarts it restartAfterMs later', async () => {
    const w = world([{ kind: 'crash', atMs: 1500, node: 'A', restartAfterMs: 200 }]);
    await w.sim.run({ untilUs: ms(3000) });
    const crash = w.records('node.crash');
    expect(crash.map((r) => [r.node, r.t])).toEqual([['A', ms(1500)]]);
    const fault = w.records('fault.crash')[0]!;
    expect(fault.t).toBe(ms(1500));
    expect(fault.i).toBeLessThan(crash[0]!.i); // cause before effect
    const starts = w.records('node.start').filter((r) => r.node === 'A');
    expect(starts.map((r) => r.t)).toEqual([0, ms(1700)]);
    // no tick of A between the crash and the restart; B kept ticking
    expect(w.ticks.filter((t) => t.node === 'A' && t.tUs > ms(1500) && t.tUs < ms(1700))).toEqual([]);
    expect(w.ticks.some((t) => t.node === 'B' && t.tUs > ms(1500) && t.tUs < ms(1700))).toBe(true);
    expect(w.injector.injected()).toEqual(new Map([['crash', 1]]));
  });

  it('a crash with powerLoss takes down every node of the device; restartAfterMs restarts them all', async () => {
    const sim = new Simulation({ seed: 1, trace: { keepAll: true } });
    const ticks: World['ticks'] = [];
    for (const id of ['T1', 'T2']) sim.addNode(id, { device: 'laptop', program: ticker(ticks, () => sim) });
    sim.start('T1');
    sim.start('T2');
    installFaults(sim, { events: [{ kind: 'crash', atMs: 500, node: 'T1', powerLoss: true, restartAfterMs: 100 }] });
    await sim.run({ untilUs: ms(1000) });
    const recs = sim.trace.records()!;
    expect(recs.filter((r) => r.kind === 'node.crash').map((r) => r.node)).toEqual(['T1', 'T2']);
    expect(recs.filter((r) => r.kind === 'node.start' && r.t === ms(600)).map((r) => r.node)).toEqual(['T1', 'T2']);
  });

  it('a crash without powerLoss on a shared device takes down only that node', async () => {
    const sim = new Simulation({ seed: 1, trace: { keepAll: true } });
    for (const id of ['T1', 'T2']) sim.addNode(id, { device: 'laptop', program: () => {} });
    sim.start('T1');
    sim.start('T2');
    installFaults(sim, { events: [{ kind: 'crash', atMs: 500, node: 'T2', powerLoss: false }] });
    await sim.run({ untilUs: ms(1000) });
    expect(sim.node('T1').status).toBe('running');
    expect(sim.node('T2').status).toBe('down');
  });

  it('pauses a node for durationMs: its ticks queue and arrive at resume', async () => {
    const w = world([{ kind: 'pause', atMs: 1000, node: 'A', durationMs: 500 }]);
    await w.sim.run({ untilUs: ms(2000) });
    expect(w.records('node.pause').map((r) => r.t)).toEqual([ms(1000)]);
    expect(w.records('node.resume').map((r) => r.t)).toEqual([ms(1500)]);
    const a = w.ticks.filter((t) => t.node === 'A').map((t) => t.tUs);
    expect(a.filter((t) => t > ms(1000) && t < ms(1500))).toEqual([]);
    expect(a.filter((t) => t === ms(1500)).length).toBeGreaterThanOrEqual(1); // queued ticks delivered on resume
    expect(w.records('fault.end').map((r) => [r.data.kind, r.t])).toEqual([['pause', ms(1500)]]);
  });

  it('steps the wall clock by deltaMs as env.clock.now() sees it', async () => {
    const w = world([{ kind: 'clockJump', atMs: 1050, node: 'A', deltaMs: -60_000 }]);
    await w.sim.run({ untilUs: ms(1300) });
    const a = w.ticks.filter((t) => t.node === 'A');
    const before = a.find((t) => t.tUs === ms(1000))!;
    const after = a.find((t) => t.tUs === ms(1100))!;
    expect(after.wallMs - before.wallMs).toBe(100 - 60_000);
    const b = w.ticks.filter((t) => t.node === 'B');
    expect(b.find((t) => t.tUs === ms(1100))!.wallMs - b.find((t) => t.tUs === ms(1000))!.wallMs).toBe(100);
  });

  it('drifts a clock for durationMs, then restores the rate', async () => {
    const w = world([{ kind: 'clockDrift', atMs: 0, node: 'A', driftPpm: 100_000, durationMs: 1000 }]);
    await w.sim.run({ untilUs: ms(3000) });
    // 10% fast: 100 ms timers fire every ~90.9 ms of true time while the drift lasts (the first was
    // armed at start, before the drift)
    const a = w.ticks.filter((t) => t.node === 'A').map((t) => t.tUs);
    expect(a[1]! - a[0]!).toBe(Math.ceil(100_000 / 1.1));
    expect(w.sim.node('A').clock.driftPpm).toBeCloseTo(0, 6);
    const late = a.filter((t) => t > ms(1500));
    expect(late[1]! - late[0]!).toBe(ms(100));
  });

  it('crashes and restarts, pauses and resumes through restart/resume events', async () => {
    const w = world([
      { kind: 'crash', atMs: 100, node: 'A' },
      { kind: 'restart', atMs: 300, node: 'A' },
      { kind: 'pause', atMs: 400, node: 'B', durationMs: 10_000 },
      { kind: 'resume', atMs: 600, node: 'B' },
    ]);
    await w.sim.run({ untilUs: ms(1000) });
    expect(w.records('node.start').filter((r) => r.node === 'A').map((r) => r.t)).toEqual([0, ms(300)]);
    expect(w.records('node.resume').map((r) => r.t)).toEqual([ms(600)]);
    expect(w.injector.injected()).toEqual(new Map([['crash', 1], ['restart', 1], ['pause', 1], ['resume', 1]]));
  });
});

describe('installFaults: healing', () => {
  it('at healAtMs resumes paused nodes, restarts crashed ones, and fires nothing afterwards', async () => {
    const w = world(
      [
        { kind: 'pause', atMs: 100, node: 'A', durationMs: 50_000 },
        { kind: 'crash', atMs: 200, node: 'B' },
        { kind: 'crash', atMs: 2000, node: 'A' },
        { kind: 'diskError', atMs: 300, node: 'A', op: 'fsync', code: 'EIO', probability: 1 },
      ],
      { healAtMs: 1000 },
    );
    await w.sim.run({ untilUs: ms(5000) });
    const heal = w.records('fault.heal');
    expect(heal.map((r) => [r.t, r.data])).toEqual([[ms(1000), { resumed: ['A'], restarted: ['B'] }]]);
    expect(w.records('node.crash').map((r) => r.node)).toEqual(['B']);
    expect(w.sim.node('A').status).toBe('running');
    expect(w.sim.node('B').status).toBe('running');
    expect(w.records('fault.end')).toEqual([]); // the pause's own end was cancelled by healing
    expect(w.injector.healed).toBe(true);
    // storage rules are disarmed: an fsync after healing is not failed
    expect(w.sim.intercept({ area: 'disk', op: 'fsync', node: 'A', device: 'A' })).toBeNull();
    expect(w.ticks.filter((t) => t.node === 'B' && t.tUs > ms(1000)).length).toBeGreaterThan(30);
  });

  it('heals only nodes the faults crashed, not nodes that never started', async () => {
    const sim = new Simulation({ seed: 3, trace: { keepAll: true } });
    sim.addNode('A', { program: () => {} });
    sim.addNode('late', { program: () => {} });
    sim.start('A');
    const injector = installFaults(sim, { events: [{ kind: 'crash', atMs: 10, node: 'A' }] }, { healAtMs: 50 });
    await sim.run({ untilUs: ms(100) });
    expect(injector.healed).toBe(true);
    expect(sim.node('A').status).toBe('running');
    expect(sim.node('late').status).toBe('down');
  });

  it('healAll(sim) resumes and restarts whatever is paused or down after having run', async () => {
    const sim = new Simulation({ seed: 3, trace: { keepAll: true } });
    for (const id of ['A', 'B', 'never']) sim.addNode(id, { program: () => {} });
    sim.start('A');
    sim.start('B');
    await sim.run({ untilUs: 10 });
    sim.pause('A');
    sim.crash('B');
    healAll(sim);
    await sim.run({ untilUs: 20 });
    expect([sim.node('A').status, sim.node('B').status, sim.node('never').status]).toEqual(['running', 'running', 'down']);
  });
});

describe('installFaults: triggers and storage rules (through the kernel interceptor chain)', () => {
  const op = (node: string, o: string, area = 'disk', target?: string): OpInfo => ({ area, op: o, node, device: node, target });

  function armed(events: FaultEvent[], seed = 11): Simulation {
    const sim = new Simulation({ seed });
    for (const id of ['A', 'B']) sim.addNode(id, { program: () => {} });
    installFaults(sim, { events });
    return sim;
  }

  it('answers crash at exactly the 3rd fsync of the node (other nodes and ops do not count)', () => {
    const sim = armed([{ kind: 'crash', node: 'A', trigger: { node: 'A', area: 'disk', op: 'fsync', nth: 3 }, when: 'after' }]);
    const answers = [
      sim.intercept(op('A', 'fsync')),
      sim.intercept(op('B', 'fsync')),
      sim.intercept(op('A', 'write')),
      sim.intercept(op('A', 'fsync')),
      sim.intercept(op('A', 'fsync')),
      sim.intercept(op('A', 'fsync')),
    ];
    expect(answers).toEqual([null, null, null, null, { type: 'crash', when: 'after' }, null]);
  });

  it('counts only the trigger target when one is given', () => {
    const sim = armed([{ kind: 'crash', node: 'A', trigger: { node: 'A', area: 'disk', op: 'fsync', nth: 2, target: '/wal' } }]);
    expect(sim.intercept(op('A', 'fsync', 'disk', '/wal'))).toBeNull();
    expect(sim.intercept(op('A', 'fsync', 'disk', '/data'))).toBeNull();
    expect(sim.intercept(op('A', 'fsync', 'disk', '/wal'))).toEqual({ type: 'crash', when: 'before' });
  });

  it('a triggered non-crash event applies at its trigger and lets the operation proceed', async () => {
    const sim = new Simulation({ seed: 2, trace: { keepAll: true } });
    sim.addNode('A', { program: () => {} });
    sim.addNode('B', { program: () => {} });
    sim.start('A');
    sim.start('B');
    installFaults(sim, { events: [{ kind: 'pause', node: 'B', durationMs: 100, trigger: { node: 'A', area: 'kv', op: 'commit', nth: 2 } }] });
    await sim.run({ untilUs: 10 });
    expect(sim.intercept(op('A', 'commit', 'kv'))).toBeNull();
    expect(sim.node('B').status).toBe('running');
    expect(sim.intercept(op('A', 'commit', 'kv'))).toBeNull();
    expect(sim.node('B').status).toBe('paused');
    const fault = sim.trace.records()!.find((r) => r.kind === 'fault.pause')!;
    expect(fault.data).toEqual({ event: 0, node: 'B', durationMs: 100, op: 'kv.commit' });
  });

  it('storage faults: nth error, torn write, bit flip, fsync failure', () => {
    const sim = armed([
      { kind: 'diskError', atMs: 0, node: 'A', op: 'write', code: 'ENOSPC', nth: 2 },
      { kind: 'tornWrite', atMs: 0, node: 'B', nth: 1 },
      { kind: 'bitFlip', atMs: 0, node: 'B', nth: 1 },
      { kind: 'fsyncFail', atMs: 0, node: 'B', nth: 2 },
    ]);
    return sim.run({ untilUs: 0 }).then(() => {
      expect(sim.intercept(op('A', 'write'))).toBeNull();
      expect(sim.intercept(op('A', 'write'))).toEqual({ type: 'error', code: 'ENOSPC' });
      expect(sim.intercept(op('A', 'write'))).toBeNull();
      expect(sim.intercept(op('B', 'writeFile'))).toEqual({ type: 'torn' });
      expect(sim.intercept(op('B', 'read'))).toEqual({ type: 'bitflip' });
      expect(sim.intercept(op('B', 'fsync'))).toBeNull();
      expect(sim.intercept(op('B', 'fsyncDir'))).toEqual({ type: 'error', code: 'EIO' });
    });
  });

  it('when two faults hit one operation the earlier wins and the later moves to the next one', async () => {
    const sim = armed([
      { kind: 'diskError', atMs: 0, node: 'A', op: 'fsync', code: 'EIO', nth: 1 },
      { kind: 'fsyncFail', atMs: 0, node: 'A', nth: 1 },
    ]);
    await sim.run({ untilUs: 0 });
    expect(sim.intercept(op('A', 'fsync'))).toEqual({ type: 'error', code: 'EIO' });
    expect(sim.intercept(op('A', 'fsync'))).toEqual({ type: 'error', code: 'EIO' });
    expect(sim.intercept(op('A', 'fsync'))).toBeNull();
  });

  it('a storage fault is armed only from atMs and only for durationMs', async () => {
    const sim = armed([{ kind: 'diskError', atMs: 100, node: 'A', op: '*', code: 'EIO', probability: 1, durationMs: 50 }]);
    expect(sim.intercept(op('A', 'write'))).toBeNull();
    await sim.runUntil(ms(120));
    expect(sim.intercept(op('A', 'rename'))).toEqual({ type: 'error', code: 'EIO' });
    await sim.runUntil(ms(151));
    expect(sim.intercept(op('A', 'rename'))).toBeNull();
  });

  it('probabilistic faults draw from one stream per kind: enabling another kind shifts nothing', async () => {
    const fsyncs = async (extra: FaultEvent[]): Promise<boolean[]> => {
      const sim = armed([{ kind: 'fsyncFail', atMs: 0, node: 'A', probability: 0.5 }, ...extra], 42);
      await sim.run({ untilUs: 0 });
      const out: boolean[] = [];
      for (let i = 0; i < 200; i++) {
        sim.intercept(op('A', 'read'));
        out.push(sim.intercept(op('A', 'fsync')) !== null);
      }
      return out;
    };
    const alone = await fsyncs([]);
    const withFlips = await fsyncs([{ kind: 'bitFlip', atMs: 0, node: 'A', probability: 0.5 }]);
    expect(withFlips).toEqual(alone);
    const failures = alone.filter(Boolean).length;
    expect(failures).toBeGreaterThan(60);
    expect(failures).toBeLessThan(140);
  });

  it('counts injected faults by kind for coverage, storage faults when they hit', async () => {
    const sim = new Simulation({ seed: 5 });
    sim.addNode('A', { program: () => {} });
    const injector = installFaults(sim, { events: [{ kind: 'bitFlip', atMs: 0, node: 'A', probability: 1 }] });
    await sim.run({ untilUs: 0 });
    expect(injector.injected()).toEqual(new Map());
    sim.intercept(op('A', 'read'));
    sim.intercept(op('A', 'read'));
    expect(injector.injected()).toEqual(new Map([['bitFlip', 2]]));
  });
});

describe('installFaults: validation before the run', () => {
  it('rejects unknown nodes and bad options with the field path', () => {
    const sim = new Simulation({ seed: 1 });
    sim.addNode('A', { program: () => {} });
    const plan: FaultPlan = { events: [{ kind: 'crash', atMs: 1, node: 'B' }] };
    expect(() => installFaults(sim, plan)).toThrow(FaultPlanError);
    expect(() => installFaults(sim, plan)).toThrow("faults.events[0].node: unknown node 'B' (nodes: A)");
    expect(() => installFaults(sim, { events: [] }, { healAtMs: -1 })).toThrow('options.healAtMs');
  });

  it('two runs of one plan and seed give the same trace hash', async () => {
    const hash = async (): Promise<string> => {
      const w = world(
        [
          { kind: 'crash', atMs: 300, node: 'A', restartAfterMs: 100 },
          { kind: 'pause', atMs: 500, node: 'B', durationMs: 250 },
          { kind: 'clockJump', atMs: 700, node: 'B', deltaMs: 1234 },
        ],
        { healAtMs: 900 },
      );
      await w.sim.run({ untilUs: ms(1500) });
      return w.sim.trace.hashHex();
    };
    expect(await hash()).toBe(await hash());
  });
});

describe('installFaults: a trigger on one node crashing another', () => {
  it('crashes the other node on the spot and lets the operation proceed', async () => {
    const sim = new Simulation({ seed: 4, trace: { keepAll: true } });
    for (const id of ['A', 'B']) sim.addNode(id, { program: () => {} });
    sim.start('A');
    sim.start('B');
    installFaults(sim, {
      events: [{ kind: 'crash', node: 'B', restartAfterMs: 5, trigger: { node: 'A', area: 'net', op: 'send', nth: 1 } }],
    });
    await sim.run({ untilUs: 10 });
    expect(sim.intercept({ area: 'net', op: 'send', node: 'A', device: 'A', target: 'B' })).toBeNull();
    expect(sim.node('B').status).toBe('down');
    expect(sim.node('A').status).toBe('running');
    await sim.run({ untilUs: 6000 });
    expect(sim.node('B').status).toBe('running');
  });
});

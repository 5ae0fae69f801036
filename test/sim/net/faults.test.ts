import { describe, expect, it } from 'vitest';
import type { Connection, Env } from '../../../src/impl/env.ts';
import type { Simulation } from '../../../src/sim/simulation.ts';
import { at, connectLogged, Log, newSim, records, recordingServer, runMs } from './harness.ts';

const FIXED = { latencyMs: 5, jitterMs: 0, tailProbability: 0 };

/** S records; C connects at 0 (established at 10 ms) and sends `i` at each of `sendAtMs`. */
function pair(sim: Simulation, log: Log, sendAtMs: number[]): void {
  sim.addNode('S', {
    program: (env) =>
      env.net.listen((conn) => {
        conn.onMessage((m) => {
          log.add('S.msg', m);
          conn.send({ echo: m });
        });
        conn.onClose((r) => log.add('S.close', r));
        env.net.onDatagram((from, m) => log.add('S.dgram', m));
      }),
  });
  sim.addNode('C', {
    program: async (env) => {
      env.net.onDatagram((from, m) => log.add('C.dgram', m));
      const conn = (await connectLogged(env, log, 'C', 'S'))!;
      let now = 10;
      for (const [i, t] of sendAtMs.entries()) {
        await env.clock.sleep(t - now);
        now = t;
        if (conn.open) conn.send(i);
      }
    },
  });
  sim.start('S');
  sim.start('C');
}

describe('partitions', () => {
  it('holds connection traffic across a partition and delivers it in order after heal', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    pair(sim, log, [20, 100, 200, 300]);
    let id = 0;
    at(sim, 50, () => (id = sim.network.partition(['C'], ['S'])));
    at(sim, 2_000, () => sim.network.heal(id));
    await runMs(sim, 5_000);
    expect(log.values('S.msg')).toEqual([0, 1, 2, 3]);
    const times = log.of('S.msg').map((s) => s.t);
    expect(times[0]).toBe(25_000);
    for (const t of times.slice(1)) expect(t).toBe(2_005_000); // held, then one latency after heal
    expect(log.values('C.msg')).toEqual([{ echo: 0 }, { echo: 1 }, { echo: 2 }, { echo: 3 }]);
    expect(log.of('S.close')).toEqual([]);
    expect(records(sim, 'net.partition')[0]!.data).toEqual({ id: 1, a: ['C'], b: ['S'], oneWay: false });
  });

  it('resets both ends when traffic stays held longer than connTimeoutMs', async () => {
    const sim = newSim({ ...FIXED, connTimeoutMs: 1_000 });
    const log = new Log(sim);
    pair(sim, log, [20, 100]);
    let id = 0;
    at(sim, 50, () => (id = sim.network.partition(['C'], ['S'])));
    at(sim, 3_000, () => sim.network.heal(id));
    await runMs(sim, 5_000);
    expect(log.values('S.msg')).toEqual([0]);
    // message 1 was due at 105 ms and held from then: reset at 1,105 ms, both ends at once
    expect(log.of('C.close')).toEqual([{ t: 1_105_000, what: 'C.close', value: 'reset' }]);
    expect(log.of('S.close')).toEqual([{ t: 1_105_000, what: 'S.close', value: 'reset' }]);
    expect(records(sim, 'net.reset').map((r) => r.data)).toEqual([{ conn: 'c1', reason: 'timeout' }]);
    expect(sim.network.stats().resets).toBe(1);
  });

  it('blocks only A -> B with oneWay, for connections and datagrams', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', {
      program: (env) => {
        env.net.onDatagram((_f, m) => log.add('S.dgram', m));
        env.net.listen((conn) => {
          conn.onMessage((m) => log.add('S.msg', m));
          void env.clock.sleep(50).then(() => conn.send('from S'));
          void env.clock.sleep(50).then(() => env.net.sendDatagram('C', 'dgram from S'));
        });
      },
    });
    sim.addNode('C', {
      program: async (env) => {
        env.net.onDatagram((_f, m) => log.add('C.dgram', m));
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        await env.clock.sleep(50);
        conn.send('from C');
        env.net.sendDatagram('S', 'dgram from C');
      },
    });
    at(sim, 20, () => sim.network.partition(['C'], ['S'], { oneWay: true }));
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1_000);
    expect(log.values('C.msg')).toEqual(['from S']);
    expect(log.values('C.dgram')).toEqual(['dgram from S']);
    expect(log.of('S.msg')).toEqual([]);
    expect(log.of('S.dgram')).toEqual([]);
    expect(records(sim, 'net.drop', 'C').map((r) => r.data.reason)).toEqual(['partition']);
  });

  it('isolates a node from everyone and lets it back on rejoin', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    const client = (name: string) => async (env: Env) => {
      const conn = (await connectLogged(env, log, name, 'S'))!;
      await env.clock.sleep(40);
      conn.send(name);
    };
    sim.addNode('A', { program: client('A') });
    sim.addNode('B', { program: client('B') });
    at(sim, 20, () => sim.network.isolate('A'));
    at(sim, 500, () => sim.network.rejoin('A'));
    for (const n of ['S', 'A', 'B']) sim.start(n);
    await runMs(sim, 1_000);
    expect(log.of('S.msg')).toEqual([
      { t: 55_000, what: 'S.msg', value: 'B' },
      { t: 505_000, what: 'S.msg', value: 'A' },
    ]);
    expect(records(sim, 'net.isolate').map((r) => r.data)).toEqual([{ node: 'A' }]);
    expect(records(sim, 'net.rejoin').map((r) => r.data)).toEqual([{ node: 'A' }]);
  });
});

describe('clog, stall and resets', () => {
  it('clog holds messages and datagrams in one direction (none lost) until unclog', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', {
      program: (env) => {
        env.net.onDatagram((_f, m) => log.add('S.dgram', m));
        env.net.listen((conn) => conn.onMessage((m) => {
          log.add('S.msg', m);
          conn.send(`echo ${String(m)}`);
        }));
      },
    });
    sim.addNode('C', {
      program: async (env) => {
        const conn = (await connectLogged(env, log, 'C', 'S'))!;
        conn.send('before');
        await env.clock.sleep(30);
        for (let i = 0; i < 3; i++) {
          conn.send(i);
          env.net.sendDatagram('S', i);
        }
      },
    });
    at(sim, 20, () => sim.network.clog('C', 'S'));
    at(sim, 300, () => sim.network.unclog('C', 'S'));
    sim.start('S');
    sim.start('C');
    await runMs(sim, 1_000);
    expect(log.values('S.msg')).toEqual(['before', 0, 1, 2]);
    expect(log.values('S.dgram')).toEqual([0, 1, 2]);
    expect(log.values('C.msg')).toEqual(['echo before', 'echo 0', 'echo 1', 'echo 2']);
    for (const s of [...log.of('S.msg').slice(1), ...log.of('S.dgram')]) expect(s.t).toBe(305_000);
    expect(sim.network.stats().dropped).toBe(0);
  });

  it('stall holds connection traffic both ways for its duration, then it flows in order', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    pair(sim, log, [20, 21, 22]);
    at(sim, 15, () => sim.network.stall('C', 'S', 200));
    await runMs(sim, 1_000);
    expect(log.values('S.msg')).toEqual([0, 1, 2]);
    for (const s of log.of('S.msg')) expect(s.t).toBe(220_000); // stall ends at 215 ms, plus one latency
    expect(log.of('S.close')).toEqual([]);
  });

  it('resetConnections resets only the connections of a (with b when given); a learns first', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    const conns: Record<string, Connection> = {};
    sim.addNode('A', {
      program: (env) =>
        env.net.listen((conn) => {
          conns[conn.peer] = conn;
          conn.onClose((r) => log.add(`A-${conn.peer}.close`, r));
        }),
    });
    for (const n of ['B', 'C']) sim.addNode(n, { program: async (env) => void (await connectLogged(env, log, n, 'A')) });
    at(sim, 50, () => sim.network.resetConnections('A', 'B'));
    for (const n of ['A', 'B', 'C']) sim.start(n);
    await runMs(sim, 1_000);
    expect(log.of('A-B.close')).toEqual([{ t: 50_000, what: 'A-B.close', value: 'reset' }]);
    expect(log.of('B.close')).toEqual([{ t: 55_000, what: 'B.close', value: 'reset' }]);
    expect(log.of('A-C.close')).toEqual([]);
    expect(log.of('C.close')).toEqual([]);
    expect(conns.B!.open).toBe(false);
    expect(conns.C!.open).toBe(true);
  });

  it('healAll ends partitions, isolation, clogs and stalls', async () => {
    const sim = newSim(FIXED);
    const log = new Log(sim);
    sim.addNode('S', { program: recordingServer(log, 'S') });
    for (const n of ['A', 'B', 'C', 'D']) {
      sim.addNode(n, {
        program: async (env) => {
          const conn = (await connectLogged(env, log, n, 'S'))!;
          await env.clock.sleep(40);
          conn.send(n);
        },
      });
    }
    at(sim, 20, () => {
      sim.network.partition(['A'], ['S']);
      sim.network.isolate('B');
      sim.network.clog('C', 'S');
      sim.network.stall('D', 'S', 10_000);
    });
    at(sim, 300, () => sim.network.healAll());
    for (const n of ['S', 'A', 'B', 'C', 'D']) sim.start(n);
    await runMs(sim, 1_000);
    expect(log.values('S.msg')).toEqual(['A', 'B', 'C', 'D']);
    for (const s of log.of('S.msg')) expect(s.t).toBe(305_000);
  });
});

describe('fault API validation', () => {
  it('throws naming the argument for unknown nodes, overlapping sides, unknown ids and bad settings', () => {
    const sim = newSim();
    sim.addNode('A', { program: () => {} });
    sim.addNode('B', { program: () => {} });
    const net = sim.network;
    expect(() => net.partition(['A'], ['X'])).toThrow(/partition sideB\[0\]: no node 'X'/);
    expect(() => net.partition([], ['A'])).toThrow(/partition sideA must be a non-empty array/);
    expect(() => net.partition(['A', 'B'], ['B'])).toThrow(/node 'B' is on both sides/);
    expect(() => net.heal(7)).toThrow(/heal: no partition 7/);
    const id = net.partition(['A'], ['B']);
    net.heal(id);
    expect(() => net.heal(id)).not.toThrow();
    expect(() => net.isolate('Z')).toThrow(/isolate node: no node 'Z'/);
    expect(() => net.setLink('A', 'B', { lossRate: 1.5 })).toThrow(/setLink\('A->B'\)\.lossRate must be a probability/);
    expect(() => net.setLink('A', 'B', { latency: 3 } as never)).toThrow(/setLink\('A->B'\)\.latency is not a link setting/);
    expect(() => net.setDefaultLink({ jitterMs: -1 })).toThrow(/setDefaultLink\.jitterMs must be in/);
    expect(() => net.stall('A', 'B', -5)).toThrow(/stall durationMs/);
    expect(() => net.clog('A', 'Q')).toThrow(/clog to: no node 'Q'/);
    expect(() => net.resetConnections('A', 'Q')).toThrow(/resetConnections b: no node 'Q'/);
  });

  it('setLink overrides one direction; setDefaultLink changes the rest but not overridden fields', () => {
    const sim = newSim({ latencyMs: 3 });
    sim.addNode('A', { program: () => {} });
    sim.addNode('B', { program: () => {} });
    sim.network.setLink('A', 'B', { latencyMs: 40, lossRate: 0.5 });
    sim.network.setDefaultLink({ latencyMs: 9, dupRate: 0.1 });
    expect(sim.network.linkFaults('A', 'B')).toMatchObject({ latencyMs: 40, lossRate: 0.5, dupRate: 0.1 });
    expect(sim.network.linkFaults('B', 'A')).toMatchObject({ latencyMs: 9, lossRate: 0, dupRate: 0.1 });
  });
});

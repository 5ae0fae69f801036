import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/impl/env.ts';
import { Simulation } from '../../../src/sim/simulation.ts';
import { at, newSim, records } from './harness.ts';

/** Three peers chatting over connections and datagrams under loss, dups, reordering and a partition. */
async function chatter(seed: number, forceNextTickDrain = false): Promise<Simulation> {
  const sim = new Simulation({
    seed,
    forceNextTickDrain,
    net: { latencyMs: 1, jitterMs: 3, tailProbability: 0.05, tailMs: 40, lossRate: 0.1, dupRate: 0.1, reorderRate: 0.1 },
  });
  const peers = ['A', 'B', 'C'];
  const program = (env: Env): void => {
    env.net.onDatagram((from, m) => {
      if ((m as number) < 30) env.net.sendDatagram(from, (m as number) + 1);
    });
    env.net.listen((conn) => conn.onMessage((m) => conn.send(m)));
    void (async () => {
      for (const p of peers) {
        if (p === env.nodeId) continue;
        try {
          const conn = await env.net.connect(p);
          conn.onMessage(() => {});
          for (let i = 0; i < 20; i++) {
            conn.send({ type: 'ping', i });
            await env.clock.sleep(env.random.int(10));
          }
        } catch {
          // refused while the peer was starting: fine for this test
        }
        env.net.sendDatagram(p, 0);
      }
    })();
  };
  for (const p of peers) sim.addNode(p, { program });
  at(sim, 40, () => {
    const id = sim.network.partition(['A'], ['B', 'C']);
    at(sim, 400, () => sim.network.heal(id));
  });
  for (const p of peers) sim.start(p);
  await sim.run({ untilUs: 5_000_000 });
  expect(sim.failure).toBeNull();
  return sim;
}

describe('determinism', () => {
  it('gives the same trace hash for the same seed (and with either drain), and different ones otherwise', async () => {
    const a = await chatter(11);
    const b = await chatter(11);
    const c = await chatter(11, true);
    const d = await chatter(12);
    expect(a.trace.count).toBeGreaterThan(500);
    expect(b.trace.hashHex()).toBe(a.trace.hashHex());
    expect(c.trace.hashHex()).toBe(a.trace.hashHex());
    expect(d.trace.hashHex()).not.toBe(a.trace.hashHex());
    expect(a.network.stats()).toEqual(b.network.stats());
    expect(a.network.stats().dropped).toBeGreaterThan(0);
    expect(a.network.stats().duplicated).toBeGreaterThan(0);
  });

  it("draws each link's latencies from its own stream: other links' traffic does not shift them", async () => {
    const arrivals = async (withOtherTraffic: boolean): Promise<number[]> => {
      const sim = newSim({ jitterMs: 5, tailProbability: 0.1 }, 99);
      for (const n of ['B', 'D']) sim.addNode(n, { program: (env) => env.net.onDatagram(() => {}) });
      const sender = (to: string) => async (env: Env) => {
        for (let i = 0; i < 100; i++) {
          env.net.sendDatagram(to, i);
          await env.clock.sleep(2);
        }
      };
      sim.addNode('A', { program: sender('B') });
      sim.addNode('C', { program: withOtherTraffic ? sender('D') : () => {} });
      for (const n of ['B', 'D', 'A', 'C']) sim.start(n);
      await sim.run({ untilUs: 10_000_000 });
      return records(sim, 'net.deliver', 'B').map((r) => r.t);
    };
    const alone = await arrivals(false);
    expect(alone).toHaveLength(100);
    expect(await arrivals(true)).toEqual(alone);
  });
});

describe('network settings', () => {
  it('rejects bad settings with the field name', () => {
    const make = (net: object) => () => new Simulation({ seed: 1, net: net as never });
    expect(make({ lossRate: 2 })).toThrow(/net\.lossRate must be a probability in \[0, 1\], got 2/);
    expect(make({ latency: 3 })).toThrow(/net\.latency is not a network option/);
    expect(make({ latencyMs: Number.NaN })).toThrow(/net\.latencyMs must be a finite number/);
    expect(make({ links: { AB: {} } })).toThrow(/net\.links key 'AB' is malformed/);
    expect(make({ links: { 'A->B': { tailMs: -1 } } })).toThrow(/net\.links\['A->B'\]\.tailMs must be in/);
    expect(make({ connTimeoutMs: 0 })).toThrow(/net\.connTimeoutMs must be a number of ms/);
    expect(make({ queueLengthMax: 1.5 })).toThrow(/net\.queueLengthMax must be a positive integer/);
  });

  it('applies per-link overrides from the spec to one direction only', async () => {
    const sim = newSim({ latencyMs: 1, jitterMs: 0, tailProbability: 0, links: { 'A->B': { latencyMs: 30 } } });
    const got: string[] = [];
    sim.addNode('A', { program: (env) => env.net.onDatagram((_f, m) => void got.push(`A@${sim.nowUs()}:${String(m)}`)) });
    sim.addNode('B', {
      program: (env) => {
        env.net.onDatagram((_f, m) => void got.push(`B@${sim.nowUs()}:${String(m)}`));
        env.net.sendDatagram('A', 'to A');
      },
    });
    at(sim, 5, () => sim.node('A').env!.net.sendDatagram('B', 'to B'));
    sim.start('A');
    sim.start('B');
    await sim.run({ untilUs: 1_000_000 });
    expect(got).toEqual(['A@1000:to A', 'B@35000:to B']);
  });

  it('rejects a bad connect timeout naming the option', async () => {
    const sim = newSim();
    let message = '';
    sim.addNode('S', { program: () => {} });
    sim.addNode('C', {
      program: async (env) => {
        try {
          await env.net.connect('S', { timeoutMs: -1 });
        } catch (e) {
          message = (e as Error).message;
        }
      },
    });
    sim.start('S');
    sim.start('C');
    await sim.run({ untilUs: 1_000_000 });
    expect(message).toMatch(/connect options\.timeoutMs must be a number of ms/);
  });
});

import { describe, expect, it } from 'vitest';
import type { LinkFaults } from '../../../src/sim/net/network.ts';
import type { Simulation } from '../../../src/sim/simulation.ts';
import { at, Log, newSim, records, runMs } from './harness.ts';

/** A sends `count` datagrams (0, 1, ...) to B, one every ms; returns what B received, in order. */
async function stream(faults: Partial<LinkFaults>, count: number, seed = 7): Promise<{ sim: Simulation; got: number[] }> {
  const sim = newSim({ latencyMs: 10, jitterMs: 0, tailProbability: 0, ...faults }, seed);
  const got: number[] = [];
  sim.addNode('B', { program: (env) => env.net.onDatagram((_from, m) => void got.push(m as number)) });
  sim.addNode('A', {
    program: async (env) => {
      for (let i = 0; i < count; i++) {
        env.net.sendDatagram('B', i);
        await env.clock.sleep(1);
      }
    },
  });
  sim.start('B');
  sim.start('A');
  await runMs(sim, count + 10_000);
  return { sim, got };
}

/** How many arrivals came after a higher-numbered datagram (were overtaken). */
function overtaken(got: number[]): number {
  let max = -1;
  let n = 0;
  for (const v of got) {
    if (v < max) n++;
    else max = v;
  }
  return n;
}

describe('datagrams', () => {
  it('are delivered once and in order on a perfect link', async () => {
    const { sim, got } = await stream({}, 500);
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(sim.network.stats()).toMatchObject({ datagramsSent: 500, datagramsDelivered: 500, dropped: 0 });
  });

  it('are lost at about lossRate', async () => {
    const { sim, got } = await stream({ lossRate: 0.1 }, 4000);
    expect(got.length).toBeGreaterThan(3450);
    expect(got.length).toBeLessThan(3750);
    expect(sim.network.stats().dropped).toBe(4000 - got.length);
    expect(records(sim, 'net.drop', 'A').every((r) => r.data.reason === 'loss')).toBe(true);
    expect(overtaken(got)).toBe(0);
  });

  it('are duplicated at about dupRate', async () => {
    const { sim, got } = await stream({ dupRate: 0.05 }, 4000);
    const dups = got.length - 4000;
    expect(dups).toBeGreaterThan(140);
    expect(dups).toBeLessThan(260);
    expect(sim.network.stats().duplicated).toBe(dups);
    expect(new Set(got).size).toBe(4000);
    expect(records(sim, 'net.dup')).toHaveLength(dups);
  });

  it('are reordered at about reorderRate (and not at all without it)', async () => {
    const { got } = await stream({ reorderRate: 0.2 }, 4000);
    expect(got).toHaveLength(4000);
    const late = overtaken(got);
    expect(late).toBeGreaterThan(0.16 * 4000);
    expect(late).toBeLessThan(0.23 * 4000);
  });

  it('have a long-tailed latency: most near the base, a few spikes far out', async () => {
    const sim = newSim({ latencyMs: 2, jitterMs: 1, tailProbability: 0.02, tailMs: 100 }, 3);
    sim.addNode('B', { program: (env) => env.net.onDatagram(() => {}) });
    sim.addNode('A', {
      program: async (env) => {
        for (let i = 0; i < 5000; i++) {
          env.net.sendDatagram('B', i);
          await env.clock.sleep(1);
        }
      },
    });
    sim.start('B');
    sim.start('A');
    await runMs(sim, 20_000);
    const sent = new Map(records(sim, 'net.send', 'A').map((r) => [r.data.dgram, r.t]));
    const lat = records(sim, 'net.deliver', 'B').map((r) => (r.t - sent.get(r.data.dgram)!) / 1000);
    lat.sort((x, y) => x - y);
    expect(lat).toHaveLength(5000);
    expect(lat[0]).toBeGreaterThanOrEqual(2);
    const median = lat[2500]!;
    expect(median).toBeGreaterThan(2.5);
    expect(median).toBeLessThan(2.9);
    const spikes = lat.filter((ms) => ms > 20).length / lat.length;
    expect(spikes).toBeGreaterThan(0.01);
    expect(spikes).toBeLessThan(0.025);
    expect(lat.at(-1)).toBeGreaterThan(100);
    expect(lat.at(-1)).toBeLessThanOrEqual(2 + 10 + 1000); // draws are capped at 10x their mean
  });

  it('go to whichever incarnation is up when they arrive, if it has a handler; a paused node gets them on resume', async () => {
    const sim = newSim({ latencyMs: 5, jitterMs: 0, tailProbability: 0 });
    const log = new Log(sim);
    sim.addNode('B', {
      program: (env) => {
        if (env.incarnation !== 1) env.net.onDatagram((_f, m) => log.add(`B${env.incarnation}`, m));
      },
    });
    sim.addNode('A', { program: () => {} });
    const send = (ms: number, v: number) => at(sim, ms, () => sim.node('A').env!.net.sendDatagram('B', v));
    send(10, 0); // B0 gets it
    at(sim, 20, () => sim.crash('B'));
    send(21, 1); // B is down when it arrives: dropped
    at(sim, 30, () => sim.start('B'));
    send(31, 2); // B1 has no handler: dropped
    at(sim, 40, () => sim.crash('B'));
    at(sim, 41, () => sim.start('B'));
    at(sim, 42, () => sim.pause('B'));
    send(43, 3); // queued while paused
    at(sim, 100, () => sim.resume('B'));
    sim.start('B');
    sim.start('A');
    await runMs(sim, 1_000);
    expect(log.items).toEqual([
      { t: 15_000, what: 'B0', value: 0 },
      { t: 100_000, what: 'B2', value: 3 },
    ]);
    expect(records(sim, 'net.drop', 'B').map((r) => r.data.reason)).toEqual(['down', 'no-handler']);
  });

  it('gives each copy of a duplicate its own object', async () => {
    const sim = newSim({ latencyMs: 5, jitterMs: 0, tailProbability: 0, dupRate: 1 });
    const got: { n: number[] }[] = [];
    sim.addNode('B', {
      program: (env) =>
        env.net.onDatagram((_f, m) => {
          const msg = m as { n: number[] };
          msg.n.push(got.length);
          got.push(msg);
        }),
    });
    sim.addNode('A', { program: (env) => env.net.sendDatagram('B', { n: [] }) });
    sim.start('B');
    sim.start('A');
    await runMs(sim, 100);
    expect(got).toEqual([{ n: [0] }, { n: [1] }]);
  });

  it('honours injected faults: an error code throws, a crash takes the sender down', async () => {
    const sim = newSim();
    const seen: string[] = [];
    sim.addInterceptor((op) => {
      if (op.area !== 'net' || op.op !== 'datagram') return null;
      return op.node === 'A' ? { type: 'error', code: 'EIO' } : { type: 'crash', when: 'after' };
    });
    sim.addNode('T', { program: (env) => env.net.onDatagram((from) => void seen.push(from)) });
    sim.addNode('A', {
      program: (env) => {
        try {
          env.net.sendDatagram('T', 1);
        } catch (e) {
          seen.push((e as { code: string }).code);
        }
      },
    });
    sim.addNode('B', { program: (env) => env.net.sendDatagram('T', 1) });
    for (const n of ['T', 'A', 'B']) sim.start(n);
    await runMs(sim, 100);
    expect(seen).toEqual(['EIO', 'B']); // B's datagram went out ('after'), then B crashed
    expect(sim.node('B').status).toBe('down');
    expect(sim.node('A').status).toBe('running');
  });
});

import { describe, expect, it } from 'vitest';
import { installFaults, type InstallOptions } from '../../src/faults/inject.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { Env } from '../../src/impl/env.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const ms = (n: number): number => n * 1000;

interface Received {
  from: string;
  seq: number;
  sentUs: number;
  atUs: number;
}

/**
 * Nodes that send a datagram to every other node every 20 ms ({ seq, sentUs }) and record what they get.
 * Zero latency jitter and no tail, so arrivals are exactly latencyMs after sending unless a fault acts.
 */
function netWorld(events: FaultEvent[], options?: InstallOptions, nodes = ['A', 'B', 'C']) {
  const sim = new Simulation({ seed: 9, trace: { keepAll: true }, net: { latencyMs: 2, jitterMs: 0, tailProbability: 0 } });
  const got = new Map<string, Received[]>(nodes.map((n) => [n, []]));
  const program = (env: Env): void => {
    let seq = 0;
    env.net.onDatagram((from, m) => {
      const msg = m as { seq: number; sentUs: number };
      got.get(env.nodeId)!.push({ from, seq: msg.seq, sentUs: msg.sentUs, atUs: sim.nowUs() });
    });
    env.clock.setInterval(() => {
      seq++;
      for (const to of nodes) if (to !== env.nodeId) env.net.sendDatagram(to, { seq, sentUs: sim.nowUs() });
    }, 20);
  };
  for (const id of nodes) sim.addNode(id, { program });
  for (const id of nodes) sim.start(id);
  const injector = installFaults(sim, { events }, options);
  const records = (kind: string): TraceRecord[] => sim.trace.records()!.filter((r) => r.kind === kind);
  const from = (to: string, sender: string): Received[] => got.get(to)!.filter((r) => r.from === sender);
  return { sim, injector, records, from };
}

/** Datagrams sent in [fromUs, toUs). */
const sentIn = (rs: Received[], fromUs: number, toUs: number): Received[] =>
  rs.filter((r) => r.sentUs >= fromUs && r.sentUs < toUs);

describe('installFaults: network faults', () => {
  it('partitions for durationMs: nothing crosses, then traffic flows again', async () => {
    const w = netWorld([{ kind: 'partition', atMs: 500, a: ['A'], b: ['B', 'C'], durationMs: 300 }]);
    await w.sim.run({ untilUs: ms(1500) });
    expect(w.records('net.partition').map((r) => r.t)).toEqual([ms(500)]);
    expect(w.records('net.heal').map((r) => r.t)).toEqual([ms(800)]);
    expect(sentIn(w.from('B', 'A'), ms(500), ms(800))).toEqual([]);
    expect(sentIn(w.from('A', 'C'), ms(500), ms(800))).toEqual([]);
    expect(sentIn(w.from('B', 'C'), ms(500), ms(800)).length).toBe(15); // B <-> C unaffected
    expect(sentIn(w.from('B', 'A'), ms(800), ms(1400)).length).toBe(30);
  });

  it('a one-way partition cuts only a -> b', async () => {
    const w = netWorld([{ kind: 'partition', atMs: 500, a: ['A'], b: ['B'], oneWay: true, durationMs: 300 }]);
    await w.sim.run({ untilUs: ms(1000) });
    expect(sentIn(w.from('B', 'A'), ms(500), ms(800))).toEqual([]);
    expect(sentIn(w.from('A', 'B'), ms(500), ms(800)).length).toBe(15);
  });

  it('isolates a node from everyone, then it rejoins', async () => {
    const w = netWorld([{ kind: 'isolate', atMs: 200, node: 'C', durationMs: 400 }]);
    await w.sim.run({ untilUs: ms(1000) });
    expect(sentIn(w.from('A', 'C'), ms(200), ms(600))).toEqual([]);
    expect(sentIn(w.from('C', 'B'), ms(200), ms(600))).toEqual([]);
    expect(sentIn(w.from('A', 'B'), ms(200), ms(600)).length).toBe(20);
    expect(w.records('net.rejoin').map((r) => r.t)).toEqual([ms(600)]);
    expect(sentIn(w.from('C', 'A'), ms(600), ms(980)).length).toBe(19);
  });

  it('clogs one direction: datagrams are held, then all arrive in order at unclog', async () => {
    const w = netWorld([{ kind: 'clog', atMs: 300, from: 'A', to: 'B', durationMs: 200 }]);
    await w.sim.run({ untilUs: ms(1000) });
    const held = sentIn(w.from('B', 'A'), ms(300), ms(500));
    expect(held.length).toBe(10);
    expect(held.every((r) => r.atUs >= ms(500))).toBe(true);
    expect(held.map((r) => r.seq)).toEqual([...held.map((r) => r.seq)].sort((x, y) => x - y));
    expect(sentIn(w.from('A', 'B'), ms(300), ms(500)).every((r) => r.atUs === r.sentUs + ms(2))).toBe(true); // B -> A free
  });

  it('degrades links for durationMs, then restores their settings exactly', async () => {
    const w = netWorld([{ kind: 'linkFaults', atMs: 200, from: 'A', lossRate: 1, latencyMs: 50, durationMs: 300 }]);
    const net = w.sim.network;
    const before = net.linkFaults('A', 'B');
    await w.sim.run({ untilUs: ms(300) });
    expect(net.linkFaults('A', 'C')).toEqual({ ...before, lossRate: 1, latencyMs: 50 });
    expect(net.linkFaults('B', 'A')).toEqual(before);
    await w.sim.run({ untilUs: ms(1000) });
    expect(net.linkFaults('A', 'B')).toEqual(before);
    expect(net.linkFaults('A', 'C')).toEqual(before);
    expect(sentIn(w.from('B', 'A'), ms(200), ms(500))).toEqual([]);
    expect(sentIn(w.from('B', 'A'), ms(500), ms(900)).every((r) => r.atUs === r.sentUs + ms(2))).toBe(true);
  });

  it('overlapping link faults on one link end in any order and restore the baseline last', async () => {
    const w = netWorld([
      { kind: 'linkFaults', atMs: 100, from: 'A', to: 'B', latencyMs: 40, durationMs: 500 },
      { kind: 'linkFaults', atMs: 200, lossRate: 0.5, durationMs: 100 },
    ]);
    const net = w.sim.network;
    const before = net.linkFaults('A', 'B');
    await w.sim.run({ untilUs: ms(250) });
    expect(net.linkFaults('A', 'B')).toEqual({ ...before, latencyMs: 40, lossRate: 0.5 });
    expect(net.linkFaults('C', 'B')).toEqual({ ...before, lossRate: 0.5 });
    await w.sim.run({ untilUs: ms(400) });
    expect(net.linkFaults('A', 'B')).toEqual({ ...before, latencyMs: 40 });
    expect(net.linkFaults('C', 'B')).toEqual(before);
    await w.sim.run({ untilUs: ms(700) });
    expect(net.linkFaults('A', 'B')).toEqual(before);
  });

  it('stalls and resets connections through the network', async () => {
    const sim = new Simulation({ seed: 2, trace: { keepAll: true } });
    const closes: string[] = [];
    sim.addNode('S', {
      program: (env: Env) => env.net.listen((c) => c.onClose((why) => closes.push(`S:${why}`))),
    });
    sim.addNode('C', {
      program: async (env: Env) => {
        const c = await env.net.connect('S');
        c.onClose((why) => closes.push(`C:${why}`));
      },
    });
    sim.start('S');
    sim.start('C');
    installFaults(sim, {
      events: [
        { kind: 'stall', atMs: 100, a: 'C', b: 'S', durationMs: 50 },
        { kind: 'resetConnections', atMs: 300, a: 'C' },
      ],
    });
    await sim.run({ untilUs: ms(1000) });
    const kinds = sim.trace.records()!.filter((r) => r.kind === 'net.stall' || r.kind === 'net.resetConnections');
    expect(kinds.map((r) => [r.kind, r.t])).toEqual([['net.stall', ms(100)], ['net.resetConnections', ms(300)]]);
    expect(closes.sort()).toEqual(['C:reset', 'S:reset']);
  });

  it('heals everything on the network at healAtMs', async () => {
    const w = netWorld(
      [
        { kind: 'partition', atMs: 100, a: ['A'], b: ['B'], durationMs: 60_000 },
        { kind: 'clog', atMs: 100, from: 'C', to: 'A', durationMs: 60_000 },
        { kind: 'isolate', atMs: 100, node: 'C', durationMs: 60_000 },
        { kind: 'linkFaults', atMs: 100, to: 'B', lossRate: 0.9, durationMs: 60_000 },
        { kind: 'partition', atMs: 700, a: ['A'], b: ['C'], durationMs: 100 },
      ],
      { healAtMs: 500 },
    );
    const before = w.sim.network.linkFaults('C', 'B');
    await w.sim.run({ untilUs: ms(1000) });
    expect(w.records('fault.heal').map((r) => r.t)).toEqual([ms(500)]);
    expect(w.records('net.partition')).toHaveLength(1); // the one at 700 ms never fires
    expect(w.sim.network.linkFaults('C', 'B')).toEqual(before);
    for (const [to, from] of [['B', 'A'], ['A', 'C'], ['B', 'C'], ['C', 'A']] as const) {
      expect(sentIn(w.from(to, from), ms(500), ms(980)).length, `${from} -> ${to}`).toBe(24);
    }
    expect(w.injector.injected()).toEqual(new Map([['partition', 1], ['clog', 1], ['isolate', 1], ['linkFaults', 1]]));
  });
});

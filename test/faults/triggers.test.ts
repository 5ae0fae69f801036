/**
 * Faults at exact operations: for every operation a trigger may name (TRIGGER_POINTS), a node performs it
 * five times and a fault placed with `faultAt` at the 3rd one lands exactly there: a crash before it (two
 * done, none after), a pause (the 3rd answer, or the next step for operations that take effect as they
 * are called, waits for the resume; before: the effect too), a clock jump (seen from the 3rd on, not by
 * the 2nd).
 */
import { describe, expect, it } from 'vitest';
import { installFaults } from '../../src/faults/inject.ts';
import { TRIGGER_POINTS, faultAt, type TriggerPoint } from '../../src/faults/place.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { Connection, Env } from '../../src/impl/env.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const bytes = new Uint8Array(64).fill(7);

/** How to perform one operation: setup (other operations), then the i-th call (i = 1..5). */
interface OpCase {
  setup?(env: Env, state: { conn?: Connection }): Promise<unknown>;
  run(env: Env, i: number, state: { conn?: Connection }): unknown;
  /** The trace record the operation's effect leaves (operations that change something). */
  effect?: string;
}

const CASES: Readonly<Record<string, OpCase>> = {
  'disk.read': { setup: (env) => env.disk.writeFile('/f', bytes), run: (env) => env.disk.readFile('/f') },
  'disk.writeFile': { run: (env, i) => env.disk.writeFile(`/w${i}`, bytes), effect: 'disk.writeFile' },
  'disk.write': { run: (env, i) => env.disk.write('/w', i * 64, bytes), effect: 'disk.write' },
  'disk.truncate': { setup: (env) => env.disk.writeFile('/t', bytes), run: (env, i) => env.disk.truncate('/t', 64 - i), effect: 'disk.truncate' },
  'disk.fsync': { setup: (env) => env.disk.writeFile('/s', bytes), run: (env) => env.disk.fsync('/s'), effect: 'disk.fsync' },
  'disk.fsyncDir': { run: (env) => env.disk.fsyncDir('/'), effect: 'disk.fsyncDir' },
  'disk.mkdir': { run: (env, i) => env.disk.mkdir(`/d${i}`), effect: 'disk.mkdir' },
  'disk.rename': { setup: (env) => env.disk.writeFile('/r0', bytes), run: (env, i) => env.disk.rename(`/r${i - 1}`, `/r${i}`), effect: 'disk.rename' },
  'disk.unlink': {
    setup: async (env) => {
      for (let i = 1; i <= 5; i++) await env.disk.writeFile(`/u${i}`, bytes);
    },
    run: (env, i) => env.disk.unlink(`/u${i}`),
    effect: 'disk.unlink',
  },
  'disk.list': { run: (env) => env.disk.list('/') },
  'disk.stat': { run: (env) => env.disk.stat('/') },
  'kv.commit': { run: (env, i) => env.kv.transaction(['s'], 'readwrite', async (t) => t.put('s', i, i)), effect: 'kv.commit' },
  'kv.get': { run: (env, i) => env.kv.transaction(['s'], 'readonly', (t) => t.get('s', i)) },
  'kv.keys': { run: (env) => env.kv.transaction(['s'], 'readonly', (t) => t.keys('s')) },
  'net.send': {
    setup: async (env, state) => (state.conn = await env.net.connect('B')),
    run: (_env, i, state) => state.conn!.send({ i }),
    effect: 'net.send',
  },
  'net.datagram': { run: (env, i) => env.net.sendDatagram('B', { i }), effect: 'net.send' },
  'net.connect': { run: (env) => env.net.connect('B'), effect: 'net.connect' },
  'bus.post': { run: (env, i) => env.bus.post('c', { i }), effect: 'bus.post' },
  'lock.request': { run: (env, i) => env.locks.request('L', {}, () => i), effect: 'lock.request' },
};

const PAUSE_MS = 1_000;

/** A runs the case's five operations (10 ms apart) with `event` installed; B listens. */
async function runCase(point: TriggerPoint, event: FaultEvent): Promise<{ records: readonly TraceRecord[]; sim: Simulation }> {
  const c = CASES[`${point.area}.${point.op}`]!;
  const sim = new Simulation({ seed: 3, trace: { keepAll: true } });
  sim.addNode('A', {
    program: async (env) => {
      if (env.incarnation > 0) return;
      const state: { conn?: Connection } = {};
      await c.setup?.(env, state);
      for (let i = 1; i <= 5; i++) {
        await c.run(env, i, state);
        env.trace.emit('app.op', { i, wallMs: env.clock.now() });
        await env.clock.sleep(10);
      }
    },
  });
  sim.addNode('B', { program: (env) => env.net.listen(() => {}) });
  sim.start('A');
  sim.start('B');
  installFaults(sim, { events: [event] });
  await sim.run({ untilUs: 5_000_000 });
  return { records: sim.trace.records()!, sim };
}

const site = (p: TriggerPoint) => ({ node: 'A', area: p.area, op: p.op });
const ops = (records: readonly TraceRecord[]) => records.filter((r) => r.kind === 'app.op');
const timeOf = (records: readonly TraceRecord[], i: number): number => ops(records).find((r) => r.data.i === i)!.t;

describe('every trigger point has a test case', () => {
  it('covers TRIGGER_POINTS exactly', () => {
    expect(Object.keys(CASES).sort()).toEqual(TRIGGER_POINTS.map((p) => `${p.area}.${p.op}`).sort());
  });
});

/** The faults of one trigger point, each at the 3rd of its operations. */
function describePoint(point: TriggerPoint): void {
  const name = `${point.area}.${point.op}`;
  describe(`faults at the 3rd ${name} of a node`, () => {
    it('a crash before it: two done, the node down, the cause traced with the operation', async () => {
      const { records, sim } = await runCase(point, faultAt('crash', site(point), 3, { powerLoss: false, restartAfterMs: undefined }));
      expect(ops(records).map((r) => r.data.i)).toEqual([1, 2]);
      expect(records.filter((r) => r.kind === 'fault.crash').map((r) => r.data.op)).toEqual([name]);
      expect(sim.node('A').status).toBe('down');
      const c = CASES[name]!;
      if (c.effect !== undefined) {
        const crashAt = records.find((r) => r.kind === 'node.crash')!.i;
        const effects = records.filter((r) => r.kind === c.effect && r.node === 'A');
        expect(effects.every((r) => r.i < crashAt)).toBe(true);
      }
    });

    it('a pause (after): the node freezes there; what follows waits for the resume', async () => {
      const { records } = await runCase(point, faultAt('pause', site(point), 3, { durationMs: PAUSE_MS }));
      const fault = records.find((r) => r.kind === 'fault.pause')!;
      expect(fault.data).toMatchObject({ op: name, when: 'after' });
      expect(records.find((r) => r.kind === 'node.pause')!.t).toBe(fault.t);
      expect(timeOf(records, 2)).toBeLessThanOrEqual(fault.t);
      const resumeUs = fault.t + PAUSE_MS * 1000;
      expect(timeOf(records, 4)).toBeGreaterThanOrEqual(resumeUs);
      if (point.completesLater) expect(timeOf(records, 3)).toBeGreaterThanOrEqual(resumeUs); // the answer waited
      const effect = CASES[name]!.effect;
      if (effect !== undefined) expect(records.some((r) => r.kind === effect && r.t === fault.t)).toBe(true); // it took effect
      expect(ops(records).map((r) => r.data.i)).toEqual([1, 2, 3, 4, 5]);
    });

    if (point.completesLater) {
      it('a pause before it: the operation itself takes effect at the resume', async () => {
        const { records } = await runCase(point, faultAt('pause', site(point), 3, { durationMs: PAUSE_MS, when: 'before' }));
        const fault = records.find((r) => r.kind === 'fault.pause')!;
        const resumeUs = fault.t + PAUSE_MS * 1000;
        expect(timeOf(records, 3)).toBeGreaterThanOrEqual(resumeUs);
        const effect = CASES[name]!.effect;
        if (effect !== undefined) {
          const mine = records.filter((r) => r.kind === effect && r.node === 'A');
          expect(mine.some((r) => r.t === fault.t)).toBe(false);
          expect(mine.some((r) => r.t === resumeUs)).toBe(true);
        }
      });
    } else {
      it('a pause before it is refused: it takes effect as it is called', () => {
        expect(() => faultAt('pause', site(point), 3, { when: 'before' })).toThrow(/can only freeze after it/);
      });
    }

    it('a clock jump: the 3rd answer sees it, the 2nd does not', async () => {
      const { records } = await runCase(point, faultAt('clockJump', site(point), 3, { deltaMs: 3_600_000 }));
      const wall = (i: number): number => ops(records).find((r) => r.data.i === i)!.data.wallMs as number;
      expect(wall(2) - wall(1)).toBeLessThan(1_000);
      expect(wall(3) - wall(2)).toBeGreaterThanOrEqual(3_600_000);
      expect(records.filter((r) => r.kind === 'fault.clockJump').map((r) => r.data.op)).toEqual([name]);
    });
  });
}

for (const point of TRIGGER_POINTS) describePoint(point);

describe('faultAt', () => {
  it('fills the node of every kind with the site and validates what it builds', () => {
    const at = { node: 'B', area: 'kv' as const, op: 'commit' };
    expect(faultAt('crash', at, 3, { powerLoss: true })).toEqual({
      kind: 'crash',
      trigger: { node: 'B', area: 'kv', op: 'commit', nth: 3 },
      node: 'B',
      powerLoss: true,
      restartAfterMs: 100,
    });
    expect(faultAt('partition', at, 1, { b: ['A'] })).toMatchObject({ a: ['B'], b: ['A'], durationMs: 1_000 });
    expect(faultAt('diskError', at, 2)).toMatchObject({ node: 'B', area: 'kv', op: 'commit', code: 'EIO', nth: 1 });
    expect(faultAt('pause', { ...at, target: 'rec' }, 5, { node: 'A' }).trigger).toEqual({ node: 'B', area: 'kv', op: 'commit', nth: 5, target: 'rec' });
    expect(() => faultAt('clog', at, 1)).toThrow(/\.to: missing/);
    expect(() => faultAt('crash', at, 1, {}, ['A'])).toThrow(/unknown node 'B'/);
    expect(() => faultAt('crash', { ...at, op: 'put' }, 1)).toThrow(/unknown kv operation 'put'/);
  });

  it('lists every operation of every area once, net, bus and lock as taking effect when called', () => {
    const names = TRIGGER_POINTS.map((p) => `${p.area}.${p.op}`);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['disk.fsync', 'disk.rename', 'kv.commit', 'kv.get', 'net.send', 'bus.post', 'lock.request']));
    expect(TRIGGER_POINTS.filter((p) => !p.completesLater).map((p) => p.area)).toEqual(['net', 'net', 'net', 'bus', 'lock']);
  });
});

describe('other kinds at an operation apply on the spot, before it proceeds', () => {
  /** A sends five datagrams to B, 10 ms apart; what B received, and the trace. */
  async function datagrams(event: FaultEvent): Promise<{ got: number[]; records: readonly TraceRecord[]; sim: Simulation }> {
    const got: number[] = [];
    const sim = new Simulation({ seed: 6, trace: { keepAll: true } });
    sim.addNode('A', {
      program: async (env) => {
        for (let i = 1; i <= 5; i++) {
          env.net.sendDatagram('B', { i });
          await env.clock.sleep(10);
        }
      },
    });
    sim.addNode('B', { program: (env) => env.net.onDatagram((_from, m) => void got.push((m as { i: number }).i)) });
    sim.start('B');
    sim.start('A');
    installFaults(sim, { events: [event] });
    await sim.run({ untilUs: 2_000_000 });
    return { got, records: sim.trace.records()!, sim };
  }

  it('isolate at the 3rd datagram: that one and the next are lost, the ones after the rejoin arrive', async () => {
    const { got, records } = await datagrams(faultAt('isolate', { node: 'A', area: 'net', op: 'datagram' }, 3, { durationMs: 15 }));
    expect(got).toEqual([1, 2, 5]);
    expect(records.find((r) => r.kind === 'fault.isolate')!.data).toMatchObject({ node: 'A', op: 'net.datagram' });
  });

  it('a partition of others and a drift change land at the trigger too', async () => {
    const cut = await datagrams(faultAt('partition', { node: 'A', area: 'net', op: 'datagram' }, 4, { b: ['B'], durationMs: 100 }));
    expect(cut.got).toEqual([1, 2, 3]);
    const drift = await datagrams(faultAt('clockDrift', { node: 'A', area: 'net', op: 'datagram' }, 2, { node: 'B', driftPpm: 5_000, durationMs: 100 }));
    const fault = drift.records.find((r) => r.kind === 'fault.clockDrift')!;
    expect(fault.data).toMatchObject({ node: 'B', driftPpm: 5_000, op: 'net.datagram' });
    expect(fault.t).toBe(drift.records.filter((r) => r.kind === 'net.send' && r.node === 'A')[1]!.t);
    expect(drift.sim.node('B').clock.driftPpm).toBe(0); // restored when its duration ended
  });
});

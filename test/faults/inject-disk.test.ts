import { describe, expect, it } from 'vitest';
import { installFaults } from '../../src/faults/inject.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import { EnvError, type Env } from '../../src/impl/env.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const bytes = (i: number): Uint8Array => new Uint8Array(64).fill(i);

/** What a disk call did: 'ok' or the EnvError code. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof EnvError) return e.code;
    throw e;
  }
}

function run(program: (env: Env) => unknown, events: FaultEvent[], untilMs = 5_000) {
  const sim = new Simulation({ seed: 21, trace: { keepAll: true } });
  sim.addNode('A', { program });
  sim.start('A');
  const injector = installFaults(sim, { events });
  const records = (kind: string): TraceRecord[] => sim.trace.records()!.filter((r) => r.kind === kind);
  return { sim, injector, records, done: sim.run({ untilUs: untilMs * 1000 }) };
}

describe('installFaults: disk faults on the real disk', () => {
  it('crashes the node at its 3rd fsync (after it took effect) and restarts it', async () => {
    const found: string[] = [];
    const program = async (env: Env): Promise<void> => {
      if (env.incarnation > 0) {
        for (let i = 1; i <= 5; i++) {
          const data = await env.disk.readFile(`/f${i}`).catch(() => null);
          found.push(data === null ? `f${i}:missing` : `f${i}:${data[0]}`);
        }
        return;
      }
      for (let i = 1; i <= 5; i++) {
        await env.disk.writeFile(`/f${i}`, bytes(i));
        await env.disk.fsyncDir('/');
        await env.disk.fsync(`/f${i}`);
        env.trace.emit('app.synced', { i });
      }
    };
    const w = run(program, [
      { kind: 'crash', node: 'A', when: 'after', restartAfterMs: 100, trigger: { node: 'A', area: 'disk', op: 'fsync', nth: 3 } },
    ]);
    await w.done;
    expect(w.records('app.synced').map((r) => r.data.i)).toEqual([1, 2]);
    const fault = w.records('fault.crash');
    expect(fault.map((r) => r.data.op)).toEqual(['disk.fsync']);
    expect(fault[0]!.data.target).toBe('/f3');
    const crash = w.records('node.crash');
    expect(crash).toHaveLength(1);
    expect(crash[0]!.t).toBe(fault[0]!.t);
    expect(w.records('node.start').map((r) => r.t)).toEqual([0, crash[0]!.t + 100_000]);
    // 'after': the third fsync took effect before the power went, so /f3 survived
    expect(found).toEqual(['f1:1', 'f2:2', 'f3:3', 'f4:missing', 'f5:missing']);
  });

  it('fails the nth matching write with the planned code, as an EnvError', async () => {
    const codes: string[] = [];
    const program = async (env: Env): Promise<void> => {
      for (let i = 1; i <= 4; i++) codes.push(await outcome(env.disk.writeFile(`/w${i}`, bytes(i))));
      codes.push(await outcome(env.disk.write('/w1', 0, bytes(9))));
    };
    const w = run(program, [{ kind: 'diskError', atMs: 0, node: 'A', op: 'writeFile', code: 'ENOSPC', nth: 2 }]);
    await w.done;
    expect(codes).toEqual(['ok', 'ENOSPC', 'ok', 'ok', 'ok']);
    expect(w.injector.injected()).toEqual(new Map([['diskError', 1]]));
  });

  it('fails every fsync with EIO while an fsyncFail with probability 1 lasts', async () => {
    const codes: string[] = [];
    const program = async (env: Env): Promise<void> => {
      await env.disk.writeFile('/x', bytes(1));
      for (let i = 0; i < 6; i++) {
        codes.push(await outcome(env.disk.fsync('/x')));
        await env.clock.sleep(100);
      }
    };
    const w = run(program, [{ kind: 'fsyncFail', atMs: 150, node: 'A', probability: 1, durationMs: 300 }]);
    await w.done;
    expect(codes.filter((c) => c === 'EIO').length).toBeGreaterThanOrEqual(2);
    expect(codes[0]).toBe('ok');
    expect(codes[5]).toBe('ok');
  });

  it('flips exactly one bit of the nth read; the stored data stays intact', async () => {
    const reads: Uint8Array[] = [];
    const program = async (env: Env): Promise<void> => {
      await env.disk.writeFile('/r', bytes(0x55));
      for (let i = 0; i < 3; i++) reads.push(await env.disk.readFile('/r'));
    };
    const w = run(program, [{ kind: 'bitFlip', atMs: 0, node: 'A', nth: 2 }]);
    await w.done;
    const bitsDiffering = (a: Uint8Array): number => {
      let n = 0;
      for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ 0x55; x !== 0; x &= x - 1) n++;
      return n;
    };
    expect(reads.map(bitsDiffering)).toEqual([0, 1, 0]);
  });

  it('tears the nth write: the device loses power in the middle of it', async () => {
    const program = async (env: Env): Promise<void> => {
      await env.disk.writeFile('/t', new Uint8Array(8192).fill(1));
      await env.disk.fsyncDir('/');
      await env.disk.fsync('/t');
      await env.disk.write('/t', 0, new Uint8Array(8192).fill(2));
      env.trace.emit('app.wrote');
    };
    const w = run(program, [{ kind: 'tornWrite', atMs: 0, node: 'A', nth: 2 }]);
    await w.done;
    expect(w.records('fault.tornWrite').map((r) => r.data.op)).toEqual(['disk.write']);
    expect(w.records('device.powerloss')).toHaveLength(1);
    expect(w.records('app.wrote')).toEqual([]);
    expect(w.sim.node('A').status).toBe('down');
  });

  it('catches a deliberately weakened store: acknowledging before fsync loses data on a power cut', async () => {
    /** A store that acknowledges a record; `durable` decides whether it syncs before acknowledging. */
    const store = (durable: boolean, found: string[]) => async (env: Env): Promise<void> => {
      if (env.incarnation > 0) {
        const data = await env.disk.readFile('/acked').catch(() => null);
        found.push(data === null ? 'lost' : 'kept');
        return;
      }
      await env.disk.writeFile('/acked', bytes(7));
      if (durable) {
        await env.disk.fsync('/acked');
        await env.disk.fsyncDir('/');
      }
      env.trace.emit('app.ack');
    };
    const crash: FaultEvent[] = [{ kind: 'crash', atMs: 500, node: 'A', powerLoss: true, restartAfterMs: 100 }];
    const sound: string[] = [];
    const weak: string[] = [];
    const good = run(store(true, sound), crash);
    const bad = run(store(false, weak), crash);
    await good.done;
    await bad.done;
    expect(good.records('app.ack')).toHaveLength(1);
    expect(bad.records('app.ack')).toHaveLength(1);
    expect(sound).toEqual(['kept']);
    expect(weak).toEqual(['lost']); // the acknowledged record is gone: the fault exposes the bug
  });
});

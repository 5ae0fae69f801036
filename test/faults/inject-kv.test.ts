import { describe, expect, it } from 'vitest';
import { installFaults } from '../../src/faults/inject.ts';
import { EnvError, type Env } from '../../src/impl/env.ts';
import { Simulation } from '../../src/sim/simulation.ts';

/** What a call did: 'ok' or the EnvError code. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof EnvError) return e.code;
    throw e;
  }
}

describe('installFaults: key-value store faults', () => {
  it('fails a key-value commit with the planned code', async () => {
    const codes: string[] = [];
    const program = async (env: Env): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        const tx = env.kv.transaction(['s'], 'readwrite', async (t) => t.put('s', i, i));
        codes.push(await outcome(tx));
      }
    };
    const sim = new Simulation({ seed: 21 });
    sim.addNode('A', { program });
    sim.start('A');
    installFaults(sim, { events: [{ kind: 'diskError', atMs: 0, node: 'A', area: 'kv', op: 'commit', code: 'EIO', nth: 2 }] });
    await sim.run({ untilUs: 5_000_000 });
    expect(codes).toEqual(['ok', 'EIO', 'ok']);
  });
});

describe('installFaults: errors on key-value reads', () => {
  for (const op of ['get', 'keys'] as const) {
    it(`fails the nth ${op} with the planned code and aborts its transaction (nothing it wrote lands)`, async () => {
      const codes: string[] = [];
      const program = async (env: Env): Promise<void> => {
        for (let i = 0; i < 3; i++) {
          const tx = env.kv.transaction(['s'], 'readwrite', async (t) => {
            await t.put('s', `w${i}`, i);
            return op === 'get' ? t.get('s', 'x') : t.keys('s');
          });
          codes.push(await outcome(tx));
        }
        env.trace.emit('app.keys', { keys: await env.kv.transaction(['s'], 'readonly', (t) => t.keys('s')) });
      };
      const sim = new Simulation({ seed: 21, trace: { keepAll: true } });
      sim.addNode('A', { program });
      sim.start('A');
      installFaults(sim, { events: [{ kind: 'diskError', atMs: 0, node: 'A', area: 'kv', op, code: 'EIO', nth: 2 }] });
      await sim.run({ untilUs: 5_000_000 });
      expect(codes).toEqual(['ok', 'EIO', 'ok']);
      const recs = sim.trace.records()!;
      expect(recs.filter((r) => r.kind === 'kv.abort').map((r) => r.data.reason)).toEqual(['EIO']);
      expect(recs.filter((r) => r.kind === 'kv.fault').map((r) => r.data)).toEqual([{ tx: 2, op, action: 'error:EIO' }]);
      expect(recs.find((r) => r.kind === 'app.keys')!.data.keys).toEqual(['w0', 'w2']);
    });
  }

  it('a crash at a read takes the node down before it hears back', async () => {
    const got: unknown[] = [];
    const program = async (env: Env): Promise<void> => {
      await env.kv.transaction(['s'], 'readwrite', async (t) => t.put('s', 'k', 1));
      got.push(await env.kv.transaction(['s'], 'readonly', (t) => t.get('s', 'k')));
    };
    const sim = new Simulation({ seed: 2 });
    sim.addNode('A', { program });
    sim.start('A');
    installFaults(sim, { events: [{ kind: 'crash', node: 'A', powerLoss: false, trigger: { node: 'A', area: 'kv', op: 'get', nth: 1 } }] });
    await sim.run({ untilUs: 1_000_000 });
    expect(got).toEqual([]);
    expect(sim.node('A').status).toBe('down');
    expect(sim.device('A').kv.visibleGet('s', 'k')).toBe(1);
  });
});

describe('installFaults: a tab paused at its kv commit', () => {
  /** T1 commits at once; T2 starts a commit on the same store 10 ms later. Times (µs) each heard back. */
  async function twoTabs(when: 'before' | 'after'): Promise<{ t1: number; t2: number; committed: number[]; pausedAt: number }> {
    const sim = new Simulation({ seed: 9, trace: { keepAll: true } });
    const heard: Record<string, number> = {};
    const tab = (delayMs: number) => async (env: Env): Promise<void> => {
      await env.clock.sleep(delayMs);
      await env.kv.transaction(['s'], 'readwrite', async (t) => t.put('s', env.nodeId, 1));
      heard[env.nodeId] = sim.nowUs();
    };
    sim.addNode('T1', { device: 'laptop', program: tab(0) });
    sim.addNode('T2', { device: 'laptop', program: tab(10) });
    sim.start('T1');
    sim.start('T2');
    installFaults(sim, { events: [{ kind: 'pause', node: 'T1', durationMs: 500, when, trigger: { node: 'T1', area: 'kv', op: 'commit', nth: 1 } }] });
    await sim.run({ untilUs: 2_000_000 });
    const recs = sim.trace.records()!;
    return {
      t1: heard.T1!,
      t2: heard.T2!,
      committed: recs.filter((r) => r.kind === 'kv.commit').map((r) => r.t),
      pausedAt: recs.find((r) => r.kind === 'fault.pause')!.t,
    };
  }

  it("after: the commit lands at once and other tabs go on; only T1's answer waits for its resume", async () => {
    const r = await twoTabs('after');
    expect(r.committed[0]).toBe(r.pausedAt);
    expect(r.t2).toBeLessThan(r.pausedAt + 500_000);
    expect(r.t1).toBe(r.pausedAt + 500_000);
  });

  it('before: the commit waits for the resume, and so does every tab whose transaction it blocks', async () => {
    const r = await twoTabs('before');
    expect(r.committed[0]).toBe(r.pausedAt + 500_000);
    expect(r.t2).toBeGreaterThan(r.pausedAt + 500_000);
    expect(r.t1).toBe(r.pausedAt + 500_000);
  });
});

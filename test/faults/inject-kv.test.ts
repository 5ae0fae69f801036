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

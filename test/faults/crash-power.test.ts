import { describe, expect, it } from 'vitest';
import { installFaults } from '../../src/faults/inject.ts';
import type { FaultPlan } from '../../src/faults/plan.ts';
import { Simulation } from '../../src/sim/simulation.ts';

// A triggered crash's powerLoss choice is honoured by the subsystem whose operation triggers it.
async function crashAtFsync(powerLoss: boolean | undefined): Promise<{ kinds: string[]; survived: boolean }> {
  const sim = new Simulation({ seed: 1 });
  sim.addDevice('dev');
  for (const id of ['t1', 't2']) {
    sim.addNode(id, {
      device: 'dev',
      program: async (env) => {
        if (id !== 't1') return;
        await env.disk.writeFile('/f', new Uint8Array([1, 2, 3])); // not fsynced: lost on a power loss
        await env.disk.fsync('/nothing-yet').catch(() => {});
      },
    });
    sim.start(id);
  }
  const plan: FaultPlan = {
    events: [{ kind: 'crash', node: 't1', trigger: { node: 't1', area: 'disk', op: 'fsync', nth: 1 }, when: 'before', ...(powerLoss === undefined ? {} : { powerLoss }) }],
  };
  installFaults(sim, plan);
  await sim.run({ untilUs: 1_000_000 });
  const kinds = sim.trace.recent().filter((r) => r.kind === 'node.crash').map((r) => `${r.node}:${String(r.data.powerLoss)}`);
  return { kinds, survived: sim.device('dev').disk.visibleSnapshot().has('/f') };
}

describe('triggered crash power loss', () => {
  it('a disk-triggered crash is a power loss of the whole device by default', async () => {
    const r = await crashAtFsync(undefined);
    expect(r.kinds.sort()).toEqual(['t1:true', 't2:true']);
    expect(r.survived).toBe(false);
  });

  it('powerLoss: false crashes only the process and keeps the page cache', async () => {
    const r = await crashAtFsync(false);
    expect(r.kinds).toEqual(['t1:false']);
    expect(r.survived).toBe(true);
  });
});

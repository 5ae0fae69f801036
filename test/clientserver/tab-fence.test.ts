/**
 * A tab's fence (tabs.ts, docs/client-server.md "Several tabs"): a tab the election makes leader records
 * its epoch in the device's kv store (`cs-tabs`, key `fence`) before it starts its client, unless a higher
 * epoch is recorded there: then it does not lead (no client), and the record stays. One tab, no server
 * (its client only tries to connect), a short simulation each.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/impl/env.ts';
import { startCsTab, TABS_FENCE_STORE, type CsTabHandle } from '../../src/impl/clientserver/tabs.ts';
import { Simulation } from '../../src/sim/simulation.ts';

/** One tab on a device whose fence record is `fence` (undefined: none) before the tab starts; run 3 s. */
async function oneTab(fence: number | undefined): Promise<{ tab: CsTabHandle; stored: Value | undefined; clientStarts: number }> {
  const sim = new Simulation({ seed: 2, trace: { keepAll: true } });
  sim.addNode('T1', {
    device: 'D',
    program: async (env) => {
      if (fence !== undefined) await env.kv.transaction([TABS_FENCE_STORE], 'readwrite', (tx) => tx.put(TABS_FENCE_STORE, 'fence', fence), { durability: 'strict' });
      return startCsTab(env, { client: { server: 'S', db: 'd', schema: 1 } });
    },
  });
  sim.start('T1');
  await sim.run({ untilUs: 3_000_000 });
  return {
    tab: sim.node('T1').handle as CsTabHandle,
    stored: sim.device('D').kv.visibleSnapshot().get(TABS_FENCE_STORE)?.get('fence'),
    clientStarts: sim.trace.records()!.filter((r) => r.node === 'T1' && r.kind === 'cs.client.start').length,
  };
}

describe("a tab's fence", () => {
  it('a tab alone leads: its epoch recorded, its client started', async () => {
    const { tab, stored, clientStarts } = await oneTab(undefined);
    expect(tab.role()).toBe('leader');
    expect(tab.client()).not.toBeNull();
    expect(typeof stored).toBe('number');
    expect(clientStarts).toBe(1);
  });

  it('the same epoch recorded (the fence is only refused to a lower one): leads', async () => {
    const first = (await oneTab(undefined)).stored as number;
    const { tab, stored, clientStarts } = await oneTab(first);
    expect(tab.role()).toBe('leader');
    expect(tab.client()).not.toBeNull();
    expect(stored).toBe(first);
    expect(clientStarts).toBe(1);
  });

  it('a higher epoch recorded: the tab never starts a client and the record stays', async () => {
    const { tab, stored, clientStarts } = await oneTab(1_000_000);
    expect(tab.client()).toBeNull();
    expect(stored).toBe(1_000_000);
    expect(clientStarts).toBe(0);
  });
});

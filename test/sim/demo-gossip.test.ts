import { describe, expect, it } from 'vitest';
import demo from '../../scenarios/demo/gossip.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';

const swarm = (demo as Scenario[]).find((s) => s.name === 'demo-gossip-swarm')!;

describe('demo gossip node', () => {
  // Seeds 5219 and 5600 inject a disk error while a restarted node reads its log back. The node used to die
  // of it (verdict 'exception'); a supervisor would restart it, so recovery retries after retryMs.
  it.each([5219, 5600])('survives a disk error during startup recovery (swarm seed %i)', async (seed) => {
    const r = await runScenario(swarm, seed);
    expect(r.failure).toBeNull();
    expect(r.verdict).toBe('pass');
    expect(r.probes['demo.recover-retried'] ?? 0).toBeGreaterThan(0);
  });
});

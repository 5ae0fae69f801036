import { describe, expect, it } from 'vitest';
import demo from '../../scenarios/demo/gossip.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';

const swarm = (demo as Scenario[]).find((s) => s.name === 'demo-gossip-swarm')!;

describe('demo gossip node', () => {
  // Swarm seeds 5219 and 5600 (of the swarm's draws then) injected a disk error while a restarted node read
  // its log back. The node used to die of it (verdict 'exception'); a supervisor would restart it, so
  // recovery retries after retryMs. The plan is pinned here, so the swarm may draw differently.
  it.each(['EIO', 'ENOSPC'] as const)('survives a disk error (%s) during startup recovery', async (code) => {
    const r = await runScenario(swarm, 1, {
      faults: {
        events: [
          { kind: 'crash', atMs: 1_000, node: 'B', powerLoss: true, restartAfterMs: 100 },
          { kind: 'diskError', atMs: 1_000, node: 'B', op: 'read', code, nth: 1 },
        ],
      },
    });
    expect(r.failure).toBeNull();
    expect(r.verdict).toBe('pass');
    expect(r.probes['demo.recover-retried'] ?? 0).toBeGreaterThan(0);
  });
});

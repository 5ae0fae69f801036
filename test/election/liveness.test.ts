/** The liveness checks can fail: no leader after healing, and a write that never settles. */
import { describe, expect, it } from 'vitest';
import type { ElectionTabHandle } from '../../src/impl/election/tab.ts';
import type { Election, ElectionEvent, Role } from '../../src/impl/election/types.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { electionScenario, steadyWrites } from '../../scenarios/election/_common.ts';

const tabs = ['A', 'B'];

/** An election that never elects anyone. */
class NeverLeader implements Election {
  start(): void {}
  role(): Role {
    return 'follower';
  }
  epoch(): number {
    return 0;
  }
  canWrite(): boolean {
    return false;
  }
  fenced(): void {}
  subscribe(_l: (e: ElectionEvent) => void): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

function base(factory?: () => Election): Scenario {
  return electionScenario({
    name: 'election-liveness-probe',
    description: 'Two tabs and a few writes, for probing the liveness checks.',
    suites: [],
    tabs,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, tabs, 100, 500, 100),
    durationMs: 1_000,
    factory: factory === undefined ? undefined : () => factory(),
  });
}

describe('election liveness checks', () => {
  it('no leader within the bound after healing is a liveness failure', async () => {
    const r = await runScenario(base(() => new NeverLeader()), 1);
    expect(r.verdict).toBe('liveness');
    expect(r.failure?.check).toBe('liveness:leader-bound');
  });

  it('a write that never settles is a liveness failure even during chaos', async () => {
    const hanging: ElectionTabHandle = {
      write: () => new Promise(() => {}),
      read: async () => undefined,
      role: () => 'leader',
      epoch: () => 1,
      pendingWrites: () => 1,
      takeOver: () => {},
      close: async () => {},
    };
    const s: Scenario = { ...base(), durationMs: 20_000, program: () => () => hanging };
    const r = await runScenario(s, 1);
    expect(r.verdict).toBe('liveness');
    expect(r.failure?.check).toBe('liveness:write-hang');
    expect(r.failure!.timeUs).toBeLessThan(20_000_000); // caught during chaos, not after healing
  });
});

describe('lease timing assumptions', () => {
  it('without the drift margin, drifting clocks let a follower take over while the frozen leader still trusts its lease', async () => {
    const three = ['A', 'B', 'C'];
    const s = electionScenario({
      name: 'election-drift-no-margin',
      description: 'election-clock-drift with clockDriftMaxPpm 0 and no safety margin.',
      suites: [],
      tabs: three,
      mode: 'lease',
      startAtMs: { B: 100, C: 100 },
      clocks: { A: { driftPpm: -40_000 }, B: { driftPpm: 40_000 }, C: { driftPpm: 25_000 } },
      options: { clockDriftMaxPpm: 0, safetyMarginMs: 0, renewEveryMs: 50 },
      workload: (ctx) => steadyWrites(ctx, three, 200, 5_000, 20),
      faults: { events: [{ kind: 'pause', atMs: 1_500, node: 'A', durationMs: 2_000 }] },
      durationMs: 6_000,
    });
    for (const seed of [1, 2, 3]) {
      const r = await runScenario(s, seed);
      expect(r.verdict, `seed ${seed}`).toBe('correctness');
      expect(r.failure?.check).toBe('invariant:lease-exclusive');
    }
  });
});

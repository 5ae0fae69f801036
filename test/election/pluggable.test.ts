/**
 * The election seam is pluggable: a second, deliberately naive implementation plugged in through
 * `ElectionFactory` runs under the same scenario, model and invariants, which catch its flaw; the
 * default implementation plugged in the same way passes.
 */
import { describe, expect, it } from 'vitest';
import { LeaseElection } from '../../src/impl/election/lease-election.ts';
import { resolveTabOptions } from '../../src/impl/election/options.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { electionScenario, steadyWrites } from '../../scenarios/election/_common.ts';
import type { ElectionFactory } from '../../src/impl/election/types.ts';
import { NaiveElection } from './naive-election.ts';

const tabs = ['A', 'B'];

function twoTabs(factory: ElectionFactory) {
  return electionScenario({
    name: 'election-plugged-in',
    description: 'Two tabs starting together, with a plugged-in election implementation.',
    suites: [],
    tabs,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, tabs, 0, 2_000, 20),
    durationMs: 2_500,
    factory,
  });
}

describe('pluggable election', () => {
  it('the naive implementation is caught: two tabs win the same epoch', async () => {
    const s = twoTabs((deps) => new NaiveElection(deps));
    for (const seed of [1, 2, 3]) {
      const r = await runScenario(s, seed);
      expect(r.verdict, `seed ${seed}`).toBe('correctness');
      expect(r.failure?.check).toBe('invariant:epoch-unique');
    }
  });

  it('the lease election plugged in through the same seam passes', async () => {
    const settings = resolveTabOptions({ mode: 'lease' });
    const s = twoTabs((deps) => new LeaseElection(deps, settings));
    for (const seed of [1, 2, 3]) {
      const r = await runScenario(s, seed);
      expect(r.failure, r.failure?.message).toBeNull();
    }
  });
});

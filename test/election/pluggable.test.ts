/**
 * The election seam is pluggable: a second, deliberately naive implementation plugged in through
 * `ElectionFactory` runs under the same scenario, model and invariants, which catch its flaw; the
 * default implementation plugged in the same way passes. A plugged-in lease election is checked by
 * invariant:lease-exclusive too: one whose leader never steps down after a freeze is caught.
 */
import { describe, expect, it } from 'vitest';
import { LeaseElection } from '../../src/impl/election/lease-election.ts';
import { resolveTabOptions } from '../../src/impl/election/options.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { electionScenario, steadyWrites } from '../../scenarios/election/_common.ts';
import { leaderPaused } from '../../scenarios/election/handover.ts';
import type { ElectionFactory } from '../../src/impl/election/types.ts';
import { NaiveElection } from './naive-election.ts';
import { StickyLeaseElection } from './sticky-lease-election.ts';

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

/** Seeds 1..3 of `s` all fail `check`; returns the failure messages. */
async function caughtBy(s: Scenario, check: string): Promise<string[]> {
  const messages: string[] = [];
  for (const seed of [1, 2, 3]) {
    const r = await runScenario(s, seed);
    expect(r.verdict, `seed ${seed}: ${r.failure?.message ?? 'passed'}`).toBe('correctness');
    expect(r.failure?.check).toBe(check);
    messages.push(r.failure?.message ?? '');
  }
  return messages;
}

describe('pluggable election', () => {
  it('the naive implementation is caught: two tabs win the same epoch', async () => {
    await caughtBy(twoTabs((deps) => new NaiveElection(deps)), 'invariant:epoch-unique');
  });

  it('the lease election plugged in through the same seam passes', async () => {
    const settings = resolveTabOptions({ mode: 'lease' });
    const s = twoTabs((deps) => new LeaseElection(deps, settings));
    for (const seed of [1, 2, 3]) {
      const r = await runScenario(s, seed);
      expect(r.failure, r.failure?.message).toBeNull();
    }
  });

  describe('a plugged-in lease election whose leader never steps down after a freeze is caught', () => {
    /** election-leader-paused (the leader freezes for three leases under load) with `factory`. */
    const paused = (factory: ElectionFactory) => electionScenario({ ...leaderPaused, name: 'election-leader-paused-plugged-in', suites: [], factory });

    it('the built-in lease election with the no-stepdown flaw, plugged in', async () => {
      const settings = resolveTabOptions({ mode: 'lease', variant: 'election-no-stepdown' });
      await caughtBy(paused((deps) => new LeaseElection(deps, settings)), 'invariant:lease-exclusive');
    });

    it('a third-party-style lease election reporting no validMs: its stale writer.begin gives it away', async () => {
      const messages = await caughtBy(paused((deps) => new StickyLeaseElection(deps)), 'invariant:lease-exclusive');
      for (const m of messages) expect(m).toMatch(/^'[ABC]' began a leader write with epoch \d+ .* after '[ABC]' had acquired epoch \d+/);
    });

    it('the same implementation passes when nothing freezes (its flaw needs a freeze)', async () => {
      const s = electionScenario({ ...leaderPaused, name: 'election-plugged-in-no-pause', suites: [], faults: undefined, factory: (deps) => new StickyLeaseElection(deps) });
      for (const seed of [1, 2, 3]) {
        const r = await runScenario(s, seed);
        expect(r.failure, r.failure?.message).toBeNull();
      }
    });
  });
});

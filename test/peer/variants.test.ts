import { describe, expect, it } from 'vitest';
import { PEER_VARIANTS } from '../../src/impl/peer/variants.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import catchup from '../../scenarios/peer/catchup.ts';
import join from '../../scenarios/peer/join.ts';
import partitions from '../../scenarios/peer/partition-heal.ts';
import relay from '../../scenarios/peer/relay.ts';

const byName = new Map<string, Scenario>([...partitions, ...join, ...catchup, ...relay].map((s) => [s.name, s]));

/** Each weakened variant, the scenario that must catch it, and the failure it must produce. */
const CASES: { variant: string; scenario: string; kind: string; check: string }[] = [
  { variant: 'peer-global-watermark', scenario: 'peer-catchup-cut', kind: 'correctness', check: 'invariant:watermark-received' },
  { variant: 'peer-checkpoint-noop', scenario: 'peer-join-10k-crash', kind: 'correctness', check: 'invariant:backfill-resume' },
  { variant: 'peer-buffer-drop-oldest', scenario: 'peer-join-buffer-overflow', kind: 'correctness', check: 'invariant:buffer-exactly-once' },
  { variant: 'peer-prune-early', scenario: 'peer-partition-heal', kind: 'correctness', check: 'invariant:prune-after-all-acks' },
  // The audit's finding, kept as a variant: without relays C never gets A's records while A is down.
  { variant: 'peer-no-relay', scenario: 'peer-relay-owner-down', kind: 'liveness', check: 'liveness' },
];

describe('weakened peer variants are caught', () => {
  it('every declared variant has a case', () => {
    expect(CASES.map((c) => c.variant).sort()).toEqual(PEER_VARIANTS.map((v) => v.name).sort());
  });

  for (const c of CASES) {
    it.each([1, 2])(`${c.variant} fails ${c.scenario} with ${c.check} (seed %i)`, async (seed) => {
      const s = byName.get(c.scenario)!;
      const bad = await runScenario(s, seed, { variant: c.variant });
      expect(bad.verdict).toBe(c.kind);
      expect(bad.failure?.check).toBe(c.check);
      expect(bad.replay).toContain(`--variant ${c.variant}`);
    });
  }
});

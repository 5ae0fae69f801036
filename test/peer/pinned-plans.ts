/**
 * The fault plans that swarm seeds drew when they found the bugs their regression tests guard. The tests
 * replay the seed with its plan (fixtures/swarm-plans.json, drawn by the swarm as it was then), so a change
 * in what the swarm draws (as when it learned to place faults at exact operations) cannot silently stop
 * them from reaching the bug.
 */
import { readFileSync } from 'node:fs';
import { parsePlan, type FaultPlan } from '../../src/faults/plan.ts';

const plans = JSON.parse(readFileSync(new URL('./fixtures/swarm-plans.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** The plan `scenario` drew for `seed` when its regression was found. */
export function pinnedPlan(scenario: string, seed: number): FaultPlan {
  const plan = plans[`${scenario} ${seed}`];
  if (plan === undefined) throw new Error(`no pinned plan for ${scenario} seed ${seed} in test/peer/fixtures/swarm-plans.json`);
  return parsePlan(plan, undefined, `${scenario} ${seed}`);
}

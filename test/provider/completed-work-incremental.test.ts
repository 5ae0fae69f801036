/**
 * invariant:completed-work-durable compares only the files that changed since its last judgement of a
 * (device, provider) (src/model/provider/completed-work-durable.ts). It must give the same verdicts, with
 * the same messages, as comparing every file at every completion: here on the provider scenarios whose
 * jobs complete many times (incremental syncs, crashes inside them, expired cursors, a feed reset), with
 * the correct library and with the variants it exists to catch. Seed 0 in npm test, seeds 0..3 in
 * test:long (SYNCBENCH_FULL=1, in CI).
 */
import { describe, expect, it } from 'vitest';
import { completedWorkCheck } from '../../src/model/provider/index.ts';
import { stockScenarios } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';

const NAME = 'invariant:completed-work-durable';
const SEEDS = process.env.SYNCBENCH_FULL === '1' ? [0, 1, 2, 3] : [0];
const SCENARIOS = ['provider-incremental', 'provider-crash-incremental', 'provider-cursor-expired', 'provider-expired-mid-stream'];

/** The scenario with the check comparing every file at every completion. */
function fullCompare(s: Scenario): Scenario {
  const checks = s.checks!.map((c) => (c.name === NAME ? completedWorkCheck({ full: true }) : c));
  expect(checks.filter((c) => c.name === NAME)).toHaveLength(1);
  return { ...s, checks };
}

describe('invariant:completed-work-durable judges only what changed, with the verdicts of a full comparison', async () => {
  const byName = new Map((await stockScenarios('provider')).map((s) => [s.name, s]));
  /** Variant -> how many runs the check failed (the comparison must have been made on failing runs too). */
  const caught = new Map<string, number>();
  for (const name of SCENARIOS) {
    for (const variant of ['', 'provider-ignore-deletions', 'provider-complete-early']) {
      it(`${name}${variant === '' ? '' : ` --variant ${variant}`}, seeds ${SEEDS.join(', ')}`, async () => {
        const s = byName.get(name)!;
        for (const seed of SEEDS) {
          const quick = await runScenario(s, seed, { variant });
          const full = await runScenario(fullCompare(s), seed, { variant });
          expect({ verdict: quick.verdict, check: quick.failure?.check, message: quick.failure?.message }).toEqual({
            verdict: full.verdict,
            check: full.failure?.check,
            message: full.failure?.message,
          });
          expect(quick.traceHash).toBe(full.traceHash);
          if (quick.failure?.check === NAME) caught.set(variant, (caught.get(variant) ?? 0) + 1);
        }
      });
    }
  }

  it('compared failing runs too: each variant was caught by the check at least once', () => {
    expect(caught.get('provider-ignore-deletions') ?? 0).toBeGreaterThan(0);
    expect(caught.get('provider-complete-early') ?? 0).toBeGreaterThan(0);
  });
});

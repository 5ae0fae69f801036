/**
 * `npm test` runs the smoke suite: every scenario in suite 'smoke' over a fixed seed range, one test per
 * scenario (the range is in the title; a failure lists each failing seed with its replay command), plus a
 * double-run determinism test (same seed, same trace hash; different seeds, different hashes).
 *
 * SYNCBENCH_SMOKE_SEEDS=A..B overrides the range (e.g. a wider local sweep through vitest).
 */
import { describe, expect, it } from 'vitest';
import { loadScenarios, suitesOf } from '../src/scenario/registry.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { RunResult, Scenario } from '../src/scenario/types.ts';
import { parseSeedRange } from '../src/sim/rng.ts';

const SEEDS = process.env.SYNCBENCH_SMOKE_SEEDS ?? '0..4';
const { from, to } = parseSeedRange(SEEDS);
const all = await loadScenarios();
const names = suitesOf(all).get('smoke') ?? [];
const smoke = all.filter((l) => names.includes(l.scenario.name)).map((l) => l.scenario);

/** Trace hashes of the smoke runs by `scenario:seed`, reused by the determinism test. */
const hashes = new Map<string, string>();

function describeFailure(r: RunResult): string {
  return `seed ${r.seed}: ${r.verdict} ${r.failure!.check}: ${r.failure!.message}\n  replay: ${r.replay}`;
}

async function hashOf(scenario: Scenario, seed: number): Promise<string> {
  const known = hashes.get(`${scenario.name}:${seed}`);
  if (known !== undefined) return known;
  const r = await runScenario(scenario, seed);
  hashes.set(`${scenario.name}:${seed}`, r.traceHash);
  return r.traceHash;
}

describe(`smoke suite, seeds ${from}..${to}`, () => {
  it('has scenarios', () => {
    expect(smoke.length).toBeGreaterThan(0);
  });

  for (const scenario of smoke) {
    it(`${scenario.name} seeds ${from}..${to}`, async () => {
      const failed: string[] = [];
      for (let seed = from; seed <= to; seed++) {
        const r = await runScenario(scenario, seed);
        hashes.set(`${scenario.name}:${seed}`, r.traceHash);
        if (r.verdict !== 'pass') failed.push(describeFailure(r));
      }
      expect(failed, `${failed.length} of ${to - from + 1} seeds failed:\n${failed.join('\n')}`).toEqual([]);
    });
  }
});

describe('determinism', () => {
  it('two runs at once in one process give the same traces as runs alone (no state shared between runs)', async () => {
    // Simulations yield to the event loop between slices, so these two interleave: a check or model that
    // keeps run state in its (shared, module-level) closure instead of per run would mix them up.
    for (const scenario of smoke) {
      const [a, b] = await Promise.all([runScenario(scenario, from, { sliceEvents: 500 }), runScenario(scenario, from + 1, { sliceEvents: 500 })]);
      expect(a.traceHash, `${scenario.name} seed ${from} run beside seed ${from + 1}`).toBe(await hashOf(scenario, from));
      expect(b.traceHash, `${scenario.name} seed ${from + 1} run beside seed ${from}`).toBe(await hashOf(scenario, from + 1));
    }
  });

  it('the same seed twice gives the same trace hash; different seeds differ', async () => {
    for (const scenario of smoke) {
      const first = await hashOf(scenario, from);
      const again = await runScenario(scenario, from);
      const other = await hashOf(scenario, from + 1);
      expect(again.traceHash, `${scenario.name} seed ${from} ran twice gave two traces: ${again.replay}`).toBe(first);
      expect(other, `${scenario.name}: seeds ${from} and ${from + 1} gave the same trace`).not.toBe(first);
    }
  });
});

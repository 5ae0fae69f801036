/**
 * `npm test` runs the smoke suite: every scenario in suite 'smoke' over a fixed seed range, one test per
 * scenario (the range is in the title; a failure lists each failing seed with its replay command), plus a
 * determinism test: the first two seeds, run two at once in the sweep, run again alone give the same trace
 * hashes (nothing shared between runs; npm test re-runs one of the two per scenario, alternating, test:long
 * both), and differ from each other. Every record of the first seed of each
 * scenario is validated against the trace schema on the way (test/trace/schema-check.ts).
 *
 * Seeds 0..1 in npm test, 0..4 in test:long (SYNCBENCH_FULL=1, run by CI); SYNCBENCH_SMOKE_SEEDS=A..B
 * overrides the range (e.g. a wider local sweep through vitest).
 */
import { describe, expect, it } from 'vitest';
import { loadScenarios, suitesOf } from '../src/scenario/registry.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { RunResult, Scenario } from '../src/scenario/types.ts';
import { parseSeedRange } from '../src/sim/rng.ts';
import { SchemaCheck } from './trace/schema-check.ts';

// npm test sweeps seeds 0..1; test:long (SYNCBENCH_FULL=1, in CI) the suite's full range 0..4.
const SEEDS = process.env.SYNCBENCH_SMOKE_SEEDS ?? (process.env.SYNCBENCH_FULL === '1' ? '0..4' : '0..1');
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
      const schema = new SchemaCheck();
      // Seeds run two at a time in this process, interleaved (simulations yield to the event loop between
      // slices of 500 events): the determinism tests below compare the first two with runs alone, so a
      // check or model that keeps run state in a shared, module-level closure would show up there.
      for (let seed = from; seed <= to; seed += 2) {
        const pair = seed + 1 <= to ? [seed, seed + 1] : [seed];
        const rs = await Promise.all(pair.map((s) => runScenario(scenario, s, { sliceEvents: 500, traceSink: s === from ? schema.sink(scenario.name, s) : undefined })));
        for (const r of rs) {
          hashes.set(`${scenario.name}:${r.seed}`, r.traceHash);
          if (r.verdict !== 'pass') failed.push(describeFailure(r));
        }
      }
      expect(failed, `${failed.length} of ${to - from + 1} seeds failed:\n${failed.join('\n')}`).toEqual([]);
      expect(schema.failed, schema.report()).toBe(0);
    });
  }
});

describe('determinism', () => {
  it('runs alone give the same traces as the same seeds run two at once (no state shared between runs); different seeds differ', async () => {
    // npm test re-runs one of the two seeds alone per scenario, alternating (every scenario, both seeds
    // across neighbours); test:long (SYNCBENCH_FULL=1, in CI) re-runs both.
    const full = process.env.SYNCBENCH_FULL === '1';
    for (const [k, scenario] of smoke.entries()) {
      const beside = [await hashOf(scenario, from), await hashOf(scenario, from + 1)];
      for (const j of full ? [0, 1] : [k % 2]) {
        const alone = await runScenario(scenario, from + j);
        expect(alone.traceHash, `${scenario.name} seed ${from + j} alone and beside seed ${from + 1 - j} gave two traces: ${alone.replay}`).toBe(beside[j]);
      }
      expect(beside[1], `${scenario.name}: seeds ${from} and ${from + 1} gave the same trace`).not.toBe(beside[0]);
    }
  });
});

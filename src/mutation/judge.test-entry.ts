/**
 * The mutation judge as vitest tests (StrykerJS's vitest runner, `vitest.mutation.config.ts`): one test per
 * (scenario, seed) of the area named by $SYNCBENCH_MUTATE_AREA, and one per entry of the checked-in corpora
 * (corpus/coverage.json: runs that reach rare transitions; corpus/regressions.json: bugs found once) on the
 * area's scenarios, each passing only when the run gives its expected verdict. With per-test coverage
 * analysis Stryker runs, for each mutant, only the runs that execute it, and reports mutants no run
 * executes as NoCoverage.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectationMismatch, readCorpus } from '../runner/corpus.ts';
import { loadScenarioFiles } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { filesIn, MUTATION_AREAS, ofSuites } from './areas.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const name = process.env.SYNCBENCH_MUTATE_AREA ?? '';
const area = MUTATION_AREAS.find((a) => a.name === name);
if (area === undefined) throw new Error(`SYNCBENCH_MUTATE_AREA '${name}' is not an area (${MUTATION_AREAS.map((a) => a.name).join(', ')})`);
const all = (await loadScenarioFiles(area.scenarioFiles())).map((l) => l.scenario);
const scenarios = all.filter((s) => area.judges(s));
const byName = new Map(all.map((s) => [s.name, s]));
const others = new Map<string, Scenario[]>();
for (const o of area.alsoBy) others.set(o.scenarios, (await loadScenarioFiles(filesIn(`scenarios/${o.scenarios}`))).map((l) => l.scenario).filter(ofSuites(o.prefix)));

/** One test per (scenario, seed 0..seeds-1), each passing only when the run passes. */
function passes(list: readonly Scenario[], seeds: number, suffix: string): void {
  for (let seed = 0; seed < seeds; seed++) {
    for (const s of list) {
      it(`${s.name} seed ${seed}${suffix}`, async () => {
        const r = await runScenario(s, seed);
        expect(r.verdict, `${r.failure?.check}: ${r.failure?.message}`).toBe('pass');
      });
    }
  }
}

describe(`judge of ${area.name}`, () => {
  passes(scenarios, area.seeds, '');
  for (const other of area.alsoBy) passes(others.get(other.scenarios)!, other.seeds, ` (${other.scenarios} scenario)`);
  for (const file of ['corpus/coverage.json', 'corpus/regressions.json']) {
    for (const [k, e] of readCorpus(path.join(ROOT, file)).entries.entries()) {
      const s = byName.get(e.scenario);
      if (s === undefined) continue; // another area's entry
      it(`${file} entry ${k}: ${e.scenario} seed ${e.seed}`, async () => {
        const r = await runScenario(s, e.seed, { variant: e.variant ?? '', faults: e.faults, workloadScale: e.workloadScale });
        expect(expectationMismatch(e, r)).toBeNull();
      });
    }
  }
});

/**
 * The mutation judge as vitest tests (StrykerJS's vitest runner, `vitest.mutation.config.ts`): one test per
 * (scenario, seed) of the area named by $SYNCBENCH_MUTATE_AREA, each passing only when the run passes.
 * With per-test coverage analysis Stryker runs, for each mutant, only the scenario runs that execute it,
 * and reports mutants no scenario executes as NoCoverage.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioFiles } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import { MUTATION_AREAS } from './areas.ts';

const name = process.env.SYNCBENCH_MUTATE_AREA ?? '';
const area = MUTATION_AREAS.find((a) => a.name === name);
if (area === undefined) throw new Error(`SYNCBENCH_MUTATE_AREA '${name}' is not an area (${MUTATION_AREAS.map((a) => a.name).join(', ')})`);
const scenarios = (await loadScenarioFiles(area.scenarioFiles())).map((l) => l.scenario).filter((s) => area.judges(s));

describe(`judge of ${area.name}`, () => {
  for (let seed = 0; seed < area.seeds; seed++) {
    for (const s of scenarios) {
      it(`${s.name} seed ${seed}`, async () => {
        const r = await runScenario(s, seed);
        expect(r.verdict, `${r.failure?.check}: ${r.failure?.message}`).toBe('pass');
      });
    }
  }
});

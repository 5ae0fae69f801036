/**
 * The mutation judge: `node --import tsx src/mutation/judge.ts <area> [--seeds N]` runs the area's
 * scenarios (its smoke and ci suites) in this process and exits 1 at the first run that does not pass, 0
 * when every run passes. StrykerJS runs it once per mutant of `src/impl/<area>` (command runner, the mutant
 * selected by the environment): exit 1 means the bench caught the mutant.
 *
 * Seeds go round-robin over the scenarios (seed 0 of each, then seed 1 ...), so a mutant most scenarios
 * catch is caught by the first runs.
 */
import { loadScenarioFiles } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { MUTATION_AREAS, type MutationArea } from './areas.ts';

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const area: MutationArea | undefined = MUTATION_AREAS.find((a) => a.name === name);
  if (area === undefined) {
    process.stderr.write(`judge: unknown area '${String(name)}' (areas: ${MUTATION_AREAS.map((a) => a.name).join(', ')})\n`);
    return 64;
  }
  const at = rest.indexOf('--seeds');
  const seeds = at >= 0 ? Number(rest[at + 1]) : area.seeds;
  const loaded = await loadScenarioFiles(area.scenarioFiles());
  const scenarios: Scenario[] = loaded.map((l) => l.scenario).filter((s) => area.judges(s));
  if (scenarios.length === 0) throw new Error(`judge: no scenario judges area ${area.name}`);
  for (let seed = 0; seed < seeds; seed++) {
    for (const s of scenarios) {
      const r = await runScenario(s, seed);
      if (r.verdict !== 'pass') {
        process.stdout.write(`killed by ${s.name} seed ${seed}: ${r.verdict} (${r.failure?.check}: ${r.failure?.message.slice(0, 300)})\n`);
        return 1;
      }
    }
  }
  process.stdout.write(`survived ${scenarios.length} scenarios x ${seeds} seeds\n`);
  return 0;
}

process.exitCode = await main().catch((e: unknown) => {
  // A mutant that breaks loading or the runner itself is caught too (the run could not pass).
  process.stdout.write(`killed: the judge threw: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
});

/**
 * The coverage corpus of the `ci` suite (`corpus/coverage.json`): the fewest runs, picked from exploration
 * corpora, that reach the model transitions the `ci` suite's own seeds do not. `npm test`
 * (test/model/ci-coverage.test.ts) replays the suite's seeds and this corpus and requires every transition
 * of every model, except those documented as unreached with a reason (`src/model/unreached.ts`).
 *
 *   node --import tsx src/explore/coverage-corpus.ts OUT.json EXPLORED.json...
 *
 * Greedy set cover over the transitions the baseline misses; each kept entry says which it adds.
 */
import { readCorpus, writeCorpus, emptyCorpus, type CorpusEntry } from '../runner/corpus.ts';
import { loadScenarios, suitesOf } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import type { RunResult, Scenario } from '../scenario/types.ts';

/** Seeds of the `ci` suite the coverage test runs besides the corpus. */
export const CI_COVERAGE_SEEDS = [0, 1] as const;

/** The 'model|from|EVENT|to' keys a run reached. */
export function transitionsOf(r: RunResult): Set<string> {
  const out = new Set<string>();
  for (const c of r.coverage) for (const [t, n] of Object.entries(c.transitions)) if (n > 0) out.add(`${c.model}|${t}`);
  return out;
}

/** The `ci` scenarios. */
export async function ciScenarios(): Promise<Scenario[]> {
  const all = await loadScenarios();
  const names = new Set(suitesOf(all).get('ci') ?? []);
  return all.map((l) => l.scenario).filter((s) => names.has(s.name));
}

/** Runs a corpus entry. */
export function runEntry(s: Scenario, e: CorpusEntry): Promise<RunResult> {
  return runScenario(s, e.seed, { variant: e.variant ?? '', faults: e.faults, workloadScale: e.workloadScale });
}

async function main(): Promise<void> {
  const [out, ...inputs] = process.argv.slice(2);
  if (out === undefined || inputs.length === 0) {
    process.stderr.write('usage: node --import tsx src/explore/coverage-corpus.ts OUT.json EXPLORED.json...\n');
    process.exit(64);
  }
  const ci = await ciScenarios();
  const byName = new Map(ci.map((s) => [s.name, s]));
  const base = new Set<string>();
  for (const s of ci) for (const seed of CI_COVERAGE_SEEDS) for (const t of transitionsOf(await runScenario(s, seed))) base.add(t);
  const candidates: { entry: CorpusEntry; adds: Set<string> }[] = [];
  for (const file of inputs) {
    for (const e of readCorpus(file).entries) {
      const s = byName.get(e.scenario);
      if (s === undefined || (e.expect ?? 'pass') !== 'pass') continue;
      const r = await runEntry(s, e);
      if (r.verdict !== 'pass') continue;
      const adds = new Set([...transitionsOf(r)].filter((t) => !base.has(t)));
      if (adds.size > 0) candidates.push({ entry: e, adds });
    }
  }
  const covered = new Set(base);
  const kept: CorpusEntry[] = [];
  for (;;) {
    let best: (typeof candidates)[number] | null = null;
    let gain = 0;
    for (const c of candidates) {
      const g = [...c.adds].filter((t) => !covered.has(t)).length;
      if (g > gain) [best, gain] = [c, g];
    }
    if (best === null) break;
    const fresh = [...best.adds].filter((t) => !covered.has(t));
    for (const t of fresh) covered.add(t);
    kept.push({ ...best.entry, why: `coverage: ${fresh.map((t) => t.replace(/\|/g, ' ')).join('; ')}` });
  }
  writeCorpus(out, { ...emptyCorpus(), entries: kept });
  process.stdout.write(`ci seeds ${CI_COVERAGE_SEEDS.join(', ')}: ${base.size} transitions; with ${kept.length} corpus runs: ${covered.size}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

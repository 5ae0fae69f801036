/**
 * Coverage of the `ci` suite per model, before and after guided exploration: states, transitions and
 * (state, fault kind) cells reached by the suite's scenarios on its coverage seeds (CI_COVERAGE_SEEDS),
 * then with the runs `syncbench explore` kept in corpus/coverage.json added. Deterministic: the same
 * figures on every machine (test/model/ci-coverage.test.ts requires the "after" transitions).
 */
import { fileURLToPath } from 'node:url';
import { ciScenarios, CI_COVERAGE_SEEDS, runEntry } from '../src/explore/coverage-corpus.ts';
import { modelGraph } from '../src/model/graph.ts';
import { mergeCoverage, type ModelCoverage } from '../src/model/monitor.ts';
import { readCorpus } from '../src/runner/corpus.ts';
import { creditTransitions } from '../src/runner/coverage.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { RunResult } from '../src/scenario/types.ts';
import type { BenchResult } from './types.ts';

const CORPUS = fileURLToPath(new URL('../corpus/coverage.json', import.meta.url));

function sum(runs: readonly RunResult[]): Map<string, ModelCoverage> {
  const out = new Map<string, ModelCoverage>();
  for (const r of runs) {
    for (const c of r.coverage) {
      const into = out.get(c.model) ?? { model: c.model, states: {}, transitions: {}, stateFaults: {}, guards: {} };
      out.set(c.model, mergeCoverage(into, c));
    }
  }
  return out;
}

/** The coverage benchmark. */
export async function benchCoverage(): Promise<BenchResult[]> {
  const ci = await ciScenarios();
  const byName = new Map(ci.map((s) => [s.name, s]));
  const seeded: RunResult[] = [];
  for (const s of ci) for (const seed of CI_COVERAGE_SEEDS) seeded.push(await runScenario(s, seed));
  const corpus = readCorpus(CORPUS, new Set(byName.keys()));
  const explored: RunResult[] = [];
  for (const e of corpus.entries) explored.push(await runEntry(byName.get(e.scenario)!, e));
  const before = sum(seeded);
  const after = sum([...seeded, ...explored]);
  const machines = new Map(ci.flatMap((s) => (s.models ?? []).map((m) => [m.name, m.machine] as const)));
  const out: BenchResult[] = [];
  for (const [name, machine] of [...machines].sort(([a], [b]) => a.localeCompare(b))) {
    const g = modelGraph(machine);
    const known = new Set([...g.states, ...g.transitions]);
    const figures = (c: ModelCoverage | undefined) => {
      const credited = creditTransitions(known, c?.transitions ?? {});
      const transitions = g.transitions.filter((t) => (credited[t] ?? 0) > 0).length;
      const states = g.states.filter((s) => (c?.states[s] ?? 0) > 0).length;
      const cells = Object.values(c?.stateFaults ?? {}).reduce((n, row) => n + Object.values(row).filter((k) => k > 0).length, 0);
      return { states, transitions, cells };
    };
    const b = figures(before.get(name));
    const a = figures(after.get(name));
    const what = `ci seeds ${CI_COVERAGE_SEEDS.join(',')} / + ${corpus.entries.length} explored runs`;
    out.push(
      { name: `${name}: states of ${g.states.length}, ${what}`, value: b.states, unit: `/ ${a.states}` },
      { name: `${name}: transitions of ${g.transitions.length}, ${what}`, value: b.transitions, unit: `/ ${a.transitions}` },
      { name: `${name}: state x fault cells, ${what}`, value: b.cells, unit: `/ ${a.cells}` },
    );
  }
  return out;
}

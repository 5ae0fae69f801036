/**
 * Guided exploration against plain seeds at the same number of runs: model states, transitions and
 * (state, fault kind) cells reached by `runs` plain seeds (the scenario's own plan or swarm per seed) and
 * by `syncbench explore` with a budget of `runs` (one run each, same first seed). Both sides are
 * deterministic, so the figures are the same on every machine; only the wall time varies.
 */
import { explore, addCoverage, coverageKeys, emptyCoverage, type CoverageSet } from '../src/explore/guided.ts';
import { modelGraph } from '../src/model/graph.ts';
import { loadScenarios } from '../src/scenario/registry.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { BenchResult } from './types.ts';

/** Scenarios compared: a scripted crash scenario and a swarm per area. */
export const EXPLORE_BENCH_SCENARIOS = ['storage-crash-mixed-presence', 'storage-swarm-file', 'storage-swarm-kv', 'election-leader-paused', 'election-swarm', 'peer-swarm'];
const RUNS = 60;

/** Plain and guided coverage of one scenario over `runs` runs. */
export async function compareExplore(name: string, runs: number): Promise<{ plain: CoverageSet; guided: CoverageSet; findings: number }> {
  const s = (await loadScenarios()).find((l) => l.scenario.name === name)?.scenario;
  if (s === undefined) throw new Error(`no scenario ${name}`);
  const plain = emptyCoverage();
  for (let seed = 0; seed < runs; seed++) addCoverage(plain, coverageKeys(await runScenario(s, seed)));
  const graphs = new Map((s.models ?? []).map((m) => [m.name, modelGraph(m.machine).transitions]));
  const out = await explore({ scenario: s, budget: runs, seedFrom: 0 }, graphs);
  return { plain, guided: out.coverage, findings: out.findings.length };
}

/** The explore benchmark. */
export async function benchExplore(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const name of EXPLORE_BENCH_SCENARIOS) {
    const { plain, guided, findings } = await compareExplore(name, RUNS);
    out.push(
      { name: `${name}: transitions, ${RUNS} plain seeds / guided runs`, value: plain.transitions.size, unit: `/ ${guided.transitions.size}` },
      { name: `${name}: state x fault cells, plain / guided`, value: plain.cells.size, unit: `/ ${guided.cells.size}` },
    );
    if (findings > 0) out.push({ name: `${name}: failures found by guided runs`, value: findings, unit: 'runs' });
  }
  return out;
}

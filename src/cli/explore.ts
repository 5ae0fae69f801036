/**
 * `syncbench explore <scenario|suite...> --budget N`: model-guided exploration (src/explore/guided.ts).
 * Spends N runs per scenario on fresh seeds and on fault plans aimed at model states never hit by a fault
 * kind and at transitions never taken; keeps the runs that added coverage in a corpus file (replayed by
 * `run --corpus`), prints failures as findings with their replay commands, and the coverage gained.
 */
import { existsSync } from 'node:fs';
import pc from 'picocolors';
import { addCoverage, anchorObserver, coverageKeys, emptyCoverage, explore, type CoverageSet } from '../explore/guided.ts';
import { modelGraph } from '../model/graph.ts';
import { emptyCorpus, readCorpus, writeCorpus, type CorpusEntry, type CorpusFile } from '../runner/corpus.ts';
import { runScenario } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { Rng } from '../sim/rng.ts';
import { corpusReplay } from './replay.ts';
import { UsageError, asUsage, checkOutFile, intArg, resolveRun, scenariosDir, seedArg } from './usage.ts';

const size = (c: CoverageSet): string => `states ${c.states.size}, transitions ${c.transitions.size}, state x fault cells ${c.cells.size}`;

/** Transitions of every model of `s`, by model name. */
function graphsOf(s: Scenario): Map<string, readonly string[]> {
  return new Map((s.models ?? []).map((m) => [m.name, modelGraph(m.machine).transitions]));
}

/** Replays the corpus entries of `s` (coverage to start from); returns how many ran. */
async function replayKept(s: Scenario, entries: readonly CorpusEntry[], cov: CoverageSet): Promise<number> {
  let n = 0;
  for (const e of entries) {
    if (e.scenario !== s.name || (e.expect ?? 'pass') !== 'pass') continue;
    const r = await runScenario(s, e.seed, { variant: e.variant ?? '', faults: e.faults, workloadScale: e.workloadScale, observe: anchorObserver(e.seed, e.faults ?? { events: [] }, new Map(), new Rng(0)) });
    addCoverage(cov, coverageKeys(r));
    n++;
  }
  return n;
}

/** Runs the `explore` command. */
export async function exploreCommand(targets: string[], o: Record<string, unknown>): Promise<void> {
  const budget = intArg('budget', o.budget, 1, 1_000_000) ?? 100;
  const seedFrom = o.seedsFrom === undefined ? 0 : await seedArg(String(o.seedsFrom));
  const { scenarios } = await resolveRun(targets, '0', undefined, scenariosDir(o));
  const file = typeof o.corpus === 'string' ? o.corpus : null;
  const corpus: CorpusFile = file !== null && existsSync(file) ? await asUsage(() => readCorpus(file, new Set(scenarios.map((s) => s.name)))) : emptyCorpus();
  // The kept runs are written at the end: a path that cannot take them fails now, not after the exploration.
  if (file !== null) checkOutFile('--corpus', file, true);
  const withModels = scenarios.filter((s) => (s.models ?? []).length > 0);
  if (withModels.length === 0) throw new UsageError(`no model watches ${targets.join(' ')}: exploration is guided by model coverage`);
  let findings = 0;
  for (const s of withModels) {
    const cov = emptyCoverage();
    const replayed = await replayKept(s, corpus.entries, cov);
    const before = size(cov);
    let guided = 0;
    const out = await explore(
      {
        scenario: s,
        budget,
        seedFrom,
        onRun: (step) => {
          if (step.guided) guided++;
          if (step.result.verdict !== 'pass') {
            const k = corpus.entries.length;
            process.stdout.write(pc.red(`FINDING ${s.name} seed ${step.result.seed}: ${step.result.verdict} (${step.result.failure?.check}: ${step.result.failure?.message})\n`));
            if (file !== null) process.stdout.write(`  replay: ${corpusReplay(s.name, step.result.seed, file, k)}\n`);
            corpus.entries.push({ ...step.entry, expect: step.result.verdict, why: `${step.entry.why}: FINDING, triage it` });
          }
        },
      },
      graphsOf(s),
      cov,
    );
    findings += out.findings.length;
    corpus.entries.push(...out.kept);
    process.stdout.write(
      `explore ${s.name}: ${out.runs} runs (${guided} guided, ${out.runs - guided} plain seeds from ${seedFrom})` +
        `${replayed > 0 ? `, after replaying ${replayed} corpus runs (${before})` : ''}: ${size(out.coverage)}; kept ${out.kept.length}, findings ${out.findings.length}\n`,
    );
  }
  if (file !== null) {
    writeCorpus(file, corpus);
    process.stdout.write(`corpus: ${file} (${corpus.entries.length} entries; replay with syncbench run --corpus ${file})\n`);
  }
  process.exitCode = findings > 0 ? 1 : 0;
}

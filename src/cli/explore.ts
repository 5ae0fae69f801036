/**
 * `syncbench explore <scenario|suite...> --budget N`: model-guided exploration (src/explore/guided.ts).
 * Spends N runs per scenario on fresh seeds and on fault plans aimed at model states never hit by a fault
 * kind and at transitions never taken; keeps the runs that added coverage in a corpus file (replayed by
 * `run --corpus`), prints failures as findings with their replay commands, and the coverage gained.
 */
import { existsSync } from 'node:fs';
import pc from 'picocolors';
import { addCoverage, coverageKeys, emptyCoverage, type CoverageSet } from '../explore/guided.ts';
import { EXPLORE_TASK_MODULE, type ExploreTaskArgs, type ExploreTaskData } from '../explore/task.ts';
import { emptyCorpus, readCorpus, writeCorpus, type CorpusEntry, type CorpusFile } from '../runner/corpus.ts';
import { slotFor } from '../runner/pool.ts';
import { runBudgetMs, type RunSlot } from '../runner/slot.ts';
import type { Scenario, Verdict } from '../scenario/types.ts';
import { corpusReplay } from './replay.ts';
import { UsageError, asUsage, checkOutFile, intArg, resolveRun, runLimits, scenariosDir, seedArg } from './usage.ts';

const size = (c: CoverageSet): string => `states ${c.states.size}, transitions ${c.transitions.size}, state x fault cells ${c.cells.size}`;

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
  const limits = runLimits(o);
  // Each scenario's exploration runs on a watched thread (see src/explore/task.ts): a run that hangs or
  // exhausts memory ends that exploration with a finding, not the command.
  const slot = slotFor(new Map(withModels.map((s) => [s.name, s])), scenariosDir(o), '', limits.heapMb);
  let findings = 0;
  try {
    for (const s of withModels) findings += await exploreOne(s, { budget, seedFrom, file, corpus, slot, budgetMs: runBudgetMs(s, limits.runTimeoutS) });
  } finally {
    await slot.close();
  }
  if (file !== null) {
    writeCorpus(file, corpus);
    process.stdout.write(`corpus: ${file} (${corpus.entries.length} entries; replay with syncbench run --corpus ${file})\n`);
  }
  process.exitCode = findings > 0 ? 1 : 0;
}

/** Explores one scenario on `slot`; prints and records its runs; returns its number of findings. */
async function exploreOne(
  s: Scenario,
  o: { budget: number; seedFrom: number; file: string | null; corpus: CorpusFile; slot: RunSlot; budgetMs: number },
): Promise<number> {
  const cov = emptyCoverage();
  let replayed = 0;
  let before = size(cov);
  let guided = 0;
  let runs = 0;
  let findings = 0;
  const kept: CorpusEntry[] = [];
  const finding = (entry: CorpusEntry, verdict: Verdict, check: string | undefined, message: string | undefined): void => {
    findings++;
    const k = o.corpus.entries.length;
    process.stdout.write(pc.red(`FINDING ${s.name} seed ${entry.seed}: ${verdict} (${check}: ${message})\n`));
    if (o.file !== null) process.stdout.write(`  replay: ${corpusReplay(s.name, entry.seed, o.file, k)}\n`);
    o.corpus.entries.push({ ...entry, expect: verdict, why: `${entry.why}: FINDING, triage it` });
  };
  const args: ExploreTaskArgs = { scenario: s.name, budget: o.budget, seedFrom: o.seedFrom, entries: o.corpus.entries.filter((e) => e.scenario === s.name) };
  const outcome = await o.slot.runTask(EXPLORE_TASK_MODULE, 'exploreTask', args, o.budgetMs, (data) => {
    const d = data as ExploreTaskData;
    if (d.kind === 'replayed') {
      replayed = d.n;
      for (const k of ['states', 'transitions', 'cells'] as const) for (const x of d.coverage[k]) cov[k].add(x);
      before = size(cov);
      return;
    }
    runs++;
    if (d.guided) guided++;
    addCoverage(cov, coverageKeys(d.result));
    if (d.result.verdict !== 'pass') finding(d.entry, d.result.verdict, d.result.failure?.check, d.result.failure?.message);
    else if (d.added > 0) kept.push(d.entry); // its why already says what it added
  });
  let cut = '';
  if (outcome.ended === 'stopped') {
    const entry = (outcome.label as CorpusEntry | null) ?? { scenario: s.name, seed: o.seedFrom, why: 'explore' };
    finding(entry, 'crash', outcome.check, outcome.message);
    cut = ` (cut short by ${outcome.check})`;
  }
  o.corpus.entries.push(...kept);
  process.stdout.write(
    `explore ${s.name}: ${runs} runs${cut} (${guided} guided, ${runs - guided} plain seeds from ${o.seedFrom})` +
      `${replayed > 0 ? `, after replaying ${replayed} corpus runs (${before})` : ''}: ${size(cov)}; kept ${kept.length}, findings ${findings}\n`,
  );
  return findings;
}

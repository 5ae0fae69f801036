/**
 * Exploration as a task on a run slot's thread (see RunSlot.runTask): `syncbench explore` runs each
 * scenario's exploration here, so that a run the exploration makes and that hangs or exhausts memory is
 * stopped by the slot's watchdog, instead of hanging the command. Exploration cannot send its runs to a
 * slot one by one: its observer reads the live simulation (model instances at every operation), which does
 * not cross threads; so the whole exploration moves to the thread and reports each run back.
 */
import type { CorpusEntry } from '../runner/corpus.ts';
import type { TaskContext } from '../runner/slot.ts';
import { modelGraph } from '../model/graph.ts';
import { runScenario } from '../scenario/run.ts';
import type { RunResult, Scenario } from '../scenario/types.ts';
import { Rng } from '../sim/rng.ts';
import { addCoverage, anchorObserver, coverageKeys, emptyCoverage, explore, type CoverageSet } from './guided.ts';

/** This module, for RunSlot.runTask. */
export const EXPLORE_TASK_MODULE = import.meta.url;

/** What an exploration task is given. */
export interface ExploreTaskArgs {
  scenario: string;
  budget: number;
  seedFrom: number;
  /** The corpus entries to replay first (the coverage to start from). */
  entries: CorpusEntry[];
}

/** What it sends back, in order: 'replayed' once, a 'step' per run. */
export type ExploreTaskData =
  | { kind: 'replayed'; n: number; coverage: { states: string[]; transitions: string[]; cells: string[] } }
  | { kind: 'step'; result: RunResult; guided: boolean; added: number; entry: CorpusEntry };

/** Transitions of every model of `s`, by model name. */
function graphsOf(s: Scenario): Map<string, readonly string[]> {
  return new Map((s.models ?? []).map((m) => [m.name, modelGraph(m.machine).transitions]));
}

/** Replays the corpus entries of `s` into `cov`; returns how many ran. */
async function replayKept(s: Scenario, entries: readonly CorpusEntry[], cov: CoverageSet, ctx: TaskContext): Promise<number> {
  let n = 0;
  for (const e of entries) {
    if (e.scenario !== s.name || (e.expect ?? 'pass') !== 'pass') continue;
    ctx.runStarted(e);
    const r = await runScenario(s, e.seed, {
      variant: e.variant ?? '',
      faults: e.faults,
      workloadScale: e.workloadScale,
      observe: anchorObserver(e.seed, e.faults ?? { events: [] }, new Map(), new Rng(0)),
      traceSink: ctx.traceSink,
    });
    ctx.runEnded();
    addCoverage(cov, coverageKeys(r));
    n++;
  }
  return n;
}

/** The task: replay the corpus, then explore; every run is reported as it ends. */
export async function exploreTask(args: ExploreTaskArgs, ctx: TaskContext): Promise<void> {
  const s = ctx.scenarios.get(args.scenario);
  if (s === undefined) throw new Error(`explore task: unknown scenario '${args.scenario}'`);
  const cov = emptyCoverage();
  const n = await replayKept(s, args.entries, cov, ctx);
  const send = (d: ExploreTaskData): void => ctx.send(d);
  send({ kind: 'replayed', n, coverage: { states: [...cov.states], transitions: [...cov.transitions], cells: [...cov.cells] } });
  await explore(
    {
      scenario: s,
      budget: args.budget,
      seedFrom: args.seedFrom,
      onRunStart: (entry) => ctx.runStarted(entry),
      traceSink: ctx.traceSink,
      onRun: (step) => {
        ctx.runEnded();
        send({ kind: 'step', result: step.result, guided: step.guided, added: step.added, entry: step.entry });
      },
    },
    graphsOf(s),
    cov,
  );
}

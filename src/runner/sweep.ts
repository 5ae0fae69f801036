/**
 * A sweep: scenarios x a seed range (optionally one shard of it) run on the pool, gathered into a results
 * file whose content depends only on what was asked for, never on worker count or timing (wall times
 * aside).
 */
import type { RunResult, Scenario } from '../scenario/types.ts';
import { factsOf, modelsOf } from './facts.ts';
import { runJobs, type PoolOptions } from './pool.ts';
import { addRun, emptyResults, sortRuns, type ResultsFile } from './results.ts';
import { sampled } from './determinism.ts';
import { formatShard, runOrder, sweepJobs, type Job, type Shard } from './shard.ts';

/** The jobs of `jobs` that fall to `shard` (position p kept when p mod n = i - 1). */
function shardOf(jobs: readonly Job[], shard: Shard | undefined): Job[] {
  return shard === undefined ? [...jobs] : jobs.filter((_, p) => p % shard.count === shard.index - 1);
}

/** What to sweep. */
export interface SweepOptions {
  /** Targets as the user named them (scenarios or suites), for the record. */
  targets: string[];
  scenarios: readonly Scenario[];
  from: number;
  to: number;
  shard?: Shard;
  variant?: string;
  workers?: number;
  failFast?: boolean;
  /** Aborting stops the sweep early; the outcome then holds the runs finished so far. */
  signal?: AbortSignal;
  /** Aborting abandons the runs in flight too (a second Ctrl-C); the outcome holds the runs finished. */
  hardStop?: AbortSignal;
  /** Wall-time budget of a run, seconds per simulated minute (threads only). */
  runTimeoutS?: number;
  /** Heap limit of each worker thread, MB. */
  heapMb?: number;
  /** See PoolOptions.onInFlight. */
  onInFlight?: PoolOptions['onInFlight'];
  /** Use worker threads even for one worker. */
  forceThreads?: boolean;
  /** Folder the worker threads load scenarios from. */
  scenariosDir?: string;
  /** Called as each run finishes. */
  onResult?(r: RunResult): void;
  /** Run exactly these jobs (a corpus) instead of scenarios x from..to; `shard` still applies. */
  jobs?: readonly Job[];
  /** Fraction of the runs (0..1, sampled by scenario and seed) run twice to compare traces (determinism.ts). */
  checkDeterminism?: number;
}

/** The outcome of a sweep. */
export interface SweepOutcome {
  file: ResultsFile;
  /** Runs planned for this shard. */
  planned: number;
  wallMs: number;
}

/** Runs a sweep and returns its results file (runs sorted by scenario, then seed). */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const started = performance.now();
  const variant = o.variant ?? '';
  const planned = o.jobs === undefined ? sweepJobs(o.scenarios.map((s) => s.name), o.from, o.to, o.shard) : shardOf(o.jobs, o.shard);
  const rate = o.checkDeterminism ?? 0;
  const jobs = rate > 0 ? planned.map((j) => (sampled(j.scenario, j.seed, rate) ? { ...j, recheck: true } : j)) : planned;
  const meta = { targets: [...o.targets], from: o.from, to: o.to, variant, shards: [formatShard(o.shard ?? { index: 1, count: 1 })] };
  const file = emptyResults(meta, o.scenarios.map(factsOf), modelsOf(o.scenarios));
  const byName = new Map(o.scenarios.map((s) => [s.name, s]));
  await runJobs(o.jobs === undefined ? runOrder(jobs) : jobs, byName, {
    workers: o.workers,
    variant,
    failFast: o.failFast,
    signal: o.signal,
    hardStop: o.hardStop,
    runTimeoutS: o.runTimeoutS,
    heapMb: o.heapMb,
    onInFlight: o.onInFlight,
    scenariosDir: o.scenariosDir,
    forceThreads: o.forceThreads,
    onResult: (r) => {
      addRun(file, r);
      o.onResult?.(r);
    },
  });
  sortRuns(file);
  // Fewer runs than planned (a signal, or --fail-fast stopping at the first failure): the file says so.
  if (file.runs.length < jobs.length) file.meta.partial = true;
  return { file, planned: jobs.length, wallMs: performance.now() - started };
}

/** The exit code of a set of runs: the worst verdict (crash 3 > liveness 2 > correctness 1 > pass 0). */
export function exitCodeOfRuns(runs: readonly { verdict: string }[]): number {
  const code: Record<string, number> = { pass: 0, correctness: 1, liveness: 2, crash: 3 };
  return runs.reduce((c, r) => Math.max(c, code[r.verdict] ?? 3), 0);
}

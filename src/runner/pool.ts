/**
 * Runs a sweep's jobs, on worker threads (default: one per core) or, for library callers that ask for
 * one worker, in this process.
 *
 * Every run is a pure function of (scenario, seed, variant), so results do not depend on how many workers
 * ran them or in what order they finished; the caller sorts them. Each worker is a RunSlot (slot.ts): it
 * runs one job at a time under a wall-time watchdog and a heap limit, with the next one queued behind it:
 * each thread has its own group of scenarios, of about equal expected cost and cut between areas where
 * possible, and steals from the others once its group is done (lanes.ts: each thread then JIT-compiles
 * the code of fewer scenarios). A run the slot had to stop
 * (hung, out of memory, its thread died) is a `crash` verdict for that seed, and the sweep goes on with a
 * fresh thread. The in-process mode has no watchdog
 * (a synchronous loop cannot be interrupted on the thread it runs on): the CLI always uses threads.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { replayScenariosDir, scenarioFile } from '../scenario/registry.ts';
import { replayCommand } from '../scenario/replay-command.ts';
import { runScenario } from '../scenario/run.ts';
import type { RunOptions, RunResult, Scenario } from '../scenario/types.ts';
import type { Job } from './shard.ts';
import { runTwice } from './determinism.ts';
import { JobLanes } from './lanes.ts';
import { RunSlot, runBudgetMs, SlotFatalError, type SlotCrash } from './slot.ts';

/** Options of `runJobs`. */
export interface PoolOptions {
  /** Worker threads; 1 runs in this process (no thread start-up) unless forceThreads. Default: one per core. */
  workers?: number;
  /** Weakened variant ('' for the real implementation). */
  variant?: string;
  /** Stop handing out jobs after the first failed run. */
  failFast?: boolean;
  /** Stops handing out jobs when aborted (runs in flight finish and are reported). */
  signal?: AbortSignal;
  /** Abandons the runs in flight when aborted (their threads are terminated; they are not reported). */
  hardStop?: AbortSignal;
  /** Folder the workers load scenarios from (must hold the scenarios named by the jobs). */
  scenariosDir?: string;
  /** Use worker threads even for one worker (the CLI always does: watchdog, heap limit). */
  forceThreads?: boolean;
  /** Wall-time budget of a run, seconds per simulated minute (see runBudgetMs). */
  runTimeoutS?: number;
  /** Heap limit of each worker thread, MB. */
  heapMb?: number;
  /** Called with every result as it arrives (in completion order). */
  onResult?(r: RunResult): void;
  /** Called once with a function listing the runs in flight and since when (performance.now ms). */
  onInFlight?(list: () => { job: Job; since: number }[]): void;
}

/** Largest accepted worker count. */
export const WORKERS_MAX = 256;

/** The default worker count: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Checks a worker count; throws RangeError naming the option. */
export function checkWorkers(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > WORKERS_MAX) throw new RangeError(`--workers ${n} must be an integer 1..${WORKERS_MAX}`);
  return n;
}

/**
 * A crash verdict for a job whose run could not complete (its worker died or runScenario threw);
 * `scenariosDir` goes into the replay command (see replayScenariosDir).
 */
export function runnerCrash(
  job: Job,
  variant: string,
  check: string,
  message: string,
  stack = '',
  scenariosDir?: string,
  at: { timeUs: number; traceIndex: number } = { timeUs: 0, traceIndex: 0 },
): RunResult {
  return {
    scenario: job.scenario,
    seed: job.seed,
    variant,
    verdict: 'crash',
    failure: { kind: 'crash', check, message, timeUs: at.timeUs, traceIndex: at.traceIndex, details: { stack } },
    events: 0,
    traceRecords: 0,
    simTimeUs: 0,
    wallMs: 0,
    traceHash: '',
    probes: {},
    faults: {},
    faultSummary: '',
    coverage: [],
    exercised: {},
    replay: job.replay ?? replayCommand(job.scenario, job.seed, variant, undefined, 1, scenariosDir),
  };
}

/** Runs `jobs`; resolves with the number of jobs run (fewer than asked when failFast stopped early). */
export async function runJobs(jobs: readonly Job[], scenarios: ReadonlyMap<string, Scenario>, options: PoolOptions = {}): Promise<number> {
  const workers = checkWorkers(options.workers ?? defaultWorkers());
  if (jobs.length === 0) return 0;
  if (options.forceThreads !== true && (workers === 1 || jobs.length <= 1)) return runInProcess(jobs, scenarios, options);
  if (options.scenariosDir === undefined) throw new Error('runJobs: scenariosDir is required with worker threads');
  return new ThreadPool(jobs, Math.min(workers, jobs.length), options, scenarios).run();
}

/** The crash verdict builder of slots running `scenarios` (replay commands name their folder). */
export function slotCrash(scenarios: ReadonlyMap<string, Scenario>, variant: string): SlotCrash {
  return (job, check, message, stack, at) => {
    const s = scenarios.get(job.scenario);
    return runnerCrash(job, job.variant ?? variant, check, message, stack, s === undefined ? undefined : replayScenariosDir(s), at);
  };
}

/** A slot for `scenarios` (loads only their modules when known). */
export function slotFor(scenarios: ReadonlyMap<string, Scenario>, scenariosDir: string, variant: string, heapMb?: number): RunSlot {
  const files = filesOf(scenarios.keys(), scenarios);
  return new RunSlot({ scenariosDir, files, variant, heapMb, crash: slotCrash(scenarios, variant) });
}

/** The module files of the named scenarios, or undefined when one is not known. */
function filesOf(names: Iterable<string>, scenarios: ReadonlyMap<string, Scenario>): string[] | undefined {
  const files = new Set<string>();
  for (const name of new Set(names)) {
    const s = scenarios.get(name);
    const f = s === undefined ? undefined : scenarioFile(s);
    if (f === undefined) return undefined;
    files.add(f);
  }
  return [...files];
}

async function runInProcess(jobs: readonly Job[], scenarios: ReadonlyMap<string, Scenario>, o: PoolOptions): Promise<number> {
  const variant = o.variant ?? '';
  let done = 0;
  for (const job of jobs) {
    const s = scenarios.get(job.scenario);
    if (s === undefined) throw new Error(`runJobs: unknown scenario '${job.scenario}'`);
    let r: RunResult;
    try {
      const options = jobOptions(job, variant);
      r = job.recheck === true ? await runTwice((o) => runScenario(s, job.seed, o), options) : await runScenario(s, job.seed, options);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      r = runnerCrash(job, job.variant ?? variant, 'runner', err.message, err.stack, replayScenariosDir(s));
    }
    done++;
    o.onResult?.(r);
    if ((o.failFast === true && r.verdict !== 'pass') || o.signal?.aborted === true) break;
  }
  return done;
}

/** The run options of a job: the sweep's variant, or a corpus entry's own variant, plan and scale. */
export function jobOptions(job: Job, variant: string): RunOptions {
  const o: RunOptions = { variant: job.variant ?? variant };
  if (job.faults !== undefined) o.faults = job.faults;
  if (job.workloadScale !== undefined) o.workloadScale = job.workloadScale;
  if (job.replay !== undefined) o.replay = job.replay;
  return o;
}

/**
 * What a job is expected to cost, relative to the others: its simulated length (chaos phase plus liveness
 * window; twice that for a run checked twice). In the smoke suite the wall time of a run is 2 ms to 0.8 s
 * and roughly follows it: split by job count, the first of two groups held 69% of the suite's wall time
 * (the other thread then stole scenarios of areas it had not run, compiling their code a second time);
 * split by simulated length, 48%.
 */
export function expectedCost(job: Job, scenarios: ReadonlyMap<string, Scenario>): number {
  const s = scenarios.get(job.scenario);
  const simMs = s === undefined ? 1 : s.durationMs + (s.liveness?.withinMs ?? 0);
  return simMs * (job.recheck === true ? 2 : 1);
}

/** N run slots pulling jobs from their shares of the list (lanes.ts: scenario affinity). */
class ThreadPool {
  private readonly lanes: JobLanes;
  private done = 0;
  private stopping = false;
  private readonly slots: RunSlot[] = [];

  constructor(
    jobs: readonly Job[],
    size: number,
    private readonly o: PoolOptions,
    private readonly scenarios: ReadonlyMap<string, Scenario>,
  ) {
    const files = filesOf(jobs.map((j) => j.scenario), scenarios);
    // A scenario's family is its module's folder (scenarios/<area>/): the code its runs share most with.
    const family = (name: string): string => {
      const s = scenarios.get(name);
      const f = s === undefined ? undefined : scenarioFile(s);
      return f === undefined ? '' : path.dirname(f);
    };
    this.lanes = new JobLanes(jobs, size, (j) => expectedCost(j, scenarios), family);
    const variant = o.variant ?? '';
    for (let i = 0; i < size; i++) {
      this.slots.push(new RunSlot({ scenariosDir: o.scenariosDir!, files, variant, heapMb: o.heapMb, crash: slotCrash(scenarios, variant) }));
    }
  }

  async run(): Promise<number> {
    this.o.onInFlight?.(() => this.slots.flatMap((s) => s.inFlight() ?? []));
    const stopNow = (): void => {
      this.stopping = true;
      for (const s of this.slots) void s.close();
    };
    if (this.o.hardStop?.aborted === true) stopNow();
    this.o.hardStop?.addEventListener('abort', stopNow);
    try {
      await Promise.all(this.slots.map((s, i) => this.loop(s, i)));
    } catch (e) {
      stopNow();
      throw e instanceof SlotFatalError ? new Error(e.message) : e;
    } finally {
      this.o.hardStop?.removeEventListener('abort', stopNow);
      await Promise.all(this.slots.map((s) => s.close()));
    }
    return this.done;
  }

  /**
   * Slot `t`'s share: take its next job (its own, else stolen) until none is left or the sweep stops. While
   * a job runs, the next one waits on the slot (RunSlot.run), so the thread goes from one run to the next
   * without a round trip through this thread; not with --fail-fast (a job handed out runs: none may
   * follow the first failure), nor for the last jobs of the sweep (a job queued behind a run could not be
   * stolen by an idle thread).
   */
  private async loop(slot: RunSlot, t: number): Promise<void> {
    const pending: Promise<RunResult | null>[] = [];
    const give = (): void => {
      if (this.stopping || this.o.signal?.aborted === true) return;
      const job = this.lanes.take(t);
      if (job === undefined) return;
      // A job run twice (--check-determinism) has twice the budget.
      const p = slot.run(job, runBudgetMs(this.scenarios.get(job.scenario), this.o.runTimeoutS) * (job.recheck === true ? 2 : 1));
      p.catch(() => {}); // a failure is thrown where it is awaited; a queued job's, after the first, is not
      pending.push(p);
    };
    const queue = (): void => {
      if (pending.length < 2 && this.o.failFast !== true && this.lanes.left >= this.slots.length) give();
    };
    give();
    queue();
    while (pending.length > 0) {
      const r = await pending.shift()!;
      if (r === null) return; // abandoned (hard stop)
      this.done++;
      this.o.onResult?.(r);
      if (this.o.failFast === true && r.verdict !== 'pass') this.stopping = true;
      if (pending.length === 0) give();
      queue();
    }
  }
}

/**
 * Single runs on a thread of their own (replay, shrink, the report's timelines), with the same watchdog
 * and heap limit as a sweep's runs: `IsolatedRunner.run` has the signature of `runScenario`, so the code
 * that re-runs a seed does not care where it runs. A hanging or exploding seed then becomes a `crash`
 * verdict (`runner:watchdog`, `runner:heap`) instead of taking the command down with it.
 *
 * Options that are functions cannot cross to the thread: `traceSink` is served by streaming the trace
 * lines back (in batches, in order, all before the result); `observe` is refused.
 */
import { replayScenariosDir } from '../scenario/registry.ts';
import { replayCommand } from '../scenario/replay-command.ts';
import type { RunOptions, RunResult, Scenario } from '../scenario/types.ts';
import { slotFor } from './pool.ts';
import type { Job } from './shard.ts';
import { runBudgetMs, type RunSlot } from './slot.ts';

/** Limits of runs on threads (CLI: --run-timeout, --max-heap). */
export interface RunLimits {
  /** Wall-time budget, seconds per simulated minute (see runBudgetMs). */
  runTimeoutS?: number;
  /** Heap limit of the thread, MB. */
  heapMb?: number;
}

/** Runs a scenario: runScenario itself, or IsolatedRunner.run. */
export type RunFn = (scenario: Scenario, seed: number, options?: RunOptions) => Promise<RunResult>;

/** The run was abandoned because the runner was closed (a signal). */
export class RunAbandonedError extends Error {
  override name = 'RunAbandonedError';
}

/** Runs single seeds on one worker thread, one at a time (see the file comment). */
export class IsolatedRunner {
  private slotNow: RunSlot | null = null;

  constructor(
    private readonly scenarios: ReadonlyMap<string, Scenario>,
    private readonly scenariosDir: string,
    private readonly limits: RunLimits = {},
  ) {}

  /** As runScenario(scenario, seed, options), on the runner's thread. */
  readonly run: RunFn = async (scenario, seed, options = {}) => {
    if (options.observe !== undefined) throw new Error('IsolatedRunner: an observe callback cannot run on another thread');
    const variant = options.variant ?? '';
    const job: Job = {
      scenario: scenario.name,
      seed,
      variant,
      replay: options.replay ?? replayCommand(scenario.name, seed, variant, options.faultsFile, options.workloadScale ?? 1, replayScenariosDir(scenario)),
    };
    if (options.faults !== undefined) job.faults = options.faults;
    if (options.workloadScale !== undefined) job.workloadScale = options.workloadScale;
    const sink = options.traceSink;
    const r = await this.slot().run(job, runBudgetMs(scenario, this.limits.runTimeoutS), sink === undefined ? undefined : (lines) => lines.forEach(sink));
    if (r === null) throw new RunAbandonedError(`the run of ${scenario.name} seed ${seed} was abandoned`);
    return r;
  };

  /** Stops the thread; a run in flight rejects with RunAbandonedError. */
  async close(): Promise<void> {
    const s = this.slotNow;
    this.slotNow = null;
    await s?.close();
  }

  /** The runner's slot, made at the first run (every job names its own variant). */
  private slot(): RunSlot {
    this.slotNow ??= slotFor(this.scenarios, this.scenariosDir, '', this.limits.heapMb);
    return this.slotNow;
  }
}

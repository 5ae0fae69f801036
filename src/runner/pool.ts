/**
 * Runs a sweep's jobs, in this process or on worker threads (default: one per core).
 *
 * Every run is a pure function of (scenario, seed, variant), so results do not depend on how many workers
 * ran them or in what order they finished; the caller sorts them. Each worker runs one job at a time and
 * asks for the next when done (work stealing by pull). A worker that dies mid-job turns that job into a
 * `crash` verdict (check 'runner:worker') and is replaced, up to a bounded number of times.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { replayScenariosDir, scenarioFile } from '../scenario/registry.ts';
import { replayCommand } from '../scenario/replay-command.ts';
import { runScenario } from '../scenario/run.ts';
import type { RunOptions, RunResult, Scenario } from '../scenario/types.ts';
import type { Job } from './shard.ts';

/** Data every worker starts with. */
export interface WorkerInit {
  scenariosDir: string;
  /** Only these scenario modules (when every scenario's file is known); else all of scenariosDir. */
  files?: string[];
  variant: string;
}

/** Pool -> worker. */
export interface ToWorker {
  job: Job;
}

/** Worker -> pool. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; result: RunResult }
  | { type: 'failed'; job: Job; message: string; stack: string }
  | { type: 'fatal'; message: string };

/** Options of `runJobs`. */
export interface PoolOptions {
  /** Worker threads; 1 runs in this process (no thread start-up). Default: one per core. */
  workers?: number;
  /** Weakened variant ('' for the real implementation). */
  variant?: string;
  /** Stop handing out jobs after the first failed run. */
  failFast?: boolean;
  /** Stops handing out jobs when aborted (runs in flight finish and are reported). */
  signal?: AbortSignal;
  /** Folder the workers load scenarios from (must hold the scenarios named by the jobs). */
  scenariosDir?: string;
  /** Use worker threads even for one worker (benchmarks comparing 1 and N threads). */
  forceThreads?: boolean;
  /** Called with every result as it arrives (in completion order). */
  onResult?(r: RunResult): void;
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
export function runnerCrash(job: Job, variant: string, check: string, message: string, stack = '', scenariosDir?: string): RunResult {
  return {
    scenario: job.scenario,
    seed: job.seed,
    variant,
    verdict: 'crash',
    failure: { kind: 'crash', check, message, timeUs: 0, traceIndex: 0, details: { stack } },
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
  if (options.scenariosDir === undefined) throw new Error('runJobs: scenariosDir is required with more than one worker');
  const dirOf = (name: string): string | undefined => {
    const s = scenarios.get(name);
    return s === undefined ? undefined : replayScenariosDir(s);
  };
  return new ThreadPool(jobs, Math.min(workers, jobs.length), options, filesOf(jobs, scenarios), dirOf).run();
}

/** The module files of the jobs' scenarios, or undefined when one is not known. */
function filesOf(jobs: readonly Job[], scenarios: ReadonlyMap<string, Scenario>): string[] | undefined {
  const files = new Set<string>();
  for (const name of new Set(jobs.map((j) => j.scenario))) {
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
      r = await runScenario(s, job.seed, jobOptions(job, variant));
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

/** The bootstrap each worker thread evaluates: register tsx, then load worker.ts. */
function bootstrapCode(): string {
  const req = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(path.join(path.dirname(req.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const worker = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); })`;
}

class ThreadPool {
  private next = 0;
  private done = 0;
  private stopping = false;
  private respawnsLeft: number;
  private readonly live = new Set<Worker>();
  private readonly inFlight = new Map<Worker, Job>();
  private readonly code = bootstrapCode();
  private settle!: (n: number) => void;
  private reject!: (e: Error) => void;

  constructor(
    private readonly jobs: readonly Job[],
    private readonly size: number,
    private readonly o: PoolOptions,
    private readonly files: string[] | undefined,
    private readonly dirOf: (scenario: string) => string | undefined,
  ) {
    this.respawnsLeft = size * 4;
  }

  run(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.settle = resolve;
      this.reject = reject;
      for (let i = 0; i < this.size; i++) this.spawn();
    });
  }

  private spawn(): void {
    const init: WorkerInit = { scenariosDir: this.o.scenariosDir!, files: this.files, variant: this.o.variant ?? '' };
    const w = new Worker(this.code, { eval: true, workerData: init });
    this.live.add(w);
    w.on('message', (m: FromWorker) => this.onMessage(w, m));
    w.on('error', (e) => this.onDeath(w, `worker thread failed: ${e.message}`, e.stack ?? ''));
    w.on('exit', (code) => {
      if (this.live.has(w)) this.onDeath(w, `worker thread exited with code ${code}`, '');
    });
  }

  private onMessage(w: Worker, m: FromWorker): void {
    if (m.type === 'fatal') return this.abort(new Error(m.message));
    if (m.type === 'result') this.finish(w, m.result);
    else if (m.type === 'failed') this.finish(w, runnerCrash(m.job, m.job.variant ?? this.o.variant ?? '', 'runner', m.message, m.stack, this.dirOf(m.job.scenario)));
    this.dispatch(w);
  }

  private finish(w: Worker, r: RunResult): void {
    this.inFlight.delete(w);
    this.done++;
    this.o.onResult?.(r);
    if (this.o.failFast === true && r.verdict !== 'pass') this.stopping = true;
  }

  private dispatch(w: Worker): void {
    if (this.stopping || this.o.signal?.aborted === true || this.next >= this.jobs.length) {
      this.retire(w);
      return;
    }
    const job = this.jobs[this.next++]!;
    this.inFlight.set(w, job);
    w.postMessage({ job } satisfies ToWorker);
  }

  private retire(w: Worker): void {
    if (!this.live.delete(w)) return;
    void w.terminate();
    if (this.live.size === 0) this.settle(this.done);
  }

  private onDeath(w: Worker, message: string, stack: string): void {
    if (!this.live.delete(w)) return;
    const job = this.inFlight.get(w);
    this.inFlight.delete(w);
    if (job !== undefined) {
      this.done++;
      this.o.onResult?.(runnerCrash(job, job.variant ?? this.o.variant ?? '', 'runner:worker', message, stack, this.dirOf(job.scenario)));
    }
    if (this.respawnsLeft-- <= 0) return this.abort(new Error(`too many worker threads died; last: ${message}`));
    if (!this.stopping && this.next < this.jobs.length) this.spawn();
    else if (this.live.size === 0) this.settle(this.done);
  }

  private abort(e: Error): void {
    this.stopping = true;
    for (const w of this.live) void w.terminate();
    this.live.clear();
    this.reject(e);
  }
}

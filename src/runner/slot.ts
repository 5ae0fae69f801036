/**
 * A run slot: one worker thread that runs jobs one at a time, under a watchdog and a heap limit, so that
 * nothing the code under test does can stop the bench:
 *
 * - a run still going after its wall-time budget (a synchronous or microtask loop, or a run far slower
 *   than its simulated length) is a `crash` verdict `runner:watchdog` naming the scenario, the seed and the
 *   last trace record (read from the shared heartbeat); the thread is terminated and the next job gets a
 *   fresh one;
 * - a run that exceeds the heap limit ends its thread with ERR_WORKER_OUT_OF_MEMORY: a `crash` verdict
 *   `runner:heap`, the CLI lives on;
 * - a thread that dies mid-run for any other reason (a native crash, or a `process.exit` the scenario
 *   allowed): a `crash` verdict `runner:worker`.
 *
 * The sweep pool runs one slot per worker; replay, shrink and the report's timelines run their runs on a
 * slot of their own, so a hanging seed cannot hang them either.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunResult } from '../scenario/types.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { Heartbeat } from './heartbeat.ts';
import type { Job } from './shard.ts';

/** Data every worker starts with. */
export interface WorkerInit {
  scenariosDir: string;
  /** Only these scenario modules (when every scenario's file is known); else all of scenariosDir. */
  files?: string[];
  variant: string;
  /** The slot's heartbeat buffer (see heartbeat.ts). */
  heartbeat: SharedArrayBuffer;
}

/** Slot -> worker: a job, or a task (a function of a module, run on the thread; see RunSlot.runTask). */
export type ToWorker =
  | {
      job: Job;
      /** Post the run's trace lines back (replay, timelines). */
      streamTrace?: boolean;
    }
  | { task: { module: string; fn: string; args: unknown } };

/** Worker -> slot. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; result: RunResult }
  | { type: 'lines'; lines: string[] }
  | { type: 'failed'; job: Job; message: string; stack: string }
  | { type: 'fatal'; message: string }
  | { type: 'task-data'; data: unknown }
  | { type: 'task-run'; label: unknown }
  | { type: 'task-run-end' }
  | { type: 'task-done' }
  | { type: 'task-failed'; message: string; stack: string };

/**
 * What a task function gets on the worker thread. A task makes several runs (an exploration); it brackets
 * each with runStarted/runEnded, so the slot's watchdog gives each run its own budget, and passes
 * `traceSink` to them, so a hung run's last record is known.
 */
export interface TaskContext {
  scenarios: ReadonlyMap<string, import('../scenario/types.ts').Scenario>;
  send(data: unknown): void;
  runStarted(label: unknown): void;
  runEnded(): void;
  traceSink(line: string): void;
}

/** How a task ended: done, or stopped (a run hung or ran out of memory, the thread died, the task threw). */
export type TaskOutcome =
  | { ended: 'done' }
  | { ended: 'stopped'; check: string; message: string; stack: string; label: unknown; at?: { timeUs: number; traceIndex: number } };

/** Default wall-time budget of a run, seconds per simulated minute (at least this much for any run). */
export const RUN_TIMEOUT_S = 120;

/** Default heap limit of a run's thread, MB. */
export const HEAP_MB = 4096;

/**
 * The wall-time budget of a run of a scenario, ms: `timeoutS` per simulated minute (chaos phase plus the
 * liveness window), and never less than `timeoutS`. The slowest scenarios today take about 0.16 s of wall
 * time per simulated second, so the default leaves a margin of 10x or more.
 */
export function runBudgetMs(scenario: { durationMs: number; liveness?: { withinMs: number } } | undefined, timeoutS = RUN_TIMEOUT_S): number {
  const simMs = scenario === undefined ? 0 : scenario.durationMs + (scenario.liveness?.withinMs ?? 0);
  return timeoutS * 1000 * Math.max(1, simMs / 60_000);
}

/** How a slot reports a run it could not finish. */
export type SlotCrash = (job: Job, check: string, message: string, stack?: string, at?: { timeUs: number; traceIndex: number }) => RunResult;

/** Options of a slot. */
export interface SlotOptions {
  scenariosDir: string;
  files?: string[];
  variant: string;
  /** Heap limit of the thread (old generation), MB. */
  heapMb?: number;
  /** Builds the crash verdict of a run the slot could not finish. */
  crash: SlotCrash;
}

/** The scenario loading of a worker failed: the sweep cannot run (not a verdict). */
export class SlotFatalError extends Error {
  override name = 'SlotFatalError';
}

interface Current {
  job: Job;
  since: number;
  /** The thread the job was posted to. */
  worker: Worker;
  resolve(r: RunResult | null): void;
  reject(e: Error): void;
  onLines?: (lines: string[]) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  budgetMs: number;
}

/**
 * The bootstrap each worker thread evaluates. From the sources: register tsx, then load worker.ts. From the
 * compiled package: load worker.js (the worker registers tsx itself if a scenario module is TypeScript).
 */
function bootstrapCode(): string {
  if (import.meta.url.endsWith('.js')) return `import(${JSON.stringify(new URL('./worker.js', import.meta.url).href)})`;
  const req = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(path.join(path.dirname(req.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const worker = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); })`;
}

let code: string | undefined;

/** One worker thread running one job at a time (see the file comment). */
export class RunSlot {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private current: Current | null = null;
  /** A job posted behind the current one (see run): the thread starts it as soon as the current one ends. */
  private queued: Current | null = null;
  private readonly heartbeat = new Heartbeat();
  private closed = false;
  private task: {
    resolve(o: TaskOutcome): void;
    onData(d: unknown): void;
    label: unknown;
    timer: ReturnType<typeof setTimeout> | undefined;
    budgetMs: number;
  } | null = null;

  constructor(private readonly o: SlotOptions) {}

  /** The job running now and when it started (performance.now ms), or null. */
  inFlight(): { job: Job; since: number } | null {
    return this.current === null ? null : { job: this.current.job, since: this.current.since };
  }

  /**
   * Runs `job` within `budgetMs` of wall time. Resolves with its result (a crash verdict when the slot
   * had to stop it), or null when the slot was closed meanwhile (the run was abandoned). Rejects with
   * SlotFatalError when the worker cannot load the scenarios.
   *
   * A second job may be given while one runs (not with `onLines`): it is posted at once and the thread
   * starts it the moment the first ends, without waiting for this thread to read the result and send the
   * next job. With 2 workers on 2 busy cores that round trip left each worker idle 2.8-6.7 ms per run
   * (a run of the smoke suite takes 60-90 ms), 0.3 ms with a job queued. The queued job's budget starts
   * when the first one's result arrives (a little after it really started: the budget is a little
   * longer, never shorter); if the thread dies or is stopped during the first, the second goes to a
   * fresh thread.
   */
  async run(job: Job, budgetMs: number, onLines?: (lines: string[]) => void): Promise<RunResult | null> {
    if (this.closed) return null;
    const busy = (): boolean => this.queued !== null || (this.current !== null && (onLines !== undefined || this.current.onLines !== undefined));
    if (busy()) throw new Error('RunSlot.run: a job is already running and another is queued on this slot');
    const w = this.spawnIfNeeded();
    await this.ready;
    if (this.closed || this.worker !== w) return null;
    if (busy()) throw new Error('RunSlot.run: a job is already running and another is queued on this slot');
    return new Promise<RunResult | null>((resolve, reject) => {
      const c: Current = { job, since: performance.now(), worker: w, resolve, reject, onLines, timer: undefined, budgetMs };
      if (this.current === null) this.begin(c);
      else this.queued = c;
      w.postMessage({ job, streamTrace: onLines !== undefined } satisfies ToWorker);
    });
  }

  /** `c` is the job the thread runs now: its budget starts. */
  private begin(c: Current): void {
    c.since = performance.now();
    c.timer = setTimeout(() => void this.expire(), c.budgetMs);
    this.current = c;
  }

  /**
   * The current job ended: the queued one (if any) is running now, or, when the thread it was posted to is
   * gone, is posted to a fresh one.
   */
  private promote(): void {
    const q = this.queued;
    if (q === null) return;
    this.queued = null;
    if (this.worker !== null && q.worker === this.worker) return this.begin(q);
    const w = this.spawnIfNeeded();
    q.worker = w;
    this.current = q;
    this.ready!.then(
      () => {
        if (this.current !== q || this.worker !== w) return;
        this.begin(q);
        w.postMessage({ job: q.job, streamTrace: false } satisfies ToWorker);
      },
      (e: Error) => {
        if (this.current !== q) return;
        this.current = null;
        q.reject(e);
      },
    );
  }

  /**
   * Runs `fn(args, ctx: TaskContext)` of `module` on the slot's thread; `onData` receives what it sends.
   * Each run the task brackets gets `budgetMs`; past it, the thread is terminated and the outcome names
   * the run's label (what the task said it was running) and its last trace record.
   */
  async runTask(module: string, fn: string, args: unknown, budgetMs: number, onData: (d: unknown) => void): Promise<TaskOutcome> {
    if (this.current !== null || this.task !== null) throw new Error('RunSlot.runTask: the slot is busy');
    const w = this.spawnIfNeeded();
    await this.ready;
    return new Promise<TaskOutcome>((resolve) => {
      this.task = { resolve, onData, label: null, timer: undefined, budgetMs };
      w.postMessage({ task: { module, fn, args } } satisfies ToWorker);
    });
  }

  private endTask(o: TaskOutcome): void {
    const t = this.task;
    if (t === null) return;
    this.task = null;
    clearTimeout(t.timer);
    t.resolve(o);
  }

  private onTaskMessage(m: FromWorker): void {
    const t = this.task!;
    if (m.type === 'task-data') t.onData(m.data);
    else if (m.type === 'task-run') {
      t.label = m.label;
      clearTimeout(t.timer);
      t.timer = setTimeout(() => void this.expire(), t.budgetMs);
    } else if (m.type === 'task-run-end') clearTimeout(t.timer);
    else if (m.type === 'task-done') this.endTask({ ended: 'done' });
    else if (m.type === 'task-failed') this.endTask({ ended: 'stopped', check: 'runner', message: m.message, stack: m.stack, label: t.label });
  }

  /** Stops the thread; a job in flight is abandoned (its run() resolves with null). */
  async close(): Promise<void> {
    this.closed = true;
    const q = this.queued;
    this.queued = null;
    q?.resolve(null);
    this.settle(null);
    this.endTask({ ended: 'stopped', check: 'runner:closed', message: 'the slot was closed', stack: '', label: this.task?.label ?? null });
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }

  private spawnIfNeeded(): Worker {
    if (this.worker !== null) return this.worker;
    code ??= bootstrapCode();
    const init: WorkerInit = { scenariosDir: this.o.scenariosDir, files: this.o.files, variant: this.o.variant, heartbeat: this.heartbeat.buffer };
    const w = new Worker(code, {
      eval: true,
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: this.o.heapMb ?? HEAP_MB },
    });
    this.worker = w;
    let started = false;
    this.ready = new Promise<void>((resolve, reject) => {
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          started = true;
          resolve();
        } else if (m.type === 'fatal') {
          const e = new SlotFatalError(m.message);
          reject(e);
          const q = this.queued;
          this.queued = null;
          this.current?.reject(e);
          q?.reject(e);
        } else this.onMessage(m);
      });
      w.on('error', (e: Error & { code?: string }) => {
        if (!started) return reject(new SlotFatalError(`a worker thread failed to start: ${e.message}`));
        this.onDeath(w, e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'heap' : 'error', e);
      });
      w.on('exit', (exitCode) => {
        if (!started) return reject(new SlotFatalError(`a worker thread exited with code ${exitCode} before it was ready`));
        this.onDeath(w, 'exit', undefined, exitCode);
      });
    });
    // A failed start is reported through run(); keep Node from calling the rejection unhandled meanwhile.
    this.ready.catch(() => {});
    return w;
  }

  private onMessage(m: FromWorker): void {
    if (this.task !== null) return this.onTaskMessage(m);
    const c = this.current;
    if (c === null) return;
    if (m.type === 'lines') c.onLines?.(m.lines);
    else if (m.type === 'result') this.settle(m.result);
    else if (m.type === 'failed') this.settle(this.o.crash(m.job, 'runner', m.message, m.stack));
  }

  private settle(r: RunResult | null): void {
    const c = this.current;
    if (c === null) return;
    this.current = null;
    clearTimeout(c.timer);
    // A run the slot stopped has no wall time of its own: report how long it had run.
    if (r !== null && r.wallMs === 0) r.wallMs = performance.now() - c.since;
    this.promote();
    c.resolve(r);
  }

  /** The worker `w` ended: its job or task in flight (if any) is stopped; the next one gets a new thread. */
  private onDeath(w: Worker, how: 'heap' | 'error' | 'exit', e?: Error, exitCode?: number): void {
    if (this.worker !== w) return; // terminated on purpose (watchdog, close)
    this.worker = null;
    if (how === 'heap') {
      const message = `the run exceeded the heap limit of ${this.o.heapMb ?? HEAP_MB} MB (--max-heap); ${this.lastRecordText()}`;
      this.stop({ check: 'runner:heap', message, stack: e?.stack ?? '', at: this.lastAt() });
    } else {
      const message = `worker thread ${how === 'exit' ? `exited with code ${exitCode}` : `failed: ${e?.message ?? ''}`}`;
      this.stop({ check: 'runner:worker', message, stack: e?.stack ?? '' });
    }
  }

  /**
   * The budget of the run in flight (a job's, or the bracketed run of a task) ran out: stop the thread and
   * report the run as hung, with the last record it wrote.
   */
  private async expire(): Promise<void> {
    const running = this.current ?? this.task;
    if (running === null) return;
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
    if ((this.current ?? this.task) !== running) return; // it ended meanwhile
    const s = (running.budgetMs / 1000).toFixed(running.budgetMs % 1000 === 0 ? 0 : 1);
    const what = this.current === null ? 'the run' : `${this.current.job.scenario} seed ${this.current.job.seed}`;
    this.stop({
      check: 'runner:watchdog',
      message:
        `${what} gave no result within its wall-time budget of ${s} s (--run-timeout): the run hangs ` +
        `(e.g. a loop that never returns to the scheduler) or is far slower than its simulated length; ${this.lastRecordText()}`,
      stack: '',
      at: this.lastAt(),
    });
  }

  /** Ends the job or task in flight with a stop the slot decided (its crash verdict, or the task's outcome). */
  private stop(st: { check: string; message: string; stack: string; at?: { timeUs: number; traceIndex: number } }): void {
    if (this.task !== null) return this.endTask({ ended: 'stopped', ...st, label: this.task.label });
    const c = this.current;
    if (c !== null) this.settle(this.o.crash(c.job, st.check, st.message, st.stack, st.at));
  }

  private lastRecordText(): string {
    const line = this.heartbeat.last();
    return line === '' ? 'it wrote no trace record' : `last trace record (${this.heartbeat.count()} written): ${line}`;
  }

  /** Virtual time and position of the last record written, for the failure. */
  private lastAt(): { timeUs: number; traceIndex: number } | undefined {
    try {
      const r = JSON.parse(this.heartbeat.last()) as TraceRecord;
      return { timeUs: r.t, traceIndex: r.i };
    } catch {
      return undefined;
    }
  }
}

/**
 * A run worker thread: loads the scenarios once, then runs the jobs its RunSlot sends, one at a time in
 * the order sent (the slot may send the next job before this one ends), and posts each RunResult back. Started by slot.ts through a tiny bootstrap that registers tsx first.
 *
 * While a run goes, every trace line is also copied into the shared heartbeat buffer (see heartbeat.ts):
 * when the run hangs (a synchronous or microtask loop never returns to the scheduler), this thread cannot
 * answer, but the slot's watchdog reads the last record from that buffer after terminating the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenarioFiles, loadScenarios } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import type { RunOptions, RunResult, Scenario } from '../scenario/types.ts';
import { runTwice } from './determinism.ts';
import { Heartbeat } from './heartbeat.ts';
import { jobOptions } from './pool.ts';
import type { Job } from './shard.ts';
import type { FromWorker, TaskContext, ToWorker, WorkerInit } from './slot.ts';

const port = parentPort;
if (port === null) throw new Error('src/runner/worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const heartbeat = new Heartbeat(init.heartbeat);

/**
 * Trace lines are posted one message per line when the job asks for its trace (replay, timelines): a run
 * that then hangs has sent every line it wrote (a batch would hold back the last ones, the lines a user
 * wants to see). About 2 µs per line; a replay prints far slower than that.
 */

function post(m: FromWorker): void {
  port!.postMessage(m);
}

/** Runs a task (see RunSlot.runTask): `fn` of `module`, called with its args and a TaskContext. */
async function runTask(task: { module: string; fn: string; args: unknown }, byName: ReadonlyMap<string, Scenario>): Promise<void> {
  const ctx: TaskContext = {
    scenarios: byName,
    send: (data) => post({ type: 'task-data', data }),
    runStarted: (label) => {
      heartbeat.reset();
      post({ type: 'task-run', label });
    },
    runEnded: () => post({ type: 'task-run-end' }),
    traceSink: (line) => heartbeat.beat(line),
  };
  try {
    const mod = (await import(task.module)) as Record<string, (args: unknown, ctx: TaskContext) => Promise<void>>;
    await mod[task.fn]!(task.args, ctx);
    post({ type: 'task-done' });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'task-failed', message: err.message, stack: err.stack ?? '' });
  }
}

async function runJob(msg: Extract<ToWorker, { job: Job }>, byName: ReadonlyMap<string, Scenario>): Promise<void> {
  const scenario = byName.get(msg.job.scenario);
  if (scenario === undefined) {
    post({ type: 'failed', job: msg.job, message: `worker: unknown scenario '${msg.job.scenario}'`, stack: '' });
    return;
  }
  heartbeat.reset();
  const sink = msg.streamTrace
    ? (line: string): void => {
        heartbeat.beat(line);
        post({ type: 'lines', lines: [line] });
      }
    : (line: string): void => heartbeat.beat(line);
  try {
    const options: RunOptions = { ...jobOptions(msg.job, init.variant), traceSink: sink };
    const run = (o: RunOptions): Promise<RunResult> => runScenario(scenario, msg.job.seed, o);
    const result = msg.job.recheck === true ? await runTwice(run, options, (line) => heartbeat.beat(line)) : await run(options);
    post({ type: 'result', result });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'failed', job: msg.job, message: err.message, stack: err.stack ?? '' });
  }
}

async function start(): Promise<void> {
  let byName: Map<string, Scenario>;
  try {
    const loaded = init.files !== undefined ? await loadScenarioFiles(init.files) : await loadScenarios(init.scenariosDir);
    byName = new Map(loaded.map((l) => [l.scenario.name, l.scenario]));
  } catch (e) {
    post({ type: 'fatal', message: (e as Error).message });
    return;
  }
  // One job at a time, in the order sent: the slot may post the next job while this one runs.
  let chain = Promise.resolve();
  port!.on('message', (msg: ToWorker) => {
    chain = chain.then(() => ('task' in msg ? runTask(msg.task, byName) : runJob(msg, byName)));
  });
  post({ type: 'ready' });
}

void start();

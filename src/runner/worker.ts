/**
 * A sweep worker thread: loads the scenarios once, then runs the jobs the pool sends, one at a time, and
 * posts each RunResult back. Started by pool.ts through a tiny bootstrap that registers tsx first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenarioFiles, loadScenarios } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';
import { jobOptions, type ToWorker, type WorkerInit } from './pool.ts';

const port = parentPort;
if (port === null) throw new Error('src/runner/worker.ts must run in a worker thread');
const init = workerData as WorkerInit;

async function start(): Promise<void> {
  let byName: Map<string, Scenario>;
  try {
    const loaded = init.files !== undefined ? await loadScenarioFiles(init.files) : await loadScenarios(init.scenariosDir);
    byName = new Map(loaded.map((l) => [l.scenario.name, l.scenario]));
  } catch (e) {
    port!.postMessage({ type: 'fatal', message: (e as Error).message });
    return;
  }
  port!.on('message', (msg: ToWorker) => {
    const scenario = byName.get(msg.job.scenario);
    if (scenario === undefined) {
      port!.postMessage({ type: 'failed', job: msg.job, message: `worker: unknown scenario '${msg.job.scenario}'`, stack: '' });
      return;
    }
    runScenario(scenario, msg.job.seed, jobOptions(msg.job, init.variant)).then(
      (result) => port!.postMessage({ type: 'result', result }),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        port!.postMessage({ type: 'failed', job: msg.job, message: err.message, stack: err.stack ?? '' });
      },
    );
  });
  port!.postMessage({ type: 'ready' });
}

void start();

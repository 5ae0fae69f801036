/**
 * Vitest integration (`import { scenarioTest } from 'syncbench/vitest'`), in the style of
 * `@fast-check/vitest`: each seed of a scenario is a vitest test, so a failing seed is a failed test whose
 * message carries the verdict, the failure and the command that replays it, and every vitest reporter
 * (JUnit included) shows it.
 *
 *   scenarioTest(scenario, { seeds: '0..99' });
 *   scenarioTest.only(scenario, { seeds: '7' });
 *   scenarioTest.skip(scenario);
 *   scenarioTest(scenario, { seeds: '0..9', variant: 'storage-keep-pending', expect: 'correctness' });
 *
 * Parallelism: vitest runs test files in parallel through its pool. Inside one scenarioTest, the seeds of a
 * scenario loaded from its module file (loadScenarios / loadScenarioFiles) run as concurrent tests on
 * syncbench's worker threads (`workers`, default one per core), each under the CLI's watchdog and heap
 * limit; a scenario built in the test file itself runs its seeds one after another on vitest's thread.
 */
import { afterAll, describe, test } from 'vitest';
import { Semaphore } from '../impl/async/index.ts';
import { IsolatedRunner } from '../runner/isolated.ts';
import { defaultWorkers } from '../runner/pool.ts';
import { runBudgetMs } from '../runner/slot.ts';
import { scenarioFile } from '../scenario/registry.ts';
import { runScenario } from '../scenario/run.ts';
import type { RunResult, Scenario, Verdict } from '../scenario/types.ts';
import { parseSeedRange } from '../sim/rng.ts';

/** Options of scenarioTest. */
export interface ScenarioTestOptions {
  /** Seeds: 'A..B' (inclusive), one seed ('7'), or {from, to}. Default '0..9'. */
  seeds?: string | { from: number; to: number };
  /** A weakened implementation variant ('' = the real implementation). */
  variant?: string;
  /** The verdict every seed must give (default 'pass'; a variant's test expects its failure). */
  expect?: Verdict;
  /** Worker threads for a scenario loaded from its file (default one per core). */
  workers?: number;
  /** Wall-time budget of a run on a thread, seconds per simulated minute (CLI --run-timeout). */
  runTimeoutS?: number;
  /** Heap limit of each thread, MB (CLI --max-heap). */
  heapMb?: number;
}

/** The error a seed's test fails with: verdict, failure and the replay command. */
export function verdictMismatch(r: RunResult, expected: Verdict): Error | null {
  if (r.verdict === expected) return null;
  const what = r.failure === null ? 'the run passed' : `${r.failure.check}: ${r.failure.message}`;
  const e = new Error(`${r.scenario} seed ${r.seed}${r.variant === '' ? '' : ` (variant ${r.variant})`}: expected ${expected}, got ${r.verdict}: ${what}\n  replay: ${r.replay}`);
  e.name = 'ScenarioVerdictError';
  return e;
}

/** A fixed set of runners handed out to concurrent tests, one run at a time each (a FIFO semaphore over them). */
class Runners {
  private readonly idle: IsolatedRunner[];
  private readonly permits: Semaphore;

  constructor(all: IsolatedRunner[]) {
    this.idle = [...all];
    this.permits = new Semaphore(all.length);
  }

  with<T>(fn: (r: IsolatedRunner) => Promise<T>): Promise<T> {
    return this.permits.withPermit(async () => {
      const r = this.idle.pop()!;
      try {
        return await fn(r);
      } finally {
        this.idle.push(r);
      }
    });
  }
}

type Mode = 'run' | 'only' | 'skip';

function define(mode: Mode) {
  return (scenario: Scenario, o: ScenarioTestOptions = {}): void => {
    const { from, to } = typeof o.seeds === 'object' ? o.seeds : parseSeedRange(o.seeds ?? '0..9');
    if (!(Number.isInteger(from) && Number.isInteger(to) && from <= to)) throw new RangeError(`scenarioTest: bad seed range ${from}..${to}`);
    const variant = o.variant ?? '';
    const expected = o.expect ?? 'pass';
    const file = scenarioFile(scenario);
    const d = mode === 'only' ? describe.only : mode === 'skip' ? describe.skip : describe;
    const title = `${scenario.name} seeds ${from}..${to}${variant === '' ? '' : ` variant ${variant}`}`;
    // A seed's test may wait for a free thread behind the others: its timeout covers the whole sweep.
    const seeds = to - from + 1;
    const timeout = runBudgetMs(scenario, o.runTimeoutS) * seeds + 10_000;
    d(title, () => {
      if (file === undefined) {
        for (let seed = from; seed <= to; seed++) {
          test(`seed ${seed}`, async () => {
            const err = verdictMismatch(await runScenario(scenario, seed, { variant }), expected);
            if (err !== null) throw err;
          }, timeout);
        }
        return;
      }
      const n = Math.max(1, Math.min(o.workers ?? defaultWorkers(), seeds));
      const byName = new Map([[scenario.name, scenario]]);
      const dir = file.replace(/[/\\][^/\\]*$/, '');
      let runners: Runners | null = null;
      let all: IsolatedRunner[] = [];
      const pool = (): Runners => {
        if (runners === null) {
          all = Array.from({ length: n }, () => new IsolatedRunner(byName, dir, { runTimeoutS: o.runTimeoutS, heapMb: o.heapMb }));
          runners = new Runners(all);
        }
        return runners;
      };
      for (let seed = from; seed <= to; seed++) {
        test.concurrent(`seed ${seed}`, async () => {
          const r = await pool().with((runner) => runner.run(scenario, seed, { variant }));
          const err = verdictMismatch(r, expected);
          if (err !== null) throw err;
        }, timeout);
      }
      // The threads end with the describe block.
      afterAll(async () => {
        await Promise.all(all.map((r) => r.close()));
      });
    });
  };
}

/** Declares one vitest test per seed of `scenario` (see the file comment). */
export const scenarioTest = Object.assign(define('run'), { only: define('only'), skip: define('skip') });

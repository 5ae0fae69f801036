/** `syncbench run`: scenarios or suites over a seed range on worker threads, a summary, and a report. */
import pc from 'picocolors';
import { writeReport } from '../report/write.ts';
import { defaultWorkers, WORKERS_MAX } from '../runner/pool.ts';
import { Progress } from '../runner/progress.ts';
import { rowOf, type ResultsFile } from '../runner/results.ts';
import { sweepJobs } from '../runner/shard.ts';
import { summaryText } from '../runner/summary.ts';
import { CI_DETERMINISM_RATE, NONDETERMINISM_CHECK, sampled } from '../runner/determinism.ts';
import { exitCodeOfRuns, runSweep, type SweepOutcome } from '../runner/sweep.ts';
import type { RunResult } from '../scenario/types.ts';
import { corpusJobs, expectationMismatch, type CorpusEntry } from '../runner/corpus.ts';
import { parseShard, type Job } from '../runner/shard.ts';
import { EXIT_CODES } from '../scenario/types.ts';
import { DEFAULT_REPORT_DIR } from './defaults.ts';
import { corpusReplay } from './replay.ts';
import { IsolatedRunner } from '../runner/isolated.ts';
import { onInterrupt, type Interrupts } from './signals.ts';
import { UsageError, asUsage, checkOutDir, corpusArg, intArg, loadAll, resolveRun, runLimits, scenariosDir, type RunRequest } from './usage.ts';

/** Default report folder. */

function colour(line: string): string {
  if (line.startsWith('FAIL ')) return pc.red(line);
  if (line.startsWith('all ')) return pc.green(line);
  if (/^\d+ of \d+ runs failed/.test(line)) return pc.red(line);
  return line;
}

/** One line announcing a failed run as it happens. */
function liveFailure(r: RunResult): string {
  const check = r.failure !== null && r.failure.check !== r.verdict ? ` (${r.failure.check})` : '';
  return `FAIL ${r.scenario} seed ${r.seed}: ${r.verdict}${check} | replay: ${r.replay ?? ''}`;
}

/** What `run` sweeps: scenarios x seeds, or the entries of a corpus. */
interface Plan {
  req: RunRequest;
  planned: number;
  corpus: { file: string; entries: CorpusEntry[]; jobs: Job[] } | null;
}

async function planRun(targets: string[], o: Record<string, unknown>, dir: string): Promise<Plan> {
  if (typeof o.corpus !== 'string') {
    const req = await resolveRun(targets, o.seeds === undefined ? '0..9' : String(o.seeds), o.variant as string | undefined, dir, o.shard as string | undefined);
    const planned = (await asUsage(() => sweepJobs(req.scenarios.map((s) => s.name), req.from, req.to, req.shard))).length;
    return { req, planned, corpus: null };
  }
  if (targets.length > 0 || o.seeds !== undefined || o.variant !== undefined) {
    throw new UsageError('--corpus runs the entries of the file: it takes no scenario, suite, --seeds or --variant');
  }
  const all = await loadAll(dir);
  const file = o.corpus;
  const corpus = await corpusArg('--corpus', file, new Set(all.map((l) => l.scenario.name)));
  const jobs = corpusJobs(corpus).map((j, k) => ({ ...j, replay: corpusReplay(j.scenario, j.seed, file, k) }));
  const names = new Set(jobs.map((j) => j.scenario));
  const scenarios = all.map((l) => l.scenario).filter((s) => names.has(s.name));
  const shard = o.shard === undefined ? undefined : await asUsage(() => parseShard(String(o.shard)));
  const seeds = jobs.map((j) => j.seed);
  const req: RunRequest = { scenarios, from: Math.min(...seeds), to: Math.max(...seeds), variant: '', shard };
  const planned = shard === undefined ? jobs.length : jobs.filter((_, p) => p % shard.count === shard.index - 1).length;
  return { req, planned, corpus: { file, entries: corpus.entries, jobs } };
}

/** Each corpus run that did not give its entry's expected verdict, as a printable line; and the exit code. */
function corpusVerdicts(plan: NonNullable<Plan['corpus']>, results: readonly RunResult[]): { lines: string[]; code: number } {
  const byReplay = new Map(results.map((r) => [r.replay, r]));
  const lines: string[] = [];
  let code = 0;
  let met = 0;
  plan.jobs.forEach((job, k) => {
    const r = byReplay.get(job.replay!);
    if (r === undefined) return;
    const miss = expectationMismatch(plan.entries[k]!, r);
    if (miss === null) return void met++;
    lines.push(`MISMATCH ${job.scenario} seed ${job.seed} (entry ${k}: ${plan.entries[k]!.why}): ${miss}`, `  replay: ${job.replay!}`);
    code = Math.max(code, r.verdict === 'pass' ? 1 : EXIT_CODES[r.verdict]);
  });
  lines.unshift(`corpus ${plan.file}: ${met} of ${results.length} runs gave their expected verdict`);
  return { lines, code };
}

/** Runs the `run` command; sets process.exitCode to the worst verdict's code; resolves with the results. */
export async function runCommand(targets: string[], o: Record<string, unknown>): Promise<ResultsFile> {
  const dir = scenariosDir(o);
  const { req, planned, corpus } = await planRun(targets, o, dir);
  const workers = intArg('workers', o.workers, 1, WORKERS_MAX) ?? defaultWorkers();
  const json = o.json === true;
  const results: RunResult[] = [];
  const reportDir = o.report === false ? null : typeof o.report === 'string' ? o.report : DEFAULT_REPORT_DIR;
  if (reportDir !== null) checkOutDir('--report', reportDir);
  const limits = runLimits(o);
  const recheck = determinismRate(o.checkDeterminism, targets);
  const progress = json ? null : new Progress(planned);
  const stop = onInterrupt({
    first: 'finishing the runs in flight, then writing the finished runs (results marked partial)',
    second: 'abandoning the runs in flight and writing the finished runs now',
  });
  // Signals stay handled until the report is written (its folder is swapped as a whole).
  try {
    const outcome = await runSweep({
      signal: stop.soft,
      hardStop: stop.hard,
      // Always on threads, also for one worker: the watchdog and the heap limit need the run off this thread.
      forceThreads: true,
      ...limits,
      onInFlight: (list) => progress?.watch(list),
      targets: corpus !== null ? [`--corpus ${corpus.file}`] : targets.length > 0 ? targets : ['default'],
      scenarios: req.scenarios,
      ...(corpus === null ? {} : { jobs: corpus.jobs }),
      from: req.from,
      to: req.to,
      shard: req.shard,
      variant: req.variant,
      workers,
      failFast: o.failFast === true,
      scenariosDir: dir,
      checkDeterminism: recheck,
      onResult: (r) => {
        if (corpus !== null) results.push(r);
        if (json) process.stdout.write(`${JSON.stringify(rowOf(r))}\n`);
        progress?.tick(r.verdict === 'pass' ? false : colour(liveFailure(r)));
      },
    }).finally(() => progress?.finish());
    if (!json && recheck > 0) process.stdout.write(`${determinismLine(outcome, recheck)}\n`);
    return await finishRun(o, json, reportDir, req, planned, outcome, stop, corpus, results);
  } finally {
    stop.dispose();
  }
}

/**
 * The determinism self-check's rate: `--check-determinism` alone re-runs every run, `=RATE` a sample
 * (0..1, `=0` none); without the option, the `ci` suite re-runs CI_DETERMINISM_RATE of its runs.
 */
export function determinismRate(v: unknown, targets: readonly string[]): number {
  if (v === undefined) return targets.includes('ci') ? CI_DETERMINISM_RATE : 0;
  if (v === true) return 1;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--check-determinism '${String(v)}' must be a rate from 0 to 1 (0.05: a twentieth of the runs are run twice), or nothing (every run)`);
  }
  return n;
}

/** What the determinism self-check did: how many runs ran twice, and how many of them differed. */
function determinismLine(outcome: SweepOutcome, rate: number): string {
  const twice = outcome.file.runs.filter((r) => sampled(r.scenario, r.seed, rate)).length;
  const differed = outcome.file.runs.filter((r) => r.failure?.check === NONDETERMINISM_CHECK).length;
  const what = differed === 0 ? 'every pair of traces identical' : pc.red(`${differed} gave different traces (${NONDETERMINISM_CHECK})`);
  return `determinism: ${twice} of ${outcome.file.runs.length} runs run twice (rate ${rate}), ${what}`;
}

/** After the sweep: summary, report, exit code. */
async function finishRun(
  o: Record<string, unknown>,
  json: boolean,
  reportDir: string | null,
  req: RunRequest,
  planned: number,
  outcome: SweepOutcome,
  stop: Interrupts,
  corpus: Plan['corpus'],
  results: RunResult[],
): Promise<ResultsFile> {
  if (!json) process.stdout.write(`${summaryText(outcome.file, outcome.wallMs, 20, o.report === false ? 'run with --report DIR to list them all' : undefined, req.scenarios).map(colour).join('\n')}\n`);
  if (reportDir !== null) {
    const scenarios = new Map(req.scenarios.map((s) => [s.name, s]));
    // Interrupted: no timelines (they re-run failed seeds, and the user asked to stop).
    const rerunner = new IsolatedRunner(scenarios, scenariosDir(o), runLimits(o));
    const written = await writeReport(reportDir, outcome.file, {
      scenarios,
      wallMs: outcome.wallMs,
      timelinesMax: stop.received() === null ? undefined : 0,
      rerun: rerunner.run,
    }).finally(() => rerunner.close());
    if (!json) process.stdout.write(`report: ${written.index} (results.json, coverage.json, junit.xml)\n`);
  }
  if (stop.received() !== null) {
    process.stderr.write(`syncbench: ${stop.received()}: stopped after ${outcome.file.runs.length} of ${planned} runs (results marked partial)\n`);
    process.exitCode = stop.exitCode();
    return outcome.file;
  }
  if (outcome.file.meta.partial === true) {
    process.stderr.write(`syncbench: --fail-fast stopped the sweep after ${outcome.file.runs.length} of ${planned} runs (results marked partial)\n`);
  }
  if (corpus === null) {
    process.exitCode = exitCodeOfRuns(outcome.file.runs);
    return outcome.file;
  }
  // A corpus passes when every entry gives its expected verdict (some entries expect a failure).
  const verdicts = corpusVerdicts(corpus, results);
  if (!json) process.stdout.write(`${verdicts.lines.map((l) => (l.startsWith('MISMATCH') ? pc.red(l) : l)).join('\n')}\n`);
  process.exitCode = verdicts.code;
  return outcome.file;
}

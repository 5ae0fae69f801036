/** `syncbench run`: scenarios or suites over a seed range on worker threads, a summary, and a report. */
import pc from 'picocolors';
import { writeReport } from '../report/write.ts';
import { defaultWorkers, WORKERS_MAX } from '../runner/pool.ts';
import { Progress } from '../runner/progress.ts';
import { rowOf } from '../runner/results.ts';
import { sweepJobs } from '../runner/shard.ts';
import { summaryText } from '../runner/summary.ts';
import { exitCodeOfRuns, runSweep } from '../runner/sweep.ts';
import type { RunResult } from '../scenario/types.ts';
import { asUsage, checkOutDir, intArg, resolveRun, scenariosDir } from './usage.ts';

/** Default report folder. */
export const DEFAULT_REPORT_DIR = 'reports/latest';

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

/** Runs the `run` command; sets process.exitCode to the worst verdict's code. */
export async function runCommand(targets: string[], o: Record<string, unknown>): Promise<void> {
  const dir = scenariosDir(o);
  const req = await resolveRun(targets, String(o.seeds), o.variant as string | undefined, dir, o.shard as string | undefined);
  const workers = intArg('workers', o.workers, 1, WORKERS_MAX) ?? defaultWorkers();
  const json = o.json === true;
  const planned = (await asUsage(() => sweepJobs(req.scenarios.map((s) => s.name), req.from, req.to, req.shard))).length;
  const reportDir = o.report === false ? null : typeof o.report === 'string' ? o.report : DEFAULT_REPORT_DIR;
  if (reportDir !== null) checkOutDir('--report', reportDir);
  const progress = json ? null : new Progress(planned);
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    process.stderr.write('\nsyncbench: interrupted: finishing runs in flight and writing partial results (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  const outcome = await runSweep({
    signal: abort.signal,
    targets: targets.length > 0 ? targets : ['default'],
    scenarios: req.scenarios,
    from: req.from,
    to: req.to,
    shard: req.shard,
    variant: req.variant,
    workers,
    failFast: o.failFast === true,
    scenariosDir: dir,
    onResult: (r) => {
      if (json) process.stdout.write(`${JSON.stringify(rowOf(r))}\n`);
      progress?.tick(r.verdict === 'pass' ? false : colour(liveFailure(r)));
    },
  });
  process.off('SIGINT', onSigint);
  progress?.finish();
  if (!json) process.stdout.write(`${summaryText(outcome.file, outcome.wallMs, 20, o.report === false ? 'run with --report DIR to list them all' : undefined).map(colour).join('\n')}\n`);
  if (reportDir !== null) {
    const scenarios = new Map(req.scenarios.map((s) => [s.name, s]));
    const written = await writeReport(reportDir, outcome.file, { scenarios, wallMs: outcome.wallMs });
    if (!json) process.stdout.write(`report: ${written.index} (results.json, coverage.json, junit.xml)\n`);
  }
  if (abort.signal.aborted) {
    process.stderr.write(`syncbench: interrupted after ${outcome.file.runs.length} of ${planned} runs (results marked partial)\n`);
    process.exitCode = 130;
    return;
  }
  if (outcome.file.meta.partial === true) {
    process.stderr.write(`syncbench: --fail-fast stopped the sweep after ${outcome.file.runs.length} of ${planned} runs (results marked partial)\n`);
  }
  process.exitCode = exitCodeOfRuns(outcome.file.runs);
}

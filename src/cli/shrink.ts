/** `syncbench shrink`: a smaller fault plan and workload that still fail the same way, and its replay command. */
import path from 'node:path';
import { formatPlan } from '../faults/plan.ts';
import { writeAtomic } from '../runner/atomic.ts';
import { fmtScale, shrink, ShrinkError } from '../runner/shrink.ts';
import { replayScenariosDir } from '../scenario/registry.ts';
import { replayCommand } from '../scenario/replay-command.ts';
import { EXIT_CODES } from '../scenario/types.ts';
import { IsolatedRunner, RunAbandonedError } from '../runner/isolated.ts';
import { onInterrupt } from './signals.ts';
import { checkOutFile, intArg, resolveRun, runLimits, scenariosDir, seedArg, UsageError } from './usage.ts';

/** The replay command of a shrunk run (the scale flag only when the workload was reduced). */
export function shrunkReplayCommand(scenario: string, seed: number, variant: string, planFile: string, scale: number, scenariosDir?: string): string {
  return replayCommand(scenario, seed, variant, planFile, Number(fmtScale(scale)), scenariosDir);
}

/** Runs the `shrink` command; exit code: the (preserved) failure's kind. */
export async function shrinkCommand(name: string, o: Record<string, unknown>): Promise<void> {
  const { scenarios, variant } = await resolveRun([name], '0', o.variant as string | undefined, scenariosDir(o));
  const scenario = scenarios[0]!;
  if (scenario.name !== name) throw new UsageError(`'${name}' is a suite; shrink takes one scenario`);
  const seed = await seedArg(String(o.seed));
  const maxRuns = intArg('max-runs', o.maxRuns, 1, 100_000);
  const timeLimitS = intArg('time-limit', o.timeLimit, 1, 86_400);
  const limits = runLimits(o);
  const file = typeof o.out === 'string' ? o.out : path.join('reports', 'shrunk', `${scenario.name}-seed${seed}${variant ? `-${variant}` : ''}.json`);
  // Checked before shrinking (which can take minutes): the plan is written only at the end.
  checkOutFile('--out', file, true);
  const log = (line: string): boolean => process.stderr.write(`shrink: ${line}\n`);
  // Every run goes on a watched thread: a candidate plan that makes the code hang is a crash verdict (a
  // different failure, so not kept), never a hung shrink.
  const runner = new IsolatedRunner(new Map([[scenario.name, scenario]]), scenariosDir(o), limits);
  const stop = onInterrupt({ first: 'stopping the search after this run; the smallest plan so far is kept', second: 'abandoning the run in flight' });
  stop.hard.addEventListener('abort', () => void runner.close());
  let out;
  try {
    out = await shrink(scenario, seed, {
      variant,
      maxRuns,
      timeLimitMs: timeLimitS === undefined ? undefined : timeLimitS * 1000,
      onStep: log,
      run: runner.run,
      signal: stop.soft,
    });
  } catch (e) {
    if (e instanceof ShrinkError) throw new UsageError(e.message);
    if (e instanceof RunAbandonedError) {
      process.stderr.write(`syncbench: ${stop.received()}: stopped before the first run finished; nothing to keep\n`);
      process.exitCode = stop.exitCode();
      return;
    }
    throw e;
  } finally {
    await runner.close();
    stop.dispose();
  }
  writeAtomic(file, `${JSON.stringify(out.plan, null, 2)}\n`);
  const f = out.result.failure!;
  const lines = [
    `failure kept: ${out.signature.kind} ${out.signature.check}: ${f.message}`,
    `fault plan: ${out.originalPlan.events.length} -> ${out.plan.events.length} events; ${out.scaleHonoured ? `workload scale 1 -> ${fmtScale(out.workloadScale)}` : "workload scale not shrunk (this scenario's workload does not use it)"}; ${out.runs} runs${stop.received() !== null ? ` (stopped by ${stop.received()}: may shrink further)` : out.budgetExhausted ? ' (budget ran out: may shrink further with --max-runs/--time-limit)' : ''}`,
    'minimal plan:',
    out.plan.events.length === 0 ? '  (no faults)' : formatPlan(out.plan).split('\n').map((l) => `  ${l}`).join('\n'),
    `plan saved to ${file}`,
    `replay: ${shrunkReplayCommand(scenario.name, seed, variant, file, out.workloadScale, replayScenariosDir(scenario))}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = stop.received() !== null ? stop.exitCode() : EXIT_CODES[out.signature.kind as 'correctness'];
}

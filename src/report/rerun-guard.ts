/**
 * Guards for re-running failed seeds in the main process (timelines). A failed run can fail again in
 * ways that would take the whole CLI down with it: its setup throws (a runner crash), or its code calls
 * process.exit (which, on a worker thread, ended only that thread). A guarded re-run turns both into a
 * rejected promise, so the report is still written, with a note in place of that timeline.
 */
import type { RunRow } from '../runner/results.ts';

/** A re-run called process.exit: it was stopped instead of ending this process. */
export class RerunExitError extends Error {
  override name = 'RerunExitError';
}

/**
 * Why a failed run must not be re-run for a timeline, or undefined when it may be. A crash the runner had
 * to stop ('runner:worker': it ended its thread; 'runner:watchdog': it hung; 'runner:heap': it ran out of
 * memory) would only do it again: in this process it could end the CLI, and on a thread it would cost its
 * whole budget again for a timeline that ends where the run stopped.
 */
export function notRerunnable(row: RunRow): string | undefined {
  const check = row.failure?.check;
  if (row.verdict !== 'crash' || check === undefined) return undefined;
  if (check === 'runner:worker') return `its run ended the worker thread running it (${row.failure!.message}), so it is not re-run`;
  if (check === 'runner:watchdog') return 'its run hung (the watchdog stopped it), so it is not re-run';
  if (check === 'runner:heap') return 'its run exceeded the heap limit, so it is not re-run';
  return undefined;
}

/**
 * Runs `fn` (a re-run) with process.exit turned into a thrown RerunExitError; resolves or rejects with its
 * outcome. Re-runs must not overlap (the report re-runs one seed at a time).
 */
export async function guardedRerun<T>(fn: () => Promise<T>): Promise<T> {
  const exit = process.exit;
  process.exit = ((code?: number | string | null) => {
    throw new RerunExitError(`the re-run called process.exit(${code ?? ''})`);
  }) as typeof process.exit;
  try {
    return await fn();
  } finally {
    process.exit = exit;
  }
}

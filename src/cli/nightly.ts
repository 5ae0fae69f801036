/**
 * `syncbench nightly`: a sweep over seeds never run before, every night (TigerBeetle runs its simulator on
 * fresh seeds all the time; a fixed seed range finds each bug once and then nothing new).
 *
 * The range is derived from the CI run number (`--run N`, else $GITHUB_RUN_NUMBER) or, without one, from
 * the UTC date (days since 2026-01-01): run n sweeps seeds BASE + n * size .. BASE + (n + 1) * size - 1, so
 * consecutive nights never overlap and any night can be re-run exactly. Every failure becomes a corpus
 * entry in `<report>/corpus-candidates.json`; once the bug is fixed, its entries go into
 * `corpus/regressions.json`, which `npm test` replays, so a bug found once stays found.
 */
import path from 'node:path';
import { emptyCorpus, writeCorpus, type CorpusEntry } from '../runner/corpus.ts';
import type { ResultsFile } from '../runner/results.ts';
import { SEED_MAX } from '../sim/rng.ts';
import { runCommand } from './run.ts';
import { NIGHTLY_SIZE } from './defaults.ts';
import { UsageError, intArg } from './usage.ts';

/** First seed of night 0: far above the seeds tests and examples use. */
export const NIGHTLY_BASE = 1_000_000;
const DAY0_MS = Date.UTC(2026, 0, 1);

/** The run number: --run, else $GITHUB_RUN_NUMBER, else days since 2026-01-01 (UTC) of --date or today. */
export function nightNumber(o: { run?: unknown; date?: unknown }, env: NodeJS.ProcessEnv, nowMs: number): { n: number; from: string } {
  // An empty --run is a mistake; an empty GITHUB_RUN_NUMBER counts as unset (a variable cleared with `X=`).
  const given = o.run !== undefined ? { run: String(o.run), from: '--run' } : env.GITHUB_RUN_NUMBER !== undefined && env.GITHUB_RUN_NUMBER !== '' ? { run: env.GITHUB_RUN_NUMBER, from: 'GITHUB_RUN_NUMBER' } : null;
  if (given !== null) {
    // Digits only: Number() would take '' and ' ' for 0, and '1e3' or '0x10' for numbers nobody typed.
    const n = /^[0-9]+$/.test(given.run) ? Number(given.run) : NaN;
    if (!Number.isSafeInteger(n)) throw new UsageError(`${given.from}: run number '${given.run}' must be an integer >= 0`);
    return { n, from: given.from };
  }
  let ms = nowMs;
  if (o.date !== undefined) {
    const date = String(o.date);
    ms = Date.parse(`${date}T00:00:00Z`);
    // Date.parse takes 2026-02-30 for March 2: the date must come back unchanged.
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== date) throw new UsageError(`--date '${date}' is not a date YYYY-MM-DD`);
  }
  const n = Math.floor((ms - DAY0_MS) / 86_400_000);
  if (n < 0) throw new UsageError(`the date is before 2026-01-01; give --run N`);
  return { n, from: `date ${new Date(DAY0_MS + n * 86_400_000).toISOString().slice(0, 10)}` };
}

/** The seeds of night `n` with `size` seeds a night; a range past the largest seed is a UsageError naming where n came from. */
export function nightSeeds(n: number, from: string, size: number): { first: number; last: number } {
  const maxN = Math.floor((SEED_MAX - NIGHTLY_BASE + 1) / size) - 1;
  if (n > maxN) throw new UsageError(`${from}: run number ${n} with --size ${size} would sweep seeds past the largest seed ${SEED_MAX}; the largest run number for this size is ${maxN}`);
  const first = NIGHTLY_BASE + n * size;
  return { first, last: first + size - 1 };
}

/** The corpus entries of a sweep's failures. */
export function failureEntries(file: ResultsFile, found: string): CorpusEntry[] {
  return file.runs
    .filter((r) => r.verdict !== 'pass')
    .map((r) => ({
      scenario: r.scenario,
      seed: r.seed,
      ...(r.variant !== '' ? { variant: r.variant } : {}),
      why: `${found}: ${r.verdict} (${r.failure?.check ?? '?'}: ${(r.failure?.message ?? '').slice(0, 200)}) - say what was fixed`,
    }));
}

/** Runs the `nightly` command. */
export async function nightlyCommand(targets: string[], o: Record<string, unknown>): Promise<void> {
  const size = intArg('size', o.size, 1, 1_000_000) ?? NIGHTLY_SIZE;
  const { n, from } = nightNumber(o, process.env, Date.now());
  const { first, last } = nightSeeds(n, from, size);
  const report = typeof o.report === 'string' ? o.report : 'reports/nightly';
  const sweep = targets.length > 0 ? targets : ['ci', 'nightly'];
  process.stdout.write(`nightly: run ${n} (${from}): fresh seeds ${first}..${last} of ${sweep.join(' ')}\n`);
  const file = await runCommand(sweep, { ...o, seeds: `${first}..${last}`, report });
  const entries = failureEntries(file, `nightly run ${n}, seeds ${first}..${last}`);
  if (entries.length === 0) return;
  const out = path.join(report, 'corpus-candidates.json');
  writeCorpus(out, { ...emptyCorpus(), entries });
  process.stdout.write(`nightly: ${entries.length} failing run(s) written to ${out}: fix each bug, then add its entry to corpus/regressions.json (npm test replays it)\n`);
}

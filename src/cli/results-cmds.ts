/** `syncbench merge` and `syncbench coverage`: work on results files written by `run --report`. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeReport } from '../report/write.ts';
import { coverageReport, coverageText } from '../runner/coverage.ts';
import { IsolatedRunner } from '../runner/isolated.ts';
import { mergeResults, readResults, type ResultsFile } from '../runner/results.ts';
import { summaryText } from '../runner/summary.ts';
import { exitCodeOfRuns } from '../runner/sweep.ts';
import { loadScenarios } from '../scenario/registry.ts';
import type { Scenario } from '../scenario/types.ts';
import { DEFAULT_REPORT_DIR } from './defaults.ts';
import { asUsage, checkOutDir, pathArg, scenariosDir } from './usage.ts';

/** Default folder `merge` writes to. */
export const DEFAULT_MERGE_DIR = 'reports/merged';

/** The results file of a report folder, or the file itself when given a file. */
export function resultsPath(dirOrFile: string): string {
  if (existsSync(dirOrFile) && statSync(dirOrFile).isFile()) return dirOrFile;
  return path.join(dirOrFile, 'results.json');
}

/** Loads the results file of argument `what`; a blank path is refused (it would read ./results.json). */
function load(what: string, dirOrFile: string): Promise<ResultsFile> {
  pathArg(what, dirOrFile, 'give a report folder or a results.json file');
  return asUsage(() => readResults(resultsPath(dirOrFile)));
}

/** Loads the scenarios for timelines; null (with a reason) when they cannot be loaded. */
async function scenariosForTimelines(o: Record<string, unknown>): Promise<Map<string, Scenario> | undefined> {
  try {
    return new Map((await loadScenarios(scenariosDir(o))).map((l) => [l.scenario.name, l.scenario]));
  } catch (e) {
    process.stderr.write(`syncbench: no timelines (scenarios did not load: ${(e as Error).message})\n`);
    return undefined;
  }
}

/** `merge DIR...`: combines shard results into one report folder; exit code of the worst verdict. */
export async function mergeCommand(dirs: string[], o: Record<string, unknown>): Promise<void> {
  const files: { file: ResultsFile; where: string }[] = [];
  for (const [i, d] of dirs.entries()) files.push({ file: await load(`merge: DIR ${i + 1}`, d), where: resultsPath(d) });
  for (const { file, where } of files) {
    if (file.meta.partial === true) process.stderr.write(`syncbench: warning: ${where} is partial (its sweep was interrupted or stopped by --fail-fast): the merge does not hold every planned run\n`);
  }
  const merged = await asUsage(() => mergeResults(files));
  const out = typeof o.out === 'string' ? o.out : DEFAULT_MERGE_DIR;
  checkOutDir('--out', out);
  const scenarios = o.timelines === false ? undefined : await scenariosForTimelines(o);
  // Timelines re-run failing seeds: on a watched thread, as every run (a seed that hangs here does not hang merge).
  const rerunner = scenarios === undefined ? null : new IsolatedRunner(scenarios, scenariosDir(o));
  const written = await writeReport(out, merged, { scenarios, rerun: rerunner?.run }).finally(() => rerunner?.close());
  process.stdout.write(`${summaryText(merged, merged.runs.reduce((s, r) => s + r.wallMs, 0), 20, undefined, scenarios).join('\n')}\n`);
  process.stdout.write(`merged ${files.length} results files (shards ${merged.meta.shards.join(', ')}) into ${written.index}\n`);
  const missing = missingShards(merged.meta.shards);
  if (missing.length > 0) process.stderr.write(`syncbench: warning: shards ${missing.join(', ')} are missing from the merge\n`);
  process.exitCode = exitCodeOfRuns(merged.runs);
}

/** Shards `i/n` absent from a list that names some shards of n. */
export function missingShards(shards: readonly string[]): string[] {
  const byCount = new Map<number, Set<number>>();
  for (const s of shards) {
    const [i, n] = s.split('/').map(Number);
    if (i === undefined || n === undefined || !Number.isInteger(i) || !Number.isInteger(n)) continue;
    (byCount.get(n) ?? byCount.set(n, new Set()).get(n)!).add(i);
  }
  const out: string[] = [];
  for (const [n, have] of byCount) for (let i = 1; i <= n; i++) if (!have.has(i)) out.push(`${i}/${n}`);
  return out;
}

/** `coverage [DIR]`: prints model coverage and probes of a results file. */
export async function coverageCommand(dir: string | undefined, o: Record<string, unknown>): Promise<void> {
  const file = await load('coverage: DIR', dir ?? DEFAULT_REPORT_DIR);
  const cov = coverageReport(file);
  if (o.json === true) process.stdout.write(`${JSON.stringify(cov, null, 1)}\n`);
  else process.stdout.write(`${coverageText(cov).join('\n')}\n`);
  process.exitCode = 0;
}

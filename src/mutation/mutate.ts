/**
 * `npm run mutate [-- AREA... | FILE...] [--full] [--concurrency N]`: StrykerJS over `src/impl`, each mutant
 * judged by the area's scenarios (src/mutation/judge.ts), then the score per area.
 *
 * - Areas: storage, election, peer, demo (src/mutation/areas.ts); or implementation files, each judged by
 *   its area. Default: every area.
 * - Incremental by default: results are kept in `reports/mutation/<area>/incremental.json`, and a later run
 *   re-tests only mutants in code that changed (and the tests' code is the scenarios: `--full` re-tests all).
 * - Score: killed (or timed out) over every mutant that is not listed as equivalent in
 *   `src/mutation/equivalent.json` (file, line, mutator, replacement and the reason it cannot change
 *   behaviour). Mutants that survived and are not listed are printed: each is either a gap in the checks
 *   or an equivalent mutant to list with its reason.
 * Reports: `reports/mutation/<area>/mutation.html` and `mutation.json`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from '@stryker-mutator/api/core';
import { Stryker } from '@stryker-mutator/core';
import { MUTATION_AREAS, type MutationArea } from './areas.ts';
import { readEquivalents, scoreReport, type AreaScore, type MutantRow } from './score.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function mutateArea(area: MutationArea, files: string[] | null, o: { full: boolean; concurrency: number }): Promise<AreaScore> {
  const dir = path.join(ROOT, 'reports/mutation', area.name);
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'mutation.json');
  await new Stryker({
    mutate: files ?? area.mutate,
    testRunner: 'command',
    commandRunner: { command: `node --import tsx src/mutation/judge.ts ${area.name}` },
    coverageAnalysis: 'off',
    concurrency: o.concurrency,
    incremental: true,
    force: o.full,
    incrementalFile: path.join(dir, 'incremental.json'),
    reporters: ['html', 'json', 'progress', 'clear-text'],
    htmlReporter: { fileName: path.join(dir, 'mutation.html') },
    jsonReporter: { fileName: json },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: false, reportScoreTable: true },
    // The judge is slow to start (tsx) and runs whole scenarios: give mutants room before calling a timeout.
    timeoutMS: 30_000,
    timeoutFactor: 3,
    disableTypeChecks: true,
    ignorePatterns: ['reports', 'coverage', '.scratch', '.stryker-tmp', 'test'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    logLevel: 'warn' as LogLevel,
  }).runMutationTest();
  const report = JSON.parse(readFileSync(json, 'utf8')) as { files: Record<string, { mutants: MutantRow[] }> };
  return scoreReport(area.name, report, readEquivalents());
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const at = args.indexOf('--concurrency');
  const concurrency = at >= 0 ? Number(args[at + 1]) : 2;
  const names = args.filter((a, i) => !a.startsWith('--') && !(at >= 0 && i === at + 1));
  const jobs: { area: MutationArea; files: string[] | null }[] = [];
  for (const n of names.length > 0 ? names : MUTATION_AREAS.map((a) => a.name)) {
    const byName = MUTATION_AREAS.find((a) => a.name === n);
    if (byName !== undefined) jobs.push({ area: byName, files: null });
    else {
      const m = /^src\/impl\/([^/]+)\//.exec(n);
      const owner = m === null ? undefined : MUTATION_AREAS.find((a) => a.name === m[1]);
      if (owner === undefined || !existsSync(path.join(ROOT, n))) {
        process.stderr.write(`mutate: '${n}' is neither an area (${MUTATION_AREAS.map((a) => a.name).join(', ')}) nor a file under src/impl/<area>/\n`);
        process.exit(64);
      }
      const job = jobs.find((j) => j.area === owner);
      if (job?.files != null) job.files.push(n);
      else jobs.push({ area: owner, files: [n] });
    }
  }
  const scores: AreaScore[] = [];
  for (const j of jobs) scores.push(await mutateArea(j.area, j.files, { full, concurrency }));
  for (const s of scores) {
    process.stdout.write(`\nmutation ${s.area}: ${s.killed} killed of ${s.total - s.equivalent} non-equivalent mutants = ${s.score}% (${s.equivalent} judged equivalent, ${s.survived.length} survived)\n`);
    for (const x of s.survived) process.stdout.write(`  survived ${x.file}:${x.line} ${x.mutator} -> ${x.replacement.replace(/\s+/g, ' ').slice(0, 80)}\n`);
  }
  writeFileSync(path.join(ROOT, 'reports/mutation/scores.json'), `${JSON.stringify(scores, null, 1)}\n`);
}

await main();

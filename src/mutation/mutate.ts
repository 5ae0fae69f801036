/**
 * `npm run mutate [-- AREA... | FILE...] [--full] [--concurrency N]`: StrykerJS over `src/impl`, each mutant
 * judged by the area's scenarios (src/mutation/judge.ts), then the score per area.
 *
 * - Areas: storage, election, peer, demo, provider, clientserver (src/mutation/areas.ts); or implementation files, each judged by
 *   its area. Default: every area.
 * - `--sample P` (0 < P < 1): mutate only a seeded sample of each file's 20-line chunks, a fraction P of
 *   them (`--sample-seed N`, default 1): an estimate of the score in a fraction of the time.
 * - Incremental by default: results are kept in `reports/mutation/<area>/incremental.json`, and a later run
 *   re-tests only mutants in code that changed. Stryker sees changes to `src/impl` and to test files only,
 *   while the judge's verdicts come from the checks, the simulator and the scenarios: a fingerprint of those
 *   (`judgeFingerprint`) is kept beside the results, and a run whose judge changed re-tests every mutant, as
 *   `--full` does (a result kept from before a new check would otherwise survive it).
 * - Score: killed (or timed out) over every mutant that is not listed as equivalent in
 *   `src/mutation/equivalent.json` (file, line, mutator, replacement and the reason it cannot change
 *   behaviour). Mutants that survived and are not listed are printed: each is either a gap in the checks
 *   or an equivalent mutant to list with its reason.
 * Reports: `reports/mutation/<area>/mutation.html` and `mutation.json`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from '@stryker-mutator/api/core';
import { Stryker } from '@stryker-mutator/core';
import { Rng } from '../sim/rng.ts';
import { MUTATION_AREAS, type MutationArea } from './areas.ts';
import { judgeFingerprint } from './fingerprint.ts';
import { readEquivalents, scoreReport, type AreaScore, type MutantRow } from './score.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Lines per sampled chunk. */
const CHUNK_LINES = 20;

/** `file:a-b` ranges covering a seeded fraction `p` of the 20-line chunks of each file. */
export function sampleRanges(files: readonly string[], p: number, seed: number): string[] {
  const rng = new Rng(seed).fork('mutation-sample');
  const out: string[] = [];
  for (const f of files) {
    const lines = readFileSync(path.join(ROOT, f), 'utf8').split('\n').length;
    for (let a = 1; a <= lines; a += CHUNK_LINES) if (rng.float() < p) out.push(`${f}:${a}-${Math.min(lines, a + CHUNK_LINES - 1)}`);
  }
  return out;
}

/** True for a mutant at `file:line` inside one of the `file:a-b` ranges. */
export function inRanges(ranges: readonly string[]): (file: string, line: number) => boolean {
  const parsed = ranges.map((r) => {
    const m = /^(.*):(\d+)-(\d+)$/.exec(r)!;
    return { file: m[1]!, a: Number(m[2]), b: Number(m[3]) };
  });
  return (file, line) => parsed.some((r) => r.file === file && line >= r.a && line <= r.b);
}

/** The files an area mutates (its globs expanded). */
function areaFiles(area: MutationArea): string[] {
  const dir = area.mutate[0]!.replace('/**/*.ts', '');
  const skip = new Set(area.mutate.slice(1).map((g) => g.replace(/^!.*\//, '')));
  return readdirSync(path.join(ROOT, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !skip.has(path.basename(f)))
    .map((f) => path.join(dir, f))
    .sort();
}

async function mutateArea(area: MutationArea, files: string[] | null, o: { full: boolean; concurrency: number; sample: number | null; sampleSeed: number }): Promise<AreaScore> {
  process.env.SYNCBENCH_MUTATE_AREA = area.name; // read by the judge's test file in every worker
  const dir = path.join(ROOT, 'reports/mutation', area.name);
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'mutation.json');
  const ranges = o.sample === null ? null : sampleRanges(files ?? areaFiles(area), o.sample, o.sampleSeed);
  const fingerprintFile = path.join(dir, 'judge.sha256');
  const fingerprint = judgeFingerprint(ROOT);
  const judgeChanged = existsSync(path.join(dir, 'incremental.json')) && (!existsSync(fingerprintFile) || readFileSync(fingerprintFile, 'utf8').trim() !== fingerprint);
  if (judgeChanged && !o.full) {
    process.stdout.write(`mutate ${area.name}: the checks, simulator or scenarios changed since the kept results: every mutant is tested again (as --full)\n`);
  }
  await new Stryker({
    mutate: ranges ?? files ?? area.mutate,
    // The judge as vitest tests, one per (scenario, seed): with per-test coverage each mutant is judged by
    // the scenario runs that execute it (and one no run executes is reported NoCoverage).
    testRunner: 'vitest',
    // The judge imports the implementation through the scenario modules it loads at run time: not 'related'.
    vitest: { configFile: 'vitest.mutation.config.ts', related: false },
    coverageAnalysis: 'perTest',
    concurrency: o.concurrency,
    incremental: true,
    force: o.full || judgeChanged,
    incrementalFile: path.join(dir, 'incremental.json'),
    reporters: ['html', 'json', 'progress', 'clear-text'],
    htmlReporter: { fileName: path.join(dir, 'mutation.html') },
    jsonReporter: { fileName: json },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: false, reportScoreTable: true },
    // The judge is slow to start (tsx) and runs whole scenarios: give mutants room before calling a timeout.
    timeoutMS: 30_000,
    timeoutFactor: 3,
    disableTypeChecks: true,
    // test/ is copied: the area's unit tests judge too (src/mutation/areas.ts).
    ignorePatterns: ['reports', 'coverage', '.scratch', '.stryker-tmp'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    logLevel: 'warn' as LogLevel,
  }).runMutationTest();
  writeFileSync(fingerprintFile, `${fingerprint}\n`);
  const report = JSON.parse(readFileSync(json, 'utf8')) as { files: Record<string, { mutants: MutantRow[] }> };
  // A sampled run scores only the sampled chunks: the report also carries results the incremental file
  // kept from earlier runs for the rest of the area.
  return scoreReport(area.name, report, readEquivalents(), ranges === null ? undefined : inRanges(ranges));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const concurrency = Number(value('--concurrency') ?? 2);
  const sample = value('--sample') === undefined ? null : Number(value('--sample'));
  const sampleSeed = Number(value('--sample-seed') ?? 1);
  if (!(Number.isInteger(concurrency) && concurrency >= 1) || (sample !== null && !(sample > 0 && sample < 1)) || !Number.isInteger(sampleSeed)) {
    process.stderr.write('mutate: --concurrency must be an integer >= 1, --sample a fraction in (0, 1), --sample-seed an integer\n');
    process.exit(64);
  }
  const valued = new Set(['--concurrency', '--sample', '--sample-seed']);
  const names = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
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
  for (const j of jobs) scores.push(await mutateArea(j.area, j.files, { full, concurrency, sample, sampleSeed }));
  for (const s of scores) {
    process.stdout.write(`\nmutation ${s.area}: ${s.killed} killed of ${s.total - s.equivalent} non-equivalent mutants = ${s.score}% (${s.equivalent} judged equivalent, ${s.survived.length} survived)\n`);
    for (const x of s.survived) process.stdout.write(`  survived ${x.file}:${x.line} ${x.mutator} -> ${x.replacement.replace(/\s+/g, ' ').slice(0, 80)}\n`);
  }
  writeFileSync(path.join(ROOT, 'reports/mutation/scores.json'), `${JSON.stringify(scores, null, 1)}\n`);
}

await main();

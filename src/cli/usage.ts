/** Errors in what the user asked for (exit code 64), and helpers that turn bad input into them. */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunLimits } from '../runner/isolated.ts';
import { ScenarioError, SCENARIOS_DIR, loadScenarios, resolveTargets, type LoadedScenario } from '../scenario/registry.ts';
import type { Scenario } from '../scenario/types.ts';
import { checkVariant, variantAreasOf, variantMismatch } from '../scenario/variants.ts';
import { CorpusError, readCorpus, type CorpusFile } from '../runner/corpus.ts';
import { ResultsError } from '../runner/results.ts';
import { ShardError, parseShard, type Shard } from '../runner/shard.ts';
import { SeedError, parseSeed, parseSeedRange } from '../sim/rng.ts';

/** A usage error: printed as `syncbench: <message>`, exit code 64. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs `fn`, turning seed, shard, scenario, results-file and variant errors into UsageError. */
export async function asUsage<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SeedError || e instanceof ScenarioError || e instanceof ShardError || e instanceof ResultsError || e instanceof CorpusError) throw new UsageError(e.message);
    if (e instanceof RangeError) throw new UsageError(e.message);
    if (e instanceof Error && e.message.startsWith('unknown variant')) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * `value`, a path the user gave with `what` (an option, an argument or an environment variable); a blank
 * path is a UsageError naming `what` and saying what to `give` (it would otherwise mean the current folder,
 * or fail later with a bare ENOENT).
 */
export function pathArg(what: string, value: string, give: string): string {
  if (value.trim() === '') throw new UsageError(`${what}: the path is empty (${give})`);
  return value;
}

/** The scenarios folder: `--scenarios-dir`, else $SYNCBENCH_SCENARIOS, else the project's scenarios/. */
export function scenariosDir(o: Record<string, unknown>): string {
  if (typeof o.scenariosDir === 'string') return o.scenariosDir;
  const env = process.env.SYNCBENCH_SCENARIOS;
  if (env === undefined) return SCENARIOS_DIR;
  return pathArg('SYNCBENCH_SCENARIOS', env, 'name a scenarios folder, or unset it for the default scenarios/');
}

/** Loads the scenarios (a broken scenario module is a usage error naming the file and field). */
export function loadAll(dir: string = SCENARIOS_DIR): Promise<LoadedScenario[]> {
  return asUsage(() => loadScenarios(dir));
}

/** A resolved run request. */
export interface RunRequest {
  scenarios: Scenario[];
  from: number;
  to: number;
  variant: string;
  shard: Shard | undefined;
}

/** Resolves targets, seeds, shard and variant, or throws a UsageError naming what is wrong. */
export async function resolveRun(
  targets: string[],
  seeds: string,
  variant: string | undefined,
  dir: string = SCENARIOS_DIR,
  shard?: string,
): Promise<RunRequest> {
  const all = await loadAll(dir);
  return asUsage(async () => {
    const scenarios = resolveTargets(all, targets.length > 0 ? targets : ['default']);
    const { from, to } = parseSeedRange(seeds);
    const own = await moduleVariants(all.filter((l) => scenarios.includes(l.scenario)));
    if (!own.includes(variant ?? '')) {
      checkVariant(variant ?? '');
      warnVariantMismatch(variant ?? '', scenarios, all);
    }
    return { scenarios, from, to, variant: variant ?? '', shard: shard === undefined ? undefined : parseShard(shard) };
  });
}

/**
 * The names of the weakened variants the modules of `loaded` declare themselves (`export const variants`,
 * each `{name, area, description}`): variants of code outside the project's implementation, such as an
 * example's adapter of a published library (examples/), which `--variant` accepts for those scenarios.
 */
async function moduleVariants(loaded: readonly LoadedScenario[]): Promise<string[]> {
  const names: string[] = [];
  for (const file of new Set(loaded.map((l) => l.file))) {
    const mod = (await import(pathToFileURL(file).href)) as { variants?: unknown };
    if (!Array.isArray(mod.variants)) continue;
    for (const v of mod.variants as unknown[]) if (typeof (v as { name?: unknown })?.name === 'string') names.push((v as { name: string }).name);
  }
  return names;
}

/** Reads the corpus file of `option` to run its entries: a blank path, a bad file or no entries is a UsageError. */
export async function corpusArg(option: string, file: string, knownScenarios?: ReadonlySet<string>): Promise<CorpusFile> {
  const corpus = await asUsage(() => readCorpus(pathArg(option, file, 'give a corpus file'), knownScenarios));
  if (corpus.entries.length === 0) throw new UsageError(`${file}: the corpus has no entries`);
  return corpus;
}

/** Parses one seed or throws UsageError. */
export function seedArg(text: string): Promise<number> {
  return asUsage(() => parseSeed(text));
}

/** Parses a positive integer option or throws UsageError naming it. */
export function intArg(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} '${String(v)}' must be an integer ${min}..${max}`);
  return n;
}

/**
 * Checks, before any work, that `dir` can be the folder a command writes into: it is a folder or does not
 * exist yet, and its nearest existing ancestor is a folder. Throws UsageError naming the option.
 */
export function checkOutDir(option: string, dir: string): void {
  // An empty path would resolve to the current folder and scatter report files there.
  pathArg(option, dir, 'give a folder to write the report into');
  const full = path.resolve(dir);
  if (existsSync(full) && !statSync(full).isDirectory()) throw new UsageError(`${option} ${dir}: is a file, not a folder (give a folder to write the report into)`);
  nearestFolder(option, dir, full);
  // Created and write-tested now, before any run: a folder that cannot be written fails here, not after the
  // sweep (where every finished run would be lost).
  try {
    // One level at a time: Node's recursive mkdir never returns for some paths (e.g. under /proc).
    const missing: string[] = [];
    for (let d = full; !existsSync(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) mkdirSync(d);
    const probe = path.join(full, `.syncbench-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new UsageError(`${option} ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The nearest existing folder above `full` (`shown` as the user gave it); UsageError when that is a file. */
function nearestFolder(option: string, shown: string, full: string): string {
  let up = path.dirname(full);
  while (!existsSync(up)) up = path.dirname(up);
  if (!statSync(up).isDirectory()) throw new UsageError(`${option} ${shown}: ${up} is a file, not a folder`);
  return up;
}

/**
 * Checks, before any work, that `file` can be written: the path is not blank, it is not a folder, and its
 * folder exists (with `makesFolders`, for writers that create missing folders: the nearest existing one
 * above it is a folder).
 */
export function checkOutFile(option: string, file: string, makesFolders = false): void {
  pathArg(option, file, 'give a file to write');
  const full = path.resolve(file);
  const dir = path.dirname(full);
  if (makesFolders) nearestFolder(option, file, full);
  else if (!existsSync(dir)) throw new UsageError(`${option} ${file}: folder ${dir} does not exist`);
  else if (!statSync(dir).isDirectory()) throw new UsageError(`${option} ${file}: ${dir} is not a folder`);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`${option} ${file}: is a folder, not a file`);
}

/** The --run-timeout and --max-heap options of commands that run seeds on threads. */
export function runLimits(o: Record<string, unknown>): RunLimits {
  return { runTimeoutS: intArg('run-timeout', o.runTimeout, 1, 86_400), heapMb: intArg('max-heap', o.maxHeap, 64, 1_048_576) };
}

/** Warns (stderr) about each scenario the variant does not apply to; when it applies to none, says so once. */
function warnVariantMismatch(variant: string, scenarios: readonly Scenario[], all: readonly LoadedScenario[]): void {
  if (variant === '') return;
  const fileOf = new Map(all.map((l) => [l.scenario, path.resolve(l.file)]));
  const misses = scenarios.map((s) => variantMismatch(variant, s.name, variantAreasOf(s, fileOf.get(s), path.resolve(SCENARIOS_DIR)))).filter((m) => m !== null);
  if (misses.length === 0) return;
  if (misses.length === scenarios.length && scenarios.length > 1) {
    process.stderr.write(`syncbench: warning: variant ${variant} applies to none of the ${scenarios.length} scenarios asked for: every run is of the real implementation\n`);
    return;
  }
  for (const m of misses.slice(0, 5)) process.stderr.write(`syncbench: warning: ${m}\n`);
  if (misses.length > 5) process.stderr.write(`syncbench: warning: ... and ${misses.length - 5} more scenarios the variant does not apply to\n`);
}

/**
 * Corpora: runs worth keeping, as data. An entry names a scenario, a seed and what makes the run special
 * (a variant, a fault plan that replaces the scenario's, a workload scale), and the verdict it must give.
 * Two kinds of corpora use the same file format:
 * - regressions (`corpus/regressions.json`, replayed by `npm test`): every failure a sweep ever found,
 *   expected to pass now that it is fixed, so a bug found once stays found;
 * - exploration corpora (`syncbench explore` writes them): seeds and plans that added model coverage,
 *   replayed by `syncbench run --corpus FILE` to reach the same coverage again.
 *
 * File: `{"format": "syncbench-corpus", "version": 1, "entries": [Entry...]}` (docs/runner.md).
 */
import { readFileSync } from 'node:fs';
import { parsePlan, type FaultPlan } from '../faults/plan.ts';
import type { RunResult, Verdict } from '../scenario/types.ts';
import { checkVariant } from '../scenario/variants.ts';
import { writeAtomic } from './atomic.ts';
import type { Job } from './shard.ts';

/** Format tag of corpus files. */
export const CORPUS_FORMAT = 'syncbench-corpus';
/** Current corpus file version. */
export const CORPUS_VERSION = 1;

/** One kept run. */
export interface CorpusEntry {
  scenario: string;
  seed: number;
  /** Weakened variant ('' or absent: the real implementation). */
  variant?: string;
  /** A fault plan replacing the scenario's (guided exploration, shrinking). */
  faults?: FaultPlan;
  /** Workload scale in (0, 1] (shrinking). */
  workloadScale?: number;
  /** The verdict the run must give (default 'pass'). */
  expect?: Verdict;
  /** With a failing `expect`: the check that must fail (e.g. 'invariant:atomic-batch'). */
  check?: string;
  /** Why it is kept: the bug it found and where it was fixed, or the coverage it added. */
  why: string;
}

/** A corpus file. */
export interface CorpusFile {
  format: typeof CORPUS_FORMAT;
  version: typeof CORPUS_VERSION;
  entries: CorpusEntry[];
}

/** A corpus file is missing or malformed (a usage error). */
export class CorpusError extends Error {
  override name = 'CorpusError';
}

const VERDICTS: ReadonlySet<string> = new Set(['pass', 'correctness', 'liveness', 'crash']);

function bad(where: string, what: string): never {
  throw new CorpusError(`${where}: ${what}`);
}

/** Validates parsed JSON as a corpus; throws CorpusError naming the file and the field. */
export function parseCorpus(json: unknown, where: string, knownScenarios?: ReadonlySet<string>): CorpusFile {
  const f = json as Partial<CorpusFile> | null;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) bad(where, 'is not a JSON object');
  if (f.format !== CORPUS_FORMAT) bad(where, `format is ${JSON.stringify(f.format)}, expected '${CORPUS_FORMAT}' (not a syncbench corpus)`);
  if (f.version !== CORPUS_VERSION) bad(where, `version ${String(f.version)} is not supported (expected ${CORPUS_VERSION})`);
  if (!Array.isArray(f.entries)) bad(where, 'entries is not a list');
  const entries = f.entries.map((e: unknown, i) => parseEntry(e, `${where}: entries[${i}]`, knownScenarios));
  return { format: CORPUS_FORMAT, version: CORPUS_VERSION, entries };
}

function parseEntry(e: unknown, at: string, known?: ReadonlySet<string>): CorpusEntry {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) bad(at, 'is not an object');
  const o = e as Record<string, unknown>;
  if (typeof o.scenario !== 'string' || o.scenario === '') bad(at, 'scenario must be a scenario name');
  if (known !== undefined && !known.has(o.scenario)) bad(at, `unknown scenario '${o.scenario}'`);
  if (!(typeof o.seed === 'number' && Number.isSafeInteger(o.seed) && o.seed >= 0)) bad(at, `seed must be an integer 0..2^53-1, got ${JSON.stringify(o.seed)}`);
  if (o.variant !== undefined && typeof o.variant !== 'string') bad(at, 'variant must be a string');
  try {
    checkVariant(o.variant ?? '');
  } catch (err) {
    bad(at, (err as Error).message);
  }
  if (o.workloadScale !== undefined && !(typeof o.workloadScale === 'number' && o.workloadScale > 0 && o.workloadScale <= 1)) bad(at, 'workloadScale must be in (0, 1]');
  if (o.expect !== undefined && !VERDICTS.has(o.expect as string)) bad(at, `expect must be one of ${[...VERDICTS].join(', ')}`);
  if (o.check !== undefined && typeof o.check !== 'string') bad(at, 'check must be a check name');
  if (o.check !== undefined && (o.expect ?? 'pass') === 'pass') bad(at, 'check is only meaningful with a failing expect');
  if (typeof o.why !== 'string' || o.why.trim() === '') bad(at, 'why must say why the run is kept');
  let faults: FaultPlan | undefined;
  if (o.faults !== undefined) {
    try {
      faults = parsePlan(JSON.stringify(o.faults));
    } catch (err) {
      bad(at, `faults: ${(err as Error).message}`);
    }
  }
  const entry: CorpusEntry = { scenario: o.scenario, seed: o.seed, why: o.why };
  if (typeof o.variant === 'string' && o.variant !== '') entry.variant = o.variant;
  if (faults !== undefined) entry.faults = faults;
  if (typeof o.workloadScale === 'number' && o.workloadScale !== 1) entry.workloadScale = o.workloadScale;
  if (o.expect !== undefined && o.expect !== 'pass') entry.expect = o.expect as Verdict;
  if (typeof o.check === 'string') entry.check = o.check;
  return entry;
}

/** Reads and validates a corpus file. */
export function readCorpus(path: string, knownScenarios?: ReadonlySet<string>): CorpusFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CorpusError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CorpusError(`${path}: corrupt corpus file (not valid JSON: ${(e as Error).message})`);
  }
  return parseCorpus(json, path, knownScenarios);
}

/** Writes a corpus atomically, one entry per line. */
export function writeCorpus(path: string, corpus: CorpusFile): void {
  const body = corpus.entries.map((e) => `  ${JSON.stringify(e)}`).join(',\n');
  writeAtomic(path, `{"format":"${CORPUS_FORMAT}","version":${CORPUS_VERSION},"entries":[\n${body}\n]}\n`);
}

/** An empty corpus. */
export function emptyCorpus(): CorpusFile {
  return { format: CORPUS_FORMAT, version: CORPUS_VERSION, entries: [] };
}

/** The jobs that replay a corpus, in file order. */
export function corpusJobs(corpus: CorpusFile): Job[] {
  return corpus.entries.map((e) => ({
    scenario: e.scenario,
    seed: e.seed,
    variant: e.variant ?? '',
    ...(e.faults === undefined ? {} : { faults: e.faults }),
    ...(e.workloadScale === undefined ? {} : { workloadScale: e.workloadScale }),
  }));
}

/** Why `r` does not meet `entry`'s expectation, or null when it does. */
export function expectationMismatch(entry: CorpusEntry, r: Pick<RunResult, 'verdict' | 'failure'>): string | null {
  const want = entry.expect ?? 'pass';
  if (r.verdict !== want) {
    const got = r.failure === null ? r.verdict : `${r.verdict} (${r.failure.check}: ${r.failure.message})`;
    return `expected ${want}${entry.check !== undefined ? ` (${entry.check})` : ''}, got ${got}`;
  }
  if (entry.check !== undefined && r.failure?.check !== entry.check) return `expected check ${entry.check} to fail, but ${r.failure?.check ?? 'nothing'} failed`;
  return null;
}

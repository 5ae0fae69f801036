/**
 * The results file (`results.json`): every run of a sweep as one slim row, plus per-scenario aggregates
 * (model coverage, probe hits, injected faults) and the full graph of every model. It is self-contained
 * (coverage and reports need no scenario code) and mergeable: shards of one sweep combine into one file
 * with `mergeResults`, which refuses overlapping runs instead of counting them twice.
 */
import { readFileSync } from 'node:fs';
import { mergeCoverage, type ModelCoverage } from '../model/monitor.ts';
import type { RunResult, Verdict } from '../scenario/types.ts';
import { SEED_MAX } from '../sim/rng.ts';
import type { Failure } from '../sim/types.ts';
import { writeAtomic } from './atomic.ts';

/** Format tag and version written into every results file. */
export const RESULTS_FORMAT = 'syncbench-results';
/** Current results file version. */
export const RESULTS_VERSION = 1;

/** One run, without its per-run coverage (that is aggregated per scenario). */
export interface RunRow {
  scenario: string;
  seed: number;
  variant: string;
  verdict: Verdict;
  events: number;
  traceRecords: number;
  simTimeUs: number;
  wallMs: number;
  traceHash: string;
  faultSummary: string;
  /** Set for failed runs only. */
  failure?: Failure;
  /** The exact replay command (failed runs only). */
  replay?: string;
}

/** The graph of one model (from @xstate/graph) and its initial state. */
export interface ModelInfo {
  initial: string;
  states: string[];
  transitions: string[];
  /** Names of the model's guards (absent in files of older versions). */
  guards?: string[];
}

/** Aggregates of one scenario over every run in the file. */
export interface ScenarioAggregate {
  suites: string[];
  /** Names of the models watching it. */
  models: string[];
  /** Probes the scenario declares it should reach. */
  probesDeclared: string[];
  /** Probe -> hits. */
  probes: Record<string, number>;
  /** Fault kind -> injections. */
  faults: Record<string, number>;
  /** Summed model coverage. */
  coverage: ModelCoverage[];
  /** Invariant -> times its check evaluated it on real input (0: it never did; see Check.covers). */
  exercised?: Record<string, number>;
}

/** What was asked for. */
export interface SweepMeta {
  targets: string[];
  from: number;
  to: number;
  variant: string;
  /** Shards this file covers, e.g. ['1/4', '3/4']; ['1/1'] for an unsharded sweep. */
  shards: string[];
  /** Set when the sweep stopped before every planned run finished (interrupted, or --fail-fast). */
  partial?: boolean;
}

/** The whole results file. */
export interface ResultsFile {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  meta: SweepMeta;
  runs: RunRow[];
  scenarios: Record<string, ScenarioAggregate>;
  models: Record<string, ModelInfo>;
}

/** A results file is missing, corrupt, or not mergeable with another. */
export class ResultsError extends Error {
  override name = 'ResultsError';
}

/** Static facts about a scenario that the aggregate needs. */
export interface ScenarioFacts {
  name: string;
  suites: string[];
  models: string[];
  probesDeclared: string[];
}

/** An empty results file for a sweep. */
export function emptyResults(meta: SweepMeta, facts: readonly ScenarioFacts[], models: Record<string, ModelInfo>): ResultsFile {
  const scenarios: Record<string, ScenarioAggregate> = {};
  for (const f of facts) {
    scenarios[f.name] = { suites: [...f.suites], models: [...f.models], probesDeclared: [...f.probesDeclared], probes: {}, faults: {}, coverage: [], exercised: {} };
  }
  return { format: RESULTS_FORMAT, version: RESULTS_VERSION, meta, runs: [], scenarios, models };
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function addCoverage(into: ModelCoverage[], from: readonly ModelCoverage[]): void {
  for (const c of from) {
    const have = into.find((x) => x.model === c.model);
    if (have === undefined) into.push(mergeCoverage({ model: c.model, states: {}, transitions: {}, stateFaults: {}, guards: {} }, c));
    else mergeCoverage(have, c);
  }
}

/** The slim row of a run. */
export function rowOf(r: RunResult): RunRow {
  const row: RunRow = {
    scenario: r.scenario,
    seed: r.seed,
    variant: r.variant,
    verdict: r.verdict,
    events: r.events,
    traceRecords: r.traceRecords,
    simTimeUs: r.simTimeUs,
    wallMs: Math.round(r.wallMs * 100) / 100,
    traceHash: r.traceHash,
    faultSummary: r.faultSummary,
  };
  if (r.failure !== null) {
    row.failure = r.failure;
    row.replay = r.replay;
  }
  return row;
}

/** Adds one run to the file (its row and its aggregates). */
export function addRun(file: ResultsFile, r: RunResult): void {
  file.runs.push(rowOf(r));
  const agg = (file.scenarios[r.scenario] ??= { suites: [], models: [], probesDeclared: [], probes: {}, faults: {}, coverage: [] });
  addCounts(agg.probes, r.probes);
  addCounts(agg.faults, r.faults);
  addCoverage(agg.coverage, r.coverage);
  addCounts((agg.exercised ??= {}), r.exercised);
}

/** Sorts runs by (scenario, seed): the file's content does not depend on worker timing. */
export function sortRuns(file: ResultsFile): void {
  // The trace hash breaks ties between runs of one (scenario, seed) with different plans (corpus replays).
  file.runs.sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : a.seed - b.seed || (a.traceHash < b.traceHash ? -1 : a.traceHash > b.traceHash ? 1 : 0)));
}

/** Writes the file atomically (compact, one run per line, so diffs and greps stay readable). */
export function writeResults(path: string, file: ResultsFile): void {
  const { runs, ...head } = file;
  const body = runs.map((r) => JSON.stringify(r)).join(',\n');
  const text = `${JSON.stringify(head).slice(0, -1)},"runs":[\n${body}\n]}\n`;
  writeAtomic(path, text);
}

const VERDICTS = new Set(['pass', 'correctness', 'liveness', 'crash']);

/** True for a valid seed: an integer 0..SEED_MAX. */
const isSeed = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= SEED_MAX;

function check(cond: boolean, where: string, what: string): asserts cond {
  if (!cond) throw new ResultsError(`${where}: ${what}`);
}

/** Validates parsed JSON as a results file; throws ResultsError naming the file and the field. */
export function parseResults(json: unknown, where: string): ResultsFile {
  const f = json as Partial<ResultsFile> | null;
  check(typeof f === 'object' && f !== null, where, 'is not a JSON object');
  check(f.format === RESULTS_FORMAT, where, `format is ${JSON.stringify(f.format)}, expected '${RESULTS_FORMAT}' (not a syncbench results file)`);
  check(f.version === RESULTS_VERSION, where, `version ${String(f.version)} is not supported (expected ${RESULTS_VERSION})`);
  const m = f.meta;
  check(typeof m === 'object' && m !== null, where, 'meta is missing');
  check(Array.isArray(m.targets) && Number.isInteger(m.from) && Number.isInteger(m.to) && typeof m.variant === 'string' && Array.isArray(m.shards), where, 'meta is malformed (targets, from, to, variant, shards)');
  check(isSeed(m.from) && isSeed(m.to) && m.from <= m.to, where, `meta: seed range ${String(m.from)}..${String(m.to)} is not a range of seeds 0..${SEED_MAX}`);
  check(Array.isArray(f.runs), where, 'runs is not a list');
  f.runs.forEach((r, i) => {
    const at = `runs[${i}]`;
    check(typeof r === 'object' && r !== null, where, `${at} is not an object`);
    check(typeof r.scenario === 'string' && typeof r.seed === 'number', where, `${at}: scenario or seed is missing`);
    check(Number.isInteger(r.seed), where, `${at}.seed ${r.seed} is not an integer: a seed is an integer 0..${SEED_MAX}`);
    check(isSeed(r.seed), where, `${at}.seed ${r.seed} is out of range: a seed is an integer 0..${SEED_MAX}`);
    check(VERDICTS.has(r.verdict), where, `${at}.verdict '${String(r.verdict)}' is not a verdict`);
    check(typeof r.events === 'number' && typeof r.simTimeUs === 'number' && typeof r.traceHash === 'string', where, `${at}: events, simTimeUs or traceHash is missing`);
    for (const k of ['events', 'simTimeUs', 'wallMs'] as const) check(typeof r[k] !== 'number' || r[k] >= 0, where, `${at}: events, simTimeUs or wallMs is negative (${k} ${r[k]})`);
    for (const k of ['events', 'traceRecords'] as const) checkCount(r[k], where, `${at}.${k}`);
    check(r.verdict === 'pass' || (typeof r.failure === 'object' && r.failure !== null), where, `${at}: a failed run has no failure`);
  });
  check(isRecord(f.scenarios), where, 'scenarios is missing');
  for (const [name, a] of Object.entries(f.scenarios)) checkAggregate(a, where, `scenarios.${name}`);
  check(isRecord(f.models), where, 'models is missing');
  for (const [name, g] of Object.entries(f.models)) {
    const at = `models.${name}`;
    check(isRecord(g), where, `${at} is not an object`);
    check(typeof g.initial === 'string', where, `${at}.initial is not a state name`);
    check(isStringList(g.states), where, `${at}.states is not a list of states`);
    check(isStringList(g.transitions), where, `${at}.transitions is not a list of transitions`);
    check(g.guards === undefined || isStringList(g.guards), where, `${at}.guards is not a list of guard names`);
  }
  return f as ResultsFile;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A count (events, trace records, probe hits, injections, visits...) is an integer >= 0. */
function checkCount(v: unknown, where: string, at: string): void {
  check(v !== undefined, where, `${at} is missing`);
  check(Number.isSafeInteger(v) && (v as number) >= 0, where, `${at} ${JSON.stringify(v)} is not a count (an integer >= 0)`);
}

/** A map of counts (name -> count), naming the first entry that is not a count. */
function checkCounts(v: unknown, where: string, at: string): void {
  check(isRecord(v), where, `${at} is not a map of counts`);
  for (const [k, x] of Object.entries(v)) checkCount(x, where, `${at}[${JSON.stringify(k)}]`);
}

/** Checks one scenario aggregate field by field (merge and coverage read every one of them). */
function checkAggregate(a: unknown, where: string, at: string): void {
  check(isRecord(a), where, `${at} is not an object`);
  for (const k of ['suites', 'models', 'probesDeclared'] as const) check(isStringList(a[k]), where, `${at}.${k} is not a list of names`);
  for (const k of ['probes', 'faults'] as const) checkCounts(a[k], where, `${at}.${k}`);
  if (a.exercised !== undefined) checkCounts(a.exercised, where, `${at}.exercised`);
  check(Array.isArray(a.coverage), where, `${at}.coverage is not a list`);
  a.coverage.forEach((c: unknown, i) => {
    const ci = `${at}.coverage[${i}]`;
    check(isRecord(c), where, `${ci} is not an object`);
    check(typeof c.model === 'string', where, `${ci}.model is not a model name`);
    for (const k of ['states', 'transitions'] as const) checkCounts(c[k], where, `${ci}.${k}`);
    if (c.guards !== undefined) checkCounts(c.guards, where, `${ci}.guards`);
    check(isRecord(c.stateFaults), where, `${ci}.stateFaults is not a map of state -> fault counts`);
    for (const [state, faults] of Object.entries(c.stateFaults)) checkCounts(faults, where, `${ci}.stateFaults[${JSON.stringify(state)}]`);
  });
}

/** Reads and validates a results file; a missing, truncated or foreign file is a ResultsError. */
export function readResults(path: string): ResultsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ResultsError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`${path}: corrupt results file (not valid JSON: ${(e as Error).message})`);
  }
  return parseResults(json, path);
}

/**
 * Merges results files (shards of one sweep, or different sweeps) into a new one. The same run
 * (scenario, seed, variant) in two files is an error: its aggregates would be counted twice.
 */
export function mergeResults(files: readonly { file: ResultsFile; where: string }[]): ResultsFile {
  if (files.length === 0) throw new ResultsError('nothing to merge');
  const first = files[0]!.file;
  const meta: SweepMeta = { targets: [], from: first.meta.from, to: first.meta.to, variant: first.meta.variant, shards: [] };
  const out = emptyResults(meta, [], {});
  const seen = new Map<string, string>();
  for (const { file, where } of files) {
    for (const t of file.meta.targets) if (!meta.targets.includes(t)) meta.targets.push(t);
    for (const s of file.meta.shards) if (!meta.shards.includes(s)) meta.shards.push(s);
    if (file.meta.partial === true) meta.partial = true;
    meta.from = Math.min(meta.from, file.meta.from);
    meta.to = Math.max(meta.to, file.meta.to);
    if (file.meta.variant !== meta.variant) meta.variant = meta.variant === '' ? file.meta.variant : `${meta.variant},${file.meta.variant}`;
    for (const r of file.runs) {
      const key = `${r.scenario}\u0000${r.seed}\u0000${r.variant}`;
      const prev = seen.get(key);
      if (prev !== undefined) throw new ResultsError(`${where}: ${r.scenario} seed ${r.seed}${r.variant ? ` (${r.variant})` : ''} is also in ${prev}; shards must not overlap`);
      seen.set(key, where);
      out.runs.push(r);
    }
    for (const [name, a] of Object.entries(file.scenarios)) {
      const into = (out.scenarios[name] ??= { suites: [...a.suites], models: [...a.models], probesDeclared: [...a.probesDeclared], probes: {}, faults: {}, coverage: [] });
      for (const p of a.probesDeclared) if (!into.probesDeclared.includes(p)) into.probesDeclared.push(p);
      addCounts(into.probes, a.probes);
      addCounts(into.faults, a.faults);
      addCoverage(into.coverage, a.coverage);
      if (a.exercised !== undefined) addCounts((into.exercised ??= {}), a.exercised);
    }
    for (const [name, g] of Object.entries(file.models)) out.models[name] ??= g;
  }
  sortRuns(out);
  return out;
}

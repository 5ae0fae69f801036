/**
 * Jobs and shards: a sweep is the list of (scenario, seed) jobs, in a fixed order (scenario order as given,
 * then seeds ascending). `--shard i/n` keeps every job whose position p in that list has p mod n = i - 1,
 * so n CI machines given the same command line split one sweep without overlap or gaps, and each shard
 * gets a similar mix of scenarios.
 */

import type { FaultPlan } from '../faults/plan.ts';

/** A shard spec: this machine runs part `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Largest accepted shard count. */
export const SHARD_COUNT_MAX = 10_000;

/** A malformed shard spec. */
export class ShardError extends Error {
  override name = 'ShardError';
}

/** Parses `i/n` (1 <= i <= n <= SHARD_COUNT_MAX); throws ShardError naming what is wrong. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) throw new ShardError(`--shard '${text}' is malformed: expected i/n, e.g. 2/4`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > SHARD_COUNT_MAX) throw new ShardError(`--shard '${text}': n must be 1..${SHARD_COUNT_MAX}`);
  if (index < 1 || index > count) throw new ShardError(`--shard '${text}': i must be 1..${count}`);
  return { index, count };
}

/** Formats a shard as `i/n`. */
export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** One run to do. */
export interface Job {
  scenario: string;
  seed: number;
  /** Corpus runs only: the entry's variant (else the sweep's), fault plan and workload scale. */
  variant?: string;
  faults?: FaultPlan;
  workloadScale?: number;
  /** Corpus runs only: the replay command that reproduces the entry (replay --corpus FILE --entry K). */
  replay?: string;
  /** Run it twice and compare the traces (run --check-determinism; see determinism.ts). */
  recheck?: boolean;
}

/** Largest number of jobs in one sweep (bounded memory for the job list and the results). */
export const JOBS_MAX = 10_000_000;

/** The jobs of a sweep over `scenarios` x seeds from..to (inclusive), restricted to `shard` if given. */
export function sweepJobs(scenarios: readonly string[], from: number, to: number, shard?: Shard): Job[] {
  const perScenario = to - from + 1;
  if (!(perScenario >= 1)) throw new ShardError(`seed range ${from}..${to} is empty`);
  if (perScenario * scenarios.length > JOBS_MAX) {
    throw new ShardError(`${perScenario * scenarios.length} runs is more than the limit of ${JOBS_MAX}; split the seed range`);
  }
  const jobs: Job[] = [];
  const count = shard?.count ?? 1;
  const keep = (shard?.index ?? 1) - 1;
  let p = 0;
  for (const scenario of scenarios) {
    for (let seed = from; seed <= to; seed++, p++) {
      if (p % count === keep) jobs.push({ scenario, seed });
    }
  }
  return jobs;
}

/**
 * The order a sweep runs its jobs in: seed-major (seed s of every scenario before seed s + 1 of any), not
 * the scenario-major order that defines shards. Runs finished at any moment are then a mix of all the
 * scenarios, so the rate and ETA are representative from the start (scenario-major, a slow scenario at the
 * end made the ETA grow for minutes), an early stop (--fail-fast, Ctrl-C) has covered every scenario, and
 * the last runs in flight are not all of the slowest scenario. Results are sorted afterwards; order does
 * not change them.
 */
export function runOrder(jobs: readonly Job[]): Job[] {
  const rank = new Map<string, number>();
  for (const j of jobs) if (!rank.has(j.scenario)) rank.set(j.scenario, rank.size);
  return [...jobs].sort((a, b) => a.seed - b.seed || rank.get(a.scenario)! - rank.get(b.scenario)!);
}

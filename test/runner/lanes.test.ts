import { describe, expect, it } from 'vitest';
import { JobLanes } from '../../src/runner/lanes.ts';
import { runOrder, sweepJobs, type Job } from '../../src/runner/shard.ts';

const key = (j: Job): string => `${j.scenario}${j.seed}`;

function drain(l: JobLanes, order: number[]): string[] {
  const out: string[] = [];
  for (let k = 0; ; k++) {
    const t = order[k % order.length]!;
    const j = l.take(t);
    if (j === undefined) {
      // This thread is done; the others may still hold jobs.
      if (l.left === 0) return out;
      continue;
    }
    out.push(`${t}:${key(j)}`);
  }
}

describe('job lanes (scenario affinity)', () => {
  const jobs = runOrder(sweepJobs(['a', 'b', 'c', 'd'], 0, 2));

  it('one thread gets exactly the run order given (seed-major)', () => {
    const l = new JobLanes(jobs, 1);
    expect(drain(l, [0]).map((s) => s.slice(2))).toEqual(jobs.map(key));
    // Any order, e.g. a corpus's.
    const corpus = [{ scenario: 'b', seed: 3 }, { scenario: 'a', seed: 1 }, { scenario: 'b', seed: 0 }];
    expect(drain(new JobLanes(corpus, 1), [0])).toEqual(['0:b3', '0:a1', '0:b0']);
  });

  it('two threads each run a contiguous group of scenarios, seed-major within it', () => {
    const l = new JobLanes(jobs, 2);
    expect(drain(l, [0, 1])).toEqual(['0:a0', '1:c0', '0:b0', '1:d0', '0:a1', '1:c1', '0:b1', '1:d1', '0:a2', '1:c2', '0:b2', '1:d2']);
  });

  it('groups are of about equal expected cost when jobs have costs', () => {
    // a costs 3 per run, b, c and d 1: a alone is half of the sweep's cost.
    const cost = (j: Job): number => (j.scenario === 'a' ? 3 : 1);
    const l = new JobLanes(jobs, 2, cost);
    const own = (t: number, n: number): string[] => Array.from({ length: n }, () => key(l.take(t)!));
    expect(own(0, 3)).toEqual(['a0', 'a1', 'a2']);
    expect(own(1, 9)).toEqual(['b0', 'c0', 'd0', 'b1', 'c1', 'd1', 'b2', 'c2', 'd2']);
    expect(l.left).toBe(0);
    // By job count (no costs), a and b would be one group, c and d the other.
    const byCount = new JobLanes(jobs, 2);
    expect([byCount.take(0), byCount.take(0), byCount.take(1)].map((j) => key(j!))).toEqual(['a0', 'b0', 'c0']);
  });

  it('a thread whose group is done steals whole scenarios, then half of the last one; every job is handed out once', () => {
    const l = new JobLanes(runOrder(sweepJobs(['a', 'b', 'c', 'd', 'e', 'f'], 0, 3)), 2);
    // Thread 0 runs three jobs, then only thread 1 asks: it does its own group, then steals.
    const got = [l.take(0), l.take(0), l.take(0)].map((j) => key(j!));
    expect(got).toEqual(['a0', 'b0', 'c0']);
    const rest: string[] = [];
    for (let j = l.take(1); j !== undefined; j = l.take(1)) rest.push(key(j));
    // Its own group (d, e, f), then c's remaining seeds, then b's, then the later half of a's (a1..a3:
    // a3), then again the later half of what is left (a1, a2: a2); the last one stays with thread 0.
    expect(rest.slice(0, 12)).toEqual(['d0', 'e0', 'f0', 'd1', 'e1', 'f1', 'd2', 'e2', 'f2', 'd3', 'e3', 'f3']);
    expect(rest.slice(12)).toEqual(['c1', 'c2', 'c3', 'b1', 'b2', 'b3', 'a3', 'a2']);
    expect(l.left).toBe(1);
    expect(key(l.take(0)!)).toBe('a1');
    expect(l.take(0)).toBeUndefined();
    expect(l.take(1)).toBeUndefined();
  });

  it('never hands out a job twice, with more threads than scenarios', () => {
    const l = new JobLanes(jobs, 8);
    const seen = drain(l, [0, 1, 2, 3, 4, 5, 6, 7]).map((s) => s.slice(2));
    expect(seen.sort()).toEqual(jobs.map(key).sort());
  });
});

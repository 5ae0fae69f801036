import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard, runOrder, ShardError, sweepJobs } from '../../src/runner/shard.ts';

describe('parseShard', () => {
  it('parses i/n', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
  });
  it.each(['0/4', '5/4', '1/0', 'a/b', '1', '1/2/3', '-1/2', ''])('rejects %j naming --shard', (bad) => {
    expect(() => parseShard(bad)).toThrow(ShardError);
    expect(() => parseShard(bad)).toThrow(/--shard/);
  });
});

describe('sweepJobs', () => {
  it('orders by scenario, then seed', () => {
    expect(sweepJobs(['a', 'b'], 3, 4)).toEqual([
      { scenario: 'a', seed: 3 },
      { scenario: 'a', seed: 4 },
      { scenario: 'b', seed: 3 },
      { scenario: 'b', seed: 4 },
    ]);
  });
  it('shards partition the sweep: disjoint, complete, balanced', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 9 }), (nScen, from, len, count) => {
        const names = Array.from({ length: nScen }, (_, i) => `s${i}`);
        const all = sweepJobs(names, from, from + len);
        const parts = Array.from({ length: count }, (_, i) => sweepJobs(names, from, from + len, { index: i + 1, count }));
        const key = (j: { scenario: string; seed: number }): string => `${j.scenario}:${j.seed}`;
        const seen = parts.flat().map(key);
        expect(new Set(seen).size).toBe(seen.length);
        expect(new Set(seen)).toEqual(new Set(all.map(key)));
        const sizes = parts.map((p) => p.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });
  it('refuses sweeps beyond the job limit', () => {
    expect(() => sweepJobs(['a', 'b'], 0, 9_000_000)).toThrow(/limit/);
  });
});

describe('runOrder', () => {
  it('runs seed-major, scenarios in their given order within a seed', () => {
    expect(runOrder(sweepJobs(['b', 'a'], 3, 4)).map((j) => `${j.scenario}${j.seed}`)).toEqual(['b3', 'a3', 'b4', 'a4']);
  });
  it('is a permutation of any shard, and every prefix of n x scenarios jobs holds every scenario', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 3 }), (nScen, len, count) => {
        const names = Array.from({ length: nScen }, (_, i) => `s${i}`);
        const jobs = sweepJobs(names, 10, 10 + len, { index: 1, count });
        const ordered = runOrder(jobs);
        const key = (j: { scenario: string; seed: number }): string => `${j.scenario}:${j.seed}`;
        expect([...ordered.map(key)].sort()).toEqual([...jobs.map(key)].sort());
        const head = ordered.slice(0, Math.min(ordered.length, nScen * count));
        if (jobs.length >= nScen * count) expect(new Set(head.map((j) => j.scenario)).size).toBe(nScen);
      }),
    );
  });
});

describe('scenario validation of probes', () => {
  it('names the file and the field', async () => {
    const { validateScenario } = await import('../../src/scenario/registry.ts');
    const s = { name: 'x', description: 'd', suites: ['a'], program: () => () => ({}), durationMs: 1, topology: { nodes: [{ id: 'A' }] }, probes: ['ok', 3] };
    expect(() => validateScenario(s as never, '/tmp/x.ts')).toThrow(/x\.ts: x\.probes: must be a list of probe names/);
  });
});

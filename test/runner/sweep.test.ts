import { describe, expect, it } from 'vitest';
import type { RunRow } from '../../src/runner/results.ts';
import { runSweep, exitCodeOfRuns } from '../../src/runner/sweep.ts';
import { FIXTURES_DIR, fixtures } from './fixtures.ts';

/** Rows without wall time and stack traces (stacks differ between the vitest and tsx transforms). */
const strip = (rows: RunRow[]): unknown[] =>
  rows.map(({ wallMs: _w, failure, ...rest }) => ({ ...rest, failure: failure && { ...failure, details: { ...failure.details, stack: undefined } } }));

describe('runSweep', () => {
  it('gives verdicts per seed and the worst exit code', async () => {
    const all = await fixtures();
    const out = await runSweep({ targets: ['fixture-flaky'], scenarios: [all.get('fixture-flaky')!], from: 0, to: 7, workers: 1 });
    expect(out.file.runs.map((r) => r.verdict)).toEqual(['pass', 'correctness', 'liveness', 'crash', 'pass', 'correctness', 'liveness', 'crash']);
    expect(out.file.runs[1]!.replay).toBe('npx syncbench replay fixture-flaky --seed 1 --scenarios-dir test/runner/fixtures/scenarios');
    expect(out.file.runs[0]!.replay).toBeUndefined();
    expect(exitCodeOfRuns(out.file.runs)).toBe(3);
    expect(exitCodeOfRuns(out.file.runs.slice(0, 2))).toBe(1);
    expect(exitCodeOfRuns(out.file.runs.slice(0, 3))).toBe(2);
  });

  it('results do not depend on the number of workers (threads load TypeScript under vitest too)', async () => {
    const all = await fixtures();
    const scenarios = [all.get('fixture-ticker')!, all.get('fixture-flaky')!];
    const one = await runSweep({ targets: ['fixture'], scenarios, from: 10, to: 17, workers: 1 });
    const two = await runSweep({ targets: ['fixture'], scenarios, from: 10, to: 17, workers: 2, scenariosDir: FIXTURES_DIR });
    expect(strip(two.file.runs)).toEqual(strip(one.file.runs));
    expect(two.file.scenarios).toEqual(one.file.scenarios);
    expect(one.file.runs).toHaveLength(16);
  });

  it('fail-fast stops after the first failure', async () => {
    const all = await fixtures();
    const out = await runSweep({ targets: ['fixture-flaky'], scenarios: [all.get('fixture-flaky')!], from: 0, to: 40, workers: 1, failFast: true });
    expect(out.file.runs.map((r) => r.verdict)).toEqual(['pass', 'correctness']);
  });

  it('a shard runs only its slice', async () => {
    const all = await fixtures();
    const out = await runSweep({ targets: ['fixture-ticker'], scenarios: [all.get('fixture-ticker')!], from: 0, to: 9, shard: { index: 2, count: 3 }, workers: 1 });
    expect(out.file.runs.map((r) => r.seed)).toEqual([1, 4, 7]);
    expect(out.file.meta.shards).toEqual(['2/3']);
  });

  it('aggregates coverage, probes and faults per scenario', async () => {
    const all = await fixtures();
    const out = await runSweep({ targets: ['fixture-ticker'], scenarios: [all.get('fixture-ticker')!], from: 0, to: 9, workers: 1 });
    const agg = out.file.scenarios['fixture-ticker']!;
    expect(agg.faults.pause).toBe(20);
    expect(agg.probesDeclared).toEqual(['ticker.rare', 'ticker.never']);
    expect(agg.probes['ticker.never']).toBeUndefined();
    expect(agg.coverage[0]!.model).toBe('ticker');
    expect(out.file.models.ticker!.states).toEqual(['busy', 'idle', 'stopped']);
    expect(out.file.models.ticker!.initial).toBe('idle');
  });
});

describe('interrupting a sweep', () => {
  it('an abort stops handing out jobs; the outcome holds the finished runs and is marked partial', async () => {
    const all = await fixtures();
    const abort = new AbortController();
    let n = 0;
    const out = await runSweep({
      targets: ['fixture-ticker'],
      scenarios: [all.get('fixture-ticker')!],
      from: 0,
      to: 99,
      workers: 1,
      signal: abort.signal,
      onResult: () => {
        if (++n === 5) abort.abort();
      },
    });
    expect(out.file.runs).toHaveLength(5);
    expect(out.file.meta.partial).toBe(true);
  });
});

/** The terminal summary of `run` and `merge`: the per-scenario table, then the failures grouped. */
import { describe, expect, it } from 'vitest';
import { emptyResults, type RunRow } from '../../src/runner/results.ts';
import { summaryText, vacuousLines } from '../../src/runner/summary.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { failedRow } from '../report/rows.ts';
import { fixtures } from './fixtures.ts';

describe('summaryText', () => {
  it('names the invariants no run evaluated on real input (a check with nothing to judge passes), before the verdict line', async () => {
    const { loadScenarios } = await import('../../src/scenario/registry.ts');
    const peer = (await loadScenarios('scenarios')).find((l) => l.scenario.name === 'peer-partition-heal')!.scenario;
    const { file } = await runSweep({ targets: [peer.name], scenarios: [peer], from: 0, to: 1, workers: 1 });
    const lines = summaryText(file, 10);
    const line = lines.find((l) => l.startsWith('vacuous: '));
    // No backfill in this scenario: the backfill checks never had input. Every other check did.
    expect(line).toMatch(/^vacuous: \d+ of \d+ invariants were never evaluated on real input in these runs \(they passed with nothing to judge\): .*invariant:backfill-progress/);
    expect(line).not.toContain('invariant:acked-not-lost');
    expect(lines.at(-1)).toMatch(/^all 2 runs passed in /);
    // A sweep whose every invariant was evaluated says nothing.
    for (const agg of Object.values(file.scenarios)) for (const k of Object.keys(agg.exercised ?? {})) agg.exercised![k] = 1;
    expect(vacuousLines(file)).toEqual([]);
  });


  it('keeps the per-scenario table and prints one group per (scenario, kind, check, message shape)', async () => {
    const all = await fixtures();
    const { file } = await runSweep({ targets: ['fixture-flaky'], scenarios: [all.get('fixture-flaky')!], from: 0, to: 7, workers: 1 });
    const lines = summaryText(file, 1234);
    expect(lines[0]).toMatch(/^scenario +seeds +passed +correctness +liveness +crash/);
    expect(lines[1]).toMatch(/^fixture-flaky +8 +2 +2 +2 +2 /);
    expect(lines.filter((l) => l.startsWith('FAIL '))).toEqual([
      'FAIL correctness fixture-flaky: invariant:not-1-mod-4 (2 seeds)',
      'FAIL liveness fixture-flaky: liveness (2 seeds)',
      'FAIL crash fixture-flaky: exception (2 seeds)',
    ]);
    const text = lines.join('\n');
    expect(text).toContain('  invariant:not-1-mod-4: seed 1 is 1 mod 4');
    expect(text).toContain('  seeds: 1, 5; first seed 1; smallest seed 1 (no faults)');
    expect(text).toContain('  seed 3 failed at 300.000 ms, trace #9, node B; no faults');
    expect(text).toContain('  replay: npx syncbench replay fixture-flaky --seed 1 --scenarios-dir test/runner/fixtures/scenarios');
    expect(text).not.toContain('--seed 5 ');
    expect(lines.at(-1)).toBe('6 of 8 runs failed (3 groups) in 1.2 s');
  });

  it("lists the example seed's fault events when the scenarios are at hand", async () => {
    const all = await fixtures();
    const shrink = all.get('fixture-shrink')!;
    const { file } = await runSweep({ targets: ['fixture-shrink'], scenarios: [shrink], from: 0, to: 2, workers: 1 });
    const without = summaryText(file, 10);
    expect(without.filter((l) => l.startsWith('FAIL '))).toEqual(['FAIL correctness fixture-shrink: invariant:no-pause-with-3-items (3 seeds)']);
    expect(without).toContain(`  seed 0 failed at 1200.000 ms, trace #${file.runs[0]!.failure!.traceIndex}; faults: 7 fault events`);
    for (const scenarios of [all, [shrink]]) {
      const text = summaryText(file, 10, 20, undefined, scenarios).join('\n');
      expect(text).toContain(['; faults: 7 fault events', '    pause B at 100 ms for 300 ms', '    clockJump B at 150 ms (deltaMs=5000)', '    pause B at 500 ms for 300 ms', '    and 4 more', '  replay: '].join('\n'));
    }
  });

  it('prints a replay command on one line of its own, however long, and caps the groups', () => {
    const file = emptyResults({ targets: ['x'], from: 0, to: 30, variant: '', shards: ['1/1'] }, [], {});
    const long = `npx syncbench replay ${'very-long-scenario-name-'.repeat(8)}x --seed 3 --variant some-variant --scenarios-dir ${'deep/'.repeat(20)}scenarios`;
    const row = (seed: number, message: string, replay: string): RunRow => failedRow(seed, message, { scenario: 'x', faultSummary: 'no faults', replay });
    file.runs.push(row(3, 'first kind of failure', long));
    for (let k = 0; k < 5; k++) file.runs.push(row(10 + k, `failure kind ${'x'.repeat(k)}`, `npx syncbench replay x --seed ${10 + k}`));
    const lines = summaryText(file, 10, 3, 'see the report');
    expect(lines).toContain(`  replay: ${long}`);
    expect(lines.filter((l) => l.startsWith('FAIL '))).toHaveLength(3);
    expect(lines).toContain('... and 3 more groups of failures (3 runs; see the report)');
    expect(lines.at(-1)).toBe('6 of 6 runs failed (6 groups) in 10 ms');
  });
});

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coverageReport, coverageText } from '../../src/runner/coverage.ts';
import { mergeResults, readResults, ResultsError, writeResults } from '../../src/runner/results.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { fixtures } from './fixtures.ts';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'syncbench-results-'));

async function sweep(name: string, from: number, to: number, shard?: { index: number; count: number }) {
  const all = await fixtures();
  return (await runSweep({ targets: [name], scenarios: [all.get(name)!], from, to, shard, workers: 1 })).file;
}

describe('results files', () => {
  it('round-trip through an atomic write, leaving no temp files', async () => {
    const file = await sweep('fixture-flaky', 0, 5);
    const dir = tmp();
    writeResults(path.join(dir, 'results.json'), file);
    expect(readdirSync(dir)).toEqual(['results.json']);
    expect(readResults(path.join(dir, 'results.json'))).toEqual(JSON.parse(JSON.stringify(file)));
  });

  it('a truncated, foreign or missing file is a ResultsError naming the file', async () => {
    const file = await sweep('fixture-ticker', 0, 1);
    const dir = tmp();
    const p = path.join(dir, 'results.json');
    writeResults(p, file);
    writeFileSync(p, readFileSync(p, 'utf8').slice(0, 200));
    expect(() => readResults(p)).toThrow(ResultsError);
    expect(() => readResults(p)).toThrow(/results\.json: corrupt results file/);
    writeFileSync(p, JSON.stringify({ hello: 1 }));
    expect(() => readResults(p)).toThrow(/not a syncbench results file/);
    writeFileSync(p, JSON.stringify({ ...file, runs: [{ ...file.runs[0], verdict: 'maybe' }] }));
    expect(() => readResults(p)).toThrow(/runs\[0\]\.verdict 'maybe'/);
    expect(() => readResults(path.join(dir, 'nope.json'))).toThrow(/nope\.json: cannot read: ENOENT/);
  });

  it('a field out of its range is a ResultsError naming it (negative or unsafe seeds, negative counts, a reversed range)', async () => {
    const file = await sweep('fixture-ticker', 0, 1);
    const dir = tmp();
    const p = path.join(dir, 'results.json');
    const cases: [object, RegExp][] = [
      [{ ...file, runs: [{ ...file.runs[0], seed: -1 }] }, /runs\[0\]\.seed -1 is out of range/],
      [{ ...file, runs: [{ ...file.runs[0], seed: 2 ** 53 }] }, /runs\[0\]\.seed 9007199254740992 is out of range/],
      [{ ...file, runs: [{ ...file.runs[0], events: -5 }] }, /runs\[0\]: events, simTimeUs or wallMs is negative/],
      [{ ...file, runs: [{ ...file.runs[0], wallMs: -1 }] }, /runs\[0\]: events, simTimeUs or wallMs is negative/],
      [{ ...file, meta: { ...file.meta, from: 5, to: 1 } }, /meta: seed range 5\.\.1 is not a range of seeds/],
      [{ ...file, meta: { ...file.meta, from: -2 } }, /meta: seed range -2\.\.1 is not a range of seeds/],
    ];
    for (const [bad, message] of cases) {
      writeFileSync(p, JSON.stringify(bad));
      expect(() => readResults(p)).toThrow(message);
    }
  });

  it('merging the shards of a sweep equals the unsharded sweep', async () => {
    const whole = await sweep('fixture-ticker', 0, 8);
    const parts = await Promise.all([1, 2, 3].map((i) => sweep('fixture-ticker', 0, 8, { index: i, count: 3 })));
    const merged = mergeResults(parts.map((file, i) => ({ file, where: `shard${i + 1}` })));
    const noWall = (f: typeof whole) => f.runs.map(({ wallMs: _w, ...r }) => r);
    expect(noWall(merged)).toEqual(noWall(whole));
    expect(coverageReport(merged)).toEqual(coverageReport(whole));
    expect(merged.meta.shards).toEqual(['1/3', '2/3', '3/3']);
  });

  it('refuses to merge overlapping results', async () => {
    const a = await sweep('fixture-ticker', 0, 3);
    const b = await sweep('fixture-ticker', 3, 4);
    expect(() => mergeResults([{ file: a, where: 'a' }, { file: b, where: 'b' }])).toThrow(/fixture-ticker seed 3 is also in a/);
  });
});

describe('coverage report', () => {
  it('counts states and transitions against the full graph and lists what was never reached', async () => {
    const cov = coverageReport(await sweep('fixture-ticker', 0, 9));
    const m = cov.models[0]!;
    expect(m.name).toBe('ticker');
    expect(m.states.find((s) => s.key === 'stopped')!.count).toBe(0);
    expect(m.states.find((s) => s.key === 'busy')!.count).toBeGreaterThan(10);
    expect(m.transitions.map((t) => t.key)).toEqual(['busy|IDLE|idle', 'busy|STOP|stopped', 'idle|BUSY|busy']);
    expect([m.statesReached, m.transitionsReached]).toEqual([2, 2]);
    expect(m.faultKinds).toEqual(['pause']);
    const paused = (m.stateFaults.busy?.pause ?? 0) + (m.stateFaults.idle?.pause ?? 0);
    // 20 pauses, each counted once per distinct state the two tickers were in at that moment.
    expect(paused).toBeGreaterThanOrEqual(20);
    expect(paused).toBeLessThanOrEqual(40);
    const never = cov.probes.find((p) => p.name === 'ticker.never')!;
    // Swept by scenario name: no suite was run, so no per-suite counts.
    expect(never).toEqual({ name: 'ticker.never', hits: 0, bySuite: {}, declaredBy: ['fixture-ticker'] });
    const text = coverageText(cov).join('\n');
    expect(text).toMatch(/NEVER {2}state stopped/);
    expect(text).toMatch(/NEVER {2}probe ticker.never/);
    expect(text).toMatch(/probes: 1\/2 declared reached; never reached: ticker.never/);
  });

  it('counts probes per suite only for the suites the sweep ran, not every suite a scenario belongs to', async () => {
    const all = await fixtures();
    // fixture-ticker is in suites 'fixture' and 'fixture-ok'; the sweep runs suite 'fixture'.
    const file = (await runSweep({ targets: ['fixture'], scenarios: [all.get('fixture-ticker')!], from: 0, to: 3, workers: 1 })).file;
    const cov = coverageReport(file);
    const rare = cov.probes.find((p) => p.name === 'ticker.rare')!;
    expect(rare.hits).toBeGreaterThan(0);
    expect(rare.bySuite).toEqual({ fixture: rare.hits });
    expect(cov.probes.find((p) => p.name === 'ticker.never')!.bySuite).toEqual({ fixture: 0 });
  });
});

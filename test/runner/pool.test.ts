import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWorkers, runJobs } from '../../src/runner/pool.ts';
import { fmtSeconds, Progress } from '../../src/runner/progress.ts';
import type { RunResult } from '../../src/scenario/types.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { FIXTURES_DIR } from './fixtures.ts';

const DYING_DIR = path.join(path.dirname(FIXTURES_DIR), 'dying');

describe('worker pool', () => {
  it('a worker thread that dies mid-run is a crash verdict for that seed; the sweep goes on', async () => {
    const scenarios = new Map((await loadScenarios(DYING_DIR)).map((l) => [l.scenario.name, l.scenario]));
    const results: RunResult[] = [];
    const jobs = [0, 1, 2, 3, 4].map((seed) => ({ scenario: 'fixture-dying', seed }));
    const n = await runJobs(jobs, scenarios, { workers: 2, scenariosDir: DYING_DIR, onResult: (r) => results.push(r) });
    expect(n).toBe(5);
    results.sort((a, b) => a.seed - b.seed);
    expect(results.map((r) => r.verdict)).toEqual(['pass', 'crash', 'pass', 'crash', 'pass']);
    expect(results[1]!.failure).toMatchObject({ check: 'runner:worker', message: 'worker thread exited with code 7' });
    expect(results[1]!.replay).toBe('npx syncbench replay fixture-dying --seed 1 --scenarios-dir test/runner/fixtures/dying');
  });

  it('a job queued behind one whose thread dies runs on a fresh thread (one worker, every job queued behind another)', async () => {
    const scenarios = new Map((await loadScenarios(DYING_DIR)).map((l) => [l.scenario.name, l.scenario]));
    const results: RunResult[] = [];
    const jobs = [0, 1, 3, 2, 5, 4, 6].map((seed) => ({ scenario: 'fixture-dying', seed }));
    const n = await runJobs(jobs, scenarios, { workers: 1, forceThreads: true, scenariosDir: DYING_DIR, onResult: (r) => results.push(r) });
    expect(n).toBe(7);
    // In the order given: one thread runs the jobs one after another.
    expect(results.map((r) => `${r.seed}:${r.verdict}`)).toEqual(['0:pass', '1:crash', '3:crash', '2:pass', '5:crash', '4:pass', '6:pass']);
  });

  it('rejects bad worker counts naming the option', () => {
    expect(() => checkWorkers(0)).toThrow(/--workers 0/);
    expect(() => checkWorkers(1.5)).toThrow(/--workers/);
    expect(checkWorkers(3)).toBe(3);
  });
});

describe('progress', () => {
  it('prints plain lines at intervals when not a terminal, with rate and ETA', () => {
    let t = 0;
    let text = '';
    const p = new Progress(10, { out: { write: (s: string) => (text += s) }, plainEveryMs: 1000, now: () => t });
    for (let i = 0; i < 4; i++) {
      t += 500;
      p.tick(i === 2);
    }
    expect(text.trim().split('\n')).toEqual([
      'progress: 2/10 runs (20.0%), 0 failed, 2.0 runs/s, ETA 4s',
      'progress: 4/10 runs (40.0%), 1 failed, 2.0 runs/s, ETA 3s',
    ]);
  });

  it('announces failed runs as they happen, up to a limit, on a terminal above the bar', () => {
    let text = '';
    const p = new Progress(30, { out: { isTTY: true, columns: 100, write: (s: string) => (text += s) }, now: () => 0 });
    p.tick(false);
    p.tick('FAIL x seed 1: correctness inv | replay: npx syncbench replay x --seed 1');
    // The bar is cleared, the failure printed on its own line, and the bar redrawn below it.
    const [failLine, bar] = text.split('\n');
    expect(failLine).toBe('\r\x1b[2KFAIL x seed 1: correctness inv | replay: npx syncbench replay x --seed 1');
    expect(bar).toMatch(/^\r\x1b\[2K\[#*\.+\] 2\/30 runs \(6\.7%\), 1 failed/);
    text = '';
    for (let i = 0; i < 25; i++) p.tick(`FAIL y seed ${i}`);
    const lines = text.split('\n').map((l) => l.replace(/^\r\x1b\[2K(\[[#.]+\] .*?\r\x1b\[2K)?/, '')).filter((l) => l.startsWith('FAIL') || l.startsWith('(further'));
    expect(lines).toHaveLength(20); // 19 more failures announced (20 in all), then one 'more failures' line
    expect(lines.at(-1)).toBe('(further failures are counted, not printed as they happen)');
  });

  it('formats ETAs without a 60th second', () => {
    expect([fmtSeconds(59.2), fmtSeconds(359.5), fmtSeconds(61), fmtSeconds(3725), fmtSeconds(Infinity)]).toEqual(['1m00s', '6m00s', '1m01s', '1h02m', '?']);
  });

  it('redraws one bar line on a terminal and clears it at the end', () => {
    let t = 0;
    let text = '';
    const p = new Progress(4, { out: { isTTY: true, columns: 100, write: (s: string) => (text += s) }, now: () => t });
    t += 200;
    p.tick(false);
    expect(text).toMatch(/^\r\x1b\[2K\[#+\.+\] 1\/4 runs \(25\.0%\)/);
    expect(text).not.toContain('\n');
    p.finish();
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
  });
});

describe('empty sweeps', () => {
  it('a shard with no jobs finishes at once, also with threads', async () => {
    expect(await runJobs([], new Map(), { workers: 2, forceThreads: true, scenariosDir: FIXTURES_DIR })).toBe(0);
  });
});

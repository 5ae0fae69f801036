/**
 * The determinism self-check (run --check-determinism, determinism.ts): a run that is not a function of
 * (scenario, seed) is a crash naming the first record where its two runs part; a deterministic one passes;
 * the sample depends only on (scenario, seed, rate); bad rates are usage errors; ci runs it by default.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { determinismRate } from '../../src/cli/run.ts';
import { main } from '../../src/cli/main.ts';
import { NONDETERMINISM_CHECK, runTwice, sampled } from '../../src/runner/determinism.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { captureOutput } from '../capture.ts';

const io = captureOutput();
const DIR = path.resolve('test/runner/fixtures/nondeterministic');
const byName = new Map((await loadScenarios(DIR)).map((l) => [l.scenario.name, l.scenario]));
const leaky = byName.get('leaky-module-state')!;
const clean = byName.get('clean-state')!;

describe('runTwice', () => {
  it('names the first record where two runs of a seed part, quoting both', async () => {
    const r = await runTwice((o) => runScenario(leaky, 4, o), {});
    expect(r.verdict).toBe('crash');
    expect(r.failure?.check).toBe(NONDETERMINISM_CHECK);
    const first = r.failure!.traceIndex;
    expect(r.failure?.message).toContain(`they part at record #${first}`);
    expect(r.failure?.message).toMatch(/first: {2}\{.*"kind":"leaky.created","data":\{"id":\d+\}\}\n {2}second: \{.*"kind":"leaky.created"/);
    expect(r.failure?.timeUs).toBe(10_000);
  });

  it('passes a deterministic run and returns its first result', async () => {
    const once = await runScenario(clean, 4);
    const r = await runTwice((o) => runScenario(clean, 4, o), {});
    expect(r.verdict).toBe('pass');
    expect(r.traceHash).toBe(once.traceHash);
  });
});

describe('sampled', () => {
  it('depends only on scenario, seed and rate, and takes about the rate', () => {
    const n = Array.from({ length: 10_000 }, (_, seed) => sampled('x', seed, 0.1)).filter(Boolean).length;
    expect(n).toBeGreaterThan(900);
    expect(n).toBeLessThan(1_100);
    expect(Array.from({ length: 100 }, (_, s) => sampled('x', s, 0.3))).toEqual(Array.from({ length: 100 }, (_, s) => sampled('x', s, 0.3)));
    expect([0, 1, 2].map((s) => sampled('x', s, 0))).toEqual([false, false, false]);
    expect([0, 1, 2].map((s) => sampled('x', s, 1))).toEqual([true, true, true]);
  });
});

describe('sweeps and the CLI', () => {
  it('a sweep on threads with every run checked: the leaky scenario crashes, the clean one passes', async () => {
    const { file } = await runSweep({ targets: ['nondeterministic'], scenarios: [leaky, clean], from: 0, to: 2, workers: 2, forceThreads: true, scenariosDir: DIR, checkDeterminism: 1 });
    expect(file.runs.map((r) => `${r.scenario}#${r.seed}: ${r.verdict} ${r.failure?.check ?? ''}`.trim())).toEqual([
      'clean-state#0: pass',
      'clean-state#1: pass',
      'clean-state#2: pass',
      `leaky-module-state#0: crash ${NONDETERMINISM_CHECK}`,
      `leaky-module-state#1: crash ${NONDETERMINISM_CHECK}`,
      `leaky-module-state#2: crash ${NONDETERMINISM_CHECK}`,
    ]);
  });

  it('without the check the leaky scenario passes: the check is what sees it', async () => {
    const { file } = await runSweep({ targets: ['x'], scenarios: [leaky], from: 0, to: 2, workers: 1 });
    expect(file.runs.map((r) => r.verdict)).toEqual(['pass', 'pass', 'pass']);
  });

  it('run --check-determinism exits 3 and says how many runs ran twice', async () => {
    expect(await main(['run', 'nondeterministic', '--scenarios-dir', DIR, '--seeds', '0..1', '--no-report', '--check-determinism'])).toBe(3);
    expect(io.out()).toContain(`determinism: 4 of 4 runs run twice (rate 1), 2 gave different traces (${NONDETERMINISM_CHECK})`);
  });

  it('rates: alone every run, a fraction, none; ci on by default; a bad rate is a usage error', async () => {
    expect(determinismRate(true, [])).toBe(1);
    expect(determinismRate('0.05', [])).toBe(0.05);
    expect(determinismRate('0', ['ci'])).toBe(0);
    expect(determinismRate(undefined, ['ci'])).toBe(0.02);
    expect(determinismRate(undefined, ['smoke'])).toBe(0);
    for (const bad of ['2', '-0.1', 'half', '']) {
      io.clear();
      expect(await main(['run', 'nondeterministic', '--scenarios-dir', DIR, '--seeds', '0', '--no-report', `--check-determinism=${bad}`]), bad).toBe(64);
      expect(io.err(), bad).toContain(`--check-determinism '${bad}' must be a rate from 0 to 1`);
    }
  });
});

describe('replay compares its trace hash with the sweep\'s', () => {
  it('warns when they differ, says nothing when they agree, refuses a missing results file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-det-'));
    expect(await main(['run', 'clean-state', '--scenarios-dir', DIR, '--seeds', '0..1', '--report', dir])).toBe(0);
    const results = path.join(dir, 'results.json');
    io.clear();
    expect(await main(['replay', 'clean-state', '--scenarios-dir', DIR, '--seed', '1', '--quiet', '--results', results])).toBe(0);
    expect(io.err()).toBe('');
    const file = JSON.parse(readFileSync(results, 'utf8')) as { runs: { seed: number; traceHash: string }[] };
    file.runs.find((r) => r.seed === 1)!.traceHash = '0123456789abcdef';
    writeFileSync(results, JSON.stringify(file));
    io.clear();
    expect(await main(['replay', 'clean-state', '--scenarios-dir', DIR, '--seed', '1', '--quiet', '--results', results])).toBe(0);
    expect(io.err()).toMatch(/warning: this replay's trace hash [0-9a-f]{16} differs from the sweep's 0123456789abcdef \(.*results.json, verdict then pass\): the code changed since that sweep, or the run is not deterministic \(syncbench run clean-state --seeds 1 --check-determinism tells which\)/);
    io.clear();
    expect(await main(['replay', 'clean-state', '--scenarios-dir', DIR, '--seed', '1', '--quiet', '--results', path.join(dir, 'nope.json')])).toBe(64);
    expect(io.err()).toContain('--results');
  });
});

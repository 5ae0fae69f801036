/**
 * Corpora: the regression corpus (every failure a sweep found, fixed since) replays to its expected
 * verdicts, a corpus file is validated field by field, and `run --corpus` / `replay --corpus --entry`
 * judge each entry against its expectation.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli/main.ts';
import { CorpusError, expectationMismatch, parseCorpus, readCorpus } from '../../src/runner/corpus.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { FIXTURES_DIR } from './fixtures.ts';

const REGRESSIONS = path.resolve(import.meta.dirname, '../../corpus/regressions.json');
const scenarios = new Map((await loadScenarios()).map((l) => [l.scenario.name, l.scenario]));
const regressions = readCorpus(REGRESSIONS, new Set(scenarios.keys()));

describe('the regression corpus (corpus/regressions.json)', () => {
  it('is not empty', () => expect(regressions.entries.length).toBeGreaterThan(10));

  it.each(regressions.entries.map((e, k) => [`${e.scenario} seed ${e.seed} (entry ${k}): ${e.why.slice(0, 60)}`, e] as const))('%s', async (_title, e) => {
    const r = await runScenario(scenarios.get(e.scenario)!, e.seed, { variant: e.variant ?? '', faults: e.faults, workloadScale: e.workloadScale });
    expect(expectationMismatch(e, r)).toBeNull();
  });
});

describe('corpus files', () => {
  const ok = { format: 'syncbench-corpus', version: 1, entries: [{ scenario: 'fixture-ticker', seed: 3, why: 'a test' }] };
  const known = new Set(['fixture-ticker']);
  it.each([
    [{ ...ok, format: 'x' }, /not a syncbench corpus/],
    [{ ...ok, version: 2 }, /version 2 is not supported/],
    [{ ...ok, entries: {} }, /entries is not a list/],
    [{ ...ok, entries: [{ scenario: 'nope', seed: 1, why: 'w' }] }, /entries\[0\]: unknown scenario 'nope'/],
    [{ ...ok, entries: [{ scenario: 'fixture-ticker', seed: -1, why: 'w' }] }, /entries\[0\]: seed must be an integer/],
    [{ ...ok, entries: [{ scenario: 'fixture-ticker', seed: 1 }] }, /entries\[0\]: why must say why the run is kept/],
    [{ ...ok, entries: [{ scenario: 'fixture-ticker', seed: 1, why: 'w', expect: 'maybe' }] }, /expect must be one of/],
    [{ ...ok, entries: [{ scenario: 'fixture-ticker', seed: 1, why: 'w', check: 'c' }] }, /check is only meaningful with a failing expect/],
    [{ ...ok, entries: [{ scenario: 'fixture-ticker', seed: 1, why: 'w', faults: { events: [{ kind: 'nope' }] } }] }, /entries\[0\]: faults: /],
  ])('%j is refused, naming the field', (json, message) => {
    expect(() => parseCorpus(json, 'c.json', known)).toThrow(CorpusError);
    expect(() => parseCorpus(json, 'c.json', known)).toThrow(message);
  });

  it('judges a run against the expected verdict and check', () => {
    const fail = { verdict: 'correctness' as const, failure: { kind: 'correctness' as const, check: 'invariant:x', message: 'm', timeUs: 0, traceIndex: 0 } };
    expect(expectationMismatch({ scenario: 's', seed: 1, why: 'w' }, { verdict: 'pass', failure: null })).toBeNull();
    expect(expectationMismatch({ scenario: 's', seed: 1, why: 'w' }, fail)).toMatch(/expected pass, got correctness \(invariant:x: m\)/);
    expect(expectationMismatch({ scenario: 's', seed: 1, why: 'w', expect: 'correctness', check: 'invariant:x' }, fail)).toBeNull();
    expect(expectationMismatch({ scenario: 's', seed: 1, why: 'w', expect: 'correctness', check: 'invariant:y' }, fail)).toMatch(/expected check invariant:y/);
  });
});

describe('syncbench run --corpus', () => {
  const io = captureOutput();
  const corpusFile = (entries: unknown[]): string => {
    const f = path.join(mkdtempSync(path.join(tmpdir(), 'syncbench-corpus-')), 'c.json');
    writeFileSync(f, JSON.stringify({ format: 'syncbench-corpus', version: 1, entries }));
    return f;
  };
  const cli = (...args: string[]): Promise<number> => main([...args, '--scenarios-dir', FIXTURES_DIR]);

  it('passes when every entry gives its expected verdict, failing ones included', async () => {
    // fixture-flaky: seed 1 fails correctness, seed 2 liveness (test/runner/fixtures).
    const f = corpusFile([
      { scenario: 'fixture-flaky', seed: 0, why: 'passes' },
      { scenario: 'fixture-flaky', seed: 1, expect: 'correctness', why: 'a known correctness failure' },
      { scenario: 'fixture-ticker', seed: 5, faults: { events: [{ kind: 'pause', node: 'A', atMs: 10, durationMs: 50 }] }, why: 'a plan of its own' },
    ]);
    expect(await cli('run', '--corpus', f, '--workers', '1', '--no-report')).toBe(0);
    expect(io.out()).toContain(`corpus ${f}: 3 of 3 runs gave their expected verdict`);
  });

  it('fails with the worst unexpected verdict and prints the entry and its replay command', async () => {
    const f = corpusFile([
      { scenario: 'fixture-flaky', seed: 2, why: 'expected to pass' },
      { scenario: 'fixture-flaky', seed: 0, expect: 'correctness', why: 'expected to fail' },
    ]);
    expect(await cli('run', '--corpus', f, '--workers', '1', '--no-report')).toBe(2);
    expect(io.out()).toContain('MISMATCH fixture-flaky seed 2 (entry 0: expected to pass): expected pass, got liveness');
    expect(io.out()).toContain(`replay: npx syncbench replay fixture-flaky --seed 2 --corpus ${f} --entry 0`);
    expect(io.out()).toContain('MISMATCH fixture-flaky seed 0 (entry 1: expected to fail): expected correctness, got pass');
  });

  it('replays an entry with its own plan to the same trace hash as the corpus run', async () => {
    const f = corpusFile([{ scenario: 'fixture-ticker', seed: 5, faults: { events: [{ kind: 'pause', node: 'B', atMs: 40, durationMs: 300 }] }, why: 'a plan' }]);
    expect(await cli('run', '--corpus', f, '--workers', '1', '--json', '--no-report')).toBe(0);
    const hash = (JSON.parse(io.out().trim().split('\n')[0]!) as { traceHash: string }).traceHash;
    io.clear();
    expect(await cli('replay', 'fixture-ticker', '--seed', '5', '--corpus', f, '--entry', '0', '--quiet')).toBe(0);
    expect(io.out()).toContain(`trace-hash: ${hash}`);
    io.clear();
    expect(await cli('replay', 'fixture-ticker', '--seed', '5', '--quiet')).toBe(0);
    expect(io.out()).not.toContain(`trace-hash: ${hash}`);
  });

  it.each([
    [['run', 'fixture', '--corpus', 'C'], /--corpus runs the entries of the file/],
    [['run', '--corpus', '/nonexistent.json'], /cannot read: ENOENT/],
    [['replay', 'fixture-ticker', '--seed', '1', '--corpus', 'C', '--entry', '0'], /is fixture-ticker seed 5, not fixture-ticker seed 1/],
    [['replay', 'fixture-ticker', '--seed', '5', '--corpus', 'C', '--entry', '3'], /--entry '3' must be an integer 0..0/],
    [['replay', 'fixture-ticker', '--seed', '5', '--corpus', 'C', '--entry', '0', '--variant', 'x'], /--variant cannot be combined with --corpus/],
  ])('%j is a usage error (64)', async (args, message) => {
    const f = corpusFile([{ scenario: 'fixture-ticker', seed: 5, why: 'w' }]);
    expect(await cli(...args.map((a) => (a === 'C' ? f : a)))).toBe(64);
    expect(io.err()).toMatch(message);
  });
});

describe('syncbench nightly', () => {
  it('derives a fresh, non-overlapping seed range from the run number or the date', async () => {
    const { nightNumber, NIGHTLY_BASE } = await import('../../src/cli/nightly.ts');
    const now = Date.UTC(2026, 11, 6, 7, 0);
    expect(nightNumber({ run: '12' }, {}, now)).toEqual({ n: 12, from: '--run' });
    expect(nightNumber({}, { GITHUB_RUN_NUMBER: '40' }, now)).toEqual({ n: 40, from: 'GITHUB_RUN_NUMBER' });
    expect(nightNumber({}, {}, now)).toEqual({ n: 339, from: 'date 2026-12-06' });
    expect(nightNumber({ date: '2026-01-02' }, {}, now)).toEqual({ n: 1, from: 'date 2026-01-02' });
    expect(() => nightNumber({ date: '2026-13-40' }, {}, now)).toThrow(/not a date/);
    expect(() => nightNumber({ run: '-1' }, {}, now)).toThrow(/must be an integer >= 0/);
    expect(NIGHTLY_BASE).toBeGreaterThan(100_000);
  });

  it('turns failing runs into corpus entries that validate', async () => {
    const { failureEntries } = await import('../../src/cli/nightly.ts');
    const file = {
      runs: [
        { scenario: 'fixture-flaky', seed: 1, variant: '', verdict: 'correctness', failure: { check: 'invariant:x', message: 'broke' } },
        { scenario: 'fixture-flaky', seed: 2, variant: '', verdict: 'pass' },
      ],
    } as unknown as Parameters<typeof failureEntries>[0];
    const entries = failureEntries(file, 'nightly run 3');
    expect(entries).toEqual([{ scenario: 'fixture-flaky', seed: 1, why: 'nightly run 3: correctness (invariant:x: broke) - say what was fixed' }]);
    expect(parseCorpus({ format: 'syncbench-corpus', version: 1, entries }, 'c.json').entries).toHaveLength(1);
  });
});

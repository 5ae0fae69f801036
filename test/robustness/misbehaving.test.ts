/**
 * The torture suite's misbehaving code under test: every scenario in fixtures/misbehaving does one thing a
 * sync implementation must never do (hang, exhaust memory, call into the host, throw from a hook), and
 * the bench must turn each into the verdict named here, on worker threads (the CLI's `run`, any worker
 * count), without hanging, dying or passing it. Replay and shrink get the same verdicts (cli cases below).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Heartbeat, LINE_MAX } from '../../src/runner/heartbeat.ts';
import { runJobs } from '../../src/runner/pool.ts';
import { Progress } from '../../src/runner/progress.ts';
import { runBudgetMs } from '../../src/runner/slot.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { RunResult, Scenario } from '../../src/scenario/types.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'misbehaving');
const REL_DIR = path.relative(process.cwd(), DIR);

/** Scenario -> [verdict, check (exact, or a RegExp), what the message must say]. */
const EXPECTED: Record<string, [string, string | RegExp, RegExp]> = {
  'misbehave-sync-loop': ['crash', 'runner:watchdog', /misbehave-sync-loop seed 0 gave no result within its wall-time budget of 2 s.*last trace record \(3 written\): \{"i":2,"t":5000,"node":"A","kind":"misbehave.start"/],
  'misbehave-microtask-loop': ['crash', 'runner:watchdog', /misbehave-microtask-loop seed 0 gave no result.*"kind":"misbehave.start"/],
  'misbehave-oom': ['crash', 'runner:heap', /exceeded the heap limit of 128 MB \(--max-heap\); last trace record/],
  'misbehave-deep-recursion': ['crash', 'exception', /RangeError: Maximum call stack size exceeded/],
  'misbehave-huge-trace': ['pass', '', /^$/],
  'misbehave-exit': ['crash', 'no-real-world:process.exit', /process.exit was called inside the simulation/],
  'misbehave-abort': ['crash', 'no-real-world:process.abort', /process.abort was called/],
  'misbehave-kill': ['crash', 'no-real-world:process.kill', /process.kill was called/],
  'misbehave-fs-write': ['crash', 'no-real-world:fs.writeFileSync', /fs.writeFileSync was called/],
  'misbehave-fs-read': ['crash', 'no-real-world:fs.readFileSync', /fs.readFileSync was called/],
  'misbehave-hostname': ['crash', 'no-real-world:os.hostname', /os.hostname was called/],
  'misbehave-env': ['crash', 'no-real-world:process.env.HOME', /process.env.HOME was read inside the simulation.*Scenario.env/],
  'misbehave-child-process': ['crash', 'no-real-world:child_process.execSync', /child_process.execSync was called/],
  'misbehave-fetch': ['crash', 'no-real-world:fetch', /fetch was called/],
  'misbehave-swallowed-leak': ['crash', 'no-real-world:os.hostname', /os.hostname was called/],
  'misbehave-declared-env': ['pass', '', /^$/],
  'misbehave-explored-hang': ['pass', '', /^$/], // seed 0 passes; explore's odd seeds hang (below)
  'misbehave-throw-program': ['crash', 'runner', /program factory bug/],
  'misbehave-throw-node': ['crash', 'exception', /node bug/],
  'misbehave-throw-workload': ['crash', 'runner', /workload bug/],
  'misbehave-throw-workload-event': ['crash', 'exception', /workload event bug/],
  'misbehave-throw-check-setup': ['crash', 'runner', /check setup bug/],
  'misbehave-throw-check-final': ['crash', 'simulator', /check final bug/],
  'misbehave-throw-liveness': ['crash', 'simulator', /liveness bug/],
  // A model reads its records in batches (src/scenario/deferred.ts): its exception is the checking code's, not a node's.
  'misbehave-throw-model-map': ['crash', 'simulator', /a model threw reading trace #\d+ \(.*\): model map bug/],
};

let scenarios: Map<string, Scenario>;

beforeAll(async () => {
  scenarios = new Map((await loadScenarios(DIR)).map((l) => [l.scenario.name, l.scenario]));
});

describe('misbehaving code under test, on worker threads (what `run` does for any worker count)', () => {
  it('every misbehaviour gets its verdict; hangs and memory exhaustion end their run, not the sweep', async () => {
    expect([...scenarios.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    const results: RunResult[] = [];
    const jobs = [...scenarios.keys()].map((scenario) => ({ scenario, seed: 0 }));
    const n = await runJobs(jobs, scenarios, { workers: 2, forceThreads: true, scenariosDir: DIR, runTimeoutS: 2, heapMb: 128, onResult: (r) => results.push(r) });
    expect(n).toBe(jobs.length);
    for (const r of results) {
      const [verdict, check, message] = EXPECTED[r.scenario]!;
      expect({ scenario: r.scenario, verdict: r.verdict }).toEqual({ scenario: r.scenario, verdict });
      if (verdict === 'pass') continue;
      if (typeof check === 'string') expect(r.failure?.check, r.scenario).toBe(check);
      expect(r.failure?.message, r.scenario).toMatch(message);
      expect(r.replay).toBe(`npx syncbench replay ${r.scenario} --seed 0 --scenarios-dir ${REL_DIR}`);
    }
    // A hung run names where it stopped (the record it wrote last) and how long it ran.
    const hung = results.find((r) => r.scenario === 'misbehave-sync-loop')!;
    expect(hung.failure).toMatchObject({ timeUs: 5000, traceIndex: 2 });
    expect(hung.wallMs).toBeGreaterThanOrEqual(1900);
  });

  it('the same traps hold in this process (library callers, explore), where there is no watchdog', async () => {
    for (const name of ['misbehave-exit', 'misbehave-fs-write', 'misbehave-env', 'misbehave-throw-node']) {
      const r = await runScenario(scenarios.get(name)!, 0);
      expect(r.failure?.check, name).toBe(EXPECTED[name]![1]);
    }
  });

  it('a declared environment makes a run that reads it deterministic: same hash twice', async () => {
    const s = scenarios.get('misbehave-declared-env')!;
    const [a, b] = [await runScenario(s, 3), await runScenario(s, 3)];
    expect(a.verdict).toBe('pass');
    expect(a.traceHash).toBe(b.traceHash);
  });
});

describe('the watchdog budget and the heartbeat', () => {
  it('the budget is per simulated minute, never below the base', () => {
    expect(runBudgetMs({ durationMs: 50 }, 2)).toBe(2000);
    expect(runBudgetMs({ durationMs: 90_000, liveness: { withinMs: 30_000 } }, 2)).toBe(4000);
    expect(runBudgetMs(undefined)).toBe(120_000);
  });

  it('keeps the last line, cut (and marked) when longer than its buffer', () => {
    const h = new Heartbeat();
    expect(h.last()).toBe('');
    h.beat('{"i":0}');
    h.beat('{"i":1}');
    expect([h.count(), h.last()]).toEqual([2, '{"i":1}']);
    h.beat(`{"i":2,"pad":"${'é'.repeat(LINE_MAX)}"}`);
    expect(h.last()).toMatch(/^\{"i":2,"pad":"é+ …\(cut\)$/);
    h.reset();
    expect([h.count(), h.last()]).toEqual([0, '']);
  });

  it('progress names the runs in flight longer than 10 s, also while no run finishes', async () => {
    let t = 0;
    let text = '';
    const p = new Progress(5, { out: { write: (s: string) => (text += s) }, plainEveryMs: 1000, now: () => t });
    p.watch(() => [{ job: { scenario: 'slow-one', seed: 4 }, since: 0 }, { job: { scenario: 'fast-one', seed: 1 }, since: 9000 }], 5);
    t = 12_000;
    await new Promise((r) => setTimeout(r, 30));
    p.finish();
    expect(text).toMatch(/^progress: 0\/5 runs \(0\.0%\), 0 failed, .*; running > 10s: slow-one seed 4 \(12s\)\n/);
    expect(text).not.toContain('fast-one');
  });
});

describe('replay and shrink of misbehaving seeds', () => {
  let out = '';
  let err = '';
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => {
    out = '';
    err = '';
  });

  it('replay of a hanging seed ends with a watchdog crash (exit 3), printing the records up to the hang', async () => {
    expect(await main(['replay', 'misbehave-sync-loop', '--seed', '0', '--scenarios-dir', DIR, '--run-timeout', '1'])).toBe(3);
    expect(out).toMatch(/#2 +5\.000 ms A +misbehave.start/);
    expect(out).toMatch(/verdict: crash \(runner:watchdog: .*budget of 1 s/);
    expect(out).toMatch(/trace-hash: \(none: the run did not finish\)/);
  });

  it('replay of a seed that calls process.exit is a crash verdict, not a silent exit 0', async () => {
    expect(await main(['replay', 'misbehave-exit', '--seed', '0', '--scenarios-dir', DIR, '--quiet'])).toBe(3);
    expect(out).toMatch(/verdict: crash \(no-real-world:process.exit/);
  });

  it('explore: a run that hangs is a runner:watchdog finding kept in the corpus, not a hung command', async () => {
    const corpus = path.join(process.env.TMPDIR ?? '/tmp', `syncbench-explore-${process.pid}.json`);
    expect(await main(['explore', 'misbehave-explored-hang', '--scenarios-dir', DIR, '--budget', '4', '--run-timeout', '1', '--corpus', corpus])).toBe(1);
    expect(out).toMatch(/FINDING misbehave-explored-hang seed 1: crash \(runner:watchdog: .*"kind":"misbehave.start"/);
    expect(out).toMatch(/explore misbehave-explored-hang: 1 runs \(cut short by runner:watchdog\)/);
    const entries = (JSON.parse(readFileSync(corpus, 'utf8')) as { entries: { seed: number; expect?: string }[] }).entries;
    expect(entries).toContainEqual(expect.objectContaining({ seed: 1, expect: 'crash' }));
  });

  it('shrink keeps a host-call crash as the failure to preserve', async () => {
    const plan = path.join(process.env.TMPDIR ?? '/tmp', `syncbench-shrink-${process.pid}.json`);
    expect(await main(['shrink', 'misbehave-fs-write', '--seed', '0', '--scenarios-dir', DIR, '--out', plan])).toBe(3);
    expect(out).toMatch(/failure kept: crash no-real-world:fs.writeFileSync/);
  });
});

/**
 * The event budget (Scenario.maxEvents, default 2,000,000): a run whose programs never stop making events
 * at one instant (zero-delay timers, zero-length sleeps) would never reach its deadline. It must end, soon,
 * as a liveness failure of the check 'event-budget' — in the chaos phase and in the liveness phase alike,
 * and through the CLI (exit code 2) — never hang and never pass.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../src/impl/env.ts';
import { main } from '../../src/cli/main.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { RunResult, Scenario } from '../../src/scenario/types.ts';

/** Re-arms a zero-delay timer forever: virtual time never moves past the instant it starts. */
function spinTimers(env: Env): void {
  const spin = (): void => {
    env.clock.setTimeout(spin, 0);
  };
  spin();
}

/** An async loop of zero-length sleeps (the same busy loop written with await). */
async function spinSleeps(env: Env): Promise<never> {
  for (;;) await env.clock.sleep(0);
}

/** A node that ticks every 10 ms (time advances: on its own it would reach the deadline and pass). */
function ticker(env: Env): { ticks(): number } {
  let ticks = 0;
  env.clock.setInterval(() => ticks++, 10);
  return { ticks: () => ticks };
}

const finalCalls: string[] = [];

function busyScenario(over: Partial<Scenario> = {}): Scenario {
  return {
    name: 'busy-loop',
    description: 'A node spins on zero-delay timers from 100 ms on; its partner ticks along.',
    suites: ['test'],
    topology: { nodes: [{ id: 'A' }, { id: 'B' }] },
    program: (node) => (env) => {
      if (node.id === 'B') return ticker(env);
      env.clock.setTimeout(() => spinTimers(env), 100);
      return {};
    },
    durationMs: 1_000,
    maxEvents: 20_000,
    checks: [{ name: 'invariant:final-ran', final: (ctx) => void finalCalls.push(`seed ${ctx.seed}`) }],
    ...over,
  };
}

function expectBudgetFailure(r: RunResult, maxEvents: number, atUs: number): void {
  expect(r.verdict).toBe('liveness');
  expect(r.failure).not.toBeNull();
  expect(r.failure!.kind).toBe('liveness');
  expect(r.failure!.check).toBe('event-budget');
  expect(r.failure!.message).toContain(`event budget of ${maxEvents} events exhausted`);
  // It stopped exactly at the budget, at the instant the loop started (time never moved on).
  expect(r.events).toBe(maxEvents);
  expect(r.simTimeUs).toBe(atUs);
  expect(r.failure!.timeUs).toBe(atUs);
}

afterEach(() => {
  finalCalls.length = 0;
});

describe('event budget of a scenario', () => {
  it('a busy loop of zero-delay timers in the chaos phase ends at maxEvents as a liveness failure (event-budget)', async () => {
    const started = performance.now();
    const r = await runScenario(busyScenario(), 1);
    expect(performance.now() - started).toBeLessThan(10_000);
    expectBudgetFailure(r, 20_000, 100_000);
    expect(finalCalls).toEqual([]); // final checks do not run after a failure
  });

  it('an async loop of zero-length sleeps is caught the same way', async () => {
    const scenario = busyScenario({
      program: () => (env) => {
        void spinSleeps(env);
        return {};
      },
      maxEvents: 5_000,
    });
    const r = await runScenario(scenario, 2);
    expectBudgetFailure(r, 5_000, 0);
  });

  it('the same scenario with a budget it stays within passes (the verdict comes from the budget, not the program)', async () => {
    const quiet = busyScenario({ program: () => ticker });
    const r = await runScenario(quiet, 1);
    expect(r.verdict).toBe('pass');
    expect(r.failure).toBeNull();
    expect(r.events).toBeLessThan(20_000);
    expect(finalCalls).toEqual(['seed 1']);
  });

  it('a busy loop that starts after healing, during the liveness phase, fails event-budget (not a plain liveness timeout)', async () => {
    const scenario = busyScenario({
      program: (node) => (env) => {
        if (node.id === 'B') return ticker(env);
        env.clock.setTimeout(() => spinTimers(env), 1_200); // chaos ends at 1,000 ms
        return {};
      },
      liveness: { withinMs: 2_000, done: () => 'never done' },
    });
    const r = await runScenario(scenario, 3);
    // Exactly maxEvents in all: the chaos phase's events (B's ticks, A's timer) count against the same budget.
    expectBudgetFailure(r, 20_000, 1_200_000);
  });

  it('without maxEvents the default budget of 2,000,000 events applies', async () => {
    const started = performance.now();
    const r = await runScenario(busyScenario({ maxEvents: undefined }), 5);
    expectBudgetFailure(r, 2_000_000, 100_000);
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('is deterministic: the same seed stops at the same trace', async () => {
    const a = await runScenario(busyScenario(), 9);
    const b = await runScenario(busyScenario(), 9);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.failure).toEqual(b.failure);
  });
});

describe('event budget through the CLI', () => {
  afterEach(() => vi.restoreAllMocks());

  it('syncbench run on a scenarios dir holding a busy-looping scenario exits 2 (liveness) and names event-budget', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const dir = mkdtempSync(path.join(tmpdir(), 'syncbench-budget-'));
    // Scenario modules are ES modules: a folder outside this package needs its own package.json saying so.
    writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(
      path.join(dir, 'busy.ts'),
      [
        'export default {',
        "  name: 'fixture-busy-loop',",
        "  description: 'Spins on zero-delay timers from 50 ms on.',",
        "  suites: ['fixture-busy'],",
        "  topology: { nodes: [{ id: 'A' }] },",
        '  program: () => (env: { clock: { setTimeout(fn: () => void, ms: number): unknown } }) => {',
        '    const spin = (): void => { env.clock.setTimeout(spin, 0); };',
        '    env.clock.setTimeout(spin, 50);',
        '    return {};',
        '  },',
        '  durationMs: 500,',
        '  maxEvents: 3000,',
        '};',
        '',
      ].join('\n'),
    );
    const code = await main(['run', 'fixture-busy', '--seeds', '0..1', '--workers', '1', '--json', '--no-report', '--scenarios-dir', dir]);
    expect(code).toBe(2);
    const results = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunResult);
    expect(results.map((r) => [r.seed, r.verdict, r.failure?.check, r.events])).toEqual([
      [0, 'liveness', 'event-budget', 3000],
      [1, 'liveness', 'event-budget', 3000],
    ]);
  });
});

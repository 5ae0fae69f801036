/**
 * Failures that explain themselves: message shapes (which messages group together and which do not),
 * grouping of failing runs (first and smallest seed), compact seed lists and fault plans in words.
 */
import { describe, expect, it } from 'vitest';
import type { FaultEvent } from '../../src/faults/plan.ts';
import { failureGroups, messageShape, seedList } from '../../src/report/groups.ts';
import { eventWords, faultEventCount, planWords, runPlanWords } from '../../src/report/plan-words.ts';
import type { RunRow } from '../../src/runner/results.ts';
import { planFor } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { failedRow } from './rows.ts';

describe('messageShape', () => {
  const same = (a: string, b: string, ids: string[] = []): void => expect(messageShape(a, ids), `${a} ~ ${b}`).toBe(messageShape(b, ids));
  const differ = (a: string, b: string): void => expect(messageShape(a), `${a} !~ ${b}`).not.toBe(messageShape(b));

  it('replaces quoted ids, trace indexes, hex, times and numbers with placeholders', () => {
    expect(messageShape("'C' began a leader write with epoch 2 (trace #3499) after 'B' had acquired epoch 3: two tabs believed they held the lease")).toBe(
      "'<id>' began a leader write with epoch <n> (trace #<i>) after '<id>' had acquired epoch <n>: two tabs believed they held the lease",
    );
    expect(messageShape('hash 3fa9c2d01b7e then 0x1F at 4501.050 ms, 5 s, 300µs, -2 min; got -12 and 7.5')).toBe('hash <hex> then <hex> at <t>, <t>, <t>, <t>; got <n> and <n>');
    expect(messageShape('record 123e4567-e89b-12d3-a456-426614174000 lost')).toBe('record <hex> lost');
    expect(messageShape('node-3 and t12 differ')).toBe('node-<n> and t<n> differ');
    expect(messageShape('B committed HLC 17 after 12', ['B'])).toBe('<id> committed HLC <n> after <n>');
  });

  it('groups messages of one bug: other ids, epochs, trace indexes, times, hashes, seeds', () => {
    same("'C' began a leader write with epoch 2 (trace #3499) after 'B' had acquired epoch 3: two tabs believed they held the lease", "'B' began a leader write with epoch 7 (trace #12) after 'C' had acquired epoch 8: two tabs believed they held the lease");
    same('no leader among running tabs t1, t2 4501 ms after healing (bound 3000 ms)', 'no leader among running tabs t3, t4 812.5 ms after healing (bound 3000 ms)');
    same('trace hash deadbeef0123 differs from a1b2c3d4e5f6', 'trace hash 99887766aabb differs from 0011223344ff');
    same('seed 5 is 1 mod 4', 'seed 9 is 1 mod 4');
    same("add('x-1') at A was acknowledged, but A's durable log holds no valid line for it", "add('y-27') at A was acknowledged, but A's durable log holds no valid line for it");
    same('B committed HLC 17 after 12: not strictly increasing', 'B committed HLC 170 after 99: not strictly increasing', ['B']);
    expect(messageShape('B committed HLC 17 after 12', ['B'])).toBe(messageShape('C committed HLC 170 after 99', ['C']));
  });

  it('keeps apart messages that differ in words, in the number of values, or in an unquoted name', () => {
    differ('lease expired at epoch 2', 'lease renewed at epoch 2');
    differ('only 3 of the 5 invalid messages were rejected', 'only 3 invalid messages were rejected');
    differ('B committed HLC 17 after 12', 'C committed HLC 17 after 12');
    differ('block 3 damaged', 'block 3 missing');
    differ('read 3 items', 'read 3 items twice');
    // A word made of hex letters only is not a hash; a possessive apostrophe is not a quote.
    differ('a decade passed', 'a facade passed');
    expect(messageShape("A's log holds 'x'")).toBe("A's log holds '<id>'");
  });
});

const row = failedRow;

describe('failureGroups', () => {
  it('groups by scenario, verdict, check and message shape, in the order of the first runs', () => {
    const pass: RunRow = { ...row(0, ''), verdict: 'pass', failure: undefined, replay: undefined };
    const runs = [
      pass,
      row(1, "'A' lost write 3"),
      row(2, 'timed out after 40 ms', {}, 'liveness:done'),
      row(3, "'B' lost write 17"),
      row(4, "'A' lost write 3", { scenario: 'other' }),
      row(5, "'A' lost write 3", { verdict: 'liveness' }),
      row(6, "'A' duplicated write 3"),
    ];
    const groups = failureGroups(runs);
    expect(groups.map((g) => [g.scenario, g.verdict, g.check, g.runs.map((r) => r.seed)])).toEqual([
      ['sc', 'correctness', 'invariant:x', [1, 3]],
      ['sc', 'correctness', 'liveness:done', [2]],
      ['other', 'correctness', 'invariant:x', [4]],
      ['sc', 'liveness', 'invariant:x', [5]],
      ['sc', 'correctness', 'invariant:x', [6]],
    ]);
    expect(groups[0]!.shape).toBe("'<id>' lost write <n>");
  });

  it('names the first seed and the smallest one: fewest fault events, ties by lowest seed, unknown counts last', () => {
    const runs = [
      row(9, 'x 1', { faultSummary: 'swarm: pause 0.50/s x3; 3 events in 1000ms' }),
      row(4, 'x 2', { faultSummary: 'something else' }),
      row(7, 'x 3', { faultSummary: 'plan: 1 fault events' }),
      row(5, 'x 4', { faultSummary: 'swarm: crash 0.10/s x1; 1 events in 1000ms' }),
      row(8, 'x 5', { faultSummary: 'plan: 2 fault events' }),
    ];
    const [g] = failureGroups(runs);
    expect(g!.first.seed).toBe(9);
    expect(g!.smallest.seed).toBe(5);
    expect(g!.smallestEvents).toBe(1);
    expect(failureGroups([runs[1]!, runs[0]!])[0]!.smallest.seed).toBe(9);
    expect(failureGroups([row(3, 'y', { faultSummary: 'no faults' }), row(1, 'y', { faultSummary: 'no faults' })])[0]!.smallest.seed).toBe(1);
  });

  it("words the example seed's plan: events from the scenario when it is at hand, the summary otherwise", () => {
    const scenario = { name: 'sc', faults: { events: [{ kind: 'pause', node: 'A', atMs: 300, durationMs: 200 }, { kind: 'crash', node: 'B', atMs: 700, restartAfterMs: 50 }] } } as unknown as Scenario;
    const runs = [row(1, 'x')];
    expect(failureGroups(runs)[0]!.plan).toEqual(['2 fault events']);
    expect(failureGroups(runs, new Map([['sc', scenario]]))[0]!.plan).toEqual(['2 fault events', 'pause A at 300 ms for 200 ms', 'crash B at 700 ms (restart after 50 ms)']);
    // A plan given to the run (corpus entry, shrunk plan) is not the scenario's: it is not drawn from it.
    const override = runPlanWords(row(1, 'x', { faultSummary: 'plan: 1 fault events (override)' }), scenario);
    expect(override).toHaveLength(1);
    expect(override[0]).toMatch(/^1 fault event \(a plan given to the run/);
  });
});

describe('plans in words', () => {
  it('says kind, target, time and duration of each event', () => {
    const events: [FaultEvent, string][] = [
      [{ kind: 'pause', node: 'B', atMs: 4000, durationMs: 1500 }, 'pause B at 4000 ms for 1500 ms'],
      [{ kind: 'crash', node: 'A', powerLoss: true, restartAfterMs: 200, trigger: { node: 'A', area: 'disk', op: 'fsync', nth: 3, target: '/db/wal' } }, 'crash A at the 3rd disk.fsync of A on /db/wal (powerLoss, restart after 200 ms)'],
      [{ kind: 'partition', a: ['A', 'B'], b: ['C'], atMs: 10, durationMs: 20 }, 'partition A,B | C at 10 ms for 20 ms'],
      [{ kind: 'partition', a: ['A'], b: ['C'], oneWay: true, atMs: 10, durationMs: 20 }, 'partition A -> C at 10 ms for 20 ms'],
      [{ kind: 'clog', from: 'A', to: 'B', atMs: 1, durationMs: 2 }, 'clog A -> B at 1 ms for 2 ms'],
      [{ kind: 'stall', a: 'A', b: 'B', atMs: 1, durationMs: 2 }, 'stall A <-> B at 1 ms for 2 ms'],
      [{ kind: 'linkFaults', lossRate: 0.25, atMs: 0, durationMs: 900 }, 'linkFaults every link at 0 ms for 900 ms (lossRate=0.25)'],
      [{ kind: 'linkFaults', to: 'C', latencyMs: 40, atMs: 0, durationMs: 900 }, 'linkFaults * -> C at 0 ms for 900 ms (latencyMs=40)'],
      [{ kind: 'resetConnections', a: 'A', atMs: 5 }, 'resetConnections A at 5 ms'],
      [{ kind: 'clockJump', node: 'D', deltaMs: -2000, atMs: 650 }, 'clockJump D at 650 ms (deltaMs=-2000)'],
      [{ kind: 'diskError', node: 'A', op: 'write', code: 'EIO', nth: 2, atMs: 0 }, 'diskError A at 0 ms (op=write, code=EIO, nth=2)'],
    ];
    for (const [e, words] of events) expect(eventWords(e)).toBe(words);
  });

  it('keeps to a few lines, then "and N more"', () => {
    const plan = { events: Array.from({ length: 7 }, (_, k): FaultEvent => ({ kind: 'pause', node: 'A', atMs: 100 * k, durationMs: 10 })) };
    expect(planWords(plan)).toEqual(['pause A at 0 ms for 10 ms', 'pause A at 100 ms for 10 ms', 'pause A at 200 ms for 10 ms', 'and 4 more']);
    expect(planWords({ events: [] })).toEqual(['(no faults)']);
  });

  it('reads the number of fault events from a fault summary', () => {
    expect(faultEventCount('no faults')).toBe(0);
    expect(faultEventCount('plan: 1 fault events')).toBe(1);
    expect(faultEventCount('plan: 12 fault events (override)')).toBe(12);
    expect(faultEventCount('swarm: pause 0.50/s 100-300ms x4, crash 0.10/s x1 (1 at operations); 5 events in 2000ms\n  never crashed: A')).toBe(5);
    expect(faultEventCount('whatever')).toBeUndefined();
  });

  it("draws a swarm seed's plan as the run did, under the swarm's summary line", () => {
    const swarm = { name: 'sw', topology: { nodes: [{ id: 'A' }, { id: 'B' }] }, durationMs: 60_000, faults: { swarm: { kinds: ['pause', 'clockJump'], enableProbability: 1 } } } as unknown as Scenario;
    const { plan, summary } = planFor(swarm, 7, {});
    expect(plan.events.length).toBeGreaterThan(3);
    const lines = runPlanWords(row(7, 'x', { faultSummary: summary }), swarm);
    expect(lines[0]).toBe(summary);
    expect(lines.slice(1)).toEqual(planWords(plan));
    expect(lines.at(-1)).toBe(`and ${plan.events.length - 3} more`);
  });
});

describe('seedList', () => {
  const rows = (seeds: number[]): RunRow[] => seeds.map((s) => row(s, 'x'));
  it('writes runs of consecutive seeds as ranges, ascending, and caps the list', () => {
    expect(seedList(rows([9, 0, 1, 2, 3, 5, 6, 12]))).toBe('0..3, 5, 6, 9, 12');
    expect(seedList(rows([1, 3, 5, 7, 9]), 3)).toBe('1, 3, 5 and 2 more');
    expect(seedList(rows([4, 4]))).toBe('4');
  });
});

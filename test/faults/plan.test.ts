import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultPlanError, formatPlan, parsePlan, validatePlan, type FaultPlan } from '../../src/faults/plan.ts';
import { FAULT_KINDS } from '../../src/faults/schema.ts';
import { swarmPlan } from '../../src/faults/swarm.ts';
import { Rng } from '../../src/sim/rng.ts';

const nodes = ['A', 'B', 'C'];

/** One event of every kind, in FAULT_KINDS order. */
const everyKind: FaultPlan = {
  events: [
    { kind: 'crash', atMs: 100, node: 'A', powerLoss: true, restartAfterMs: 50 },
    { kind: 'restart', atMs: 200, node: 'A' },
    { kind: 'pause', atMs: 300, node: 'B', durationMs: 500 },
    { kind: 'resume', atMs: 400, node: 'B' },
    { kind: 'partition', atMs: 500, a: ['A'], b: ['B', 'C'], oneWay: true, durationMs: 1000 },
    { kind: 'isolate', atMs: 600, node: 'C', durationMs: 700 },
    { kind: 'clog', atMs: 700, from: 'A', to: 'B', durationMs: 100 },
    { kind: 'stall', atMs: 800, a: 'A', b: 'C', durationMs: 100 },
    { kind: 'resetConnections', atMs: 900, a: 'A', b: 'B' },
    { kind: 'linkFaults', atMs: 1000, from: 'A', lossRate: 0.1, latencyMs: 30, durationMs: 2000 },
    { kind: 'clockJump', atMs: 1100, node: 'B', deltaMs: -5000 },
    { kind: 'clockDrift', atMs: 1200, node: 'B', driftPpm: 250, durationMs: 3000 },
    { kind: 'diskError', atMs: 1300, node: 'A', op: 'write', code: 'ENOSPC', probability: 0.2, durationMs: 400 },
    { kind: 'fsyncFail', node: 'A', trigger: { node: 'A', area: 'kv', op: 'commit', nth: 2 }, nth: 1 },
    { kind: 'tornWrite', atMs: 1500, node: 'C', nth: 3 },
    { kind: 'bitFlip', atMs: 1600, node: 'C', probability: 0.5 },
    { kind: 'corrupt', atMs: 1700, node: 'A', area: 'disk', path: '/store/blocks/*', mode: 'zero' },
    { kind: 'crash', node: 'B', trigger: { node: 'B', area: 'disk', op: 'fsync', nth: 3, target: '/db/wal' }, when: 'after' },
    { kind: 'pause', node: 'C', durationMs: 200, when: 'before', trigger: { node: 'C', area: 'kv', op: 'get', nth: 2, target: 'rec' } },
    { kind: 'corrupt', node: 'C', area: 'kv', trigger: { node: 'A', area: 'bus', op: 'post', nth: 1 } },
    { kind: 'taskDelay', atMs: 1800, node: 'B', source: 'lock', delayMs: 300, durationMs: 1000 },
  ],
};

/** The FaultPlanError thrown by `fn` (fails the test when nothing or something else is thrown). */
function errorOf(fn: () => unknown): FaultPlanError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FaultPlanError) return e;
    throw e;
  }
  throw new Error('expected a FaultPlanError, nothing was thrown');
}

/** The error for a plan holding `event` after one good event (so its index is 1). */
function eventError(event: unknown): string {
  const plan = { events: [{ kind: 'restart', atMs: 0, node: 'A' }, event] };
  return errorOf(() => parsePlan(plan, ['A', 'B'])).message;
}

describe('fault plan', () => {
  it('covers every fault kind in the fixture', () => {
    expect(new Set(everyKind.events.map((e) => e.kind))).toEqual(new Set(FAULT_KINDS));
  });

  it('round-trips through JSON and parsePlan unchanged', () => {
    const text = JSON.stringify(everyKind);
    const parsed = parsePlan(text, nodes);
    expect(parsed).toEqual(everyKind);
    expect(parsePlan(JSON.parse(text), nodes)).toEqual(everyKind);
    expect(formatPlan(parsed)).toBe(formatPlan(everyKind));
  });

  it('prints one line per event, with when, kind and fields', () => {
    const lines = formatPlan(everyKind).split('\n');
    expect(lines).toHaveLength(everyKind.events.length);
    expect(lines[0]).toBe('#0 at 100ms: crash node=A powerLoss=true restartAfterMs=50');
    expect(lines[4]).toBe('#4 at 500ms: partition a=[A] b=[B,C] oneWay=true durationMs=1000');
    expect(lines[16]).toBe('#16 at 1700ms: corrupt node=A area=disk path=/store/blocks/* mode=zero');
    expect(lines[17]).toBe('#17 at 3rd disk.fsync of B on /db/wal: crash node=B when=after');
    expect(lines[18]).toBe('#18 at 2nd kv.get of C on rec: pause node=C durationMs=200 when=before');
    expect(formatPlan({ events: [] })).toBe('(no faults)');
  });

  it('drops nothing and adds nothing: parsing returns fresh objects in schema order', () => {
    const input = { events: [{ durationMs: 5, node: 'A', atMs: 1, kind: 'pause' }] };
    const parsed = parsePlan(input, nodes);
    expect(Object.keys(parsed.events[0]!)).toEqual(['kind', 'atMs', 'node', 'durationMs']);
    expect(parsed.events[0]).not.toBe(input.events[0]);
  });

  it('round-trips swarm plans of many seeds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const { plan } = swarmPlan(new Rng(seed), { nodes }, {}, 20_000);
        expect(parsePlan(JSON.stringify(plan), nodes)).toEqual(plan);
      }),
      { numRuns: 200 },
    );
  });
});

describe('plan validation names the bad field', () => {
  it('unknown node, with the scenario nodes', () => {
    expect(eventError({ kind: 'crash', atMs: 5, node: 'X' })).toBe(
      "faults.events[1].node: unknown node 'X' (nodes: A, B)",
    );
    expect(eventError({ kind: 'partition', atMs: 5, a: ['A'], b: ['Z'], durationMs: 1 })).toBe(
      "faults.events[1].b[0]: unknown node 'Z' (nodes: A, B)",
    );
    expect(eventError({ kind: 'crash', node: 'A', trigger: { node: 'Q', area: 'disk', op: 'fsync', nth: 1 } })).toBe(
      "faults.events[1].trigger.node: unknown node 'Q' (nodes: A, B)",
    );
  });

  it('unknown kind and unknown fields', () => {
    expect(eventError({ kind: 'meteor', atMs: 5 })).toMatch(/^faults\.events\[1\]\.kind: unknown kind 'meteor' \(kinds: crash, /);
    expect(eventError({ kind: 'pause', atMs: 5, node: 'A', durationMS: 3 })).toMatch(
      /^faults\.events\[1\]\.durationMS: unknown field of pause \(fields: node, durationMs, when\)/,
    );
    expect(errorOf(() => parsePlan({ events: [], extra: 1 })).path).toBe('faults.extra');
  });

  it('negative, zero and non-numeric durations', () => {
    expect(eventError({ kind: 'pause', atMs: 5, node: 'A', durationMs: -1 })).toMatch(
      /^faults\.events\[1\]\.durationMs: -1 is out of range/,
    );
    expect(eventError({ kind: 'pause', atMs: 5, node: 'A', durationMs: 0 })).toBe(
      'faults.events[1].durationMs: a duration must be positive',
    );
    expect(eventError({ kind: 'pause', atMs: 5, node: 'A', durationMs: '3' })).toMatch(/durationMs: expected a duration/);
    expect(eventError({ kind: 'pause', atMs: -2, node: 'A', durationMs: 3 })).toMatch(/^faults\.events\[1\]\.atMs: -2 is out of range/);
  });

  it('network delays and stalls stay within the network bound (one hour)', () => {
    expect(eventError({ kind: 'stall', atMs: 5, a: 'A', b: 'B', durationMs: 3_600_001 })).toMatch(
      /^faults\.events\[1\]\.durationMs: 3600001 is out of range: expected a duration in ms, 0 < d <= 3600000/,
    );
    expect(eventError({ kind: 'linkFaults', atMs: 5, tailMs: 4e6, durationMs: 10 })).toMatch(/^faults\.events\[1\]\.tailMs: /);
    // partitions are not latencies: they may last longer
    expect(() => parsePlan({ events: [{ kind: 'partition', atMs: 5, a: ['A'], b: ['B'], durationMs: 7_200_000 }] })).not.toThrow();
  });

  it('timing: both atMs and trigger, or neither', () => {
    const trigger = { node: 'A', area: 'disk', op: 'fsync', nth: 3 };
    expect(eventError({ kind: 'crash', atMs: 5, trigger, node: 'A' })).toBe(
      'faults.events[1]: has both atMs and trigger: an event is either timed or triggered',
    );
    expect(eventError({ kind: 'crash', node: 'A' })).toBe('faults.events[1]: has neither atMs nor trigger: say when it happens');
  });

  it('missing fields and cross-field rules', () => {
    expect(eventError({ kind: 'pause', atMs: 5, node: 'A' })).toBe('faults.events[1].durationMs: missing (pause needs durationMs)');
    expect(eventError({ kind: 'crash', atMs: 5, node: 'A', when: 'before' })).toBe(
      'faults.events[1].when: only triggered crashes have when',
    );
    expect(eventError({ kind: 'partition', atMs: 5, a: ['A'], b: ['A', 'B'], durationMs: 1 })).toBe(
      "faults.events[1].b: node 'A' is on both sides",
    );
    expect(eventError({ kind: 'clog', atMs: 5, from: 'A', to: 'A', durationMs: 1 })).toBe(
      "faults.events[1].to: must differ from from ('A')",
    );
    expect(eventError({ kind: 'fsyncFail', atMs: 5, node: 'A' })).toBe('faults.events[1]: needs nth or probability');
    expect(eventError({ kind: 'bitFlip', atMs: 5, node: 'A', nth: 1, probability: 0.5 })).toBe(
      'faults.events[1]: has both nth and probability: choose one',
    );
    expect(eventError({ kind: 'linkFaults', atMs: 5, durationMs: 10 })).toMatch(/^faults\.events\[1\]: sets none of lossRate/);
    expect(eventError({ kind: 'diskError', atMs: 5, node: 'A', op: 'frobnicate', code: 'EIO', nth: 1 })).toMatch(
      /^faults\.events\[1\]\.op: unknown disk operation 'frobnicate'/,
    );
    expect(eventError({ kind: 'diskError', atMs: 5, node: 'A', op: 'write', code: 'EPERM', nth: 1 })).toBe(
      "faults.events[1].code: expected one of EIO, ENOSPC, got 'EPERM'",
    );
    expect(eventError({ kind: 'diskError', atMs: 5, node: 'A', area: 'kv', op: 'put', code: 'EIO', nth: 1 })).toBe(
      "faults.events[1].op: unknown kv operation 'put' (operations: *, commit, get, keys)",
    );
  });

  it("pause: when only for a triggered pause of the trigger's own node, before only where an operation completes later", () => {
    const at = (area: string, op: string, node = 'A') => ({ node, area, op, nth: 1 });
    expect(eventError({ kind: 'pause', atMs: 5, node: 'A', durationMs: 1, when: 'after' })).toBe('faults.events[1].when: only triggered pauses have when');
    expect(eventError({ kind: 'pause', node: 'A', durationMs: 1, when: 'after', trigger: at('kv', 'commit', 'B') })).toBe(
      "faults.events[1].when: only a pause of the trigger's own node ('B') has when",
    );
    expect(eventError({ kind: 'pause', node: 'A', durationMs: 1, when: 'before', trigger: at('bus', 'post') })).toBe(
      'faults.events[1].when: a bus operation takes effect as it is called: a node can only freeze after it',
    );
    for (const [area, op] of [['disk', 'rename'], ['kv', 'get'], ['kv', 'commit']]) {
      expect(parsePlan({ events: [{ kind: 'pause', node: 'A', durationMs: 1, when: 'before', trigger: at(area!, op!) }] }).events).toHaveLength(1);
    }
    expect(parsePlan({ events: [{ kind: 'pause', node: 'B', durationMs: 1, trigger: at('net', 'send') }] }).events).toHaveLength(1);
  });

  it('corrupt: path, mode, area', () => {
    expect(eventError({ kind: 'corrupt', atMs: 5, node: 'A', path: '' })).toMatch(/^faults\.events\[1\]\.path: expected a path or store name/);
    expect(eventError({ kind: 'corrupt', atMs: 5, node: 'A', path: '*' })).toMatch(/^faults\.events\[1\]\.path: expected a path/);
    expect(eventError({ kind: 'corrupt', atMs: 5, node: 'A', path: 'store/x' })).toBe("faults.events[1].path: a disk path starts with '/', got 'store/x'");
    expect(eventError({ kind: 'corrupt', atMs: 5, node: 'A', mode: 'melt' })).toBe("faults.events[1].mode: expected one of flip, zero, truncate, got 'melt'");
    expect(eventError({ kind: 'corrupt', atMs: 5, node: 'A', area: 'kv', mode: 'truncate' })).toBe(
      "faults.events[1].mode: 'truncate' damages disk files only (a kv value keeps its size)",
    );
    expect(parsePlan({ events: [{ kind: 'corrupt', atMs: 5, node: 'A', area: 'kv', path: 'store:*', mode: 'zero' }] }).events).toHaveLength(1);
  });

  it('triggers: area, op, nth', () => {
    const crash = (trigger: unknown): string => eventError({ kind: 'crash', node: 'A', trigger });
    expect(crash({ node: 'A', area: 'cpu', op: 'x', nth: 1 })).toMatch(/^faults\.events\[1\]\.trigger\.area: expected one of disk, kv/);
    expect(crash({ node: 'A', area: 'disk', op: 'fsync', nth: 0 })).toMatch(/^faults\.events\[1\]\.trigger\.nth: 0 is out of range/);
    expect(crash({ node: 'A', area: 'disk', op: 'fsync', nth: 1.5 })).toMatch(/trigger\.nth: 1\.5 is not an integer/);
    expect(crash({ node: 'A', area: 'disk', op: 'fsinc', nth: 1 })).toMatch(/trigger\.op: unknown disk operation 'fsinc'/);
    expect(crash({ node: 'A', area: 'disk', op: 'readFile', nth: 1 })).toMatch(/readFile is reported as 'read'$/);
    expect(crash({ node: 'A', area: 'net', op: 'recv', nth: 1 })).toBe(
      "faults.events[1].trigger.op: unknown net operation 'recv' (operations: *, send, datagram, connect)",
    );
    expect(crash({ node: 'A', area: 'net', op: 'send', nth: 1, extra: true })).toBe(
      'faults.events[1].trigger.extra: unknown field of a trigger',
    );
  });

  it('the plan itself: JSON text, events list, custom root', () => {
    expect(errorOf(() => parsePlan('{ nope')).message).toMatch(/^faults: not valid JSON/);
    expect(errorOf(() => parsePlan({ events: 3 })).message).toBe('faults.events: expected a list of events, got 3');
    expect(errorOf(() => parsePlan([])).message).toBe('faults: expected { events: [...] }, got an array');
    expect(() => validatePlan({ events: [{ kind: 'crash', atMs: 1, node: 'C' }] }, ['A'], 'scenario.faults')).toThrow(
      "scenario.faults.events[0].node: unknown node 'C' (nodes: A)",
    );
  });

  it('without a node list any non-empty id passes', () => {
    expect(parsePlan({ events: [{ kind: 'crash', atMs: 1, node: 'anything' }] }).events).toHaveLength(1);
  });
});

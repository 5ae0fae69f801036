import { describe, expect, it } from 'vitest';
import { parsePlan, type FaultEvent } from '../../src/faults/plan.ts';
import { NETWORK_KINDS } from '../../src/faults/schema.ts';
import { formatSwarmSummary, swarmPlan, type SwarmOptions } from '../../src/faults/swarm.ts';
import { Rng } from '../../src/sim/rng.ts';

const topology = { nodes: ['A', 'B', 'C'] };

function plan(seed: number, options: SwarmOptions = {}, durationMs = 30_000) {
  return swarmPlan(new Rng(seed), topology, options, durationMs);
}

/** Nodes an event can take down (its node, or every node on its device when it cuts power). */
function crashedBy(e: FaultEvent): string[] {
  if (e.kind !== 'crash' && e.kind !== 'tornWrite') return [];
  if (typeof e.node !== 'string') throw new Error(`the swarm drew a selector for a ${e.kind}: it cannot keep neverCrash`);
  return [e.node];
}

describe('swarm', () => {
  it('is a pure function of the seed and options', () => {
    for (const seed of [1, 2, 99, 123456]) {
      expect(plan(seed)).toEqual(plan(seed));
      expect(JSON.stringify(plan(seed).plan)).toBe(JSON.stringify(plan(seed).plan));
    }
  });

  it('different seeds choose different kind mixes', () => {
    const mixes = new Set<string>();
    for (let seed = 0; seed < 20; seed++) mixes.add(plan(seed).summary.kinds.map((k) => k.kind).join(','));
    expect(mixes.size).toBeGreaterThanOrEqual(5);
  });

  it('chooses rates within their ranges and durations at or above the minimum (stability)', () => {
    for (let seed = 0; seed < 50; seed++) {
      const { plan: p, summary } = plan(seed, { durationMs: { pause: { min: 400, max: 600 } } });
      for (const k of summary.kinds) expect(k.ratePerSec).toBeGreaterThan(0);
      for (const e of p.events) if (e.kind === 'pause') expect(e.durationMs).toBeGreaterThanOrEqual(400);
      for (const e of p.events) if (e.kind === 'pause') expect(e.durationMs).toBeLessThanOrEqual(600);
    }
  });

  it('enables at least one kind, even with enableProbability 0', () => {
    for (let seed = 0; seed < 20; seed++) expect(plan(seed, { enableProbability: 0 }).summary.kinds).toHaveLength(1);
    for (let seed = 0; seed < 5; seed++) expect(plan(seed, { enableProbability: 1 }).summary.kinds.length).toBe(14);
  });

  it('never crashes protected nodes, nor cuts the power of their device', () => {
    const options: SwarmOptions = { neverCrash: ['A'], enableProbability: 1, ratePerSec: { crash: { min: 5, max: 5 }, tornWrite: { min: 5, max: 5 } } };
    const devices = { d1: ['A', 'B'] };
    let crashes = 0;
    for (let seed = 0; seed < 30; seed++) {
      const { plan: p } = swarmPlan(new Rng(seed), { ...topology, devices }, options, 10_000);
      for (const e of p.events) {
        const down = crashedBy(e);
        crashes += down.length;
        expect(down).not.toContain('A');
        if (e.kind === 'crash' && e.node === 'B') expect(e.powerLoss ?? false).toBe(false);
        if (e.kind === 'crash' && e.trigger !== undefined) expect(e.node).toBe('C');
        if (e.kind === 'tornWrite') expect(e.node).toBe('C');
      }
    }
    expect(crashes).toBeGreaterThan(100);
  });

  it('produces plans that validate against the topology', () => {
    for (let seed = 0; seed < 100; seed++) {
      expect(() => parsePlan(plan(seed, { enableProbability: 0.8 }).plan, topology.nodes)).not.toThrow();
    }
  });

  it('sorts events by time and keeps them inside the chaos phase', () => {
    const { plan: p } = plan(5, { enableProbability: 1 }, 10_000);
    const times = p.events.filter((e) => e.atMs !== undefined).map((e) => e.atMs!);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(Math.max(...times)).toBeLessThan(10_000);
  });

  it('restricting kinds does not shift what other kinds generate', () => {
    for (let seed = 0; seed < 20; seed++) {
      const all = plan(seed, { enableProbability: 1 });
      const only = plan(seed, { enableProbability: 1, kinds: ['partition', 'clockJump'] });
      const pick = (events: FaultEvent[]) => events.filter((e) => e.kind === 'partition' || e.kind === 'clockJump');
      expect(only.plan.events).toEqual(pick(all.plan.events));
    }
  });

  it('leaves out network kinds on one node and rejects them when asked for', () => {
    const one = { nodes: ['solo'] };
    for (let seed = 0; seed < 20; seed++) {
      const { summary } = swarmPlan(new Rng(seed), one, { enableProbability: 1 }, 5_000);
      expect(summary.kinds.some((k) => NETWORK_KINDS.has(k.kind))).toBe(false);
    }
    expect(() => swarmPlan(new Rng(1), one, { kinds: ['partition'] }, 5_000)).toThrow(
      'swarm.kinds[0]: partition needs at least two nodes',
    );
  });

  it('rejects bad options naming the field', () => {
    expect(() => plan(1, { neverCrash: ['Z'] })).toThrow("swarm.neverCrash[0]: unknown node 'Z' (nodes: A, B, C)");
    expect(() => plan(1, { ratePerSec: { crash: { min: 0, max: 1 } } })).toThrow('swarm.ratePerSec.crash.min');
    expect(() => plan(1, { durationMs: { pause: { min: 10, max: 5 } } })).toThrow('swarm.durationMs.pause.max');
    expect(() => plan(1, { enableProbability: 2 })).toThrow('swarm.enableProbability');
    expect(() => plan(1, { kinds: ['crash', 'nope' as never] })).toThrow("swarm.kinds[1]: unknown kind 'nope'");
    expect(() => plan(1, { neverCrash: ['A', 'B', 'C'], kinds: ['crash'] })).toThrow('crash every node is in neverCrash');
  });

  it('caps the plan at eventsMax and says so', () => {
    const { plan: p, summary } = plan(3, { enableProbability: 1, eventsMax: 10, ratePerSec: { clog: { min: 50, max: 50 } } });
    expect(p.events).toHaveLength(10);
    expect(summary.truncated).toBe(true);
    expect(summary.kinds.reduce((n, k) => n + k.events, 0)).toBe(10);
    expect(formatSwarmSummary(summary)).toContain('truncated at eventsMax');
  });

  it('prints the chosen kinds and rates in one line (two with protected nodes)', () => {
    const { summary } = plan(7, { kinds: ['crash', 'partition'], enableProbability: 1 });
    const text = formatSwarmSummary(summary);
    expect(text).toMatch(/^swarm: crash \d+\.\d\d\/s 50-3000ms x\d+( \(\d+ at operations\))?, partition \d+\.\d\d\/s 200-5000ms x\d+; \d+ events in 30000ms$/);
    const triggered = summary.kinds.find((k) => k.kind === 'crash')!.triggered;
    expect(triggered).toBeGreaterThan(0);
    expect(text).toContain(`(${triggered} at operations)`);
    expect(formatSwarmSummary(plan(7, { neverCrash: ['B'] }).summary).split('\n')[1]).toBe('  never crashed: B');
  });
});

describe('swarm on short runs', () => {
  it('every enabled kind strikes at least once', () => {
    for (let seed = 0; seed < 30; seed++) {
      const { plan: p, summary } = swarmPlan(new Rng(seed), topology, { enableProbability: 0.6 }, 1_000);
      for (const k of summary.kinds) expect(k.events, `${seed} ${k.kind}`).toBeGreaterThanOrEqual(1);
      expect(new Set(p.events.map((e) => e.kind))).toEqual(new Set(summary.kinds.map((k) => k.kind)));
    }
  });

  it('aims diskError faults at errorOps when given (a kv-only program), and refuses an empty list', () => {
    const options: SwarmOptions = { kinds: ['diskError'], errorOps: [{ area: 'kv', op: 'commit' }], ratePerSec: { diskError: { min: 3, max: 3 } } };
    let n = 0;
    for (let seed = 0; seed < 10; seed++) {
      for (const e of plan(seed, options).plan.events) {
        expect(e.kind).toBe('diskError');
        if (e.kind === 'diskError') expect([e.area, e.op]).toEqual(['kv', 'commit']);
        n++;
      }
    }
    expect(n).toBeGreaterThan(50);
    expect(() => plan(0, { errorOps: [] })).toThrow(/swarm\.errorOps/);
  });
});

describe('swarm: faults at exact operations', () => {
  const triggerOps: SwarmOptions['triggerOps'] = [
    { area: 'kv', op: 'commit', perSec: 5 },
    { area: 'bus', op: 'post', perSec: 5 },
  ];
  const options: SwarmOptions = {
    kinds: ['crash', 'pause', 'clockJump', 'isolate'],
    enableProbability: 1,
    triggerOps,
    ratePerSec: { crash: { min: 2, max: 2 }, pause: { min: 2, max: 2 }, clockJump: { min: 2, max: 2 }, isolate: { min: 2, max: 2 } },
  };
  const events = Array.from({ length: 10 }, (_, seed) => plan(seed, options, 10_000).plan.events).flat();

  it('places crashes, pauses, clock jumps and isolations at the trigger operations of their own node, and some at times', () => {
    for (const kind of ['crash', 'pause', 'clockJump', 'isolate'] as const) {
      const mine = events.filter((e) => e.kind === kind);
      const triggered = mine.filter((e) => e.trigger !== undefined);
      expect(triggered.length, kind).toBeGreaterThan(10);
      expect(mine.length - triggered.length, kind).toBeGreaterThan(10);
      for (const e of triggered) {
        expect(triggerOps.map((t) => `${t.area}.${t.op}`)).toContain(`${e.trigger!.area}.${e.trigger!.op}`);
        expect(e.trigger!.node).toBe((e as { node: string }).node);
      }
    }
    expect(() => parsePlan({ events }, topology.nodes)).not.toThrow();
  });

  it('crashes at an operation with and without power loss, before and after it', () => {
    const crashes = events.filter((e) => e.kind === 'crash' && e.trigger !== undefined) as { powerLoss?: boolean; when?: string }[];
    expect(new Set(crashes.map((e) => e.powerLoss))).toEqual(new Set([true, false]));
    expect(new Set(crashes.map((e) => e.when))).toEqual(new Set(['before', 'after']));
  });

  it('pauses before an operation only where it completes later (kv), after any', () => {
    const pauses = events.filter((e) => e.kind === 'pause' && e.trigger !== undefined) as { when?: string; trigger: { area: string } }[];
    expect(pauses.filter((e) => e.when === 'before').every((e) => e.trigger.area === 'kv')).toBe(true);
    expect(new Set(pauses.filter((e) => e.trigger.area === 'kv').map((e) => e.when))).toEqual(new Set(['before', 'after']));
    expect(pauses.filter((e) => e.trigger.area === 'bus').every((e) => e.when === 'after')).toBe(true);
  });

  it('scales trigger counts to the operation rate: a rare operation gets small counts', () => {
    const rare = plan(1, { ...options, triggerOps: [{ area: 'lock', op: 'request', perSec: 0.05 }] }, 10_000).plan.events;
    const counts = rare.filter((e) => e.trigger !== undefined).map((e) => e.trigger!.nth);
    expect(counts.length).toBeGreaterThan(5);
    expect(Math.max(...counts)).toBe(1);
  });

  it('jumps clocks forward and back on every node', () => {
    const jumps = Array.from({ length: 20 }, (_, seed) => plan(seed, { kinds: ['clockJump'], ratePerSec: { clockJump: { min: 1, max: 1 } } }).plan.events).flat();
    const deltas = jumps.map((e) => (e.kind === 'clockJump' ? e.deltaMs : 0));
    expect(deltas.some((d) => d > 0) && deltas.some((d) => d < 0)).toBe(true);
    expect(new Set(jumps.map((e) => (e as { node: string }).node))).toEqual(new Set(topology.nodes));
  });

  it('rejects trigger operations that do not exist or rates out of range', () => {
    expect(() => plan(1, { triggerOps: [] })).toThrow('swarm.triggerOps: needs at least one operation');
    expect(() => plan(1, { triggerOps: [{ area: 'kv', op: 'put' }] })).toThrow('swarm.triggerOps[0]: unknown operation kv.put');
    expect(() => plan(1, { triggerOps: [{ area: 'kv', op: 'get', perSec: 0 }] })).toThrow('swarm.triggerOps[0].perSec');
  });
});

describe('swarm: damage at rest', () => {
  it('is opt-in: never drawn unless kinds names it', () => {
    for (let seed = 0; seed < 30; seed++) expect(plan(seed, { enableProbability: 1 }).plan.events.some((e) => e.kind === 'corrupt')).toBe(false);
  });

  it('damages only the targets given, truncating disk files only', () => {
    const options: SwarmOptions = {
      kinds: ['corrupt'],
      corruptTargets: [{ area: 'disk', path: '/data/*' }, { area: 'kv', path: 'rec' }],
      ratePerSec: { corrupt: { min: 3, max: 3 } },
    };
    const events = Array.from({ length: 10 }, (_, seed) => plan(seed, options, 10_000).plan.events).flat();
    expect(events.length).toBeGreaterThan(100);
    for (const e of events) {
      if (e.kind !== 'corrupt') throw new Error(`unexpected ${e.kind}`);
      expect([`${e.area} ${e.path}`]).toEqual([e.area === 'disk' ? 'disk /data/*' : 'kv rec']);
      if (e.area === 'kv') expect(e.mode).not.toBe('truncate');
    }
    expect(new Set(events.map((e) => (e as { mode: string }).mode))).toEqual(new Set(['flip', 'zero', 'truncate']));
    expect(events.some((e) => e.trigger !== undefined) && events.some((e) => e.atMs !== undefined)).toBe(true);
    expect(() => parsePlan({ events }, topology.nodes)).not.toThrow();
    expect(() => plan(1, { kinds: ['corrupt'], corruptTargets: [] })).toThrow('swarm.corruptTargets');
  });

  describe('targets: roles instead of nodes', () => {
    const leader = { leader: 'election' } as const;
    const holder = { holder: 'lock', name: 'L' } as const;
    const targets = { selectors: [leader, holder], probability: 0.5 };
    const nodeless = (e: FaultEvent): unknown => ({ ...e, node: undefined });

    it('aims some events of the target kinds at selectors, moving no other draw', () => {
      let aimed = 0;
      for (let seed = 0; seed < 30; seed++) {
        const base = plan(seed).plan.events;
        const { plan: p, summary } = plan(seed, { targets });
        expect(p.events.map(nodeless)).toEqual(base.map(nodeless));
        p.events.forEach((e, i) => {
          if (typeof (e as { node?: unknown }).node !== 'object') return expect(e).toEqual(base[i]);
          aimed++;
          expect(['crash', 'pause', 'isolate', 'clockJump', 'clockDrift']).toContain(e.kind);
          expect([leader, holder]).toContainEqual((e as { node: unknown }).node);
        });
        expect(() => parsePlan(p, topology.nodes)).not.toThrow();
        const roles = summary.kinds.reduce((n, k) => n + (k.aimed ?? 0), 0);
        if (roles > 0) expect(formatSwarmSummary(summary)).toMatch(/ \(\d+ at roles\)/);
      }
      expect(aimed).toBeGreaterThan(10);
    });

    it('probability 0 aims nothing; kinds restricts where it aims', () => {
      expect(plan(4, { targets: { ...targets, probability: 0 } }).plan).toEqual(plan(4).plan);
      for (let seed = 0; seed < 20; seed++) {
        for (const e of plan(seed, { targets: { ...targets, probability: 1, kinds: ['pause'] } }).plan.events) {
          expect(typeof (e as { node?: unknown }).node === 'object').toBe(e.kind === 'pause');
        }
      }
    });

    it('refuses bad targets, and crash targets with neverCrash', () => {
      expect(() => plan(1, { targets: { selectors: [], probability: 1 } })).toThrow('swarm.targets.selectors: needs at least one selector');
      expect(() => plan(1, { targets: { selectors: [{ holder: 'lock' } as never], probability: 1 } })).toThrow('swarm.targets.selectors[0].name: missing (a holder selector needs name)');
      expect(() => plan(1, { targets: { ...targets, probability: 2 } })).toThrow('swarm.targets.probability: expected a probability 0..1, got 2');
      expect(() => plan(1, { targets: { ...targets, kinds: ['partition'] } })).toThrow("swarm.targets.kinds[0]: 'partition' cannot be aimed at a selector");
      expect(() => plan(1, { neverCrash: ['A'], targets: { ...targets, kinds: ['crash'] } })).toThrow('swarm.targets.kinds[0]: crash cannot be aimed at a selector with neverCrash');
      // Without kinds, neverCrash leaves crash out.
      for (let seed = 0; seed < 20; seed++) {
        for (const e of plan(seed, { neverCrash: ['A'], targets: { ...targets, probability: 1 } }).plan.events) if (e.kind === 'crash') expect(typeof e.node).toBe('string');
      }
    });
  });
});

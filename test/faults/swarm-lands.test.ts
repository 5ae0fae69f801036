/**
 * Armed faults must land. A swarm arms a fault for a kind of operation; when the program never performs
 * that operation the fault is inert and the run tests less than its description says (election, peer and
 * kv-storage swarms aimed their disk errors at disk operations while their programs only use the kv
 * store; triggered crashes waited for disk writes a block store never issues). For every smoke swarm
 * scenario:
 * - every storage fault kind armed for a while must hit an operation at least once (the demo's nodes read
 *   their log only at startup, so its bit flips hit rarely: hence up to 300 seeds);
 * - every kind the swarm places at an exact operation (crash, pause, clockJump, isolate, corrupt) and
 *   every operation it places them at must fire at least once, and at least half of all triggered
 *   events must fire: a trigger counts operations the program performs (`triggerOps` and their rates),
 *   or it never comes;
 * - damage at rest, where a swarm draws it, must find durable data to damage at least once.
 */
import { describe, expect, it } from 'vitest';
import type { FaultPlan } from '../../src/faults/plan.ts';
import { loadScenarios, suitesOf } from '../../src/scenario/registry.ts';
import { planFor, runScenario } from '../../src/scenario/run.ts';

const all = await loadScenarios();
const smoke = new Set(suitesOf(all).get('smoke') ?? []);
const swarms = all.map((l) => l.scenario).filter((s) => smoke.has(s.name) && s.faults !== undefined && 'swarm' in s.faults);

/** Storage fault kinds that are armed for a while (fault.arm) and traced as fault.<kind> when they hit. */
const ARMED = ['diskError', 'fsyncFail', 'bitFlip'];
/** Kinds a swarm may place at an exact operation (traced with the operation, `op`, when they fire). */
const TRIGGERED = ['crash', 'pause', 'clockJump', 'isolate', 'corrupt'];
/** Seeds tried at least and at most: a kind armed in these runs must have hit at least once. */
const SEEDS_MIN = 10;
const SEEDS = 300;
/** Triggered events armed at least before stopping (unless SEEDS_TRIGGERS_MAX seeds ran), so that an operation that is never met shows up. */
const TRIGGERS_MIN = 8;
const SEEDS_TRIGGERS_MAX = 150;

/**
 * What one run armed and what landed, by category: a storage kind ('diskError'), a triggered kind
 * ('trigger:crash'), an operation triggers wait for ('at:kv.commit'), damage at rest ('corrupt').
 */
function tally(plan: FaultPlan, armed: Map<string, number>, landed: Map<string, number>): (line: string) => void {
  const add = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  for (const e of plan.events) {
    if (e.trigger !== undefined && TRIGGERED.includes(e.kind)) {
      add(armed, `trigger:${e.kind}`);
      add(armed, `at:${e.trigger.area}.${e.trigger.op}`);
    }
    if (e.kind === 'corrupt') add(armed, 'corrupt');
  }
  return (line) => {
    const r = JSON.parse(line) as { kind: string; data: Record<string, unknown> };
    if (!r.kind.startsWith('fault.')) return;
    const kind = r.kind.slice(6);
    if (r.kind === 'fault.arm' && ARMED.includes(String(r.data.kind))) add(armed, String(r.data.kind));
    if (ARMED.includes(kind)) add(landed, kind);
    const event = plan.events[r.data.event as number];
    if (event?.kind === kind && event.trigger !== undefined && TRIGGERED.includes(kind)) {
      add(landed, `trigger:${kind}`);
      add(landed, `at:${event.trigger.area}.${event.trigger.op}`);
    }
    if (kind === 'corrupt') add(landed, 'corrupt');
  };
}

describe('swarm faults land', () => {
  it('there are smoke swarm scenarios to check', () => {
    expect(swarms.map((s) => s.name)).toEqual(expect.arrayContaining(['demo-gossip-swarm', 'election-swarm-short', 'peer-swarm', 'storage-swarm-kv']));
  });
  for (const s of swarms) {
    it(`${s.name}: armed storage faults hit operations, triggered faults fire (within ${SEEDS} seeds)`, async () => {
      const armed = new Map<string, number>();
      const landed = new Map<string, number>();
      const missing = (): string[] => [...armed.keys()].filter((k) => (landed.get(k) ?? 0) === 0);
      const triggers = (m: Map<string, number>): number => [...m].filter(([k]) => k.startsWith('trigger:')).reduce((n, [, v]) => n + v, 0);
      for (let seed = 1; seed <= SEEDS; seed++) {
        const { plan } = planFor(s, seed, {});
        await runScenario(s, seed, { traceSink: tally(plan, armed, landed) });
        // Stop once something was armed, every kind armed so far has landed and enough triggers were armed.
        const enough = triggers(armed) >= TRIGGERS_MIN || seed >= SEEDS_TRIGGERS_MAX;
        if (seed >= SEEDS_MIN && armed.size > 0 && missing().length === 0 && enough) break;
      }
      // Every smoke swarm arms some fault of these kinds within the seeds tried; else this checks nothing.
      expect(armed.size, `${s.name}: nothing armed in ${SEEDS} seeds`).toBeGreaterThan(0);
      for (const kind of missing()) expect.fail(`${kind}: armed ${armed.get(kind)} times in up to ${SEEDS} seeds, never landed`);
      if (triggers(armed) > 0) expect(triggers(landed) / triggers(armed), `${s.name}: triggered events that fired`).toBeGreaterThanOrEqual(0.5);
    });
  }
});

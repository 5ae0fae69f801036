/**
 * Armed faults must land. A swarm arms a fault for a kind of operation; when the program never performs
 * that operation the fault is inert and the run tests less than its description says (election, peer and
 * kv-storage swarms aimed their disk errors at disk operations while their programs only use the kv
 * store). For every smoke swarm scenario: every storage fault kind armed must hit at least once (the demo's
 * nodes read their log only at startup, so its bit flips hit rarely: hence up to 300 seeds).
 */
import { describe, expect, it } from 'vitest';
import { loadScenarios, suitesOf } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';

const all = await loadScenarios();
const smoke = new Set(suitesOf(all).get('smoke') ?? []);
const swarms = all.map((l) => l.scenario).filter((s) => smoke.has(s.name) && s.faults !== undefined && 'swarm' in s.faults);

describe('swarm faults land', () => {
  it('there are smoke swarm scenarios to check', () => {
    expect(swarms.map((s) => s.name)).toEqual(expect.arrayContaining(['demo-gossip-swarm', 'election-swarm-short', 'peer-swarm', 'storage-swarm-kv']));
  });
  /** Storage fault kinds that are armed for a while (fault.arm) and traced as fault.<kind> when they hit. */
  const KINDS = ['diskError', 'fsyncFail', 'bitFlip'];
  /** Seeds tried at most: a kind armed in these runs must have hit at least once (most hit within a few). */
  const SEEDS = 300;
  for (const s of swarms) {
    it(`${s.name}: armed storage faults (${KINDS.join(', ')}) hit operations (within ${SEEDS} seeds)`, async () => {
      const armed = new Map<string, number>();
      const landed = new Map<string, number>();
      const add = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
      const missing = (): string[] => [...armed.keys()].filter((k) => (landed.get(k) ?? 0) === 0);
      for (let seed = 1; seed <= SEEDS; seed++) {
        await runScenario(s, seed, {
          traceSink: (l) => {
            const r = JSON.parse(l) as { kind: string; data: Record<string, unknown> };
            if (r.kind === 'fault.arm' && KINDS.includes(String(r.data.kind))) add(armed, String(r.data.kind));
            if (r.kind.startsWith('fault.') && KINDS.includes(r.kind.slice(6))) add(landed, r.kind.slice(6));
          },
        });
        // Stop once something was armed and every kind armed so far has hit (after at least 10 seeds).
        if (seed >= 10 && armed.size > 0 && missing().length === 0) break;
      }
      // Every smoke swarm arms some storage fault within the seeds tried; else this test would check nothing.
      expect(armed.size, `${s.name}: no ${KINDS.join('/')} armed in ${SEEDS} seeds`).toBeGreaterThan(0);
      for (const kind of missing()) expect.fail(`${kind}: armed ${armed.get(kind)} times in up to ${SEEDS} seeds, never hit an operation`);
    });
  }
});

/**
 * Evidence recorders write what the simulator knows: the durable commit point of a block store changes
 * in `fact.store` exactly when the medium makes it durable (before the store reports it), and `fact.clock`
 * samples a node's true clocks at start and after every jump or drift change.
 */
import { describe, expect, it } from 'vitest';
import { clockAt, clockEvidence, type ClockFact } from '../../src/evidence/clock.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

async function scenario(name: string): Promise<Scenario> {
  const s = (await loadScenarios()).find((x) => x.scenario.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s.scenario;
}

async function trace(s: Scenario, seed: number, variant = ''): Promise<TraceRecord[]> {
  const out: TraceRecord[] = [];
  await runScenario(s, seed, { variant, traceSink: (l) => out.push(JSON.parse(l) as TraceRecord) });
  return out;
}

describe('fact.store', () => {
  it('follows the file backend durable marker, meta and pending commits, ahead of the store reporting them', async () => {
    const s = await scenario('storage-crash-before-marker');
    const recs = await trace({ ...s, evidence: [storeEvidence()] }, 0);
    const facts = recs.filter((r) => r.kind === 'fact.store');
    expect(facts.length).toBeGreaterThan(3);
    // Every 'store.commit.marker {commit}' comes after a fact saying that marker is durable.
    for (const m of recs.filter((r) => r.kind === 'store.commit.marker')) {
      const before = facts.filter((f) => f.i < m.i).pop();
      expect(before?.data.marker, `marker ${String(m.data.commit)} at #${m.i}`).toBe(m.data.commit);
    }
    // The crash hit before commit 2's marker rename: after it the durable marker is 1 with pending 2.
    const crash = recs.find((r) => r.kind === 'node.crash')!;
    const atCrash = facts.filter((f) => f.i < crash.i).pop()!;
    expect(atCrash.data).toMatchObject({ device: 'S', backend: 'file', root: '/store', marker: 1, meta: 1, pending: 2 });
  });

  it('follows the kv backend durable marker and epoch', async () => {
    const s = await scenario('storage-kv-crash-after-commit');
    const recs = await trace({ ...s, evidence: [storeEvidence()] }, 0);
    const facts = recs.filter((r) => r.kind === 'fact.store' && r.data.backend === 'kv');
    expect(facts.length).toBeGreaterThan(1);
    const markers = facts.map((f) => f.data.marker as number | null);
    for (const m of recs.filter((r) => r.kind === 'store.commit.marker')) expect(markers).toContain(m.data.commit);
    for (const f of facts) expect(f.data.pending).toBeNull();
  });
});

describe('fact.clock', () => {
  it('samples true clocks at start and after a jump and a drift change', async () => {
    const base = await scenario('storage-crash-before-marker');
    const s: Scenario = {
      ...base,
      topology: { ...base.topology, nodes: [{ id: 'S', clock: { offsetMs: 250, driftPpm: 1000 } }] },
      faults: { events: [{ kind: 'clockJump', atMs: 50, node: 'S', deltaMs: -5000 }, { kind: 'clockDrift', atMs: 60, node: 'S', driftPpm: -2000, durationMs: 100 }] },
      evidence: [...(base.evidence ?? []), clockEvidence()],
    };
    const facts = (await trace(s, 0)).filter((r) => r.kind === 'fact.clock');
    const at = (ms: number): TraceRecord[] => facts.filter((f) => f.t === ms * 1000);
    expect(at(0)[0]!.data).toMatchObject({ node: 'S', driftPpm: expect.closeTo(1000, 6), monotonicMs: 0 });
    const jump = at(50)[0]!.data as unknown as ClockFact;
    const before = clockAt(at(0)[0]!.data as unknown as ClockFact, 0, 50_000);
    expect(jump.wallMs).toBe(Math.floor(before.wallMs - 5000));
    expect(jump.monotonicMs).toBeCloseTo(before.monotonicMs, 6);
    expect(at(60)[0]!.data.driftPpm).toBeCloseTo(-2000, 6);
    expect(at(160)[0]!.data.driftPpm).toBeCloseTo(1000, 6);
  });
});

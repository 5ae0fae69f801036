/**
 * The client-server scenarios added for paths the older ones never took (docs/client-server.md,
 * "Scenarios"): each passes on the unmodified code and reaches what it was built for, read from its trace
 * (a scenario that stopped reaching its path would pass for nothing). The bugs they catch are in
 * variants.test.ts (cs-lost-wakeup, cs-fresh-on-pong, cs-meta-only-lineage) and the doc.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenario/run.ts';
import type { RunResult, Scenario } from '../../src/scenario/types.ts';
import basic from '../../scenarios/clientserver/basic.ts';
import flaky from '../../scenarios/clientserver/flaky.ts';
import rebuild from '../../scenarios/clientserver/rebuild.ts';
import swarm from '../../scenarios/clientserver/swarm.ts';

const byName = new Map<string, Scenario>([...basic, ...flaky, ...rebuild, ...swarm].map((s) => [s.name, s]));

interface Rec {
  t: number;
  node: string;
  kind: string;
  data: Record<string, unknown>;
}

/** Runs `name` with `seed`, keeping its trace records. */
async function traced(name: string, seed: number): Promise<{ r: RunResult; recs: Rec[] }> {
  const recs: Rec[] = [];
  const r = await runScenario(byName.get(name)!, seed, { traceSink: (line) => recs.push(JSON.parse(line) as Rec) });
  return { r, recs };
}

describe('the client-server scenarios reach the paths they were built for', () => {
  it('cs-server-commit-errors: appends fail at the server after the pushes arrived (seed 0)', async () => {
    const { r, recs } = await traced('cs-server-commit-errors', 0);
    expect(r.failure).toBeNull();
    expect(recs.filter((x) => x.kind === 'cs.server.store-error').length).toBeGreaterThan(0);
  });

  it('cs-stale-session-resend: the server receives changes it already stored from a resend (seed 0)', async () => {
    const { r } = await traced('cs-stale-session-resend', 0);
    expect(r.failure).toBeNull();
    expect(r.probes['cs.stale-close']).toBeGreaterThan(0);
    expect(r.probes['cs.push-duplicate']).toBeGreaterThan(0);
  });

  it('cs-rebuild-client-down: C2 restarts after the rebuild remembering the old server, and shows incompatible (seed 0)', async () => {
    const { r, recs } = await traced('cs-rebuild-client-down', 0);
    expect(r.failure).toBeNull();
    const rebuilt = recs.find((x) => x.kind === 'cs.server.start' && x.data.rebuilt === true && x.t > 3_000_000)!;
    const first = recs.find((x) => x.kind === 'cs.server.start')!;
    const back = recs.find((x) => x.node === 'C2' && x.kind === 'cs.client.start' && x.t > rebuilt.t)!;
    expect(back.data.server).toBe(first.data.site);
    expect(back.data.server).not.toBe(rebuilt.data.site);
    expect(recs.some((x) => x.node === 'C2' && x.kind === 'cs.incompatible' && x.t > back.t)).toBe(true);
  });

  it('cs-schema-client-first: C1 ahead of the server is incompatible on the schema, then syncs without a Nuke (seed 0)', async () => {
    const { r, recs } = await traced('cs-schema-client-first', 0);
    expect(r.failure).toBeNull();
    expect(recs.some((x) => x.node === 'C1' && x.kind === 'cs.incompatible' && String(x.data.reason).includes('schema 1 on the server, 2 here'))).toBe(true);
    expect(recs.some((x) => x.kind === 'cs.nuke')).toBe(false);
  });

  it('cs-swarm draws rebuilds, schema upgrades and Nukes: invariants 4 and 6 decide something (seeds 0..9)', async () => {
    const deploys = new Set<string>();
    const exercised: Record<string, number> = {};
    let nukes = 0;
    for (let seed = 0; seed < 10; seed++) {
      const { r, recs } = await traced('cs-swarm', seed);
      expect(r.failure).toBeNull();
      for (const x of recs) if (x.kind === 'workload.deploy') deploys.add(String(x.data.what));
      nukes += recs.filter((x) => x.kind === 'cs.nuke').length;
      for (const [k, n] of Object.entries(r.exercised)) exercised[k] = (exercised[k] ?? 0) + n;
    }
    expect([...deploys].sort()).toEqual(['rebuild', 'schema 2']);
    expect(nukes).toBeGreaterThan(0);
    expect(exercised['invariant:incompatible-reported']).toBeGreaterThan(0);
    expect(exercised['invariant:nuke-reports']).toBeGreaterThan(0);
  });
  it('cs-flaky-handshakes: every client fails a handshake in each of the three hangs, green in between, never stuck (seed 0)', async () => {
    const { r, recs } = await traced('cs-flaky-handshakes', 0);
    expect(r.failure).toBeNull();
    for (const c of ['C1', 'C2', 'C3']) {
      // Sync connections to S that closed before the client showed green on them, and the green spells between.
      const open = new Map<string, boolean>();
      const failedAt: number[] = [];
      for (const x of recs) {
        if (x.node !== c) continue;
        if (x.kind === 'net.established' && x.data.to === 'S') open.set(String(x.data.conn), false);
        if (x.kind === 'cs.status' && (x.data.status === 'synced' || x.data.status === 'syncing')) for (const k of open.keys()) open.set(k, true);
        if (x.kind === 'net.close' && open.has(String(x.data.conn))) {
          if (open.get(String(x.data.conn)) === false) failedAt.push(x.t);
          open.delete(String(x.data.conn));
        }
        expect(x.kind === 'cs.status' && x.data.status === 'stuck', `${c} stuck at ${x.t}`).toBe(false);
      }
      // One failure in each hang (1-3.2 s, 5-7.2 s, 9-11.2 s, closed by the silence bound up to ~0.5 s after).
      for (const from of [1_000_000, 5_000_000, 9_000_000]) expect(failedAt.some((t) => t >= from && t < from + 3_000_000), `${c} from ${from}`).toBe(true);
    }
  });
});

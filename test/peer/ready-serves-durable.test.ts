/**
 * invariant:ready-serves-durable on a bare simulation: a device's kv store holds records, the device says it
 * is ready, and the check compares what a fixed view serves with the durable kv image and the workload's
 * acknowledged writes. (The scenario-level catches: test/peer/peer-seam.test.ts, test/peer/variants.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { readyServesDurableCheck } from '../../src/model/peer/ready-serves-durable.ts';
import { ackedWrites, type PeerView, type ViewRecord } from '../../src/model/peer/peer-view.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const h = (ms: number, d = 'A'): string => formatHlc({ physicalMs: ms, counter: 0, device: d });
const rec = (uuid: string, ts: string, data: string | null, writer = 'A'): ViewRecord => ({ uuid, writer, ts, data });

/**
 * Runs a simulation where A's kv store gets `stored` (`resource/uuid` -> record), then A traces
 * `peer.sync.ready` while serving `served`; returns the check's failures and how often it decided.
 */
async function judge(stored: Record<string, ViewRecord | null>, served: Record<string, ViewRecord[]>, acked: { uuid: string; hlc: string; deleted?: boolean }[] = []): Promise<{ failures: string[]; exercised: number }> {
  const sim = new Simulation({ seed: 1 });
  const view: PeerView = {
    state: () => 'ready',
    digest: () => '',
    get: (r, u) => served[r]?.find((x) => x.uuid === u),
    records: (r) => served[r] ?? [],
    resources: () => Object.keys(served),
  };
  const failures: string[] = [];
  let exercised = 0;
  const ctx = {
    sim,
    trace: sim.trace,
    runState: new Map(),
    shared: new Map(),
    exercised: () => void exercised++,
    handle: () => view,
    fail: (_k: string, n: string, m: string) => void failures.push(`${n}: ${m}`),
  } as unknown as ScenarioContext;
  for (const w of acked) ackedWrites(ctx).push({ node: 'A', resource: 'tag', uuid: w.uuid, hlc: w.hlc, deleted: w.deleted ?? false });
  sim.addNode('A', {
    program: async (env) => {
      // null: put, then delete in a second commit (a key its store no longer holds).
      await env.kv.transaction(['rec'], 'readwrite', async (tx) => {
        for (const [key, r] of Object.entries(stored)) await tx.put('rec', key, r === null ? { u: 'gone', w: 'A', t: h(1), d: 'x' } : { u: r.uuid, w: r.writer, t: r.ts, d: r.data });
      }, { durability: 'strict' });
      await env.kv.transaction(['rec'], 'readwrite', async (tx) => {
        for (const [key, r] of Object.entries(stored)) if (r === null) await tx.delete('rec', key);
      }, { durability: 'strict' });
      env.trace.emit('peer.sync.ready', { reason: 'restart' });
    },
  });
  readyServesDurableCheck(['A']).setup!(ctx);
  sim.start('A');
  await sim.run();
  return { failures, exercised };
}

describe('invariant:ready-serves-durable', () => {
  it('passes when the ready device serves every durable record, the same version or one that beats it', async () => {
    const stored = { 'tag/t1': rec('t1', h(5), 'x'), 'tag/t2': rec('t2', h(5), 'y'), 'tag/t3': rec('t3', h(5), null), 'tag/gone': null };
    // t2: a newer version; t1 a tombstone beating the live one; t3 the same tombstone; 'gone' no longer stored.
    const served = { tag: [rec('t1', h(4), null), rec('t2', h(9, 'B'), 'z', 'B'), rec('t3', h(5), null)] };
    expect(await judge(stored, served)).toEqual({ failures: [], exercised: 1 });
  });

  it('fails on a durable record served older, with other data, alive again, or not at all', async () => {
    const stored = { 'tag/t1': rec('t1', h(5), 'x'), 'tag/t2': rec('t2', h(5), null) };
    const cases: [ViewRecord[], RegExp][] = [
      [[rec('t2', h(5), null)], /A ready \(incarnation 0\): serves 1 of the 2 records its kv store durably holds; 'tag' t1: its kv store durably holds \S+-A "x", it serves nothing$/],
      [[rec('t1', h(4), 'x'), rec('t2', h(5), null)], /'tag' t1: .* it serves \S+ "x"$/],
      [[rec('t1', h(5), 'w'), rec('t2', h(5), null)], /'tag' t1: .* it serves \S+ "w"$/],
      [[rec('t1', h(5), 'x'), rec('t2', h(9), 'back')], /'tag' t2: its kv store durably holds \S+ \(tombstone\), it serves \S+ "back"$/],
    ];
    for (const [tag, message] of cases) {
      const { failures } = await judge(stored, { tag });
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(message);
    }
  });

  it('fails on an acknowledged write of its own that the device neither holds nor serves', async () => {
    const served = { tag: [rec('t1', h(5), 'x')] };
    expect((await judge({ 'tag/t1': rec('t1', h(5), 'x') }, served, [{ uuid: 't1', hlc: h(5) }])).failures).toEqual([]);
    const lost = await judge({ 'tag/t1': rec('t1', h(5), 'x') }, served, [{ uuid: 't1', hlc: h(5) }, { uuid: 't7', hlc: h(6) }]);
    expect(lost.failures.join()).toMatch(/A ready \(incarnation 0\): its own acknowledged write of 'tag' t7 by A at \S+ is lost \(holds nothing\)/);
    const alive = await judge({ 'tag/t1': rec('t1', h(5), 'x') }, served, [{ uuid: 't1', hlc: h(4), deleted: true }]);
    expect(alive.failures.join()).toMatch(/its own acknowledged delete of 'tag' t1 by A at \S+ is alive again/);
  });
});

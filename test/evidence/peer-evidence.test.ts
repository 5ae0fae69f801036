/**
 * The peer evidence recorders write what the simulator knows: `fact.peer.store` follows the durable
 * backfill checkpoint and `init` of a joining device ahead of the device's own reports, `fact.peer.acks`
 * tells what a restarted device finds of the acknowledgements its earlier processes received, the wire facts
 * describe what the network delivered (requests and the responses that answer them, live changes,
 * heartbeats, acknowledgements), and the delivery hook itself changes nothing in a run.
 */
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, peerStoreEvidence } from '../../src/evidence/peer-store.ts';
import { peerWireEvidence } from '../../src/evidence/peer-wire.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

async function scenario(name: string): Promise<Scenario> {
  const s = (await loadScenarios()).find((x) => x.scenario.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s.scenario;
}

async function trace(s: Scenario, seed: number): Promise<TraceRecord[]> {
  const out: TraceRecord[] = [];
  const r = await runScenario(s, seed, { traceSink: (l) => out.push(JSON.parse(l) as TraceRecord) });
  expect(r.verdict).toBe('pass');
  return out;
}

describe('fact.peer.store', () => {
  it('decodes a stored checkpoint', () => {
    expect(decodeCheckpoint({ tag: { cursor: { ts: 't', uuid: 'u' }, done: true, received: 3 }, entry: { cursor: null, done: false } })).toEqual({
      tag: { ts: 't', uuid: 'u', done: true },
      entry: { ts: null, uuid: null, done: false },
    });
    expect(decodeCheckpoint(undefined)).toBeNull();
  });

  it('knows each durable checkpoint before the joiner reports its batch, then the completed library', async () => {
    const s = await scenario('peer-backfill-peer-drop');
    const recs = await trace({ ...s, evidence: [peerStoreEvidence()], models: [], checks: [] }, 0);
    const facts = recs.filter((r) => r.kind === 'fact.peer.store' && r.data.device === 'D');
    const batches = recs.filter((r) => r.kind === 'peer.backfill.batch' && r.node === 'D');
    expect(batches.length).toBeGreaterThan(5);
    for (const b of batches) {
      const before = facts.filter((f) => f.i < b.i).pop()!;
      const entry = (before.data.checkpoint as Record<string, { ts: string | null }>)[b.data.resource as string]!;
      expect(entry.ts, `batch #${b.i}`).toBe(b.data.cursor);
    }
    const last = facts[facts.length - 1]!;
    expect(last.data).toMatchObject({ init: true, checkpoint: null });
    const ready = recs.find((r) => r.kind === 'peer.sync.ready' && r.node === 'D')!;
    expect(last.i).toBeLessThan(ready.i);
    // Founders: init durable before they say they are ready.
    const a = recs.find((r) => r.kind === 'fact.peer.store' && r.data.device === 'A')!;
    expect(a.data).toMatchObject({ init: true, checkpoint: null });
  });
});

describe('fact.peer.acks', () => {
  it('tells what a restarted device finds of the acknowledgements delivered to its earlier process, before it runs', async () => {
    // peer-five-partitions: D crashes at 2 s and restarts at 2.8 s, after acknowledgements of its shared writes.
    const s = await scenario('peer-five-partitions');
    const recs = await trace({ ...s, evidence: [peerWireEvidence(), peerStoreEvidence()], models: [], checks: [] }, 0);
    const facts = recs.filter((r) => r.kind === 'fact.peer.acks');
    expect(facts.map((r) => r.data.device)).toEqual(['D']);
    const fact = facts[0]!;
    const start = recs.filter((r) => r.kind === 'node.start' && r.node === 'D').pop()!;
    // Right after D's node.start: before anything of the new process.
    expect(recs.slice(start.i + 1, fact.i).filter((r) => r.node === 'D')).toEqual([]);
    const acks = fact.data.acks as Record<string, Record<string, string>>;
    expect(Object.keys(acks).length).toBeGreaterThan(0);
    for (const [peer, resources] of Object.entries(acks)) {
      for (const [resource, upTo] of Object.entries(resources)) {
        // What was stored is an acknowledgement the network delivered to D, from that peer, before it started.
        const delivered = recs.filter((r) => r.kind === 'fact.peer.ack' && r.i < start.i && r.data.to === 'D' && r.data.from === peer && r.data.resource === resource);
        expect(delivered.map((r) => r.data.upTo), `${peer} ${resource}`).toContain(upTo);
      }
    }
  });
});

describe('fact.peer wire facts', () => {
  it('pair each response with the request it answers, and describe the batches the joiner applies', async () => {
    const s = await scenario('peer-backfill-peer-drop');
    const recs = await trace({ ...s, evidence: [peerWireEvidence()], models: [], checks: [] }, 0);
    const requests = recs.filter((r) => r.kind === 'fact.peer.request');
    const responses = recs.filter((r) => r.kind === 'fact.peer.response' && r.data.to === 'D' && r.data.writer === null);
    expect(responses.length).toBeGreaterThan(5);
    for (const resp of responses) {
      const d = resp.data;
      const req = requests.filter((q) => q.i < resp.i && q.data.from === 'D' && q.data.to === d.from && q.data.reqId === d.reqId).pop()!;
      expect(req.data).toMatchObject({ writer: null, resource: d.resource, since: d.since, sinceUuid: d.sinceUuid });
      expect(d.sentUs as number).toBeLessThanOrEqual(resp.t);
      expect(d.sentUs as number).toBeGreaterThanOrEqual(req.t);
      expect(typeof d.totals).toBe('object');
    }
    // Every batch D applies is a delivered response: same peer, resource, count and end.
    for (const recv of recs.filter((r) => r.kind === 'peer.backfill.recv' && r.node === 'D')) {
      const resp = responses.filter((r) => r.i < recv.i && r.data.from === recv.data.peer && r.data.resource === recv.data.resource).pop()!;
      expect(resp.data.n).toBe(recv.data.n);
      if ((resp.data.n as number) > 0) expect(resp.data.last).toBe(recv.data.cursor);
    }
    const hb = recs.find((r) => r.kind === 'fact.peer.heartbeat' && r.data.from === 'A' && r.data.ready === true)!;
    expect(hb.data).toMatchObject({ to: expect.any(String), hlc: expect.stringMatching(/^\d{15}-\d{6}-A$/) });
    const change = recs.find((r) => r.kind === 'fact.peer.change' && r.data.shared === true)!;
    expect((change.data.minTs as string) <= (change.data.maxTs as string)).toBe(true);
    expect(recs.some((r) => r.kind === 'fact.peer.ack')).toBe(true);
  });

  it('the delivery hook changes nothing: a run with an idle observer has the same trace hash', async () => {
    const s = await scenario('peer-partition-heal');
    const bare: Scenario = { ...s, evidence: [], models: [], checks: [] };
    const idle: Scenario = { ...bare, evidence: [{ name: 'idle', produces: [], install: (sim) => sim.network.observeDeliveries(() => undefined) }] };
    const [a, b] = [await runScenario(bare, 3), await runScenario(idle, 3)];
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
  });
});

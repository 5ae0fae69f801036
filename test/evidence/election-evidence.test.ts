/**
 * The election's evidence recorders write what the simulator knows: `fact.request` when the store's request
 * record is durable (also when the tab that committed it crashed before it could say so, and only once a
 * relaxed commit became durable), and `fact.bus.*` for what the tab bus carried of the forwarding protocol
 * and which announcements it handed to which tab.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

async function scenario(name: string): Promise<Scenario> {
  const s = (await loadScenarios()).find((x) => x.scenario.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s.scenario;
}

async function trace(name: string, seed: number, variant = ''): Promise<TraceRecord[]> {
  const out: TraceRecord[] = [];
  // Models and checks off: the recorders alone (the variant runs would stop at the first failure).
  await runScenario({ ...(await scenario(name)), models: [], checks: [] }, seed, { variant, traceSink: (l) => out.push(JSON.parse(l) as TraceRecord) });
  return out;
}

describe('fact.request', () => {
  it('reports every request record the store made durable, before the tab reports it, even when that tab crashed first', async () => {
    const recs = await trace('election-leader-crash-mid-forward', 1);
    const facts = recs.filter((r) => r.kind === 'fact.request');
    expect(facts.length).toBeGreaterThan(10);
    for (const w of recs.filter((r) => r.kind === 'fenced.write' && typeof r.data.reqId === 'string')) {
      const f = facts.find((x) => x.data.reqId === w.data.reqId);
      expect(f, `record of ${String(w.data.reqId)}`).toBeDefined();
      expect(f!.i).toBeLessThan(w.i);
      expect(f!.data).toMatchObject({ device: 'browser', root: 'store', commit: w.data.pos, result: { value: w.data.value } });
    }
    // A applied B's first write and crashed before its reply: the store's record says it was applied.
    const crash = recs.find((r) => r.kind === 'node.crash' && r.node === 'A')!;
    const first = facts.find((x) => x.data.reqId === 'B.0.1')!;
    expect(first.data.node).toBe('A');
    expect(first.i).toBeLessThan(crash.i);
    expect(recs.some((r) => r.kind === 'fact.bus.reply' && r.data.id === 'B.0.1' && r.i < crash.i)).toBe(false);
    // Records are written once: no request id is reported twice.
    expect(new Set(facts.map((f) => f.data.reqId)).size).toBe(facts.length);
  });

  it('a relaxed commit is reported only once it is durable', async () => {
    const recs = await trace('election-three-tabs-same-instant', 1, 'election-relaxed-commits');
    const facts = recs.filter((r) => r.kind === 'fact.request');
    expect(facts.length).toBeGreaterThan(10);
    for (const f of facts) {
      // What made it durable: the background flush, or a later strict commit; never its own relaxed commit.
      const settled = recs.filter((r) => r.i < f.i && (r.kind === 'kv.durable' || r.kind === 'kv.commit')).pop()!;
      expect(settled.kind === 'kv.durable' || settled.data.durability === 'strict', `#${f.i} after ${settled.kind} #${settled.i}`).toBe(true);
    }
    // Some writes were reported committed (and answered) by their tab before they were durable.
    const early = facts.filter((f) => recs.some((w) => w.kind === 'fenced.write' && w.data.reqId === f.data.reqId && w.i < f.i));
    expect(early.length).toBeGreaterThan(0);
  });
});

describe('fact.bus', () => {
  it('reports each forwarded attempt and each reply the bus carried, with the request value', async () => {
    const recs = await trace('election-three-tabs-same-instant', 2);
    const sends = recs.filter((r) => r.kind === 'fwd.send');
    const requests = recs.filter((r) => r.kind === 'fact.bus.request');
    expect(sends.length).toBeGreaterThan(10);
    expect(requests.map((r) => r.data.id)).toEqual(sends.map((s) => s.data.id));
    for (const q of requests) expect(q.data.reqId).toBe(q.data.id);
    const replies = recs.filter((r) => r.kind === 'fact.bus.reply');
    expect(replies.length).toBeGreaterThan(5);
    for (const r of replies) {
      const q = requests.find((x) => x.data.id === r.data.id)!;
      expect(r.data.value).toBe(q.data.value);
      expect(r.data.to).toBe(q.data.from);
      expect(r.i).toBeGreaterThan(q.i);
    }
  });

  it('reports each announcement handed to a tab, right before its handlers run', async () => {
    const recs = await trace('election-three-tabs-lock-mode', 1);
    const delivered = recs.filter((r) => r.kind === 'bus.deliver' && r.data.channel === 'election' && (r.data.type === 'heartbeat' || r.data.type === 'leader'));
    const facts = recs.filter((r) => r.kind === 'fact.bus.leader');
    expect(delivered.length).toBeGreaterThan(5);
    expect(facts.map((f) => [f.data.node, f.data.msg])).toEqual(delivered.map((d) => [d.node, d.data.msg]));
    for (const f of facts) expect(recs[f.i - 1]!.kind).toBe('bus.deliver');
    expect(facts.every((f) => f.data.node !== f.data.from && typeof f.data.epoch === 'number')).toBe(true);
  });
});

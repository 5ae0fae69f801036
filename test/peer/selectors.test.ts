/**
 * "Crash the peer serving D's backfill" with a selector (docs/faults.md, "Targets resolved when the fault
 * fires"): peer-backfill-peer-drop aims its two crashes at A and B by id, assuming they serve D at D's 3rd
 * and 6th kv commits. With `{servingBackfill: '*', of: 'D'}` instead, the crashed peer is one the network had
 * an open backfill stream from (a full-scan request of D delivered to it, its last answer not yet), and D
 * reports losing that very peer mid-stream (`peer.backfill.peer-lost`) — while on seed 3 A served no part of
 * D's backfill at its 3rd commit, so the fixed plan crashed a bystander there.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import join from '../../scenarios/peer/join.ts';

const peerDrop = join.find((s) => s.name === 'peer-backfill-peer-drop')!;
const serving = { servingBackfill: '*', of: 'D' } as const;
const selected: Scenario = {
  ...peerDrop,
  name: 'peer-backfill-peer-drop-selected',
  suites: [],
  faults: {
    events: [
      { kind: 'crash', node: serving, trigger: { node: 'D', area: 'kv', op: 'commit', nth: 3 }, restartAfterMs: 3_000 },
      { kind: 'crash', node: serving, trigger: { node: 'D', area: 'kv', op: 'commit', nth: 6 }, restartAfterMs: 3_000 },
    ],
  },
};

const KINDS = ['fault.crash', 'fault.miss', 'fact.peer.request', 'fact.peer.response', 'node.crash', 'peer.backfill.peer-lost'];

/** Peers with an open backfill stream to D just before record `i`, from the delivered wire facts. */
function servingDBefore(recs: readonly TraceRecord[], i: number): Set<string> {
  const open = new Map<string, string>(); // resource -> responder
  for (const r of recs) {
    if (r.i >= i) break;
    const d = r.data;
    if (r.kind === 'fact.peer.request' && d.from === 'D' && d.writer === null) open.set(String(d.resource), String(d.to));
    if (r.kind === 'fact.peer.response' && d.to === 'D' && d.writer === null && d.hasMore === false && open.get(String(d.resource)) === d.from) open.delete(String(d.resource));
    if (r.kind === 'node.crash') for (const [k, v] of open) if (v === r.node || r.node === 'D') open.delete(k);
  }
  return new Set(open.values());
}

describe('peer backfill: crash whoever serves the joiner', () => {
  it('seed 3: the crashed peers (B, then C) served D then, and D lost them mid-stream; the fixed A served nothing', async () => {
    const seed = 3;
    const recs: TraceRecord[] = [];
    const wanted = KINDS.map((k) => `"kind":"${k}"`);
    const r = await runScenario(selected, seed, { traceSink: (l) => void (wanted.some((w) => l.includes(w)) && recs.push(JSON.parse(l) as TraceRecord)) });
    expect(r.failure, `seed ${seed}: ${r.failure?.message ?? ''}`).toBeNull();
    const crashes = recs.filter((x) => x.kind === 'fault.crash');
    expect(crashes.length, `seed ${seed}: ${JSON.stringify(recs.filter((x) => x.kind === 'fault.miss'))}`).toBe(2);
    for (const c of crashes) {
      const node = String(c.data.node);
      expect(servingDBefore(recs, c.i).has(node), `seed ${seed}: ${node} served D`).toBe(true);
      expect(c.data.selectors).toEqual({ node: serving });
      expect(recs.some((x) => x.kind === 'peer.backfill.peer-lost' && x.node === 'D' && x.data.peer === node && x.i > c.i), `seed ${seed}: D lost ${node}`).toBe(true);
    }
    expect(crashes.map((c) => c.data.node)).toEqual(['B', 'C']);
    // The old plan crashed A at that same operation (the runs are the same up to it): A served no part of D's backfill.
    expect(servingDBefore(recs, crashes[0]!.i).has('A')).toBe(false);
  });
});

/**
 * The seed's own acceptance tests (004, "Testing Strategy"), as scripted scenarios:
 * 1. A creates 100 locations, B syncs them; B drops off; A creates 10 more; B reconnects: only the 10 move.
 * 3. The same with shared tags (50, then 10 more): shared catch-up is incremental too (since an HLC).
 * 2. (backfill resumes from its checkpoint after a crash) is in scenarios.test.ts (peer-join-10k-crash).
 */
import { describe, expect, it } from 'vitest';
import type { PeerHandle } from '../../src/impl/peer/index.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario, Topology } from '../../src/scenario/types.ts';
import { converged, peerChecking, peerProgram, peerTopology } from '../../scenarios/peer/_common.ts';

function story(resource: 'location' | 'tag', first: number, more: number): Scenario {
  const write = (h: PeerHandle, from: number, n: number): void => {
    const items = Array.from({ length: n }, (_, i) => ({ uuid: `${resource}-${String(from + i).padStart(4, '0')}`, data: 'x' }));
    void (resource === 'location' ? h.writeOwned(resource, items) : h.writeShared(resource, items));
  };
  // Connections reset after 1 s cut off; the retry queue is too small to carry the new records.
  const topology: Topology = { ...peerTopology(['A', 'B']), net: { connTimeoutMs: 1_000 } };
  return {
    name: `story-incremental-${resource}`,
    description: `A writes ${first} ${resource} records, B syncs, B is cut off, A writes ${more} more, B reconnects.`,
    suites: [],
    topology,
    program: peerProgram(['A', 'B'], { retryQueueMax: 1 }),
    workload: (ctx) => {
      ctx.at(300, () => write(ctx.handle<PeerHandle>('A')!, 0, first));
      ctx.at(2_500, () => {
        for (let k = 0; k < more; k++) write(ctx.handle<PeerHandle>('A')!, first + k, 1); // one commit each
      });
    },
    faults: { events: [{ kind: 'isolate', atMs: 1_000, node: 'B', durationMs: 3_000 }] },
    durationMs: 6_000,
    liveness: converged(['A', 'B']),
    ...peerChecking(topology, { options: { retryQueueMax: 1 } }),
  };
}

async function transferredAfterReconnect(s: Scenario): Promise<{ verdict: string; moved: number; total: number }> {
  let moved = 0;
  let total = 0;
  const r = await runScenario(s, 1, {
    traceSink: (line) => {
      const rec = JSON.parse(line) as { t: number; node: string; kind: string; data: { n?: number; peer?: string } };
      if (rec.node !== 'B' || rec.kind !== 'peer.catchup.batch' || rec.data.peer !== 'A') return;
      total += rec.data.n ?? 0;
      if (rec.t > 4_000_000) moved += rec.data.n ?? 0;
    },
  });
  return { verdict: r.failure?.message ?? 'pass', moved, total };
}

describe('incremental catch-up moves only the delta (seed 004 tests 1 and 3)', () => {
  it('device-owned: 100 synced, 10 more while cut off: 10 move on reconnect', async () => {
    const r = await transferredAfterReconnect(story('location', 100, 10));
    expect(r.verdict).toBe('pass');
    expect(r.moved).toBe(10);
  });

  it('shared: 50 synced, 10 more while cut off: 10 move on reconnect (since an HLC)', async () => {
    const r = await transferredAfterReconnect(story('tag', 50, 10));
    expect(r.verdict).toBe('pass');
    expect(r.moved).toBe(10);
  });
});

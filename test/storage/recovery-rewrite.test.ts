/**
 * Recovery rewrites metadata only in a way a power loss cannot turn into no metadata at all. On a weak
 * disk a rename over an existing file may remove the old file without linking the new one; when recovery
 * replaced meta.json that way (after a power loss had also removed the marker), the next recovery found
 * an empty store and deleted every block as a stray. These seeds of storage-lost-marker-crash-in-recovery
 * lost commit 1 that way before the fix (invariant:last-copy-kept at the power loss; without that check,
 * invariant:acked-survives at the next recovery: "recovered commit 0").
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenario/run.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import crashPoints from '../../scenarios/storage/crash-points.ts';

const SEEDS = [2, 22, 31, 42, 55, 72, 73, 90, 113, 120, 129, 135, 153, 198, 199];

describe('storage-lost-marker-crash-in-recovery', () => {
  const s = crashPoints.find((x) => x.name === 'storage-lost-marker-crash-in-recovery')!;
  it('keeps the committed metadata through power losses during recovery (seeds that lost it before)', async () => {
    for (const seed of SEEDS) {
      const recs: TraceRecord[] = [];
      const r = await runScenario(s, seed, { traceSink: (l) => recs.push(JSON.parse(l) as TraceRecord) });
      expect(r.failure, `seed ${seed}`).toBeNull();
      // The dangerous case was reached: the first power loss removed the marker, and recovery ran on that.
      const crash = recs.find((x) => x.kind === 'node.crash')!;
      const noMarker = recs.find((x) => x.i > crash.i && x.kind === 'disk.error' && x.data.path === '/store/marker' && x.data.code === 'ENOENT');
      expect(noMarker, `seed ${seed}`).toBeDefined();
      expect(recs.filter((x) => x.kind === 'store.recover.done').pop()?.data.commit).toBe(1);
    }
  });
});

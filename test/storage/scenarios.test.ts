/**
 * The storage scenarios pass on the real implementation over a few seeds, and each scripted fault lands
 * where the scenario says it does (a trigger that drifted to another operation would test nothing).
 */
import { describe, expect, it } from 'vitest';
import { mergeCoverage, type ModelCoverage } from '../../src/model/monitor.ts';
import { RECOVERY_REASONS } from '../../src/model/storage/recovery-guards.ts';
import { runScenario } from '../../src/scenario/run.ts';
import crashPoints from '../../scenarios/storage/crash-points.ts';
import media from '../../scenarios/storage/media-faults.ts';
import swarm from '../../scenarios/storage/swarm.ts';
import fencing from '../../scenarios/storage/fencing.ts';
import { blockData, doForceSync, doWrite } from '../../scenarios/storage/_harness.ts';

/** Scenario -> the fault records that must appear ('kind target'), in order. */
const LANDS: Record<string, string[]> = {
  'storage-crash-mixed-presence': ['fault.crash /store/blocks/6.2'],
  'storage-crash-after-data-synced': ['fault.crash /store/marker.tmp'],
  'storage-crash-before-marker': ['fault.crash /store/marker.tmp'],
  'storage-crash-after-marker': ['fault.crash /store/marker.tmp'],
  'storage-pending-dealloc-stray': ['fault.crash /store/blocks/2.1'],
  'storage-tombstone-across-finalize': ['fault.crash /store/pending.json'],
  'storage-crash-during-recovery': ['fault.crash /store/pending.json', 'fault.crash /store/pending.json'],
  'storage-torn-marker': ['fault.tornWrite /store/marker.tmp'],
  'storage-enospc-commit': ['fault.diskError /store/blocks/'],
  'storage-marker-fsync-fails': ['fault.fsyncFail /store'],
  'storage-marker-rename-fails': ['fault.diskError /store/marker.tmp', 'fault.fsyncFail /store'],
  'storage-finalize-rename-fails': ['fault.diskError /store/pending.json', 'fault.crash /store/marker.tmp'],
  'storage-kv-crash-before-commit': ['fault.crash store:blocks,store:meta'],
  'storage-kv-crash-after-commit': ['fault.crash store:blocks,store:meta'],
};

/** Scenario -> trace kinds that must appear (the path the scenario is about was taken). */
const REACHES: Record<string, string[]> = {
  'storage-crash-mixed-presence': ['store.recover.strays'],
  'storage-crash-after-data-synced': ['store.recover.rollback'],
  'storage-pending-dealloc-stray': ['store.recover.strays'],
  'storage-tombstone-across-finalize': ['store.recover.finalize'],
  'storage-crash-during-recovery': ['store.recover.finalize'],
  'storage-torn-marker': ['store.recover.rollback'],
  'storage-bit-rot-read': ['store.checksum.fail'],
  'storage-enospc-commit': ['store.commit.failed', 'workload.force-sync-failed'],
  'storage-marker-fsync-fails': ['store.commit.failed', 'store.recover.kept-dirty', 'store.recover.finalize'],
  'storage-marker-rename-fails': ['store.commit.failed', 'store.recover.failed', 'store.recover.rollback', 'store.recover.kept-dirty'],
  'storage-finalize-rename-fails': ['store.commit.finalize-failed', 'store.recover.rollback'],
  'storage-fencing-two-tabs-file': ['store.commit.refused', 'store.closed'],
  'storage-fencing-two-tabs-kv': ['store.commit.refused', 'store.closed'],
};

/** Recovery-model coverage merged over every run of this file (checked by the last test). */
const coverage: ModelCoverage = { model: 'recovery', states: {}, transitions: {}, stateFaults: {}, guards: {} };
const addCoverage = (cs: ModelCoverage[]): void => cs.filter((c) => c.model === 'recovery').forEach((c) => mergeCoverage(coverage, c));

/** Every state of the recovery model but 'down' (the initial state, where every instance starts). */
const MUST_REACH = [
  'idle', 'dirty', 'writing', 'synced', 'markerWriting', 'committed', 'uncertain', 'stalled', 'fenced', 'closed', 'crashed',
  'recovering.scanning', 'recovering.finalized', 'recovering.rolledBack',
  'reloading.scanning', 'reloading.finalized', 'reloading.rolledBack',
];

/**
 * The recovery decisions (transitions whose guard decides from the durable commit point), and every guard
 * but fenceDurable (static fences run in the election scenarios only, which attach this model too).
 */
const MUST_TAKE = [
  'recovering.scanning|RECOVER_FINALIZE|recovering.finalized',
  'recovering.scanning|RECOVER_ROLLBACK|recovering.rolledBack',
  'recovering.finalized|RECOVER_DONE|idle',
  'recovering.rolledBack|RECOVER_DONE|idle',
  'reloading.scanning|RECOVER_FINALIZE|reloading.finalized',
  'reloading.scanning|RECOVER_ROLLBACK|reloading.rolledBack',
  'reloading.scanning|RECOVER_FAILED|stalled',
  'stalled|RELOAD_BEGIN|reloading.scanning',
  'markerWriting|COMMIT_FAILED_MARKER|uncertain',
  'uncertain|RELOAD_BEGIN|reloading.scanning',
];
const MUST_DECIDE = Object.keys(RECOVERY_REASONS).filter((g) => g !== 'fenceDurable');

describe('storage scenarios pass on the real implementation', () => {
  for (const s of [...crashPoints, ...media, ...fencing]) {
    it(s.name, async () => {
      for (let seed = 1; seed <= 4; seed++) {
        const records: { kind: string; data: Record<string, unknown> }[] = [];
        const r = await runScenario(s, seed, { traceSink: (l) => records.push(JSON.parse(l) as (typeof records)[number]) });
        expect(r.failure, `${s.name} seed ${seed}: ${r.failure?.message}`).toBeNull();
        addCoverage(r.coverage);
        const faults = records.filter((x) => /^fault\.(crash|tornWrite|diskError|fsyncFail)$/.test(x.kind)).map((x) => `${x.kind} ${String(x.data.target)}`);
        const want = LANDS[s.name] ?? [];
        expect(faults.length, `seed ${seed}: ${faults.join('; ')}`).toBeGreaterThanOrEqual(want.length);
        want.forEach((w, i) => expect(faults[i]).toContain(w));
        for (const kind of REACHES[s.name] ?? []) expect(records.some((x) => x.kind === kind), `seed ${seed}: ${kind}`).toBe(true);
      }
    });
  }
  for (const s of swarm.filter((x) => x.suites.includes('smoke'))) {
    it(`${s.name} (10 seeds)`, async () => {
      for (let seed = 1; seed <= 10; seed++) {
        const r = await runScenario(s, seed);
        expect(r.failure, `${s.name} seed ${seed}: ${r.failure?.message}\n${r.replay}`).toBeNull();
        addCoverage(r.coverage);
      }
    });
  }
  it('the kv swarm fails kv commits (EIO, ENOSPC) and the store reports them, not only power losses', async () => {
    const kv = swarm.find((x) => x.name === 'storage-swarm-kv')!;
    let aborted = 0;
    let failed = 0;
    for (let seed = 1; seed <= 10; seed++) {
      await runScenario(kv, seed, {
        traceSink: (l) => {
          const r = JSON.parse(l) as { kind: string; data: Record<string, unknown> };
          if (r.kind === 'kv.abort' && (r.data.reason === 'EIO' || r.data.reason === 'ENOSPC')) aborted++;
          if (r.kind === 'store.commit.failed') failed++;
        },
      });
    }
    expect(aborted).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
  });

  it('a store left uncertain (its marker write failed, no later commit resolves it) fails liveness naming the model', async () => {
    const base = media.find((x) => x.name === 'storage-marker-fsync-fails')!;
    const events = (base.faults as { events: { kind: string }[] }).events.filter((e) => e.kind === 'fsyncFail');
    const stuck: typeof base = {
      ...base,
      // Two commits (the second one's marker fsync fails), no power loss, and a liveness that asks nothing more.
      workload: (ctx) => {
        for (const at of [100, 300]) {
          ctx.at(at, () => {
            for (let id = 0; id < 3; id++) doWrite(ctx, 'S', id, blockData(ctx, 2048));
            doForceSync(ctx, 'S');
          });
        }
      },
      faults: { events } as typeof base.faults,
      liveness: { withinMs: 1_000, done: () => true },
    };
    const r = await runScenario(stuck, 1);
    expect(r.verdict).toBe('liveness');
    expect(r.failure?.check).toBe('model:recovery');
    expect(r.failure?.message).toContain("model 'recovery' instance 'S' still in hot state 'uncertain'");
    expect((await runScenario(base, 1)).failure).toBeNull(); // with its later commits, it recovers in place
  });

  it('together they reach every state of the commit lifecycle and every recovery decision, and every guard decides', () => {
    expect(MUST_REACH.filter((st) => (coverage.states[st] ?? 0) === 0)).toEqual([]);
    expect(MUST_TAKE.filter((t) => (coverage.transitions[t] ?? 0) === 0)).toEqual([]);
    expect(MUST_DECIDE.filter((g) => (coverage.guards?.[g] ?? 0) === 0)).toEqual([]);
  });
});

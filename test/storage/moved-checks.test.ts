/**
 * The storage checks that used to be written inside their scenarios (shared-open.ts, fencing.ts,
 * crash-points.ts), fed by hand: each fails on the violation it names and passes on the sound version.
 * The scenarios' weakened variants show them catching real implementations (storage-no-fencing).
 */
import { describe, expect, it } from 'vitest';
import {
  concurrentRecoveryKeepsCommits,
  epochSurvivesRecovery,
  noFalseCorruption,
  staleEpochNeverAccepted,
  type CommitLedger,
  type FencingResult,
} from '../../src/model/storage/index.ts';
import type { Check } from '../../src/scenario/types.ts';
import { checkHarness } from '../check-harness.ts';

const harness = (check: Check) => checkHarness(check);

describe('storage checks moved out of the scenarios', () => {
  it('concurrent-recovery-keeps-commits: a block back at an older write than the acknowledged one fails', () => {
    const ledger = (final: [number, number | null][]): CommitLedger => ({ attempted: new Map([[0, [3, 5, 7]]]), acked: new Map([[0, 5]]), final: new Map(final) });
    for (const [final, fails] of [[[[0, 7]], false], [[[0, 5]], false], [[[0, 3]], true], [[[0, null]], true], [[[0, 6]], true]] as const) {
      const t = harness(concurrentRecoveryKeepsCommits(() => ledger(final as unknown as [number, number | null][])));
      t.final();
      expect(t.failures.length > 0, JSON.stringify(final)).toBe(fails);
    }
    const none = harness(concurrentRecoveryKeepsCommits(() => ({ ...ledger([]), final: null })));
    none.final();
    expect(none.failures).toEqual([]);
    expect(none.exercised).toEqual([]);
  });

  it('no-false-corruption: a corrupt report on an intact or replaced version fails, on a damaged one passes', () => {
    const t = harness(noFalseCorruption);
    t.emit('S', 'node.start', { incarnation: 0, device: 'D' });
    t.emit('T', 'node.start', { incarnation: 0, device: 'E' });
    t.emit('S', 'store.open', { backend: 'kv', root: 'store' });
    t.emit('T', 'store.open', { backend: 'kv', root: 'store' });
    t.emit('sim', 'fact.store-blocks', { device: 'D', backend: 'kv', root: 'store', current: ['0.2', '1.1'], missing: [], damaged: ['1.1'] });
    t.emit('sim', 'fact.store-blocks', { device: 'E', backend: 'kv', root: 'store', current: ['0.1'], missing: [], damaged: [] });
    // Another store of device D, intact: S's store is judged by its own.
    t.emit('sim', 'fact.store-blocks', { device: 'D', backend: 'kv', root: 'other', current: ['1.1'], missing: [], damaged: [] });
    t.emit('S', 'store.recover.corrupt', { id: 1, v: 1 });
    expect(t.failures).toEqual([]);
    // Judged against its own device's image: version 1.1 is damaged on D, not on E.
    t.emit('T', 'store.recover.corrupt', { id: 1, v: 1 });
    expect(t.failures.join()).toMatch(/^invariant:no-false-corruption: T's recovery reports block 1.1 damaged, but the durable commit point no longer has/);
    const s2 = harness(noFalseCorruption);
    s2.emit('S', 'node.start', { incarnation: 0, device: 'D' });
    s2.emit('S', 'store.open', { backend: 'kv', root: 'store' });
    s2.emit('sim', 'fact.store-blocks', { device: 'D', backend: 'kv', root: 'store', current: ['0.2', '1.1'], missing: [], damaged: ['1.1'] });
    s2.emit('S', 'store.recover.corrupt', { id: 0, v: 1 });
    expect(s2.failures.join()).toMatch(/no longer has that version/);
    const u = harness(noFalseCorruption);
    u.emit('S', 'node.start', { incarnation: 0, device: 'D' });
    u.emit('S', 'store.open', { backend: 'file', root: '/store' });
    u.emit('sim', 'fact.store-blocks', { device: 'D', backend: 'file', root: '/store', current: ['0.2'], missing: [], damaged: [] });
    u.emit('S', 'store.recover.corrupt', { id: 0, v: 2 });
    expect(u.failures.join()).toMatch(/holds it intact/);
  });

  it('no-false-corruption: a version damaged at rest since the latest fact may be reported, until a later fact shows it intact again', () => {
    const run = (damage: boolean, rewrittenAfter: boolean): string[] => {
      const t = harness(noFalseCorruption);
      t.emit('S', 'node.start', { incarnation: 0, device: 'D' });
      t.emit('S', 'store.open', { backend: 'kv', root: 'store' });
      const fact = { device: 'D', backend: 'kv', root: 'store', current: ['0.2', '11.8'], missing: [], damaged: [] };
      t.emit('sim', 'fact.store-blocks', fact);
      if (damage) t.emit('sim', 'kv.corrupt', { device: 'D', store: 'store:blocks', key: '11.8' });
      if (rewrittenAfter) t.emit('sim', 'fact.store-blocks', fact);
      t.emit('S', 'store.recover.corrupt', { id: 11, v: 8 });
      return t.failures;
    };
    // storage-swarm-kv-long seed 13003: zeroed between two commits, found by an in-place recovery before any new fact.
    expect(run(true, false)).toEqual([]);
    expect(run(false, false).join()).toMatch(/holds it intact/);
    expect(run(true, true).join()).toMatch(/holds it intact/);
  });

  it('stale-epoch-never-accepted: an accepted or wrongly refused stale commit, or a reopen without epoch 2, fails', () => {
    const judge = (r: Partial<FencingResult>, durableEpoch = 2): string[] => {
      const t = harness(staleEpochNeverAccepted(() => ({ epoch2Acked: true, stale: [], finalBlock: 2, finalEpoch: 2, ...r })));
      t.emit('sim', 'fact.store', { device: 'D', root: 'store', epoch: durableEpoch });
      t.final();
      return t.failures;
    };
    expect(judge({ stale: [{ step: 'stale', outcome: 'refused' }, { step: 'x', outcome: 'env-error', code: 'EIO' }] })).toEqual([]);
    expect(judge({ stale: [{ step: 'stale', outcome: 'accepted' }] }).join()).toMatch(/was accepted/);
    expect(judge({ stale: [{ step: 'stale', outcome: 'other-error', code: 'EINVAL' }] }).join()).toMatch(/failed with EINVAL/);
    expect(judge({ finalBlock: 1 }).join()).toMatch(/block 0 holds 1/);
    expect(judge({ finalEpoch: 1 }).join()).toMatch(/recorded epoch is 1/);
    // The store reporting epoch 2 while its durable marker holds 1 (the evidence, not its word).
    expect(judge({}, 1).join()).toMatch(/durable commit marker of D:store holds epoch 1 at the end \(fact.store\)/);
  });

  it('epoch-survives-recovery: a recovery ending below the acknowledged epoch fails', () => {
    const workload: { acked?: number } = {};
    const t = harness(epochSurvivesRecovery(() => workload.acked));
    t.emit('sim', 'fact.store', { epoch: 0 });
    t.emit('S', 'store.recover.done', {});
    expect(t.failures).toEqual([]); // nothing acknowledged yet
    workload.acked = 1;
    t.emit('sim', 'fact.store', { epoch: 1 });
    t.emit('S', 'store.recover.done', {});
    expect(t.failures).toEqual([]);
    t.emit('sim', 'fact.store', { epoch: 0 });
    t.emit('S', 'store.recover.done', {});
    expect(t.failures.join()).toMatch(/epoch 0, below epoch 1/);
  });
});

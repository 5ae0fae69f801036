/**
 * Crash-point exploration of one commit: the real store survives every crash point under every
 * persistence profile; weakened stores are caught at a crash point (also with the model switched off, so
 * the invariants alone catch them).
 */
import { describe, expect, it } from 'vitest';
import { exploreCommitCrashes, randomCommitCrashes } from '../../src/explore/storage-crashes.ts';

const small = { blocks: 4, weakExhaustiveMax: 16, weakSamples: 4 } as const;

describe('crash-point exploration of a commit', () => {
  for (const profile of ['strict', 'ordered', 'weak'] as const) {
    it(`the real store survives every crash point (${profile})`, async () => {
      const r = await exploreCommitCrashes({ profile, ...small, stopAtFirstFailure: false });
      expect(r.failures.map((f) => `${f.boundary}: ${f.failure.check}: ${f.failure.message}`)).toEqual([]);
      expect(r.boundaries).toBeGreaterThan(20); // every disk operation of the commit and its finalize
      expect(r.trials).toBeGreaterThanOrEqual(r.boundaries);
    });
  }

  it('randomized crash points and outcomes (weak), 30 seeds, some also crashing during recovery', async () => {
    const r = await randomCommitCrashes({ profile: 'weak', ...small, stopAtFirstFailure: false }, Array.from({ length: 30 }, (_, i) => i + 1));
    expect(r.failures).toEqual([]);
    expect(r.trials).toBe(60); // a counting run and a crash run per seed
    expect(r.powerLosses).toBeGreaterThan(30); // recoveries were cut too
  });

  it('catches recovery that keeps pending metadata, by the model and by the invariants alone', async () => {
    const withModel = await exploreCommitCrashes({ profile: 'strict', ...small, variant: 'storage-keep-pending' });
    expect(withModel.failures[0]?.failure.check).toBe('model:recovery');
    const invariantsOnly = await exploreCommitCrashes({ profile: 'strict', ...small, variant: 'storage-keep-pending', checkModel: false });
    expect(invariantsOnly.failures[0]?.failure.check).toBe('invariant:no-block-newer-than-marker');
  });

  it('catches a recovery that rolls back a commit whose marker is durable, by the model and by the invariants alone', async () => {
    const withModel = await exploreCommitCrashes({ profile: 'strict', ...small, variant: 'storage-rollback-durable' });
    expect(withModel.failures[0]?.failure.message).toMatch(/rollbackAboveDurable: recovery rolls back commit 2, at or below the durable commit point 2/);
    const invariantsOnly = await exploreCommitCrashes({ profile: 'strict', ...small, variant: 'storage-rollback-durable', checkModel: false });
    expect(invariantsOnly.failures[0]?.failure.check).toBe('invariant:durable-commit-survives');
  });

  it('catches a recovery that names a commit it did not reach (only the model reads that claim)', async () => {
    const r = await exploreCommitCrashes({ profile: 'strict', ...small, variant: 'storage-done-misreports' });
    expect(r.failures[0]?.failure.message).toMatch(/reachedDurable: recovery reports commit 2, but the durable commit point is 1/);
  });

  it('catches a marker advanced before the data is fsynced, by the invariants alone', async () => {
    const r = await exploreCommitCrashes({ profile: 'weak', ...small, variant: 'storage-marker-before-fsync', checkModel: false });
    expect(r.failures[0]?.failure.check).toMatch(/^invariant:(recoverable|checksums-valid|atomic-batch|committed-data-durable)$/);
    expect(r.failures[0]!.boundary).toBeGreaterThanOrEqual(0);
  });

  it('catches missing directory fsyncs (new block files are not durable)', async () => {
    const r = await exploreCommitCrashes({ profile: 'strict', ...small, variant: 'storage-no-dir-fsync', checkModel: false });
    // commit-sequence: the store began commit 2 on top of commit 1, whose marker the durable image never held.
    expect(r.failures[0]?.failure.check).toMatch(/^invariant:(committed-data-durable|acked-survives|recoverable|commit-sequence)$/);
  });
});

/**
 * invariant:last-copy-kept decides from two consecutive `fact.store-blocks`: every committed version
 * intact before is still current and intact after, or superseded by a later commit. These cases are the
 * ways a version can be lost (and the ways it may legitimately go).
 */
import { describe, expect, it } from 'vitest';
import { intactVersions, lastCopyCheck, lostCopies, type BlocksFact } from '../../src/model/storage/last-copy-kept.ts';

const fact = (commit: number | null, current: string[] | null, missing: string[] = [], damaged: string[] = []): BlocksFact => ({ commit, current, missing, damaged });
const before = fact(2, ['0.1', '1.2', '2.2']);

describe('invariant:last-copy-kept (lostCopies)', () => {
  it('keeps: nothing changed, or a fence (metadata-only commit)', () => {
    expect(lostCopies(before, before)).toEqual([]);
    expect(lostCopies(before, fact(3, ['0.1', '1.2', '2.2']))).toEqual([]);
  });

  it('allows what a later commit superseded: rewritten or deallocated blocks', () => {
    expect(lostCopies(before, fact(3, ['0.1', '1.3']))).toEqual([]);
  });

  it('finds an unlinked current version (the entry is gone at the same commit)', () => {
    expect(lostCopies(before, fact(2, ['0.1', '1.2', '2.2'], ['1.2']))).toEqual([{ version: '1.2', how: 'removed' }]);
  });

  it('finds a current version overwritten with other bytes', () => {
    expect(lostCopies(before, fact(2, ['0.1', '1.2', '2.2'], [], ['2.2']))).toEqual([{ version: '2.2', how: 'overwritten' }]);
  });

  it('finds a repair that rolled a good block back (storage-bit-rot-read seed 300184)', () => {
    expect(lostCopies(before, fact(2, ['0.1', '1.1', '2.2']))).toEqual([{ version: '1.2', how: 'rolled-back' }]);
    // Rolling back is no excuse even when the commit number moves on.
    expect(lostCopies(before, fact(3, ['0.1', '1.1', '2.2']))).toEqual([{ version: '1.2', how: 'rolled-back' }]);
  });

  it('finds a block dropped from the metadata without a later commit, and a commit point that went back', () => {
    expect(lostCopies(before, fact(2, ['0.1', '2.2']))).toEqual([{ version: '1.2', how: 'orphaned' }]);
    expect(lostCopies(before, fact(1, ['0.1', '1.1']))).toEqual([
      { version: '1.2', how: 'rolled-back' },
      { version: '2.2', how: 'orphaned' },
    ]);
  });

  it('finds committed metadata that is gone (every committed version orphaned)', () => {
    expect(lostCopies(before, fact(2, null)).map((l) => l.how)).toEqual(['orphaned', 'orphaned', 'orphaned']);
    expect(lostCopies(before, fact(null, null))).toHaveLength(3);
  });

  it('lets a version go that was already damaged or missing at rest (what a repair is for)', () => {
    const rotten = fact(2, ['0.1', '1.2', '2.2'], ['2.2'], ['1.2']);
    expect(intactVersions(rotten)).toEqual(['0.1']);
    expect(lostCopies(rotten, fact(2, ['0.1', '1.1']))).toEqual([]);
  });

  it('has nothing to keep before the first commit or when the metadata was unreadable', () => {
    expect(lostCopies(fact(null, null), fact(null, null))).toEqual([]);
    expect(lostCopies(fact(2, null), fact(1, ['0.1']))).toEqual([]);
  });
});

describe('invariant:last-copy-kept (the check) with damage at rest', () => {
  /** The check set up on hand-fed records: its failures, and `emit` to feed it one (node 'sim'). */
  function fed(): { failures: string[]; emit: (kind: string, data: Record<string, unknown>) => void } {
    const listeners = new Map<string, ((r: unknown) => void)[]>();
    const failures: string[] = [];
    const ctx = {
      trace: { on: (kind: string, l: (r: unknown) => void) => void listeners.set(kind, [...(listeners.get(kind) ?? []), l]) },
      fail: (_k: string, check: string, message: string) => void failures.push(`${check}: ${message}`),
      exercised: () => undefined,
    };
    lastCopyCheck().setup!(ctx as never);
    let i = 0;
    const emit = (kind: string, data: Record<string, unknown>): void => {
      for (const l of listeners.get(kind) ?? []) l({ i: i++, t: 0, node: 'sim', kind, data });
    };
    return { failures, emit };
  }

  /** Feeds the check a fact, maybe damage at rest (the simulator's record), and a second fact; returns its failures. */
  function judge(record: { kind: string; data: Record<string, unknown> } | null): string[] {
    const { failures, emit } = fed();
    const blocks = (current: string[], damaged: string[] = []) => ({ device: 'D', backend: 'file', root: '/store', commit: 3, current, missing: [], damaged });
    emit('fact.store-blocks', blocks(['0.3', '1.3']));
    if (record !== null) emit(record.kind, record.data);
    // Recovery repaired block 0 to its previous version (the damaged 0.3 deleted).
    emit('fact.store-blocks', blocks(['0.2', '1.3']));
    return failures;
  }

  it('lets a version go that the simulator damaged at rest after the fact before (a repair of it)', () => {
    expect(judge({ kind: 'disk.corrupt', data: { device: 'D', path: '/store/blocks/0.3', len: 64 } })).toEqual([]);
  });

  it('still fails the same repair when nothing damaged the version, or something else was damaged', () => {
    expect(judge(null)[0]).toMatch(/^invariant:last-copy-kept: D:\/store: the last intact durable copy of committed block version\(s\) 0\.3 rolled-back/);
    expect(judge({ kind: 'disk.corrupt', data: { device: 'D', path: '/store/blocks/1.3', len: 64 } })).toHaveLength(1);
    expect(judge({ kind: 'disk.corrupt', data: { device: 'E', path: '/store/blocks/0.3', len: 64 } })).toHaveLength(1);
  });

  it('forgets the damage once the name is intact again (written anew after a rollback): a later loss of it fails', () => {
    const { failures, emit } = fed();
    const blocks = (commit: number, current: string[], damaged: string[] = []) => ({ device: 'D', backend: 'file', root: '/store', commit, current, missing: [], damaged });
    emit('fact.store-blocks', blocks(3, ['0.2', '1.3']));
    emit('disk.corrupt', { device: 'D', path: '/store/blocks/1.3', len: 64 });
    emit('fact.store-blocks', blocks(3, ['0.2', '1.3'], ['1.3']));
    // Rolled back to commit 2, then commit 3 reused: 1.3 written anew, intact.
    emit('fact.store-blocks', blocks(2, ['0.2', '1.2']));
    emit('fact.store-blocks', blocks(3, ['0.2', '1.3']));
    expect(failures).toEqual([]);
    // Now a recovery throws the good 1.3 away: no damage excuses it any more.
    emit('fact.store-blocks', blocks(3, ['0.2', '1.2']));
    expect(failures[0]).toMatch(/1\.3 rolled-back/);
  });
});


/**
 * invariant:block-mtime (hunt 2, 2026-12): the wall-clock ranges of each commit, from the simulator's clock
 * of the committing node, against the mtimes the durable metadata records. The scenarios
 * (storage-damage-at-rest-repair: a skewed, drifting, jumping clock) and variant storage-mtime-monotonic
 * cover it end to end (test/storage/variants.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CommitClocks, judgeStat } from '../../src/model/storage/block-mtime.ts';
import type { DurableMeta } from '../../src/evidence/store-image.ts';
import { decodeMeta } from '../../src/evidence/store-image.ts';

const meta = (rows: [number, number, number | null, number, number | null][]): DurableMeta => ({
  commit: 9,
  blocks: new Map(rows.map(([id, v, mtime, prev, prevMtime]) => [id, { v, mtime, prev, prevMtime, sum: null, prevSum: null }])),
  tombstones: new Map(),
  algorithm: null,
});

describe('invariant:block-mtime (CommitClocks)', () => {
  it('accepts an mtime within the committing node\'s wall-clock readings during the commit, current and previous', () => {
    const c = new CommitClocks();
    c.begin('S', 'D', 1, 1_000);
    c.end('S', 1_004);
    c.begin('S', 'D', 2, 2_000);
    c.end('S', 2_000);
    expect(c.judge('D', meta([[0, 2, 2_000, 1, 1_003]]))).toEqual({ wrong: [], judged: 2 });
  });

  it('fails an mtime of another commit, of another clock, or none', () => {
    const c = new CommitClocks();
    c.begin('S', 'D', 1, 1_000);
    c.end('S', 1_000);
    c.begin('S', 'D', 2, 2_000);
    c.end('S', 2_001);
    const { wrong } = c.judge('D', meta([[0, 2, 1_000, 1, 2_000], [1, 2, 37.5, -1, null], [2, 2, null, -1, null]]));
    expect(wrong).toHaveLength(4);
    expect(wrong[0]).toMatch(/^block 0 v2 \(current\): mtime 1000, but the committing node's wall clock read 2000\.\.2001 \(S\) during commit 2$/);
    expect(wrong[1]).toMatch(/^block 0 v1 \(previous\): mtime 2000/);
    expect(wrong[3]).toMatch(/^block 2 v2 \(current\): mtime missing/);
  });

  it('widens a commit by a clock jump during it (the readings just before and after), and keeps every attempt of a reused number', () => {
    const c = new CommitClocks();
    c.begin('S', 'D', 1, 5_000);
    c.sample('S', 5_002, 5_002 - 60_000); // a jump back by 60 s in the middle of the commit
    c.end('S', -54_990);
    c.begin('S', 'D', 2, 9_000); // rolled back later ...
    c.end('S', 9_001);
    c.begin('S', 'D', 2, 7_000); // ... and commit 2 again
    c.end('S', 7_000);
    expect(c.judge('D', meta([[0, 1, -54_995, -1, null], [1, 2, 7_000, 1, 5_001], [2, 2, 9_001, -1, null]])).wrong).toEqual([]);
    expect(c.judge('D', meta([[0, 1, 5_003, -1, null]])).wrong).toHaveLength(1);
  });

  it('judges per device, and not a version whose commit it never saw begin', () => {
    const c = new CommitClocks();
    c.begin('A', 'D1', 1, 100);
    c.end('A', 100);
    expect(c.judge('D2', meta([[0, 1, 5, -1, null]]))).toEqual({ wrong: [], judged: 0 });
    expect(c.judge('D1', meta([[0, 3, 5, -1, null]]))).toEqual({ wrong: [], judged: 0 });
  });

  it('decodes the mtimes of the documented metadata row [id, v, sum, mtime, prevV, prevSum, prevMtime]', () => {
    const m = decodeMeta({ commit: 2, blocks: [[0, 2, 7, 1_700_000_000_123, 1, 8, 1_700_000_000_001], [1, 2, 7, 12.5, -1, 0, 0], [2, 2, 7, 'x', -1, 0, 0]], tombstones: [] });
    expect(m?.blocks.get(0)).toEqual({ v: 2, prev: 1, sum: 7, prevSum: 8, mtime: 1_700_000_000_123, prevMtime: 1_700_000_000_001 });
    expect(m?.blocks.get(1)?.mtime).toBe(12.5);
    expect(m?.blocks.get(2)?.mtime).toBeNull();
  });
});

describe('invariant:block-mtime on the store\'s stat() answers (judgeStat)', () => {
  it('holds lastModifiedMs to the wall clock of the commit numbered like the version stat reports', () => {
    const failures: string[] = [];
    const clocks = new CommitClocks();
    clocks.begin('S', 'D', 1, 1_000);
    clocks.end('S', 1_002);
    const ctx = {
      shared: new Map<string, unknown>([['storage.block-mtime.clocks', clocks]]),
      sim: { node: () => ({ deviceId: 'D' }) },
      exercised: () => undefined,
      fail: (_k: string, check: string, message: string) => void failures.push(`${check}: ${message}`),
    } as unknown as Parameters<typeof judgeStat>[0];
    judgeStat(ctx, 'S', 0, { version: 1, lastModifiedMs: 1_001 });
    judgeStat(ctx, 'S', 0, { version: 7, lastModifiedMs: 5 }); // a commit never seen: not judged
    judgeStat(ctx, 'S', 0, null);
    expect(failures).toEqual([]);
    judgeStat(ctx, 'S', 0, { version: 1, lastModifiedMs: 12.5 });
    expect(failures[0]).toMatch(/^invariant:block-mtime: S: stat\(0\) answers lastModifiedMs .*block 0 v1 \(stat\): mtime 12\.5, but the committing node's wall clock read 1000\.\.1002 \(S\) during commit 1/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { compareKey, RecordTable, winnersOf, wins, type Cursor, type SyncRecord } from '../../src/impl/peer/records.ts';

const rec = (uuid: string, ms: number, writer: string, data: string | null): SyncRecord => ({
  uuid,
  writer,
  ts: formatHlc({ physicalMs: ms, counter: 0, device: writer }),
  data,
});

const arbRecord = fc
  .record({
    uuid: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'),
    ms: fc.integer({ min: 1, max: 20 }),
    writer: fc.constantFrom('A', 'B', 'C'),
    deleted: fc.boolean(),
  })
  .map((r) => rec(r.uuid, r.ms, r.writer, r.deleted ? null : `${r.writer}${r.ms}`));

describe('records', () => {
  it('merging the same versions in any order gives the same table (convergence)', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 40 }), fc.integer(), (list, seed) => {
        const a = new RecordTable('r');
        const b = new RecordTable('r');
        for (const r of list) a.merge(r);
        const shuffled = [...list].sort((x, y) => ((x.uuid + x.ts + seed) < (y.uuid + y.ts + seed) ? -1 : 1)).reverse();
        for (const r of shuffled) b.merge(r);
        expect(b.digest()).toBe(a.digest());
        expect(b.all()).toEqual(a.all());
      }),
    );
  });

  it('winnersOf writes one version per record, so a store where the last put wins equals the merged table', () => {
    // Regression (found by peer-swarm seed 115): a buffer holding two versions of one record wrote both;
    // the kv kept the older one while memory held the newer, and a restart brought the older one back.
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 10 }), fc.array(arbRecord, { maxLength: 30 }), (before, batch) => {
        const t = new RecordTable('r');
        const kv = new Map<string, SyncRecord>();
        for (const r of before) if (t.merge(r)) kv.set(r.uuid, r);
        for (const r of winnersOf(t, batch)) kv.set(r.uuid, r);
        for (const r of batch) t.merge(r);
        for (const r of t.all()) expect(kv.get(r.uuid)).toEqual(r);
        expect(kv.size).toBe(t.size);
      }),
    );
  });

  it('a tombstone beats any live version: deleted records never come back', () => {
    const del = rec('x', 5, 'A', null);
    const later = rec('x', 9, 'B', 'again');
    expect(wins(later, del)).toBe(false);
    expect(wins(del, later)).toBe(true);
    const t = new RecordTable('r');
    t.merge(del);
    t.merge(later);
    expect(t.get('x')?.data).toBeNull();
  });

  it('scanning batch by batch from a (ts, uuid) cursor visits every record once, ties included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.uuid()), { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (items, limit) => {
        const t = new RecordTable('r');
        for (const [ms, uuid] of items) t.merge(rec(uuid, ms, 'A', 'd'));
        const seen: string[] = [];
        let since: Cursor | null = null;
        for (let guard = 0; guard < 1_000; guard++) {
          const { records, remaining } = t.scan(since, null, limit);
          seen.push(...records.map((r) => r.uuid));
          const last = records[records.length - 1];
          if (last !== undefined) since = { ts: last.ts, uuid: last.uuid };
          if (remaining === 0) break;
        }
        expect(seen.sort()).toEqual([...new Set(items.map(([, u]) => u))].sort());
      }),
    );
  });

  it('keeps its key index sorted through out-of-order updates (patched) and many of them (re-sorted)', () => {
    const t = new RecordTable('r');
    for (let i = 0; i < 200; i++) t.merge(rec(`u${String(i).padStart(3, '0')}`, 100 + (i % 7), 'A', 'd'));
    for (let i = 0; i < 150; i += 3) t.merge(rec(`u${String(i).padStart(3, '0')}`, 300 - i, 'B', 'e'));
    const all = t.all();
    for (let i = 1; i < all.length; i++) expect(compareKey(all[i - 1]!, all[i]!)).toBeLessThan(0);
    expect(all.length).toBe(200);
  });

  it('filters a scan by writer and reports the latest key per writer', () => {
    const t = new RecordTable('r');
    t.merge(rec('a', 1, 'A', 'x'));
    t.merge(rec('b', 2, 'B', 'x'));
    t.merge(rec('c', 3, 'A', 'x'));
    expect(t.scan(null, 'A', 10).records.map((r) => r.uuid)).toEqual(['a', 'c']);
    expect(t.latestBy('B')).toEqual({ ts: rec('b', 2, 'B', 'x').ts, uuid: 'b' });
    expect(t.latestBy('Z')).toBeNull();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { compareKey, recordHash, RecordTable, winnersOf, wins, type Cursor, type SyncRecord } from '../../src/impl/peer/records.ts';

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

/**
 * The table keeps four things incrementally (the key index, patched or re-sorted; the digest; each writer's
 * digest; the live count) that catch-up and convergence rely on: `writerDigest` decides whether a device adopts
 * a peer's stream without scanning it, and scans serve backfill and catch-up. The protocol heals many of
 * their errors (a catch-up repairs a skipped record), so scenarios alone see few of them: this compares
 * every answer with a table rebuilt from scratch after every step of random histories.
 */
describe('records: the incremental table answers what a table rebuilt from scratch answers', () => {
  const arbHistoryRecord = fc
    .record({
      uuid: fc.integer({ min: 0, max: 11 }),
      ms: fc.integer({ min: 1, max: 400 }),
      writer: fc.constantFrom('A', 'B', 'C'),
      deleted: fc.integer({ min: 0, max: 5 }),
    })
    .map((r) => rec(`u${String(r.uuid).padStart(2, '0')}`, r.ms, r.writer, r.deleted === 0 ? null : `${r.writer}${r.ms}`));
  const arbStep = fc.oneof(
    { weight: 6, arbitrary: arbHistoryRecord.map((r) => ({ merge: r })) },
    {
      weight: 1,
      arbitrary: fc.record({
        since: fc.option(arbHistoryRecord, { nil: null }),
        until: fc.option(arbHistoryRecord, { nil: null }),
        writer: fc.constantFrom(null, 'A', 'B', 'C'),
        limit: fc.integer({ min: 1, max: 6 }),
      }).map((q) => ({ query: q })),
    },
  );

  const reference = (m: Map<string, SyncRecord>) => {
    const sorted = [...m.values()].sort(compareKey);
    const writerDigest = (w: string): string => {
      const own = sorted.filter((r) => r.writer === w);
      const sum = own.reduce((s, r) => (s + recordHash(r)) >>> 0, 0);
      return own.length === 0 ? '0:0' : `${own.length}:${sum.toString(16)}`;
    };
    const sum = sorted.reduce((s, r) => (s + recordHash(r)) >>> 0, 0);
    return { sorted, writerDigest, digest: `${sorted.length}:${sum.toString(16)}`, live: sorted.filter((r) => r.data !== null).length };
  };

  const checkAll = (t: RecordTable, m: Map<string, SyncRecord>) => {
    const ref = reference(m);
    expect(t.size).toBe(ref.sorted.length);
    expect(t.liveCount).toBe(ref.live);
    expect(t.digest()).toBe(ref.digest);
    for (const w of ['A', 'B', 'C', 'Z']) {
      expect(t.writerDigest(w)).toBe(ref.writerDigest(w));
      const own = ref.sorted.filter((r) => r.writer === w);
      const last = own[own.length - 1];
      expect(t.latestBy(w)).toEqual(last === undefined ? null : { ts: last.ts, uuid: last.uuid });
    }
    expect(t.maxTs()).toBe(ref.sorted.length === 0 ? null : ref.sorted[ref.sorted.length - 1]!.ts);
  };

  it('size, live count, digests, latest keys and scans after every step', () => {
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 160 }), (steps) => {
        const t = new RecordTable('r');
        const m = new Map<string, SyncRecord>();
        for (const step of steps) {
          if ('merge' in step) {
            const r = step.merge;
            const changes = wins(r, m.get(r.uuid));
            expect(t.merge(r)).toBe(changes);
            if (changes) m.set(r.uuid, r);
            // Check the digests and counts after every merge, the key index only at queries (a query is what
            // applies its pending patches, so histories with many merges between queries reach the re-sort).
            const ref = reference(m);
            expect(t.digest()).toBe(ref.digest);
            expect(t.liveCount).toBe(ref.live);
            for (const w of ['A', 'B', 'C']) expect(t.writerDigest(w)).toBe(ref.writerDigest(w));
            continue;
          }
          const { since, until, writer, limit } = step.query;
          const ref = reference(m).sorted.filter(
            (r) => (since === null || compareKey(r, since) > 0) && (until === null || compareKey(r, until) <= 0) && (writer === null || r.writer === writer),
          );
          const got = t.scan(since, writer, limit, until);
          expect(got.records).toEqual(ref.slice(0, limit));
          expect(got.remaining).toBe(Math.max(0, ref.length - limit));
        }
        expect(t.all()).toEqual(reference(m).sorted);
        checkAll(t, m);
      }),
      { numRuns: 300 },
    );
  });

  it('re-sorts correctly after more out-of-order changes than it patches one by one', () => {
    const t = new RecordTable('r');
    const m = new Map<string, SyncRecord>();
    // 100 records in key order, then 80 rewrites out of order (beyond the 64 patched one by one), then queries.
    for (let i = 0; i < 100; i++) {
      const r = rec(`u${String(i).padStart(3, '0')}`, 1_000 + i, 'A', 'a');
      t.merge(r);
      m.set(r.uuid, r);
    }
    expect(t.all()).toEqual(reference(m).sorted);
    for (let i = 0; i < 80; i++) {
      const r = rec(`u${String((i * 37) % 100).padStart(3, '0')}`, 2_000 - i, i % 2 === 0 ? 'B' : 'C', i % 5 === 0 ? null : 'b');
      t.merge(r);
      m.set(r.uuid, r);
    }
    expect(t.all()).toEqual(reference(m).sorted);
    checkAll(t, m);
  });
});

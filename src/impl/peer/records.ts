/**
 * Records and the in-memory table of one resource.
 *
 * A record is the current version of one item: `{ uuid, writer, ts, data }` where `ts` is the HLC string
 * of the write that produced it, `writer` the device that wrote it and `data` null for a tombstone.
 * Both kinds of data use it: device-owned records (only the owner writes; `writer` is the owner) and
 * shared records (any device writes).
 *
 * Order: records are scanned by their key (ts, uuid). Equal ts happen when one transaction writes several
 * records; the uuid breaks the tie, so a (ts, uuid) cursor never skips a record that shares a timestamp.
 *
 * Merge (the same rule everywhere, so every device converges whatever the delivery order):
 * - a tombstone beats any live version (deleted records never come back), and of two tombstones the
 *   larger ts wins;
 * - otherwise the larger ts wins (last writer wins by HLC).
 */
import type { Value } from '../env.ts';

/** The current version of one item. `data` null means deleted (a tombstone). */
export interface SyncRecord {
  readonly uuid: string;
  readonly writer: string;
  readonly ts: string;
  readonly data: string | null;
}

/** A scan position: everything at or before (ts, uuid) has been seen. */
export interface Cursor {
  readonly ts: string;
  readonly uuid: string;
}

/** Compares a record (or cursor) key with another: negative, zero, positive. */
export function compareKey(a: Cursor, b: Cursor): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

/** Length of an HLC string's physical ms and counter (`<15 digits>-<6 digits>`): what precedes its device. */
const HLC_CLOCK_CHARS = 22;

/**
 * True when `incoming` should replace `current` under the merge rule. (`tieInverted`: the weakened variant
 * 'peer-tie-device-inverted', where two versions of equal physical ms and counter are ordered by their
 * device ids reversed.)
 */
export function wins(incoming: SyncRecord, current: SyncRecord | undefined, tieInverted = false): boolean {
  if (current === undefined) return true;
  const inDead = incoming.data === null;
  const curDead = current.data === null;
  if (curDead && !inDead) return false;
  if (inDead && !curDead) return true;
  if (tieInverted && incoming.ts !== current.ts && incoming.ts.slice(0, HLC_CLOCK_CHARS) === current.ts.slice(0, HLC_CLOCK_CHARS)) return incoming.ts < current.ts;
  return compareKey(incoming, current) > 0;
}

/**
 * The records of `incoming` that change `table`, at most one per uuid (the merge winner among them):
 * what a transaction must write so the durable table ends up equal to the in-memory one.
 */
export function winnersOf(table: RecordTable, incoming: readonly SyncRecord[]): SyncRecord[] {
  const best = new Map<string, SyncRecord>();
  for (const r of incoming) {
    if (wins(r, best.get(r.uuid) ?? table.get(r.uuid), table.tieInverted)) best.set(r.uuid, r);
  }
  return [...best.values()];
}

/** Record as a wire/kv value. */
export function recordToValue(r: SyncRecord): Value {
  return { u: r.uuid, w: r.writer, t: r.ts, d: r.data };
}

/** Out-of-order changes patched into the sorted index one by one; beyond this, the next scan re-sorts. */
const PATCH_MAX = 64;

/** A 32-bit FNV-1a hash of a string. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hash of one record version (uuid, ts, writer, tombstone): what convergence compares. */
export function recordHash(r: SyncRecord): number {
  return fnv(`${r.uuid}|${r.ts}|${r.writer}|${r.data === null ? 'x' : 'l'}`);
}

/** In-memory table of one resource: a Map by uuid, a lazily sorted key index, and an incremental digest. */
export class RecordTable {
  private readonly byUuid = new Map<string, SyncRecord>();
  private sorted: SyncRecord[] = [];
  /** True when the index must be rebuilt by a full sort. */
  private dirty = false;
  /** Changes not yet patched into the index (at most PATCH_MAX). */
  private pending: { added: SyncRecord; removed: SyncRecord | undefined }[] = [];
  /** Sum of record hashes mod 2^32 (order-free digest). */
  private sum = 0;
  private live = 0;
  /** Writer -> count and hash sum of the records whose current version it wrote (its own stream). */
  private readonly byWriter = new Map<string, { n: number; sum: number }>();
  /** Bumped on every change (invalidates `latestBy` answers). */
  private version = 0;
  private readonly latestCache = new Map<string, { version: number; cursor: Cursor | null }>();

  constructor(
    readonly resource: string,
    /** Weakened variant 'peer-tie-device-inverted' (see `wins`). */
    readonly tieInverted = false,
  ) {}

  /** Number of records, tombstones included. */
  get size(): number {
    return this.byUuid.size;
  }

  /** Number of live (not deleted) records. */
  get liveCount(): number {
    return this.live;
  }

  /** The record with `uuid`, or undefined. */
  get(uuid: string): SyncRecord | undefined {
    return this.byUuid.get(uuid);
  }

  /** Applies the merge rule; returns true when the table changed. */
  merge(r: SyncRecord): boolean {
    const cur = this.byUuid.get(r.uuid);
    if (!wins(r, cur, this.tieInverted)) return false;
    this.put(r, cur);
    return true;
  }

  /** Order-free digest of the table: `count:sum` (equal tables give equal digests). */
  digest(): string {
    return `${this.byUuid.size}:${this.sum.toString(16)}`;
  }

  /**
   * Order-free digest of `writer`'s own stream here (`count:sum`): equal to the writer's own digest
   * exactly when we hold the same versions of everything it wrote (up to hash collisions).
   */
  writerDigest(writer: string): string {
    const d = this.byWriter.get(writer);
    return d === undefined ? '0:0' : `${d.n}:${d.sum.toString(16)}`;
  }

  /** Every record, in key order. */
  all(): readonly SyncRecord[] {
    this.sort();
    return this.sorted;
  }

  /**
   * Up to `limit` records after `since` (exclusive; null = from the start) and up to `until` (inclusive;
   * null = to the end), optionally only those written by `writer`, in key order; with the number of
   * matching records left after them.
   */
  scan(since: Cursor | null, writer: string | null, limit: number, until: Cursor | null = null): { records: SyncRecord[]; remaining: number } {
    this.sort();
    let i = since === null ? 0 : this.upperBound(since);
    const end = until === null ? this.sorted.length : this.upperBound(until);
    const out: SyncRecord[] = [];
    let remaining = 0;
    for (; i < end; i++) {
      const r = this.sorted[i]!;
      if (writer !== null && r.writer !== writer) continue;
      if (out.length < limit) out.push(r);
      else remaining++;
    }
    return { records: out, remaining };
  }

  /** The largest key written by `writer`, or null (cached until the table changes). */
  latestBy(writer: string): Cursor | null {
    const c = this.latestCache.get(writer);
    if (c !== undefined && c.version === this.version) return c.cursor;
    const cursor = this.scanLatest(writer);
    this.latestCache.set(writer, { version: this.version, cursor });
    return cursor;
  }

  private scanLatest(writer: string): Cursor | null {
    this.sort();
    for (let i = this.sorted.length - 1; i >= 0; i--) {
      const r = this.sorted[i]!;
      if (r.writer === writer) return { ts: r.ts, uuid: r.uuid };
    }
    return null;
  }

  /** The largest ts in the table, or null. */
  maxTs(): string | null {
    this.sort();
    return this.sorted.length === 0 ? null : this.sorted[this.sorted.length - 1]!.ts;
  }

  private put(r: SyncRecord, cur: SyncRecord | undefined): void {
    if (cur !== undefined) {
      const h = recordHash(cur);
      this.sum = (this.sum - h) >>> 0;
      this.addWriter(cur.writer, -1, -h);
      if (cur.data !== null) this.live--;
    }
    this.byUuid.set(r.uuid, r);
    this.version++;
    const h = recordHash(r);
    this.sum = (this.sum + h) >>> 0;
    this.addWriter(r.writer, 1, h);
    if (r.data !== null) this.live++;
    this.noteChange(r, cur);
  }

  private addWriter(writer: string, n: number, h: number): void {
    let d = this.byWriter.get(writer);
    if (d === undefined) this.byWriter.set(writer, (d = { n: 0, sum: 0 }));
    d.n += n;
    d.sum = (d.sum + h) >>> 0;
  }

  /**
   * Keeps the key index cheap to maintain: appends in key order (new writes, backfill) go straight in;
   * a few out-of-order changes are patched in by binary search; many make the next scan re-sort.
   */
  private noteChange(r: SyncRecord, cur: SyncRecord | undefined): void {
    if (this.dirty) return;
    const last = this.sorted[this.sorted.length - 1];
    if (cur === undefined && this.pending.length === 0 && (last === undefined || compareKey(r, last) > 0)) {
      this.sorted.push(r);
      return;
    }
    if (this.pending.length >= PATCH_MAX) {
      this.dirty = true;
      this.pending = [];
      return;
    }
    this.pending.push({ added: r, removed: cur });
  }

  private sort(): void {
    if (this.dirty) {
      this.sorted = [...this.byUuid.values()].sort(compareKey);
      this.dirty = false;
      this.pending = [];
      return;
    }
    for (const { added, removed } of this.pending) {
      if (removed !== undefined) {
        const i = this.upperBound(removed) - 1;
        if (i >= 0 && this.sorted[i] === removed) this.sorted.splice(i, 1);
      }
      this.sorted.splice(this.upperBound(added), 0, added);
    }
    this.pending = [];
  }

  /** First index whose key is > `c`. */
  private upperBound(c: Cursor): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKey(this.sorted[mid]!, c) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

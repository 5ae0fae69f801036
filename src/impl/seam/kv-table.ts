/**
 * Keys, values and one sorted object store of the kv store.
 *
 * Key order is IndexedDB's for the key types we support: every number before every string; numbers by
 * value (-0 equals 0; NaN is not a key); strings by UTF-16 code units (JavaScript's `<`).
 * Values are JSON values plus Uint8Array; they are copied on the way in and on the way out.
 */
import type { KvKey, Value } from '../env.ts';

import { copyValue as copyAny } from './value.ts';

export { VALUE_DEPTH_MAX } from './value.ts';

/** A deep copy of a stored value (the simulator's one copier); errors name the path below 'value'. */
export function copyValue(value: Value): Value {
  return copyAny(value, 'value');
}

/** Compares two keys in IndexedDB order: negative, zero or positive. */
export function compareKeys(a: KvKey, b: KvKey): number {
  if (typeof a === 'number') {
    if (typeof b !== 'number') return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Throws a TypeError naming `field` unless `key` is a valid key; returns it with -0 made 0. */
export function checkKey(key: unknown, field: string): KvKey {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && !Number.isNaN(key)) return key === 0 ? 0 : key;
  throw new TypeError(`${field} must be a string or a number other than NaN, got ${typeof key === 'number' ? 'NaN' : typeof key}`);
}

/** Approximate stored size of a key in bytes. */
export function keySize(key: KvKey): number {
  return typeof key === 'number' ? 8 : key.length;
}

/** Approximate stored size of a value in bytes (for the disk's capacity). */
export function valueSize(value: Value | undefined): number {
  if (value === undefined || value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 8;
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.length;
  let n = 1;
  if (Array.isArray(value)) {
    for (const v of value as readonly Value[]) n += valueSize(v);
    return n;
  }
  const obj = value as { readonly [key: string]: Value | undefined };
  for (const k in obj) if (Object.hasOwn(obj, k)) n += k.length + valueSize(obj[k]);
  return n;
}

/** Index of the first key in sorted `keys` that is >= `key`. */
function lowerBound(keys: readonly KvKey[], key: KvKey): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One object store: a map plus its keys in order. Stored values are owned by the table.
 *
 * The key order is maintained lazily: inserting into a sorted array costs a memmove of half the array per
 * new key, which dominated large tables (a 10k-record backfill spent a fifth of its time there). Instead,
 * new keys go to an unsorted `added` list and deletions only count; the first ordered read after changes
 * sorts `added` (k log k) and merges it into `sorted` (n + k), dropping keys no longer present. Reads
 * with no change in between cost a binary search.
 */
export class KvTable {
  private readonly values = new Map<KvKey, Value>();
  /** Keys in order; when `removed` > 0 it may hold keys no longer in `values`. */
  private sorted: KvKey[] = [];
  /** Keys inserted since the last merge, in insertion order (may repeat a key deleted and re-added). */
  private added: KvKey[] = [];
  /** Deletions since the last merge. */
  private removed = 0;

  /** Number of records. */
  get size(): number {
    return this.values.size;
  }

  /** The stored value (not a copy), or undefined. */
  get(key: KvKey): Value | undefined {
    return this.values.get(key);
  }

  /** Stores `value` (taking ownership) and returns the previous value. */
  set(key: KvKey, value: Value): Value | undefined {
    const before = this.values.get(key);
    if (before === undefined) this.added.push(key);
    this.values.set(key, value);
    return before;
  }

  /** Removes `key` and returns the previous value. */
  delete(key: KvKey): Value | undefined {
    const before = this.values.get(key);
    if (before === undefined) return undefined;
    this.values.delete(key);
    this.removed++;
    return before;
  }

  /** The keys in order, after folding in the changes since the last call. */
  private order(): KvKey[] {
    if (this.added.length === 0 && this.removed === 0) return this.sorted;
    const live = (k: KvKey): boolean => this.values.has(k);
    const base = this.removed > 0 ? this.sorted.filter(live) : this.sorted;
    const add = (this.removed > 0 ? this.added.filter(live) : this.added).sort(compareKeys);
    const out: KvKey[] = [];
    let i = 0;
    let j = 0;
    // Merge two sorted lists; equal keys (a key deleted and re-added) are kept once.
    while (i < base.length || j < add.length) {
      let k: KvKey;
      if (j >= add.length) k = base[i++]!;
      else if (i >= base.length) k = add[j++]!;
      else {
        const c = compareKeys(base[i]!, add[j]!);
        k = c <= 0 ? base[i++]! : add[j++]!;
        if (c === 0) j++;
      }
      if (out.length === 0 || compareKeys(out[out.length - 1]!, k) !== 0) out.push(k);
    }
    this.sorted = out;
    this.added = [];
    this.removed = 0;
    return out;
  }

  /** Keys within [lower, upper] (either bound optional), ascending. */
  keys(lower?: KvKey, upper?: KvKey): KvKey[] {
    const order = this.order();
    const from = lower === undefined ? 0 : lowerBound(order, lower);
    let to = order.length;
    if (upper !== undefined) {
      to = lowerBound(order, upper);
      if (to < order.length && compareKeys(order[to]!, upper) === 0) to++;
    }
    return from < to ? order.slice(from, to) : [];
  }

  /** A copy sharing the (immutable, owned) values. */
  clone(): KvTable {
    const t = new KvTable();
    const order = this.order();
    for (const k of order) t.values.set(k, this.values.get(k)!);
    t.sorted = order.slice();
    return t;
  }

  /** key -> copy of value, in key order. */
  toMap(): Map<KvKey, Value> {
    const out = new Map<KvKey, Value>();
    for (const k of this.order()) out.set(k, copyValue(this.values.get(k)!));
    return out;
  }

  /** Every record in key order (values are the stored ones: do not mutate). */
  *entries(): IterableIterator<[KvKey, Value]> {
    for (const k of this.order()) yield [k, this.values.get(k)!];
  }
}

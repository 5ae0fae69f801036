/**
 * Keys and one sorted object store of the runtime's kv store.
 *
 * Key order is IndexedDB's for the key types the Env allows: every number before every string; numbers by
 * value (-0 is 0; NaN is not a key); strings by UTF-16 code units (JavaScript's `<`).
 */
import type { KvKey, Value } from '../../impl/env.ts';

/** Compares two keys in IndexedDB order: negative, zero or positive. */
export function compareKeys(a: KvKey, b: KvKey): number {
  if (typeof a === 'number') {
    if (typeof b !== 'number') return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Returns `key` (with -0 made 0); throws a TypeError naming `field` unless it is a valid key. */
export function checkKey(key: unknown, field: string): KvKey {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && !Number.isNaN(key)) return key === 0 ? 0 : key;
  throw new TypeError(`${field} must be a string or a number other than NaN, got ${typeof key === 'number' ? 'NaN' : typeof key}`);
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

/** One object store: a map plus its keys kept sorted. Stored values are owned by the table (never handed out). */
export class KvTable {
  private readonly values = new Map<KvKey, Value>();
  private readonly order: KvKey[] = [];

  /** Number of records. */
  get size(): number {
    return this.values.size;
  }

  /** The stored value (not a copy), or undefined. */
  get(key: KvKey): Value | undefined {
    return this.values.get(key);
  }

  /** Stores `value`, taking ownership of it. */
  set(key: KvKey, value: Value): void {
    if (!this.values.has(key)) this.order.splice(lowerBound(this.order, key), 0, key);
    this.values.set(key, value);
  }

  /** Removes `key` if present. */
  delete(key: KvKey): void {
    if (!this.values.delete(key)) return;
    this.order.splice(lowerBound(this.order, key), 1);
  }

  /** Keys within [lower, upper] (either bound optional), ascending. */
  keys(lower?: KvKey, upper?: KvKey): KvKey[] {
    const from = lower === undefined ? 0 : lowerBound(this.order, lower);
    let to = this.order.length;
    if (upper !== undefined) {
      to = lowerBound(this.order, upper);
      if (to < this.order.length && compareKeys(this.order[to]!, upper) === 0) to++;
    }
    return from < to ? this.order.slice(from, to) : [];
  }

  /** Every record in key order. */
  *entries(): IterableIterator<[KvKey, Value]> {
    for (const k of this.order) yield [k, this.values.get(k)!];
  }
}

/**
 * Keys, values and one sorted object store of the kv store.
 *
 * Key order is IndexedDB's for the key types we support: every number before every string; numbers by
 * value (-0 equals 0; NaN is not a key); strings by UTF-16 code units (JavaScript's `<`).
 * Values are JSON values plus Uint8Array; they are copied on the way in and on the way out.
 */
import type { KvKey, Value } from '../../impl/env.ts';

import { copyValue as copyAny } from '../value.ts';

export { VALUE_DEPTH_MAX } from '../value.ts';

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
  for (const [k, v] of Object.entries(value)) n += k.length + valueSize(v);
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

/** One object store: a map plus its keys kept sorted. Stored values are owned by the table. */
export class KvTable {
  private readonly values = new Map<KvKey, Value>();
  private order: KvKey[] = [];

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
    if (before === undefined) this.order.splice(lowerBound(this.order, key), 0, key);
    this.values.set(key, value);
    return before;
  }

  /** Removes `key` and returns the previous value. */
  delete(key: KvKey): Value | undefined {
    const before = this.values.get(key);
    if (before === undefined) return undefined;
    this.values.delete(key);
    this.order.splice(lowerBound(this.order, key), 1);
    return before;
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

  /** A copy sharing the (immutable, owned) values. */
  clone(): KvTable {
    const t = new KvTable();
    for (const k of this.order) t.values.set(k, this.values.get(k)!);
    t.order = this.order.slice();
    return t;
  }

  /** key -> copy of value, in key order. */
  toMap(): Map<KvKey, Value> {
    const out = new Map<KvKey, Value>();
    for (const k of this.order) out.set(k, copyValue(this.values.get(k)!));
    return out;
  }

  /** Every record in key order (values are the stored ones: do not mutate). */
  *entries(): IterableIterator<[KvKey, Value]> {
    for (const k of this.order) yield [k, this.values.get(k)!];
  }
}

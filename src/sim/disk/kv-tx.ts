/**
 * One kv transaction's bookkeeping: its scope, status, buffered writes and callbacks. The scheduling and
 * commit logic live in kv.ts; this file holds what a transaction is and what it may conflict with.
 */
import type { KvDurability, KvKey, KvTx, Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import { compareKeys, type KvTable } from './kv-table.ts';

/** Marks a buffered delete. */
export const DELETED: unique symbol = Symbol('deleted');

/** A buffered write: the new value or DELETED. */
export type BufferedWrite = Value | typeof DELETED;

/** Life of a transaction: waiting for its scope, running fn, committing, done (committed or aborted). */
export type TxStatus = 'waiting' | 'running' | 'committing' | 'done';

/** An unfinished transaction. */
export class KvTransaction {
  status: TxStatus = 'waiting';
  /** fn resolved: commit once no operation is in flight. */
  fnDone = false;
  result: unknown = undefined;
  /** Operations requested and not yet completed. */
  inflight = 0;
  /** store -> key -> buffered write, applied at commit. */
  readonly writes = new Map<string, Map<KvKey, BufferedWrite>>();
  /** The caller's function, until it is invoked. */
  fn: ((tx: KvTx) => Promise<unknown>) | null;

  constructor(
    readonly id: number,
    readonly node: SimNode,
    readonly inc: number,
    readonly stores: ReadonlySet<string>,
    readonly mode: 'readonly' | 'readwrite',
    readonly durability: KvDurability,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: Error) => void,
    fn: (tx: KvTx) => Promise<unknown>,
  ) {
    this.fn = fn;
  }

  /** True if both touch a store and at least one writes (so they must not run at the same time). */
  conflictsWith(other: KvTransaction): boolean {
    if (this.mode === 'readonly' && other.mode === 'readonly') return false;
    for (const s of this.stores) if (other.stores.has(s)) return true;
    return false;
  }

  /** The write buffer of `store`. */
  buffer(store: string): Map<KvKey, BufferedWrite> {
    let b = this.writes.get(store);
    if (b === undefined) {
      b = new Map();
      this.writes.set(store, b);
    }
    return b;
  }

  /** The value this transaction sees under `key` (its own writes first), not copied. */
  read(table: KvTable | undefined, store: string, key: KvKey): Value | undefined {
    const w = this.writes.get(store)?.get(key);
    if (w === DELETED) return undefined;
    if (w !== undefined) return w;
    return table?.get(key);
  }

  /** Keys this transaction sees in `store` within [lower, upper], ascending. */
  keys(table: KvTable | undefined, store: string, lower?: KvKey, upper?: KvKey): KvKey[] {
    const committed = table?.keys(lower, upper) ?? [];
    const buf = this.writes.get(store);
    if (buf === undefined || buf.size === 0) return committed;
    const set = new Set<KvKey>(committed);
    for (const [k, w] of buf) {
      if (lower !== undefined && compareKeys(k, lower) < 0) continue;
      if (upper !== undefined && compareKeys(k, upper) > 0) continue;
      if (w === DELETED) set.delete(k);
      else set.add(k);
    }
    return [...set].sort(compareKeys);
  }
}

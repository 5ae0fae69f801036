/**
 * One kv transaction's bookkeeping: its scope, status, buffered writes and callbacks, and the rules shared
 * by every kv store of the Env contract. The scheduling and commit logic live in src/sim/disk/kv.ts
 * (simulated) and src/runtime/node/kv.ts (real): both build on this file, beside the Env seam, so neither
 * imports the other.
 */
import { EnvError, type KvDurability, type KvKey, type KvTx, type Value } from '../env.ts';
import { compareKeys, type KvTable } from './kv-table.ts';

/** Marks a buffered delete. */
export const DELETED: unique symbol = Symbol('deleted');

/** A buffered write: the new value or DELETED. */
export type BufferedWrite = Value | typeof DELETED;

/** Life of a transaction: waiting for its scope, running fn, committing, done (committed or aborted). */
export type TxStatus = 'waiting' | 'running' | 'committing' | 'done';

/**
 * What every kv store implementing the Env contract keeps of an unfinished transaction, and the rules
 * that do not depend on where the store lives: which transactions may run together, read-your-writes,
 * the keys a transaction sees, and which operations it may take. The simulated store (kv.ts) and the
 * real-runtime store (src/runtime/node/kv.ts) both build on it, so they cannot drift apart.
 */
export class KvTxCore {
  status: TxStatus = 'waiting';
  /** store -> key -> buffered write, applied at commit. */
  readonly writes = new Map<string, Map<KvKey, BufferedWrite>>();
  /** The caller's function, until it is invoked. */
  fn: ((tx: KvTx) => Promise<unknown>) | null;

  constructor(
    readonly id: number,
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
  conflictsWith(other: KvTxCore): boolean {
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

  /**
   * Why this transaction cannot take an operation on `store` now, or null. `fnDone`: the caller's
   * function has settled, so the transaction is committing even if the store has not started yet.
   */
  opProblem(store: string, write: boolean, fnDone = false): EnvError | null {
    if (this.status === 'done') return new EnvError('EABORT', `kv transaction ${this.id} is finished`);
    if (this.status !== 'running' || fnDone) return new EnvError('ESTATE', `kv transaction ${this.id} is committing`);
    if (!this.stores.has(store)) return new EnvError('ESTATE', `store '${String(store)}' is not in kv transaction ${this.id}'s scope`);
    if (write && this.mode === 'readonly') return new EnvError('ESTATE', `write in readonly kv transaction ${this.id}`);
    return null;
  }
}

/**
 * Checks the arguments of `KvStore.transaction`; returns the scope as a set. Throws a TypeError naming
 * the bad argument.
 */
export function checkTransactionArgs(stores: readonly string[], mode: unknown, fn: unknown, durability: unknown): Set<string> {
  if (!Array.isArray(stores) || stores.length === 0) throw new TypeError('stores must be a non-empty array of store names');
  for (const s of stores) {
    if (typeof s !== 'string' || s === '') throw new TypeError(`stores must hold non-empty strings, got ${JSON.stringify(s)}`);
  }
  if (mode !== 'readonly' && mode !== 'readwrite') throw new TypeError(`mode must be 'readonly' or 'readwrite', got '${String(mode)}'`);
  if (typeof fn !== 'function') throw new TypeError('fn must be a function');
  if (durability !== 'strict' && durability !== 'relaxed') {
    throw new TypeError(`options.durability must be 'strict' or 'relaxed', got '${String(durability)}'`);
  }
  return new Set(stores);
}

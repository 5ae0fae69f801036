/**
 * The real runtime's KvStore: an IndexedDB-like transactional store kept in memory and persisted by
 * kv-log.ts. One store per data directory, shared by every env of this process opened on it.
 *
 * - Object stores are created on first use; keys sort numbers before strings; values are copied on put
 *   and on get.
 * - Transactions start in request order; two whose scopes overlap and of which one is readwrite never run
 *   at the same time (a later one also waits behind an earlier waiting one).
 * - Writes are buffered; `fn` resolving commits them all at once (a readwrite transaction is one log
 *   line); `fn` throwing (rethrown) or `tx.abort()` (EABORT) applies nothing. A log write error aborts the
 *   commit with EIO/ENOSPC and applies nothing.
 * - 'strict' commits are fsynced before they resolve; 'relaxed' ones are not.
 * - Closing an env drops its unfinished transactions without settling them (as a crash would).
 */
import { resolve as resolvePath } from 'node:path';
import { EnvError, type KvDurability, type KvStore, type KvTx } from '../../impl/env.ts';
import { copyValue } from './codec.ts';
import { toEnvError } from './errors.ts';
import { NEVER, type Life } from './life.ts';
import { KvLog, type KvWrite } from './kv-log.ts';
import { checkKey, KvTable } from '../../impl/seam/kv-table.ts';
import { checkTransactionArgs, DELETED, KvTxCore } from '../../impl/seam/kv-tx.ts';

/** Unfinished transactions a store accepts before `transaction` fails with ESTATE. */
export const KV_QUEUE_MAX = 10_000;

/** One unfinished transaction: the shared core plus the env that owns it. */
class Tx extends KvTxCore {
  constructor(
    id: number,
    readonly owner: Life,
    readonly committed: CommitObserver | null,
    stores: ReadonlySet<string>,
    mode: 'readonly' | 'readwrite',
    durability: KvDurability,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
    fn: (tx: KvTx) => Promise<unknown>,
  ) {
    super(id, stores, mode, durability, resolve, reject, fn);
  }
}

const noop = (): void => {};

/** Told of every commit that wrote something, once its log line is written (and fsynced when strict), before it resolves. */
export type CommitObserver = (stores: readonly string[], strict: boolean) => void;

/** The kv store of one data directory. */
export class RuntimeKv {
  private readonly tables = new Map<string, KvTable>();
  private readonly queue: Tx[] = [];
  private nextTx = 1;
  private log: KvLog | null = null;

  private constructor() {}

  /** Opens the store of `dataDir` (replaying its log). */
  static async open(dataDir: string, compactLinesMax: number): Promise<RuntimeKv> {
    const kv = new RuntimeKv();
    kv.log = await KvLog.open(
      resolvePath(dataDir, '.kv'),
      compactLinesMax,
      (w) => kv.applyWrite(w),
      () => kv.records(),
    );
    return kv;
  }

  /** A committed value as the store holds it (not a copy: do not modify), for the run trace's evidence. */
  peek(store: string, key: string): unknown {
    return this.tables.get(store)?.get(key);
  }

  /**
   * The KvStore an env sees; `life` ends its transactions when the env closes; `committed` is told of its
   * commits (the run trace's evidence).
   */
  facet(life: Life, defaultDurability: KvDurability, committed: CommitObserver | null = null): KvStore {
    life.onClose(() => this.dropOwner(life));
    return {
      transaction: <T>(
        stores: readonly string[],
        mode: 'readonly' | 'readwrite',
        fn: (tx: KvTx) => Promise<T>,
        options?: { durability?: KvDurability },
      ): Promise<T> => {
        if (!life.live) return NEVER;
        return life.run(() => this.begin(life, committed, stores, mode, fn, options?.durability ?? defaultDurability) as Promise<T>);
      },
    };
  }

  /** Waits for pending log writes and closes the log. */
  async close(): Promise<void> {
    const log = this.log;
    this.log = null;
    await log?.close();
  }

  // ---------------------------------------------------------------- transactions

  private begin(
    owner: Life,
    committed: CommitObserver | null,
    stores: readonly string[],
    mode: 'readonly' | 'readwrite',
    fn: (tx: KvTx) => Promise<unknown>,
    durability: KvDurability,
  ): Promise<unknown> {
    const scope = checkTransactionArgs(stores, mode, fn, durability);
    if (this.log === null) throw new EnvError('ESTATE', 'the kv store is closed');
    if (this.queue.length >= KV_QUEUE_MAX) throw new EnvError('ESTATE', `more than ${KV_QUEUE_MAX} unfinished kv transactions`);
    return new Promise<unknown>((resolve, reject) => {
      const tx = new Tx(this.nextTx++, owner, committed, scope, mode, durability, resolve, reject, fn);
      this.queue.push(tx);
      this.pump();
    });
  }

  /** Starts every waiting transaction that no earlier unfinished one conflicts with. */
  private pump(): void {
    for (let i = 0; i < this.queue.length; i++) {
      const tx = this.queue[i]!;
      if (tx.status !== 'waiting') continue;
      let blocked = false;
      for (let j = 0; j < i && !blocked; j++) blocked = tx.conflictsWith(this.queue[j]!);
      if (!blocked) {
        tx.status = 'running';
        queueMicrotask(() => this.invoke(tx));
      }
    }
  }

  private invoke(tx: Tx): void {
    const fn = tx.fn;
    tx.fn = null;
    if (tx.status !== 'running' || fn === null) return;
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(fn(this.handle(tx)));
    } catch (e) {
      this.abort(tx, e);
      return;
    }
    p.then(
      (v) => {
        if (tx.status === 'running') this.commit(tx, v);
      },
      (e: unknown) => {
        if (tx.status === 'running') this.abort(tx, e);
      },
    );
  }

  /** The KvTx handed to fn: every operation takes effect at once, in call order. */
  private handle(tx: Tx): KvTx {
    return {
      get: (store, key) =>
        this.request(tx, store, false, () => {
          const v = tx.read(this.tables.get(store), store, checkKey(key, 'key'));
          return v === undefined ? undefined : copyValue(v);
        }),
      put: (store, key, value) =>
        this.request(tx, store, true, () => void tx.buffer(store).set(checkKey(key, 'key'), copyValue(value))),
      delete: (store, key) => this.request(tx, store, true, () => void tx.buffer(store).set(checkKey(key, 'key'), DELETED)),
      keys: (store, range) =>
        this.request(tx, store, false, () => {
          const lower = range?.lower === undefined ? undefined : checkKey(range.lower, 'range.lower');
          const upper = range?.upper === undefined ? undefined : checkKey(range.upper, 'range.upper');
          return tx.keys(this.tables.get(store), store, lower, upper);
        }),
      abort: () => {
        if (tx.status === 'done' || !tx.owner.live) return;
        if (tx.status === 'committing') throw new EnvError('ESTATE', `kv transaction ${tx.id} is already committing`);
        this.abort(tx, new EnvError('EABORT', `kv transaction ${tx.id} aborted by tx.abort()`));
      },
    };
  }

  /**
   * One operation of `tx`. Its promise is marked handled, like an IndexedDB request: a fire-and-forget put
   * whose transaction aborts is not an unhandled rejection.
   */
  private request<T>(tx: Tx, store: string, write: boolean, effect: () => T): Promise<T> {
    if (!tx.owner.live) return NEVER;
    let p: Promise<T>;
    try {
      const problem = tx.opProblem(store, write);
      if (problem !== null) throw problem;
      p = Promise.resolve(effect());
    } catch (e) {
      p = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const out = tx.owner.settle(p);
    out.catch(noop);
    return out;
  }

  // ---------------------------------------------------------------- commit and abort

  private commit(tx: Tx, result: unknown): void {
    const writes = flatten(tx);
    if (tx.mode === 'readonly' || writes.length === 0) return this.finish(tx, result);
    tx.status = 'committing';
    const log = this.log;
    if (log === null) return this.abort(tx, new EnvError('ESTATE', 'the kv store is closed'));
    const strict = tx.durability === 'strict';
    log.commit(writes, strict, () => writes.forEach((w) => this.applyWrite(w))).then(
      () => {
        tx.committed?.([...new Set(writes.map((w) => w.store))], strict);
        this.finish(tx, result);
      },
      (e: unknown) => this.abort(tx, toEnvError(e, `commit of kv transaction ${tx.id}`)),
    );
  }

  private finish(tx: Tx, result: unknown): void {
    this.remove(tx);
    tx.resolve(result);
    this.pump();
  }

  private abort(tx: Tx, error: unknown): void {
    this.remove(tx);
    tx.reject(error instanceof Error ? error : new Error(String(error)));
    this.pump();
  }

  private remove(tx: Tx): void {
    tx.status = 'done';
    tx.fn = null;
    const i = this.queue.indexOf(tx);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** An env closed: its transactions that are not committing end without applying anything or settling. */
  private dropOwner(owner: Life): void {
    for (const tx of this.queue.filter((t) => t.owner === owner && t.status !== 'committing')) this.remove(tx);
    this.pump();
  }

  // ---------------------------------------------------------------- state

  private applyWrite(w: KvWrite): void {
    let table = this.tables.get(w.store);
    if (table === undefined) {
      table = new KvTable();
      this.tables.set(w.store, table);
    }
    if (w.value === undefined) table.delete(w.key);
    else table.set(w.key, w.value);
  }

  /** Every live record, for a log snapshot. */
  private *records(): IterableIterator<KvWrite> {
    for (const [store, table] of this.tables) for (const [key, value] of table.entries()) yield { store, key, value };
  }
}

/** The transaction's buffered writes as a list (deletes with value undefined). */
function flatten(tx: Tx): KvWrite[] {
  const out: KvWrite[] = [];
  for (const [store, writes] of tx.writes) {
    for (const [key, w] of writes) out.push({ store, key, value: w === DELETED ? undefined : w });
  }
  return out;
}

/** Open stores by resolved data directory, with the number of envs using each. */
const openStores = new Map<string, { kv: Promise<RuntimeKv>; refs: number }>();

/**
 * The kv store of `dataDir`, shared by every env of this process on that directory (opened by the first,
 * closed when the last calls the returned `release`).
 */
export async function acquireKv(dataDir: string, compactLinesMax: number): Promise<{ kv: RuntimeKv; release: () => Promise<void> }> {
  const key = resolvePath(dataDir);
  let entry = openStores.get(key);
  if (entry === undefined) {
    entry = { kv: RuntimeKv.open(key, compactLinesMax), refs: 0 };
    openStores.set(key, entry);
  }
  entry.refs++;
  const held = entry;
  let kv: RuntimeKv;
  try {
    kv = await held.kv;
  } catch (e) {
    if (--held.refs === 0 && openStores.get(key) === held) openStores.delete(key);
    throw e;
  }
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    if (--held.refs > 0) return;
    if (openStores.get(key) === held) openStores.delete(key);
    await kv.close();
  };
  return { kv, release };
}

/**
 * `indexedDB` for browser code running in a simulated tab (world.ts installs it inside a run): databases
 * over the tab's device kv store (`env.kv`), so they are shared by the device's tabs, survive restarts and
 * lose exactly what the kv store loses on a power loss. Enough of IndexedDB for idb-keyval-style code:
 *
 * - `indexedDB.open(name, version?)`: an IDBOpenDBRequest; `upgradeneeded` (with `createObjectStore(name,
 *   {keyPath?, autoIncrement?})` and `deleteObjectStore`) when the version grows, then `success` with the
 *   database; `indexedDB.deleteDatabase(name)`. Versions and stores are kept in the kv store.
 * - `db.transaction(stores, mode?, {durability?})`, `objectStoreNames`, `close()`; a transaction's
 *   `objectStore(name)`, `abort()`, `oncomplete` / `onerror` / `onabort` (and addEventListener), `error`.
 * - Object stores: `get`, `put`, `add`, `delete`, `clear`, `getAll`, `getAllKeys`, `count`, `openCursor`
 *   (forward, `continue()`), with out-of-line keys, a `keyPath` (one property) or `autoIncrement`.
 *   Requests have `result`, `error`, `readyState`, `transaction`, `source` and `onsuccess` / `onerror`.
 *
 * Semantics: a transaction is one kv transaction over its stores (scopes lock as IndexedDB's do: writers to
 * an overlapping scope run one at a time). Requests run in order; each fires its `success` event (as the tab's
 * code), and the transaction stays active while its callbacks, and the promise continuations they cause,
 * place more requests; once a whole event passes with none pending it commits, and `complete` fires after
 * the commit resolved (with 'strict' durability: after it is durable). A failed request (an injected kv
 * error, a key that exists for `add`) fires `error` on the request, then aborts the transaction (`abort`
 * event, `error` set), as IndexedDB does when `error` is not prevented. A request placed once the
 * transaction finished throws `TransactionInactiveError`.
 *
 * Keys are numbers or strings (numbers first, as IndexedDB orders them); values are the kv store's values
 * (JSON-like, Uint8Array): others fail with `DataCloneError`. Not simulated: indexes, key ranges, reverse
 * cursors, `versionchange` / `blocked` between tabs holding one database open, array / date / binary keys.
 */
import type { Clock, KvKey, KvStore, KvTx, Value } from '../impl/env.ts';

type Listener = (this: unknown, event: IdbEvent) => void;

/** The events the facade fires (`type`, `target`, and `preventDefault` for error events). */
export interface IdbEvent {
  type: string;
  target: unknown;
  oldVersion?: number;
  newVersion?: number;
  defaultPrevented: boolean;
  preventDefault(): void;
}

/** on<type> properties and addEventListener, fired with `this` set to the target. */
class Target {
  private readonly listeners = new Map<string, Listener[]>();

  addEventListener(type: string, listener: Listener): void {
    const list = this.listeners.get(type) ?? [];
    if (!list.includes(listener)) list.push(listener);
    this.listeners.set(type, list);
  }

  removeEventListener(type: string, listener: Listener): void {
    const list = this.listeners.get(type);
    const at = list?.indexOf(listener) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }

  /** Fires `type` at this target; returns the event (to see whether it was prevented). */
  fire(type: string, extra: Partial<IdbEvent> = {}): IdbEvent {
    const event: IdbEvent = {
      type,
      target: this,
      defaultPrevented: false,
      preventDefault() {
        event.defaultPrevented = true;
      },
      ...extra,
    };
    const own = (this as unknown as Record<string, unknown>)[`on${type}`];
    for (const l of [...(this.listeners.get(type) ?? [])]) l.call(this, event);
    if (typeof own === 'function') (own as Listener).call(this, event);
    return event;
  }
}

const domError = (name: string, message: string): Error => new DOMException(message, name);

/** A request: its result or error arrives with its success or error event. */
class SimIDBRequest extends Target {
  result: unknown = undefined;
  error: Error | null = null;
  readyState: 'pending' | 'done' = 'pending';
  onsuccess: Listener | null = null;
  onerror: Listener | null = null;

  constructor(
    readonly source: unknown,
    readonly transaction: SimIDBTransaction | null,
  ) {
    super();
  }
}

class SimIDBOpenDBRequest extends SimIDBRequest {
  onupgradeneeded: Listener | null = null;
  onblocked: Listener | null = null;
}

/** One store's schema. */
interface StoreSchema {
  keyPath: string | null;
  autoIncrement: boolean;
}

/** A database's schema as kept in the kv store. */
interface Schema {
  version: number;
  stores: Record<string, StoreSchema>;
}

/** The kv store names of database `db`: its schema and generators, and each object store's records. */
const metaStore = (db: string): string => `idb:${db}`;
const dataStore = (db: string, store: string): string => `idb:${db}/${store}`;

/** The `objectStoreNames` of a database or transaction: a sorted list with `contains`. */
function nameList(names: Iterable<string>): string[] & { contains(n: string): boolean; item(i: number): string | null } {
  const list = [...names].sort() as string[] & { contains(n: string): boolean; item(i: number): string | null };
  list.contains = (n) => list.includes(n);
  list.item = (i) => list[i] ?? null;
  return list;
}

/** A key IndexedDB would accept and the kv store can hold, or a DataError. */
function checkKey(key: unknown): KvKey {
  if ((typeof key === 'number' && !Number.isNaN(key)) || typeof key === 'string') return key;
  throw domError('DataError', `the key ${String(key)} is not a valid key (this simulation keeps number and string keys)`);
}

interface Pending {
  request: SimIDBRequest;
  run(tx: KvTx): Promise<unknown>;
  /** Cursor requests fire again on continue(). */
  cursor?: boolean;
}

/** A transaction over a database's stores: one kv transaction, requests run in order. */
class SimIDBTransaction extends Target {
  error: Error | null = null;
  oncomplete: Listener | null = null;
  onerror: Listener | null = null;
  onabort: Listener | null = null;
  readonly objectStoreNames: string[];
  private readonly queue: Pending[] = [];
  private state: 'active' | 'finished' = 'active';
  private aborted = false;
  private kvTx: KvTx | null = null;

  constructor(
    readonly db: SimIDBDatabase,
    stores: readonly string[],
    readonly mode: 'readonly' | 'readwrite' | 'versionchange',
    durability: 'strict' | 'relaxed' | undefined,
    /** Runs when the kv transaction is open and before its first request (the upgrade's schema work). */
    private readonly begin?: (tx: KvTx, self: SimIDBTransaction) => Promise<void>,
  ) {
    super();
    this.objectStoreNames = nameList(stores);
    const kvStores = [metaStore(db.name), ...stores.map((s) => dataStore(db.name, s))];
    db.kv
      .transaction(kvStores, mode === 'readonly' ? 'readonly' : 'readwrite', (tx) => this.body(tx), durability === undefined ? undefined : { durability })
      .then(
        () => {
          this.state = 'finished';
          this.fire('complete');
        },
        (e: unknown) => {
          this.state = 'finished';
          // Aborted by a failed request or a throwing callback: that error; by abort(): none; else the kv's.
          if (!this.aborted) this.error = e instanceof Error ? e : domError('AbortError', String(e));
          this.fire('abort');
        },
      );
  }

  objectStore(name: string): SimIDBObjectStore {
    if (this.state === 'finished') throw domError('InvalidStateError', 'the transaction has finished');
    if (!this.objectStoreNames.includes(name)) throw domError('NotFoundError', `object store '${name}' is not in this transaction's scope`);
    const schema = this.db.schema.stores[name];
    if (schema === undefined) throw domError('NotFoundError', `no object store '${name}'`);
    return new SimIDBObjectStore(this, name, schema);
  }

  /** Aborts the transaction (its `error` stays null, as IndexedDB's `abort()` leaves it). */
  abort(): void {
    if (this.state === 'finished') throw domError('InvalidStateError', 'the transaction has finished');
    this.abortWith(null);
  }

  private abortWith(error: Error | null): void {
    this.aborted = true;
    this.error = error;
    this.kvTx?.abort();
  }

  /** Queues a request (a TransactionInactiveError once the transaction has finished). */
  request(source: unknown, run: (tx: KvTx) => Promise<unknown>, cursor = false): SimIDBRequest {
    if (this.state === 'finished' || this.aborted) throw domError('TransactionInactiveError', 'the transaction is not active');
    const request = new SimIDBRequest(source, this);
    this.queue.push({ request, run, cursor });
    return request;
  }

  /** Re-queues a cursor's request (cursor.continue()). */
  requeue(p: Pending): void {
    if (this.state === 'finished' || this.aborted) throw domError('TransactionInactiveError', 'the transaction is not active');
    p.request.readyState = 'pending';
    this.queue.push(p);
  }

  private async body(tx: KvTx): Promise<void> {
    this.kvTx = tx;
    if (this.begin !== undefined) await this.begin(tx, this);
    for (;;) {
      while (this.queue.length > 0 && !this.aborted) await this.runOne(tx, this.queue.shift()!);
      if (this.aborted) return tx.abort();
      // Active while the callbacks' promise continuations may still place requests: one event later.
      await this.db.clock.sleep(0);
      if (this.queue.length === 0 || this.aborted) break;
    }
    this.state = 'finished';
    if (this.aborted) tx.abort();
  }

  private async runOne(tx: KvTx, p: Pending): Promise<void> {
    let result: unknown;
    try {
      result = await p.run(tx);
    } catch (e) {
      const error = e instanceof Error && e.name !== 'EnvError' ? e : domError('UnknownError', String(e instanceof Error ? e.message : e));
      p.request.readyState = 'done';
      p.request.error = error;
      const event = p.request.fire('error');
      this.fire('error');
      if (!event.defaultPrevented) this.abortWith(error);
      return;
    }
    p.request.readyState = 'done';
    p.request.result = p.cursor === true ? (result === null ? null : new SimIDBCursor(this, p, result as [KvKey, Value])) : result;
    try {
      p.request.fire('success');
    } catch (e) {
      // An exception in a success handler aborts the transaction (IndexedDB reports it and aborts).
      this.abortWith(e instanceof Error ? e : domError('AbortError', String(e)));
    }
  }
}

/** A forward cursor over a store's records. */
class SimIDBCursor {
  readonly key: KvKey;
  readonly primaryKey: KvKey;
  readonly value: Value;

  constructor(
    private readonly tx: SimIDBTransaction,
    private readonly pending: Pending,
    [key, value]: [KvKey, Value],
  ) {
    this.key = key;
    this.primaryKey = key;
    this.value = value;
  }

  continue(): void {
    this.tx.requeue(this.pending);
  }
}

/** An object store inside a transaction. */
class SimIDBObjectStore {
  readonly keyPath: string | null;
  readonly autoIncrement: boolean;

  constructor(
    readonly transaction: SimIDBTransaction,
    readonly name: string,
    schema: StoreSchema,
  ) {
    this.keyPath = schema.keyPath;
    this.autoIncrement = schema.autoIncrement;
  }

  private get data(): string {
    return dataStore(this.transaction.db.name, this.name);
  }

  get(key: unknown): SimIDBRequest {
    const k = checkKey(key);
    return this.transaction.request(this, (tx) => tx.get(this.data, k));
  }

  getAll(): SimIDBRequest {
    return this.transaction.request(this, async (tx) => {
      const out: Value[] = [];
      for (const k of await tx.keys(this.data)) out.push((await tx.get(this.data, k))!);
      return out;
    });
  }

  getAllKeys(): SimIDBRequest {
    return this.transaction.request(this, (tx) => tx.keys(this.data));
  }

  count(): SimIDBRequest {
    return this.transaction.request(this, async (tx) => (await tx.keys(this.data)).length);
  }

  put(value: unknown, key?: unknown): SimIDBRequest {
    return this.write(value, key, false);
  }

  add(value: unknown, key?: unknown): SimIDBRequest {
    return this.write(value, key, true);
  }

  delete(key: unknown): SimIDBRequest {
    this.writable();
    const k = checkKey(key);
    return this.transaction.request(this, async (tx) => {
      await tx.delete(this.data, k);
      return undefined;
    });
  }

  clear(): SimIDBRequest {
    this.writable();
    return this.transaction.request(this, async (tx) => {
      for (const k of await tx.keys(this.data)) await tx.delete(this.data, k);
      return undefined;
    });
  }

  openCursor(range?: unknown, direction?: string): SimIDBRequest {
    if ((range !== undefined && range !== null) || (direction !== undefined && direction !== 'next')) {
      throw domError('NotSupportedError', 'openCursor: key ranges and directions other than next are not simulated');
    }
    let last: KvKey | undefined;
    return this.transaction.request(
      this,
      async (tx) => {
        const keys = await tx.keys(this.data, last === undefined ? undefined : { lower: last });
        const next = keys.find((k) => k !== last);
        if (next === undefined) return null;
        last = next;
        return [next, (await tx.get(this.data, next))!];
      },
      true,
    );
  }

  private writable(): void {
    if (this.transaction.mode === 'readonly') throw domError('ReadOnlyError', `object store '${this.name}' is in a readonly transaction`);
  }

  /** put / add: the key from the argument, the key path or the generator. */
  private write(value: unknown, key: unknown, add: boolean): SimIDBRequest {
    this.writable();
    if (key !== undefined && this.keyPath !== null) throw domError('DataError', `object store '${this.name}' has a keyPath: no key argument`);
    const inline = this.keyPath !== null && typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[this.keyPath] : undefined;
    const given = key ?? inline;
    if (given === undefined && !this.autoIncrement) throw domError('DataError', `object store '${this.name}' needs a key`);
    const fixed = given === undefined ? undefined : checkKey(given);
    const db = this.transaction.db;
    return this.transaction.request(this, async (tx) => {
      let k = fixed;
      const genKey = `gen:${this.name}`;
      if (this.autoIncrement) {
        const gen = ((await tx.get(metaStore(db.name), genKey)) as number | undefined) ?? 0;
        if (k === undefined) k = gen + 1;
        if (typeof k === 'number' && k > gen) await tx.put(metaStore(db.name), genKey, Math.floor(k));
      }
      let stored = value;
      if (this.keyPath !== null && inline === undefined && typeof value === 'object' && value !== null) stored = { ...(value as object), [this.keyPath]: k };
      if (add && (await tx.get(this.data, k!)) !== undefined) throw domError('ConstraintError', `key ${String(k)} already exists in '${this.name}'`);
      try {
        await tx.put(this.data, k!, stored as Value);
      } catch (e) {
        throw e instanceof TypeError ? domError('DataCloneError', e.message) : e;
      }
      return k;
    });
  }
}

/** An open database. */
class SimIDBDatabase extends Target {
  onclose: Listener | null = null;
  onversionchange: Listener | null = null;
  private closed = false;

  constructor(
    readonly name: string,
    public schema: Schema,
    readonly kv: KvStore,
    readonly clock: Clock,
  ) {
    super();
  }

  get version(): number {
    return this.schema.version;
  }

  get objectStoreNames(): string[] {
    return nameList(Object.keys(this.schema.stores));
  }

  transaction(stores: string | readonly string[], mode: 'readonly' | 'readwrite' = 'readonly', options?: { durability?: string }): SimIDBTransaction {
    if (this.closed) throw domError('InvalidStateError', `database '${this.name}' is closed`);
    const names = typeof stores === 'string' ? [stores] : [...stores];
    if (names.length === 0) throw domError('InvalidAccessError', 'a transaction needs at least one object store');
    for (const n of names) if (this.schema.stores[n] === undefined) throw domError('NotFoundError', `no object store '${n}' in database '${this.name}'`);
    const d = options?.durability;
    return new SimIDBTransaction(this, names, mode, d === 'strict' || d === 'relaxed' ? d : undefined);
  }

  /** Inside `upgradeneeded` only. */
  createObjectStore(name: string, options: { keyPath?: string | null; autoIncrement?: boolean } = {}): unknown {
    this.upgrading('createObjectStore');
    if (this.schema.stores[name] !== undefined) throw domError('ConstraintError', `object store '${name}' exists`);
    if (typeof options.keyPath === 'string' && options.keyPath.includes('.')) throw domError('NotSupportedError', 'dotted key paths are not simulated');
    this.schema.stores[name] = { keyPath: options.keyPath ?? null, autoIncrement: options.autoIncrement === true };
    return { name, keyPath: options.keyPath ?? null, autoIncrement: options.autoIncrement === true };
  }

  /** Inside `upgradeneeded` only. */
  deleteObjectStore(name: string): void {
    this.upgrading('deleteObjectStore');
    if (this.schema.stores[name] === undefined) throw domError('NotFoundError', `no object store '${name}'`);
    delete this.schema.stores[name];
    this.dropped.push(name);
  }

  close(): void {
    this.closed = true;
  }

  /** True while `upgradeneeded` runs. */
  upgradeOpen = false;
  /** Stores deleted during the upgrade (their records are removed when it commits). */
  dropped: string[] = [];

  private upgrading(what: string): void {
    if (!this.upgradeOpen) throw domError('InvalidStateError', `${what} is only allowed during upgradeneeded`);
  }
}

/** Reads a database's schema (version 0 and no stores when it does not exist). */
async function readSchema(tx: KvTx, name: string): Promise<Schema> {
  const s = (await tx.get(metaStore(name), 'schema')) as unknown as Schema | undefined;
  return s === undefined ? { version: 0, stores: {} } : { version: s.version, stores: { ...s.stores } };
}

/** The `indexedDB` of a tab: databases in its device's kv store. */
export function simIndexedDB(kv: KvStore, clock: Clock): { open(name: string, version?: number): SimIDBOpenDBRequest; deleteDatabase(name: string): SimIDBOpenDBRequest } {
  return {
    open(name: string, version?: number): SimIDBOpenDBRequest {
      if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw new TypeError(`indexedDB.open: version must be an integer >= 1, got ${String(version)}`);
      const request = new SimIDBOpenDBRequest(null, null);
      const meta = metaStore(String(name));
      void kv
        .transaction([meta], 'readonly', (tx) => readSchema(tx, String(name)))
        .then((schema) => {
          const wanted = version ?? Math.max(schema.version, 1);
          if (wanted < schema.version) {
            request.readyState = 'done';
            request.error = domError('VersionError', `database '${name}' is at version ${schema.version}, above ${wanted}`);
            request.fire('error');
            return;
          }
          const db = new SimIDBDatabase(String(name), schema, kv, clock);
          const succeed = (): void => {
            request.readyState = 'done';
            request.result = db;
            request.fire('success');
          };
          if (wanted === schema.version) return succeed();
          // upgradeneeded runs inside a versionchange transaction that writes the new schema.
          const oldVersion = schema.version;
          const stores = Object.keys(schema.stores);
          const upgrade = new SimIDBTransaction(db, stores, 'versionchange', 'strict', async (tx, self) => {
            db.schema = { version: wanted, stores: { ...schema.stores } };
            db.upgradeOpen = true;
            (request as { transaction: unknown }).transaction = self;
            request.result = db;
            request.readyState = 'done';
            try {
              request.fire('upgradeneeded', { oldVersion, newVersion: wanted });
            } finally {
              db.upgradeOpen = false;
            }
            // Stores created now are not in this kv transaction's scope (it was fixed when it began): the
            // upgrade only changes the schema, and drops the records of deleted stores (in scope: they existed).
            for (const dropped of db.dropped) for (const k of await tx.keys(dataStore(db.name, dropped))) await tx.delete(dataStore(db.name, dropped), k);
            await tx.put(meta, 'schema', db.schema as unknown as Value);
          });
          upgrade.addEventListener('complete', () => {
            (request as { transaction: unknown }).transaction = null;
            succeed();
          });
          upgrade.addEventListener('abort', () => {
            request.error = upgrade.error ?? domError('AbortError', 'the upgrade was aborted');
            request.fire('error');
          });
        })
        .catch((e: unknown) => {
          request.readyState = 'done';
          request.error = e instanceof Error ? e : domError('UnknownError', String(e));
          request.fire('error');
        });
      return request;
    },
    deleteDatabase(name: string): SimIDBOpenDBRequest {
      const request = new SimIDBOpenDBRequest(null, null);
      const meta = metaStore(String(name));
      void kv
        .transaction([meta], 'readonly', (tx) => readSchema(tx, String(name)))
        .then((schema) =>
          kv.transaction([meta, ...Object.keys(schema.stores).map((s) => dataStore(String(name), s))], 'readwrite', async (tx) => {
            for (const s of [meta, ...Object.keys(schema.stores).map((st) => dataStore(String(name), st))]) {
              for (const k of await tx.keys(s)) await tx.delete(s, k);
            }
          }),
        )
        .then(
          () => {
            request.readyState = 'done';
            request.fire('success', { oldVersion: 0 });
          },
          (e: unknown) => {
            request.readyState = 'done';
            request.error = e instanceof Error ? e : domError('UnknownError', String(e));
            request.fire('error');
          },
        );
      return request;
    },
  };
}

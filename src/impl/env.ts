/**
 * The environment a sync node runs in: everything that touches time, randomness, storage, the network,
 * the tab bus and locks comes through these interfaces and nothing else.
 *
 * They are defined here, by the implementation, and implemented by the simulator (`src/sim`) and by a real
 * runtime adapter (`src/runtime`). `src/impl` imports neither: it only knows this file.
 *
 * Conventions for ports:
 * - Times are milliseconds (possibly fractional) at this seam; the simulator keeps microseconds inside.
 * - Every async operation may never settle: a crash ends the process mid-await. Code must be correct
 *   when any await is the last thing it does.
 * - Errors are thrown as `EnvError` with a `code` naming the condition (POSIX-like for disk).
 */

/** A JSON-compatible value (messages, key-value records). Binary data is carried as Uint8Array. */
export type Value =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly Value[]
  | { readonly [key: string]: Value | undefined };

/** Error codes the environment raises. */
export type EnvErrorCode =
  | 'ENOENT' // no such file or directory
  | 'EEXIST' // already exists
  | 'ENOTDIR' // a path component is not a directory
  | 'EISDIR' // is a directory
  | 'ENOTEMPTY' // directory not empty
  | 'EIO' // I/O error (injected)
  | 'ENOSPC' // no space left (injected, or the disk's capacity)
  | 'ECONNREFUSED' // nobody listens at that address, or it is unreachable
  | 'ETIMEDOUT' // connect or operation timed out
  | 'ECLOSED' // the connection or channel is closed
  | 'EABORT' // a transaction was aborted
  | 'ESTATE'; // operation not valid in the current state

/** An error raised by the environment. */
export class EnvError extends Error {
  override name = 'EnvError';
  constructor(
    readonly code: EnvErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Opaque handle of a timer. */
export type TimerId = number;

/** Clocks and timers of one node. */
export interface Clock {
  /** Wall-clock time, ms since the Unix epoch (like Date.now()). May be skewed and may jump back. */
  now(): number;
  /** Monotonic time, ms since the node (re)started (like performance.now()). Never goes back; drifts. */
  monotonic(): number;
  /** Resolves after `ms` of this node's monotonic time. */
  sleep(ms: number): Promise<void>;
  /** Calls `fn` once after `ms` of monotonic time. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Calls `fn` every `ms` of monotonic time until cleared. */
  setInterval(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimer(id: TimerId): void;
}

/** Seeded randomness of one node. */
export interface Random {
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A v4-shaped UUID. */
  uuid(): string;
  /** n random bytes. */
  bytes(n: number): Uint8Array;
}

/** File metadata. */
export interface FileStat {
  kind: 'file' | 'dir';
  size: number;
}

/**
 * A POSIX-like disk, path-based ('/' separated, absolute). Durability follows POSIX: file contents are
 * durable only after `fsync(file)`; creating, renaming and unlinking entries is durable only after
 * `fsyncDir(parent)`. What survives a crash of unsynced work depends on the disk's persistence profile.
 */
export interface Disk {
  /** Whole file contents. ENOENT if missing. */
  readFile(path: string): Promise<Uint8Array>;
  /** `length` bytes at `offset` (fewer at end of file). */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Replaces the file's contents (creating it if missing). */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Writes `data` at `offset` (creating the file if missing, extending it as needed). */
  write(path: string, offset: number, data: Uint8Array): Promise<void>;
  /** Sets the file's length. */
  truncate(path: string, length: number): Promise<void>;
  /** Makes the file's contents durable. */
  fsync(path: string): Promise<void>;
  /** Makes the directory's entries (creates, renames, unlinks inside it) durable. */
  fsyncDir(path: string): Promise<void>;
  /** Creates a directory and missing parents (like mkdir -p). */
  mkdir(path: string): Promise<void>;
  /** Atomically (on most profiles) replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. */
  unlink(path: string): Promise<void>;
  /** Names in a directory, sorted. */
  list(path: string): Promise<string[]>;
  /** Metadata, or null if the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
}

/** A key in the key-value store. */
export type KvKey = string | number;

/** Durability of a key-value transaction (as IndexedDB's `durability` hint). */
export type KvDurability = 'strict' | 'relaxed';

/** Operations inside one key-value transaction. */
export interface KvTx {
  /** The value under `key` in `store`, or undefined. Values are copies. */
  get(store: string, key: KvKey): Promise<Value | undefined>;
  /** Stores a copy of `value` under `key`. Only in readwrite transactions. */
  put(store: string, key: KvKey, value: Value): Promise<void>;
  /** Deletes `key`. Only in readwrite transactions. */
  delete(store: string, key: KvKey): Promise<void>;
  /** Keys in `store`, ascending (numbers before strings), optionally within [lower, upper]. */
  keys(store: string, range?: { lower?: KvKey; upper?: KvKey }): Promise<KvKey[]>;
  /** Aborts the transaction: nothing it wrote is applied; the transaction's promise rejects with EABORT. */
  abort(): void;
}

/**
 * An IndexedDB-like transactional key-value store (one per device, shared by its tabs). A transaction is
 * all-or-nothing. With 'strict' durability a transaction whose promise resolved survives any crash; with
 * 'relaxed' the last committed transactions may vanish on a power loss (never a part of one).
 */
export interface KvStore {
  /** Runs `fn` in a transaction over `stores`; commits when `fn` resolves, aborts if it throws. */
  transaction<T>(
    stores: readonly string[],
    mode: 'readonly' | 'readwrite',
    fn: (tx: KvTx) => Promise<T>,
    options?: { durability?: KvDurability },
  ): Promise<T>;
}

/** A reliable, ordered, message-oriented connection (WebSocket-like). */
export interface Connection {
  /** Unique id of this connection. */
  readonly id: string;
  /** Address of the other end. */
  readonly peer: string;
  /** True until closed or reset. */
  readonly open: boolean;
  /** Sends a message (delivered in order, or not at all if the connection breaks). Throws ECLOSED if closed. */
  send(message: Value): void;
  /** Sets the message handler (one per connection). */
  onMessage(handler: (message: Value) => void): void;
  /** Sets the close handler: 'closed' by either end, 'reset' by a fault or a crash of the other end. */
  onClose(handler: (reason: 'closed' | 'reset') => void): void;
  /** Closes the connection; the other end gets 'closed'. */
  close(): void;
}

/** The network as one node sees it. */
export interface Net {
  /** This node's address. */
  readonly address: string;
  /** Accepts incoming connections with `handler` (replaces an earlier handler). */
  listen(handler: (conn: Connection) => void): void;
  /** Opens a connection to `address`; rejects with ECONNREFUSED or ETIMEDOUT. */
  connect(address: string, options?: { timeoutMs?: number }): Promise<Connection>;
  /** Sends an unreliable datagram (may be lost, duplicated, reordered). */
  sendDatagram(to: string, message: Value): void;
  /** Sets the datagram handler. */
  onDatagram(handler: (from: string, message: Value) => void): void;
}

/** A BroadcastChannel-like bus between the tabs of one device. */
export interface Bus {
  /** Posts to every other live tab subscribed to `channel` (not to the sender). */
  post(channel: string, message: Value): void;
  /** Subscribes to `channel`. Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: Value, from: string) => void): () => void;
}

/** A held lock. */
export interface Lock {
  readonly name: string;
}

/** Options of a lock request (as the Web Locks API). */
export interface LockOptions {
  /** Fail immediately (callback gets null) if the lock is held. */
  ifAvailable?: boolean;
  /** Take the lock from its holder, whose hold ends at once (its callback keeps running). */
  steal?: boolean;
}

/** A Web-Locks-like lock manager shared by the tabs of one device. */
export interface Locks {
  /**
   * Requests the exclusive lock `name`; calls `fn` when granted (or with null under ifAvailable when
   * held); releases when `fn` settles or the tab crashes. Resolves with `fn`'s result.
   */
  request<T>(name: string, options: LockOptions, fn: (lock: Lock | null) => Promise<T> | T): Promise<T>;
}

/** Observability: structured events into the trace, and probes on rare paths. */
export interface Tracer {
  /** Emits a trace record of `kind` (prefix with the area, e.g. 'store.commit') with JSON fields. */
  emit(kind: string, data?: Record<string, unknown>): void;
  /** Marks that a named rare path was reached ("sometimes" assertion); the runner counts them. */
  probe(name: string): void;
}

/** Everything a node may use. */
export interface Env {
  /** This node's name (its network address too). */
  readonly nodeId: string;
  /** The device this node runs on (tabs of one device share disk, kv, bus and locks). */
  readonly deviceId: string;
  /** 0 on first start, +1 on each restart. */
  readonly incarnation: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly disk: Disk;
  readonly kv: KvStore;
  readonly net: Net;
  readonly bus: Bus;
  readonly locks: Locks;
  readonly trace: Tracer;
}

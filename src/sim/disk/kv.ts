/**
 * The IndexedDB-like key-value store of one device, shared by its tabs.
 *
 * - Object stores are created on first use. Keys sort numbers before strings; values are copied on put
 *   and on get.
 * - Transactions start in request order; two whose scopes overlap and of which one is readwrite never
 *   run at the same time (a later one also waits behind an earlier waiting one). Each operation inside
 *   takes a small simulated latency; writes are buffered and applied all at once at commit.
 * - `fn` resolving commits; `fn` throwing (the error is rethrown) or `tx.abort()` (EABORT) aborts and
 *   nothing is applied. A commit first consults the fault interceptors (area 'kv', op 'commit'): an
 *   error aborts with that code; a crash crashes the node (`sim.crash`, a power loss when it is alone on
 *   its device) before or after the commit applies.
 * - Durability: a strict commit is durable when its promise resolves and also makes every earlier relaxed
 *   commit durable. A relaxed commit is acknowledged first and becomes durable at the next background
 *   flush (KvSpec.flushMs after the first commit not yet durable) or strict commit. On a power loss a
 *   seeded-chosen suffix of the not-yet-durable relaxed commits is lost (stream `kv/<device>`), each
 *   whole. A tab crash without power loss aborts only that tab's unfinished transactions.
 * - Space: stored keys and values count against the device disk's DiskSpec.capacityBytes (approximate
 *   sizes); a commit that does not fit aborts with ENOSPC.
 * - Limits: at most KvSpec.queueMax unfinished transactions (ESTATE beyond). A transaction whose fn never
 *   settles keeps its scope until its tab goes down (there is no inactivity auto-commit as in browsers).
 *
 * - Faults: reads (`get`, `keys`) consult the interceptors too (area 'kv', op 'get' | 'keys', target: the
 *   object store) when they complete: an error fails the request and aborts its transaction, a crash
 *   takes the node down, a pause holds the answer until the node resumes. `damageDurable` damages a
 *   durable value at rest.
 *
 * Trace: 'kv.commit' {tx, stores, puts, deletes, durability} and 'kv.abort' {tx, reason: 'error' |
 * 'abort' | 'crash' | an injected error code | 'ENOSPC'} on the transaction's node; 'kv.fault' {tx, op,
 * action}; node 'sim': 'kv.durable' {device, upTo} when relaxed commits up to tx `upTo` became durable,
 * 'kv.powerloss' {device, lost, kept, lostFrom} (lostFrom: the first lost tx, or null), 'kv.corrupt'
 * {device, store, key} when a durable value is damaged at rest; 'kv.held' {txs, stores, readwrite} on a
 * node that froze (right after its node.pause) with unfinished transactions: their ids, the stores their
 * scopes take, and those a readwrite one takes.
 *
 * Observers (`observeCommits`, for evidence recorders in src/evidence) see which keys every applied commit
 * wrote, right after its 'kv.commit' record (the trace gives only counts).
 */
import { EnvError, type KvDurability, type KvKey, type KvStore, type KvTx, type Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Rng } from '../rng.ts';
import type { Simulation } from '../simulation.ts';
import type { FaultAction } from '../types.ts';
import type { SimDisk } from './disk.ts';
import { qualifyKvSpec, type KvSpec, type QualifiedKvSpec } from './kv-spec.ts';
import { checkKey, copyValue, keySize, KvTable, valueSize } from '../../impl/seam/kv-table.ts';
import { checkTransactionArgs, DELETED } from '../../impl/seam/kv-tx.ts';
import { KvTransaction } from './kv-tx.ts';

export type { KvSpec } from './kv-spec.ts';

/** Store name -> key -> value, keys in order. */
export type KvSnapshot = Map<string, Map<KvKey, Value>>;

/** How to undo one applied write of a commit that is not durable yet. */
interface Undo {
  store: string;
  key: KvKey;
  before: Value | undefined;
}

/** A relaxed commit that is not durable yet. */
interface Volatile {
  tx: number;
  undo: Undo[];
  bytes: number;
}

/** An applied readwrite commit as an observer sees it: its transaction, node and the keys it put or deleted. */
export interface KvCommitView {
  tx: number;
  node: string;
  durability: KvDurability;
  /** Each written key with its value now (undefined: deleted). Values are shared: do not mutate. */
  writes: readonly { store: string; key: KvKey; value: Value | undefined }[];
}

const NEVER = new Promise<never>(() => {});
const noop = (): void => {};

/** How a transaction's caller hears back: now, or later (when its frozen node resumes). */
type Answer = (fn: () => void) => void;
const now: Answer = (fn) => fn();

/** Reads inside a transaction that the fault interceptors see (area 'kv'). */
type KvReadOp = 'get' | 'keys';

/** How a kv.fault record names an injected action. */
function faultLabel(f: FaultAction): string {
  if (f.type === 'error') return `error:${f.code}`;
  if (f.type === 'crash' || f.type === 'pause') return `${f.type}:${f.when}`;
  return f.type;
}

/** The kv store of one device. */
export class SimKv {
  /** The validated settings. */
  readonly spec: QualifiedKvSpec;
  private readonly tables = new Map<string, KvTable>();
  /** Unfinished transactions in request order. */
  private queue: KvTransaction[] = [];
  /** Relaxed commits not yet durable, oldest first. */
  private volatile: Volatile[] = [];
  private flushEvent: number | null = null;
  private nextTx = 1;
  private usedBytes = 0;
  private chosenLoss: number | null = null;
  private readonly latencyRng: Rng;
  private readonly commitObservers: ((c: KvCommitView) => void)[] = [];

  constructor(
    readonly sim: Simulation,
    readonly deviceId: string,
    spec: KvSpec,
  ) {
    this.spec = qualifyKvSpec(deviceId, spec);
    this.latencyRng = sim.stream(`kv/${deviceId}/latency`);
    sim.onLifecycle({
      nodeDown: (node) => {
        if (node.deviceId === deviceId) this.abortNode(node);
      },
      devicePowerLoss: (id) => {
        if (id === deviceId) this.resolvePowerLoss();
      },
      nodePaused: (node) => {
        if (node.deviceId === deviceId) this.traceHeld(node);
      },
    });
  }

  /**
   * A node froze: names the transactions it leaves unfinished ('kv.held'). Their scopes stay taken while it
   * is frozen, so every later transaction that conflicts waits until it resumes (as a frozen browser tab's
   * open IndexedDB transaction blocks the other tabs); checks that expect other nodes to act meanwhile read
   * this. Nothing is traced when the node holds none.
   */
  private traceHeld(node: SimNode): void {
    const txs: number[] = [];
    const stores = new Set<string>();
    const written = new Set<string>();
    for (const tx of this.queue) {
      if (tx.node !== node) continue;
      txs.push(tx.id);
      for (const s of tx.stores) {
        stores.add(s);
        if (tx.mode === 'readwrite') written.add(s);
      }
    }
    if (txs.length === 0) return;
    this.sim.trace.emit(node.id, 'kv.held', { txs, stores: [...stores].sort(), readwrite: [...written].sort() });
  }

  /** Calls `observer` after every applied readwrite commit (see the file comment). */
  observeCommits(observer: (c: KvCommitView) => void): void {
    this.commitObservers.push(observer);
  }

  /** The KvStore a node's incarnation `inc` sees. */
  facet(node: SimNode, inc: number): KvStore {
    return {
      transaction: <T>(
        stores: readonly string[],
        mode: 'readonly' | 'readwrite',
        fn: (tx: KvTx) => Promise<T>,
        options?: { durability?: KvDurability },
      ): Promise<T> => {
        if (!node.isLive(inc)) return NEVER;
        try {
          return this.begin(node, inc, stores, mode, fn, options) as Promise<T>;
        } catch (e) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    };
  }

  // ---------------------------------------------------------------- transactions

  private begin(
    node: SimNode,
    inc: number,
    stores: readonly string[],
    mode: 'readonly' | 'readwrite',
    fn: (tx: KvTx) => Promise<unknown>,
    options: { durability?: KvDurability } | undefined,
  ): Promise<unknown> {
    const scope = checkTransactionArgs(stores, mode, fn, options?.durability ?? this.spec.durability);
    const durability = options?.durability ?? this.spec.durability;
    if (this.queue.length >= this.spec.queueMax) {
      throw new EnvError('ESTATE', `more than KvSpec.queueMax=${this.spec.queueMax} unfinished transactions`);
    }
    return new Promise<unknown>((resolve, reject) => {
      const tx = new KvTransaction(this.nextTx++, node, inc, scope, mode, durability, resolve, reject, fn);
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
      if (!blocked) this.start(tx);
    }
  }

  private start(tx: KvTransaction): void {
    tx.status = 'running';
    tx.node.after(tx.inc, 0, () => this.invoke(tx));
  }

  private invoke(tx: KvTransaction): void {
    const fn = tx.fn;
    tx.fn = null;
    if (tx.status !== 'running' || fn === null) return;
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(fn(this.handle(tx)));
    } catch (e) {
      this.abort(tx, e, 'error');
      return;
    }
    p.then(
      (v) => {
        if (tx.status !== 'running') return;
        tx.fnDone = true;
        tx.result = v;
        this.maybeCommit(tx);
      },
      (e) => {
        if (tx.status === 'running') this.abort(tx, e, 'error');
      },
    );
  }

  /** The KvTx handed to fn. Malformed keys and values reject with a TypeError naming them. */
  private handle(tx: KvTransaction): KvTx {
    const kv = this; // the methods stay callable detached, as the arrows they replace were
    // Methods rather than arrow-valued properties: under tsx (esbuild keepNames) every named arrow made here
    // costs a __name call, five per transaction (2.6% of an election swarm).
    return {
      get(store, key) {
        return attempt(() => {
          const k = checkKey(key, 'key');
          return kv.request(tx, store, false, () => {
            const v = tx.read(kv.tables.get(store), store, k);
            return v === undefined ? undefined : copyValue(v);
          }, 'get');
        });
      },
      put(store, key, value) {
        return attempt(() => {
          const k = checkKey(key, 'key');
          const copy = copyValue(value);
          return kv.request(tx, store, true, () => void tx.buffer(store).set(k, copy));
        });
      },
      delete(store, key) {
        return attempt(() => {
          const k = checkKey(key, 'key');
          return kv.request(tx, store, true, () => void tx.buffer(store).set(k, DELETED));
        });
      },
      keys(store, range) {
        return attempt(() => {
          const lower = range?.lower === undefined ? undefined : checkKey(range.lower, 'range.lower');
          const upper = range?.upper === undefined ? undefined : checkKey(range.upper, 'range.upper');
          return kv.request(tx, store, false, () => tx.keys(kv.tables.get(store), store, lower, upper), 'keys');
        });
      },
      abort() {
        kv.userAbort(tx);
      },
    };
  }

  /**
   * One operation inside `tx`, completing after its latency. Its promise is marked handled, like an
   * IndexedDB request: a fire-and-forget put whose transaction aborts is not an unhandled rejection.
   * Reads (`op` set) are offered to the fault interceptors when they complete.
   */
  private request<T>(tx: KvTransaction, store: string, write: boolean, effect: () => T, op: KvReadOp | null = null): Promise<T> {
    if (!tx.node.isLive(tx.inc)) return NEVER;
    const problem = tx.opProblem(store, write, tx.fnDone);
    let p: Promise<T>;
    if (problem !== null) p = Promise.reject(problem);
    else {
      tx.inflight++;
      p = new Promise<T>((resolve, reject) => {
        tx.node.after(tx.inc, this.jittered(this.spec.opUs), () => {
          const fault = op === null || tx.status !== 'running' ? null : this.sim.intercept({ area: 'kv', op, node: tx.node.id, device: this.deviceId, target: store });
          if (fault === null) this.settleRequest(tx, effect, resolve, reject);
          else this.readFault(tx, op!, fault, effect, resolve, reject);
        });
      });
    }
    p.catch(noop);
    return p;
  }

  /** A request's answer: its effect (EABORT once the transaction ended), then maybe the commit. */
  private settleRequest<T>(tx: KvTransaction, effect: () => T, resolve: (v: T) => void, reject: (e: Error) => void): void {
    tx.inflight--;
    if (tx.status !== 'running') reject(new EnvError('EABORT', `transaction ${tx.id} was aborted`));
    else resolve(effect());
    this.maybeCommit(tx);
  }

  /**
   * Applies an injected fault to a read. An error fails the request and aborts its transaction (as a
   * failed IndexedDB request does); a crash takes the node down before or after the read (either way the
   * caller never hears back); a pause holds the answer until the node resumes ('after': the value is the
   * one read now); a torn write or flipped bit means nothing here.
   */
  private readFault<T>(tx: KvTransaction, op: KvReadOp, fault: FaultAction, effect: () => T, resolve: (v: T) => void, reject: (e: Error) => void): void {
    this.sim.trace.emit(tx.node.id, 'kv.fault', { tx: tx.id, op, action: faultLabel(fault) });
    switch (fault.type) {
      case 'error': {
        tx.inflight--;
        const error = new EnvError(fault.code, `${op} in transaction ${tx.id}: injected fault`);
        reject(error);
        this.abort(tx, error, fault.code);
        return;
      }
      case 'crash':
        this.sim.crashByFault(tx.node.id, fault);
        return;
      case 'pause': {
        const read = fault.when === 'after' ? ((v: T) => () => v)(effect()) : effect;
        tx.node.deliver(tx.inc, () => this.settleRequest(tx, read, resolve, reject));
        return;
      }
      default:
        this.settleRequest(tx, effect, resolve, reject);
    }
  }

  private maybeCommit(tx: KvTransaction): void {
    if (tx.status !== 'running' || !tx.fnDone || tx.inflight > 0) return;
    tx.status = 'committing';
    const us = tx.mode === 'readonly' ? this.spec.commitUs : tx.durability === 'strict' ? this.spec.strictCommitUs : this.spec.commitUs;
    tx.node.after(tx.inc, this.jittered(us), () => this.commit(tx));
  }

  private jittered(us: number): number {
    const j = this.spec.jitter;
    return j === 0 ? us : us * (1 + j * (2 * this.latencyRng.float() - 1));
  }

  // ---------------------------------------------------------------- commit and abort

  private commit(tx: KvTransaction): void {
    if (tx.status !== 'committing') return;
    if (tx.mode === 'readonly') {
      this.finish(tx);
      return;
    }
    const target = [...tx.stores].join(',');
    const fault = this.sim.intercept({ area: 'kv', op: 'commit', node: tx.node.id, device: this.deviceId, target });
    if (fault !== null && this.commitFault(tx, fault)) return;
    this.commitNow(tx);
  }

  /**
   * Applies a readwrite transaction (aborts it with ENOSPC when it does not fit) and ends it; the caller
   * hears back through `answer` (now, or when its frozen node resumes).
   */
  private commitNow(tx: KvTransaction, answer: Answer = now): void {
    const growth = this.growth(tx);
    const disk = this.disk();
    if (disk !== undefined && growth > 0 && growth > disk.freeBytes()) {
      return this.abort(tx, new EnvError('ENOSPC', `commit of transaction ${tx.id}: disk full (DiskSpec.capacityBytes)`), 'ENOSPC', answer);
    }
    this.apply(tx, growth);
    this.finish(tx, answer);
  }

  /**
   * Applies an injected fault at commit; returns true when the commit went no further here. An error
   * aborts; a crash (or a torn write, which means nothing to a kv store) crashes the node before or after
   * the commit applies; a pause holds the commit ('before') or its answer ('after') until the node
   * resumes; a bitflip does nothing here.
   */
  private commitFault(tx: KvTransaction, fault: FaultAction): boolean {
    this.sim.trace.emit(tx.node.id, 'kv.fault', { tx: tx.id, op: 'commit', action: faultLabel(fault) });
    if (fault.type === 'bitflip') return false;
    if (fault.type === 'error') {
      this.abort(tx, new EnvError(fault.code, `commit of transaction ${tx.id}: injected fault`), fault.code);
      return true;
    }
    if (fault.type === 'pause') {
      // 'after': the commit ends now (other transactions go on); only the frozen caller waits.
      const later: Answer = (fn) => tx.node.deliver(tx.inc, fn);
      if (fault.when === 'before') later(() => this.commitNow(tx));
      else this.commitNow(tx, later);
      return true;
    }
    if (fault.type === 'crash' && fault.when === 'after') {
      this.apply(tx);
      this.remove(tx);
    }
    this.sim.crashByFault(tx.node.id, fault.type === 'crash' ? fault : {});
    this.pump();
    return true;
  }

  /** Bytes the commit adds (negative when it frees space). */
  private growth(tx: KvTransaction): number {
    let n = 0;
    for (const [store, writes] of tx.writes) {
      const table = this.tables.get(store);
      for (const [k, w] of writes) {
        const before = table?.get(k);
        if (before !== undefined) n -= keySize(k) + valueSize(before);
        if (w !== DELETED) n += keySize(k) + valueSize(w);
      }
    }
    return n;
  }

  /** Applies a readwrite transaction's writes (adding `growth` bytes) and records its durability. */
  private apply(tx: KvTransaction, growth = this.growth(tx)): void {
    const undo: Undo[] = [];
    let puts = 0;
    let deletes = 0;
    for (const [store, writes] of tx.writes) {
      const table = this.table(store);
      for (const [key, w] of writes) {
        const before = w === DELETED ? table.delete(key) : table.set(key, w);
        undo.push({ store, key, before });
        if (w === DELETED) deletes++;
        else puts++;
      }
    }
    this.addBytes(growth);
    this.sim.trace.emit(tx.node.id, 'kv.commit', { tx: tx.id, stores: [...tx.stores], puts, deletes, durability: tx.durability });
    if (this.commitObservers.length > 0) {
      const view: KvCommitView = { tx: tx.id, node: tx.node.id, durability: tx.durability, writes: undo.map((u) => ({ store: u.store, key: u.key, value: this.tables.get(u.store)?.get(u.key) })) };
      for (const o of this.commitObservers) o(view);
    }
    if (tx.durability === 'strict') this.makeDurable(tx.id);
    else if (undo.length > 0) {
      this.volatile.push({ tx: tx.id, undo, bytes: growth });
      this.armFlush();
    }
  }

  private finish(tx: KvTransaction, answer: Answer = now): void {
    this.remove(tx);
    answer(() => tx.resolve(tx.result));
    this.pump();
  }

  private abort(tx: KvTransaction, error: unknown, reason: string, answer: Answer = now): void {
    this.remove(tx);
    this.sim.trace.emit(tx.node.id, 'kv.abort', { tx: tx.id, reason });
    answer(() => tx.reject(error instanceof Error ? error : new Error(String(error))));
    this.pump();
  }

  private userAbort(tx: KvTransaction): void {
    if (tx.status === 'done' || !tx.node.isLive(tx.inc)) return;
    if (tx.status === 'committing') throw new EnvError('ESTATE', `transaction ${tx.id} is already committing`);
    this.abort(tx, new EnvError('EABORT', `transaction ${tx.id} aborted by tx.abort()`), 'abort');
  }

  private remove(tx: KvTransaction): void {
    tx.status = 'done';
    tx.fn = null;
    const i = this.queue.indexOf(tx);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** A node went down: its unfinished transactions end without applying anything or settling. */
  private abortNode(node: SimNode): void {
    const mine = this.queue.filter((tx) => tx.node === node);
    if (mine.length === 0) return;
    for (const tx of mine) {
      this.remove(tx);
      this.sim.trace.emit(node.id, 'kv.abort', { tx: tx.id, reason: 'crash' });
    }
    this.pump();
  }

  // ---------------------------------------------------------------- durability

  private armFlush(): void {
    if (this.flushEvent !== null) return;
    this.flushEvent = this.sim.scheduler.after(this.spec.flushMs * 1000, () => {
      this.flushEvent = null;
      const last = this.volatile[this.volatile.length - 1];
      if (last !== undefined) this.makeDurable(last.tx);
    });
  }

  /** Every commit up to `upTo` is durable now. */
  private makeDurable(upTo: number): void {
    if (this.volatile.length === 0) return;
    this.volatile = [];
    if (this.flushEvent !== null) this.sim.scheduler.cancel(this.flushEvent);
    this.flushEvent = null;
    this.sim.trace.emit('sim', 'kv.durable', { device: this.deviceId, upTo });
  }

  private resolvePowerLoss(): void {
    const n = this.volatile.length;
    const lost = this.chosenLoss ?? this.sim.stream(`kv/${this.deviceId}`).int(n + 1);
    const lostFrom = lost > 0 ? this.volatile[n - lost]!.tx : null;
    for (let i = n - 1; i >= n - lost; i--) this.undo(this.volatile[i]!);
    this.volatile = [];
    if (this.flushEvent !== null) this.sim.scheduler.cancel(this.flushEvent);
    this.flushEvent = null;
    this.sim.trace.emit('sim', 'kv.powerloss', { device: this.deviceId, lost, kept: n - lost, lostFrom });
  }

  private undo(v: Volatile): void {
    for (let i = v.undo.length - 1; i >= 0; i--) {
      const u = v.undo[i]!;
      const table = this.table(u.store);
      if (u.before === undefined) table.delete(u.key);
      else table.set(u.key, u.before);
    }
    this.addBytes(-v.bytes);
  }

  // ---------------------------------------------------------------- helpers

  private table(store: string): KvTable {
    let t = this.tables.get(store);
    if (t === undefined) {
      t = new KvTable();
      this.tables.set(store, t);
    }
    return t;
  }

  private disk(): SimDisk | undefined {
    return this.sim.devices.get(this.deviceId)?.disk;
  }

  private addBytes(delta: number): void {
    if (delta === 0) return;
    this.usedBytes += delta;
    this.disk()?.setExternalBytes('kv', this.usedBytes);
  }

  // ---------------------------------------------------------------- introspection and exploration

  /** Ids of committed relaxed transactions not durable yet, oldest first. */
  volatileTxs(): number[] {
    return this.volatile.map((v) => v.tx);
  }

  /**
   * Cuts the device's power (every node on it goes down), losing exactly the last `lost` not-yet-durable
   * relaxed commits (0..volatileTxs().length).
   */
  powerLossWith(lost: number): void {
    const n = this.volatile.length;
    if (!Number.isInteger(lost) || lost < 0 || lost > n) throw new RangeError(`lost must be an integer in 0..${n}, got ${lost}`);
    this.chosenLoss = lost;
    try {
      this.sim.powerLoss(this.deviceId);
    } finally {
      this.chosenLoss = null;
    }
  }

  /**
   * The value of one key as a power loss now would leave it (undefined: absent), without copying the
   * whole store: the value before the oldest not-yet-durable commit that wrote it, else the visible one.
   * Shared, not copied: do not mutate.
   */
  durableGet(store: string, key: KvKey): Value | undefined {
    for (const v of this.volatile) for (const u of v.undo) if (u.store === store && u.key === key) return u.before;
    return this.tables.get(store)?.get(key);
  }

  /**
   * Damages the medium under the durable value of `key` in `store` (at rest): the value a power loss
   * would leave becomes `value` (the store owns it from now on). Processes see the damage too, unless a
   * commit that is not durable yet wrote that key since (its newer value shadows it until a power loss
   * undoes that commit). Traced as 'kv.corrupt' {device, store, key} (node 'sim'). False, changing
   * nothing, when the key has no durable value.
   */
  damageDurable(store: string, key: KvKey, value: Value): boolean {
    for (const v of this.volatile) {
      for (const u of v.undo) {
        if (u.store !== store || u.key !== key) continue;
        if (u.before === undefined) return false;
        v.bytes += valueSize(u.before) - valueSize(value); // what undoing this commit frees changes with it
        u.before = value;
        this.sim.trace.emit('sim', 'kv.corrupt', { device: this.deviceId, store, key });
        return true;
      }
    }
    const table = this.tables.get(store);
    const before = table?.get(key);
    if (table === undefined || before === undefined) return false;
    table.set(key, value);
    this.addBytes(valueSize(value) - valueSize(before));
    this.sim.trace.emit('sim', 'kv.corrupt', { device: this.deviceId, store, key });
    return true;
  }

  /** The visible value of one key (undefined: absent). Shared, not copied: do not mutate. */
  visibleGet(store: string, key: KvKey): Value | undefined {
    return this.tables.get(store)?.get(key);
  }

  /** What processes see: store -> key -> copy of value. */
  visibleSnapshot(): KvSnapshot {
    const out: KvSnapshot = new Map();
    for (const name of [...this.tables.keys()].sort()) out.set(name, this.tables.get(name)!.toMap());
    return out;
  }

  /** What survives any power loss: the visible state without the not-yet-durable relaxed commits. */
  durableSnapshot(): KvSnapshot {
    const clones = new Map<string, KvTable>();
    for (const [name, t] of this.tables) clones.set(name, t.clone());
    for (let i = this.volatile.length - 1; i >= 0; i--) {
      const undo = this.volatile[i]!.undo;
      for (let k = undo.length - 1; k >= 0; k--) {
        const u = undo[k]!;
        const t = clones.get(u.store)!;
        if (u.before === undefined) t.delete(u.key);
        else t.set(u.key, u.before);
      }
    }
    const out: KvSnapshot = new Map();
    for (const name of [...clones.keys()].sort()) out.set(name, clones.get(name)!.toMap());
    return out;
  }

  /** Approximate bytes of stored keys and values (counted against the disk's capacity). */
  bytesUsed(): number {
    return this.usedBytes;
  }
}

/** `start()`, with a synchronous throw turned into a rejected promise. */
function attempt<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

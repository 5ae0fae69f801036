/**
 * The lock manager of one device: Web-Locks-like named exclusive locks shared by the tabs of a device.
 *
 * Semantics:
 * - Requests for a name queue FIFO. When a request is granted, `fn(lock)` is called as its own delivery
 *   to the requesting tab (a paused tab gets it on resume and holds the lock meanwhile). The lock is
 *   released when the promise returned by `fn` settles, resolved or rejected, and the request's promise
 *   settles the same way, in the same task of the tab when `fn`'s promise settled in it (as in a browser:
 *   no message the tab had queued runs in between).
 * - `ifAvailable`: when the lock is held or requests are queued, `fn(null)` is called (as its own
 *   delivery, at the same virtual time) and nothing is queued.
 * - `steal`: granted at once; the previous holder loses the lock (its request's promise rejects with
 *   EnvError('EABORT'), as the Web Locks API's AbortError; its `fn` keeps running and its later
 *   settling releases nothing). Queued requests stay queued.
 * - `signal` (an AbortSignal, as the Web Locks API's option; the tab's `navigator.locks` passes it): aborting
 *   removes a queued request and rejects its promise with `signal.reason`; a signal already aborted
 *   rejects the request before it is placed; once granted, aborting changes nothing.
 * - A tab crash (with or without power loss) releases every lock it held and drops its queued requests.
 *   A paused tab keeps its locks, as frozen browser tabs do. A request from a dead incarnation never
 *   settles.
 * - Bounded: at most `queueLengthMax` queued requests per lock name; more is a reported failure.
 * - Faults: `sim.intercept({ area: 'lock', op: 'request', ... })` may fail the request ('error': its
 *   promise rejects with that code) or crash the requester ('crash' before or after the request was
 *   registered; a tab crash, not a power loss); a tab paused at its request still places it (it freezes
 *   once the task that asked ends).
 *
 * Trace: 'lock.request' {name, mode, ifAvailable, steal}, 'lock.grant' {name}, 'lock.release' {name,
 * reason: 'settled' | 'crash' | 'stolen'}, 'lock.denied' {name}, 'lock.abort' {name} (a queued request
 * withdrawn by its signal), each at the tab concerned.
 */
import { EnvError, type Lock, type LockOptions, type Locks } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';

/** Options of a device's lock manager (all optional). */
export interface LocksOptions {
  /** Queued requests per lock name before the run fails. Default 10,000. */
  queueLengthMax?: number;
}

/** A lock request's options inside the simulator: the Env's, and the Web Locks `signal` (world.ts). */
export interface SimLockOptions extends LockOptions {
  /** Withdraws the request while it is queued (see the file comment). */
  signal?: AbortSignal;
}

/** Lock manager options with every field set. */
export type LocksSettings = Readonly<Required<LocksOptions>>;

/** Default lock manager settings. */
export const LOCKS_DEFAULTS: LocksSettings = { queueLengthMax: 10_000 };

/** Validates lock manager options and fills in defaults; throws a RangeError naming the bad field. */
export function resolveLocksOptions(options: LocksOptions = {}): LocksSettings {
  const queueLengthMax = options.queueLengthMax ?? LOCKS_DEFAULTS.queueLengthMax;
  if (!Number.isInteger(queueLengthMax) || queueLengthMax < 1) {
    throw new RangeError(`locks option queueLengthMax must be an integer >= 1, got ${String(queueLengthMax)}`);
  }
  return { queueLengthMax };
}

/** One call to `request`. */
interface Request {
  readonly node: SimNode;
  readonly inc: number;
  readonly name: string;
  readonly fn: (lock: Lock | null) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** State of one lock name; dropped when neither held nor wanted. */
interface LockState {
  holder: Request | null;
  readonly queue: Request[];
}

const NEVER = new Promise<never>(() => {});

/** The Web-Locks-like lock manager of one device. */
export class SimLocks {
  /** Resolved settings. */
  readonly settings: LocksSettings;
  private readonly locks = new Map<string, LockState>();

  constructor(
    readonly sim: Simulation,
    readonly deviceId: string,
    options: LocksOptions = {},
  ) {
    this.settings = resolveLocksOptions(options);
    sim.onLifecycle({ nodeDown: (node) => this.nodeDown(node) });
  }

  /** The Locks a node's incarnation `inc` sees. */
  facet(node: SimNode, inc: number): Locks {
    return {
      request: <T>(name: string, options: LockOptions, fn: (lock: Lock | null) => Promise<T> | T): Promise<T> =>
        this.request(node, inc, name, options ?? {}, fn) as Promise<T>,
    };
  }

  /** Id of the node holding lock `name`, or null (for checkers and tests). */
  holder(name: string): string | null {
    return this.locks.get(name)?.holder?.node.id ?? null;
  }

  /** Ids of the nodes waiting for lock `name`, first in line first. */
  queue(name: string): string[] {
    const state = this.locks.get(name);
    return state === undefined ? [] : state.queue.map((r) => r.node.id);
  }

  // ---------------------------------------------------------------- request

  private request(
    node: SimNode,
    inc: number,
    name: string,
    options: SimLockOptions,
    fn: (lock: Lock | null) => unknown,
  ): Promise<unknown> {
    if (!node.isLive(inc)) return NEVER;
    const invalid = checkRequest(name, options, fn);
    if (invalid !== null) return Promise.reject(invalid);
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const ifAvailable = options.ifAvailable === true;
    const steal = options.steal === true;
    this.sim.trace.emit(node.id, 'lock.request', { name, mode: 'exclusive', ifAvailable, steal });
    const action = this.sim.intercept({ area: 'lock', op: 'request', node: node.id, device: this.deviceId, target: name });
    // A fault at this request took the requester's device down (another tab's crash with power loss): it is never placed.
    if (!node.isLive(inc)) return NEVER;
    if (action?.type === 'error') return Promise.reject(new EnvError(action.code, `lock request '${name}' failed (injected)`));
    if (action?.type === 'crash' && action.when === 'before') {
      this.sim.crashByFault(node.id, action, false);
      return NEVER;
    }
    if (action !== null && action.type !== 'crash' && action.type !== 'pause') {
      this.sim.scheduler.fail(new Error(`fault action '${action.type}' does not apply to lock.request`));
      return NEVER;
    }
    const promise = new Promise<unknown>((resolve, reject) => {
      const req: Request = { node, inc, name, fn, resolve, reject };
      this.place(req, ifAvailable, steal);
      if (signal !== undefined) signal.addEventListener('abort', () => this.withdraw(req, signal.reason), { once: true });
    });
    if (action?.type === 'crash') this.sim.crashByFault(node.id, action, false); // crash after registering
    return promise;
  }

  /** Grants, denies or queues a new request. */
  private place(req: Request, ifAvailable: boolean, steal: boolean): void {
    const state = this.stateOf(req.name);
    if (steal) {
      if (state.holder !== null) this.revoke(state, state.holder);
      this.grant(state, req);
    } else if (state.holder === null && state.queue.length === 0) {
      this.grant(state, req);
    } else if (ifAvailable) {
      this.sim.trace.emit(req.node.id, 'lock.denied', { name: req.name });
      req.node.afterFrom('lock', req.inc, 0, () => this.run(req, null));
    } else if (state.queue.length >= this.settings.queueLengthMax) {
      this.failQueue(req);
    } else {
      state.queue.push(req);
    }
  }

  /** An aborted signal takes `req` out of its queue (nothing once it was granted or denied). */
  private withdraw(req: Request, reason: unknown): void {
    const state = this.locks.get(req.name);
    const at = state?.queue.indexOf(req) ?? -1;
    if (state === undefined || at < 0) return;
    state.queue.splice(at, 1);
    this.sim.trace.emit(req.node.id, 'lock.abort', { name: req.name });
    req.node.deliverFrom('lock', req.inc, () => req.reject(reason));
    if (state.holder === null && state.queue.length === 0) this.locks.delete(req.name);
  }

  private failQueue(req: Request): void {
    this.sim.fail({
      kind: 'crash',
      check: 'lock-queue-bound',
      message:
        `locks of device '${this.deviceId}': lock '${req.name}' has ${this.settings.queueLengthMax} queued ` +
        `requests (queueLengthMax) when '${req.node.id}' asked for it`,
      node: req.node.id,
    });
  }

  // ---------------------------------------------------------------- grant and release

  /** Makes `req` the holder and delivers `fn(lock)` to its tab. */
  private grant(state: LockState, req: Request): void {
    state.holder = req;
    this.sim.trace.emit(req.node.id, 'lock.grant', { name: req.name });
    const lock: Lock = Object.freeze({ name: req.name });
    req.node.afterFrom('lock', req.inc, 0, () => this.run(req, lock));
  }

  /** Calls `fn`; when its promise settles, releases the lock (if still held) and settles the request. */
  private run(req: Request, lock: Lock | null): void {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(req.fn(lock));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (value) => this.settle(req, lock, () => req.resolve(value)),
      (reason: unknown) => this.settle(req, lock, () => req.reject(reason)),
    );
  }

  private settle(req: Request, lock: Lock | null, settleRequest: () => void): void {
    if (lock !== null) this.release(req, 'settled');
    // As Web Locks resolve the request's promise with the callback's: when the callback settles in the tab's
    // own task (the usual case), the request settles in that task too, before the tab's next task runs (a
    // delivery would queue behind a backlog: a tab just resumed would handle its queued messages while
    // still taking itself for the holder). Settled from elsewhere, it is delivered to the tab.
    if (this.sim.scheduler.owner === req.node && req.node.status === 'running' && req.node.isLive(req.inc)) settleRequest();
    else req.node.deliverFrom('lock', req.inc, settleRequest);
  }

  /** Ends `req`'s hold on its lock (nothing if it no longer holds it) and grants the next request. */
  private release(req: Request, reason: 'settled' | 'crash'): void {
    const state = this.locks.get(req.name);
    if (state === undefined || state.holder !== req) return;
    state.holder = null;
    this.sim.trace.emit(req.node.id, 'lock.release', { name: req.name, reason });
    this.grantNext(state, req.name);
  }

  /** Takes the lock from its holder for a stealer: the holder's request rejects with EABORT. */
  private revoke(state: LockState, holder: Request): void {
    state.holder = null;
    this.sim.trace.emit(holder.node.id, 'lock.release', { name: holder.name, reason: 'stolen' });
    holder.node.deliverFrom('lock', holder.inc, () => holder.reject(new EnvError('EABORT', `lock stolen: '${holder.name}'`)));
  }

  private grantNext(state: LockState, name: string): void {
    const next = state.queue.shift();
    if (next !== undefined) this.grant(state, next);
    else this.locks.delete(name);
  }

  private stateOf(name: string): LockState {
    let state = this.locks.get(name);
    if (state === undefined) {
      state = { holder: null, queue: [] };
      this.locks.set(name, state);
    }
    return state;
  }

  // ---------------------------------------------------------------- crashes

  /** A tab's process ended: its queued requests go, then every lock it held is released. */
  private nodeDown(node: SimNode): void {
    if (node.deviceId !== this.deviceId) return;
    for (const state of this.locks.values()) {
      if (state.queue.some((r) => r.node === node)) {
        const kept = state.queue.filter((r) => r.node !== node);
        state.queue.length = 0;
        state.queue.push(...kept);
      }
    }
    for (const [name, state] of this.locks) {
      const holder = state.holder;
      if (holder !== null && holder.node === node) this.release(holder, 'crash');
      else if (holder === null && state.queue.length === 0) this.locks.delete(name);
    }
  }
}

/** Why a request is malformed (as the Web Locks API rejects it), or null. */
function checkRequest(name: unknown, options: LockOptions, fn: unknown): Error | null {
  if (typeof name !== 'string') return new TypeError(`locks.request: name must be a string, got ${typeof name}`);
  if (name.startsWith('-')) return new EnvError('ESTATE', `lock name '${name}' starts with '-', which Web Locks reserves`);
  if (typeof fn !== 'function') return new TypeError(`locks.request: fn must be a function, got ${typeof fn}`);
  if (options.ifAvailable === true && options.steal === true) {
    return new EnvError('ESTATE', `lock request '${name}': ifAvailable and steal cannot both be set`);
  }
  return null;
}

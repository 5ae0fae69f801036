/**
 * The real runtime's lock manager: Web-Locks-like named exclusive locks shared by the envs of one device
 * in this process (cross-process tabs are out of scope).
 *
 * - Requests for a name queue FIFO. When granted, `fn(lock)` is called (asynchronously); the lock is
 *   released when `fn`'s promise settles, and the request's promise settles the same way.
 * - `ifAvailable`: when the lock is held or requested, `fn(null)` is called and nothing is queued.
 * - `steal`: granted at once; the previous holder's request rejects with EnvError('EABORT') (as the Web
 *   Locks API's AbortError); its `fn` keeps running and its later settling releases nothing.
 * - Closing an env releases every lock it holds and drops its queued requests (their promises never settle).
 * - Bounded: at most LOCK_QUEUE_MAX queued requests per name; one more fails with ESTATE.
 */
import { EnvError, type Lock, type LockOptions, type Locks } from '../../impl/env.ts';
import type { Life } from './life.ts';

/** Queued requests per lock name before a request fails. */
export const LOCK_QUEUE_MAX = 10_000;

/** One call to `request`. */
interface Request {
  readonly life: Life;
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

/** The lock manager of one device. */
export class RuntimeLocks {
  private readonly locks = new Map<string, LockState>();

  /** The Locks an env sees. */
  facet(life: Life): Locks {
    life.onClose(() => this.dropOwner(life));
    return {
      request: <T>(name: string, options: LockOptions, fn: (lock: Lock | null) => Promise<T> | T): Promise<T> =>
        life.run(() => this.request(life, name, options ?? {}, fn) as Promise<T>),
    };
  }

  /** True when lock `name` is held (for tests). */
  isHeld(name: string): boolean {
    return this.locks.get(name)?.holder != null;
  }

  private request(life: Life, name: string, options: LockOptions, fn: (lock: Lock | null) => unknown): Promise<unknown> {
    checkRequest(name, options, fn);
    return new Promise<unknown>((resolve, reject) => {
      const req: Request = { life, name, fn, resolve, reject };
      const state = this.state(name);
      if (options.steal === true) {
        const old = state.holder;
        state.holder = null;
        old?.reject(new EnvError('EABORT', `lock '${name}' was stolen`));
        this.grant(state, req);
      } else if (options.ifAvailable === true && (state.holder !== null || state.queue.length > 0)) {
        queueMicrotask(() => void (life.live ? settleWith(req, null) : undefined));
        this.forget(name, state);
      } else {
        if (state.queue.length >= LOCK_QUEUE_MAX) throw new EnvError('ESTATE', `lock '${name}' has ${LOCK_QUEUE_MAX} queued requests (LOCK_QUEUE_MAX)`);
        state.queue.push(req);
        this.pump(name, state);
      }
    });
  }

  private pump(name: string, state: LockState): void {
    if (state.holder === null) {
      const next = state.queue.shift();
      if (next !== undefined) this.grant(state, next);
    }
    this.forget(name, state);
  }

  private grant(state: LockState, req: Request): void {
    state.holder = req;
    queueMicrotask(() => {
      if (state.holder !== req) return; // stolen or its env closed before fn ran
      settleWith(req, { name: req.name }).finally(() => {
        if (state.holder !== req) return;
        state.holder = null;
        this.pump(req.name, state);
      });
    });
  }

  private dropOwner(life: Life): void {
    for (const [name, state] of this.locks) {
      const q = state.queue.filter((r) => r.life !== life);
      state.queue.splice(0, state.queue.length, ...q);
      if (state.holder?.life === life) state.holder = null;
      this.pump(name, state);
    }
  }

  private state(name: string): LockState {
    let s = this.locks.get(name);
    if (s === undefined) this.locks.set(name, (s = { holder: null, queue: [] }));
    return s;
  }

  private forget(name: string, state: LockState): void {
    if (state.holder === null && state.queue.length === 0) this.locks.delete(name);
  }
}

/** Calls the request's fn and settles its promise as fn settles; resolves when that happened. */
function settleWith(req: Request, lock: Lock | null): Promise<void> {
  let p: Promise<unknown>;
  try {
    p = Promise.resolve(req.fn(lock));
  } catch (e) {
    p = Promise.reject(e);
  }
  return p.then(req.resolve, req.reject);
}

function checkRequest(name: unknown, options: unknown, fn: unknown): void {
  if (typeof name !== 'string' || name === '') throw new TypeError(`lock name must be a non-empty string, got ${String(name)}`);
  if (typeof options !== 'object' || options === null) throw new TypeError('lock options must be an object');
  const o = options as LockOptions;
  if (o.steal === true && o.ifAvailable === true) throw new TypeError(`lock '${name}': steal and ifAvailable cannot be combined`);
  if (typeof fn !== 'function') throw new TypeError(`lock '${name}': fn must be a function`);
}

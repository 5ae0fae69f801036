/**
 * A counting semaphore with FIFO waiters (seed item 7: a real single-threaded Semaphore, waking the next
 * waiter on release instead of spinning).
 */
import { Cancelled, type CancellationToken } from './cancellation.ts';
import { WaitQueue, type QueueEntry } from './wait-queue.ts';

/** Permits held from a `Semaphore`; `release()` returns them, and only the first call counts. */
export interface Permit {
  release(): void;
}

/** Options of a `Semaphore`. `weaken` selects a deliberately broken behaviour for checks; never the default. */
export interface SemaphoreOptions {
  /** 'leak-on-error': `withPermit` keeps the permit when `fn` throws (the bug the checks must catch). */
  weaken?: 'leak-on-error';
}

interface Waiter {
  readonly count: number;
  readonly grant: (permit: Permit) => void;
  /** Unregisters the waiter's cancellation listener (set once queued). */
  unsubscribe: () => void;
}

/**
 * A counting semaphore whose waiters are served strictly first come, first served.
 *
 * - Fairness: a waiter is granted only when every earlier waiter was; a waiter for many permits at the
 *   head blocks later, smaller ones even when enough permits for them are free (no overtaking, so a
 *   large waiter cannot starve).
 * - A waiter whose token fires leaves the queue at once, rejects with `Cancelled` and never consumes a
 *   permit; if it was blocking the head, the waiters behind it are served in the same step.
 * - A grant is final: once `acquire` resolved, the permit belongs to the caller even if its token fires
 *   afterwards; `withPermit` returns it on every path (value, throw, cancellation).
 * - Nothing polls: a release grants directly to the queue's head in the same call.
 */
export class Semaphore {
  private free: number;
  private readonly queue = new WaitQueue<Waiter>();
  private readonly leakOnError: boolean;

  constructor(
    readonly permits: number,
    opts: SemaphoreOptions = {},
  ) {
    if (!Number.isInteger(permits) || permits < 0) throw new RangeError(`Semaphore: permits must be an integer >= 0, got ${permits}`);
    this.free = permits;
    this.leakOnError = opts.weaken === 'leak-on-error';
  }

  /** Permits free right now. */
  get available(): number {
    return this.free;
  }

  /** Waiters queued right now. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Permits held right now (`permits - available`). */
  get inUse(): number {
    return this.permits - this.free;
  }

  /** One permit, in FIFO order; rejects with `Cancelled` if `token` fires first (or already has). */
  acquire(token?: CancellationToken): Promise<Permit> {
    return this.acquireMany(1, token);
  }

  /** `count` permits at once, in FIFO order (see the class comment for fairness and cancellation). */
  acquireMany(count: number, token?: CancellationToken): Promise<Permit> {
    if (!Number.isInteger(count) || count < 1 || count > this.permits) {
      return Promise.reject(new RangeError(`Semaphore: cannot acquire ${count} of ${this.permits} permits`));
    }
    if (token?.cancelled) return Promise.reject(new Cancelled(token.reason));
    if (this.queue.size === 0 && this.free >= count) {
      this.free -= count;
      return Promise.resolve(this.permit(count));
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { count, grant: resolve, unsubscribe: noop };
      const entry = this.queue.push(waiter);
      if (token) waiter.unsubscribe = token.onCancel((reason) => this.withdraw(entry, reason, reject));
    });
  }

  /** Runs `fn` holding one permit and returns the permit however `fn` ends. */
  async withPermit<T>(fn: () => Promise<T>, token?: CancellationToken): Promise<T> {
    const permit = await this.acquire(token);
    let failed = false;
    try {
      return await fn();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      if (!(failed && this.leakOnError)) permit.release();
    }
  }

  private permit(count: number): Permit {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.free += count;
        this.grantWaiters();
      },
    };
  }

  /** Serves the queue from its head while the head's request fits; stops at the first that does not. */
  private grantWaiters(): void {
    for (let head = this.queue.peek(); head !== undefined && this.free >= head.count; head = this.queue.peek()) {
      const waiter = this.queue.shift()!;
      this.free -= waiter.count;
      waiter.unsubscribe();
      waiter.grant(this.permit(waiter.count));
    }
  }

  /** A waiter's token fired: it leaves the queue (never having held a permit) and the queue moves on. */
  private withdraw(entry: QueueEntry<Waiter>, reason: string | undefined, reject: (error: Cancelled) => void): void {
    const wasHead = this.queue.isFirst(entry);
    if (!this.queue.remove(entry)) return; // already granted: the grant is final
    reject(new Cancelled(reason));
    if (wasHead) this.grantWaiters();
  }
}

function noop(): void {}

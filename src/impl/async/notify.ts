/**
 * Notify: wake one or all waiting tasks, without lost wake-ups (seed item 7: an awaitable Notify instead
 * of a spin on yield).
 */
import { Cancelled, type CancellationToken } from './cancellation.ts';
import { WaitQueue } from './wait-queue.ts';

/** Options of a `Notify`. `weaken` selects a deliberately broken behaviour for checks; never the default. */
export interface NotifyOptions {
  /** 'lose-stored-permit': `notifyOne` with no waiter is dropped (the lost wake-up the checks must catch). */
  weaken?: 'lose-stored-permit';
}

interface Waiter {
  readonly wake: () => void;
  /** Unregisters the waiter's cancellation listener (set once queued). */
  unsubscribe: () => void;
}

/**
 * tokio's `Notify`: a task awaits `notified()`, another calls `notifyOne()` or `notifyWaiters()`.
 *
 * - `notifyOne()` wakes the oldest waiter; with no waiter it stores one permit (at most one, however many
 *   calls), which the next `notified()` consumes at once. So "check a condition, then await" never misses
 *   a notification sent in between, provided `notified()` is called before the check or the sender uses
 *   `notifyOne`.
 * - `notifyWaiters()` wakes every task waiting now and stores nothing: later `notified()` calls wait.
 * - A waiter registers when `notified()` is called (not when awaited), in FIFO order. A waiter whose token
 *   fires leaves the queue and rejects with `Cancelled`, so a wake-up is never spent on a waiter that left.
 */
export class Notify {
  private stored = false;
  private readonly queue = new WaitQueue<Waiter>();
  private readonly loseStoredPermit: boolean;

  constructor(opts: NotifyOptions = {}) {
    this.loseStoredPermit = opts.weaken === 'lose-stored-permit';
  }

  /** Tasks waiting now. */
  get waiting(): number {
    return this.queue.size;
  }

  /** True if a `notifyOne` is stored for the next `notified()`. */
  get hasPermit(): boolean {
    return this.stored;
  }

  /** Resolves at the next notification (at once if a permit is stored, consuming it). */
  notified(token?: CancellationToken): Promise<void> {
    if (token?.cancelled) return Promise.reject(new Cancelled(token.reason));
    if (this.stored) {
      this.stored = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { wake: resolve, unsubscribe: noop };
      const entry = this.queue.push(waiter);
      if (token) {
        waiter.unsubscribe = token.onCancel((reason) => {
          if (this.queue.remove(entry)) reject(new Cancelled(reason)); // else already woken
        });
      }
    });
  }

  /** Wakes the oldest waiter, or stores one permit if nobody waits. */
  notifyOne(): void {
    const waiter = this.queue.shift();
    if (waiter) {
      waiter.unsubscribe();
      waiter.wake();
    } else if (!this.loseStoredPermit) {
      this.stored = true;
    }
  }

  /** Wakes every current waiter; stores nothing. */
  notifyWaiters(): void {
    for (const waiter of this.queue.drain()) {
      waiter.unsubscribe();
      waiter.wake();
    }
  }
}

function noop(): void {}

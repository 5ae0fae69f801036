/**
 * Cooperative cancellation: a token that code polls (`cancelled`, `throwIfCancelled`) or awaits
 * (`whenCancelled`, `onCancel`), with child tokens cancelled together with their parent.
 */

/** The error a cancelled wait rejects with; `reason` is the token's reason. */
export class Cancelled extends Error {
  override name = 'Cancelled';
  constructor(readonly reason?: string) {
    super(reason === undefined ? 'cancelled' : `cancelled: ${reason}`);
  }
}

/**
 * A cancellation signal shared by a job and everything it started (tokio-util's CancellationToken).
 *
 * - `cancel()` is idempotent: the first reason wins and listeners run once, in registration order.
 * - A child is cancelled with its parent (with the parent's reason), never the other way round.
 * - Listeners are released when they run, when their unsubscribe function is called, or when the token
 *   is cancelled, so a long-lived token does not accumulate listeners of finished waits (no leak).
 *   `whenCancelled()` hands every caller one shared promise, so calling it in a loop adds nothing either.
 */
export class CancellationToken {
  private isCancelled = false;
  private cancelReason: string | undefined;
  private listeners = new Set<(reason: string | undefined) => void>();
  private waiting: Promise<void> | undefined;
  private resolveWaiting: (() => void) | undefined;
  /** Unsubscribes this token from its parent (set for children only). */
  private detachFromParent: (() => void) | undefined;

  /** True once cancelled (directly or through a parent). */
  get cancelled(): boolean {
    return this.isCancelled;
  }

  /** The reason given to the first `cancel` (undefined if none or not cancelled). */
  get reason(): string | undefined {
    return this.cancelReason;
  }

  /** Listeners currently registered (for leak checks in tests). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Cancels this token and its children; the first call wins, later calls do nothing. */
  cancel(reason?: string): void {
    if (this.isCancelled) return;
    this.isCancelled = true;
    this.cancelReason = reason;
    this.detach();
    const listeners = [...this.listeners];
    this.listeners.clear();
    this.resolveWaiting?.();
    this.resolveWaiting = undefined;
    // Every listener runs even if one throws; the first error is rethrown after all ran.
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener(reason);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Resolves when the token is cancelled (at once if it already is); the same promise for every caller. */
  whenCancelled(): Promise<void> {
    if (this.isCancelled) return Promise.resolve();
    this.waiting ??= new Promise<void>((resolve) => {
      this.resolveWaiting = resolve;
    });
    return this.waiting;
  }

  /**
   * Calls `fn(reason)` once when the token is cancelled (synchronously, now, if it already is). Returns a
   * function that unregisters it: call it when the wait it guards ends, or the listener stays registered
   * until cancellation.
   */
  onCancel(fn: (reason: string | undefined) => void): () => void {
    if (this.isCancelled) {
      fn(this.cancelReason);
      return noop;
    }
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** A new token cancelled when this one is (and cancellable on its own without affecting this one). */
  child(): CancellationToken {
    const child = new CancellationToken();
    child.detachFromParent = this.onCancel((reason) => child.cancel(reason));
    return child;
  }

  /**
   * Unregisters this token from its parent without cancelling it. For children whose work finished while
   * the parent lives on (`spawn` does it when a task settles), so the parent does not keep them forever.
   */
  detach(): void {
    this.detachFromParent?.();
    this.detachFromParent = undefined;
  }

  /** Throws `Cancelled` if the token is cancelled. */
  throwIfCancelled(): void {
    if (this.isCancelled) throw new Cancelled(this.cancelReason);
  }
}

function noop(): void {}

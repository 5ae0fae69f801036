/**
 * A watch channel: one latest value that receivers borrow and wait to change (seed item 7: the latest
 * value plus waiting receivers, no polling).
 */

/** The sending side of a watch channel. */
export interface WatchSender<T> {
  /** Replaces the value and wakes receivers waiting in `changed`. Throws after `close`. */
  send(v: T): void;
  /** Closes the channel: the value stays readable, `changed` returns false once the last version was seen. */
  close(): void;
}

/** One receiver of a watch channel, remembering the last version it looked at. */
export interface WatchReceiver<T> {
  /** The latest value (does not mark it seen: a later `changed()` may resolve for a version read here). */
  borrow(): T;
  /** The latest value, marking its version seen (the next `changed()` waits for a newer one). */
  borrowAndUpdate(): T;
  /** Resolves true when a version newer than the last one this receiver saw exists (marking it seen),
   *  false when the channel is closed and nothing newer is left. */
  changed(): Promise<boolean>;
}

/**
 * A channel holding one value with a version number (tokio's `watch`).
 *
 * - `changed()` resolves true at once if the value changed since this receiver last looked, else at the
 *   next `send`; several sends in between count as one change (a receiver is told that the value moved,
 *   not how many times). After it resolved, `borrow()` returns the latest value, so a receiver never
 *   misses the latest value, though it may skip intermediate ones.
 * - A new receiver has seen the current version.
 * - After `close()`, a pending `changed()` resolves false, and so does every later call once the receiver
 *   saw the last version.
 */
export function watch<T>(initial: T): { sender: WatchSender<T>; receiver(): WatchReceiver<T> } {
  let value = initial;
  let version = 0;
  let closed = false;
  let waiters: (() => void)[] = [];
  const wakeAll = (): void => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  const sender: WatchSender<T> = {
    send(v) {
      if (closed) throw new Error('watch: send after close');
      value = v;
      version += 1;
      wakeAll();
    },
    close() {
      if (closed) return;
      closed = true;
      wakeAll();
    },
  };
  const receiver = (): WatchReceiver<T> => {
    let seen = version;
    return {
      borrow: () => value,
      borrowAndUpdate: () => {
        seen = version;
        return value;
      },
      async changed() {
        // Each pass waits for a send or the close: the loop never runs without one.
        for (;;) {
          if (version > seen) {
            seen = version;
            return true;
          }
          if (closed) return false;
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
      },
    };
  };
  return { sender, receiver };
}

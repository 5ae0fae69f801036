/**
 * A bounded broadcast channel with lag detection (seed item 8: receivers await wake-ups instead of
 * spinning, keep an index into a ring, learn when they lagged, and resolve when the channel closes).
 */

/** What `recv` returns: a value, a report that values were overwritten before this receiver read them, or the end. */
export type Recv<T> = { kind: 'value'; value: T } | { kind: 'lagged'; missed: number } | { kind: 'closed' };

/** The sending side of a broadcast channel. */
export interface BroadcastSender<T> {
  /** Appends `v` for every receiver and returns how many receivers are subscribed. Throws after `close`. */
  send(v: T): number;
  /** Closes the channel: receivers drain what they have not read, then get `{ kind: 'closed' }`. */
  close(): void;
  /** A new receiver that sees the values sent from now on. */
  subscribe(): BroadcastReceiver<T>;
}

/** One receiver of a broadcast channel, with its own read position. */
export interface BroadcastReceiver<T> {
  /** The next value for this receiver, a lag report, or `closed` (waits while there is nothing new). */
  recv(): Promise<Recv<T>>;
  /** Unsubscribes: this receiver no longer counts in `send`, and its `recv` returns `closed`. */
  unsubscribe(): void;
}

/** Options of `broadcast`. `weaken` selects a deliberately broken behaviour for checks; never the default. */
export interface BroadcastOptions {
  /** 'silent-lag': a receiver that fell behind skips ahead without a `lagged` report (the bug to catch). */
  weaken?: 'silent-lag';
}

/**
 * A channel of capacity `capacity` (tokio's `broadcast`): every receiver sees every value sent after it
 * subscribed, in order, as long as it keeps within `capacity` values of the sender.
 *
 * - The channel keeps the last `capacity` values in a ring. A receiver that fell further behind gets
 *   `{ kind: 'lagged', missed }` once, where `missed` is exactly the number of values it will never see,
 *   then continues from the oldest value still kept. Senders never wait for slow receivers.
 * - After `close()`, a receiver first reads what it has not read yet (a lag report included), then gets
 *   `{ kind: 'closed' }` on every call; receivers waiting in `recv` at the close resolve with it at once.
 * - A waiting `recv` is woken by the next `send` or `close`, never by polling.
 */
export function broadcast<T>(
  capacity: number,
  opts: BroadcastOptions = {},
): { sender: BroadcastSender<T>; subscribe(): BroadcastReceiver<T> } {
  const channel = new Channel<T>(capacity, opts.weaken === 'silent-lag');
  const sender: BroadcastSender<T> = {
    send: (v) => channel.send(v),
    close: () => channel.close(),
    subscribe: () => channel.subscribe(),
  };
  return { sender, subscribe: () => channel.subscribe() };
}

/** The shared state of one channel: the ring, the sequence number of the next value, the waiting receivers. */
class Channel<T> {
  private readonly ring: T[] = [];
  /** Sequence number the next sent value gets (values are numbered 0, 1, 2, ... since creation). */
  private head = 0;
  private closed = false;
  private receivers = 0;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly capacity: number,
    private readonly silentLag: boolean,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`broadcast: capacity must be an integer >= 1, got ${capacity}`);
  }

  send(v: T): number {
    if (this.closed) throw new Error('broadcast: send after close');
    this.ring[this.head % this.capacity] = v;
    this.head += 1;
    this.wakeAll();
    return this.receivers;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeAll();
  }

  subscribe(): BroadcastReceiver<T> {
    this.receivers += 1;
    let next = this.head; // a new receiver sees only what is sent from now on
    let subscribed = true;
    const poll = (): Recv<T> | undefined => {
      if (!subscribed) return { kind: 'closed' };
      const oldest = Math.max(0, this.head - this.capacity);
      if (next < oldest) {
        const missed = oldest - next;
        next = oldest;
        if (!this.silentLag) return { kind: 'lagged', missed };
      }
      if (next < this.head) {
        const value = this.ring[next % this.capacity]!;
        next += 1;
        return { kind: 'value', value };
      }
      return this.closed ? { kind: 'closed' } : undefined;
    };
    const recv = async (): Promise<Recv<T>> => {
      // Each pass waits for a send, a close or an unsubscribe: the loop never runs without one.
      for (;;) {
        const result = poll();
        if (result) return result;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    };
    const unsubscribe = (): void => {
      if (!subscribed) return;
      subscribed = false;
      this.receivers -= 1;
      this.wakeAll(); // its pending recv calls resolve `closed`
    };
    return { recv, unsubscribe };
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

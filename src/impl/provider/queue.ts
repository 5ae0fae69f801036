/**
 * The bounded priority work queue between discovery (the producer) and processing (the workers) of one
 * job: at most `capacity` items, High before Normal, first in first out within a priority.
 *
 * - `push` waits while the queue is full (discovery stops reading the provider until workers catch up);
 *   `take` waits while it is empty and resolves null once it is closed and drained.
 * - `close` ends the pushes: a push after it, or one still waiting for room, rejects with `QueueClosed`
 *   (an item accepted after the takers drained the queue and left would never be taken).
 * - Waits are `Notify`s, never polls: a push wakes one taker, a take wakes one pusher, `close` wakes
 *   every taker and every pusher. Both waits end with `Cancelled` when the job's token fires.
 * - Each push and take is traced (`provider.queue.push` / `.take` with the job id), so a check can count
 *   the queue's length itself instead of trusting a size the queue reports.
 */
import { Notify, type CancellationToken } from '../async/index.ts';
import type { Env } from '../env.ts';
import type { FileMeta } from './messages.ts';

/** Priorities: changes from the feed go first. */
export type Priority = 'high' | 'normal';

/** One file to download, tag and persist. */
export interface WorkItem {
  meta: FileMeta;
  /** A move: the library may already hold the content. */
  move: boolean;
}

/** What `push` rejects with once the queue is closed: nothing is added after `close`. */
export class QueueClosed extends Error {
  override name = 'QueueClosed';
}

/** The work queue of one job. */
export class WorkQueue {
  private readonly high: WorkItem[] = [];
  private readonly normal: WorkItem[] = [];
  private closed = false;
  private readonly itemReady = new Notify();
  private readonly roomReady = new Notify();

  constructor(
    private readonly env: Env,
    private readonly job: number,
    private readonly capacity: number,
    /** Weakened variant provider-unbounded-queue: push never waits. */
    private readonly unbounded = false,
  ) {}

  get length(): number {
    return this.high.length + this.normal.length;
  }

  /** Adds an item, waiting for room first; rejects with `QueueClosed` if the queue is or gets closed. */
  async push(item: WorkItem, priority: Priority, token: CancellationToken): Promise<void> {
    if (this.full()) this.env.trace.probe('provider.queue-full');
    while (this.full()) await this.roomReady.notified(token);
    if (this.closed) throw new QueueClosed(`work queue of job ${this.job} is closed: ${item.meta.id} not queued`);
    (priority === 'high' ? this.high : this.normal).push(item);
    this.env.trace.emit('provider.queue.push', { job: this.job, id: item.meta.id, priority });
    this.itemReady.notifyOne();
  }

  /** The next item, or null once the queue is closed and empty. */
  async take(token: CancellationToken): Promise<WorkItem | null> {
    for (;;) {
      const item = this.high.shift() ?? this.normal.shift();
      if (item !== undefined) {
        this.env.trace.emit('provider.queue.take', { job: this.job, id: item.meta.id });
        this.roomReady.notifyOne();
        return item;
      }
      if (this.closed) return null;
      await this.itemReady.notified(token);
    }
  }

  /** No more pushes: takers drain what is left and then get null; waiting pushers reject. */
  close(): void {
    this.closed = true;
    this.itemReady.notifyWaiters();
    this.roomReady.notifyWaiters();
  }

  /** A push must wait: open, bounded and at capacity. */
  private full(): boolean {
    return !this.closed && !this.unbounded && this.length >= this.capacity;
  }
}

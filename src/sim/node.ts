/**
 * A simulated node: one process (a server, a peer device's app, or a browser tab) on a device.
 *
 * Lifecycle: down -> running <-> paused; running/paused -> down by crash or stop; down -> running by
 * (re)start. Each start is a new *incarnation*. Everything the simulator delivers to a node (timer fires,
 * disk completions, messages) goes through `deliver(inc, fn)`, which
 * - drops it if the incarnation is dead (a crashed process's pending promises never settle),
 * - queues it while the node is paused (a frozen tab gets everything on resume, in order),
 * - runs it otherwise, turning a synchronous exception into a crash verdict for the run.
 *
 * Env facets are built per incarnation and check `isLive(inc)` on every call, so code of a dead
 * incarnation that still holds a reference to its env can do nothing.
 */
import type { Env } from '../impl/env.ts';
import type { NodeClock } from './clock.ts';
import type { Task } from './scheduler.ts';

/** Node status. */
export type NodeStatus = 'down' | 'running' | 'paused';

/** The program a node runs: receives its Env, may return a handle for the workload (e.g. an API object). */
export type NodeProgram = (env: Env) => unknown;

/** What a node needs from its simulation (kept narrow so subsystems can be tested alone). */
export interface NodeHost {
  /** Virtual time, µs. */
  nowUs(): number;
  /** Schedules a raw event. */
  after(delayUs: number, fn: Task): number;
  /** Cancels a raw event. */
  cancel(id: number): void;
  /** Records that code running on `node` threw (a crash verdict). */
  nodeThrew(node: SimNode, error: unknown): void;
  /** Marks `node` as the owner of the event running now (see Scheduler.owner). */
  own?(node: SimNode): void;
}

/** A simulated node. */
export class SimNode {
  status: NodeStatus = 'down';
  /** Incarnation number; bumped on every start. -1 before the first start. */
  incarnation = -1;
  /** The handle the program returned (after its promise resolved), for workloads. */
  handle: unknown = undefined;
  /** The current incarnation's env, or null while down. */
  env: Env | null = null;
  /**
   * While down, the env of the incarnation that died (null before the first start). A crash cannot cut the
   * JavaScript task that was running short: the rest of it still runs, and the globals it calls (timers,
   * BroadcastChannel, navigator.locks, WebSocket: src/sim/world.ts) are this env's, which does nothing,
   * as the env it holds itself does.
   */
  deadEnv: Env | null = null;
  /** Live timers of the current incarnation: timer id -> scheduler event id. */
  readonly timers = new Map<number, number>();
  /** Deliveries waiting for the node: queued while paused, drained in order after resume. */
  private backlog: Task[] = [];
  private nextTimerId = 1;

  constructor(
    readonly id: string,
    readonly deviceId: string,
    readonly clock: NodeClock,
    readonly program: NodeProgram,
    private readonly host: NodeHost,
  ) {}

  /** True when `inc` is the current incarnation and the process is up (running or paused). */
  isLive(inc: number): boolean {
    return inc === this.incarnation && this.status !== 'down';
  }

  /**
   * Runs `fn` for incarnation `inc` now, later (paused, or while an earlier backlog drains), or never
   * (dead). Deliveries to one node always run in the order they were delivered.
   */
  deliver(inc: number, fn: Task): void {
    if (inc !== this.incarnation || this.status === 'down') return;
    if (this.status === 'paused' || this.backlog.length > 0) {
      this.backlog.push(fn);
      // While running, a backlog is being drained one event at a time: add one drain event for this item.
      if (this.status === 'running') this.host.after(0, () => this.drainOne(inc));
      return;
    }
    this.run(fn);
  }

  private run(fn: Task): void {
    this.host.own?.(this);
    try {
      fn();
    } catch (e) {
      this.host.nodeThrew(this, e);
    }
  }

  /** Runs the oldest backlog item, if the node is running (a paused node keeps its backlog). */
  private drainOne(inc: number): void {
    if (!this.isLive(inc) || this.status !== 'running') return;
    const fn = this.backlog.shift();
    if (fn !== undefined) this.run(fn);
  }

  /** Schedules `fn` for incarnation `inc` after `delayUs` of true time. */
  after(inc: number, delayUs: number, fn: Task): number {
    return this.host.after(delayUs, () => this.deliver(inc, fn));
  }

  /** A timer on this node's monotonic clock; `repeat` makes it an interval. Returns a timer id. */
  setTimer(inc: number, ms: number, repeat: boolean, fn: Task): number {
    if (!this.isLive(inc)) return 0;
    const timerId = this.nextTimerId++;
    this.armTimer(inc, timerId, ms, repeat, fn);
    return timerId;
  }

  /** Schedules the next firing of timer `timerId` (an interval re-arms itself when it fires). */
  private armTimer(inc: number, timerId: number, ms: number, repeat: boolean, fn: Task): void {
    const ev = this.after(inc, this.clock.trueDelayUs(ms), () => {
      if (!this.timers.has(timerId)) return;
      if (repeat) this.armTimer(inc, timerId, ms, repeat, fn);
      else this.timers.delete(timerId);
      fn();
    });
    this.timers.set(timerId, ev);
  }

  /** Cancels a timer of the current incarnation. */
  clearTimer(timerId: number): void {
    const ev = this.timers.get(timerId);
    if (ev === undefined) return;
    this.host.cancel(ev);
    this.timers.delete(timerId);
  }

  /** Marks a new incarnation as running. */
  beginIncarnation(): number {
    this.incarnation++;
    this.status = 'running';
    this.backlog = [];
    this.handle = undefined;
    this.clock.boot();
    return this.incarnation;
  }

  /** Ends the current incarnation: timers die, queued deliveries are dropped. */
  endIncarnation(): void {
    for (const ev of this.timers.values()) this.host.cancel(ev);
    this.timers.clear();
    this.backlog = [];
    this.status = 'down';
    this.deadEnv = this.env;
    this.env = null;
    this.handle = undefined;
  }

  /** Freezes the node: deliveries queue until resume. Its clock keeps running. */
  pause(): void {
    if (this.status === 'running') this.status = 'paused';
  }

  /**
   * Unfreezes the node: queued deliveries run as separate events from now on, oldest first, and anything
   * delivered meanwhile waits behind them.
   */
  resume(): void {
    if (this.status !== 'paused') return;
    this.status = 'running';
    const inc = this.incarnation;
    for (let i = 0; i < this.backlog.length; i++) this.host.after(0, () => this.drainOne(inc));
  }
}

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

/**
 * Task sources a fault can make late (the `taskDelay` fault): a tab's BroadcastChannel messages ('bus') and
 * its lock manager's callbacks ('lock': a grant, a denial, a steal's rejection). In a browser each is a task
 * source of its own, and the event loop may run other sources' tasks first (IndexedDB results, timers).
 */
export type TaskSource = 'bus' | 'lock';

/** A task of a late source, waiting for its turn: it runs at `dueUs` or after the source's earlier tasks. */
interface LateTask {
  fn: Task;
  dueUs: number;
}

/** One source's lateness on a node: the delay while a fault lasts, and the tasks it holds back. */
interface LateSource {
  /** Delay added to a task delivered while the fault lasts (µs); 0 once it ended. */
  delayUs: number;
  /** Tasks delivered late that have not run yet, oldest first (their delivery may still sit in the backlog). */
  waiting: number;
  /** Tasks whose turn has come, oldest first: each runs at its `dueUs`, never before the one ahead of it. */
  queue: LateTask[];
}

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
  /** Task sources made late by a fault (taskDelay), or that still hold late tasks; null: none (the usual case). */
  private late: Map<TaskSource, LateSource> | null = null;
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

  /**
   * `deliver` for a task of `source`. Without a taskDelay fault on that source it is `deliver`. While one
   * lasts, the task, once the node could run it (at once, or on resume), waits the fault's delay more;
   * tasks of one source keep their order (a task delivered after the fault ended still waits behind the
   * late ones), and other sources' tasks run meanwhile.
   */
  deliverFrom(source: TaskSource, inc: number, fn: Task): void {
    const late = this.late?.get(source);
    if (late === undefined || (late.delayUs === 0 && late.waiting === 0)) {
      this.deliver(inc, fn);
      return;
    }
    const delayUs = late.delayUs;
    late.waiting++;
    this.deliver(inc, () => this.holdLate(source, late, inc, { fn, dueUs: this.host.nowUs() + delayUs }));
  }

  /** `after` for a task of `source` (see deliverFrom). */
  afterFrom(source: TaskSource, inc: number, delayUs: number, fn: Task): number {
    return this.host.after(delayUs, () => this.deliverFrom(source, inc, fn));
  }

  /** Sets the delay of `source`'s tasks delivered from now on (0: on time again). Called by the fault injector. */
  setTaskDelay(source: TaskSource, delayUs: number): void {
    if (this.late === null) this.late = new Map();
    const late = this.late.get(source);
    if (late !== undefined) late.delayUs = delayUs;
    else if (delayUs > 0) this.late.set(source, { delayUs, waiting: 0, queue: [] });
  }

  /** A late task's delivery ran: it joins its source's queue and runs at its due time, in order. */
  private holdLate(source: TaskSource, late: LateSource, inc: number, task: LateTask): void {
    if (this.late?.get(source) !== late) return; // a new incarnation dropped the late tasks
    late.queue.push(task);
    if (late.queue.length === 1) this.runLateAt(late, inc);
  }

  /** Schedules the run of the queue's head at its due time (now if it is past). */
  private runLateAt(late: LateSource, inc: number): void {
    const head = late.queue[0]!;
    this.after(inc, Math.max(0, head.dueUs - this.host.nowUs()), () => {
      if (late.queue[0] !== head) return;
      late.queue.shift();
      late.waiting--;
      if (late.queue.length > 0) this.runLateAt(late, inc);
      head.fn();
    });
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
    this.dropLateTasks();
    this.status = 'down';
    this.deadEnv = this.env;
    this.env = null;
    this.handle = undefined;
  }

  /** Drops the late tasks of a dead incarnation (the delays of faults still lasting stay). */
  private dropLateTasks(): void {
    if (this.late === null) return;
    const kept = new Map<TaskSource, LateSource>();
    for (const [source, late] of this.late) if (late.delayUs > 0) kept.set(source, { delayUs: late.delayUs, waiting: 0, queue: [] });
    this.late = kept;
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

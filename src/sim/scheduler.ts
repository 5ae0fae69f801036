/**
 * The discrete-event scheduler: integer virtual time (microseconds), events ordered by (time, insertion
 * order), and deterministic driving of async/await code.
 *
 * The guarantee that makes async code deterministic: **all promise continuations caused by one event run
 * before the next event is taken, and virtual time does not advance in between.** We get it by draining
 * V8's microtask queue after every event:
 *
 * - Fast path: V8's `%PerformMicrotaskCheckpoint()` called synchronously after each event, from inside a
 *   macrotask (a `setImmediate` callback). It silently does nothing when called from inside a microtask,
 *   so every slice starts with a probe that proves it works; if it does not, we fall back.
 * - Fallback: after each event, a `process.nextTick` armed from a resolved-promise callback. A nextTick
 *   only runs once the microtask queue is empty, so the next event waits for every continuation.
 *
 * Both give identical trace hashes (test/sim/determinism.test.ts runs the same seeds with each). Code running inside the
 * simulation must not use `setImmediate` or real timers: no drain covers those queues (the simulation traps
 * them while it runs, see `world.ts`). `process.nextTick` callbacks queued inside a slice are kept by the
 * scheduler and run after the event that queued them, before its microtasks, as Node orders them
 * (`queueTick`, `settle`).
 *
 * The heap lives in typed arrays (one per field), 1.3-1.9x faster than an array of objects.
 */
import v8 from 'node:v8';
import { realNextTick } from './world.ts';

/** A scheduled callback. */
export type Task = () => void;

/** Why a call to `run` stopped. */
export type StopReason = 'quiescent' | 'deadline' | 'budget' | 'stopped';

/** Limits for one call to `run`. */
export interface RunLimits {
  /** Stop before taking an event scheduled after this virtual time (µs). */
  untilUs?: number;
  /** Stop after this many events in total (the run's event budget). */
  maxEvents?: number;
}

type Checkpoint = () => void;

let checkpointFn: Checkpoint | null | undefined;

/** V8's synchronous microtask checkpoint, or null where natives syntax cannot be enabled. */
function v8Checkpoint(): Checkpoint | null {
  if (checkpointFn !== undefined) return checkpointFn;
  try {
    v8.setFlagsFromString('--allow-natives-syntax');
    checkpointFn = new Function('%PerformMicrotaskCheckpoint()') as Checkpoint;
  } catch {
    checkpointFn = null;
  } finally {
    v8.setFlagsFromString('--no-allow-natives-syntax');
  }
  return checkpointFn;
}

/** True when the synchronous checkpoint actually drains microtasks in the current context. */
function checkpointWorksHere(cp: Checkpoint): boolean {
  let ran = false;
  void Promise.resolve().then(() => {
    ran = true;
  });
  cp();
  return ran;
}

/** Options for a Scheduler. */
export interface SchedulerOptions {
  /** Events per slice before yielding to the real event loop (keeps progress bars and workers alive). */
  sliceEvents?: number;
  /** Force the portable nextTick drain (for tests comparing both techniques). */
  forceNextTickDrain?: boolean;
  /** Called synchronously before each slice of events runs (the world installs its traps here). */
  onSliceStart?: () => void;
  /** Called synchronously after each slice (the world removes its traps here). */
  onSliceEnd?: () => void;
  /** Called when a queued nextTick callback throws (the simulation records a crash). */
  onTickError?: (error: unknown) => void;
}

/**
 * Deterministic discrete-event scheduler. Not reentrant: `run` must not be called from a task.
 */
export class Scheduler {
  /** Current virtual time in microseconds. */
  now = 0;
  /** Events taken so far (all calls to `run`). */
  events = 0;

  private cap = 1024;
  private size = 0;
  private hTime = new Float64Array(this.cap);
  private hSeq = new Float64Array(this.cap);
  private hFn: (Task | undefined)[] = new Array(this.cap);
  private seq = 0;
  private cancelled = new Set<number>();
  private running = false;
  /**
   * Whose code the current event runs (a node sets itself when it runs a callback: SimNode.run), null for
   * the simulator's own events. Reset before every event and kept through the microtasks drained after it,
   * so a node's `await` continuations still see it (the globals of foreign code follow it: world.ts).
   */
  owner: unknown = null;
  private stopRequested = false;
  private failure: unknown = undefined;
  private readonly sliceEvents: number;
  private readonly forceNextTick: boolean;
  private readonly onSliceStart: (() => void) | undefined;
  private readonly onSliceEnd: (() => void) | undefined;
  private readonly onTickError: (error: unknown) => void;
  /** process.nextTick callbacks queued by the current event (V8 drain), run after its microtasks. */
  private ticks: (() => void)[] = [];
  /** Which drain the last slice used ('v8' or 'nextTick'), for benchmarks and tests. */
  drainUsed: 'v8' | 'nextTick' | 'none' = 'none';

  constructor(options: SchedulerOptions = {}) {
    this.sliceEvents = options.sliceEvents ?? 50_000;
    this.forceNextTick = options.forceNextTickDrain ?? false;
    this.onSliceStart = options.onSliceStart;
    this.onSliceEnd = options.onSliceEnd;
    this.onTickError =
      options.onTickError ??
      ((e) => {
        throw e;
      });
  }

  /** Number of events waiting (cancelled ones included until they surface). */
  get pending(): number {
    return this.size;
  }

  /** Time (µs) of the next event, or Infinity. */
  peekTime(): number {
    return this.size > 0 ? this.hTime[0]! : Infinity;
  }

  /** Schedules `fn` after `delayUs` µs (rounded up to an integer, at least 0). Returns an id for cancel. */
  after(delayUs: number, fn: Task): number {
    const d = delayUs > 0 ? Math.ceil(delayUs) : 0;
    return this.at(this.now + d, fn);
  }

  /** Schedules `fn` at virtual time `timeUs` (not before now). Returns an id for cancel. */
  at(timeUs: number, fn: Task): number {
    const t = timeUs < this.now ? this.now : Math.ceil(timeUs);
    const id = this.seq++;
    if (this.size === this.cap) this.grow();
    let i = this.size++;
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = this.hTime[p]!;
      if (pt < t || (pt === t && this.hSeq[p]! < id)) break;
      this.hTime[i] = pt;
      this.hSeq[i] = this.hSeq[p]!;
      this.hFn[i] = this.hFn[p];
      i = p;
    }
    this.hTime[i] = t;
    this.hSeq[i] = id;
    this.hFn[i] = fn;
    return id;
  }

  /** Cancels a scheduled event; cancelling a fired or unknown id does nothing. */
  cancel(id: number): void {
    if (id >= 0 && id < this.seq) this.cancelled.add(id);
  }

  /** Asks a running `run` to stop after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Fails the run: `run` rejects with `error` after the current event. Used when a task detects a
   * broken invariant of the simulator itself.
   */
  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error ?? new Error('scheduler failed');
    this.stopRequested = true;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const t = new Float64Array(cap);
    t.set(this.hTime);
    const s = new Float64Array(cap);
    s.set(this.hSeq);
    this.hTime = t;
    this.hSeq = s;
    this.hFn.length = cap;
    this.cap = cap;
  }

  /** Removes the top of the heap and returns its task (undefined if cancelled). */
  private pop(): Task | undefined {
    const id = this.hSeq[0]!;
    const fn = this.hFn[0];
    this.now = this.hTime[0]!;
    const n = --this.size;
    if (n > 0) {
      const lt = this.hTime[n]!;
      const ls = this.hSeq[n]!;
      const lf = this.hFn[n];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n) {
          const rt = this.hTime[r]!;
          const ltc = this.hTime[l]!;
          if (rt < ltc || (rt === ltc && this.hSeq[r]! < this.hSeq[l]!)) c = r;
        }
        const ct = this.hTime[c]!;
        if (lt < ct || (lt === ct && ls < this.hSeq[c]!)) break;
        this.hTime[i] = ct;
        this.hSeq[i] = this.hSeq[c]!;
        this.hFn[i] = this.hFn[c];
        i = c;
      }
      this.hTime[i] = lt;
      this.hSeq[i] = ls;
      this.hFn[i] = lf;
    }
    this.hFn[n] = undefined;
    if (this.cancelled.size > 0 && this.cancelled.delete(id)) return undefined;
    return fn;
  }

  /** True when the next event may be taken under `limits`. */
  private mayContinue(limits: RunLimits): StopReason | null {
    if (this.stopRequested) return 'stopped';
    if (this.size === 0) return 'quiescent';
    if (limits.untilUs !== undefined && this.hTime[0]! > limits.untilUs) return 'deadline';
    if (limits.maxEvents !== undefined && this.events >= limits.maxEvents) return 'budget';
    return null;
  }

  /**
   * Runs events until quiescence, the deadline, the event budget, or `stop()`. Async code driven by the
   * events runs to completion between events. Resolves with why it stopped; rejects if a task threw.
   */
  run(limits: RunLimits = {}): Promise<StopReason> {
    if (this.running) return Promise.reject(new Error('Scheduler.run is not reentrant'));
    this.running = true;
    this.stopRequested = false;
    return new Promise<StopReason>((resolve, reject) => {
      const finish = (reason: StopReason | null, error?: unknown): void => {
        this.running = false;
        if (this.failure !== undefined) {
          const f = this.failure;
          this.failure = undefined;
          reject(f);
        } else if (error !== undefined) reject(error);
        else resolve(reason ?? 'stopped');
      };
      const slice = (): void => {
        const cp = this.forceNextTick ? null : v8Checkpoint();
        this.onSliceStart?.();
        let reason: StopReason | null = null;
        try {
          if (cp !== null && checkpointWorksHere(cp)) {
            this.drainUsed = 'v8';
            reason = this.runSliceV8(cp, limits);
          } else {
            this.drainUsed = 'nextTick';
            this.runSliceNextTick(limits, (r, e) => {
              this.onSliceEnd?.();
              if (e !== undefined || r !== null) finish(r, e);
              else setImmediate(slice);
            });
            return;
          }
        } catch (e) {
          this.onSliceEnd?.();
          finish(null, e);
          return;
        }
        this.onSliceEnd?.();
        if (reason !== null) finish(reason);
        else setImmediate(slice);
      };
      setImmediate(slice);
    });
  }

  /** One slice with the synchronous V8 drain. Returns a stop reason, or null to continue later. */
  private runSliceV8(cp: Checkpoint, limits: RunLimits): StopReason | null {
    this.settle(cp); // continuations of whatever happened before the slice
    for (let k = 0; k < this.sliceEvents; k++) {
      const reason = this.mayContinue(limits);
      if (reason !== null) return reason;
      const fn = this.pop();
      if (fn === undefined) continue;
      this.events++;
      this.owner = null;
      fn();
      this.settle(cp);
    }
    return this.mayContinue(limits);
  }

  /**
   * Queues a `process.nextTick` callback made by code inside a slice. With the V8 drain it runs after the
   * current event's microtasks, then the microtasks it causes, as Node orders them; with the portable
   * drain it is a real nextTick, which Node runs before the drain's own.
   */
  queueTick(fn: () => void): void {
    if (this.drainUsed === 'nextTick') realNextTick(fn);
    else this.ticks.push(fn);
  }

  /**
   * Runs what the event caused, in Node's order: every queued nextTick callback (also those they queue),
   * then the microtasks, again until both are empty (usually just one checkpoint).
   */
  private settle(cp: Checkpoint): void {
    for (;;) {
      if (this.ticks.length > 0) {
        // Ticks queued by a tick join this pass (Node empties the whole nextTick queue first).
        const queue = this.ticks;
        for (let i = 0; i < queue.length; i++) {
          try {
            queue[i]!();
          } catch (e) {
            this.onTickError(e);
          }
        }
        this.ticks = [];
      }
      cp();
      if (this.ticks.length === 0) return;
    }
  }

  /** One slice with the portable nextTick drain; calls `done` once. */
  private runSliceNextTick(limits: RunLimits, done: (r: StopReason | null, e?: unknown) => void): void {
    let k = 0;
    const step = (): void => {
      try {
        const reason = this.mayContinue(limits);
        if (reason !== null) return done(reason);
        if (k++ >= this.sliceEvents) return done(null);
        const fn = this.pop();
        if (fn !== undefined) {
          this.events++;
          this.owner = null;
          fn();
        }
      } catch (e) {
        return done(null, e);
      }
      void Promise.resolve().then(arm);
    };
    const arm = (): void => {
      realNextTick(step);
    };
    void Promise.resolve().then(arm);
  }
}

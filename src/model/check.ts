/**
 * The check contract: what a model or an invariant may depend on, so that the same check runs live inside a
 * scenario and offline over a recorded trace (`syncbench check-trace`, a port's JSONL file).
 *
 * A *trace check* reads only a stream of trace records: the implementation's own records, the simulator's
 * (`node.*`, `net.*`, `fault.*`...), the ground truth the evidence recorders wrote into the trace (`fact.*`:
 * durable images, deliveries, true clocks) and the workload's own record (`workload.*`). It keeps its
 * per-run state in `ctx.runState` (the check object is shared by every run of a scenario), fails through
 * `ctx.fail`, and decides its
 * final verdict in `final`, which runs after the last record of a complete trace. It never sees the
 * `Simulation`, the implementation's handles or the host: a type error says so when one tries.
 *
 * Checks that need more (an implementation's in-memory view at the end of a run, the simulator's disks) are
 * *live* checks (`Check` in src/scenario/types.ts): they run in scenarios only, and check-trace lists them as
 * not run on a recorded trace.
 */
import type { TraceListener, TraceRecord } from '../sim/trace.ts';
import type { FailureKind } from '../sim/types.ts';

/** A stream of trace records to subscribe to: the live trace of a run, or a recorded one (recorded.ts). */
export interface TraceSource {
  /** Subscribes to records of one kind, or of every kind with '*'. Returns an unsubscribe function. */
  on(kind: string, listener: TraceListener): () => void;
  /** True when some listener subscribed to `kind` itself (not through '*'). */
  hasListener(kind: string): boolean;
}

/** What a trace check may use. `ScenarioContext` (live runs) extends it. */
export interface TraceContext {
  /** The records of the run, in order. */
  readonly trace: TraceSource;
  /** The run's seed (from the trace's `sim.begin` offline). */
  readonly seed: number;
  /** Virtual ms now: the time of the record being read (of the last record, in `final`). */
  nowMs(): number;
  /** Fails the run (the first failure wins; the rest of the trace is not read). */
  fail(kind: FailureKind, check: string, message: string, details?: Record<string, unknown>): void;
  /** The check evaluated `name` (one of its `covers`) on real input `n` times (see `Check.covers`). */
  exercised(name: string, n?: number): void;
  /**
   * Per-run memory of the trace checks of one run. Not the workload's `ScenarioContext.shared`: what the
   * workload keeps in memory is not in a recorded trace, so a trace check cannot read it (a workload tells
   * the checks what it did and was told through `workload.*` records).
   */
  readonly runState: Map<string, unknown>;
}

/** A check that reads only the trace: runs live and on recorded traces alike. */
export interface TraceCheck {
  /** Name used in failures, e.g. 'invariant:atomic-batch'. */
  name: string;
  /** Marks the check as trace-only (set by `traceCheck`). */
  readonly onTrace: true;
  // Function-typed properties, not methods: their parameters are checked strictly (a method's are
  // bivariant), so a `final(ctx: ScenarioContext)` that reads a node's handle is a type error here.
  /** Called before the first record: subscribe to trace kinds here (`ctx.trace.on`). */
  readonly setup?: (ctx: TraceContext) => void;
  /** Called after the last record of a complete trace, when nothing failed earlier. */
  readonly final?: (ctx: TraceContext) => void;
  /** The invariants this check evaluates (counted with `ctx.exercised`, reported as vacuous when never). */
  covers?: readonly string[];
}

/** Declares a trace check: the type keeps `setup` and `final` to what a recorded trace can give. */
export function traceCheck(check: Omit<TraceCheck, 'onTrace'>): TraceCheck {
  return { ...check, onTrace: true };
}

const DEVICES = 'check.devices';

/**
 * The device of every node, learned from the trace's `node.start {device}` records (what a live check would
 * ask the simulator). Call it first in `setup` (it subscribes on its first call in a run); read it later.
 */
export function devicesOf(ctx: TraceContext): ReadonlyMap<string, string> {
  let m = ctx.runState.get(DEVICES) as Map<string, string> | undefined;
  if (m === undefined) {
    const devices = new Map<string, string>();
    ctx.runState.set(DEVICES, devices);
    ctx.trace.on('node.start', (r) => {
      if (typeof r.data.device === 'string') devices.set(r.node, r.data.device);
    });
    m = devices;
  }
  return m;
}

const UP = 'check.up';

/**
 * The nodes whose process is up (started and neither crashed nor stopped since), learned from the trace's
 * `node.start`, `node.crash` and `node.stop` records. Call it first in `setup`; read it later.
 */
export function nodesUp(ctx: TraceContext): ReadonlySet<string> {
  let up = ctx.runState.get(UP) as Set<string> | undefined;
  if (up === undefined) {
    const set = new Set<string>();
    ctx.runState.set(UP, set);
    ctx.trace.on('node.start', (r) => void set.add(r.node));
    ctx.trace.on('node.crash', (r) => void set.delete(r.node));
    ctx.trace.on('node.stop', (r) => void set.delete(r.node));
    up = set;
  }
  return up;
}

/** Records as a TraceSource needs them: a recorded trace's records. */
export type { TraceRecord };

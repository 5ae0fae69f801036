/**
 * Model monitors: step an XState reference machine in lockstep with the trace, purely, and fail the run
 * when the implementation does something the model does not allow.
 *
 * A monitor subscribes only to the trace kinds its model cares about (stepping XState costs ~20 µs, see
 * shared/PERF-NOTES.md), maps each record to a model event for one model *instance* (usually a node or a
 * device), and steps that instance's snapshot with the pure `transition()`. An event the current state
 * cannot take (`snapshot.can(event)` is false) is a conformance failure naming the model, the instance,
 * the state, the event and the trace position.
 *
 * For finite machines (no context, no guards reading event payloads) transitions are memoised per
 * (state, event type), which makes stepping about as cheap as a Map lookup.
 *
 * Coverage: every state reached and every transition taken is counted, and so is every (state, fault
 * kind) pair: which faults were injected while some instance was in which state.
 */
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { TraceRecord } from '../sim/trace.ts';

/** A model event: XState event object. */
export interface ModelEvent {
  type: string;
  [key: string]: unknown;
}

/** What a monitor needs to know about a model. */
export interface ModelSpec {
  /** Short model name, e.g. 'recovery', 'election', 'backfill'. */
  name: string;
  /** The reference machine. */
  machine: AnyStateMachine;
  /** Trace kinds that can produce model events. */
  kinds: readonly string[];
  /** Maps a trace record to (instance, event), or null when the record means nothing to the model. */
  map(rec: TraceRecord): { instance: string; event: ModelEvent } | null;
  /** True when transitions depend only on (state, event type): enables memoisation. */
  finite?: boolean;
}

/** Coverage counts of one model across one or many runs (JSON-ready, mergeable). */
export interface ModelCoverage {
  model: string;
  /** State key -> times entered (initial entry included). */
  states: Record<string, number>;
  /** 'from|EVENT|to' -> times taken. */
  transitions: Record<string, number>;
  /** State key -> fault kind -> times a fault was injected while an instance was in that state. */
  stateFaults: Record<string, Record<string, number>>;
}

/** Where a monitor reports conformance failures. */
export interface MonitorSink {
  fail(failure: {
    kind: 'correctness';
    check: string;
    message: string;
    node?: string;
    traceIndex?: number;
    details?: Record<string, unknown>;
  }): void;
}

/** A readable key for a state value: 'idle', 'recovering.scan', 'a.x,b.y' for parallel states. */
export function stateKey(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => {
      const inner = stateKey(v);
      return inner === '' || inner === '{}' ? k : `${k}.${inner}`;
    })
    .join(',');
}

function bump(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}

/** Per machine: its initial snapshot and, for finite machines, the (state, event) -> next memo. */
const SHARED = new WeakMap<AnyStateMachine, { initial: AnyMachineSnapshot; memo: Map<string, AnyMachineSnapshot> }>();

/** Steps one model over the trace for any number of instances. */
export class ModelMonitor {
  /** Instance -> current snapshot. */
  readonly instances = new Map<string, AnyMachineSnapshot>();
  /** Coverage gathered by this monitor. */
  readonly coverage: ModelCoverage;
  private readonly memo: Map<string, AnyMachineSnapshot>;
  private readonly initial: AnyMachineSnapshot;
  private failed = false;

  constructor(
    readonly spec: ModelSpec,
    private readonly sink: MonitorSink,
  ) {
    this.coverage = { model: spec.name, states: {}, transitions: {}, stateFaults: {} };
    let shared = SHARED.get(spec.machine);
    if (shared === undefined) {
      shared = { initial: initialTransition(spec.machine)[0], memo: new Map() };
      SHARED.set(spec.machine, shared);
    }
    this.initial = shared.initial;
    // Finite machines' transitions depend only on (state, event type): one memo serves every run.
    this.memo = spec.finite ? shared.memo : new Map();
  }

  /** Subscribes to the trace; returns an unsubscribe function. */
  attach(trace: { on(kind: string, l: (r: TraceRecord) => void): () => void }): () => void {
    const offs = this.spec.kinds.map((k) => trace.on(k, (r) => this.onRecord(r)));
    return () => offs.forEach((off) => off());
  }

  /** The state key of an instance (its initial state if it has not been seen). */
  state(instance: string): string {
    return stateKey((this.instances.get(instance) ?? this.initial).value);
  }

  /** Feeds one trace record (attach() does this for subscribed kinds). */
  onRecord(rec: TraceRecord): void {
    if (this.failed) return;
    const m = this.spec.map(rec);
    if (m === null) return;
    this.step(m.instance, m.event, rec);
  }

  /** Records that a fault of `faultKind` was injected now, against every instance's current state. */
  noteFault(faultKind: string): void {
    const seen = new Set<string>();
    for (const snap of this.instances.values()) seen.add(stateKey(snap.value));
    if (seen.size === 0) seen.add(stateKey(this.initial.value));
    for (const s of seen) {
      const row = (this.coverage.stateFaults[s] ??= {});
      bump(row, faultKind);
    }
  }

  private current(instance: string): AnyMachineSnapshot {
    let snap = this.instances.get(instance);
    if (snap === undefined) {
      snap = this.initial;
      this.instances.set(instance, snap);
      bump(this.coverage.states, stateKey(snap.value));
    }
    return snap;
  }

  private step(instance: string, event: ModelEvent, rec: TraceRecord): void {
    const snap = this.current(instance);
    const from = stateKey(snap.value);
    let next: AnyMachineSnapshot | undefined;
    const memoKey = this.spec.finite ? `${from}\u0000${event.type}` : '';
    if (this.spec.finite) next = this.memo.get(memoKey);
    if (next === undefined) {
      if (!snap.can(event)) {
        this.failed = true;
        this.sink.fail({
          kind: 'correctness',
          check: `model:${this.spec.name}`,
          message:
            `model '${this.spec.name}' instance '${instance}' in state '${from}' cannot take event ` +
            `${event.type} (trace #${rec.i}, ${rec.node} ${rec.kind} at ${rec.t} µs)`,
          node: rec.node,
          traceIndex: rec.i,
          details: { model: this.spec.name, instance, state: from, event: event.type, record: rec },
        });
        return;
      }
      next = transition(this.spec.machine, snap, event)[0];
      if (this.spec.finite) this.memo.set(memoKey, next);
    }
    this.instances.set(instance, next);
    const to = stateKey(next.value);
    bump(this.coverage.transitions, `${from}|${event.type}|${to}`);
    if (to !== from) bump(this.coverage.states, to);
  }
}

/** Adds coverage `b` into `a` (same model). */
export function mergeCoverage(a: ModelCoverage, b: ModelCoverage): ModelCoverage {
  for (const [k, v] of Object.entries(b.states)) bump(a.states, k, v);
  for (const [k, v] of Object.entries(b.transitions)) bump(a.transitions, k, v);
  for (const [s, row] of Object.entries(b.stateFaults)) {
    const into = (a.stateFaults[s] ??= {});
    for (const [f, n] of Object.entries(row)) bump(into, f, n);
  }
  return a;
}

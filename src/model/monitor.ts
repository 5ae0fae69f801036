/**
 * Model monitors: step an XState reference machine in lockstep with the trace, purely, and fail the run
 * when the implementation does something the model does not allow.
 *
 * A monitor subscribes to the trace kinds its model reads, maps each record to model events for one or
 * more model *instances* (a node, a device, a request id...), and steps each instance's snapshot. Models
 * carry the protocol's data in their XState context and decide with guards (docs/models.md): an event the
 * current state cannot take is a conformance failure naming the model, the instance, the state, the event,
 * the reason of every guard that refused it (`ModelSpec.reasons`) and the trace position.
 *
 * Stepping: flat machines (top-level states, guards and `assign` only: every model here) are stepped from a
 * table by flat-step.ts, which gives exactly xstate's transitions for that subset (tested against xstate on
 * random event sequences) at a fraction of the cost: inside a run xstate's macrostep cost 10-20 µs a step.
 * Other machines go through `machine.transition(snapshot, event, scope)` with one inert actor scope per
 * machine (xstate's exported `transition()` builds a new actor for every call). Both stay pure: nothing is
 * executed (models use only `assign`). Finite machines (no context, no guards) are memoised per
 * (state, event type).
 *
 * Besides conformance a monitor gives:
 * - hot states (`ModelSpec.hot`): states an instance must leave; `hot()` lists the instances still in
 *   one, and the runner fails liveness on them at the deadline (as P's hot monitor states do);
 * - coverage: states reached, transitions taken, and (state, fault kind) pairs for the instances a fault
 *   actually hit (`noteFault`);
 * - guard evaluations counted per guard name (`guards`), so a guard that never decided anything in a
 *   sweep shows up as vacuous in the report.
 */
import { createActor, initialTransition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { TraceRecord } from '../sim/trace.ts';
import { flatStepper, guardReason, type FlatStepper } from './flat-step.ts';

/** A model event: XState event object. */
export interface ModelEvent {
  type: string;
  [key: string]: unknown;
}

/** One model event for one instance. */
export interface ModelTarget {
  instance: string;
  event: ModelEvent;
}

/**
 * Why a guard refuses an event: null when it passes, else a sentence naming the data it compared
 * ("commit 2 is above the durable marker 1"). A model's XState guards are built from these functions
 * (`guardsFrom`), so the reason and the decision cannot drift apart.
 */
export type GuardReason<C = any, E = any> = (context: C, event: E) => string | null;

/**
 * What a model's `map` may ask about the world, learned from the trace itself: the device of each node
 * (`node.start {device}`), so that a device-wide fact (`fact.store {device}`) reaches the model instances
 * of every node on that device.
 */
export interface MonitorWorld {
  /** The device of `node` (undefined before its first `node.start`). */
  deviceOf(node: string): string | undefined;
  /** The nodes seen starting on `device`, in order of first start. */
  nodesOn(device: string): readonly string[];
}

/** What a monitor needs to know about a model. */
export interface ModelSpec {
  /** Short model name, e.g. 'recovery', 'election', 'backfill'. */
  name: string;
  /** The reference machine. */
  machine: AnyStateMachine;
  /** Trace kinds that can produce model events (the monitor subscribes to these). */
  kinds: readonly string[];
  /**
   * The model's area vocabulary: kind prefixes it owns ('store.', 'election.'). A record of such a kind that
   * neither a model (`kinds`, `ignores`) nor a check reads fails the run (`model:<name>: unmapped kind`), so
   * a new code path cannot bypass the model.
   */
  areas?: readonly string[];
  /** Kinds of the model's areas it knowingly does not read, each with the reason (documentation). */
  ignores?: Readonly<Record<string, string>>;
  /** Maps a trace record to model events (none: null or []). */
  map(rec: TraceRecord, world: MonitorWorld): ModelTarget | readonly ModelTarget[] | null;
  /** Guard name -> its reason function (see `GuardReason`, `guardsFrom`). */
  reasons?: Readonly<Record<string, GuardReason>>;
  /**
   * Fact kinds the model reads (`fact.store`...): evidence the scenario must record (`Scenario.evidence`);
   * a scenario that attaches the model without a recorder producing them is refused when it loads.
   */
  facts?: readonly string[];
  /** Hot states: state keys (or prefixes ending in '.') an instance must leave before the liveness deadline. */
  hot?: readonly string[];
  /** The node an instance lives on, for crediting faults (default: the instance is the node); a function of the name (asked once per instance). */
  nodeOf?(instance: string): string;
  /**
   * Record fields the model reads that a record may lack (checked with `=== undefined` by `map`): 'field' for
   * every kind, or 'kind:field' for one kind. Every other
   * field `map` reads must be present in every record of its kind (see `ModelMonitor`), so a trace record
   * missing its data fails instead of reaching a guard as a default value.
   */
  optional?: readonly string[];
  /**
   * Closed value sets ('kind:field' -> the values the trace format allows): a record whose field holds
   * another value (a blank reason, a misspelt mode) fails the run as a trace-format error, as an unmapped
   * kind does. For the fields whose values name *why* something happened (step-down reasons...), so a
   * report cannot say nothing or something undocumented.
   */
  values?: Readonly<Record<string, readonly string[]>>;
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
  /** State key -> fault kind -> times a fault hit an instance in that state. */
  stateFaults: Record<string, Record<string, number>>;
  /** Guard name -> times it decided an event (passed or refused). Absent in results of older versions. */
  guards?: Record<string, number>;
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

/** An instance still in a hot state. */
export interface HotInstance {
  model: string;
  instance: string;
  state: string;
  /** Virtual time (µs) it entered that state. */
  sinceUs: number;
}

/** XState guards built from reason functions: a guard passes when its reason is null. */
export function guardsFrom<C, E>(reasons: Readonly<Record<string, GuardReason<C, E>>>): Record<string, (args: { context: C; event: E }) => boolean> {
  const out: Record<string, (args: { context: C; event: E }) => boolean> = {};
  for (const [name, why] of Object.entries(reasons)) {
    out[name] = ({ context, event }) => why(context, event) === null;
    guardReason(out[name], why);
  }
  return out;
}

/** A readable key for a state value: 'idle', 'recovering.scan', 'a.x,b.y' for parallel states. */
export function stateKey(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  // Snapshots of one state share their value object (the steppers copy a template): key it once.
  let key = STATE_KEYS.get(value);
  if (key === undefined) STATE_KEYS.set(value, (key = objectStateKey(value)));
  return key;
}

const STATE_KEYS = new WeakMap<object, string>();

function objectStateKey(value: object): string {
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

/** A guard of a transition definition, as XState stores it. */
type GuardRef = string | { type: string } | ((...a: unknown[]) => boolean) | undefined;
interface StateNodeLike {
  id: string;
  transitions: Map<string, { guard?: GuardRef; target?: unknown }[]>;
}

function guardName(g: GuardRef): string | null {
  if (g === undefined) return null;
  if (typeof g === 'string') return g;
  if (typeof g === 'function') return g.name || '(inline guard)';
  return g.type;
}

/**
 * Per machine: its initial snapshot, an inert actor scope, for finite machines the step memo, and for flat
 * machines a fast stepper (flat-step.ts: the same transitions as xstate's for that subset, ~10x cheaper).
 */
interface Shared {
  initial: AnyMachineSnapshot;
  scope: unknown;
  memo: Map<string, AnyMachineSnapshot>;
  flat: FlatStepper | null;
}
const SHARED = new WeakMap<AnyStateMachine, Shared>();

function sharedOf(machine: AnyStateMachine): Shared {
  let s = SHARED.get(machine);
  if (s === undefined) {
    const self = createActor(machine);
    // The same shape as xstate's own inert scope (createInertActorScope): nothing is executed or emitted.
    const scope = {
      self,
      defer: () => {},
      id: '',
      logger: () => {},
      sessionId: '',
      stopChild: () => {},
      system: (self as unknown as { system: unknown }).system,
      emit: () => {},
      actionExecutor: () => {},
    };
    const initial = initialTransition(machine)[0];
    s = { initial, scope, memo: new Map(), flat: flatStepper(machine, initial) };
    SHARED.set(machine, s);
  }
  return s;
}

/** Counts of one transition ('from|EVENT|to') and the guards that decided it, not yet in the coverage record. */
interface TransitionCell {
  key: string;
  guards: readonly string[];
  n: number;
}

/** Compiled field checks (KindInfo.compile), by their code. */
const CHECKS = new Map<string, (data: Record<string, unknown>) => number>();

/** Records of each kind the monitor spies on to learn which fields the model reads. */
const LEARN_RECORDS = 32;

/** True when `state` is one of `hot` (a key, or a prefix ending in '.'). */
export function isHot(hot: readonly string[] | undefined, state: string): boolean {
  if (hot === undefined) return false;
  for (const h of hot) if (h.endsWith('.') ? state.startsWith(h) : state === h) return true;
  return false;
}

/**
 * What a monitor knows of one record kind: the fields its model reads (learned from the first
 * LEARN_RECORDS records of the kind: the object is the handler of a Proxy spying on their `data`), and
 * the kind's closed value sets. A class, so a learning record costs one Proxy and no closures.
 */
class KindInfo implements ProxyHandler<Record<string, unknown>> {
  /** Records of the kind still to learn from. */
  learning = LEARN_RECORDS;
  /** Fields read, in order of first read (optional ones excluded). */
  readonly fields: string[] = [];

  constructor(
    private readonly kind: string,
    private readonly optional: ReadonlySet<string>,
    /** [field, allowed values] pairs of `ModelSpec.values` for the kind, or null. */
    readonly closed: readonly [string, ReadonlySet<unknown>][] | null,
  ) {}

  get(target: Record<string, unknown>, p: string | symbol, receiver: unknown): unknown {
    this.note(p);
    return Reflect.get(target, p, receiver);
  }

  has(target: Record<string, unknown>, p: string | symbol): boolean {
    this.note(p);
    return Reflect.has(target, p);
  }

  /** Names already noted: the fields read and the optional names read (each decided once). */
  private readonly noted = new Set<string>();
  /**
   * `missing` compiled for the final `fields` (null until learning ends and `missing` has run once after,
   * or while a record read late adds a field). The monitor calls it directly once set (`onKindRecord`).
   */
  check: ((data: Record<string, unknown>) => number) | null = null;

  private note(p: string | symbol): void {
    if (typeof p !== 'string' || this.noted.has(p)) return;
    this.noted.add(p);
    if (this.optional.has(p) || this.optional.has(`${this.kind}:${p}`)) return;
    this.fields.push(p);
    this.check = null; // (a spied record read late: compiled again)
  }

  /** The position in `fields` of the first field `data` lacks (=== undefined), or -1. */
  missing(data: Record<string, unknown>): number {
    if (this.check !== null) return this.check(data);
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) if (data[fields[i]!] === undefined) return i;
    if (this.learning === 0) this.compile();
    return -1;
  }

  /**
   * Once learning is over the fields are fixed: the same loop as a function of named reads
   * (`d["marker"] === undefined ? 0 : ...`). The loop's reads by a variable name go through V8's generic
   * keyed lookup for every record; named reads of one kind's records are cached by their shape.
   */
  private compile(): void {
    const body = this.fields.map((f, i) => `d[${JSON.stringify(f)}] === undefined ? ${i} : `).join('');
    try {
      // One function per field list for every monitor and run (a function made per run would start
      // unoptimised in every run).
      let check = CHECKS.get(body);
      if (check === undefined) {
        check = new Function('d', `return ${body}-1;`) as (data: Record<string, unknown>) => number;
        if (CHECKS.size < 1000) CHECKS.set(body, check);
      }
      this.check = check;
    } catch {
      // Code generation disallowed (--disallow-code-generation-from-strings): keep the loop.
      this.check = (data) => {
        for (let i = 0; i < this.fields.length; i++) if (data[this.fields[i]!] === undefined) return i;
        return -1;
      };
    }
  }
}

/** Steps one model over the trace for any number of instances. */
export class ModelMonitor {
  /** Instance -> current snapshot. */
  readonly instances = new Map<string, AnyMachineSnapshot>();
  /** What `coverage` returns, with the counts of `cells` not yet added in. */
  private readonly counted: ModelCoverage;
  private readonly shared: Shared;
  /** The flat stepper when the machine has one and is not finite (`step`'s common path), else null. */
  private readonly flat: FlatStepper | null;
  private readonly memo: Map<string, AnyMachineSnapshot>;
  /** Instance -> virtual time (µs) it entered its current state. */
  private readonly since = new Map<string, number>();
  /** State key -> event type -> names of the guards on the candidate transitions (cache). */
  private readonly guardsAt = new Map<string, Map<string, readonly string[]>>();
  /** From -> event type -> to -> the transition's counter (see `transitionCell`). */
  private readonly keys = new Map<string, Map<string, Map<string, TransitionCell>>>();
  /** Every transition counter, in order of first use (their counts join `coverage` when it is read). */
  private readonly cells: TransitionCell[] = [];
  /**
   * Flat machines: row taken (FlatStepper.lastRow) -> its transition's counter, the state it enters (null:
   * stays) and the entries into it not yet added to `states`.
   */
  private readonly rows: ({ cell: TransitionCell; to: string | null; enters: number } | undefined)[] = [];
  /** The instances in order of creation (that of `instances`, which never drops one), with their node. */
  private readonly order: { instance: string; node: string }[] = [];
  private failed = false;
  /** Kind -> the fields the model read of its records (learned from the first ones) and its closed value sets. */
  private readonly kindInfo = new Map<string, KindInfo>();
  private readonly optional: ReadonlySet<string>;
  /** Kind -> [field, allowed values] of `spec.values`. */
  private readonly values = new Map<string, [string, ReadonlySet<unknown>][]>();
  private readonly deviceOfNode = new Map<string, string>();
  private readonly nodesOfDevice = new Map<string, string[]>();
  private readonly world: MonitorWorld = {
    deviceOf: (node) => this.deviceOfNode.get(node),
    nodesOn: (device) => this.nodesOfDevice.get(device) ?? [],
  };

  constructor(
    readonly spec: ModelSpec,
    private readonly sink: MonitorSink,
  ) {
    this.counted = { model: spec.name, states: {}, transitions: {}, stateFaults: {}, guards: {} };
    this.optional = new Set(spec.optional ?? []);
    for (const [key, allowed] of Object.entries(spec.values ?? {})) {
      const at = key.lastIndexOf(':');
      const kind = key.slice(0, at);
      const list = this.values.get(kind) ?? [];
      list.push([key.slice(at + 1), new Set(allowed)]);
      this.values.set(kind, list);
    }
    this.shared = sharedOf(spec.machine);
    this.flat = spec.finite ? null : this.shared.flat;
    // Finite machines' transitions depend only on (state, event type): one memo serves every run.
    this.memo = spec.finite ? this.shared.memo : new Map();
  }

  /** Coverage gathered by this monitor so far. */
  get coverage(): ModelCoverage {
    for (const r of this.rows) {
      if (r === undefined || r.enters === 0) continue;
      bump(this.counted.states, r.to!, r.enters);
      r.enters = 0;
    }
    for (const c of this.cells) {
      if (c.n === 0) continue;
      bump(this.counted.transitions, c.key, c.n);
      for (const g of c.guards) bump(this.counted.guards!, g, c.n);
      c.n = 0;
    }
    return this.counted;
  }

  /** Subscribes to the trace; returns an unsubscribe function. */
  attach(trace: { on(kind: string, l: (r: TraceRecord) => void): () => void }): () => void {
    const kinds = new Set(this.spec.kinds);
    kinds.delete('node.start');
    // Each subscription holds what the monitor knows of its kind (records reach it by that kind only), so a
    // record costs no lookup of its kind: the same object `onRecord` finds in `kindInfo`.
    const offs = [...kinds].map((k) => {
      const info = this.infoOf(k);
      return trace.on(k, (r) => this.onKindRecord(r, info));
    });
    offs.push(trace.on('node.start', (r) => this.onRecord(r)));
    return () => offs.forEach((off) => off());
  }

  /** The state key of an instance (its initial state if it has not been seen). */
  state(instance: string): string {
    return stateKey((this.instances.get(instance) ?? this.shared.initial).value);
  }

  /** The context of an instance (its initial context if it has not been seen). */
  context(instance: string): unknown {
    return (this.instances.get(instance) ?? this.shared.initial).context;
  }

  /** Feeds one trace record (attach() does this for subscribed kinds). */
  onRecord(rec: TraceRecord): void {
    if (rec.kind === 'node.start') {
      this.learnDevice(rec);
      if (!this.spec.kinds.includes('node.start')) return;
    }
    this.onKindRecord(rec, this.infoOf(rec.kind));
  }

  /** What the monitor knows of `kind` (made on first use). */
  private infoOf(kind: string): KindInfo {
    let k = this.kindInfo.get(kind);
    if (k === undefined) this.kindInfo.set(kind, (k = new KindInfo(kind, this.optional, this.values.get(kind) ?? null)));
    return k;
  }

  /** `onRecord` past node.start's device learning, for a record of the kind `k` describes. */
  private onKindRecord(rec: TraceRecord, k: KindInfo): void {
    if (this.failed) return;
    // Once the kind's fields are learned and their check compiled, and the kind has no closed value set,
    // `mapRecord` comes down to the map and that check: done here, one call less per record (a non-inlined
    // call per record showed in the profile); `mapRecord` still reports a missing field.
    const check = k.learning === 0 && k.closed === null ? k.check : null;
    let m: ModelTarget | readonly ModelTarget[] | null;
    if (check !== null) {
      m = this.spec.map(rec, this.world);
      const at = check(rec.data);
      if (at >= 0) {
        this.lacks(rec, k, at);
        return;
      }
    } else m = this.mapRecord(rec, k);
    if (m === null) return;
    if (!Array.isArray(m)) {
      this.step((m as ModelTarget).instance, (m as ModelTarget).event, rec);
      return;
    }
    for (const t of m as readonly ModelTarget[]) {
      if (this.failed) return;
      this.step(t.instance, t.event, rec);
    }
  }

  /**
   * `spec.map` with the record's fields checked: the fields the model reads of a kind are learned from the
   * first records of that kind (a spy on `data`), and every record of the kind must carry them (unless the
   * spec lists the field as optional). A record that lacks a field the model decides from would otherwise
   * reach the guards as a default value (-1, false, 'undefined') and could pass them: it fails the run as
   * a trace-format error naming the model, the kind and the field.
   */
  private mapRecord(rec: TraceRecord, k: KindInfo): ModelTarget | readonly ModelTarget[] | null {
    let out: ModelTarget | readonly ModelTarget[] | null;
    if (k.learning > 0) {
      k.learning--;
      out = this.spec.map({ ...rec, data: new Proxy(rec.data, k) }, this.world);
    } else out = this.spec.map(rec, this.world);
    if (k.closed !== null) {
      for (const [f, allowed] of k.closed) {
        const v = rec.data[f];
        if (v === undefined || allowed.has(v)) continue;
        this.failed = true;
        this.sink.fail({
          kind: 'correctness',
          check: `model:${this.spec.name}`,
          message:
            `model:${this.spec.name}: record '${rec.kind}' (trace #${rec.i}, ${rec.node} at ${rec.t} µs) has ${f} ${JSON.stringify(v)}, ` +
            `not one of the values its trace format allows (${[...allowed].map((x) => JSON.stringify(x)).join(', ')})`,
          node: rec.node,
          traceIndex: rec.i,
          details: { model: this.spec.name, kind: rec.kind, field: f, value: v, record: rec },
        });
        return null;
      }
    }
    const at = k.missing(rec.data);
    if (at >= 0) {
      this.lacks(rec, k, at);
      return null;
    }
    return out;
  }

  /** Fails the run: `rec` lacks the field `k.fields[at]` the model reads. */
  private lacks(rec: TraceRecord, k: KindInfo, at: number): void {
    const f = k.fields[at]!;
    this.failed = true;
    this.sink.fail({
      kind: 'correctness',
      check: `model:${this.spec.name}`,
      message:
        `model:${this.spec.name}: record '${rec.kind}' (trace #${rec.i}, ${rec.node} at ${rec.t} µs) lacks the field '${f}' the model reads ` +
        `(the trace format of the kind; list it in the spec's optional fields if it may be absent)`,
      node: rec.node,
      traceIndex: rec.i,
      details: { model: this.spec.name, kind: rec.kind, field: f, record: rec },
    });
  }

  private learnDevice(rec: TraceRecord): void {
    const device = rec.data.device;
    if (typeof device !== 'string' || this.deviceOfNode.has(rec.node)) return;
    this.deviceOfNode.set(rec.node, device);
    let nodes = this.nodesOfDevice.get(device);
    if (nodes === undefined) this.nodesOfDevice.set(device, (nodes = []));
    nodes.push(rec.node);
  }

  /**
   * Records that a fault of `faultKind` hit `nodes` now (null: the whole world), against the state of every
   * instance living on one of them. A fault that hit no instance of this model is not counted.
   */
  noteFault(faultKind: string, nodes: ReadonlySet<string> | null): void {
    const seen = new Set<string>();
    // In the order of `instances` (the order states are first credited in), without a lookup per instance
    // that the fault did not hit.
    for (const { instance, node } of this.order) {
      if (nodes !== null && !nodes.has(node)) continue;
      seen.add(stateKey(this.instances.get(instance)!.value));
    }
    for (const s of seen) bump((this.counted.stateFaults[s] ??= {}), faultKind);
  }

  /** Instances in a hot state now. */
  hot(): HotInstance[] {
    const out: HotInstance[] = [];
    if (this.spec.hot === undefined) return out;
    for (const [instance, snap] of this.instances) {
      const state = stateKey(snap.value);
      if (isHot(this.spec.hot, state)) out.push({ model: this.spec.name, instance, state, sinceUs: this.since.get(instance) ?? 0 });
    }
    return out;
  }

  private current(instance: string, t: number): AnyMachineSnapshot {
    let snap = this.instances.get(instance);
    if (snap === undefined) {
      snap = this.shared.initial;
      this.instances.set(instance, snap);
      this.order.push({ instance, node: this.spec.nodeOf?.(instance) ?? instance });
      this.since.set(instance, t);
      bump(this.counted.states, stateKey(snap.value));
    }
    return snap;
  }

  private step(instance: string, event: ModelEvent, rec: TraceRecord): void {
    const flat = this.flat;
    if (flat === null) {
      this.stepOther(instance, event, rec);
      return;
    }
    // Kept small, so the record's handler can take it in: the first entry through a row and a refusal
    // are handled apart.
    const snap = this.instances.get(instance) ?? this.current(instance, rec.t);
    const next = flat.step(snap, event);
    if (next === null) {
      this.refuseFlat(instance, snap, event, rec);
      return;
    }
    // The row the stepper took names the source state, the event type and the target state (flat-step.ts,
    // `lastRow`), so its counter is found by number.
    let taken = this.rows[flat.lastRow];
    if (taken === undefined) taken = this.firstTaken(flat.lastRow, snap, next, event.type);
    else if (taken.to !== null) taken.enters++;
    if (next !== snap) this.instances.set(instance, next); // (the same snapshot: already there)
    taken.cell.n++;
    if (taken.to !== null) this.since.set(instance, rec.t);
  }

  /** The counter of flat row `row`, made the first time the row is taken (from `snap` to `next`). */
  private firstTaken(row: number, snap: AnyMachineSnapshot, next: AnyMachineSnapshot, type: string): { cell: TransitionCell; to: string | null; enters: number } {
    const from = stateKey(snap.value);
    const to = stateKey(next.value);
    const taken = { cell: this.transitionCell(snap, from, type, to), to: to === from ? null : to, enters: 0 };
    this.rows[row] = taken;
    // The first entry through this row counts at once (a state's key joins `states` when first entered,
    // in that order); the next ones join it when `coverage` is read.
    if (taken.to !== null) bump(this.counted.states, taken.to);
    return taken;
  }

  /** A flat machine refused `event`: its guards decided it too. */
  private refuseFlat(instance: string, snap: AnyMachineSnapshot, event: ModelEvent, rec: TraceRecord): void {
    const from = stateKey(snap.value);
    for (const g of this.candidateGuards(snap, from, event.type)) bump(this.counted.guards!, g);
    this.refuse(instance, snap, from, event, rec);
  }

  /** `step` for the machines without a flat stepper, and for finite ones (memoised). */
  private stepOther(instance: string, event: ModelEvent, rec: TraceRecord): void {
    const snap = this.current(instance, rec.t);
    const from = stateKey(snap.value);
    let next: AnyMachineSnapshot | undefined;
    const memoKey = this.spec.finite ? `${from}\u0000${event.type}` : '';
    if (this.spec.finite) next = this.memo.get(memoKey);
    if (next === undefined) {
      const stepped = this.shared.flat === null ? this.transition(snap, event) : this.shared.flat.step(snap, event);
      if (stepped === null) {
        // The guards decided this event too (a taken transition counts them through its cell).
        for (const g of this.candidateGuards(snap, from, event.type)) bump(this.counted.guards!, g);
        this.refuse(instance, snap, from, event, rec);
        return;
      }
      next = stepped;
      if (this.spec.finite) this.memo.set(memoKey, next);
    }
    this.instances.set(instance, next);
    const to = stateKey(next.value);
    this.transitionCell(snap, from, event.type, to).n++;
    if (to !== from) {
      bump(this.counted.states, to);
      this.since.set(instance, rec.t);
    }
  }

  /**
   * The counter of the transition from --type--> to, made once per triple: counting transitions and the
   * guards that decided them is the monitor's most frequent operation, so a step increments one number and
   * the counts join the coverage record only when it is read (`coverage`).
   */
  private transitionCell(snap: AnyMachineSnapshot, from: string, type: string, to: string): TransitionCell {
    let byType = this.keys.get(from);
    if (byType === undefined) this.keys.set(from, (byType = new Map()));
    let byTo = byType.get(type);
    if (byTo === undefined) byType.set(type, (byTo = new Map()));
    let cell = byTo.get(to);
    if (cell === undefined) {
      // Finite machines have no guards (and their memoised steps evaluate none).
      const guards = this.spec.finite ? [] : this.candidateGuards(snap, from, type);
      byTo.set(to, (cell = { key: `${from}|${type}|${to}`, guards, n: 0 }));
      this.cells.push(cell);
    }
    return cell;
  }

  /** xstate's step: the next snapshot, or null when the event cannot be taken. */
  private transition(snap: AnyMachineSnapshot, event: ModelEvent): AnyMachineSnapshot | null {
    if (!snap.can(event)) return null;
    return (this.spec.machine as unknown as { transition(s: AnyMachineSnapshot, e: ModelEvent, scope: unknown): AnyMachineSnapshot }).transition(snap, event, this.shared.scope);
  }

  /** The guards on the transitions `eventType` could take from the active state nodes of `snap`. */
  private candidateGuards(snap: AnyMachineSnapshot, from: string, eventType: string): readonly string[] {
    let byType = this.guardsAt.get(from);
    if (byType === undefined) this.guardsAt.set(from, (byType = new Map()));
    let names = byType.get(eventType);
    if (names === undefined) {
      const out = new Set<string>();
      for (const node of (snap as unknown as { _nodes: StateNodeLike[] })._nodes) {
        for (const t of node.transitions.get(eventType) ?? []) {
          const g = guardName(t.guard);
          if (g !== null) out.add(g);
        }
      }
      byType.set(eventType, (names = [...out]));
    }
    return names;
  }

  private refuse(instance: string, snap: AnyMachineSnapshot, from: string, event: ModelEvent, rec: TraceRecord): void {
    this.failed = true;
    const guards = this.candidateGuards(snap, from, event.type);
    const reasons: string[] = [];
    for (const g of guards) {
      const why = this.spec.reasons?.[g]?.(snap.context, event);
      if (why !== null && why !== undefined) reasons.push(`${g}: ${why}`);
    }
    const because =
      guards.length === 0 ? `no transition for ${event.type} in '${from}'` : reasons.length > 0 ? reasons.join('; ') : `guards ${guards.join(', ')} refused`;
    const payload = Object.fromEntries(Object.entries(event).filter(([k]) => k !== 'type'));
    this.sink.fail({
      kind: 'correctness',
      check: `model:${this.spec.name}`,
      message:
        `model '${this.spec.name}' instance '${instance}' in state '${from}' refused ${event.type}` +
        `${Object.keys(payload).length > 0 ? ` ${JSON.stringify(payload)}` : ''}: ${because} ` +
        `(trace #${rec.i}, ${rec.node} ${rec.kind} at ${rec.t} µs)`,
      node: this.spec.nodeOf?.(instance) ?? rec.node,
      traceIndex: rec.i,
      details: { model: this.spec.name, instance, state: from, event: event.type, payload, reasons, record: rec },
    });
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
  if (b.guards !== undefined) {
    const into = (a.guards ??= {});
    for (const [g, n] of Object.entries(b.guards)) bump(into, g, n);
  }
  return a;
}

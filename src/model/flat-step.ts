/**
 * A fast stepper for the reference machines' subset of xstate (atomic and compound states, no parallel
 * states; transitions with named or inline guards and `assign` actions only, on any state or the machine
 * itself; no entry/exit actions, invocations, delays, eventless or wildcard transitions): it selects the
 * first enabled transition for the event, the leaf state's own first and then each ancestor's (as xstate
 * does), lands a transition to a compound state in its initial leaf, applies the assigns,
 * and returns the next snapshot, exactly as xstate's `transition()` and `snapshot.can()` would for that
 * subset — at a fraction of the cost (xstate's macrostep computes entry/exit sets and clones snapshots;
 * inside a running simulation a step cost 10-20 µs, and a model with thousands of steps per run doubled it).
 * The machine is still an xstate machine: xstate builds it, its graph, its initial snapshot; snapshots made
 * here keep the fields the monitor and xstate read (`value`, `context`, `_nodes`, `machine`, `can`...): own `context`,
 * the rest read through the state's template snapshot (its prototype), so a copy by spread or `toJSON`
 * sees `context` only.
 * `flatStepper` returns null for any machine outside the subset, which the monitor then steps with xstate.
 */
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';

/** An event as the monitor passes it. */
interface Ev {
  type: string;
}

type GuardFn = (args: { context: unknown; event: Ev }, params?: unknown) => boolean;
type Assignment = ((args: { context: unknown; event: Ev }) => Record<string, unknown>) | Record<string, unknown>;

/** The assigns of a transition, compiled into one function from context and event to the next context. */
type Update = (context: unknown, event: Ev) => unknown;

/**
 * The reason function (`GuardReason`) of each guard `guardsFrom` made: such a guard is `why(context, event)
 * === null`, so the stepper calls `why` itself, without building the guard's argument object per call.
 */
const REASONS = new WeakMap<object, (context: unknown, event: Ev) => string | null>();

/** Records that `guard` passes exactly when `why` returns null (monitor.ts, guardsFrom). */
export function guardReason(guard: object, why: (context: never, event: never) => string | null): void {
  REASONS.set(guard, why as (context: unknown, event: Ev) => string | null);
}

/** One transition of the table: its guard (null: none), target state key (null: stays), its assigns (null: none). */
interface Row {
  guard: GuardFn | null;
  /** The guard's reason function when it has one (see REASONS): called instead of the guard. */
  reason: ((context: unknown, event: Ev) => string | null) | null;
  target: string | null;
  update: Update | null;
}

/**
 * A row as one leaf state's table holds it: its own copy (an ancestor's transition is copied into each leaf
 * below it), numbered, so a row names one (state, event type, candidate) and the state it lands in.
 */
interface LeafRow extends Row {
  /** Unique within the stepper, from 0 (`FlatStepper.lastRow`). */
  id: number;
  /** The template snapshot of the state the row lands in (made on first use). */
  template: AnyMachineSnapshot | null;
}

/** What the xstate state nodes expose (internal shape, read once when building the table). */
interface NodeLike {
  key: string;
  type: string;
  path: string[];
  parent?: NodeLike;
  initial?: { target: NodeLike[] };
  states: Record<string, NodeLike>;
  entry: unknown[];
  exit: unknown[];
  invoke: unknown[];
  after: unknown[];
  always?: unknown[];
  transitions: Map<string, { guard?: unknown; target?: NodeLike[]; actions: unknown[] }[]>;
}

/** Steps a machine of the subset; `step` returns the next snapshot, or null when the event is refused. */
export interface FlatStepper {
  step(snapshot: AnyMachineSnapshot, event: Ev): AnyMachineSnapshot | null;
  /**
   * The row the last `step` that returned a snapshot took: a number from 0 naming one (state, event type,
   * candidate transition), so the same number always means the same source state, event type and target
   * state (the monitor keys its transition counters by it). Read it right after `step`.
   */
  lastRow: number;
}

function guardOf(g: unknown, guards: Record<string, unknown>): GuardFn | null | undefined {
  if (g === undefined) return null;
  const resolved = typeof g === 'string' ? guards[g] : g;
  // Builtin guards (and/or/not, with `check`) and parameterised ones are outside the subset.
  if (typeof resolved !== 'function' || 'check' in resolved) return undefined;
  return resolved as GuardFn;
}

function assignOf(a: unknown, actions: Record<string, unknown>): Assignment | undefined {
  const resolved = typeof a === 'string' ? actions[a] : typeof a === 'object' && a !== null && 'type' in a ? actions[(a as { type: string }).type] : a;
  if (typeof resolved !== 'function') return undefined;
  const r = resolved as unknown as { type?: unknown; assignment?: unknown };
  if (r.type !== 'xstate.assign' || r.assignment === undefined) return undefined;
  return r.assignment as Assignment;
}

/** The key of a leaf state: its path joined with '.' ('idle', 'recovering.scanning'). */
const keyOf = (node: NodeLike): string => node.path.join('.');

/** The atomic state a transition to `node` lands in: `node` itself, or its initial child, recursively. */
function leafOf(node: NodeLike): NodeLike | undefined {
  let n = node;
  while (n.type === 'compound') {
    const next = n.initial?.target[0];
    if (next === undefined) return undefined;
    n = next;
  }
  return n.type === 'atomic' ? n : undefined;
}

/**
 * The transition table of `machine` (leaf state key -> event type -> candidate rows, the leaf's own first,
 * then each ancestor's up to the machine's, as xstate selects them), or null outside the subset.
 */
function tableOf(machine: AnyStateMachine, copy: ContextCopy): Map<string, Map<string, LeafRow[]>> | null {
  const root = machine.root as unknown as NodeLike;
  const impl = (machine as unknown as { implementations: { guards: Record<string, unknown>; actions: Record<string, unknown> } }).implementations;
  // Rows of one node's own transitions, by event type (null: outside the subset).
  const own = new Map<NodeLike, Map<string, Row[]>>();
  const rowsOf = (node: NodeLike): Map<string, Row[]> | null => {
    const known = own.get(node);
    if (known !== undefined) return known;
    if (node.entry.length + node.exit.length + node.invoke.length + node.after.length + (node.always?.length ?? 0) > 0) return null;
    const byEvent = new Map<string, Row[]>();
    for (const [type, defs] of node.transitions) {
      if (type === '*' || type.includes('*')) return null;
      const rows: Row[] = [];
      for (const t of defs) {
        const guard = guardOf(t.guard, impl.guards);
        if (guard === undefined || (t.target !== undefined && t.target.length !== 1)) return null;
        const leaf = t.target === undefined ? null : leafOf(t.target[0]!);
        if (leaf === undefined) return null;
        const assigns = t.actions.map((a) => assignOf(a, impl.actions));
        if (assigns.some((a) => a === undefined)) return null;
        rows.push({ guard, reason: guard === null ? null : (REASONS.get(guard) ?? null), target: leaf === null ? null : keyOf(leaf), update: compileAssigns(assigns as Assignment[], copy) });
      }
      byEvent.set(type, rows);
    }
    own.set(node, byEvent);
    return byEvent;
  };
  const table = new Map<string, Map<string, LeafRow[]>>();
  let ids = 0;
  const visit = (node: NodeLike): boolean => {
    if (node.type === 'compound') return Object.values(node.states).every(visit);
    if (node.type !== 'atomic') return false; // parallel, history, final: outside the subset
    const byEvent = new Map<string, LeafRow[]>();
    for (let n: NodeLike | undefined = node; n !== undefined; n = n.parent) {
      const rows = rowsOf(n);
      if (rows === null) return false;
      for (const [type, list] of rows) byEvent.set(type, [...(byEvent.get(type) ?? []), ...list.map((r) => ({ ...r, id: ids++, template: null }))]);
    }
    table.set(keyOf(node), byEvent);
    return true;
  };
  if (root.type !== 'compound' || rowsOf(root) === null || !Object.values(root.states).every(visit)) return null;
  return table;
}

/** The leaf key of a snapshot value ('idle', or { recovering: 'scanning' } -> 'recovering.scanning'). */
function valueKey(value: unknown): string {
  let key = '';
  let v = value;
  while (typeof v === 'object' && v !== null) {
    const [k, inner] = Object.entries(v as Record<string, unknown>)[0]!;
    key += `${k}.`;
    v = inner;
  }
  return key + String(v);
}

/** The snapshot value of a leaf key ('recovering.scanning' -> { recovering: 'scanning' }). */
function keyValue(key: string): unknown {
  const parts = key.split('.');
  let v: unknown = parts.pop()!;
  while (parts.length > 0) v = { [parts.pop()!]: v };
  return v;
}

/**
 * The assigns of one transition as a single function, built once with the table: xstate applies them in
 * order, each seeing the context the previous one produced; within an object assigner every property
 * function sees the context before that assigner. Compiled so a step neither walks the assigner's
 * properties (Object.entries) nor builds a partial object per assigner.
 */
function compileAssigns(assigns: readonly Assignment[], copy: ContextCopy): Update | null {
  if (assigns.length === 0) return null;
  const one = assigns.map((a): Update => {
    if (typeof a === 'function') return (context, event) => copy.merge(context as Record<string, unknown>, a({ context, event }));
    // Keys and values apart, walked by index (a for-of destructuring each [key, value] pair costs more).
    const keys = Object.keys(a);
    const values = Object.values(a);
    return (context, event) => {
      const args = { context, event };
      const next = copy.clone(context as Record<string, unknown>);
      for (let i = 0; i < keys.length; i++) {
        const v = values[i];
        next[keys[i]!] = typeof v === 'function' ? (v as (x: typeof args) => unknown)(args) : v;
      }
      return next;
    };
  });
  if (one.length === 1) return one[0]!;
  return (context, event) => one.reduce((ctx, f) => f(ctx, event), context);
}

/**
 * Copies of a machine's contexts, `{ ...context }` and `{ ...context, ...update }` without the spread: on
 * Node 20 spreading an object of a dozen properties costs ~0.2 µs (it copies property by property at
 * runtime), a literal with the same keys ~0.02 µs, and a step copies the context once or twice.
 *
 * Exact: the copy is the literal `{ k1: context.k1, ..., kn: context.kn }` for the keys `Object.keys` gives
 * of the machine's initial context, used only when `Object.keys(context)` is that same list in that same
 * order (else the spread runs). Both then make a plain object whose own properties are those keys, in that
 * order, with the values read by [[Get]], as the spread does. An update is then copied onto that object by
 * `Object.assign` (what xstate's own assign does: `Object.assign({}, context, update)`), which gives what
 * the spread gives: the update's own enumerable keys (strings, then symbols, in their own-key order), each
 * read once by [[Get]], an existing key overwritten in its place and a new one appended. Assign writes by
 * [[Set]] where the spread defines: the same for a plain object's own writable data properties, and for a
 * new key unless Object.prototype holds it as an accessor or a read-only property: '__proto__' (an update
 * owning that key goes through the spread), and any other only where Object.prototype was frozen or
 * changed so (checked once: the spread then serves every update).
 * Not covered (as before): a context with symbol keys that has the initial context's string keys (the
 * literal would drop them): no context is made so (the initial one is checked for symbols, and every other
 * is a copy made here or by xstate from it and from updates, and no model's update has symbol keys).
 */
interface ContextCopy {
  clone(context: Record<string, unknown>): Record<string, unknown>;
  merge(context: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown>;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The copies of contexts shaped as `initial` (see ContextCopy). */
function contextCopy(initial: unknown): ContextCopy {
  const spread: ContextCopy = {
    clone: (context) => ({ ...context }),
    merge: (context, update) => ({ ...context, ...update }),
  };
  if (typeof initial !== 'object' || initial === null || Object.getPrototypeOf(initial) !== Object.prototype || Object.getOwnPropertySymbols(initial).length > 0) return spread;
  const keys = Object.keys(initial);
  // '__proto__' in a literal sets the prototype instead of defining the property: leave it to the spread.
  if (keys.length === 0 || keys.includes('__proto__')) return spread;
  let literal: (c: Record<string, unknown>) => Record<string, unknown>;
  try {
    literal = new Function('c', `return { ${keys.map((k) => `${JSON.stringify(k)}: c[${JSON.stringify(k)}]`).join(', ')} };`) as typeof literal;
  } catch {
    return spread; // code generation disallowed (--disallow-code-generation-from-strings)
  }
  // `Object.keys(x)` without the array it allocates (a step made ~100 bytes of key arrays): a for-in over a
  // plain object yields every own enumerable string key first, in the order `Object.keys` gives them, then
  // the enumerable ones of its prototypes it does not shadow. So when the last key it yielded is an own
  // one, it yielded exactly `Object.keys(x)`, in that order.
  const sameKeys = (context: Record<string, unknown>): boolean => {
    let i = 0;
    for (const k in context) {
      if (k !== keys[i]) return false;
      i++;
    }
    return i === keys.length && hasOwn.call(context, keys[i - 1]!);
  };
  // Object.assign writes a new key by [[Set]]: the same as the spread's definition unless Object.prototype
  // holds that key as an accessor or read-only property ('__proto__' is checked per update).
  const assignIsSpread = Object.entries(Object.getOwnPropertyDescriptors(Object.prototype)).every(
    ([k, d]) => k === '__proto__' || (d.writable === true && !('get' in d) && !('set' in d)),
  );
  return {
    clone: (context) => (sameKeys(context) ? literal(context) : { ...context }),
    merge: (context, update) => {
      if (!assignIsSpread || !sameKeys(context) || hasOwn.call(update, '__proto__')) return { ...context, ...update };
      return Object.assign(literal(context), update);
    },
  };
}

/** A fast stepper for `machine` when it is in the subset, else null. `initial` is its initial snapshot. */
export function flatStepper(machine: AnyStateMachine, initial: AnyMachineSnapshot): FlatStepper | null {
  const table = tableOf(machine, contextCopy(initial.context));
  if (table === null) return null;
  // One xstate snapshot per state, made once; a step copies it with the new context. The key of each
  // template's value object is remembered, so a step finds its row without walking the value.
  const templates = new Map<string, AnyMachineSnapshot>();
  const keys = new WeakMap<object, string>();
  const initialKey = valueKey(initial.value);
  const templateOf = (key: string): AnyMachineSnapshot => {
    let t = templates.get(key);
    if (t === undefined) {
      t = key === initialKey ? initial : (machine.resolveState({ value: keyValue(key) as never, context: initial.context }) as AnyMachineSnapshot);
      if (typeof t.value === 'object' && t.value !== null) keys.set(t.value, key);
      templates.set(key, t);
    }
    return t;
  };
  const keyOfValue = (value: unknown): string =>
    typeof value === 'string' ? value : (keys.get(value as object) ?? valueKey(value));
  return {
    lastRow: -1,
    step(snapshot, event) {
      const from = keyOfValue(snapshot.value);
      const rows = table.get(from)?.get(event.type);
      if (rows === undefined) return null;
      for (const row of rows) {
        if (row.reason !== null ? row.reason(snapshot.context, event) !== null : row.guard !== null && !row.guard({ context: snapshot.context, event })) continue;
        if (row.target === null && row.update === null) return null; // as snapshot.can(): nothing to take
        const context = row.update === null ? snapshot.context : row.update(snapshot.context, event);
        const target = row.target ?? from;
        this.lastRow = row.id;
        if (target === from && context === snapshot.context) return snapshot;
        // The template as prototype, the context as own property: a step allocates one small object instead
        // of copying the snapshot's fifteen fields (status, value, _nodes, can, ...), which read through.
        const next = Object.create((row.template ??= templateOf(target))) as AnyMachineSnapshot & { context: unknown };
        next.context = context;
        return next;
      }
      return null;
    },
  };
}

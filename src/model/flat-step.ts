/**
 * A fast stepper for flat reference machines (every state a top-level atomic state; transitions with named
 * or inline guards and `assign` actions only; no entry/exit actions, invocations, delays or eventless
 * transitions): it selects the first enabled transition of the state for the event, applies its assigns,
 * and returns the next snapshot, exactly as xstate's `transition()` and `snapshot.can()` would for that
 * subset — at a fraction of the cost (xstate's macrostep computes entry/exit sets and clones snapshots;
 * inside a running simulation a step cost 10-20 µs, and a model with thousands of steps per run doubled it).
 * The machine is still an xstate machine: xstate builds it, its graph, its initial snapshot; snapshots made
 * here keep the fields the monitor and xstate read (`value`, `context`, `_nodes`, `machine`, `can`...).
 * `flatStepper` returns null for any machine outside the subset, which the monitor then steps with xstate.
 */
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';

/** An event as the monitor passes it. */
interface Ev {
  type: string;
}

type GuardFn = (args: { context: unknown; event: Ev }, params?: unknown) => boolean;
type Assignment = ((args: { context: unknown; event: Ev }) => Record<string, unknown>) | Record<string, unknown>;

/** One transition of the table: its guard (null: none), target state key (null: stays), assigns. */
interface Row {
  guard: GuardFn | null;
  target: string | null;
  assigns: Assignment[];
}

/** What the xstate state nodes expose (internal shape, read once when building the table). */
interface NodeLike {
  key: string;
  type: string;
  states: Record<string, NodeLike>;
  entry: unknown[];
  exit: unknown[];
  invoke: unknown[];
  after: unknown[];
  always?: unknown[];
  transitions: Map<string, { guard?: unknown; target?: NodeLike[]; actions: unknown[] }[]>;
}

/** Steps a flat machine; `step` returns the next snapshot, or null when the event is refused. */
export interface FlatStepper {
  step(snapshot: AnyMachineSnapshot, event: Ev): AnyMachineSnapshot | null;
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

/** The transition table of `machine`, or null when it is not flat (see the file comment). */
function tableOf(machine: AnyStateMachine): Map<string, Map<string, Row[]>> | null {
  const root = machine.root as unknown as NodeLike;
  const impl = (machine as unknown as { implementations: { guards: Record<string, unknown>; actions: Record<string, unknown> } }).implementations;
  if (root.transitions.size > 0 || root.entry.length > 0 || root.exit.length > 0 || root.invoke.length > 0) return null;
  const table = new Map<string, Map<string, Row[]>>();
  for (const node of Object.values(root.states)) {
    if (node.type !== 'atomic' || node.entry.length + node.exit.length + node.invoke.length + node.after.length + (node.always?.length ?? 0) > 0) return null;
    const byEvent = new Map<string, Row[]>();
    for (const [type, defs] of node.transitions) {
      if (type === '*' || type.includes('*')) return null;
      const rows: Row[] = [];
      for (const t of defs) {
        const guard = guardOf(t.guard, impl.guards);
        if (guard === undefined || (t.target !== undefined && t.target.length !== 1)) return null;
        const assigns = t.actions.map((a) => assignOf(a, impl.actions));
        if (assigns.some((a) => a === undefined)) return null;
        rows.push({ guard, target: t.target?.[0]?.key ?? null, assigns: assigns as Assignment[] });
      }
      byEvent.set(type, rows);
    }
    table.set(node.key, byEvent);
  }
  return table;
}

function applyAssigns(context: unknown, event: Ev, assigns: readonly Assignment[]): unknown {
  let ctx = context;
  for (const a of assigns) {
    const args = { context: ctx, event };
    let partial: Record<string, unknown>;
    if (typeof a === 'function') partial = a(args);
    else {
      partial = {};
      for (const [k, v] of Object.entries(a)) partial[k] = typeof v === 'function' ? (v as (x: typeof args) => unknown)(args) : v;
    }
    ctx = Object.assign({}, ctx, partial);
  }
  return ctx;
}

/** A fast stepper for `machine` when it is flat, else null. `initial` is its initial snapshot. */
export function flatStepper(machine: AnyStateMachine, initial: AnyMachineSnapshot): FlatStepper | null {
  const table = tableOf(machine);
  if (table === null) return null;
  // One xstate snapshot per state, made once; a step copies it with the new context.
  const templates = new Map<string, AnyMachineSnapshot>();
  const templateOf = (key: string): AnyMachineSnapshot => {
    let t = templates.get(key);
    if (t === undefined) {
      t = key === initial.value ? initial : (machine.resolveState({ value: key, context: initial.context }) as AnyMachineSnapshot);
      templates.set(key, t);
    }
    return t;
  };
  return {
    step(snapshot, event) {
      const from = snapshot.value as string;
      const rows = table.get(from)?.get(event.type);
      if (rows === undefined) return null;
      for (const row of rows) {
        if (row.guard !== null && !row.guard({ context: snapshot.context, event })) continue;
        if (row.target === null && row.assigns.length === 0) return null; // as snapshot.can(): nothing to take
        const context = row.assigns.length === 0 ? snapshot.context : applyAssigns(snapshot.context, event, row.assigns);
        const target = row.target ?? from;
        if (target === from && context === snapshot.context) return snapshot;
        return { ...templateOf(target), context } as AnyMachineSnapshot;
      }
      return null;
    },
  };
}

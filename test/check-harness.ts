/**
 * A check fed by hand: a ScenarioContext with just what checks use (a trace, per-run state, fail, exercised,
 * node handles), the check set up on it, and helpers to emit records and run its final judgement. For unit
 * tests of single checks (a whole run is `runScenario`'s job).
 */
import type { TraceCheck } from '../src/model/check.ts';
import type { Check, ScenarioContext } from '../src/scenario/types.ts';
import { Trace, type TraceRecord } from '../src/sim/trace.ts';

export interface CheckHarness {
  ctx: ScenarioContext;
  trace: Trace;
  /** `<check>: <message>` of every failure, in order. */
  failures: string[];
  /** The invariants the check said it evaluated, one entry per evaluation. */
  exercised: string[];
  emit(node: string, kind: string, data: Record<string, unknown>): TraceRecord;
  final(): void;
}

export interface HarnessOptions {
  /** Node id -> the handle `ctx.handle(id)` returns (null for any other). */
  handles?: Record<string, unknown>;
  /** The trace's clock (µs), default 0; ignored with `trace`. */
  now?: () => number;
  /** Use this trace (e.g. a Simulation's) instead of a new one. */
  trace?: Trace;
  /** More context fields (e.g. `sim`). */
  extra?: Record<string, unknown>;
}

/** `check` set up on a hand-made context. */
export function checkHarness(check: Check | TraceCheck, o: HarnessOptions = {}): CheckHarness {
  const trace = o.trace ?? new Trace(o.now ?? (() => 0));
  const failures: string[] = [];
  const exercised: string[] = [];
  const handles = o.handles ?? {};
  const ctx = {
    trace,
    shared: new Map(),
    runState: new Map(),
    fail: (_kind: string, name: string, message: string) => void failures.push(`${name}: ${message}`),
    exercised: (name: string) => void exercised.push(name),
    handle: (id: string) => handles[id] ?? null,
    ...o.extra,
  } as unknown as ScenarioContext;
  (check.setup as ((c: ScenarioContext) => void) | undefined)?.(ctx);
  return {
    ctx,
    trace,
    failures,
    exercised,
    emit: (node, kind, data) => trace.emit(node, kind, data),
    final: () => (check.final as ((c: ScenarioContext) => void) | undefined)?.(ctx),
  };
}

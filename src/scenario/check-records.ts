/**
 * The checks of a scenario (or of an area) run over a recorded trace: what `syncbench check-trace` does, and
 * what a port uses to check its own implementation's trace. The same models (ModelMonitor) and the same
 * trace checks (`traceCheck`, src/model/check.ts) as a live run, fed from the records instead of a
 * simulation, with the live run's order of events:
 *
 * - every record of a kind trace schema v1 knows must follow it (src/trace/schema.ts): a record that does
 *   not is a `trace-schema` failure naming it; kinds the schema does not know are counted, not judged;
 * - `sim.begin` (record #0, the header) gives the seed; checks subscribe after it, as in a live run;
 * - every other record is dispatched in order, except `sim.failure`: a recorded verdict is the trace's word,
 *   never evidence; the first failure found stops the reading (the rest is not read, as a live run stops);
 * - `sim.converged` is where the system claimed convergence: model instances still in a hot state there
 *   fail liveness (`model:<name>`), as at a live run's liveness poll;
 * - `sim.end` ends a complete trace: the trace checks' `final` run before it, with the time of `sim.end`.
 *   A trace without `sim.end` (cut short, or a port's partial trace) is checked for safety only, and the
 *   result says that its final checks were not run.
 *
 * Live checks (`Check` without `onTrace`: they read a node's memory or the simulator's disks at the end)
 * cannot run on a record stream; the result lists them with that reason, so a green offline verdict never
 * claims more than it checked.
 */
import type { TraceCheck, TraceContext, TraceSource } from '../model/check.ts';
import type { ModelCoverage, ModelSpec } from '../model/monitor.ts';
import { TraceSubscriptions, type TraceRecord } from '../sim/trace.ts';
import type { Failure } from '../sim/types.ts';
import { knownKind, validateRecord } from '../trace/schema.ts';
import { describeHot, watchTrace } from './monitors.ts';
import type { Check, Verdict } from './types.ts';

/** A trace source fed by hand: `dispatch` delivers one record to its subscribers. */
export class RecordedTrace extends TraceSubscriptions implements TraceSource {
  /** Delivers `rec` to the subscribers of its kind, then to those of every kind. */
  dispatch(rec: TraceRecord): void {
    const ls = this.listeners.get(rec.kind);
    if (ls !== undefined) for (const l of ls) l(rec);
    for (const l of this.anyListeners) l(rec);
  }
}

/** What to check a trace against: a scenario's models and checks, or an area's. */
export interface CheckTarget {
  /** 'scenario <name>' or 'area <name>', for messages. */
  name: string;
  models: readonly ModelSpec[];
  checks: readonly Check[];
}

/** A check that was not run on the records, and why. */
export interface NotRun {
  check: string;
  why: string;
}

/** The verdict of a recorded trace. */
export interface RecordsResult {
  verdict: Verdict;
  failure: Failure | null;
  /** Records read (all of them, unless a failure stopped the reading). */
  records: number;
  /** The trace ends with `sim.end`: final checks ran. */
  complete: boolean;
  /** The trace reached `sim.converged`: hot states were judged there. */
  converged: boolean;
  /** The header's fields (`sim.begin` data), or null when the trace has no header. */
  header: Record<string, unknown> | null;
  /** The verdict the trace itself recorded (`sim.end`), for comparison only. */
  recordedVerdict: string | null;
  /** Checks of the target not run on a record stream (live checks), and the final checks of an incomplete trace. */
  notRun: NotRun[];
  coverage: ModelCoverage[];
  exercised: Record<string, number>;
  /** Kinds outside trace schema v1 (a port's or a user scenario's own), with their record counts: not validated. */
  unknownKinds: Record<string, number>;
}

/** Why a header is unusable (null when it is fine). */
export type HeaderCheck = (header: Record<string, unknown>) => string | null;

/**
 * Checks `records` (in trace order, from the header on) against `target`. Reads nothing else; a stream (a
 * file read line by line) is read as it comes, never held whole.
 */
export async function checkRecords(records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>, target: CheckTarget): Promise<RecordsResult> {
  const trace = new RecordedTrace();
  let current: TraceRecord | null = null;
  let failure: Failure | null = null;
  const exercised: Record<string, number> = {};
  // `onTrace` is set by `traceCheck`, whose type keeps setup and final to the TraceContext.
  const traceChecks = target.checks.filter((c) => c.onTrace === true) as unknown as TraceCheck[];
  const notRun: NotRun[] = target.checks
    .filter((c) => c.onTrace !== true)
    .map((c) => ({ check: c.name, why: 'a live check: it reads the simulator or a node at the end of a run, which a trace does not hold' }));
  for (const c of traceChecks) for (const name of c.covers ?? []) exercised[name] = 0;
  const fail = (f: Omit<Failure, 'timeUs' | 'traceIndex'> & { traceIndex?: number }): void => {
    if (failure !== null) return;
    // As a live run: the failure's position is the record after the one being read (where sim.failure goes).
    const at = current === null ? 0 : current.i + 1;
    failure = { ...f, timeUs: current?.t ?? 0, traceIndex: f.traceIndex ?? at };
  };
  let seed = 0;
  const ctx: TraceContext = {
    trace,
    get seed() {
      return seed;
    },
    nowMs: () => (current?.t ?? 0) / 1000,
    fail: (kind, check, message, details) => fail({ kind, check, message, details, traceIndex: typeof details?.traceIndex === 'number' ? details.traceIndex : undefined }),
    exercised: (name, n = 1) => {
      exercised[name] = (exercised[name] ?? 0) + n;
    },
    runState: new Map(),
  };
  let header: Record<string, unknown> | null = null;
  let recordedVerdict: string | null = null;
  let watch: ReturnType<typeof watchTrace> | null = null;
  let complete = false;
  let converged = false;
  let n = 0;
  const unknownKinds: Record<string, number> = {};
  const start = (): void => {
    // Checks subscribe first: the closed vocabulary counts their subscriptions (as in runScenario).
    for (const c of traceChecks) c.setup?.(ctx);
    watch = watchTrace(target.models, trace, fail);
  };
  // A check that throws on a record (a trace missing what it reads, a hand-made check that reads more than
  // the trace) is a crash verdict naming it, never an exception out of check-trace.
  const guarded = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      fail({ kind: 'crash', check: 'check-trace', message: `${what} threw at trace #${current?.i ?? 0}: ${err.message}`, details: { stack: err.stack ?? '' } });
    }
  };
  for await (const rec of records) {
    n++;
    current = rec;
    if (n === 1) {
      if (rec.kind === 'sim.begin') {
        header = rec.data;
        if (typeof rec.data.seed === 'number') seed = rec.data.seed;
        guarded('setting up the checks', start);
        continue;
      }
      guarded('setting up the checks', start);
      if (failure !== null) break;
    }
    if (rec.kind === 'sim.failure') continue;
    // The record's shape first: a known kind with a missing or mistyped field would reach the models as
    // garbage. A kind the schema does not know (a port's own, a user workload's) is counted, not judged.
    if (knownKind(rec.kind)) {
      const why = validateRecord(rec);
      if (why !== null) {
        fail({ kind: 'correctness', check: 'trace-schema', message: `${why} (trace schema v1, docs/trace-schema.md)`, node: rec.node, traceIndex: rec.i, details: { record: rec } });
        break;
      }
    } else unknownKinds[rec.kind] = (unknownKinds[rec.kind] ?? 0) + 1;
    if (rec.kind === 'sim.end') {
      recordedVerdict = typeof rec.data.verdict === 'string' ? rec.data.verdict : null;
      if (failure === null) for (const c of traceChecks) if (c.final !== undefined && failure === null) guarded(`the final check of ${c.name}`, () => c.final!(ctx));
      complete = true;
      break;
    }
    guarded(`a check reading '${rec.kind}'`, () => trace.dispatch(rec));
    if (rec.kind === 'sim.converged' && failure === null) {
      converged = true;
      const hot = (watch as ReturnType<typeof watchTrace> | null)?.hot() ?? [];
      if (hot.length > 0) {
        fail({
          kind: 'liveness',
          check: `model:${hot[0]!.model}`,
          message: `the trace claims convergence (sim.converged, trace #${rec.i}) with ${describeHot(hot, rec.t)}`,
          details: { hot },
        });
      }
    }
    if (failure !== null) break;
  }
  if (watch === null) guarded('setting up the checks', start);
  if (complete && !converged && failure === null && target.models.some((m) => (m.hot ?? []).length > 0)) {
    notRun.push({ check: 'hot states (liveness)', why: 'the trace never claims convergence (no sim.converged record): model instances left in hot states were not judged' });
  }
  if (!complete && failure === null) {
    for (const c of traceChecks) if (c.final !== undefined) notRun.push({ check: c.name, why: 'its final check: the trace does not end with sim.end' });
  }
  const f = failure as Failure | null;
  return {
    verdict: f?.kind ?? 'pass',
    failure: f,
    records: n,
    complete,
    converged,
    header,
    recordedVerdict,
    notRun,
    unknownKinds,
    coverage: (watch as ReturnType<typeof watchTrace> | null)?.monitors.map((m) => m.coverage) ?? [],
    exercised,
  };
}

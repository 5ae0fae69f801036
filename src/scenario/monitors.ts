/**
 * Everything that watches one run besides the checks: evidence recorders (ground truth into the trace),
 * model monitors, the closed vocabulary of the models' areas, the crediting of faults to the model
 * instances they hit, and the hot states read at the liveness deadline.
 */
import { appliedFaultKind } from '../faults/schema.ts';
import type { TraceSource } from '../model/check.ts';
import { ModelMonitor, type HotInstance, type ModelSpec, type MonitorSink } from '../model/monitor.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { Scenario } from './types.ts';
import { DeferredTrace } from './deferred.ts';
import { CS_PROBES } from '../impl/clientserver/probes.ts';
import { DEMO_PROBES } from '../impl/demo/probes.ts';
import { ELECTION_PROBES } from '../impl/election/probes.ts';
import { PEER_PROBES } from '../impl/peer/probes.ts';
import { PROVIDER_PROBES } from '../impl/provider/probes.ts';
import { STORAGE_PROBES } from '../impl/storage/probes.ts';

/**
 * The probe names of the implementation's areas, by area prefix: a probe of one of these areas that its
 * list does not name is a rare path the scenarios' probe expectations cannot see (a misspelt or garbled
 * name), and fails the run (`trace-names`).
 */
const KNOWN_PROBES: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const byPrefix = new Map<string, Set<string>>();
  for (const list of [STORAGE_PROBES, ELECTION_PROBES, PEER_PROBES, DEMO_PROBES, PROVIDER_PROBES, CS_PROBES] as readonly (readonly string[])[]) {
    const all = new Set<string>(list);
    for (const name of list) byPrefix.set(`${name.split('.')[0]!}.`, all);
  }
  return byPrefix;
})();

/** Why the probe `name` is not one of its area's (null when it is, or belongs to no known area). */
export function unknownProbe(name: string): string | null {
  for (const [prefix, known] of KNOWN_PROBES) {
    if (name.startsWith(prefix)) return known.has(name) ? null : `probe '${name}' is in no probe list of the '${prefix.slice(0, -1)}' area (src/impl/*/probes.ts)`;
  }
  return null;
}

/** The monitors of a run. */
export interface Watch {
  /** The model monitors (their state is current after `flush`). */
  monitors: ModelMonitor[];
  /** Instances of every model still in a hot state (the monitors catch up first). */
  hot(): HotInstance[];
  /** Lets the monitors read every record written so far (they may read them in batches: deferred.ts). */
  flush(): void;
}

/** Fault record fields that name the nodes a fault hits. */
const TARGET_FIELDS = ['node', 'nodes', 'a', 'b', 'from', 'to'] as const;

/**
 * The nodes a fault record hit (`fault.<kind>` data: node, a/b, from/to...), or null when it names none
 * (a world-wide fault such as a default link change).
 */
export function faultTargets(rec: TraceRecord): Set<string> | null {
  const out = new Set<string>();
  for (const f of TARGET_FIELDS) {
    const v = rec.data[f];
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.add(x);
  }
  return out.size > 0 ? out : null;
}

/**
 * Installs the scenario's evidence recorders and model monitors on `sim`. The monitors read their records
 * in batches of `batch` (src/scenario/deferred.ts; 1: each as it is written, for an observer that reads
 * their state while the run goes on).
 */
export function installWatch(scenario: Scenario, sim: Simulation, batch = MODEL_BATCH): Watch {
  for (const r of scenario.evidence ?? []) r.install(sim);
  const reader = new DeferredTrace(sim.trace, batch, (e, rec) => {
    const err = e instanceof Error ? e : new Error(String(e));
    sim.fail({ kind: 'crash', check: 'simulator', message: `a model threw reading trace #${rec.i} (${rec.kind}): ${err.message}`, traceIndex: rec.i, details: { stack: err.stack ?? '' }, timeUs: rec.t });
  });
  sim.addDeferredReader(() => reader.catchUp());
  // A failure a monitor finds keeps the time of the record it refused (the run has gone on since).
  return watchTrace(scenario.models ?? [], sim.trace, (f) => sim.fail({ ...f, timeUs: reader.current?.t }), reader);
}

/**
 * (record, reader) pairs the model monitors of a live run let wait before they read them (deferred.ts).
 * Measured in one process, sizes alternating, best of 3 rounds: the election swarm with its checks, seeds
 * 1..10: batch 1 (each record at once) 829 ms, 64 787, 256 744, 512 758, 2048 758, 8192 730; the
 * client-server bench (8 clients, seeds 100..101): 1707, 1776, 1677, 1671, 1739, 1806 ms.
 */
export const MODEL_BATCH = 512;

/**
 * The watch over a trace, live or recorded: the probe names (`trace-names`), a monitor per model, the
 * closed vocabulary of the models' areas, and the crediting of applied faults to the model instances they
 * hit. Reads only the records.
 */
export function watchTrace(models: readonly ModelSpec[], trace: TraceSource, fail: MonitorSink['fail'], reader?: DeferredTrace): Watch {
  trace.on('probe', (rec) => {
    const why = unknownProbe(String(rec.data.name));
    if (why !== null) fail({ kind: 'correctness', check: 'trace-names', node: rec.node, traceIndex: rec.i, message: `${rec.node}: ${why}` });
  });
  const sink: MonitorSink = { fail };
  const monitors = models.map((m) => new ModelMonitor(m, sink));
  for (const m of monitors) m.attach(reader ?? trace);
  if (monitors.length > 0) {
    const vocabulary = closedVocabulary(monitors, trace, fail);
    /** State-by-fault coverage: the states of the instances a fault hit, read in turn with the monitors' records. */
    const credit = (rec: TraceRecord): void => {
      const kind = appliedFaultKind(rec.kind);
      if (kind === null) return;
      const targets = faultTargets(rec);
      for (const m of monitors) m.noteFault(kind, targets);
    };
    trace.on('*', (rec) => {
      if (rec.node === 'fault') {
        // Applied faults only ('fault.<kind>', not the injector's bookkeeping).
        if (reader === undefined) credit(rec);
        else if (appliedFaultKind(rec.kind) !== null) reader.later(rec, credit);
        return;
      }
      vocabulary(rec);
    });
  }
  const flush = (): void => reader?.catchUp();
  return {
    monitors,
    hot: () => {
      flush();
      return monitors.flatMap((m) => m.hot());
    },
    flush,
  };
}

/**
 * The closed-vocabulary check: a record whose kind lies in a model's area (`ModelSpec.areas`) must be read
 * by some model (its `kinds` or `ignores`) or by some check (a subscription to that kind); otherwise the run
 * fails naming the model and the kind. Decided once per kind.
 */
function closedVocabulary(monitors: readonly ModelMonitor[], trace: TraceSource, fail: MonitorSink['fail']): (rec: TraceRecord) => void {
  const known = new Set<string>();
  for (const m of monitors) {
    for (const k of m.spec.kinds) known.add(k);
    for (const k of Object.keys(m.spec.ignores ?? {})) known.add(k);
  }
  const owners = monitors.flatMap((m) => (m.spec.areas ?? []).map((prefix) => ({ prefix, model: m.spec.name })));
  const verdict = new Map<string, string | null>();
  let failed = false;
  return (rec) => {
    if (failed || owners.length === 0) return;
    let owner = verdict.get(rec.kind);
    if (owner === undefined) {
      const o = owners.find((x) => rec.kind.startsWith(x.prefix));
      owner = o === undefined || known.has(rec.kind) || trace.hasListener(rec.kind) ? null : o.model;
      verdict.set(rec.kind, owner);
    }
    if (owner === null) return;
    failed = true;
    fail({
      kind: 'correctness',
      check: `model:${owner}`,
      message:
        `model:${owner}: unmapped kind '${rec.kind}' (trace #${rec.i}, ${rec.node} at ${rec.t} µs): a record of the model's area that ` +
        `no model or check reads (map it to a model event, or list it in the model's ignores with the reason)`,
      node: rec.node,
      traceIndex: rec.i,
      details: { model: owner, kind: rec.kind, record: rec },
    });
  };
}

/** A liveness message naming the instances still in hot states. */
export function describeHot(hot: readonly HotInstance[], nowUs: number): string {
  const shown = hot.slice(0, 5).map((h) => `model '${h.model}' instance '${h.instance}' still in hot state '${h.state}' (for ${((nowUs - h.sinceUs) / 1000).toFixed(0)} ms)`);
  return `${shown.join('; ')}${hot.length > 5 ? `; and ${hot.length - 5} more` : ''}`;
}

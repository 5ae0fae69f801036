/**
 * Coverage across a sweep, computed from a results file: per model, how often each state and transition
 * of its full graph was reached (and which never were); the state-by-fault table (which fault kinds were
 * injected while some instance was in each state); and the probes, counted per suite, with the ones never
 * reached listed.
 */
import { mergeCoverage, type ModelCoverage } from '../model/monitor.ts';
import type { ResultsFile } from './results.ts';

/**
 * Trace kinds 'fault.end', 'fault.heal', 'fault.arm' and 'fault.miss' are bookkeeping of the injector, not faults; the
 * monitor counts every 'fault.*' record, so they are left out of the state-by-fault table here.
 */
export const NOT_FAULT_KINDS: ReadonlySet<string> = new Set(['end', 'heal', 'arm', 'miss']);

/** A state or transition with its reach count. */
export interface Reach {
  key: string;
  count: number;
}

/** Coverage of one model over the sweep. */
export interface ModelReport {
  name: string;
  initial: string;
  states: Reach[];
  /** Transitions 'from|EVENT|to'. */
  transitions: Reach[];
  statesReached: number;
  transitionsReached: number;
  /** Reached states or transitions missing from the graph (a monitor/graph mismatch worth a look). */
  extra: string[];
  /** State -> fault kind -> injections while some instance was in that state. */
  stateFaults: Record<string, Record<string, number>>;
  /** Fault kinds that appear in stateFaults, sorted. */
  faultKinds: string[];
  /** Every guard of the model with the times it decided an event (0: vacuous over this sweep). */
  guards: Reach[];
}

/** One probe across the sweep. */
export interface ProbeReport {
  name: string;
  hits: number;
  /** Suite -> hits in the scenarios of that suite, for the suites the sweep targeted (see sweptSuites). */
  bySuite: Record<string, number>;
  /** Scenarios that declare it. */
  declaredBy: string[];
}

/** The coverage report. */
export interface CoverageReport {
  models: ModelReport[];
  probes: ProbeReport[];
  /** Fault kind -> injections, over every scenario. */
  faults: Record<string, number>;
  /** Every invariant a check covers, with the times it was evaluated on real input (0: vacuous). */
  invariants: Reach[];
}

function sumCoverage(file: ResultsFile): Map<string, ModelCoverage> {
  const byModel = new Map<string, ModelCoverage>();
  for (const agg of Object.values(file.scenarios)) {
    for (const c of agg.coverage) {
      const into = byModel.get(c.model) ?? { model: c.model, states: {}, transitions: {}, stateFaults: {}, guards: {} };
      byModel.set(c.model, mergeCoverage(into, c));
    }
  }
  return byModel;
}

/**
 * The monitor's transition counts keyed as the graph lists them: a machine-level targetless transition
 * ('*|EVENT|*' in the graph) is counted by the monitor as 'state|EVENT|state' in whatever state the instance
 * was; those counts that no leaf transition of the graph (`known`) explains are credited to the '*' key.
 */
export function creditTransitions(known: ReadonlySet<string>, transitions: Readonly<Record<string, number>>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, n] of Object.entries(transitions)) {
    const [from, event, to] = key.split('|') as [string, string, string];
    const anywhere = `*|${event}|*`;
    const k = !known.has(key) && from === to && known.has(anywhere) ? anywhere : key;
    counts[k] = (counts[k] ?? 0) + n;
  }
  return counts;
}

function modelReport(name: string, file: ResultsFile, cov: ModelCoverage | undefined): ModelReport {
  const g = file.models[name] ?? { initial: '', states: Object.keys(cov?.states ?? {}).sort(), transitions: Object.keys(cov?.transitions ?? {}).sort() };
  const c = cov ?? { model: name, states: {}, transitions: {}, stateFaults: {}, guards: {} };
  const states = g.states.map((key) => ({ key, count: c.states[key] ?? 0 }));
  const known = new Set([...g.states, ...g.transitions]);
  const counts = creditTransitions(known, c.transitions);
  const transitions = g.transitions.map((key) => ({ key, count: counts[key] ?? 0 }));
  const extra = [...Object.keys(c.states), ...Object.keys(counts)].filter((k) => !known.has(k)).sort();
  const kinds = new Set<string>();
  const stateFaults: Record<string, Record<string, number>> = {};
  for (const [state, row] of Object.entries(c.stateFaults)) {
    for (const [k, n] of Object.entries(row)) {
      if (NOT_FAULT_KINDS.has(k)) continue;
      kinds.add(k);
      (stateFaults[state] ??= {})[k] = n;
    }
  }
  return {
    name,
    initial: g.initial,
    states,
    transitions,
    statesReached: states.filter((s) => s.count > 0).length,
    transitionsReached: transitions.filter((t) => t.count > 0).length,
    extra,
    stateFaults,
    faultKinds: [...kinds].sort(),
    guards: [...new Set([...(g.guards ?? []), ...Object.keys(c.guards ?? {})])].sort().map((key) => ({ key, count: c.guards?.[key] ?? 0 })),
  };
}

function invariantReports(file: ResultsFile): Reach[] {
  const sum: Record<string, number> = {};
  for (const agg of Object.values(file.scenarios)) for (const [k, n] of Object.entries(agg.exercised ?? {})) sum[k] = (sum[k] ?? 0) + n;
  return Object.keys(sum).sort().map((key) => ({ key, count: sum[key]! }));
}

/**
 * Suites whose per-suite probe counts the report shows: the suites the sweep was asked for (its targets,
 * over every merged file). A scenario also belongs to suites that were not run; crediting those with its
 * hits would present a partial count ('ci 117' after `run smoke`) as the suite's. Scenarios named one by
 * one add no suite column: their hits show in the total only.
 */
export function sweptSuites(file: ResultsFile): Set<string> {
  const targets = new Set(file.meta.targets);
  const out = new Set<string>();
  for (const agg of Object.values(file.scenarios)) for (const s of agg.suites) if (targets.has(s)) out.add(s);
  return out;
}

function probeReports(file: ResultsFile): ProbeReport[] {
  const swept = sweptSuites(file);
  const m = new Map<string, ProbeReport>();
  const get = (name: string): ProbeReport => {
    let p = m.get(name);
    if (p === undefined) m.set(name, (p = { name, hits: 0, bySuite: {}, declaredBy: [] }));
    return p;
  };
  for (const [scenario, agg] of Object.entries(file.scenarios)) {
    for (const name of agg.probesDeclared) {
      const p = get(name);
      p.declaredBy.push(scenario);
      for (const s of agg.suites) if (swept.has(s)) p.bySuite[s] ??= 0;
    }
    for (const [name, hits] of Object.entries(agg.probes)) {
      const p = get(name);
      p.hits += hits;
      for (const s of agg.suites) if (swept.has(s)) p.bySuite[s] = (p.bySuite[s] ?? 0) + hits;
    }
  }
  return [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Builds the coverage report of a results file. */
export function coverageReport(file: ResultsFile): CoverageReport {
  const sums = sumCoverage(file);
  const names = new Set([...Object.keys(file.models), ...sums.keys()]);
  const faults: Record<string, number> = {};
  for (const agg of Object.values(file.scenarios)) for (const [k, n] of Object.entries(agg.faults)) faults[k] = (faults[k] ?? 0) + n;
  return {
    models: [...names].sort().map((n) => modelReport(n, file, sums.get(n))),
    probes: probeReports(file),
    faults,
    invariants: invariantReports(file),
  };
}

function pct(a: number, b: number): string {
  return b === 0 ? '-' : `${((100 * a) / b).toFixed(0)}%`;
}

/** The coverage report as text lines for the terminal. */
/** Of the declared probes, how many some run reached; and every probe never reached (declared ones). */
export function probeSummary(probes: readonly ProbeReport[]): { declared: number; reached: number; never: string[] } {
  const declared = probes.filter((p) => p.declaredBy.length > 0);
  return { declared: declared.length, reached: declared.filter((p) => p.hits > 0).length, never: probes.filter((p) => p.hits === 0).map((p) => p.name) };
}

export function coverageText(r: CoverageReport): string[] {
  const lines: string[] = [];
  if (r.models.length === 0) lines.push('no models watched these runs');
  for (const m of r.models) {
    lines.push(`model ${m.name}: states ${m.statesReached}/${m.states.length} (${pct(m.statesReached, m.states.length)}), transitions ${m.transitionsReached}/${m.transitions.length} (${pct(m.transitionsReached, m.transitions.length)})`);
    for (const s of m.states) lines.push(`  ${s.count === 0 ? 'NEVER' : String(s.count).padStart(5)}  state ${s.key}${m.stateFaults[s.key] ? `  faults: ${Object.keys(m.stateFaults[s.key]!).sort().join(', ')}` : ''}`);
    for (const t of m.transitions.filter((x) => x.count === 0)) lines.push(`  NEVER  transition ${t.key.replace(/\|/g, ' --')}`);
    for (const e of m.extra) lines.push(`  note: reached '${e}', which is not in the model's graph`);
    const idle = m.guards.filter((g) => g.count === 0).map((g) => g.key);
    if (m.guards.length > 0) lines.push(`  guards: ${m.guards.length - idle.length}/${m.guards.length} decided something${idle.length > 0 ? `; vacuous (never evaluated): ${idle.join(', ')}` : ''}`);
  }
  if (r.invariants.length > 0) {
    const vacuous = r.invariants.filter((x) => x.count === 0).map((x) => x.key);
    lines.push('');
    lines.push(`invariants: ${r.invariants.length - vacuous.length}/${r.invariants.length} evaluated on real input${vacuous.length > 0 ? `; vacuous (never evaluated): ${vacuous.join(', ')}` : ''}`);
  }
  lines.push('');
  if (r.probes.length === 0) lines.push('no probes declared or reached');
  else {
    const { declared, reached, never } = probeSummary(r.probes);
    lines.push(`probes: ${reached}/${declared} declared reached${never.length > 0 ? `; never reached: ${never.join(', ')}` : ''}`);
  }
  for (const p of r.probes) {
    const suites = Object.entries(p.bySuite).map(([s, n]) => `${s} ${n}`).join(', ');
    lines.push(`${p.hits === 0 ? 'NEVER' : String(p.hits).padStart(5)}  probe ${p.name}${suites ? `  (${suites})` : ''}`);
  }
  return lines;
}

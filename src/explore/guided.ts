/**
 * Model-guided exploration: spend a budget of runs where the models say coverage is missing.
 *
 * Plain seeds sample fault plans blindly: a crash lands wherever the swarm's clock puts it, so a state
 * that lasts a millisecond (a recovery deciding, a commit between its marker write and its finalize) is
 * almost never hit. Guided exploration watches every run it makes:
 * - coverage: model states, transitions and (state, fault kind) cells reached so far;
 * - anchors: for each model state, operations its node performed while an instance was in it ("B's 3rd kv
 *   commit happened while B's recovery model was in `reloading`"), counted exactly as fault triggers count
 *   them (node, area, op), together with the seed and plan of that run.
 * A guided run takes an empty cell (state S never hit by fault kind F) or an unreached transition out of a
 * reached state S, picks an anchor of S, and re-runs that anchor's seed and plan with one more fault of kind
 * F triggered at exactly that operation: the run is the same up to that point (a run is a pure function of
 * seed and plan), so the fault lands while the instance is in S. Runs that add coverage are kept in a
 * corpus (`syncbench run --corpus` replays them); failures are findings, printed with their replay.
 * A share of the budget stays on fresh plain seeds, which find new states and anchors.
 */
import { appliedFaultKind } from '../faults/schema.ts';
import { validatePlan, type FaultEvent, type FaultKind, type FaultPlan, type TriggerArea } from '../faults/plan.ts';
import { faultAt as placeFault } from '../faults/place.ts';
import { stateKey, type ModelMonitor } from '../model/monitor.ts';
import { Rng } from '../sim/rng.ts';
import type { Simulation } from '../sim/simulation.ts';
import { planFor, runScenario } from '../scenario/run.ts';
import type { RunResult, Scenario } from '../scenario/types.ts';
import type { CorpusEntry } from '../runner/corpus.ts';
import type { OpInfo } from '../sim/types.ts';

/** An operation a trigger can name, seen while a model instance was in some state. */
export interface Anchor {
  node: string;
  area: TriggerArea;
  op: string;
  nth: number;
  /** The run it was seen in. */
  seed: number;
  plan: FaultPlan;
}

/** Coverage keys reached so far: 'model|state', 'model|from|EVENT|to', 'model|state|faultKind'. */
export interface CoverageSet {
  states: Set<string>;
  transitions: Set<string>;
  cells: Set<string>;
}

/** Options of one exploration. */
export interface ExploreOptions {
  scenario: Scenario;
  /** Runs to spend. */
  budget: number;
  /** First fresh seed (plain runs take seeds from here on). */
  seedFrom: number;
  /**
   * Share of runs on fresh plain seeds, at least (default 0.2; the first runs are always plain). Above it the
   * explorer shifts runs towards whichever of plain and guided runs has added more coverage per run so far.
   */
  plainShare?: number;
  /** The explorer's own random stream (default seeded from seedFrom). */
  rng?: Rng;
  /** Called after each run with what it added. */
  onRun?(step: ExploreStep): void;
  /** Called before each run with what it will run (a watchdog names it if the run never ends). */
  onRunStart?(entry: CorpusEntry): void;
  /** Receives every trace line of every run (e.g. a watchdog's heartbeat). */
  traceSink?(line: string): void;
}

/** One run of an exploration. */
export interface ExploreStep {
  result: RunResult;
  guided: boolean;
  /** What the guided run aimed at ('model|state|fault' or a transition key). */
  target: string | null;
  /** New coverage keys it reached. */
  added: number;
  entry: CorpusEntry;
}

/** The outcome of an exploration. */
export interface ExploreOutcome {
  coverage: CoverageSet;
  /** Runs that added coverage (to keep). */
  kept: CorpusEntry[];
  /** Runs that failed (findings to triage). */
  findings: { entry: CorpusEntry; result: RunResult }[];
  runs: number;
}

/** Coverage keys of one run. */
export function coverageKeys(r: RunResult): CoverageSet {
  const out: CoverageSet = { states: new Set(), transitions: new Set(), cells: new Set() };
  for (const c of r.coverage) {
    for (const [s, n] of Object.entries(c.states)) if (n > 0) out.states.add(`${c.model}|${s}`);
    for (const [t, n] of Object.entries(c.transitions)) if (n > 0) out.transitions.add(`${c.model}|${t}`);
    for (const [s, row] of Object.entries(c.stateFaults)) for (const [f, n] of Object.entries(row)) if (n > 0 && appliedFaultKind(`fault.${f}`) !== null) out.cells.add(`${c.model}|${s}|${f}`);
  }
  return out;
}

/** Adds `b` into `a`; returns how many keys were new. */
export function addCoverage(a: CoverageSet, b: CoverageSet): number {
  let n = 0;
  for (const k of ['states', 'transitions', 'cells'] as const) {
    for (const x of b[k]) {
      if (a[k].has(x)) continue;
      a[k].add(x);
      n++;
    }
  }
  return n;
}

/** An empty coverage set. */
export function emptyCoverage(): CoverageSet {
  return { states: new Set(), transitions: new Set(), cells: new Set() };
}

const TRIGGER_AREAS: ReadonlySet<string> = new Set(['disk', 'kv', 'net', 'bus', 'lock']);
/** Anchors kept per (model, state): the earliest few and a reservoir of later ones. */
const ANCHORS_PER_STATE = 12;

/**
 * An observer for `RunOptions.observe`: counts every operation per (node, area, op) as triggers count them
 * and records, per 'model|state', operations performed while an instance on that node was in that state.
 */
export function anchorObserver(seed: number, plan: FaultPlan, into: Map<string, Anchor[]>, rng: Rng): (sim: Simulation, monitors: readonly ModelMonitor[]) => void {
  return (sim, monitors) => {
    const counts = new Map<string, number>();
    const seen = new Map<string, number>();
    sim.addInterceptor((op: OpInfo) => {
      if (!TRIGGER_AREAS.has(op.area)) return null;
      const key = `${op.node}\u0000${op.area}\u0000${op.op}`;
      const nth = (counts.get(key) ?? 0) + 1;
      counts.set(key, nth);
      for (const m of monitors) {
        for (const [instance, snap] of m.instances) {
          if ((m.spec.nodeOf?.(instance) ?? instance) !== op.node) continue;
          const state = `${m.spec.name}|${stateKey(snap.value)}`;
          const n = (seen.get(state) ?? 0) + 1;
          seen.set(state, n);
          let list = into.get(state);
          if (list === undefined) into.set(state, (list = []));
          const anchor: Anchor = { node: op.node, area: op.area as TriggerArea, op: op.op, nth, seed, plan };
          // Reservoir sampling over this run's occurrences keeps anchors spread over the run.
          if (list.length < ANCHORS_PER_STATE) list.push(anchor);
          else if (rng.int(n) < ANCHORS_PER_STATE) list[rng.int(ANCHORS_PER_STATE)] = anchor;
        }
      }
      return null;
    });
  };
}

/**
 * Fault kinds exploration aims at a scenario: those it declares (`Scenario.explore`), else its swarm's
 * kinds, or its plan's plus crash and pause.
 */
export function scenarioFaultKinds(s: Scenario): FaultKind[] {
  if (s.explore !== undefined) return [...s.explore.kinds].sort();
  const f = s.faults;
  const kinds = new Set<FaultKind>(['crash', 'pause']);
  if (f !== undefined && 'swarm' in f) for (const k of f.swarm.kinds ?? []) kinds.add(k);
  else for (const e of f?.events ?? []) kinds.add(e.kind);
  kinds.delete('restart');
  kinds.delete('resume');
  return [...kinds].sort();
}

/** Random parameters for a fault of `kind` aimed by exploration (the rest come from `faultAt`'s defaults). */
function aimParams(kind: FaultKind, a: Anchor, others: readonly string[], rng: Rng): Record<string, unknown> | null {
  const ms = (lo: number, hi: number): number => lo + rng.int(hi - lo + 1);
  const sign = (): number => (rng.chance(0.5) ? -1 : 1);
  const later = a.area === 'disk' || a.area === 'kv';
  switch (kind) {
    case 'crash':
      return { when: later && rng.chance(0.5) ? 'before' : 'after', ...(rng.chance(0.6) ? { restartAfterMs: ms(20, 1500) } : {}) };
    case 'pause':
      return { durationMs: ms(50, 3000), when: later && rng.chance(0.5) ? 'before' : 'after' };
    case 'clockJump':
      return { deltaMs: sign() * ms(100, 20_000) };
    case 'clockDrift':
      return { driftPpm: sign() * ms(1000, 20_000), durationMs: ms(200, 5000) };
    case 'taskDelay':
      return { delayMs: ms(10, 2000), durationMs: ms(200, 5000) };
    case 'isolate':
      return others.length === 0 ? null : { durationMs: ms(100, 5000) };
    case 'partition':
      return others.length === 0 ? null : { b: [...others], durationMs: ms(100, 5000) };
    case 'resetConnections':
      return others.length === 0 ? null : {};
    case 'clog':
      return others.length === 0 ? null : { to: rng.pick(others), durationMs: ms(100, 3000) };
    case 'diskError':
      return a.area === 'disk' || a.area === 'kv' ? { code: rng.chance(0.5) ? 'EIO' : 'ENOSPC' } : null;
    case 'fsyncFail':
    case 'bitFlip':
    case 'tornWrite':
    case 'corrupt':
      return {};
    default:
      return null;
  }
}

/**
 * A fault of `kind` triggered at anchor `a` (src/faults/place.ts builds and validates it), or null when the
 * kind cannot be aimed at that operation.
 */
export function faultAt(kind: FaultKind, a: Anchor, nodes: readonly string[], rng: Rng): FaultEvent | null {
  const params = aimParams(kind, a, nodes.filter((n) => n !== a.node), rng);
  if (params === null) return null;
  try {
    return placeFault(kind, { node: a.node, area: a.area, op: a.op }, a.nth, params, nodes);
  } catch {
    return null;
  }
}

/** Times a target may be aimed at without success before it is given up (some are unreachable). */
const TRIES_PER_TARGET = 3;

/**
 * Targets worth aiming at: empty (state, fault) cells and unreached transitions out of reached states,
 * minus those tried TRIES_PER_TARGET times already.
 */
function targets(
  cov: CoverageSet,
  graphs: ReadonlyMap<string, readonly string[]>,
  kinds: readonly FaultKind[],
  anchors: ReadonlyMap<string, Anchor[]>,
  tried: ReadonlyMap<string, number>,
): { key: string; state: string; kind: FaultKind | null }[] {
  const out: { key: string; state: string; kind: FaultKind | null }[] = [];
  const fresh = (key: string): boolean => (tried.get(key) ?? 0) < TRIES_PER_TARGET;
  for (const state of anchors.keys()) {
    if (!cov.states.has(state)) continue;
    for (const k of kinds) if (!cov.cells.has(`${state}|${k}`) && fresh(`${state}|${k}`)) out.push({ key: `${state}|${k}`, state, kind: k });
  }
  for (const [model, transitions] of graphs) {
    for (const t of transitions) {
      const key = `${model}|${t}`;
      const state = `${model}|${t.split('|')[0]!}`;
      if (!cov.transitions.has(key) && anchors.has(state) && fresh(key)) out.push({ key, state, kind: null });
    }
  }
  return out;
}

/** Coverage added per run by plain and by guided runs so far (a two-armed bandit). */
class Arms {
  private readonly sum = { plain: 1, guided: 1 };
  private readonly n = { plain: 1, guided: 1 };
  note(guided: boolean, added: number): void {
    const arm = guided ? 'guided' : 'plain';
    this.sum[arm] += added;
    this.n[arm]++;
  }
  /** The probability of a plain run next: the better arm gets the rest above `floor`. */
  plainProbability(floor: number): number {
    const p = this.sum.plain / this.n.plain;
    const g = this.sum.guided / this.n.guided;
    return Math.min(1 - floor, Math.max(floor, p / (p + g)));
  }
}

/** Runs an exploration of one scenario. */
export async function explore(o: ExploreOptions, graphs: ReadonlyMap<string, readonly string[]>, start: CoverageSet = emptyCoverage()): Promise<ExploreOutcome> {
  const rng = o.rng ?? new Rng(o.seedFrom).fork('explore');
  const cov = start;
  const anchors = new Map<string, Anchor[]>();
  const kinds = scenarioFaultKinds(o.scenario);
  const nodes = o.scenario.topology.nodes.map((n) => n.id);
  const out: ExploreOutcome = { coverage: cov, kept: [], findings: [], runs: 0 };
  const plainShare = o.plainShare ?? 0.2;
  const warmup = Math.max(2, Math.ceil(o.budget * 0.1));
  const arms = new Arms();
  const tried = new Map<string, number>();
  let nextSeed = o.seedFrom;
  for (let i = 0; i < o.budget; i++) {
    const wantGuided = i >= warmup && !rng.chance(arms.plainProbability(plainShare));
    const aim = wantGuided ? pickAim(targets(cov, graphs, kinds, anchors, tried), anchors, kinds, nodes, rng) : null;
    if (aim !== null) tried.set(aim.key, (tried.get(aim.key) ?? 0) + 1);
    const seed = aim?.anchor.seed ?? nextSeed++;
    const plan = aim === null ? planFor(o.scenario, seed, {}).plan : { events: [...aim.anchor.plan.events, aim.event] };
    const entry: CorpusEntry = { scenario: o.scenario.name, seed, why: aim === null ? 'explore: plain seed' : `explore: aimed at ${aim.key}` };
    if (aim !== null) entry.faults = plan;
    o.onRunStart?.(entry);
    const result = await runScenario(o.scenario, seed, {
      ...(aim === null ? {} : { faults: plan }),
      observe: anchorObserver(seed, plan, anchors, rng),
      traceSink: o.traceSink,
    });
    out.runs++;
    const added = addCoverage(cov, coverageKeys(result));
    arms.note(aim !== null, added);
    if (result.verdict !== 'pass') out.findings.push({ entry, result });
    else if (added > 0) {
      entry.why += `, added ${added} coverage keys`;
      out.kept.push(entry);
    }
    o.onRun?.({ result, guided: aim !== null, target: aim?.key ?? null, added, entry });
  }
  return out;
}

function pickAim(
  ts: { key: string; state: string; kind: FaultKind | null }[],
  anchors: ReadonlyMap<string, Anchor[]>,
  kinds: readonly FaultKind[],
  nodes: readonly string[],
  rng: Rng,
): { key: string; anchor: Anchor; event: FaultEvent } | null {
  for (let tries = 0; tries < 8 && ts.length > 0; tries++) {
    const t = rng.pick(ts);
    const list = anchors.get(t.state);
    if (list === undefined || list.length === 0) continue;
    const anchor = rng.pick(list);
    const event = faultAt(t.kind ?? rng.pick(kinds), anchor, nodes, rng);
    if (event === null) continue;
    try {
      validatePlan({ events: [...anchor.plan.events, event] }, [...nodes]);
    } catch {
      continue;
    }
    return { key: t.key, anchor, event };
  }
  return null;
}

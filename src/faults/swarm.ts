/**
 * Swarm testing: the seed picks WHICH fault kinds are on and HOW OFTEN they strike, then the plan.
 *
 * Following TigerBeetle's swarm options, each kind is enabled with some probability (at least one always
 * is; each enabled kind strikes at least once) and gets a rate (events per simulated second, drawn
 * log-uniformly from its range) and, for faults that last, a duration range whose minimum keeps flapping
 * faults stable long enough to matter. Different seeds thus explore different mixes instead of one
 * average soup of everything.
 *
 * Some events land at an exact operation instead of a time: crashes (with or without power loss), pauses
 * (before or after the operation), clock jumps, isolations and damage at rest may be triggered at the
 * nth of one of the scenario's `triggerOps` performed by the node, so the rare windows between a write
 * and its fsync, a commit and its answer, a post and the next one are hit on purpose.
 *
 * `swarmPlan` is a pure function of (rng's seed and name, topology, options, duration). It forks one
 * stream for the mix and one per kind, and draws the mix for every kind even when options exclude it, so
 * restricting or enabling one kind never shifts what another kind generates.
 */
import type { Rng } from '../sim/rng.ts';
import type { CorruptMode, FaultEvent, FaultKind, FaultPlan, LinkFaultsFault, NodeSelector, Trigger, TriggerArea } from './plan.ts';
import { FAULT_KINDS, IMMEDIATE_AREAS, NETWORK_KINDS } from './schema.ts';
import { AREA_OPS, FaultPlanError, PLAN_LIMITS, parseSelector } from './validate.ts';

/** An inclusive range [min, max]. */
export interface Range {
  min: number;
  max: number;
}

/** An operation the swarm's triggered events may fire at. */
export interface TriggerOp {
  area: TriggerArea;
  op: string;
  /**
   * Roughly how many times a second one node performs it (default 10). A trigger drawn for time t counts
   * up to about t * perSec of them, so a rare operation (a lock request) gets small counts that are met.
   */
  perSec?: number;
}

/** What a corrupt fault drawn by the swarm may damage. */
export interface CorruptTarget {
  area: 'disk' | 'kv';
  /** A path or store name, a trailing '*' making it a prefix (default: any durable file or value). */
  path?: string;
}

/** An operation a diskError fault may fail. */
export interface ErrorOp {
  area: 'disk' | 'kv';
  op: string;
}

/** What a scenario lets the swarm do (all optional). */
export interface SwarmOptions {
  /** Kinds the swarm may enable. Default: every kind the topology supports except restart and resume. */
  kinds?: readonly FaultKind[];
  /** Probability that each allowed kind is enabled for a seed (default 0.5); at least one always is. */
  enableProbability?: number;
  /** Events per simulated second, per kind (defaults: SWARM_DEFAULTS). */
  ratePerSec?: Partial<Record<FaultKind, Range>>;
  /** Durations of faults that last, ms; `min` is the stability (defaults: SWARM_DEFAULTS). */
  durationMs?: Partial<Record<FaultKind, Range>>;
  /** Nodes that must never crash: neither they nor the devices they run on are crashed or torn. */
  neverCrash?: readonly string[];
  /**
   * Operations triggered events (crash, pause, clockJump, isolate, corrupt) may fire at: only operations
   * the scenario's program performs, or they never land. Default: disk fsync, write, rename; kv commit.
   */
  triggerOps?: readonly TriggerOp[];
  /** What corrupt faults may damage (default: any durable disk file). */
  corruptTargets?: readonly CorruptTarget[];
  /**
   * Operations diskError faults fail (e.g. `[{area: 'kv', op: 'commit'}]` for a program that stores only in
   * the kv store). Default: disk write, writeFile, fsync, read, rename or any disk operation.
   */
  errorOps?: readonly ErrorOp[];
  /** Most events in a plan (default 10,000); the summary says when the cap cut a plan short. */
  eventsMax?: number;
  /**
   * Roles to aim at instead of nodes (docs/faults.md, "Targets resolved when the fault fires"): each event
   * of `kinds` gets, with `probability`, one of `selectors` as its node, resolved when it fires ("pause the
   * leader"). Drawn from a stream of its own per kind: the plan's other draws do not move.
   */
  targets?: SwarmTargets;
}

/** Selector targets a swarm may draw (SwarmOptions.targets). */
export interface SwarmTargets {
  selectors: readonly NodeSelector[];
  /** Chance that one event of the kinds is aimed at a selector (0..1). */
  probability: number;
  /**
   * Kinds whose node may be a selector: pause, isolate, clockJump, clockDrift, and crash when no node is
   * in neverCrash (a selector may name any node). Default: all of these.
   */
  kinds?: readonly FaultKind[];
}

/** Kinds whose node a swarm may aim at a selector (crash only without neverCrash). */
export const SWARM_TARGET_KINDS: readonly FaultKind[] = ['crash', 'pause', 'isolate', 'clockJump', 'clockDrift'];

/** The mix one seed chose: one entry per enabled kind, in FAULT_KINDS order. */
export interface SwarmKindChoice {
  kind: FaultKind;
  /** Events per simulated second. */
  ratePerSec: number;
  /** Duration range of this kind's faults (ms), for kinds that last. */
  durationMs?: Range;
  /** Events generated. */
  events: number;
  /** Of those, events placed at an exact operation (a trigger) instead of a time. */
  triggered: number;
  /** Of those, events aimed at a selector instead of a node (only with SwarmOptions.targets). */
  aimed?: number;
}

/** What a swarm plan is made of, for printing at the start of a run. */
export interface SwarmSummary {
  durationMs: number;
  kinds: SwarmKindChoice[];
  events: number;
  /** True when eventsMax cut the plan short. */
  truncated: boolean;
  neverCrash: string[];
}

/**
 * Kinds a swarm never draws unless `kinds` names them: restart and resume, damage at rest (only data
 * kept with end-to-end checksums and a second copy can survive it), and late tasks (only browser tabs have
 * a bus and locks to make late: elsewhere it would be a fault that touches nothing).
 */
export const SWARM_OPT_IN_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>(['restart', 'resume', 'corrupt', 'taskDelay']);

/** Default rate (events/s) and, for lasting faults, duration range (ms) of every kind. */
export const SWARM_DEFAULTS: Readonly<Record<FaultKind, { ratePerSec: Range; durationMs?: Range }>> = {
  crash: { ratePerSec: { min: 0.05, max: 0.5 }, durationMs: { min: 50, max: 3_000 } },
  restart: { ratePerSec: { min: 0.05, max: 0.5 } },
  pause: { ratePerSec: { min: 0.05, max: 0.5 }, durationMs: { min: 100, max: 3_000 } },
  resume: { ratePerSec: { min: 0.05, max: 0.5 } },
  partition: { ratePerSec: { min: 0.05, max: 0.3 }, durationMs: { min: 200, max: 5_000 } },
  isolate: { ratePerSec: { min: 0.05, max: 0.3 }, durationMs: { min: 200, max: 5_000 } },
  clog: { ratePerSec: { min: 0.1, max: 0.5 }, durationMs: { min: 50, max: 2_000 } },
  stall: { ratePerSec: { min: 0.1, max: 0.5 }, durationMs: { min: 50, max: 2_000 } },
  resetConnections: { ratePerSec: { min: 0.05, max: 0.5 } },
  linkFaults: { ratePerSec: { min: 0.05, max: 0.3 }, durationMs: { min: 500, max: 5_000 } },
  clockJump: { ratePerSec: { min: 0.05, max: 0.3 } },
  clockDrift: { ratePerSec: { min: 0.02, max: 0.2 }, durationMs: { min: 1_000, max: 10_000 } },
  diskError: { ratePerSec: { min: 0.1, max: 1 }, durationMs: { min: 100, max: 2_000 } },
  fsyncFail: { ratePerSec: { min: 0.1, max: 1 }, durationMs: { min: 100, max: 2_000 } },
  tornWrite: { ratePerSec: { min: 0.02, max: 0.2 } },
  bitFlip: { ratePerSec: { min: 0.05, max: 0.5 }, durationMs: { min: 100, max: 2_000 } },
  corrupt: { ratePerSec: { min: 0.05, max: 0.5 } },
  taskDelay: { ratePerSec: { min: 0.05, max: 0.5 }, durationMs: { min: 200, max: 5_000 } },
};

/** Limits on swarm options. */
export const SWARM_LIMITS = { ratePerSecMax: 1_000, eventsMax: PLAN_LIMITS.eventsMax } as const;

const DEFAULT_TRIGGER_OPS: readonly TriggerOp[] = [
  { area: 'disk', op: 'fsync' },
  { area: 'disk', op: 'write' },
  { area: 'disk', op: 'rename' },
  { area: 'kv', op: 'commit' },
];

/** Topology the swarm draws from: node ids and, optionally, device id -> the nodes on it. */
export interface SwarmTopology {
  nodes: string[];
  devices?: Record<string, string[]>;
}

/** Options with every field resolved, plus what the topology allows. */
interface SwarmContext {
  nodes: string[];
  /** Nodes that may crash without power loss. */
  crashable: string[];
  /** Nodes whose whole device may lose power. */
  powerLossOk: string[];
  allowed: FaultKind[];
  enableProbability: number;
  rate: Record<FaultKind, Range>;
  duration: Record<FaultKind, Range>;
  triggerOps: readonly TriggerOp[];
  errorOps: readonly ErrorOp[] | null;
  corruptTargets: readonly CorruptTarget[];
  eventsMax: number;
  neverCrash: string[];
  /** Validated targets: selectors, probability and the kinds they apply to; null without. */
  targets: { selectors: NodeSelector[]; probability: number; kinds: FaultKind[] } | null;
}

/** Draws the fault mix and the plan for one seed. Throws FaultPlanError naming a bad option. */
export function swarmPlan(
  rng: Rng,
  topology: SwarmTopology,
  mix: SwarmOptions,
  durationMs: number,
): { plan: FaultPlan; summary: SwarmSummary } {
  if (!(Number.isFinite(durationMs) && durationMs > 0 && durationMs <= PLAN_LIMITS.atMsMax)) {
    throw new FaultPlanError('durationMs', `expected a positive number of ms, got ${durationMs}`);
  }
  const ctx = resolve(topology, mix);
  const root = rng.fork('swarm');
  const enabled = chooseKinds(root.fork('mix'), ctx);
  const kinds: SwarmKindChoice[] = [];
  let timed: { atMs: number; event: FaultEvent }[] = [];
  for (const kind of enabled) {
    const stream = root.fork(kind);
    const r = ctx.rate[kind];
    const ratePerSec = logUniform(stream, r.min, r.max);
    const events = generate(stream, ctx, kind, ratePerSec, durationMs);
    if (ctx.targets?.kinds.includes(kind) === true) aim(root.fork(`${kind}/targets`), ctx.targets, events);
    timed = timed.concat(events);
    const choice: SwarmKindChoice = { kind, ratePerSec, events: 0, triggered: 0, ...(ctx.targets?.kinds.includes(kind) === true ? { aimed: 0 } : {}) };
    if (SWARM_DEFAULTS[kind].durationMs !== undefined) choice.durationMs = { ...ctx.duration[kind] };
    kinds.push(choice);
  }
  timed.sort((x, y) => x.atMs - y.atMs); // stable: ties keep kind order
  const truncated = timed.length > ctx.eventsMax;
  const events = timed.slice(0, ctx.eventsMax).map((t) => t.event);
  for (const e of events) {
    const k = kinds.find((c) => c.kind === e.kind)!;
    k.events++;
    if (e.trigger !== undefined) k.triggered++;
    if (k.aimed !== undefined && typeof (e as { node?: unknown }).node === 'object') k.aimed++;
  }
  const summary: SwarmSummary = { durationMs, kinds, events: events.length, truncated, neverCrash: ctx.neverCrash };
  return { plan: { events }, summary };
}

/** The mix and rates in one line (two when nodes are protected), printed when a run starts. */
export function formatSwarmSummary(s: SwarmSummary): string {
  const parts = s.kinds.map((k) => {
    const d = k.durationMs === undefined ? '' : ` ${k.durationMs.min}-${k.durationMs.max}ms`;
    const at = k.triggered === 0 ? '' : ` (${k.triggered} at operations)`;
    const roles = k.aimed === undefined || k.aimed === 0 ? '' : ` (${k.aimed} at roles)`;
    return `${k.kind} ${k.ratePerSec.toFixed(2)}/s${d} x${k.events}${at}${roles}`;
  });
  const cut = s.truncated ? ' (truncated at eventsMax)' : '';
  const line = `swarm: ${parts.join(', ')}; ${s.events} events in ${s.durationMs}ms${cut}`;
  return s.neverCrash.length === 0 ? line : `${line}\n  never crashed: ${s.neverCrash.join(', ')}`;
}

// ------------------------------------------------------------------ options

function bad(path: string, reason: string): never {
  throw new FaultPlanError(path, reason);
}

function resolve(topology: SwarmTopology, mix: SwarmOptions): SwarmContext {
  const nodes = topology.nodes;
  if (nodes.length === 0) bad('topology.nodes', 'needs at least one node');
  const neverCrash = [...(mix.neverCrash ?? [])];
  neverCrash.forEach((n, i) => {
    if (!nodes.includes(n)) bad(`swarm.neverCrash[${i}]`, `unknown node '${n}' (nodes: ${nodes.join(', ')})`);
  });
  const deviceOf = devicesByNode(topology);
  const crashable = nodes.filter((n) => !neverCrash.includes(n));
  const protectedDevices = new Set(neverCrash.map((n) => deviceOf.get(n)));
  const powerLossOk = crashable.filter((n) => !protectedDevices.has(deviceOf.get(n)));
  const ctx: SwarmContext = {
    nodes,
    crashable,
    powerLossOk,
    allowed: [],
    enableProbability: mix.enableProbability ?? 0.5,
    rate: {} as Record<FaultKind, Range>,
    duration: {} as Record<FaultKind, Range>,
    triggerOps: mix.triggerOps ?? DEFAULT_TRIGGER_OPS,
    errorOps: mix.errorOps ?? null,
    corruptTargets: mix.corruptTargets ?? [{ area: 'disk' }],
    eventsMax: mix.eventsMax ?? 10_000,
    neverCrash,
    targets: null,
  };
  ctx.targets = mix.targets === undefined ? null : checkTargets(mix.targets, nodes, neverCrash);
  checkScalars(ctx);
  for (const kind of FAULT_KINDS) {
    ctx.rate[kind] = checkRange(mix.ratePerSec?.[kind] ?? SWARM_DEFAULTS[kind].ratePerSec, `swarm.ratePerSec.${kind}`, SWARM_LIMITS.ratePerSecMax);
    const d = mix.durationMs?.[kind] ?? SWARM_DEFAULTS[kind].durationMs ?? { min: 1, max: 1 };
    ctx.duration[kind] = checkRange(d, `swarm.durationMs.${kind}`, PLAN_LIMITS.durationMsMax);
  }
  ctx.allowed = allowedKinds(ctx, mix.kinds);
  return ctx;
}

function checkScalars(ctx: SwarmContext): void {
  const p = ctx.enableProbability;
  if (!(p >= 0 && p <= 1)) bad('swarm.enableProbability', `expected a probability 0..1, got ${p}`);
  const m = ctx.eventsMax;
  if (!(Number.isInteger(m) && m >= 1 && m <= SWARM_LIMITS.eventsMax)) {
    bad('swarm.eventsMax', `expected an integer 1..${SWARM_LIMITS.eventsMax}, got ${m}`);
  }
  if (ctx.triggerOps.length === 0) bad('swarm.triggerOps', 'needs at least one operation');
  ctx.triggerOps.forEach((t, i) => {
    if (!AREA_OPS[t.area]?.includes(t.op)) bad(`swarm.triggerOps[${i}]`, `unknown operation ${t.area}.${t.op}`);
    if (t.perSec !== undefined && !(t.perSec > 0 && t.perSec <= SWARM_LIMITS.ratePerSecMax)) {
      bad(`swarm.triggerOps[${i}].perSec`, `expected 0 < perSec <= ${SWARM_LIMITS.ratePerSecMax}, got ${t.perSec}`);
    }
  });
  if (ctx.corruptTargets.length === 0) bad('swarm.corruptTargets', 'needs at least one target');
  ctx.corruptTargets.forEach((t, i) => {
    if (t.area === 'disk' && t.path !== undefined && !t.path.startsWith('/')) bad(`swarm.corruptTargets[${i}].path`, `a disk path starts with '/', got '${t.path}'`);
  });
  if (ctx.errorOps !== null && ctx.errorOps.length === 0) bad('swarm.errorOps', 'needs at least one operation');
}

function checkTargets(t: SwarmTargets, nodes: readonly string[], neverCrash: readonly string[]): NonNullable<SwarmContext['targets']> {
  if (!Array.isArray(t.selectors) || t.selectors.length === 0) bad('swarm.targets.selectors', 'needs at least one selector');
  const selectors = t.selectors.map((s, i) => parseSelector(s, `swarm.targets.selectors[${i}]`, nodes));
  if (!(t.probability >= 0 && t.probability <= 1)) bad('swarm.targets.probability', `expected a probability 0..1, got ${t.probability}`);
  const kinds = [...(t.kinds ?? SWARM_TARGET_KINDS.filter((k) => k !== 'crash' || neverCrash.length === 0))];
  kinds.forEach((k, i) => {
    if (!SWARM_TARGET_KINDS.includes(k)) bad(`swarm.targets.kinds[${i}]`, `'${k}' cannot be aimed at a selector (kinds: ${SWARM_TARGET_KINDS.join(', ')})`);
    if (k === 'crash' && neverCrash.length > 0) bad(`swarm.targets.kinds[${i}]`, 'crash cannot be aimed at a selector with neverCrash (a selector may name a protected node)');
  });
  return { selectors, probability: t.probability, kinds };
}

/** With the targets' probability, replaces an event's node by one of the selectors (its trigger stays). */
function aim(rng: Rng, targets: NonNullable<SwarmContext['targets']>, events: { event: FaultEvent }[]): void {
  for (const x of events) {
    if (!rng.chance(targets.probability)) continue;
    const selector = rng.pick(targets.selectors);
    x.event = { ...x.event, node: selector } as FaultEvent;
  }
}

function checkRange(r: Range, path: string, max: number): Range {
  if (!(Number.isFinite(r.min) && r.min > 0)) bad(`${path}.min`, `expected a positive number, got ${r.min}`);
  if (!(Number.isFinite(r.max) && r.max >= r.min && r.max <= max)) {
    bad(`${path}.max`, `expected a number between min (${r.min}) and ${max}, got ${r.max}`);
  }
  return r;
}

function devicesByNode(topology: SwarmTopology): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of topology.nodes) out.set(n, n);
  for (const [device, nodes] of Object.entries(topology.devices ?? {})) {
    nodes.forEach((n, i) => {
      if (!topology.nodes.includes(n)) bad(`topology.devices.${device}[${i}]`, `unknown node '${n}'`);
      out.set(n, device);
    });
  }
  return out;
}

/** Why the topology cannot host `kind`, or null when it can. */
function unsupported(ctx: SwarmContext, kind: FaultKind): string | null {
  if (NETWORK_KINDS.has(kind) && ctx.nodes.length < 2) return 'needs at least two nodes';
  if ((kind === 'crash' || kind === 'restart') && ctx.crashable.length === 0) return 'every node is in neverCrash';
  if (kind === 'tornWrite' && ctx.powerLossOk.length === 0) return 'every device hosts a neverCrash node';
  return null;
}

function allowedKinds(ctx: SwarmContext, kinds: readonly FaultKind[] | undefined): FaultKind[] {
  if (kinds === undefined) {
    return FAULT_KINDS.filter((k) => !SWARM_OPT_IN_KINDS.has(k) && unsupported(ctx, k) === null);
  }
  if (kinds.length === 0) bad('swarm.kinds', 'needs at least one kind');
  kinds.forEach((k, i) => {
    if (!FAULT_KINDS.includes(k)) bad(`swarm.kinds[${i}]`, `unknown kind '${k}' (kinds: ${FAULT_KINDS.join(', ')})`);
    const why = unsupported(ctx, k);
    if (why !== null) bad(`swarm.kinds[${i}]`, `${k} ${why}`);
  });
  return FAULT_KINDS.filter((k) => kinds.includes(k));
}

/** Each kind on with enableProbability (a draw for every kind, allowed or not); at least one. */
function chooseKinds(rng: Rng, ctx: SwarmContext): FaultKind[] {
  const on = FAULT_KINDS.filter((k) => rng.chance(ctx.enableProbability) && ctx.allowed.includes(k));
  return on.length > 0 ? on : [rng.pick(ctx.allowed)];
}

// ------------------------------------------------------------------ generation

function logUniform(rng: Rng, min: number, max: number): number {
  return min === max ? min : min * Math.pow(max / min, rng.float());
}

function durationOf(rng: Rng, ctx: SwarmContext, kind: FaultKind): number {
  const r = ctx.duration[kind];
  return Math.max(r.min, Math.round(logUniform(rng, r.min, r.max)));
}

/**
 * Poisson arrivals of `kind` over [0, durationMs), each with its arrival time (triggered events have no
 * atMs but still sort by it). An enabled kind strikes at least once: with no arrival, one comes at a
 * uniform time (short runs would otherwise list kinds that never happen). Stops one past eventsMax so
 * the caller can tell that the cap cut the plan.
 */
function generate(
  rng: Rng,
  ctx: SwarmContext,
  kind: FaultKind,
  ratePerSec: number,
  durationMs: number,
): { atMs: number; event: FaultEvent }[] {
  const out: { atMs: number; event: FaultEvent }[] = [];
  const meanGapMs = 1000 / ratePerSec;
  for (let t = rng.exponential(meanGapMs); t < durationMs && out.length <= ctx.eventsMax; t += rng.exponential(meanGapMs)) {
    const atMs = Math.floor(t);
    out.push({ atMs, event: makeEvent(rng, ctx, kind, atMs) });
  }
  if (out.length === 0) {
    const atMs = Math.floor(rng.float() * durationMs);
    out.push({ atMs, event: makeEvent(rng, ctx, kind, atMs) });
  }
  return out;
}

function pair(rng: Rng, nodes: readonly string[]): [string, string] {
  const [a, b] = rng.shuffled(nodes);
  return [a!, b!];
}

/** Either nth (within the next few operations) or a probability per operation for a while. */
function nthOrProbability(rng: Rng, ctx: SwarmContext, kind: FaultKind): { nth: number } | { probability: number; durationMs: number } {
  if (rng.chance(0.5)) return { nth: rng.range(1, 10) };
  return { probability: Math.round(logUniform(rng, 0.01, 0.5) * 1000) / 1000, durationMs: durationOf(rng, ctx, kind) };
}

function makeEvent(rng: Rng, ctx: SwarmContext, kind: FaultKind, atMs: number): FaultEvent {
  const node = (): string => rng.pick(ctx.nodes);
  switch (kind) {
    case 'crash':
      return makeCrash(rng, ctx, atMs);
    case 'restart':
      return { kind, atMs, node: rng.pick(ctx.crashable) };
    case 'pause':
      return makePause(rng, ctx, atMs);
    case 'resume':
      return { kind, atMs, node: node() };
    case 'partition':
      return makePartition(rng, ctx, atMs);
    case 'isolate': {
      const n = node();
      const durationMs = durationOf(rng, ctx, kind);
      return rng.chance(0.3) ? { kind, node: n, durationMs, trigger: triggerAt(rng, ctx, n, atMs) } : { kind, atMs, node: n, durationMs };
    }
    case 'clog': {
      const [from, to] = pair(rng, ctx.nodes);
      return { kind, atMs, from, to, durationMs: durationOf(rng, ctx, kind) };
    }
    case 'stall': {
      const [a, b] = pair(rng, ctx.nodes);
      return { kind, atMs, a, b, durationMs: durationOf(rng, ctx, kind) };
    }
    case 'resetConnections': {
      const [a, b] = pair(rng, ctx.nodes);
      return rng.chance(0.5) ? { kind, atMs, a, b } : { kind, atMs, a };
    }
    case 'linkFaults':
      return makeLinkFaults(rng, ctx, atMs);
    case 'clockJump': {
      const magnitude = Math.round(logUniform(rng, 1, 60_000));
      const n = node();
      const deltaMs = rng.chance(0.5) ? magnitude : -magnitude;
      return rng.chance(0.3) ? { kind, node: n, deltaMs, trigger: triggerAt(rng, ctx, n, atMs) } : { kind, atMs, node: n, deltaMs };
    }
    case 'clockDrift': {
      const ppm = Math.round(logUniform(rng, 10, 2_000));
      return { kind, atMs, node: node(), driftPpm: rng.chance(0.5) ? ppm : -ppm, durationMs: durationOf(rng, ctx, kind) };
    }
    case 'diskError': {
      if (ctx.errorOps !== null) {
        const { area, op } = rng.pick(ctx.errorOps);
        return { kind, atMs, node: node(), area, op, code: rng.chance(0.7) ? 'EIO' : 'ENOSPC', ...nthOrProbability(rng, ctx, kind) };
      }
      return {
        kind, atMs, node: node(), op: rng.pick(['write', 'writeFile', 'fsync', 'read', 'rename', '*']),
        code: rng.chance(0.7) ? 'EIO' : 'ENOSPC', ...nthOrProbability(rng, ctx, kind),
      };
    }
    case 'fsyncFail':
    case 'bitFlip':
      return { kind, atMs, node: node(), ...nthOrProbability(rng, ctx, kind) };
    case 'tornWrite':
      return { kind, atMs, node: rng.pick(ctx.powerLossOk), nth: rng.range(1, 10) };
    case 'corrupt':
      return makeCorrupt(rng, ctx, atMs);
    case 'taskDelay': {
      const n = node();
      const delayMs = Math.round(logUniform(rng, 5, 3_000));
      const durationMs = durationOf(rng, ctx, kind);
      const source = rng.pick(['bus', 'lock', 'both'] as const);
      return { kind, atMs, node: n, ...(source === 'both' ? {} : { source }), delayMs, durationMs };
    }
  }
}

/** A trigger at the nth of one of the scenario's trigger operations of `node`, scaled to time `atMs`. */
function triggerAt(rng: Rng, ctx: SwarmContext, node: string, atMs: number, ops: readonly TriggerOp[] = ctx.triggerOps): Trigger {
  const { area, op, perSec } = rng.pick(ops);
  return { node, area, op, nth: rng.range(1, Math.max(1, Math.round((atMs / 1000) * (perSec ?? 10)))) };
}

/** A timed pause, or one at an exact operation of the node (before it takes effect, where it can, or after). */
function makePause(rng: Rng, ctx: SwarmContext, atMs: number): FaultEvent {
  const node = rng.pick(ctx.nodes);
  const durationMs = durationOf(rng, ctx, 'pause');
  if (!rng.chance(0.5)) return { kind: 'pause', atMs, node, durationMs };
  const trigger = triggerAt(rng, ctx, node, atMs);
  const when = !IMMEDIATE_AREAS.has(trigger.area) && rng.chance(0.5) ? 'before' : 'after';
  return { kind: 'pause', node, durationMs, trigger, when };
}

/** Damage at rest of one of the scenario's corrupt targets, at a time or at an exact operation. */
function makeCorrupt(rng: Rng, ctx: SwarmContext, atMs: number): FaultEvent {
  const node = rng.pick(ctx.nodes);
  const { area, path } = rng.pick(ctx.corruptTargets);
  const modes: readonly CorruptMode[] = area === 'disk' ? ['flip', 'flip', 'zero', 'truncate'] : ['flip', 'zero'];
  const mode = rng.pick(modes);
  const target = path === undefined ? {} : { path };
  if (rng.chance(0.3)) return { kind: 'corrupt', node, area, ...target, mode, trigger: triggerAt(rng, ctx, node, atMs) };
  return { kind: 'corrupt', atMs, node, area, ...target, mode };
}

/**
 * A timed crash (power loss only where allowed), or a crash at the nth of one of the trigger operations,
 * before or after it takes effect: mostly a power loss of the node's device, sometimes the process
 * alone (its device's unsynced state survives).
 */
function makeCrash(rng: Rng, ctx: SwarmContext, atMs: number): FaultEvent {
  const restart = rng.chance(0.9) ? { restartAfterMs: durationOf(rng, ctx, 'crash') } : {};
  if (ctx.powerLossOk.length > 0 && rng.chance(0.5)) {
    const node = rng.pick(ctx.powerLossOk);
    const trigger = triggerAt(rng, ctx, node, atMs);
    const when = rng.chance(0.5) ? 'before' : 'after';
    return { kind: 'crash', node, trigger, when, powerLoss: rng.chance(0.7), ...restart };
  }
  const node = rng.pick(ctx.crashable);
  const powerLoss = ctx.powerLossOk.includes(node) && rng.chance(0.5);
  return { kind: 'crash', atMs, node, powerLoss, ...restart };
}

function makePartition(rng: Rng, ctx: SwarmContext, atMs: number): FaultEvent {
  const order = rng.shuffled(ctx.nodes);
  const cut = rng.range(1, order.length - 1);
  const oneWay = rng.chance(0.25);
  return {
    kind: 'partition',
    atMs,
    a: order.slice(0, cut),
    b: order.slice(cut),
    ...(oneWay ? { oneWay } : {}),
    durationMs: durationOf(rng, ctx, 'partition'),
  };
}

function makeLinkFaults(rng: Rng, ctx: SwarmContext, atMs: number): LinkFaultsFault {
  const e: LinkFaultsFault = { kind: 'linkFaults', atMs, durationMs: durationOf(rng, ctx, 'linkFaults') };
  const scope = rng.int(3);
  if (scope === 0) [e.from, e.to] = pair(rng, ctx.nodes);
  else if (scope === 1) e.from = rng.pick(ctx.nodes);
  if (rng.chance(0.6)) e.lossRate = round3(logUniform(rng, 0.01, 0.3));
  if (rng.chance(0.3)) e.dupRate = round3(logUniform(rng, 0.01, 0.1));
  if (rng.chance(0.3)) e.reorderRate = round3(logUniform(rng, 0.05, 0.3));
  if (rng.chance(0.4)) e.latencyMs = Math.round(logUniform(rng, 5, 500));
  if (rng.chance(0.2)) {
    e.tailProbability = round3(logUniform(rng, 0.01, 0.1));
    e.tailMs = Math.round(logUniform(rng, 100, 2_000));
  }
  if (e.lossRate === undefined && e.dupRate === undefined && e.reorderRate === undefined && e.latencyMs === undefined && e.tailProbability === undefined) {
    e.lossRate = round3(logUniform(rng, 0.01, 0.3));
  }
  return e;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

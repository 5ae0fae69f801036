/**
 * The fault injector: applies a FaultPlan to a Simulation through the kernel's public API only.
 *
 * - Timed events are scheduled on `sim.scheduler` at absolute time atMs * 1000 µs.
 * - One interceptor (see rules.ts) counts operations per node for triggered events and runs the armed
 *   storage faults (diskError, fsyncFail, tornWrite, bitFlip). A triggered crash or pause of the node
 *   performing the operation is that operation's answer (the subsystem crashes or holds it, before or
 *   after it takes effect); any other triggered event applies on the spot and the operation proceeds.
 * - Every fault applied emits a trace record 'fault.<kind>' (node 'fault'); faults with a duration emit
 *   'fault.end' when they end; arming a storage fault emits 'fault.arm'; a corrupt fault that finds
 *   nothing durable to damage emits 'fault.miss'; healing emits 'fault.heal'.
 * - `healAtMs` ends the chaos phase: everything is healed at that time and no fault fires afterwards.
 *
 * A plan is validated against the simulation's nodes before anything is scheduled: a bad reference is a
 * FaultPlanError at install time, never a crash during the run.
 */
import type { SimNode } from '../sim/node.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { FaultAction, OpInfo } from '../sim/types.ts';
import type { SimNetwork } from '../sim/net/network.ts';
import { LinkLedger } from './links.ts';
import { chooseDiskDamage, chooseKvDamage } from './damage.ts';
import type { CorruptFault, CrashFault, FaultEvent, FaultKind, FaultPlan, PauseFault, Trigger } from './plan.ts';
import { FAULT_SCHEMA, NETWORK_KINDS } from './schema.ts';
import { RuleBook, type RuleSpec } from './rules.ts';
import { FaultPlanError, PLAN_LIMITS, parsePlan } from './validate.ts';

/** Options of `installFaults`. */
export interface InstallOptions {
  /** End of the chaos phase (virtual ms): everything heals then and no fault fires afterwards. */
  healAtMs?: number;
}

/** A plan installed on a simulation. */
export interface FaultInjector {
  /** The validated plan being applied. */
  readonly plan: FaultPlan;
  /** True once healed (at healAtMs or by `heal()`). */
  readonly healed: boolean;
  /** Fault kind -> how many times it was applied so far (for coverage). */
  injected(): Map<FaultKind, number>;
  /** Heals everything now and stops all further faults. */
  heal(): void;
}

/** Storage operations each storage fault acts on (null: the event's own `op`). */
const STORAGE_RULE_OPS = {
  fsyncFail: ['fsync', 'fsyncDir'],
  tornWrite: ['write', 'writeFile'],
  bitFlip: ['read'],
} as const;

/** Restart the nodes of `device` that crash now, `delayUs` later. */
interface PendingRestart {
  device: string;
  delayUs: number;
  crashing: boolean;
}

/**
 * Installs `plan` on `sim` (nodes must have been added). Throws FaultPlanError for a bad plan or option,
 * and an Error when the plan needs a subsystem API the simulation lacks.
 */
export function installFaults(sim: Simulation, plan: FaultPlan, options: InstallOptions = {}): FaultInjector {
  const checked = parsePlan(plan, [...sim.nodes.keys()]);
  const healAtMs = options.healAtMs;
  if (healAtMs !== undefined && !(Number.isFinite(healAtMs) && healAtMs >= 0 && healAtMs <= PLAN_LIMITS.atMsMax)) {
    throw new FaultPlanError('options.healAtMs', `expected ms since the start, 0..${PLAN_LIMITS.atMsMax}`);
  }
  const net = checked.events.some((e) => NETWORK_KINDS.has(e.kind)) ? sim.network : null;
  const links =
    net !== null && checked.events.some((e) => e.kind === 'linkFaults')
      ? new LinkLedger(net, [...sim.nodes.keys()])
      : null;
  const injector = new Injector(sim, checked, net, links, healAtMs);
  injector.install();
  return injector;
}

/**
 * Heals a simulation without knowing how it was hurt: heals the network, resumes every paused node and
 * restarts every node that is down after having run. (An injector's `heal` also undoes its own link
 * faults and clock drift, and restarts only the nodes that crashed.)
 */
export function healAll(sim: Simulation): void {
  sim.network.healAll();
  const resumed: string[] = [];
  const restarted: string[] = [];
  for (const node of sim.nodes.values()) {
    if (node.status === 'paused') {
      sim.resume(node.id);
      resumed.push(node.id);
    } else if (node.status === 'down' && node.incarnation >= 0) {
      sim.start(node.id);
      restarted.push(node.id);
    }
  }
  sim.trace.emit('fault', 'fault.heal', { resumed, restarted });
}

class Injector implements FaultInjector {
  healed = false;
  private readonly counts = new Map<FaultKind, number>();
  private readonly timers = new Set<number>();
  private readonly rules: RuleBook;
  /** Nodes that crashed and have not restarted since. */
  private readonly crashed = new Set<string>();
  private pendingRestarts: PendingRestart[] = [];
  /** Reference counts of what this injector holds on the network. */
  private readonly clogs = new Map<string, number>();
  private readonly isolated = new Map<string, number>();
  /** Drift of each node before the first clockDrift touched it. */
  private readonly driftBefore = new Map<string, number>();

  constructor(
    private readonly sim: Simulation,
    readonly plan: FaultPlan,
    private readonly net: SimNetwork | null,
    private readonly links: LinkLedger | null,
    private readonly healAtMs: number | undefined,
  ) {
    this.rules = new RuleBook(
      () => sim.nowUs(),
      (name) => sim.stream(name),
    );
  }

  /** Schedules timed events, registers triggers, the interceptor and the crash bookkeeping. */
  install(): void {
    const healAtUs = this.healAtMs === undefined ? Infinity : this.healAtMs * 1000;
    this.plan.events.forEach((e, index) => {
      if (e.trigger !== undefined) this.addTrigger(index, e, e.trigger);
      else if (e.atMs !== undefined && e.atMs * 1000 < healAtUs) {
        this.at(e.atMs * 1000, () => this.apply(index, e));
      }
    });
    this.sim.addInterceptor((op) => (this.healed ? null : this.rules.intercept(op)));
    this.sim.trace.on('node.crash', (rec) => this.onCrash(rec));
    this.sim.trace.on('node.start', (rec) => this.crashed.delete(rec.node));
    if (healAtUs !== Infinity) this.sim.scheduler.at(healAtUs, () => this.heal());
  }

  injected(): Map<FaultKind, number> {
    return new Map(this.counts);
  }

  // ------------------------------------------------------------------ bookkeeping

  /** Runs `fn` at virtual time `timeUs` unless healed first. */
  private at(timeUs: number, fn: () => void): void {
    const id = this.sim.scheduler.at(timeUs, () => {
      this.timers.delete(id);
      if (!this.healed) fn();
    });
    this.timers.add(id);
  }

  /** Runs `fn` after `delayUs` unless healed first. */
  private later(delayUs: number, fn: () => void): void {
    this.at(this.sim.nowUs() + delayUs, fn);
  }

  /** Records an applied fault: counts it and emits 'fault.<kind>'. */
  private record(index: number, e: FaultEvent, extra?: Record<string, unknown>): void {
    this.counts.set(e.kind, (this.counts.get(e.kind) ?? 0) + 1);
    this.sim.trace.emit('fault', `fault.${e.kind}`, { event: index, ...eventFields(e), ...extra });
  }

  private ended(index: number, e: FaultEvent): void {
    this.sim.trace.emit('fault', 'fault.end', { event: index, kind: e.kind });
  }

  private onCrash(rec: TraceRecord): void {
    this.crashed.add(rec.node);
    if (this.pendingRestarts.length === 0) return;
    const node = this.sim.node(rec.node);
    for (const p of this.pendingRestarts) {
      if (p.device !== node.deviceId) continue;
      if (!p.crashing) {
        p.crashing = true; // every node of the device that goes down in this same event restarts too
        this.sim.scheduler.after(0, () => this.dropPending(p));
      }
      this.later(p.delayUs, () => this.restartIfDown(node));
      return;
    }
  }

  private dropPending(p: PendingRestart): void {
    this.pendingRestarts = this.pendingRestarts.filter((q) => q !== p);
  }

  private restartIfDown(node: SimNode): void {
    if (node.status === 'down') this.sim.start(node.id);
  }

  // ------------------------------------------------------------------ triggers and storage rules

  /**
   * A trigger rule. A crash or pause of the node performing the operation is the operation's answer (the
   * subsystem crashes or holds it, before or after the operation); any other event, including a crash
   * or pause of another node, is applied on the spot and the operation proceeds.
   */
  private addTrigger(index: number, e: FaultEvent, t: Trigger): void {
    const answers = (e.kind === 'crash' || e.kind === 'pause') && e.node === t.node;
    this.rules.add({
      index,
      kind: e.kind,
      node: t.node,
      area: t.area,
      ops: t.op === '*' ? null : [t.op],
      target: t.target,
      nth: t.nth,
      probability: 0,
      untilUs: Infinity,
      acts: answers,
      fire: (op) => {
        if (!answers) return this.applyAt(index, e, op);
        return e.kind === 'crash' ? this.crashAt(index, e, op) : this.pauseAt(index, e as PauseFault, op);
      },
    });
  }

  /** A triggered pause of the operation's node: it freezes now; the subsystem holds the operation. */
  private pauseAt(index: number, e: PauseFault, op: OpInfo): FaultAction {
    const when = e.when ?? 'after';
    this.record(index, e, { when, op: `${op.area}.${op.op}`, target: op.target ?? null });
    this.pauseNode(index, e);
    return { type: 'pause', when };
  }

  /** A triggered crash: the subsystem performing `op` crashes the node before or after it. */
  private crashAt(index: number, e: CrashFault, op: OpInfo): FaultAction {
    const when = e.when ?? 'before';
    if (e.restartAfterMs !== undefined) {
      this.pendingRestarts.push({ device: op.device, delayUs: e.restartAfterMs * 1000, crashing: false });
    }
    this.record(index, e, { when, op: `${op.area}.${op.op}`, target: op.target ?? null });
    return e.powerLoss === undefined ? { type: 'crash', when } : { type: 'crash', when, powerLoss: e.powerLoss };
  }

  private applyAt(index: number, e: FaultEvent, op: OpInfo): null {
    this.apply(index, e, { op: `${op.area}.${op.op}` });
    return null;
  }

  /** Arms a storage fault on the node's operations from now on. */
  private arm(index: number, e: FaultEvent & { node: string; nth?: number; probability?: number; durationMs?: number }): void {
    const spec: RuleSpec = {
      index,
      kind: e.kind,
      node: e.node,
      area: e.kind === 'diskError' ? (e.area ?? 'disk') : 'disk',
      ops: storageOps(e),
      target: undefined,
      nth: e.nth ?? 0,
      probability: e.probability ?? 0,
      untilUs: e.durationMs === undefined ? Infinity : this.sim.nowUs() + e.durationMs * 1000,
      acts: true,
      fire: (op) => this.storageHit(index, e, op),
    };
    this.rules.add(spec);
    this.sim.trace.emit('fault', 'fault.arm', { event: index, kind: e.kind, node: e.node });
  }

  private storageHit(index: number, e: FaultEvent, op: OpInfo): FaultAction {
    this.record(index, e, { op: `${op.area}.${op.op}`, target: op.target ?? null });
    switch (e.kind) {
      case 'diskError':
        return { type: 'error', code: e.code };
      case 'fsyncFail':
        return { type: 'error', code: 'EIO' };
      case 'tornWrite':
        return { type: 'torn' };
      default:
        return { type: 'bitflip' };
    }
  }

  // ------------------------------------------------------------------ applying events

  /** Applies one event now (storage faults: arms them; they count when they hit). */
  private apply(index: number, e: FaultEvent, extra?: Record<string, unknown>): void {
    if (e.kind === 'diskError' || e.kind === 'fsyncFail' || e.kind === 'tornWrite' || e.kind === 'bitFlip') {
      this.arm(index, e);
      return;
    }
    if (e.kind === 'corrupt') {
      this.corrupt(index, e, extra);
      return;
    }
    this.record(index, e, extra); // the cause is traced before its effects
    switch (e.kind) {
      case 'crash':
        this.crashNow(e);
        break;
      case 'restart':
        this.sim.start(e.node);
        break;
      case 'pause':
        this.pauseNode(index, e);
        break;
      case 'resume':
        this.sim.resume(e.node);
        break;
      case 'clockJump':
        this.sim.node(e.node).clock.jump(e.deltaMs);
        break;
      case 'clockDrift':
        this.drift(index, e.node, e.driftPpm, e.durationMs);
        break;
      default:
        this.applyNetwork(index, e);
        break;
    }
  }

  /** Freezes the node for the event's duration (its deliveries queue), then 'fault.end'. */
  private pauseNode(index: number, e: PauseFault): void {
    this.sim.pause(e.node);
    this.later(e.durationMs * 1000, () => this.endWith(index, e, () => this.sim.resume(e.node)));
  }

  /**
   * Damages one durable file or kv value of the node's device at rest (picked with the stream
   * 'fault/corrupt' among those the event's path matches): the cause, with what it hit, is traced before
   * the medium's own record of the damage. 'fault.miss' when nothing durable matches.
   */
  private corrupt(index: number, e: CorruptFault, extra?: Record<string, unknown>): void {
    const device = this.sim.device(this.sim.node(e.node).deviceId);
    const rng = this.sim.stream('fault/corrupt');
    const mode = e.mode ?? 'flip';
    const sector = device.disk.spec.sectorSize;
    if ((e.area ?? 'disk') === 'disk') {
      const d = chooseDiskDamage(device.disk.durableSnapshot(), e.path, mode, sector, rng);
      if (d === null) return this.missed(index, e, 'no durable file matches');
      this.record(index, e, { ...extra, file: d.file, offset: d.offset, length: d.length });
      device.disk.damageDurable(d.file, d.result);
      return;
    }
    const d = chooseKvDamage(device.kv.durableSnapshot(), e.path, mode === 'zero' ? 'zero' : 'flip', sector, rng);
    if (d === null) return this.missed(index, e, 'no durable value matches');
    this.record(index, e, { ...extra, store: d.store, key: d.key, at: d.at, offset: d.offset, length: d.length });
    device.kv.damageDurable(d.store, d.key, d.result);
  }

  /** A fault that found nothing to act on: traced, not counted as injected. */
  private missed(index: number, e: FaultEvent, reason: string): void {
    this.sim.trace.emit('fault', 'fault.miss', { event: index, kind: e.kind, ...eventFields(e), reason });
  }

  private crashNow(e: CrashFault): void {
    const device = this.sim.node(e.node).deviceId;
    const pending: PendingRestart | null =
      e.restartAfterMs === undefined ? null : { device, delayUs: e.restartAfterMs * 1000, crashing: false };
    if (pending !== null) this.pendingRestarts.push(pending);
    const options = e.powerLoss === undefined ? {} : { powerLoss: e.powerLoss };
    this.sim.crash(e.node, options); // emits node.crash synchronously for every node it takes down
    if (pending !== null) this.dropPending(pending);
  }

  private drift(index: number, node: string, ppm: number, durationMs: number | undefined): void {
    const clock = this.sim.node(node).clock;
    const before = clock.driftPpm;
    if (!this.driftBefore.has(node)) this.driftBefore.set(node, before);
    clock.setDrift(ppm);
    if (durationMs === undefined) return;
    this.later(durationMs * 1000, () => {
      clock.setDrift(before);
      this.sim.trace.emit('fault', 'fault.end', { event: index, kind: 'clockDrift' });
    });
  }

  /** Ends a fault: `undo`, then 'fault.end'. */
  private endWith(index: number, e: FaultEvent, undo: () => void): void {
    undo();
    this.ended(index, e);
  }

  private applyNetwork(index: number, e: FaultEvent): void {
    const net = this.net!; // present: checked at install for plans with network kinds
    switch (e.kind) {
      case 'partition': {
        const id = net.partition(e.a, e.b, { oneWay: e.oneWay ?? false });
        this.later(e.durationMs * 1000, () => this.endWith(index, e, () => net.heal(id)));
        return;
      }
      case 'isolate':
        hold(this.isolated, e.node, () => net.isolate(e.node));
        this.later(e.durationMs * 1000, () =>
          this.endWith(index, e, () => release(this.isolated, e.node, () => net.rejoin(e.node))),
        );
        return;
      case 'clog': {
        const key = `${e.from}>${e.to}`;
        hold(this.clogs, key, () => net.clog(e.from, e.to));
        this.later(e.durationMs * 1000, () =>
          this.endWith(index, e, () => release(this.clogs, key, () => net.unclog(e.from, e.to))),
        );
        return;
      }
      case 'stall':
        net.stall(e.a, e.b, e.durationMs);
        return;
      case 'resetConnections':
        net.resetConnections(e.a, e.b);
        return;
      case 'linkFaults': {
        const token = this.links!.apply(e);
        this.later(e.durationMs * 1000, () => this.endWith(index, e, () => this.links!.revert(token)));
        return;
      }
      default:
        throw new Error(`fault kind '${e.kind}' is not a network fault`);
    }
  }

  // ------------------------------------------------------------------ healing

  /** Heals everything now; no fault fires afterwards. */
  heal(): void {
    if (this.healed) return;
    this.healed = true;
    for (const id of this.timers) this.sim.scheduler.cancel(id);
    this.timers.clear();
    this.rules.clear();
    this.pendingRestarts = [];
    this.healNetwork();
    for (const [node, ppm] of this.driftBefore) this.sim.node(node).clock.setDrift(ppm);
    const resumed: string[] = [];
    const restarted: string[] = [];
    for (const node of this.sim.nodes.values()) {
      if (node.status === 'paused') {
        this.sim.resume(node.id);
        resumed.push(node.id);
      } else if (node.status === 'down' && this.crashed.has(node.id)) {
        this.sim.start(node.id);
        restarted.push(node.id);
      }
    }
    this.sim.trace.emit('fault', 'fault.heal', { resumed, restarted });
  }

  private healNetwork(): void {
    const net = this.net;
    if (net === null) return;
    for (const key of this.clogs.keys()) {
      const [from, to] = key.split('>') as [string, string];
      net.unclog(from, to);
    }
    this.clogs.clear();
    for (const node of this.isolated.keys()) net.rejoin(node);
    this.isolated.clear();
    this.links?.revertAll();
    net.healAll();
  }
}

/** Takes a reference; `first` runs when the count goes 0 -> 1. */
function hold(counts: Map<string, number>, key: string, first: () => void): void {
  const n = counts.get(key) ?? 0;
  counts.set(key, n + 1);
  if (n === 0) first();
}

/** Drops a reference; `last` runs when the count goes 1 -> 0 (nothing if healing already dropped it). */
function release(counts: Map<string, number>, key: string, last: () => void): void {
  const n = counts.get(key);
  if (n === undefined) return;
  if (n > 1) counts.set(key, n - 1);
  else {
    counts.delete(key);
    last();
  }
}

/** Operation names a storage fault acts on; null for any. */
function storageOps(e: FaultEvent): readonly string[] | null {
  if (e.kind === 'diskError') return e.op === '*' ? null : [e.op];
  if (e.kind === 'fsyncFail' || e.kind === 'tornWrite' || e.kind === 'bitFlip') return STORAGE_RULE_OPS[e.kind];
  throw new Error(`fault kind '${e.kind}' is not a storage fault`);
}

/** The event's own fields for its trace record (fresh arrays: trace data is never mutated). */
function eventFields(e: FaultEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = e as unknown as Record<string, unknown>;
  for (const f of FAULT_SCHEMA[e.kind]) {
    const v = record[f.name];
    if (v !== undefined) out[f.name] = Array.isArray(v) ? v.slice() : v;
  }
  return out;
}

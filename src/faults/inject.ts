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
 * - A node field may be a selector (select.ts): it is resolved when the event fires, and the applied
 *   record carries the node it resolved to (`node`, `a`, `b`...) with `selectors` (field -> selector) and
 *   `evidence` (field -> why that node). When nobody matches, the event is skipped: 'fault.miss'
 *   {event, kind, ...fields, reason}. A trigger whose node is a selector counts the operations of
 *   whichever node the selector describes at each operation.
 *
 * A plan is validated against the simulation's nodes before anything is scheduled: a bad reference is a
 * FaultPlanError at install time, never a crash during the run.
 */
import type { SimNode, TaskSource } from '../sim/node.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { FaultAction, OpInfo } from '../sim/types.ts';
import type { SimNetwork } from '../sim/net/network.ts';
import { LinkLedger } from './links.ts';
import { chooseDiskDamage, chooseKvDamage } from './damage.ts';
import type { FaultEvent, FaultKind, FaultPlan, ResolvedEvent, Trigger } from './plan.ts';
import { FAULT_SCHEMA, NETWORK_KINDS, TASK_SOURCES } from './schema.ts';
import { SelectorResolver, formatSelector, isSelector, sameRef, type NodeRef, type NodeSelector } from './select.ts';
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
  const used = selectorsOf(checked);
  for (const { path, sel } of used) {
    const device = (sel as { device?: string }).device;
    if (device !== undefined && !sim.devices.has(device)) {
      throw new FaultPlanError(`${path}.device`, `unknown device '${device}' (devices: ${[...sim.devices.keys()].join(', ')})`);
    }
  }
  const selectors = used.length === 0 ? null : new SelectorResolver(sim, used.map((u) => u.sel));
  const injector = new Injector(sim, checked, net, links, healAtMs, selectors);
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
  /** Delays (µs) of the taskDelay faults lasting now, per node and source: the largest applies. */
  private readonly taskDelays = new Map<string, Map<TaskSource, number[]>>();

  constructor(
    private readonly sim: Simulation,
    readonly plan: FaultPlan,
    private readonly net: SimNetwork | null,
    private readonly links: LinkLedger | null,
    private readonly healAtMs: number | undefined,
    private readonly selectors: SelectorResolver | null,
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
  private record(index: number, e: ResolvedEvent, extra?: Record<string, unknown>): void {
    this.counts.set(e.kind, (this.counts.get(e.kind) ?? 0) + 1);
    this.sim.trace.emit('fault', `fault.${e.kind}`, { event: index, ...eventFields(e), ...extra });
  }

  private ended(index: number, e: ResolvedEvent): void {
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
   * or pause of another node, is applied on the spot and the operation proceeds. With a selector on the
   * trigger's node, the operations of whichever node it describes at each operation count; a crash or
   * pause whose node is the same selector, or any selector resolving to the operation's node when it
   * fires, answers the operation.
   */
  private addTrigger(index: number, e: FaultEvent, t: Trigger): void {
    const crashOrPause = e.kind === 'crash' || e.kind === 'pause';
    const mayAnswer = crashOrPause && (sameRef(e.node, t.node) || isSelector(e.node) || isSelector(t.node));
    const selectors = this.selectors;
    const on = t.node;
    this.rules.add({
      index,
      kind: e.kind,
      node: typeof on === 'string' ? on : null,
      ...(typeof on === 'string' ? {} : { nodeMatches: (node: string) => selectors!.matches(on, node) }),
      area: t.area,
      ops: t.op === '*' ? null : [t.op],
      target: t.target,
      nth: t.nth,
      probability: 0,
      untilUs: Infinity,
      acts: mayAnswer,
      fire: (op) => this.fireTrigger(index, e, t, op, mayAnswer),
    });
  }

  private fireTrigger(index: number, e: FaultEvent, t: Trigger, op: OpInfo, mayAnswer: boolean): FaultAction | null {
    const at = { op: `${op.area}.${op.op}` };
    if (!mayAnswer) return this.apply(index, e, at);
    const resolved = sameRef((e as { node: NodeRef }).node, t.node) ? this.resolveAt(e, op) : this.resolve(index, e, at);
    if (resolved === null) return null;
    const { event, picked } = resolved;
    if (event.kind === 'crash' && event.node === op.node) return this.crashAt(index, event, op, picked);
    if (event.kind === 'pause' && event.node === op.node) return this.pauseAt(index, event, op, picked);
    this.applyResolved(index, event, { ...at, ...picked });
    return null;
  }

  /** A triggered pause of the operation's node: it freezes now; the subsystem holds the operation. */
  private pauseAt(index: number, e: ResolvedEvent<FaultEvent & { kind: 'pause' }>, op: OpInfo, picked: Picked): FaultAction {
    const when = e.when ?? 'after';
    this.record(index, e, { when, op: `${op.area}.${op.op}`, target: op.target ?? null, ...picked });
    this.pauseNode(index, e);
    return { type: 'pause', when };
  }

  /** A triggered crash: the subsystem performing `op` crashes the node before or after it. */
  private crashAt(index: number, e: ResolvedEvent<FaultEvent & { kind: 'crash' }>, op: OpInfo, picked: Picked): FaultAction {
    const when = e.when ?? 'before';
    if (e.restartAfterMs !== undefined) {
      this.pendingRestarts.push({ device: op.device, delayUs: e.restartAfterMs * 1000, crashing: false });
    }
    this.record(index, e, { when, op: `${op.area}.${op.op}`, target: op.target ?? null, ...picked });
    return e.powerLoss === undefined ? { type: 'crash', when } : { type: 'crash', when, powerLoss: e.powerLoss };
  }

  // ------------------------------------------------------------------ selectors

  /**
   * The event with every selector replaced by the node it names now, and what was picked (for the applied
   * record); null, after tracing 'fault.miss', when a selector names nobody or the nodes it resolves to
   * collide (a partition with one node on both sides).
   */
  private resolve(index: number, e: FaultEvent, at?: { op: string }): Resolved | null {
    const sel = this.selectors;
    if (sel === null) return { event: e as ResolvedEvent, picked: {} };
    const selectors: Record<string, NodeSelector> = {};
    const evidence: Record<string, string> = {};
    const record = e as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = { ...record };
    for (const f of FAULT_SCHEMA[e.kind]) {
      if (f.type !== 'target' && f.type !== 'targets') continue;
      const v = record[f.name];
      if (v === undefined) continue;
      const refs = (f.type === 'target' ? [v] : v) as NodeRef[];
      const ids: string[] = [];
      for (let i = 0; i < refs.length; i++) {
        const ref = refs[i]!;
        if (typeof ref === 'string') {
          ids.push(ref);
          continue;
        }
        const field = f.type === 'target' ? f.name : `${f.name}[${i}]`;
        const r = sel.resolve(ref);
        if (r.node === null) {
          this.missed(index, e, `${field} ${formatSelector(ref)}: ${r.reason}`, at);
          return null;
        }
        selectors[field] = ref;
        evidence[field] = `${r.node} ${r.evidence}`;
        ids.push(r.node);
      }
      out[f.name] = f.type === 'target' ? ids[0] : ids;
    }
    const clash = collision(out);
    if (clash !== null) {
      this.missed(index, e, clash, at);
      return null;
    }
    const picked: Picked = Object.keys(selectors).length === 0 ? {} : { selectors, evidence };
    return { event: out as unknown as ResolvedEvent, picked };
  }

  /** A crash or pause whose node is its trigger's own selector: the node performing `op`. */
  private resolveAt(e: FaultEvent, op: OpInfo): Resolved {
    const node = (e as { node: NodeRef }).node;
    const event = { ...e, node: op.node } as unknown as ResolvedEvent;
    if (typeof node === 'string') return { event, picked: {} };
    return { event, picked: { selectors: { node }, evidence: { node: `${op.node} performed the operation as ${formatSelector(node)}` } } };
  }

  /** Arms a storage fault on the node's operations from now on. */
  private arm(index: number, e: ResolvedEvent & { node: string; nth?: number; probability?: number; durationMs?: number }, picked: Picked): void {
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
      fire: (op) => this.storageHit(index, e, op, picked),
    };
    this.rules.add(spec);
    this.sim.trace.emit('fault', 'fault.arm', { event: index, kind: e.kind, node: e.node, ...picked });
  }

  private storageHit(index: number, e: ResolvedEvent, op: OpInfo, picked: Picked): FaultAction {
    this.record(index, e, { op: `${op.area}.${op.op}`, target: op.target ?? null, ...picked });
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

  /** Applies one event now, its selectors resolved first (storage faults: arms them; they count when they hit). */
  private apply(index: number, e: FaultEvent, extra?: Record<string, unknown>): null {
    const resolved = this.resolve(index, e, extra as { op: string } | undefined);
    if (resolved !== null) this.applyResolved(index, resolved.event, { ...extra, ...resolved.picked });
    return null;
  }

  private applyResolved(index: number, e: ResolvedEvent, extra: Record<string, unknown> & Picked): void {
    if (e.kind === 'diskError' || e.kind === 'fsyncFail' || e.kind === 'tornWrite' || e.kind === 'bitFlip') {
      this.arm(index, e, extra.selectors === undefined ? {} : { selectors: extra.selectors, evidence: extra.evidence });
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
      case 'taskDelay':
        this.delayTasks(index, e);
        break;
      default:
        this.applyNetwork(index, e);
        break;
    }
  }

  /** Freezes the node for the event's duration (its deliveries queue), then 'fault.end'. */
  private pauseNode(index: number, e: ResolvedEvent<FaultEvent & { kind: 'pause' }>): void {
    this.sim.pause(e.node);
    this.later(e.durationMs * 1000, () => this.endWith(index, e, () => this.sim.resume(e.node)));
  }

  /**
   * Damages one durable file or kv value of the node's device at rest (picked with the stream
   * 'fault/corrupt' among those the event's path matches): the cause, with what it hit, is traced before
   * the medium's own record of the damage. 'fault.miss' when nothing durable matches.
   */
  private corrupt(index: number, e: ResolvedEvent<FaultEvent & { kind: 'corrupt' }>, extra?: Record<string, unknown>): void {
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
  private missed(index: number, e: FaultEvent | ResolvedEvent, reason: string, at?: { op: string }): void {
    this.sim.trace.emit('fault', 'fault.miss', { event: index, kind: e.kind, ...eventFields(e), ...(at === undefined ? {} : { op: at.op }), reason });
  }

  private crashNow(e: ResolvedEvent<FaultEvent & { kind: 'crash' }>): void {
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

  /** Makes the node's tasks of the event's source(s) late for its duration (SimNode.deliverFrom), then 'fault.end'. */
  private delayTasks(index: number, e: ResolvedEvent<FaultEvent & { kind: 'taskDelay' }>): void {
    const sources = e.source === undefined ? TASK_SOURCES : [e.source];
    const delayUs = e.delayMs * 1000;
    for (const source of sources) this.setTaskDelay(e.node, source, delayUs, +1);
    this.later(e.durationMs * 1000, () =>
      this.endWith(index, e, () => {
        for (const source of sources) this.setTaskDelay(e.node, source, delayUs, -1);
      }),
    );
  }

  /** Adds (+1) or removes (-1) one lasting delay of `node`'s `source` and applies the largest left. */
  private setTaskDelay(node: string, source: TaskSource, delayUs: number, change: 1 | -1): void {
    let sources = this.taskDelays.get(node);
    if (sources === undefined) this.taskDelays.set(node, (sources = new Map()));
    let list = sources.get(source);
    if (list === undefined) sources.set(source, (list = []));
    if (change > 0) list.push(delayUs);
    else list.splice(list.indexOf(delayUs), 1);
    this.sim.node(node).setTaskDelay(source, list.length === 0 ? 0 : Math.max(...list));
  }

  /** Ends a fault: `undo`, then 'fault.end'. */
  private endWith(index: number, e: ResolvedEvent, undo: () => void): void {
    undo();
    this.ended(index, e);
  }

  private applyNetwork(index: number, e: ResolvedEvent): void {
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
    for (const [node, sources] of this.taskDelays) for (const source of sources.keys()) this.sim.node(node).setTaskDelay(source, 0);
    this.taskDelays.clear();
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

/** What selectors picked, for the applied record: field -> selector, field -> why that node. */
interface Picked {
  selectors?: Record<string, NodeSelector>;
  evidence?: Record<string, string>;
}

/** An event with its selectors resolved, and what they picked. */
interface Resolved {
  event: ResolvedEvent;
  picked: Picked;
}

/** The selectors of a plan with their paths (event node fields and trigger nodes). */
function selectorsOf(plan: FaultPlan): { path: string; sel: NodeSelector }[] {
  const out: { path: string; sel: NodeSelector }[] = [];
  plan.events.forEach((e, i) => {
    const record = e as unknown as Record<string, unknown>;
    for (const f of FAULT_SCHEMA[e.kind]) {
      const v = record[f.name];
      if (f.type === 'target' && isSelector(v)) out.push({ path: `faults.events[${i}].${f.name}`, sel: v });
      if (f.type === 'targets' && Array.isArray(v)) {
        v.forEach((x, k) => {
          if (isSelector(x)) out.push({ path: `faults.events[${i}].${f.name}[${k}]`, sel: x });
        });
      }
    }
    if (e.trigger !== undefined && isSelector(e.trigger.node)) out.push({ path: `faults.events[${i}].trigger.node`, sel: e.trigger.node });
  });
  return out;
}

/** Why the resolved nodes of a partition cannot stand together (a node on both sides, or twice), or null. */
function collision(e: Record<string, unknown>): string | null {
  if (e.kind !== 'partition') return null;
  const a = e.a as string[];
  const b = e.b as string[];
  const twice = [...a, ...b].find((n, i, all) => all.indexOf(n) !== i);
  if (twice === undefined) return null;
  return a.includes(twice) && b.includes(twice) ? `node '${twice}' resolves to both sides` : `node '${twice}' resolves twice on one side`;
}

/** Operation names a storage fault acts on; null for any. */
function storageOps(e: ResolvedEvent): readonly string[] | null {
  if (e.kind === 'diskError') return e.op === '*' ? null : [e.op];
  if (e.kind === 'fsyncFail' || e.kind === 'tornWrite' || e.kind === 'bitFlip') return STORAGE_RULE_OPS[e.kind];
  throw new Error(`fault kind '${e.kind}' is not a storage fault`);
}

/** The event's own fields for its trace record (fresh arrays: trace data is never mutated). */
function eventFields(e: FaultEvent | ResolvedEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = e as unknown as Record<string, unknown>;
  for (const f of FAULT_SCHEMA[e.kind]) {
    const v = record[f.name];
    if (v !== undefined) out[f.name] = Array.isArray(v) ? v.slice() : v;
  }
  return out;
}

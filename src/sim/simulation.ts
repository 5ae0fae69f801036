/**
 * The Simulation owns one deterministic world: scheduler, seeded streams, trace, devices (disk,
 * key-value store, tab bus, locks), nodes and the network. No ambient global state: two simulations can
 * run interleaved in one process and give the same results as when run alone.
 *
 * A run is a pure function of (setup, seed): everything random is drawn from streams forked by name from
 * the seed, everything timed goes through the scheduler, and the real world is kept out while events run
 * (see world.ts).
 */
import type { Env, Random, Tracer } from '../impl/env.ts';
import { NodeClock, type ClockSpec } from './clock.ts';
import { SimDisk, type DiskSpec } from './disk/disk.ts';
import { SimKv, type KvSpec } from './disk/kv.ts';
import { SimNetwork, type NetSpec } from './net/network.ts';
import { SimNode, type NodeProgram } from './node.ts';
import { Rng } from './rng.ts';
import { Scheduler, type RunLimits, type StopReason } from './scheduler.ts';
import { SimBus, type BusOptions } from './tabs/bus.ts';
import { SimLocks, type LocksOptions } from './tabs/locks.ts';
import { Trace, type TraceOptions } from './trace.ts';
import type { Failure, FaultAction, LifecycleListener, OpInfo, OpInterceptor } from './types.ts';
import { installWorld, SimLeakError, uninstallWorld, type RealWorldOptions, type WorldSource } from './world.ts';

/** Options of a simulation. */
export interface SimulationOptions {
  /** Root seed (0..2^53-1). */
  seed: number;
  /** Trace options (keepAll for replay, a JSONL sink...). */
  trace?: TraceOptions;
  /** Network settings. */
  net?: NetSpec;
  /** Events per slice before yielding to the real event loop. */
  sliceEvents?: number;
  /** Use the portable nextTick drain instead of V8's checkpoint. */
  forceNextTickDrain?: boolean;
  /** The environment variables the run sees and the host calls it may make (see world.ts). */
  realWorld?: RealWorldOptions;
}

/** Settings of a device. */
export interface DeviceSpec {
  disk?: DiskSpec;
  kv?: KvSpec;
  bus?: BusOptions;
  locks?: LocksOptions;
}

/** Settings of a node. */
export interface NodeSpec {
  /** Device the node runs on; default: a device of its own named like the node. */
  device?: string;
  /** Clock skew and drift. */
  clock?: ClockSpec;
  /** What the node runs. */
  program: NodeProgram;
}

/** A device: the hardware that tabs/processes share. */
export interface SimDevice {
  readonly id: string;
  readonly disk: SimDisk;
  readonly kv: SimKv;
  readonly bus: SimBus;
  readonly locks: SimLocks;
  readonly nodes: SimNode[];
}

const NEVER = new Promise<never>(() => {});

// ---- unhandled rejections inside a simulation become a crash verdict of that simulation ----
let lastSliceOwner: Simulation | null = null;
let runningSims = 0;
let savedRejectionListeners: NodeJS.UnhandledRejectionListener[] = [];
const onUnhandledRejection: NodeJS.UnhandledRejectionListener = (reason, promise) => {
  if (lastSliceOwner !== null) lastSliceOwner.unhandledRejection(reason);
  else for (const l of savedRejectionListeners) l(reason, promise);
};
function captureRejections(): void {
  if (runningSims++ > 0) return;
  savedRejectionListeners = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', onUnhandledRejection);
}
function releaseRejections(): void {
  if (--runningSims > 0) return;
  process.removeListener('unhandledRejection', onUnhandledRejection);
  for (const l of savedRejectionListeners) process.on('unhandledRejection', l);
  savedRejectionListeners = [];
  lastSliceOwner = null;
}

/** A trace kind or probe name of a node: dotted lower-case words ('store.commit.done', 'peer.batch'). */
const NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-zA-Z0-9-]*)+$/;

/** Trace namespaces only the simulator writes (its records are the checks' evidence). */
export const SIM_NAMESPACES: readonly string[] = ['sim', 'fact', 'fault', 'disk', 'kv', 'net', 'bus', 'lock', 'device', 'node', 'probe'];

/** One deterministic world. */
export class Simulation {
  readonly seed: number;
  readonly rng: Rng;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly network: SimNetwork;
  readonly nodes = new Map<string, SimNode>();
  readonly devices = new Map<string, SimDevice>();
  /** Probe name -> times reached. */
  readonly probes = new Map<string, number>();
  /** The first failure, once there is one; the run stops at it. */
  failure: Failure | null = null;

  private readonly streams = new Map<string, Rng>();
  private readonly listeners: LifecycleListener[] = [];
  private readonly interceptors: OpInterceptor[] = [];
  private readonly ambient: Rng;
  /** Node trace kinds and probe names already judged by `checkName`. */
  private readonly kindNames = new Map<string, boolean>();
  private readonly probeNames = new Map<string, boolean>();

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.rng = new Rng(options.seed);
    this.ambient = this.stream('ambient');
    const allowed = new Set(options.realWorld?.allow ?? []);
    const ownerEnv = (): Env | null => {
      const node = this.scheduler.owner as SimNode | null;
      return node === null ? null : (node.env ?? node.deadEnv);
    };
    const world: WorldSource = {
      nowUs: () => this.scheduler.now,
      ambient: this.ambient,
      leak: (e) => this.leak(e),
      nextTick: (fn) => this.scheduler.queueTick(fn),
      // The running node's env, or (the rest of a task a crash could not cut) its dead incarnation's.
      currentClock: () => ownerEnv()?.clock ?? null,
      currentBus: () => ownerEnv()?.bus ?? null,
      currentLocks: () => ownerEnv()?.locks ?? null,
      currentNet: () => ownerEnv()?.net ?? null,
      currentKv: () => ownerEnv()?.kv ?? null,
      env: { ...options.realWorld?.env },
      allows: (call) => allowed.has(call),
    };
    this.scheduler = new Scheduler({
      sliceEvents: options.sliceEvents,
      forceNextTickDrain: options.forceNextTickDrain,
      onSliceStart: () => {
        lastSliceOwner = this;
        installWorld(world);
      },
      onSliceEnd: () => uninstallWorld(),
      onTickError: (error) => this.tickThrew(error),
    });
    this.trace = new Trace(() => this.scheduler.now, options.trace);
    this.network = new SimNetwork(this, options.net ?? {});
  }

  /** Virtual time now, µs. */
  nowUs(): number {
    return this.scheduler.now;
  }

  /** The named random stream (forked from the root by name; cached). */
  stream(name: string): Rng {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = this.rng.fork(name);
      this.streams.set(name, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- setup

  /** Adds a device (disk, kv store, tab bus, locks). */
  addDevice(id: string, spec: DeviceSpec = {}): SimDevice {
    if (this.devices.has(id)) throw new Error(`device '${id}' already exists`);
    const device: SimDevice = {
      id,
      disk: new SimDisk(this, id, spec.disk ?? {}),
      kv: new SimKv(this, id, spec.kv ?? {}),
      bus: new SimBus(this, id, spec.bus),
      locks: new SimLocks(this, id, spec.locks),
      nodes: [],
    };
    this.devices.set(id, device);
    return device;
  }

  /** Adds a node (not started: call `start`). */
  addNode(id: string, spec: NodeSpec): SimNode {
    if (this.nodes.has(id)) throw new Error(`node '${id}' already exists`);
    if (!/^[A-Za-z0-9_.:/-]+$/.test(id)) throw new Error(`node id '${id}' may only use letters, digits and _.:/-`);
    const deviceId = spec.device ?? id;
    const device = this.devices.get(deviceId) ?? this.addDevice(deviceId);
    const clock = new NodeClock(() => this.scheduler.now, spec.clock);
    const node = new SimNode(id, deviceId, clock, spec.program, {
      nowUs: () => this.scheduler.now,
      after: (d, fn) => this.scheduler.after(d, fn),
      cancel: (ev) => this.scheduler.cancel(ev),
      nodeThrew: (n, e) => this.nodeThrew(n, e),
      own: (n) => {
        this.scheduler.owner = n;
      },
    });
    this.nodes.set(id, node);
    device.nodes.push(node);
    return node;
  }

  /** The node named `id`, or an error naming it. */
  node(id: string): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node '${id}' (nodes: ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  /** The device named `id`. */
  device(id: string): SimDevice {
    const d = this.devices.get(id);
    if (d === undefined) throw new Error(`no device '${id}'`);
    return d;
  }

  /** Registers a subsystem's lifecycle listener. */
  onLifecycle(listener: LifecycleListener): void {
    this.listeners.push(listener);
  }

  /** Registers a fault interceptor (consulted by subsystems before operations take effect). */
  addInterceptor(interceptor: OpInterceptor): void {
    this.interceptors.push(interceptor);
  }

  /** Asks the interceptors about an operation; the first non-null answer wins. */
  intercept(op: OpInfo): FaultAction | null {
    for (const i of this.interceptors) {
      const a = i(op);
      if (a !== null) return a;
    }
    return null;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts (or restarts) a node at the current virtual time, as an event of its own. */
  start(id: string): void {
    const node = this.node(id);
    this.scheduler.after(0, () => this.startNow(node));
  }

  private startNow(node: SimNode): void {
    if (node.status !== 'down') return;
    const inc = node.beginIncarnation();
    node.env = this.buildEnv(node, inc);
    this.trace.emit(node.id, 'node.start', { incarnation: inc, device: node.deviceId });
    for (const l of this.listeners) l.nodeUp?.(node);
    node.deliver(inc, () => {
      const result = node.program(node.env!);
      if (result instanceof Promise) {
        result.then(
          (h) => {
            if (node.isLive(inc)) node.handle = h;
          },
          (e) => {
            if (node.isLive(inc)) this.nodeThrew(node, e);
          },
        );
      } else node.handle = result;
    });
  }

  /**
   * Crashes a node now: its pending promises never settle, timers and connections die. With `powerLoss`
   * (default: when the node is alone on its device) every node of the device goes down and unsynced
   * disk state is resolved by the disk's persistence profile.
   */
  crash(id: string, options: { powerLoss?: boolean } = {}): void {
    const node = this.node(id);
    const device = this.device(node.deviceId);
    const powerLoss = options.powerLoss ?? device.nodes.length === 1;
    if (powerLoss) {
      this.powerLoss(device.id);
      return;
    }
    if (node.status === 'down') return;
    this.down(node, false, 'node.crash');
  }

  /**
   * Carries out a crash fault at an operation of `id`: a power loss of its device when `action.powerLoss`
   * says so, otherwise the subsystem's default `byDefault` (undefined: the default of `crash`).
   */
  crashByFault(id: string, action: { powerLoss?: boolean }, byDefault?: boolean): void {
    const powerLoss = action.powerLoss ?? byDefault;
    this.crash(id, powerLoss === undefined ? {} : { powerLoss });
  }

  /** Cuts the power of a device: all its nodes crash and volatile disk state is lost per profile. */
  powerLoss(deviceId: string): void {
    const device = this.device(deviceId);
    this.trace.emit('sim', 'device.powerloss', { device: deviceId });
    for (const n of device.nodes) if (n.status !== 'down') this.down(n, true, 'node.crash');
    for (const l of this.listeners) l.devicePowerLoss?.(deviceId);
  }

  /** Stops a node cleanly from the outside (like closing a tab): same as a crash without power loss. */
  stop(id: string): void {
    const node = this.node(id);
    if (node.status !== 'down') this.down(node, false, 'node.stop');
  }

  private down(node: SimNode, powerLoss: boolean, kind: string): void {
    const inc = node.incarnation;
    node.endIncarnation();
    this.trace.emit(node.id, kind, { incarnation: inc, powerLoss });
    for (const l of this.listeners) l.nodeDown?.(node, powerLoss);
  }

  /** Freezes a node (a paused tab): nothing is delivered to it until resume; its clock keeps running. */
  pause(id: string): void {
    const node = this.node(id);
    if (node.status !== 'running') return;
    node.pause();
    this.trace.emit(node.id, 'node.pause', {});
    for (const l of this.listeners) l.nodePaused?.(node);
  }

  /** Unfreezes a node; what queued up is delivered in order. */
  resume(id: string): void {
    const node = this.node(id);
    if (node.status !== 'paused') return;
    node.resume();
    this.trace.emit(node.id, 'node.resume', {});
    for (const l of this.listeners) l.nodeResumed?.(node);
  }

  // ---------------------------------------------------------------- env

  private buildEnv(node: SimNode, inc: number): Env {
    const device = this.device(node.deviceId);
    const live = (): boolean => node.isLive(inc);
    const rng = this.rng.fork(`node/${node.id}/${inc}`);
    const random: Random = {
      float: () => rng.float(),
      int: (n) => rng.int(n),
      uuid: () => rng.uuid(),
      bytes: (n) => rng.bytes(n),
    };
    const trace: Tracer = {
      emit: (kind, data) => {
        if (!live()) return;
        if (!this.checkName(node, 'trace kind', kind)) return;
        this.trace.emit(node.id, kind, data ?? {});
      },
      probe: (name) => {
        if (!live() || !this.checkName(node, 'probe', name)) return;
        this.probes.set(name, (this.probes.get(name) ?? 0) + 1);
        this.trace.emit(node.id, 'probe', { name });
      },
    };
    return {
      nodeId: node.id,
      deviceId: node.deviceId,
      incarnation: inc,
      clock: {
        now: () => node.clock.wallMs(),
        monotonic: () => node.clock.monotonicMs(),
        sleep: (ms) => (live() ? new Promise<void>((res) => node.setTimer(inc, ms, false, res)) : NEVER),
        setTimeout: (fn, ms) => node.setTimer(inc, ms, false, fn),
        setInterval: (fn, ms) => node.setTimer(inc, Math.max(ms, 0.001), true, fn),
        clearTimer: (tid) => {
          if (live()) node.clearTimer(tid);
        },
      },
      random,
      disk: device.disk.facet(node, inc),
      kv: device.kv.facet(node, inc),
      net: this.network.facet(node, inc),
      bus: device.bus.facet(node, inc),
      locks: device.locks.facet(node, inc),
      trace,
    };
  }

  // ---------------------------------------------------------------- failures

  /**
   * Records a failure (the first one wins) and stops the run. `timeUs` defaults to now: a reader that reads
   * records later than they were written (see `addDeferredReader`) gives the time of the record it failed on.
   *
   * Deferred readers are brought up to date first: one of them may fail on a record written before the one
   * this failure is about, and the earlier failure is the one the run reports, as if every reader had read
   * every record as it was written.
   */
  fail(f: Omit<Failure, 'timeUs' | 'traceIndex'> & { traceIndex?: number; timeUs?: number }): void {
    if (this.failure !== null) return;
    this.settleDeferred();
    if (this.failure !== null) return;
    this.failure = { ...f, timeUs: f.timeUs ?? this.scheduler.now, traceIndex: f.traceIndex ?? this.trace.count };
    this.trace.emit('sim', 'sim.failure', { kind: f.kind, check: f.check, message: f.message });
    this.scheduler.stop();
  }

  /** Catch-up functions of the readers that read trace records in batches (`addDeferredReader`). */
  private readonly deferredReaders: (() => void)[] = [];
  private settling = false;

  /**
   * Registers a reader of trace records that reads them later than they are written, in batches (the
   * model monitors: src/scenario/deferred.ts). `catchUp` must read every record
   * written so far; the simulation calls it before it records a failure and when `run` returns.
   */
  addDeferredReader(catchUp: () => void): void {
    this.deferredReaders.push(catchUp);
  }

  /** Lets every deferred reader catch up with the trace (a failure it finds is recorded on the way). */
  settleDeferred(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (const catchUp of this.deferredReaders) catchUp();
    } finally {
      this.settling = false;
    }
  }

  /**
   * The names a node may give its trace records and probes: dotted lower-case words with an area prefix
   * (`store.commit.done`, `storage.recover.finalized`), never a simulator namespace. A node that emits the
   * simulator's kinds could forge the evidence the checks trust (`fact.store`, `disk.fsync`, `fault.*`), and
   * a garbled name ('' or free text) is a record no model can read: either fails the run (`trace-names`).
   * Decided once per name.
   */
  private checkName(node: SimNode, what: 'trace kind' | 'probe', name: string): boolean {
    // Keyed by the name itself (no string built per emit: this runs for every record a node writes).
    const seen = what === 'probe' ? this.probeNames : this.kindNames;
    let ok = seen.get(name);
    if (ok === undefined) {
      ok = NAME.test(name) && !(what === 'trace kind' && SIM_NAMESPACES.some((p) => name === p || name.startsWith(`${p}.`)));
      seen.set(name, ok);
    }
    if (!ok) {
      this.fail({
        kind: 'correctness',
        check: 'trace-names',
        node: node.id,
        message:
          `${node.id} emitted the ${what} '${name}': ${what === 'probe' ? 'probe names' : 'node trace kinds'} are dotted lower-case words with ` +
          `an area prefix (e.g. 'store.commit.done')${what === 'probe' ? '' : `, outside the simulator's namespaces (${SIM_NAMESPACES.join(', ')})`}`,
      });
    }
    return ok;
  }

  private nodeThrew(node: SimNode, error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    this.fail({
      kind: 'crash',
      check: e instanceof SimLeakError ? `no-real-world:${e.call}` : 'exception',
      message: `${node.id}: ${e.name}: ${e.message}`,
      node: node.id,
      details: { stack: e.stack ?? '' },
    });
  }

  /** A process.nextTick callback queued inside the run threw (in Node, an uncaught exception). */
  private tickThrew(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    this.fail({
      kind: 'crash',
      check: e instanceof SimLeakError ? `no-real-world:${e.call}` : 'exception',
      message: `process.nextTick callback: ${e.name}: ${e.message}`,
      details: { stack: e.stack ?? '' },
    });
  }

  /** Called for a promise rejection nobody handled while this simulation ran. */
  unhandledRejection(reason: unknown): void {
    const e = reason instanceof Error ? reason : new Error(String(reason));
    this.fail({
      kind: 'crash',
      check: e instanceof SimLeakError ? `no-real-world:${e.call}` : 'unhandled-rejection',
      message: `unhandled rejection: ${e.name}: ${e.message}`,
      details: { stack: e.stack ?? '' },
    });
  }

  private leak(e: SimLeakError): void {
    this.fail({ kind: 'crash', check: `no-real-world:${e.call}`, message: e.message, details: { stack: e.stack ?? '' } });
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs the world until quiescence, the deadline (`untilUs`), the event budget, or a failure.
   * Returns why it stopped ('stopped' when a failure stopped it: see `failure`).
   */
  async run(limits: RunLimits = {}): Promise<StopReason> {
    if (this.failure !== null) return 'stopped';
    captureRejections();
    try {
      const reason = await this.scheduler.run(limits);
      this.settleDeferred();
      return reason;
    } finally {
      // Let Node process rejections raised by the last slice while our listener is still installed.
      await new Promise<void>((r) => setImmediate(r));
      releaseRejections();
    }
  }

  /** Runs until virtual time `untilUs` (absolute), then sets the clock there. */
  async runUntil(untilUs: number, maxEvents?: number): Promise<StopReason> {
    const reason = await this.run({ untilUs, maxEvents });
    if ((reason === 'deadline' || reason === 'quiescent') && this.scheduler.now < untilUs) {
      this.scheduler.now = untilUs;
    }
    return reason;
  }
}

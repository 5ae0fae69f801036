/**
 * No leaks of the real world: while a simulation's slice of events runs, the process's ambient sources
 * of time, randomness and timers are replaced.
 *
 * - Virtualised (third-party code inside the simulation, e.g. memfs stamping file times, sees the
 *   simulation's world): `Date` (virtual wall time), `Math.random` (a seeded stream), `performance.now`
 *   (virtual time), `crypto.randomUUID` and `crypto.getRandomValues` (seeded; `Date`, `Math.random` and
 *   these two also when a library captured them at import time: they are dispatchers from the moment this
 *   file loads, real outside a run), `process.getuid` and
 *   `process.getgid` (a fixed simulated user, SIM_UID/SIM_GID: memfs stamps every inode with them and asks
 *   for them on every permission check; the real calls are system calls that took a sixth of a storage
 *   swarm's time, and a run must not depend on which user runs it).
 *   The same for the `node:crypto` module's exports (`randomUUID`, `randomBytes`, `randomFillSync`,
 *   `randomInt`, `getRandomValues`; their callback forms and `randomFill` are trapped), which uuid-style
 *   libraries import instead of the global.
 * - `process.nextTick` (also used by Node's own streams, e.g. console.log): a callback queued inside a run
 *   runs inside it, deterministically: the scheduler drains queued ticks after each event, then the
 *   microtasks they cause, as Node would (see `WorldSource.nextTick`).
 * - The node's own, for foreign code (a library that calls the globals instead of `Env`): while a node's
 *   code runs (its callbacks and the continuations they cause), `setTimeout`, `setInterval`,
 *   `setImmediate` and their `clear*` (globals and the `node:timers` exports) are timers on that node's
 *   virtual monotonic clock, which die with its process (as `env.clock.setTimeout` does); `Date` and
 *   `Date.now()` read its wall clock (skew, drift, jumps) and `performance.now()` its monotonic clock.
 *   The handles they return have `ref`, `unref`, `hasRef`, `refresh` and a numeric value, like Node's.
 *   `BroadcastChannel` in a tab's code is a channel over its device's tab bus (`env.bus`), and
 *   `navigator.locks` its lock manager (`env.locks`; `navigator` exists only inside a run).
 *   A `WebSocket` (only inside a run) connects over the node's network (`env.net`), and `indexedDB` (only
 *   inside a run) keeps its databases in the device's kv store (`env.kv`, src/sim/idb.ts). The rest of a
 *   task that a crash could not cut short (JavaScript runs a task to its end) gets those of its dead
 *   incarnation, which do nothing, as its env does: no timer fires, no lock is granted, no message leaves.
 * - Undone: listeners the run adds to `process` (`on`, `once`, `addListener`, `prepend*`) are removed when
 *   its slice ends; process events come from Node's event loop, outside any slice, where the run's code
 *   must not run, and a kept listener would leak into the next seed.
 * - Trapped (no deterministic meaning inside a run): those timers outside any node's code (the workload,
 *   a check), the `node:timers/promises` functions, `queueMicrotask`, `process.hrtime`. A call throws
 *   `SimLeakError` naming the call and what to use instead, and the run is marked as crashed (the throw
 *   might be swallowed by the caller).
 *
 * - Trapped, the host itself (the trace hash would depend on the machine, and a run could end the process
 *   that checks it): `process.exit`, `process.reallyExit`, `process.abort`, `process.kill`,
 *   `process.chdir`, `process.dlopen`; every function of `node:fs` (and `fs.promises`), `node:os`,
 *   `node:child_process`, `node:net`, `node:http`, `node:https`, `node:http2`, `node:dgram`, `node:dns`,
 *   `node:tls`, `node:cluster`; the global `fetch`. The call throws `SimLeakError` and the run is a crash
 *   verdict `no-real-world:<call>` (e.g. `no-real-world:fs.writeFileSync`).
 * - Virtualised, the host's environment: `process.cwd()` is '/', and `process.env` holds only the values the
 *   scenario declares (`Scenario.env`); reading any other variable is trapped like the calls above
 *   (`no-real-world:process.env.HOME`), except the few Node's own console reads to choose colours
 *   (NODE_INTERNAL_ENV), which read as unset. `'X' in process.env` and `Object.keys(process.env)` see the
 *   declared variables only.
 *
 * Code that runs at setup, outside the run (a scenario module's top level, `program(node, ctx)` building a
 * node's program, a check's `setup`, the workload's planning) is not inside a slice: it may read fixture
 * files or the environment. What a node does while the simulation runs may not. A scenario that really
 * needs one of the trapped calls inside the run names it in `Scenario.allowRealWorld` (e.g.
 * `['os.hostname']`); its runs are then only as deterministic as that call.
 *
 * Slices are synchronous (see scheduler.ts), so swapping globals around a slice affects nothing outside
 * the simulation, and two simulations interleaved in one process each see their own world. The module
 * functions are wrapped once, when this file loads (wrapping ~300 functions per slice would cost more than
 * the slice); each wrapper asks whether a world is installed, so outside a run they behave as before.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Bus, Clock, Connection, KvStore, Lock, Locks, Net, Value } from '../impl/env.ts';
import { simIndexedDB } from './idb.ts';
import type { Rng } from './rng.ts';
import type { SimLockOptions } from './tabs/locks.ts';

// The builtin modules' own export objects: patching them (then syncBuiltinESMExports) also changes what
// `import { randomUUID } from 'node:crypto'` and `import { setTimeout } from 'node:timers'` see.
const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto') as Record<string, unknown>;
const nodeTimersModule = require('node:timers') as Record<string, unknown>;
const nodeTimersPromises = require('node:timers/promises') as Record<string, unknown>;

/** A real-world API was called from inside a simulation. */
export class SimLeakError extends Error {
  override name = 'SimLeakError';
  /**
   * @param call what was called ('setTimeout', 'fs.writeFileSync', 'process.env.HOME'); the failure's
   *   check is `no-real-world:<call>`.
   */
  constructor(
    readonly call: string,
    message: string,
  ) {
    super(message);
  }
}

/** The simulated user and group that memfs (and any code inside a run) sees. */
export const SIM_UID = 1000;
export const SIM_GID = 1000;

/** Epoch (ms) at virtual time 0: 2026-01-01T00:00:00Z. Fixed so traces do not depend on the real date. */
export const EPOCH_MS = 1_767_225_600_000;

const real = {
  Date: globalThis.Date,
  mathRandom: Math.random,
  perfNow: globalThis.performance.now.bind(globalThis.performance),
  setTimeout: globalThis.setTimeout,
  setInterval: globalThis.setInterval,
  setImmediate: globalThis.setImmediate,
  clearTimeout: globalThis.clearTimeout,
  clearInterval: globalThis.clearInterval,
  clearImmediate: globalThis.clearImmediate,
  queueMicrotask: globalThis.queueMicrotask,
  hrtime: process.hrtime,
  getuid: process.getuid,
  getgid: process.getgid,
  randomUUID: globalThis.crypto.randomUUID.bind(globalThis.crypto),
  getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto),
  nextTick: process.nextTick,
  /** The node:crypto, node:timers and node:timers/promises exports this file replaces. */
  // (node:crypto's getRandomValues is a getter for the global crypto's, which is a dispatcher: below.)
  crypto: pick(nodeCrypto, ['randomUUID', 'randomBytes', 'randomFillSync', 'randomFill', 'randomInt']),
  timers: pick(nodeTimersModule, ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate']),
  timersPromises: pick(nodeTimersPromises, ['setTimeout', 'setInterval', 'setImmediate']),
};

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

/** What a world needs from its simulation. */
export interface WorldSource {
  /** Virtual time now, in microseconds. */
  nowUs(): number;
  /** The stream that feeds ambient randomness. */
  ambient: Rng;
  /** Records a leak (the run becomes a crash verdict). */
  leak(error: SimLeakError): void;
  /** Queues a `process.nextTick` callback made inside the run (the scheduler drains it deterministically). */
  nextTick(fn: () => void): void;
  /** The environment variables the run sees (`Scenario.env`). */
  env: Readonly<Record<string, string>>;
  /** True when the scenario allows this host call inside the run (`Scenario.allowRealWorld`). */
  allows(call: string): boolean;
  /** The clock of the node whose code runs now (its callbacks and their continuations), or null. */
  currentClock?(): Clock | null;
  /** The tab bus of the node whose code runs now, or null. */
  currentBus?(): Bus | null;
  /** The lock manager of the node whose code runs now, or null. */
  currentLocks?(): Locks | null;
  /** The network of the node whose code runs now, or null. */
  currentNet?(): Net | null;
  /** The kv store of the node whose code runs now (its device's), or null. */
  currentKv?(): KvStore | null;
}

/** The parts of a WorldSource a Simulation takes from its options (see SimulationOptions.realWorld). */
export interface RealWorldOptions {
  /** Environment variables the run sees (all others are unset or trapped). */
  env?: Readonly<Record<string, string>>;
  /** Host calls the run may make anyway ('os.hostname', 'fs.readFileSync', 'process.env.NODE_ENV'...). */
  allow?: readonly string[];
}

let installed: WorldSource | null = null;

/** Fills `array` from the run's seeded stream (crypto.getRandomValues inside a run). */
function fillSeeded<T extends ArrayBufferView | null>(src: WorldSource, array: T): T {
  if (array !== null) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    bytes.set(src.ambient.bytes(bytes.length));
  }
  return array;
}

/*
 * Randomness captured at import time: a library that keeps `Math.random`, `crypto.getRandomValues` or
 * `crypto.randomUUID` in a variable when its module loads (before any run) would keep the real functions
 * and escape the seeded streams (the same seed would replay to another trace hash). So when this file loads
 * (before any scenario or library module: the runner imports the simulator first), these globals become
 * dispatchers that are the seeded functions while a world is installed and the real ones otherwise; they
 * stay in place between runs.
 */
/**
 * `Date` for all code, installed when this file loads (so `const D = Date` in a library is covered too):
 * inside a run "now" is the wall clock of the node whose code runs, else the simulation's own virtual time
 * from EPOCH_MS; outside a run it is the real clock. Everything else is the real Date (same prototype,
 * subclasses construct through Reflect.construct).
 */
function dispatchDate(): DateConstructor {
  const RealDate = real.Date;
  const nowMs = (): number => {
    const src = installed;
    if (src === null) return RealDate.now();
    const clock = src.currentClock?.() ?? null;
    return clock !== null ? Math.floor(clock.now()) : EPOCH_MS + Math.floor(src.nowUs() / 1000);
  };
  function SimDate(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new RealDate(nowMs()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [nowMs()] : args, new.target) as Date;
  }
  SimDate.prototype = RealDate.prototype;
  SimDate.now = nowMs;
  SimDate.parse = RealDate.parse;
  SimDate.UTC = RealDate.UTC;
  return SimDate as unknown as DateConstructor;
}

globalThis.Date = dispatchDate();

type MessageListener = (event: { data: unknown; origin: string }) => void;

/**
 * A BroadcastChannel for browser code running in a simulated tab, over its device's tab bus (`env.bus`):
 * messages go to the channels of that name in the device's other live tabs (not to other channels of the
 * same tab, unlike a browser), in the bus's order, and die with the tab. Listeners run as the tab's own
 * code: a throw is a crash of the tab, as from any of its callbacks.
 */
class SimBroadcastChannel {
  onmessage: MessageListener | null = null;
  private readonly listeners: MessageListener[] = [];
  private unsubscribe: (() => void) | null;

  constructor(
    readonly name: string,
    private readonly bus: Bus,
  ) {
    this.unsubscribe = bus.subscribe(name, (data, from) => {
      const event = { data, origin: from };
      for (const l of [...this.listeners]) l(event);
      this.onmessage?.(event);
    });
  }

  postMessage(message: unknown): void {
    if (this.unsubscribe === null) throw new Error(`BroadcastChannel '${this.name}' is closed`);
    this.bus.post(this.name, message as Value);
  }

  addEventListener(type: string, listener: MessageListener): void {
    if (type === 'message' && !this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(type: string, listener: MessageListener): void {
    const at = type === 'message' ? this.listeners.indexOf(listener) : -1;
    if (at >= 0) this.listeners.splice(at, 1);
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/**
 * `BroadcastChannel` for all code, installed when this file loads (so a library that keeps it from import
 * is covered): inside a node's code a SimBroadcastChannel on that tab's bus, outside a run the real one;
 * elsewhere inside a run (the workload, a check) a leak.
 */
const RealBroadcastChannel = globalThis.BroadcastChannel;
function BroadcastChannelDispatch(this: unknown, name: string): unknown {
  const src = installed;
  if (src === null) return new RealBroadcastChannel(name);
  const bus = src.currentBus?.() ?? null;
  if (bus === null) return trap(src, 'BroadcastChannel', "a node's env.bus (or construct it in the node's code)")();
  return new SimBroadcastChannel(String(name), bus);
}
(globalThis as Record<string, unknown>).BroadcastChannel = BroadcastChannelDispatch;

type WsListener = (event: { type: string; data?: unknown; code?: number; reason?: string; wasClean?: boolean }) => void;

/**
 * A WebSocket for browser code running in a simulated node, over its network (`env.net.connect`): the host
 * of the URL (`ws://S/sync` -> node `S`) is the address connected to; messages are the connection's
 * messages (JSON values, in order); a refused or timed-out connect is an `error` then a `close` (code 1006),
 * a reset is a `close` with code 1006, a close by either end code 1000. The other end is a node listening
 * with `env.net.listen`. Only inside a run, like `navigator` (Node 20 has no global WebSocket).
 */
class SimWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readyState = 0;
  binaryType = 'arraybuffer';
  onopen: WsListener | null = null;
  onmessage: WsListener | null = null;
  onclose: WsListener | null = null;
  onerror: WsListener | null = null;
  private conn: Connection | null = null;
  private readonly listeners = new Map<string, WsListener[]>();

  constructor(
    readonly url: string,
    net: Net,
  ) {
    const host = /^wss?:\/\/([^/:?#]+)/.exec(url)?.[1];
    if (host === undefined) throw new SyntaxError(`WebSocket: '${url}' is not a ws:// or wss:// URL`);
    net.connect(host).then(
      (conn) => {
        if (this.readyState !== 0) return conn.close(); // closed while connecting
        this.conn = conn;
        this.readyState = 1;
        conn.onMessage((data) => this.fire({ type: 'message', data }));
        conn.onClose((why) => this.closed(why === 'closed' ? 1000 : 1006, why));
        this.fire({ type: 'open' });
      },
      (e: Error) => {
        this.fire({ type: 'error' });
        this.closed(1006, e.message);
      },
    );
  }

  send(data: unknown): void {
    if (this.readyState === 0) throw new Error('WebSocket: send before open (InvalidStateError)');
    if (this.readyState === 1) this.conn!.send(data as Value);
  }

  close(): void {
    if (this.readyState >= 2) return;
    const conn = this.conn;
    this.readyState = 2;
    if (conn !== null) conn.close();
    this.closed(1000, '');
  }

  addEventListener(type: string, listener: WsListener): void {
    const list = this.listeners.get(type) ?? [];
    if (!list.includes(listener)) list.push(listener);
    this.listeners.set(type, list);
  }

  removeEventListener(type: string, listener: WsListener): void {
    const list = this.listeners.get(type);
    const at = list?.indexOf(listener) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }

  private closed(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire({ type: 'close', code, reason, wasClean: code === 1000 });
  }

  private fire(event: Parameters<WsListener>[0]): void {
    for (const l of [...(this.listeners.get(event.type) ?? [])]) l(event);
    const own = { open: this.onopen, message: this.onmessage, close: this.onclose, error: this.onerror }[event.type];
    own?.(event);
  }
}

/** The global WebSocket inside a run: a SimWebSocket on the running node's network (else a leak). */
function simWebSocket(src: WorldSource): unknown {
  const WebSocket = function (this: unknown, url: string): SimWebSocket {
    const net = src.currentNet?.() ?? null;
    if (net === null) return trap(src, 'WebSocket', "a node's env.net.connect (or construct it in the node's code)")();
    return new SimWebSocket(String(url), net);
  };
  return Object.assign(WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
}

/**
 * `indexedDB` inside a run (Node has none; only during the run's slices, like `navigator`): databases in the
 * running tab's device kv store (`env.kv`), see idb.ts; a call outside a node's code is a leak.
 */
function simIndexedDBGlobal(src: WorldSource): unknown {
  const current = (what: string): ReturnType<typeof simIndexedDB> => {
    const kv = src.currentKv?.() ?? null;
    const clock = src.currentClock?.() ?? null;
    if (kv === null || clock === null) return trap(src, `indexedDB.${what}`, "a node's env.kv")();
    return simIndexedDB(kv, clock);
  };
  return {
    open: (name: string, version?: number) => current('open').open(name, version),
    deleteDatabase: (name: string) => current('deleteDatabase').deleteDatabase(name),
  };
}

/**
 * `navigator` inside a run (Node 20 has none; it exists only during the run's slices, so code outside a run
 * is not told it is in a browser): `navigator.locks.request(name[, options], callback)` is the running
 * tab's lock manager (`env.locks`, exclusive locks shared by the device's tabs, released when the callback
 * settles or the tab dies), with the Web Locks options it supports (`ifAvailable`, `steal`, `signal`: an
 * abort withdraws a queued request, which rejects with the signal's reason); a shared lock is refused, and a
 * call outside a node's code is a leak.
 */
function simNavigator(src: WorldSource): { locks: { request(name: string, a: unknown, b?: unknown): Promise<unknown> }; userAgent: string } {
  return {
    userAgent: 'syncbench (simulated tab)',
    locks: {
      request(name: string, a: unknown, b?: unknown): Promise<unknown> {
        const locks = src.currentLocks?.() ?? null;
        if (locks === null) return trap(src, 'navigator.locks.request', "a node's env.locks")();
        const [options, callback] = (typeof a === 'function' ? [{}, a] : [a ?? {}, b]) as [SimLockOptions & { mode?: string }, (lock: Lock | null) => unknown];
        if (options.mode === 'shared') return Promise.reject(new Error(`navigator.locks.request: mode 'shared' is not simulated (exclusive locks with ifAvailable, steal and signal are)`));
        const opts: SimLockOptions = {};
        if (options.ifAvailable === true) opts.ifAvailable = true;
        if (options.steal === true) opts.steal = true;
        if (options.signal !== undefined) opts.signal = options.signal;
        return locks.request(String(name), opts, (lock) => callback(lock));
      },
    },
  };
}
Math.random = () => (installed !== null ? installed.ambient.float() : real.mathRandom());
globalThis.crypto.randomUUID = () => (installed !== null ? (installed.ambient.uuid() as ReturnType<typeof real.randomUUID>) : real.randomUUID());
globalThis.crypto.getRandomValues = <T extends ArrayBufferView | null>(array: T): T => (installed !== null ? fillSeeded(installed, array) : real.getRandomValues(array as never));

function trap(src: WorldSource, name: string, instead: string): (...args: unknown[]) => never {
  return () => {
    const err = new SimLeakError(name.replace(/ \(.*\)$/, ''), `${name} was called inside the simulation; use ${instead} instead`);
    src.leak(err);
    throw err;
  };
}

/** What the node-scoped timers return: a Node-like Timeout (ref/unref/hasRef/refresh, its number as value). */
interface TimerHandle {
  id: number;
  ref(): TimerHandle;
  unref(): TimerHandle;
  hasRef(): boolean;
  refresh(): TimerHandle;
  [Symbol.toPrimitive](): number;
}

/** The timer id of a handle, a number, or anything else (null: not a timer of ours; clear* ignore it). */
function timerIdOf(h: unknown): number | null {
  if (typeof h === 'number') return h;
  if (typeof h === 'object' && h !== null && typeof (h as TimerHandle).id === 'number') return (h as TimerHandle).id;
  return null;
}

/**
 * setTimeout/setInterval/setImmediate and their clear* for foreign code, on the clock of the node whose code
 * runs (see the file comment); outside a node's code they are trapped as before. `where` names the export
 * in leak messages ('' for the globals, ' (node:timers)').
 */
function nodeTimers(src: WorldSource, where: string): Record<string, (...args: unknown[]) => unknown> {
  const make = (name: string, repeat: boolean, instead: string) => {
    const leak = trap(src, `${name}${where}`, instead);
    return (fn: unknown, ms?: unknown, ...args: unknown[]): TimerHandle => {
      const clock = src.currentClock?.() ?? null;
      if (clock === null || typeof fn !== 'function') return leak();
      const delay = name === 'setImmediate' ? 0 : Math.max(0, Number(ms) || 0);
      const call = name === 'setImmediate' ? () => (fn as (...a: unknown[]) => void)(ms, ...args) : () => (fn as (...a: unknown[]) => void)(...args);
      const arm = (): number => (repeat ? clock.setInterval(call, delay) : clock.setTimeout(call, delay));
      const handle: TimerHandle = {
        id: arm(),
        ref: () => handle,
        unref: () => handle,
        hasRef: () => true,
        refresh: () => {
          clock.clearTimer(handle.id);
          handle.id = arm();
          return handle;
        },
        [Symbol.toPrimitive]: () => handle.id,
      };
      return handle;
    };
  };
  const clear = (name: string) => {
    const leak = trap(src, `${name}${where}`, 'env.clock.clearTimer');
    return (h: unknown): void => {
      const id = timerIdOf(h);
      if (id === null) return; // clearTimeout(undefined) and the like: nothing to clear, as in Node
      const clock = src.currentClock?.() ?? null;
      if (clock === null) return leak();
      clock.clearTimer(id);
    };
  };
  return {
    setTimeout: make('setTimeout', false, 'env.clock.setTimeout'),
    setInterval: make('setInterval', true, 'env.clock.setInterval'),
    setImmediate: make('setImmediate', false, 'env.clock.setTimeout(fn, 0)'),
    clearTimeout: clear('clearTimeout'),
    clearInterval: clear('clearInterval'),
    clearImmediate: clear('clearImmediate'),
  };
}

/** Records and throws the leak of a host call made inside the run (see the file comment). */
function hostLeak(src: WorldSource, call: string): never {
  const err = new SimLeakError(
    call,
    `${call} was ${call.startsWith('process.env.') ? 'read' : 'called'} inside the simulation: the run would depend on the host (or end the process checking it). ` +
      `Do it at setup, outside the run, or pass what it returns in through the scenario` +
      `${call.startsWith('process.env.') ? ' (Scenario.env declares the variables a run sees)' : ''}`,
  );
  src.leak(err);
  throw err;
}

/** The host modules whose functions are trapped inside a run, by the name a leak reports. */
const HOST_MODULES: Record<string, string> = {
  fs: 'node:fs',
  'fs.promises': 'node:fs/promises',
  os: 'node:os',
  child_process: 'node:child_process',
  net: 'node:net',
  http: 'node:http',
  https: 'node:https',
  http2: 'node:http2',
  dgram: 'node:dgram',
  dns: 'node:dns',
  'dns.promises': 'node:dns/promises',
  tls: 'node:tls',
  cluster: 'node:cluster',
};

/** process methods trapped inside a run. */
const PROCESS_TRAPS = ['exit', 'reallyExit', 'abort', 'kill', 'chdir', 'dlopen'] as const;

/** The process methods that add listeners: what they add inside a run is removed at the end of its slice. */
const PROCESS_LISTENER_METHODS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'] as const;

/**
 * Environment variables Node's own console and tty code read while printing (to choose colours): inside a
 * run they read as unset instead of being trapped, so a `console.log` in the code under test stays legal.
 */
export const NODE_INTERNAL_ENV: ReadonlySet<string> = new Set([
  'FORCE_COLOR', 'NO_COLOR', 'NODE_DISABLE_COLORS', 'TERM', 'COLORTERM', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION',
  'CI', 'TMUX', 'TEAMCITY_VERSION', 'CI_NAME', 'COLORFGBG', 'NODE_DEBUG', 'NODE_V8_COVERAGE',
]);

/**
 * Wraps every plain function (lower-case name: not a class) of the host modules once: inside a run the
 * wrapper records a leak and throws, outside it calls the real function. Classes (`fs.ReadStream`,
 * `net.Socket`) stay as they are (replacing them would break `instanceof`); the functions that create them
 * (`fs.createReadStream`, `net.connect`) are trapped.
 */
function wrapHostModules(): void {
  for (const [label, id] of Object.entries(HOST_MODULES)) {
    const mod = require(id) as Record<string, unknown>;
    for (const key of Object.keys(mod)) {
      const fn = mod[key];
      if (typeof fn !== 'function' || !/^[a-z]/.test(key)) continue;
      const call = `${label}.${key}`;
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        if (installed !== null && !installed.allows(call)) hostLeak(installed, call);
        return (fn as (...a: unknown[]) => unknown).apply(this, args);
      };
      // Keep properties such as fs.realpath.native and util.promisify.custom on the wrapper.
      for (const k of Reflect.ownKeys(fn)) {
        if (k === 'length' || k === 'name' || k === 'prototype') continue;
        const d = Object.getOwnPropertyDescriptor(fn, k);
        if (d !== undefined) Object.defineProperty(wrapped, k, d);
      }
      Object.defineProperty(wrapped, 'name', { value: key });
      mod[key] = wrapped;
    }
  }
  const g = globalThis as Record<string, unknown>;
  const fetch = g.fetch;
  if (typeof fetch === 'function') {
    g.fetch = function (this: unknown, ...args: unknown[]): unknown {
      if (installed !== null && !installed.allows('fetch')) hostLeak(installed, 'fetch');
      return (fetch as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  syncBuiltinESMExports();
}

wrapHostModules();

/**
 * What installWorld replaced on `process`, restored by uninstallWorld. Saved at every slice, not once: a test
 * or a guard may have replaced process.exit meanwhile. `process` points at the prepared world's own record
 * (same keys as its traps), reused slice after slice.
 */
const saved: { process: Record<string, unknown>; env: NodeJS.ProcessEnv; cwd: () => string } = { process: {}, env: process.env, cwd: process.cwd };

/** Per world source, the replacements made once (a run has thousands of slices; installWorld runs at each). */
interface Prepared {
  process: Record<string, unknown>;
  /** The real process methods the traps replace, saved at each slice (see `saved`). */
  real: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Listeners the run added to `process` during the slice now running, removed when it ends. */
  added: [event: string | symbol, listener: (...args: unknown[]) => void][];
  /** The globals installed at each slice (the node-scoped timers, navigator, WebSocket, queueMicrotask). */
  globals: Record<string, unknown>;
  /** The node:timers exports installed at each slice. */
  timers: Record<string, unknown>;
}
const preparedFor = new WeakMap<WorldSource, Prepared>();

function prepare(src: WorldSource): Prepared {
  let p = preparedFor.get(src);
  if (p === undefined) {
    const traps: Record<string, unknown> = {};
    // process.exit ends through process.reallyExit: allowing the one allows the other.
    const allowed = (k: string): boolean => src.allows(`process.${k}`) || (k === 'reallyExit' && src.allows('process.exit'));
    for (const k of PROCESS_TRAPS) if (!allowed(k)) traps[k] = () => hostLeak(src, `process.${k}`);
    const globals = {
      ...nodeTimers(src, ''),
      navigator: simNavigator(src),
      WebSocket: simWebSocket(src),
      indexedDB: simIndexedDBGlobal(src),
      queueMicrotask: trap(src, 'queueMicrotask', 'await Promise.resolve()'),
    };
    const prepared: Prepared = { process: traps, real: {}, env: virtualEnv(src), added: [], globals, timers: nodeTimers(src, ' (node:timers)') };
    // process.on and friends: the listener is added (the caller sees the usual behaviour) and remembered,
    // and removed when the slice ends. Process events are emitted by Node's event loop, outside any slice,
    // where the run's code must never run; and a listener kept would outlive the run and leak between seeds.
    for (const k of PROCESS_LISTENER_METHODS) {
      traps[k] = (event: string | symbol, listener: (...args: unknown[]) => void) => {
        (prepared.real[k] as (e: string | symbol, l: (...a: unknown[]) => void) => unknown).call(process, event, listener);
        prepared.added.push([event, listener]);
        return process;
      };
    }
    p = prepared;
    preparedFor.set(src, p);
  }
  return p;
}

const virtualCwd = (): string => '/';

/** The `process.env` a run sees: the scenario's declared variables; any other read is a leak. */
function virtualEnv(src: WorldSource): NodeJS.ProcessEnv {
  const declared = src.env;
  return new Proxy(Object.create(null) as NodeJS.ProcessEnv, {
    get: (_t, key) => {
      if (typeof key !== 'string') return undefined;
      if (Object.hasOwn(declared, key)) return declared[key];
      if (NODE_INTERNAL_ENV.has(key)) return undefined;
      if (src.allows(`process.env.${key}`) || src.allows('process.env')) return saved.env[key];
      return hostLeak(src, `process.env.${key}`);
    },
    has: (_t, key) => typeof key === 'string' && Object.hasOwn(declared, key),
    ownKeys: () => Object.keys(declared),
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && Object.hasOwn(declared, key) ? { value: declared[key], writable: true, enumerable: true, configurable: true } : undefined,
    set: (_t, key) => hostLeak(src, `process.env.${String(key)} =`),
    deleteProperty: (_t, key) => hostLeak(src, `delete process.env.${String(key)}`),
  });
}

/** Replaces the ambient globals with the simulation's world. Must be paired with `uninstallWorld`. */
export function installWorld(src: WorldSource): void {
  if (installed !== null) throw new Error('a simulated world is already installed (slices are not reentrant)');
  installed = src;
  const g = globalThis as Record<string, unknown>;
  globalThis.performance.now = () => src.currentClock?.()?.monotonic() ?? src.nowUs() / 1000;
  const prepared = prepare(src);
  Object.assign(g, prepared.globals);
  (process as { hrtime: unknown }).hrtime = trap(src, 'process.hrtime', 'env.clock.monotonic');
  process.getuid = () => SIM_UID;
  process.getgid = () => SIM_GID;
  (process as { nextTick: unknown }).nextTick = (fn: (...a: unknown[]) => void, ...args: unknown[]) => src.nextTick(() => fn(...args));
  const p = process as unknown as Record<string, unknown>;
  for (const k in prepared.process) prepared.real[k] = p[k];
  saved.process = prepared.real;
  Object.assign(process, prepared.process);
  saved.env = process.env;
  saved.cwd = process.cwd;
  process.env = prepared.env;
  process.cwd = virtualCwd;
  installModules(src, prepared);
}

/** The node:crypto and node:timers exports inside a run (see the file comment). */
function installModules(src: WorldSource, prepared: Prepared): void {
  const async = (name: string) => trap(src, `crypto.${name} with a callback`, `its synchronous form (seeded inside a run)`);
  Object.assign(nodeCrypto, {
    randomUUID: () => src.ambient.uuid(),
    randomBytes: (size: number, cb?: unknown) => (cb === undefined ? Buffer.from(src.ambient.bytes(size)) : async('randomBytes')()),
    randomFillSync: (buf: ArrayBufferView, offset = 0, size?: number) => {
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      const n = size ?? bytes.length - offset;
      bytes.set(src.ambient.bytes(n), offset);
      return buf;
    },
    randomFill: async('randomFill'),
    randomInt: (a: number, b?: unknown, cb?: unknown) => {
      if (typeof b === 'function' || cb !== undefined) return async('randomInt')();
      const [min, max] = typeof b === 'number' ? [a, b] : [0, a];
      return min + Math.floor(src.ambient.float() * (max - min));
    },
  });
  Object.assign(nodeTimersModule, prepared.timers);
  Object.assign(nodeTimersPromises, {
    setTimeout: trap(src, 'setTimeout (node:timers/promises)', 'env.clock.sleep'),
    setInterval: trap(src, 'setInterval (node:timers/promises)', 'env.clock.setInterval'),
    setImmediate: trap(src, 'setImmediate (node:timers/promises)', 'env.clock.sleep(0)'),
  });
  syncBuiltinESMExports();
}

/** Restores the real globals. */
export function uninstallWorld(): void {
  const src = installed;
  if (src === null) return;
  installed = null;
  const g = globalThis as Record<string, unknown>;
  globalThis.performance.now = real.perfNow;
  delete g.navigator;
  delete g.WebSocket;
  delete g.indexedDB;
  g.setTimeout = real.setTimeout;
  g.setInterval = real.setInterval;
  g.setImmediate = real.setImmediate;
  g.clearTimeout = real.clearTimeout;
  g.clearInterval = real.clearInterval;
  g.clearImmediate = real.clearImmediate;
  g.queueMicrotask = real.queueMicrotask;
  (process as { hrtime: unknown }).hrtime = real.hrtime;
  process.getuid = real.getuid;
  process.getgid = real.getgid;
  (process as { nextTick: unknown }).nextTick = real.nextTick;
  Object.assign(process, saved.process);
  const p = preparedFor.get(src);
  if (p !== undefined) {
    for (const [event, listener] of p.added) process.removeListener(event, listener);
    p.added.length = 0;
  }
  process.env = saved.env;
  process.cwd = saved.cwd;
  Object.assign(nodeCrypto, real.crypto);
  Object.assign(nodeTimersModule, real.timers);
  Object.assign(nodeTimersPromises, real.timersPromises);
  syncBuiltinESMExports();
}

/** True while some simulation's world is installed. */
export function worldInstalled(): boolean {
  return installed !== null;
}

/** The real setImmediate, for the scheduler's own yielding between slices. */
export const realSetImmediate = real.setImmediate;

/** The real process.nextTick, for the scheduler's portable drain. */
export const realNextTick = real.nextTick;

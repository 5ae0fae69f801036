/**
 * No leaks of the real world: while a simulation's slice of events runs, the process's ambient sources
 * of time, randomness and timers are replaced.
 *
 * - Virtualised (third-party code inside the simulation, e.g. memfs stamping file times, sees the
 *   simulation's world): `Date` (virtual wall time), `Math.random` (a seeded stream), `performance.now`
 *   (virtual time), `crypto.randomUUID` and `crypto.getRandomValues` (seeded), `process.getuid` and
 *   `process.getgid` (a fixed simulated user, SIM_UID/SIM_GID: memfs stamps every inode with them and asks
 *   for them on every permission check; the real calls are system calls that took a sixth of a storage
 *   swarm's time, and a run must not depend on which user runs it).
 *   The same for the `node:crypto` module's exports (`randomUUID`, `randomBytes`, `randomFillSync`,
 *   `randomInt`, `getRandomValues`; their callback forms and `randomFill` are trapped), which uuid-style
 *   libraries import instead of the global.
 * - `process.nextTick` (also used by Node's own streams, e.g. console.log): a callback queued inside a run
 *   runs inside it, deterministically: the scheduler drains queued ticks after each event, then the
 *   microtasks they cause, as Node would (see `WorldSource.nextTick`).
 * - Trapped (no deterministic meaning inside a run): `setTimeout`, `setInterval`, `setImmediate`,
 *   `clearTimeout`/`clearInterval`/`clearImmediate` of them (globals and the `node:timers` exports), the
 *   `node:timers/promises` functions, `queueMicrotask`, `process.hrtime`. A call throws `SimLeakError`
 *   naming the call and what to use instead, and the run is marked as crashed (the throw might be
 *   swallowed by the caller).
 *
 * Slices are synchronous (see scheduler.ts), so swapping globals around a slice affects nothing outside
 * the simulation, and two simulations interleaved in one process each see their own world.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Rng } from './rng.ts';

// The builtin modules' own export objects: patching them (then syncBuiltinESMExports) also changes what
// `import { randomUUID } from 'node:crypto'` and `import { setTimeout } from 'node:timers'` see.
const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto') as Record<string, unknown>;
const nodeTimers = require('node:timers') as Record<string, unknown>;
const nodeTimersPromises = require('node:timers/promises') as Record<string, unknown>;

/** A real-world API was called from inside a simulation. */
export class SimLeakError extends Error {
  override name = 'SimLeakError';
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
  // (node:crypto's getRandomValues is a getter for the global crypto's, which installWorld replaces.)
  crypto: pick(nodeCrypto, ['randomUUID', 'randomBytes', 'randomFillSync', 'randomFill', 'randomInt']),
  timers: pick(nodeTimers, ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate']),
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
}

let installed: WorldSource | null = null;

function makeVirtualDate(src: WorldSource): DateConstructor {
  const RealDate = real.Date;
  const nowMs = (): number => EPOCH_MS + Math.floor(src.nowUs() / 1000);
  // A Date whose "now" is virtual; everything else behaves like the real Date.
  function VirtualDate(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new RealDate(nowMs()).toString();
    if (args.length === 0) return new RealDate(nowMs());
    return new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = nowMs;
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  return VirtualDate as unknown as DateConstructor;
}

function trap(src: WorldSource, name: string, instead: string): (...args: unknown[]) => never {
  return () => {
    const err = new SimLeakError(`${name} was called inside the simulation; use ${instead} instead`);
    src.leak(err);
    throw err;
  };
}

/** Replaces the ambient globals with the simulation's world. Must be paired with `uninstallWorld`. */
export function installWorld(src: WorldSource): void {
  if (installed !== null) throw new Error('a simulated world is already installed (slices are not reentrant)');
  installed = src;
  const g = globalThis as Record<string, unknown>;
  g.Date = makeVirtualDate(src);
  Math.random = () => src.ambient.float();
  globalThis.performance.now = () => src.nowUs() / 1000;
  g.setTimeout = trap(src, 'setTimeout', 'env.clock.setTimeout');
  g.setInterval = trap(src, 'setInterval', 'env.clock.setInterval');
  g.setImmediate = trap(src, 'setImmediate', 'env.clock.setTimeout(fn, 0)');
  g.clearTimeout = trap(src, 'clearTimeout', 'env.clock.clearTimer');
  g.clearInterval = trap(src, 'clearInterval', 'env.clock.clearTimer');
  g.clearImmediate = trap(src, 'clearImmediate', 'env.clock.clearTimer');
  g.queueMicrotask = trap(src, 'queueMicrotask', 'await Promise.resolve()');
  (process as { hrtime: unknown }).hrtime = trap(src, 'process.hrtime', 'env.clock.monotonic');
  process.getuid = () => SIM_UID;
  process.getgid = () => SIM_GID;
  globalThis.crypto.randomUUID = () => src.ambient.uuid() as ReturnType<typeof globalThis.crypto.randomUUID>;
  const fill = <T extends ArrayBufferView | null>(array: T): T => {
    if (array !== null) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      bytes.set(src.ambient.bytes(bytes.length));
    }
    return array;
  };
  globalThis.crypto.getRandomValues = fill;
  (process as { nextTick: unknown }).nextTick = (fn: (...a: unknown[]) => void, ...args: unknown[]) => src.nextTick(() => fn(...args));
  installModules(src);
}

/** The node:crypto and node:timers exports inside a run (see the file comment). */
function installModules(src: WorldSource): void {
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
  Object.assign(nodeTimers, {
    setTimeout: trap(src, "setTimeout (node:timers)", 'env.clock.setTimeout'),
    setInterval: trap(src, "setInterval (node:timers)", 'env.clock.setInterval'),
    setImmediate: trap(src, "setImmediate (node:timers)", 'env.clock.setTimeout(fn, 0)'),
    clearTimeout: trap(src, "clearTimeout (node:timers)", 'env.clock.clearTimer'),
    clearInterval: trap(src, "clearInterval (node:timers)", 'env.clock.clearTimer'),
    clearImmediate: trap(src, "clearImmediate (node:timers)", 'env.clock.clearTimer'),
  });
  Object.assign(nodeTimersPromises, {
    setTimeout: trap(src, 'setTimeout (node:timers/promises)', 'env.clock.sleep'),
    setInterval: trap(src, 'setInterval (node:timers/promises)', 'env.clock.setInterval'),
    setImmediate: trap(src, 'setImmediate (node:timers/promises)', 'env.clock.sleep(0)'),
  });
  syncBuiltinESMExports();
}

/** Restores the real globals. */
export function uninstallWorld(): void {
  if (installed === null) return;
  installed = null;
  const g = globalThis as Record<string, unknown>;
  g.Date = real.Date;
  Math.random = real.mathRandom;
  globalThis.performance.now = real.perfNow;
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
  globalThis.crypto.randomUUID = real.randomUUID;
  globalThis.crypto.getRandomValues = real.getRandomValues;
  (process as { nextTick: unknown }).nextTick = real.nextTick;
  Object.assign(nodeCrypto, real.crypto);
  Object.assign(nodeTimers, real.timers);
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

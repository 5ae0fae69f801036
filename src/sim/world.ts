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
 * - Trapped (no deterministic meaning inside a run): `setTimeout`, `setInterval`, `setImmediate`,
 *   `clearTimeout`/`clearInterval`/`clearImmediate` of them, `queueMicrotask`, `process.hrtime`. A call throws
 *   `SimLeakError` naming the call and what to use instead, and the run is marked as crashed (the throw
 *   might be swallowed by the caller).
 *
 * Slices are synchronous (see scheduler.ts), so swapping globals around a slice affects nothing outside
 * the simulation, and two simulations interleaved in one process each see their own world.
 */
import type { Rng } from './rng.ts';

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
};

/** What a world needs from its simulation. */
export interface WorldSource {
  /** Virtual time now, in microseconds. */
  nowUs(): number;
  /** The stream that feeds ambient randomness. */
  ambient: Rng;
  /** Records a leak (the run becomes a crash verdict). */
  leak(error: SimLeakError): void;
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
  globalThis.crypto.getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
    if (array !== null) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      bytes.set(src.ambient.bytes(bytes.length));
    }
    return array;
  };
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
}

/** True while some simulation's world is installed. */
export function worldInstalled(): boolean {
  return installed !== null;
}

/** The real setImmediate, for the scheduler's own yielding between slices. */
export const realSetImmediate = real.setImmediate;

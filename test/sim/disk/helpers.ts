/**
 * Test helpers: run a program on one node of a device and collect what it returned or threw.
 */
import type { Env } from '../../../src/impl/env.ts';
import type { DiskSpec } from '../../../src/sim/disk/disk.ts';
import type { KvSpec } from '../../../src/sim/disk/kv.ts';
import { Simulation } from '../../../src/sim/simulation.ts';

/** The outcome of `drive`. */
export interface Driven<T> {
  sim: Simulation;
  /** What the program returned (undefined if it never finished). */
  result: T | undefined;
  /** What the program threw, if anything. */
  error: unknown;
  /** True when the program finished (returned or threw). */
  finished: boolean;
}

/** Options of `drive`. */
export interface DriveOptions {
  seed?: number;
  disk?: DiskSpec;
  kv?: KvSpec;
  /** Keep every trace record (for assertions on the trace). */
  keepTrace?: boolean;
}

/** Runs `program` on node 'A' of device 'D' until quiescence. */
export async function drive<T>(options: DriveOptions, program: (env: Env) => Promise<T>): Promise<Driven<T>> {
  const sim = new Simulation({ seed: options.seed ?? 1, trace: { keepAll: options.keepTrace ?? false } });
  sim.addDevice('D', { disk: options.disk ?? {}, kv: options.kv ?? {} });
  const out: Driven<T> = { sim, result: undefined, error: undefined, finished: false };
  sim.addNode('A', {
    device: 'D',
    program: async (env) => {
      try {
        out.result = await program(env);
      } catch (e) {
        out.error = e;
      }
      out.finished = true;
    },
  });
  sim.start('A');
  await sim.run();
  return out;
}

/** Bytes 0..n-1 plus `seed`, for recognisable contents. */
export function bytes(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + seed) & 0xff;
  return out;
}

/** A Map of byte arrays as a plain object of number arrays, for readable equality failures. */
export function plain(map: ReadonlyMap<string, Uint8Array>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = [...v];
  return out;
}
